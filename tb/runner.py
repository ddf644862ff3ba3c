"""Build and run a cocotb testbench under Verilator through `cocotb_tools.runner`.

Every RTL test in tests/ calls :func:`run` from pytest with the module's sources, its
parameters and the cocotb test module in tb/. Builds are cached per (toplevel, parameters)
under build/sim_build/ so a second run does not recompile; `WAVES=1` in the environment
builds with FST tracing and writes the waves next to the build.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Mapping

REPO = Path(__file__).resolve().parent.parent
RTL = REPO / "rtl"
BUILD = REPO / "build"

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


def rtl_sources(*names: str) -> list[Path]:
    """Paths of rtl/<name>.sv, checking that each exists."""
    paths = [RTL / f"{n}.sv" for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"RTL source(s) not found: {', '.join(missing)}")
    return paths


def waves_enabled() -> bool:
    return os.environ.get("WAVES", "0") not in ("", "0")


def build_dir_for(toplevel: str, parameters: Mapping[str, object], tag: str = "") -> Path:
    key = json.dumps({"p": {k: str(v) for k, v in sorted(parameters.items())}, "t": tag,
                      "w": waves_enabled()}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return BUILD / "sim_build" / f"{toplevel}-{digest}"


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
) -> Path:
    """Build (if needed) and run `test_module` against `toplevel`; raise if any test fails.

    Returns the build directory. `extra_env` reaches the cocotb test through os.environ
    (use it to pass test configuration as JSON).
    """
    from cocotb_tools.runner import get_runner
    from cocotb_tools.check_results import get_results

    parameters = dict(parameters or {})
    waves = waves_enabled()
    build_dir = build_dir_for(toplevel, parameters, build_tag)
    runner = get_runner("verilator")
    args = list(VERILATOR_ARGS) + list(build_args)
    if waves:
        args += ["--trace-fst", "--trace-structs"]
    build_dir.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers may share a build: serialise building it.
    with open(build_dir.parent / f"{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            parameters=parameters,
            build_args=args,
            build_dir=build_dir,
            always=False,
            timescale=("1ns", "1ps"),
        )
    env = {k: str(v) for k, v in (extra_env or {}).items()}
    env.setdefault("PYTHONPATH", str(REPO))
    results = runner.test(
        hdl_toplevel=toplevel,
        test_module=test_module,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env=env,
        plusargs=list(plusargs),
        testcase=testcase,
        waves=waves,
        seed=seed,
        results_xml=f"results-{os.getpid()}.xml",
    )
    num_tests, num_failed = get_results(Path(results))
    if num_tests == 0:
        raise AssertionError(f"cocotb ran no test from {test_module} on {toplevel}")
    if num_failed:
        raise AssertionError(
            f"{num_failed} of {num_tests} cocotb test(s) in {test_module} failed on {toplevel}; "
            f"log above, build in {build_dir}")
    return build_dir
