"""Where a command's output files go, checked before any work is done; by default, under the
repository's build/ folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from golden.errors import BnnInputError

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"      # every command's outputs by default (simulations, plans, reports)


def output_file(path: Path, flag: str, suffix: str | None = None) -> Path:
    """Where an output goes, checked before any work: its folder exists, it is not a folder.
    `suffix`: what np.save appends when the name lacks it."""
    path = Path(path)
    if path.is_dir():
        raise BnnInputError(f"{flag} {path} is a folder; expected a file name in it")
    if suffix and path.suffix != suffix:
        path = path.with_name(path.name + suffix)
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise BnnInputError(f"{flag} {path}: the folder {folder} {what}; create it first")
    if path.is_dir():
        raise BnnInputError(f"{flag} {path} is a folder; expected a file name in it")
    return path


def run_module_in_child(module: str, argv: list[str]) -> int:
    """`python -m module argv...` in a child process with this repository on its path; its
    output and exit status are the caller's. How a lower layer (golden/, netsim/) hands a
    command over to the testbench above it, which it never imports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    sys.stdout.flush()
    return subprocess.call([sys.executable, "-m", module, *argv], env=env)
