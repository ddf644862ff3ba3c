"""One kernel run, prepared from the golden model and checked against it.

`prepare()` writes what the cocotb bench (tb/benches/tb_kernel.py) needs: the stimulus
(tb/jobs/stimulus.py: the words the host writes per image and the words the kernel must write
back, the `$readmemh` files of the parameters) and the job file (tb/jobs/job_file.py). `run()`
builds and simulates the kernel through tb/jobs/runner.py and returns the run's
:class:`~tb.jobs.result.Result` (`report.json`: per image match and cycles, single-image
latency, batch interval). `python -m tb.jobs.kernel_job` is `make sim-<kernel>`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError
from golden.folding import refolded
from golden.networks import DEFAULT_NETWORK
from golden.params import write_layer_hex
from golden.platform import DEFAULT_PLATFORM, PLATFORMS, platform
from hls_out import kernel as kernels
from tb.jobs import clocking, job_file, job_record, run_folder, runner
from tb.jobs.result import Result
from tb.jobs.stimulus import Stimulus, add_source_args, source_paths


def _default_kernel() -> str:
    from golden import networks
    from hls_out.generate import default_kernel
    return default_kernel(networks.default(), "part2")


@dataclass(kw_only=True)
class KernelJob:
    kernel: str = field(default_factory=_default_kernel)
    images: int = 3
    params: str | None = None        # folder of .bin files; None = synthetic network
    cifar: str | None = None         # CIFAR-10 file; None = synthetic images
    seed: int = 1
    init_layers: list[int] = field(default_factory=list)   # loaded by init mode, not preload
    bus_errors: list[dict] = field(default_factory=list)   # inject {buffer: in|out, image, resp}
    # Random pauses on every AXI channel (reproducible); $BNNSPLIT_STALLS=<seed> turns them
    # on for every run, so the whole regression can be repeated under backpressure.
    stall_seed: int | None = field(default_factory=lambda: env_stall_seed())
    # Cycles the host takes no write data at the start of the batch (images 1..n-1): the
    # kernel backs up into every FIFO (the "FIFO seen full" bins of functional coverage).
    hold_writes: int = 0
    # The host spends what BNN-PYNQ's host spends inside its timer around each start (copies,
    # register accesses, polling: golden/host_timing.py); False: the kernel alone. Runs that
    # hold the output back (hold_writes, fill_fifos) measure the kernel alone either way.
    host_timing: bool = True
    # Hold the output back until every FIFO of the kernel has been seen full (at most
    # `hold_writes` cycles, default a budget of twice the batch's expected cycles); give the
    # job at least hls_out.kernel.images_to_fill() images. The report lists the FIFOs seen
    # full and those that never were (`fifos_filled`, `fifos_not_filled`).
    fill_fifos: bool = False
    # Mutation testing: patches to the preloaded hex words {file, line, xor | add}, and a
    # modified copy of the kernel top to simulate instead of hls_out/<kernel>/<kernel>.sv.
    param_patches: list[dict] = field(default_factory=list)
    kernel_sv: str | None = None
    out_dir: str | None = None
    # A kernel from a folder (a user's HLS export, tb/jobs/export_kernel.py) instead of hls_out/:
    # its top module, the network and layer range it implements; its parameters are loaded
    # only through the register map (doInit), as the PYNQ host does.
    kernel_dir: str | None = None
    top: str = field(default_factory=lambda: platform().hls_top)
    # How a folder's kernel gets its parameters: "fast" (the wrapper's SV loader replays the
    # register writes at bus speed) or "python" (the host's AXI4-Lite master, for debugging).
    loader: str = "fast"
    # Batch sizes (numReps) to run after the single image, each over images 1..numReps
    # (default: the rest of the images as one batch); the cycles of each are reported.
    reps: list[int] = field(default_factory=list)
    network: str | None = None
    first: int | None = None
    last: int | None = None
    # The board (golden/platform.py): the kernel's clock in the simulation.
    board: str = DEFAULT_PLATFORM

    @property
    def folder(self) -> Path:
        """build/<kernel name>: never beside the kernel's own files, whatever path names it."""
        return Path(self.out_dir).resolve() if self.out_dir else runner.BUILD / (Path(str(self.kernel)).name or "kernel")


def env_stall_seed() -> int | None:
    import os

    v = os.environ.get("BNNSPLIT_STALLS", "")
    if not v:
        return None
    if not v.isdigit():
        raise BnnInputError(f"BNNSPLIT_STALLS={v!r}: expected a seed (a whole number)")
    return int(v)


