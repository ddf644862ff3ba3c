"""Where a command's output files go, checked before any work is done; by default, under the
repository's build/ folder."""

from __future__ import annotations

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
