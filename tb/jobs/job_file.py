"""How a job reaches the cocotb side: one JSON file, named by one environment variable.

The host side (tb.jobs.kernel_job, tb.jobs.cosim, tb.perf.bench) writes the job with
:func:`write` and passes :func:`env` to the runner; the bench inside the simulator reads it
with :func:`read`. Paths in the job are absolute, so the simulation may run anywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

JOB_ENV = "BNNSPLIT_JOB"


def write(path: Path, job: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(job, indent=2, default=str))
    return path


def env(path: Path) -> dict[str, str]:
    return {JOB_ENV: str(path)}


def read() -> dict:
    """The job of the running simulation (inside cocotb)."""
    value = os.environ.get(JOB_ENV)
    if not value:
        raise RuntimeError(f"${JOB_ENV} is not set: this cocotb module runs jobs written by tb.jobs")
    return json.loads(Path(value).read_text())