def kernel_of(job: KernelJob):
    """The job's kernel: a generated one (hls_out/kernel.py) or a folder's (export_kernel.py)."""
    if job.kernel_dir:
        from tb.jobs.export_kernel import discover
        return discover(job.kernel_dir, job.top, job.network or DEFAULT_NETWORK, job.first, job.last, job.folder)
    return kernels.load(job.kernel)


def prepare(job: KernelJob) -> Path:
    info = kernel_of(job)
    stim = Stimulus.load(job.images, job.params, job.cifar, job.seed, info.network)
    w_in, w_out = stim.words(info.first, info.last)
    if (w_in.shape[1], w_out.shape[1]) != (info.words_in, info.words_out):
        raise BnnInputError(f"{info.folder} says {info.words_in} words in and {info.words_out} "
                            f"out per image; golden/ gives {w_in.shape[1]} and {w_out.shape[1]} for layers "
                            f"{info.first}-{info.last} of {info.network_name} (regenerate with `make hls`)")
    folder = job.folder
    for r in job.reps:
        if not 1 <= r <= job.images - 1:
            raise BnnInputError(f"REPS={','.join(map(str, job.reps))}: a batch of {r} needs IMAGES={r + 1} "
                                f"or more (image 0 runs alone first); IMAGES={job.images}")
    npz = stim.save(folder, [(info.first, info.last)], folding=info.folding)   # the kernel's own SIMD / PE
    hexdir = stim.hex_dir(folder)
    init: dict[str, np.ndarray] = {}
    for i in job.init_layers:
        if not info.first <= i <= info.last:
            raise BnnInputError(f"init layer {i} is not in kernel {job.kernel} (layers {info.first}-{info.last})")
        lp, f = stim.params[i], info.folding
        # The preload of an init-mode layer is a decoy (negated weights): only a working
        # init path can give the expected results.
        bits = info.network.layer(i).weight_bits
        decoy = -lp.weights if bits == 1 else np.clip(-lp.weights.astype(np.int16), -(1 << (bits - 1)),
                                                       (1 << (bits - 1)) - 1)
        write_layer_hex(hexdir, i, decoy, lp.thresholds, f.simd(i), f.pe(i), weight_bits=bits)
        init[f"init{i}_weights"] = lp.weights
        if lp.thresholds is not None:
            init[f"init{i}_thresholds"] = lp.thresholds
    for patch in job.param_patches:
        apply_hex_patch(hexdir / patch["file"], patch)
    if init:
        np.savez(folder / "init.npz", **init)
    if job.kernel_dir:      # the register writes of every parameter word, for the fast loader
        from tb.host.param_loader import job_writes, write_list_file
        if job.loader not in ("fast", "python"):
            raise BnnInputError(f"loader {job.loader!r}: expected fast or python")
        writes, _ = job_writes(info.network_name, job.params, job.seed, info.first, info.last)
        write_list_file(writes, folder / "load" / f"{info.top}.writes")
    f = info.folding
    paper = info.paper()
    try:
        bus_errors = tuple(job_file.InjectedBusError(**e) for e in job.bus_errors)
    except TypeError:
        raise BnnInputError(f"bus_errors {job.bus_errors!r}: expected entries {{buffer, image, resp}}") from None
    return job_file.write(folder / "job.json", job_file.KernelJobSpec(
        kernel=info.name, network=info.network_name, first=info.first, last=info.last, info=info.data,
        board=job.board, period_ps=platform(job.board).period_ps,
        npz=str(npz), init_npz=str(folder / "init.npz") if init else None,
        report=str(folder / "report.json"), progress=str(folder / "progress.json"),
        params=job.params, params_source=stim.source, seed=job.seed, stall_seed=job.stall_seed,
        hold_writes=job.hold_writes, fill_fifos=job.fill_fifos, host_timing=job.host_timing,
        init_layers=tuple(job_file.InitLayer(layer=i, simd=f.simd(i), pe=f.pe(i),
                                             weight_bits=info.network.layer(i).weight_bits)
                          for i in job.init_layers),
        bus_errors=bus_errors, reps=tuple(job.reps),
        # A folder's kernel starts with empty memories: every word goes through doInit.
        init_all=bool(job.kernel_dir), loader=job.loader if job.kernel_dir else None,
        paper_latency_cycles=paper.latency_cycles if paper else None))


