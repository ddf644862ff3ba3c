"""A run owns its output folder (build/<target>/): one run at a time, nothing stale left from
an earlier run, and an interrupted run says so.

:func:`owned` wraps a run of `make sim` / `make sim-kernel`:
- a second run into the same folder waits on a lock, saying which run holds it;
- the files an earlier run wrote there (its result, trace, pcap, plots, logs) are removed
  before this run starts, so what is in the folder afterwards is this run's;
- Ctrl-C ends the run with one line, "interrupted: N of M images done", no traceback, and
  the result file says `"complete": false` with the reason (exit status 130).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from pathlib import Path
from typing import Iterable, Iterator

INTERRUPTED = 130


class Interrupted(SystemExit):
    """The run was interrupted (Ctrl-C); the result file says so."""


def _progress(folder: Path) -> tuple[int, int] | None:
    try:
        p = json.loads((folder / "progress.json").read_text())
        return int(p["done"]), int(p["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def owned(folder: Path, outputs: Iterable[str], result: str, total: int, unit: str = "images") -> Iterator[Path]:
    """Hold `folder` for one run: lock, clear the `outputs` of earlier runs, and on Ctrl-C
    write `result` (summary.json / report.json) as incomplete and exit 130."""
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / ".run.lock"
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another run"
            print(f"waiting: {folder} is in use by {holder} (one run per output folder)", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        for name in outputs:
            p = folder / name
            if p.is_file() or p.is_symlink():
                p.unlink()
        try:
            yield folder
        except KeyboardInterrupt:
            done = _progress(folder)
            said = f"{done[0]} of {done[1]} {unit} done" if done else f"0 of {total} {unit} done"
            (folder / result).write_text(json.dumps({"complete": False, "error": f"interrupted: {said}",
                                                     "errors": [f"interrupted: {said}"]}, indent=2))
            print(f"\ninterrupted: {said} (partial outputs in {folder})", file=sys.stderr)
            raise Interrupted(INTERRUPTED) from None
