"""The simulation jobs run since the current test started, each with the function that runs
it: tb.jobs.kernel_job.run and tb.jobs.cosim.run record theirs here, the artifacts plugin
(tb/jobs/artifacts.py) runs them again with waves when the test failed.

It sits below both sides, so that the runs need not know the plugin and the plugin need not
import the (heavier) job modules to re-run what they recorded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Recorded:
    kind: str                      # "kernel" or "system"
    job: Any                       # a copy of the job as it was started
    run: Callable[[Any], Any]      # the function that ran it (and runs it again)


_RECENT: list[Recorded] = []


def record(kind: str, job, run: Callable[[Any], Any]) -> None:
    """Called by tb.jobs.kernel_job.run / tb.jobs.cosim.run for every job they run."""
    _RECENT.append(Recorded(kind, dataclasses.replace(job), run))


def clear() -> None:
    _RECENT.clear()


def take() -> list[Recorded]:
    """The jobs recorded since the last clear(), forgetting them."""
    jobs, _RECENT[:] = list(_RECENT), []
    return jobs