def apply_hex_patch(path: Path, patch: dict) -> None:
    """XOR a mask into, or add a (signed) value to, one 64-bit word of a $readmemh file."""
    lines = path.read_text().split()
    k = patch["line"]
    if not 0 <= k < len(lines):
        raise BnnInputError(f"patch of {path.name}: line {k} out of range (file has {len(lines)})")
    v = int(lines[k], 16)
    v = v ^ patch["xor"] if "xor" in patch else (v + patch["add"]) & (2**64 - 1)
    lines[k] = f"{v:016x}"
    path.write_text("\n".join(lines) + "\n")


def _mutant_tag(path: str | None) -> str:
    """Build-cache key of a substitute kernel top: its content, so a rerun reuses the build."""
    if not path:
        return ""
    import hashlib
    return "mutant:" + hashlib.sha1(Path(path).read_bytes()).hexdigest()[:12]


def kernel_sources(kernel: str | Path, top_sv: str | Path | None = None) -> list[Path]:
    return sorted(runner.RTL.glob("*.sv")) + [Path(top_sv) if top_sv else kernels.load(kernel).sv]


def kernel_toplevel(kernel: str | Path, top_sv: str | Path | None = None, build_tag: str = "",
                    clock: str | None = None, period_ps: int | None = None) -> tuple[str, list[Path], list[str]]:
    """(toplevel, sources, Verilator build options) of a simulation of `kernel` (from
    `top_sv` if given), clocked as `clock` says (default: clocking.clock_mode()): "loop", the
    kernel itself with ap_clk toggled by the simulation's main loop (its period: the run's
    plusarg, clocking.loop_clock_plusarg); "hdl", the clock wrapper <kernel>_tb with a period of
    `period_ps` (default: the default platform's) generated into its build folder and built
    with --timing; "cocotb", the kernel itself under cocotb's Clock (tb/jobs/clocking.py)."""
    sources = kernel_sources(kernel, top_sv)
    module = kernels.load(kernel).top     # `kernel` may be a generated kernel's folder
    clock = clock or clocking.clock_mode()
    if clock == "loop":
        return module, sources, clocking.loop_clock_args("ap_clk")
    if clock == "cocotb":
        return module, sources, []
    top = module + clocking.WRAPPER_SUFFIX
    wrapper = clocking.write_clock_wrapper(module, sources[-1], runner.build_dir_for(top, {}, build_tag),
                                           {"ap_clk": period_ps or clocking.DEFAULT_PERIOD_PS})
    return top, sources + [wrapper], ["--timing"]


def run(job: KernelJob, show_progress: bool = False) -> Result:
    """Build and simulate the job's kernel; `show_progress` draws a progress bar on the
    terminal meanwhile (parameter words of an export's load, then images)."""
    import contextlib
    import time

    from tb.jobs.progress import ProgressBar

    job_record.record("kernel", job, run)
    path = prepare(job)
    report = job.folder / "report.json"
    report.unlink(missing_ok=True)
    error = None
    log = job.folder / "sim.log"
    public = "auto"
    period_ps = platform(job.board).period_ps
    if job.kernel_dir:
        from tb.jobs import export_kernel
        k = kernel_of(job)
        # No preload: the memories start empty, as on the board; the host loads every word.
        top, sources, build_args, tag = export_kernel.build_setup(k, job.folder / "src")
        plusargs = [f"+bnnsplit_loader={job.folder / 'load'}"]
        public = "ports"
    else:
        k = kernels.load(job.kernel)
        tag = _mutant_tag(job.kernel_sv)
        top, sources, build_args = kernel_toplevel(job.kernel, job.kernel_sv, tag, period_ps=period_ps)
        plusargs = [f"+PARAMS_DIR={Stimulus.hex_dir(job.folder)}"]
    loop_ports = clocking.loop_clock_ports(build_args)
    if loop_ports:          # the main loop's clock, at the board's period
        plusargs.append(clocking.loop_clock_plusarg(dict.fromkeys(loop_ports, period_ps)))
    t0 = time.perf_counter()
    try:
        runner.build(top, sources, build_args=build_args, build_tag=tag, public=public,
                     log_file=None if runner.verbose() else job.folder / "build.log")
    except RuntimeError as exc:
        if job.kernel_dir:
            raise export_kernel.BuildError(job.kernel_dir, str(exc), job.folder / "build.log") from None
        raise AssertionError(f"building kernel {top}: {exc}") from None
    t1 = time.perf_counter()
    bar = (ProgressBar(job.folder / "progress.json", job.images, f"{top}") if show_progress and not runner.verbose()
           else contextlib.nullcontext())
    try:
        with bar:
            runner.run(top, sources, "tb.benches.tb_kernel", build_tag=tag, build_args=build_args,
                       extra_env=job_file.env(path), plusargs=plusargs, public=public,
                       waves_file=str(job.folder / "waves.fst") if runner.waves_enabled() else None,
                       log_file=log)
    except AssertionError as exc:   # the report still says what went wrong, image by image
        error = exc
    t2 = time.perf_counter()
    if not report.exists():
        raise AssertionError(f"kernel {top} wrote no report ({error})")
    result = Result.read(report)
    if error is not None and not result.errors:
        result.errors.append(str(error))
    result.figures |= {"build_s": t1 - t0, "sim_s": t2 - t1}
    # the network's own folding of its layers? (the planner calibrates on those only)
    result.figures["refolded"] = refolded(k.folding, k.first, k.last)
    result.write(report)
    return result


