"""Lint the hand-written RTL: `python -m tb.jobs.lint [rtl/foo.sv ...]` (default: every rtl/*.sv).

Each file is checked on its own with `verilator --lint-only -Wall`, its module (the file
name) as top and rtl/ as the library path for the modules it instantiates, with default
parameters, and once more for every `// lint-params: NAME=VALUE ...` line in the file (so
generate branches that the defaults do not reach are linted too). Prints one line per file
(and Verilator's messages for failing runs) and exits non-zero if any run has a warning or
error. Waivers belong in the RTL, as `/* verilator lint_off RULE */` comments that say why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tb.jobs.runner import RTL


def verilator() -> str:
    """The Verilator on PATH: importing tb.jobs.runner put the venv's shim first (the system
    one may be too old)."""
    found = shutil.which("verilator")
    if not found:
        raise SystemExit("verilator not found: run `make venv`")
    return found


PARAMS_RE = re.compile(r"^\s*//\s*lint-params:\s*(.*?)\s*$", re.M)


def param_sets(text: str) -> list[list[str]]:
    """[] (defaults) plus the -G options of each `// lint-params:` line."""
    sets: list[list[str]] = [[]]
    for m in PARAMS_RE.finditer(text):
        sets.append([f"-G{item}" for item in m.group(1).split()])
    return sets


def lint_file(path: Path, exe: str) -> tuple[bool, str, int]:
    """Lint one file under each of its parameter sets: (clean, messages, runs)."""
    top = path.stem
    text = path.read_text()
    if not re.search(rf"^\s*module\s+{re.escape(top)}\b", text, re.M):
        return False, f"{path.name}: no module named {top!r} (one module per file, named as the file)", 0
    outs = []
    ok = True
    sets = param_sets(text)
    for params in sets:
        cmd = [exe, "--lint-only", "-Wall", "--top-module", top, "-y", str(path.parent),
               "+libext+.sv", *params, str(path)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = (proc.stdout + proc.stderr).strip()
        issues = [ln for ln in out.splitlines() if ln.startswith(("%Warning", "%Error"))]
        if proc.returncode != 0 or issues:
            ok = False
            outs.append(f"[{' '.join(params) or 'default parameters'}]\n{out}")
    return ok, "\n".join(outs), len(sets)


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] if argv else sorted(RTL.glob("*.sv"))
    if not files:
        print("lint: no RTL files found")
        return 1
    exe = verilator()
    failed = 0
    for path in files:
        ok, out, runs = lint_file(path.resolve(), exe)
        print(f"{'ok  ' if ok else 'FAIL'} {path.name}"
              + (f" ({runs} parameter sets)" if runs > 1 else ""))
        if not ok:
            failed += 1
            for line in out.splitlines():
                if not line.startswith("- V"):        # skip Verilator's report lines
                    print(f"     {line}")
    print(f"lint: {len(files) - failed} clean, {failed} with warnings or errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
