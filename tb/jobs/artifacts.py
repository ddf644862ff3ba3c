"""Artifacts of failing simulation tests (a pytest plugin, loaded by tests/conftest.py).

Every kernel run and co-simulation a test starts is recorded (tb/jobs/job_record.py). When a
test fails, each of them is run once more with waves on, into build/artifacts/<test id>/<k>/,
which then holds the FST (or VCD), the simulator log, the report or summary, and for a system
the pcap and timeline: what a CI server uploads for a failed run. $BNNSPLIT_ARTIFACTS moves the
folder; BNNSPLIT_ARTIFACTS=0 turns the re-runs off.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest

from tb.jobs import job_record, runner
from tb.jobs.job_record import Recorded


def root() -> Path | None:
    v = os.environ.get("BNNSPLIT_ARTIFACTS", "")
    if v == "0":
        return None
    return Path(v) if v else runner.BUILD / "artifacts"


def _safe(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[:150]


def rerun_with_waves(recorded: Recorded, folder: Path) -> Path:
    """The same job again with WAVES=1 into `folder`; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    job = dataclasses.replace(recorded.job, out_dir=str(folder))
    old = os.environ.get("WAVES")
    os.environ["WAVES"] = "1"
    try:
        recorded.run(job)
    except Exception as exc:      # the artifact is what ran; its failure is the point
        (folder / "rerun-error.txt").write_text(f"{type(exc).__name__}: {exc}\n")
    finally:
        if old is None:
            os.environ.pop("WAVES", None)
        else:
            os.environ["WAVES"] = old
    # Keep what a person looks at; drop the bulky stimulus and parameter files.
    shutil.rmtree(folder / "params_hex", ignore_errors=True)
    for f in ("stimulus.npz", "init.npz"):
        (folder / f).unlink(missing_ok=True)
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    job_record.clear()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    base = root()
    if rep.when != "call" or not rep.failed or base is None:
        return
    jobs = job_record.take()
    if not jobs:
        return
    dest = base / _safe(item.nodeid)
    shutil.rmtree(dest, ignore_errors=True)
    kept = [str(rerun_with_waves(recorded, dest / str(k))) for k, recorded in enumerate(jobs)]
    rep.sections.append(("artifacts", "re-run with waves: " + ", ".join(kept)))