def print_report(r: Result, board: str = DEFAULT_PLATFORM) -> None:
    """The run's table and figures; times at the clock of `board` (golden/platform.py)."""
    mhz = platform(board).clock_hz / 1e6
    print(f"kernel {r.name} of {r.network} ({r.params}), {r.images} image(s)")
    print(f"{'image':>5} {'class':>5} {'label':>5} {'match':>5} {'cycles':>9}")
    for im in r.per_image:
        cells = ["" if v is None else v for v in (im.predicted, im.label, im.cycles)]
        print(f"{im.image:>5} {cells[0]!s:>5} {cells[1]!s:>5} {'yes' if im.match else 'NO':>5} {cells[2]!s:>9}")
    f = r.figures
    paper = f.get("paper_latency_cycles")
    if f.get("param_words_loaded"):
        print(f"parameters: {f['param_words_loaded']} words through doInit ({f.get('param_loader')} loader) in "
              f"{f['param_load_cycles']} cycles, {f['param_load_wall_s']:.1f} s ({f['param_words_per_s']:.0f} words/s)")
    if f.get("latency_cycles"):
        print(f"latency (1 image, start->done): {f['latency_cycles']} cycles = {f['latency_cycles'] / mhz:.2f} us "
              f"@{mhz:g}MHz"
              + (f"; paper Table I {paper} ({100 * f['latency_vs_paper']:+.1f}%)" if paper else ""))
    g = f.get("host_region") or {}
    if g.get("host_timed_us") is not None:
        print(f"host timed region (1 image: copy in {g['copy_in_us']:.2f} us, numReps, ExecAccel "
              f"{g['exec_accel_us']:.2f} us, copy out): {g['host_timed_us']:.2f} us"
              + (f"; paper Table I {paper / mhz:.2f} us ({100 * (g['host_timed_us'] * mhz - paper) / paper:+.2f}%)"
                 if paper else ""))
    for b in f.get("batches") or []:
        if b["cycles"]:
            print(f"batch of {b['num_reps']} (numReps = {b['num_reps']}): {b['cycles']} cycles; model "
                  f"{b['model_cycles']} ({100 * (b['model_cycles'] - b['cycles']) / b['cycles']:+.2f}%)")
    if f.get("steady_interval_cycles"):
        sizes = [b["num_reps"] for b in f.get("batches") or []][-2:]
        print(f"steady-state interval: {f['steady_interval_cycles']:.1f} cycles per image (past the pipeline's "
              f"fill: between numReps = {sizes[0]} and {sizes[1]}); slowest layer {f['analytic_interval_cycles']}")
    elif f.get("batch_interval_cycles"):
        print(f"mean interval over the batch of {f['batch_images']} (includes the pipeline's fill; REPS=a,b "
              f"measures the steady state): {f['batch_interval_cycles']:.0f} cycles; slowest layer "
              f"{f['analytic_interval_cycles']}")
    print(f"mismatches: {r.mismatches}")
    if r.error:
        print(f"error: {r.error}")


# What a kernel run writes into its folder (an earlier run's are removed first).
OUTPUTS = ("report.json", "job.json", "sim.log", "build.log", "progress.json", "stimulus.npz", "init.npz",
           "waves.fst", "waves.vcd")


def _reps(text: str) -> list[int]:
    """REPS=8,21,84: batch sizes, ascending."""
    if not text.strip():
        return []
    try:
        reps = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise BnnInputError(f"REPS={text!r}: expected batch sizes separated by commas, e.g. 8,21,84") from None
    if any(r < 1 for r in reps):
        raise BnnInputError(f"REPS={text!r}: every batch size (numReps) must be at least 1")
    return sorted(set(reps))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.kernel_job",
                                 description="Run one generated kernel under Verilator and check it")
    ap.add_argument("--kernel", help=f"a kernel of hls_out/ (default {_default_kernel()})")
    ap.add_argument("--network", help="with --role: the network whose kernel to run")
    ap.add_argument("--role", choices=("full", "part1", "part2"),
                    help="run the network's kernel of this role (its natural split)")
    ap.add_argument("--images", type=int, default=3)
    add_source_args(ap)
    ap.add_argument("--stall-seed", type=int, help="random pauses on every AXI channel, with this seed")
    ap.add_argument("--no-host-timing", dest="host_timing", action="store_false",
                    help="the kernel alone: the host spends no time on copies, registers or polling")
    ap.add_argument("--init-layer", type=int, action="append", default=[],
                    help="load this layer through AXI4-Lite init mode instead of preload")
    ap.add_argument("--kernel-dir", help="a folder with a BlackBoxJam RTL export (your own HLS export)")
    ap.add_argument("--top", default=platform().hls_top, help=f"its top module (default {platform().hls_top})")
    ap.add_argument("--board", default=DEFAULT_PLATFORM,
                    help=f"the board (golden/platform.py: {', '.join(PLATFORMS)}): the kernel's clock")
    ap.add_argument("--first", type=int, help="with --kernel-dir: first layer it implements (default 0)")
    ap.add_argument("--last", type=int, help="with --kernel-dir: last layer (default the network's last)")
    ap.add_argument("--out", help="output folder (default build/<kernel>)")
    ap.add_argument("--reps", default="", help="batch sizes (numReps) to run after the single image, "
                    "e.g. 8,21,84 (default: the rest of the images as one batch)")
    ap.add_argument("--loader", choices=("fast", "python"), default="fast",
                    help="with --kernel-dir: how the parameters are loaded (python: the host's "
                         "AXI4-Lite master, for debugging; same words, same cycles)")
    args = ap.parse_args(argv)
    try:
        if not 1 <= args.images <= 100_000:
            raise BnnInputError(f"IMAGES={args.images}: expected 1..100000 images for one kernel run")
        reps = _reps(args.reps)
        if args.kernel_dir:
            from golden import networks
            net = networks.get(args.network)
            params, cifar = source_paths(args, net.name)
            job = KernelJob(kernel=args.top, images=args.images, params=params, cifar=cifar,
                            stall_seed=args.stall_seed, board=platform(args.board).name,
                            kernel_dir=args.kernel_dir, top=args.top, network=net.name, first=args.first,
                            last=args.last,
                            # one folder per export: runs of two exports do not share files
                            out_dir=args.out or str(runner.BUILD / "sim-kernel" / (Path(args.kernel_dir).resolve().name
                                                                                   or "root")),
                            loader=args.loader, reps=reps, host_timing=args.host_timing)
        else:
            from golden import networks
            if args.role:
                from hls_out.generate import default_kernel, is_builtin, kernel_for_range
                net = networks.get(args.network)
                if is_builtin(net):          # its committed kernel, by name
                    args.kernel = default_kernel(net, args.role)
                else:                        # an imported network's, generated into its folder's hls/
                    args.kernel = str(kernel_for_range(net, *net.natural_ranges()[args.role],
                                                       runner.BUILD / "kernels"))
            args.kernel = args.kernel or _default_kernel()
            info = kernels.load(args.kernel)
            if args.network and networks.get(args.network) is not networks.get(info.network_name):
                raise BnnInputError(f"NETWORK={args.network}: kernel {args.kernel} implements layers "
                                    f"{info.first}-{info.last} of {info.network_name} (its kernel.json)")
            params, cifar = source_paths(args, info.network_name)
            job = KernelJob(kernel=args.kernel, images=args.images, params=params, cifar=cifar,
                            init_layers=args.init_layer, stall_seed=args.stall_seed, out_dir=args.out, reps=reps,
                            board=platform(args.board).name, host_timing=args.host_timing)
        with run_folder.owned(job.folder, OUTPUTS, "report.json", job.images):
            r = run(job, show_progress=sys.stdout.isatty() or bool(job.kernel_dir))
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if r.figures.get("input_error"):
        print(f"error: {r.figures['input_error']}", file=sys.stderr)
        return 2
    print_report(r, job.board)
    print(f"report: {job.folder / 'report.json'}, log: {job.folder / 'sim.log'}")
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
