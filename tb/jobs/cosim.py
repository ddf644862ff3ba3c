"""The split-pipeline co-simulation (`make sim`): every board's kernel RTL in one Verilator
run, joined by netsim's Ethernet link in simulation time, checked bit-exactly against golden/.

    python -m tb.jobs.cosim --topology split --images 20 [--loss 0.05] [--latency-us 5]
    python -m tb.jobs.cosim --plan 0-3x2,4-5x2,6-8x1 --images 8     # any partition plan

Writes to build/sim/: summary.json, link.pcap, timeline.png (and waves.fst with WAVES=1).
Link and host parameters are first-principles defaults (netsim.config.LinkConfig): 1 Gb/s,
TCP, one store-and-forward switch (1 us), 25 ns of cable, 10 us of host software per message.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from golden import networks
from golden.errors import BnnInputError
from golden.platform import DEFAULT_PLATFORM, PLATFORMS, platform
from hls_out import kernel as kernels
from hls_out.resources import fit_warnings, synthesized
from hls_out.generate import kernel_for_range, render_system
from netsim.config import ConfigError, TopologyConfig
from netsim.kernel import stage_timing
from tb.host.param_loader import job_writes, write_list_file
from tb.jobs import clocking, export_wrapper, job_file, job_record, run_folder, runner
from tb.jobs.kernel_job import env_stall_seed
from tb.jobs.progress import ProgressBar
from tb.jobs.result import Result
from tb.jobs.stimulus import Stimulus, add_source_args, source_paths


@dataclass(kw_only=True)
class CosimJob:
    topology: str = "split"
    images: int = 20
    params: str | None = None
    cifar: str | None = None
    seed: int = 1
    batch: int = 1
    loss: float = 0.0
    latency_us: float | None = None   # one-way cable propagation (default: netsim's 25 ns)
    faults: dict | None = None        # any netsim FaultConfig fields (overrides `loss`)
    transport: dict | None = None     # netsim TransportConfig fields (e.g. rto_ps, max_retries)
    stall_seed: int | None = field(default_factory=lambda: env_stall_seed())   # AXI pauses
    ppm: float = 0.0                  # board clocks alternate +ppm / -ppm around the platform's
    host_timing: bool = True          # hosts spend their timed region's costs (golden/host_timing.py)
    out_dir: str | None = None
    network: str = networks.DEFAULT_NETWORK
    plan: str | None = None           # stages FIRST-LASTxREPLICAS,...; overrides `topology`
    fail: str | None = None           # STAGE:REPLICA@TIME_US[,...]: that board dies then
    # The boards' platform (golden/platform.py): their clock, and the fit check of every stage.
    board: str = DEFAULT_PLATFORM
    first_image: int = 0              # the job's images are first_image.. of the data set
    # Boards of a stage given by a folder (a user's HLS export, tb/jobs/export_kernel.py):
    # {stage: folder}; their parameters are loaded through doInit before the job starts.
    stage_dirs: dict = field(default_factory=dict)
    top: str = field(default_factory=lambda: platform().hls_top)
    allow_large: bool = False         # past MAX_BOARDS / MAX_IMAGES

    @property
    def folder(self) -> Path:
        return Path(self.out_dir).resolve() if self.out_dir else runner.BUILD / "sim"

    def check(self) -> None:
        """The job's numbers, each finite and in range, with the make variable named."""
        import math
        for name, value, lo in (("LATENCY_US", self.latency_us, 0.0), ("LOSS", self.loss, 0.0), ("PPM", self.ppm, None)):
            if value is None:
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value) or (lo is not None and value < lo):
                raise BnnInputError(f"{name}={value}: expected a finite number{f' >= {lo:g}' if lo is not None else ''}"
                                    f"{' (microseconds of one-way cable delay)' if name == 'LATENCY_US' else ''}")
        if not 0 <= self.loss < 1:
            raise BnnInputError(f"LOSS={self.loss}: expected a frame loss probability in [0, 1)")
        if abs(self.ppm) > 1000:
            raise BnnInputError(f"PPM={self.ppm}: expected a clock offset within +-1000 ppm (crystals are +-50)")
        if not 1 <= self.images <= MAX_IMAGES and not self.allow_large:
            raise BnnInputError(f"IMAGES={self.images}: expected 1..{MAX_IMAGES} for one co-simulation "
                                f"(use make regress for more, or --allow-large)")
        boards = len(self.topology_config(checked=False).boards)
        if boards > MAX_BOARDS and not self.allow_large:
            raise BnnInputError(f"the system has {boards} boards; one co-simulation on this machine takes up to "
                                f"{MAX_BOARDS} (each board is a kernel simulated every cycle); --allow-large lifts this")

    def topology_config(self, checked: bool = True) -> TopologyConfig:
        if checked:
            self.check()
        board = platform(self.board)      # the boards' Ethernet port and their hosts' software
        link: dict = {"rate_bps": board.link_bps, "host_send_overhead_ps": board.host_send_overhead_ps,
                      "host_recv_overhead_ps": board.host_recv_overhead_ps}
        if self.loss or self.faults:
            link["faults"] = dict(self.faults or {"loss": self.loss})
        if self.latency_us is not None:
            link["propagation_ps"] = int(self.latency_us * 1e6)
        cfg = {"topology": self.topology, "images": self.images, "batch": self.batch,
               "seed": self.seed, "link": link, "network": self.network, "plan": self.plan}
        if self.fail:
            cfg["fail"] = self.fail
        if self.transport:
            cfg["transport"] = dict(self.transport)
        try:
            config = TopologyConfig.from_dict(cfg)
            # The timed model's kernels (failover timeouts) at the boards' clock.
            net, clock_hz = networks.get(self.network), board.clock_hz
            folding = config.partition().folding()
            timings = dict(config.kernels) | {f"{s.first}-{s.last}": stage_timing(net, s.first, s.last, clock_hz,
                                                                                  folding)
                                              for s in config.stages}
            return dataclasses.replace(config, kernels=timings).validate()
        except ConfigError as exc:
            raise BnnInputError(f"topology config: {exc}") from None


# What one co-simulation on a 2-core machine can run in reasonable time (--allow-large lifts it).
MAX_BOARDS = 16
MAX_IMAGES = 10_000


def board_kernels(job: CosimJob, cfg: TopologyConfig) -> list[tuple[str, kernels.KernelInfo]]:
    """(board, kernel) pairs of the system: each board runs the kernel of its stage's layer
    range (a committed kernel of hls_out/, or one generated into build/kernels/)."""
    net = networks.get(job.network)
    stages = cfg.stages
    for key, folder in job.stage_dirs.items():
        if not str(key).strip().isdigit() or int(key) >= len(stages):
            raise BnnInputError(f"STAGE_DIR={key}={folder}: the plan has no stage {key} (stages 0-{len(stages) - 1}: "
                                + ", ".join(f"{k}: layers {st.first}-{st.last}" for k, st in enumerate(stages)) + ")")
        if not str(folder).strip():
            raise BnnInputError(f"STAGE_DIR={key}=: no folder given (STAGE=DIR, DIR the folder of your HLS export)")
    pairs = []
    exports = {}
    for b in cfg.boards:
        if str(b.stage) in {str(k) for k in job.stage_dirs}:
            if b.stage not in exports:
                from tb.jobs.export_kernel import discover
                folder = {str(k): v for k, v in job.stage_dirs.items()}[str(b.stage)]
                exports[b.stage] = discover(folder, job.top, net.name, b.first, b.last,
                                            job.folder / f"export-stage{b.stage}", label=f"STAGE_DIR={b.stage}")
            pairs.append((b.name, exports[b.stage]))
            continue
        info = kernels.load(kernel_for_range(net, b.first, b.last, runner.BUILD / "kernels", stages[b.stage].fold))
        if info.network_name != net.name or (info.first, info.last) != (b.first, b.last):
            raise BnnInputError(f"{info.folder / 'kernel.json'}: layers {info.first}-{info.last} of "
                                f"{info.network_name}; board {b.name} needs layers {b.first}-{b.last} of {net.name}")
        pairs.append((b.name, info))
    return pairs


def prepare(job: CosimJob) -> Path:
    cfg = job.topology_config()
    # A stage that does not fit its board is still simulated, but never silently.
    plan = cfg.partition()
    warnings = fit_warnings(networks.get(job.network), [(s.first, s.last) for s in cfg.stages],
                            platform(job.board), synthesized(), folding=plan.folding())
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    pairs = board_kernels(job, cfg)
    stim = Stimulus.load(job.images, job.params, job.cifar, job.seed, job.network, job.first_image)
    net = stim.network
    folder = job.folder
    ranges = sorted({(k.first, k.last) for _, k in pairs}) + [(0, net.last)]
    npz = stim.save(folder, sorted(set(ranges)), folding=plan.folding())   # each layer in its stage's folding
    period_ps = platform(job.board).period_ps
    wrappers: dict[str, str] = {}
    boards = []
    for i, (name, info) in enumerate(pairs):
        sign = 1 if i % 2 == 0 else -1
        export = not isinstance(info, kernels.KernelInfo)
        if export and info.top not in wrappers:   # one list and one host wrapper per export: its boards share them
            writes, _ = job_writes(net.name, job.params, job.seed, info.first, info.last)
            write_list_file(writes, folder / "load" / f"{info.top}.writes")
            wrappers[info.top] = str(export_wrapper.write(info.top, info.port_list, str(info.top_source),
                                                          info.sources[0].parent))
        boards.append(job_file.BoardEntry(
            name=name, kernel=info.name, role=info.role, first=info.first, last=info.last,
            sources=tuple(str(s) for s in info.sources) if export else (str(info.sv),),
            export=export, ports=tuple(sorted(info.ports)) if export else None,
            wrapper=wrappers[info.top] if export else None, words_in=info.words_in, words_out=info.words_out,
            info=info.data, period_ps=int(round(period_ps * (1 + sign * job.ppm * 1e-6)))))
    slowest_ms = 5.0  # a generous bound on one kernel run of one image (part 1: ~3.5 ms)
    (folder / "system.sv").write_text(render_system(
        [(b.name, b.kernel + export_wrapper.SUFFIX, list(b.ports), export_wrapper.HOST_PORTS) if b.export
         else (b.name, b.kernel) for b in boards]))
    return job_file.write(folder / "job.json", job_file.SystemJobSpec(
        network=net.name, last_layer=net.last, board=job.board, boards=tuple(boards), topology=cfg.to_dict(),
        npz=str(npz), summary=str(folder / "summary.json"), trace=str(folder / "trace.json"),
        progress=str(folder / "progress.json"), pcap=str(folder / "link.pcap"),
        params=job.params, params_source=stim.source, seed=job.seed, stall_seed=job.stall_seed,
        host_timing=job.host_timing, timeout_ms=50 + 4 * slowest_ms * job.images, warnings=tuple(warnings)))


def run(job: CosimJob, show_progress: bool = False) -> Result:
    """Co-simulate the job; the simulator's output goes to <folder>/sim.log (V=1: the
    terminal), `show_progress` draws a progress bar meanwhile."""
    job_record.record("system", job, run)
    path = prepare(job)
    spec = job_file.load(path, job_file.SystemJobSpec)
    folder = job.folder
    rtl = sorted(runner.RTL.glob("*.sv"))
    sources = rtl + _board_sources(spec, rtl) + [folder / "system.sv"]
    build_args: list[str] = []
    exports = any(b.export for b in spec.boards)
    plusargs = [f"+bnnsplit_loader={folder / 'load'}"] if exports else []
    if exports:      # each export with its host wrapper (the fast parameter loader)
        from tb.jobs import export_kernel
        build_args = list(export_kernel.BUILD_ARGS)
        wrappers = sorted({b.wrapper for b in spec.boards if b.export})
        sources[-1:-1] = [*map(Path, wrappers), export_wrapper.LOADER_SV]
    plusargs.append(f"+PARAMS_DIR={Stimulus.hex_dir(folder)}")
    if clocking.clock_mode() == "loop":     # every board's clock toggled by the main loop
        clocks = {f"{b.name}_ap_clk": b.period_ps for b in spec.boards}
        build_args += clocking.loop_clock_args(*clocks)
        plusargs.append(clocking.loop_clock_plusarg(clocks))
    summary = Path(spec.summary)
    summary.unlink(missing_ok=True)
    tag = "+".join(f"{b.name}:{b.kernel}" for b in spec.boards)
    error = None
    log = folder / "sim.log"
    quiet = not runner.verbose()
    try:
        with ProgressBar(Path(spec.progress), job.images, f"{spec.topology['plan'] or job.topology}") \
                if quiet and show_progress else contextlib.nullcontext():
            runner.run("bnnsplit_system", sources, "tb.benches.tb_system", extra_env=job_file.env(path),
                       plusargs=plusargs, build_tag=tag, build_args=build_args,
                       public="auto",
                       waves_file=folder / "waves.fst" if runner.waves_enabled() else None, log_file=log)
    except AssertionError as exc:
        error = str(exc)
    if not summary.exists():
        raise AssertionError(f"co-simulation wrote no result ({error})")
    result = Result.read(summary)
    if error is not None and not result.errors:
        result.errors.append(error)
        result.write(summary)
    plot_timeline(spec, json.loads(Path(spec.trace).read_text()), folder / "timeline.png")
    return result


def _board_sources(spec: job_file.SystemJobSpec, rtl: list[Path]) -> list[Path]:
    """Every board's kernel sources, once each; an export's copy of a module this project's
    rtl/ already has (our own kernels exported to a folder) is left out when identical, and is
    an error otherwise (two different modules of one name cannot share a simulation)."""
    ours = {p.name: p.read_text() for p in rtl}
    out: list[Path] = []
    for b in spec.boards:
        for s in map(Path, b.sources):
            if s in out:
                continue
            if s.name in ours:
                text = s.read_text()
                if text.startswith("`line 1 "):     # the copy's directive naming the user's file
                    text = text.split("\n", 1)[1]
                if text == ours[s.name]:
                    continue
                raise BnnInputError(f"{s}: a file named like this project's rtl/{s.name} but different; "
                                    f"rename the export's module to simulate it next to this project's kernels")
            out.append(s)
    return out


def plot_timeline(spec: job_file.SystemJobSpec, trace: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    boards = [b.name for b in spec.boards]
    wires = sorted({f[1] for f in trace["frames_log"]})
    fig, ax = plt.subplots(figsize=(11, 1 + 0.45 * (len(boards) + len(wires))))
    rows = boards + wires
    for r, name in enumerate(boards):
        ivs = [(s / 1e6, (e - s) / 1e6) for s, e, _ in trace["boards"].get(name, {}).get("intervals", [])]
        ax.broken_barh(ivs, (r - 0.4, 0.8), facecolor="tab:blue", edgecolor="white")
        for s, e, ids in trace["boards"].get(name, {}).get("intervals", []):
            ax.text((s + e) / 2e6, r, ",".join(map(str, ids)), ha="center", va="center", fontsize=6, color="white")
    for r, w in enumerate(wires, start=len(boards)):
        xs = [f[0] / 1e6 for f in trace["frames_log"] if f[1] == w]
        bad = [f[0] / 1e6 for f in trace["frames_log"] if f[1] == w and (f[3] or f[4])]
        ax.plot(xs, [r] * len(xs), "|", color="tab:green", markersize=8)
        if bad:
            ax.plot(bad, [r] * len(bad), "x", color="tab:red", markersize=6)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("simulation time (us)")
    ax.set_title(f"{spec.topology['topology']}: kernel runs (blue, image ids) and frames on each cable "
                 f"(green; red = lost/corrupted)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_summary(s: Result) -> None:
    f = s.figures
    print(f"topology {s.name} of {s.network} ({', '.join(b['name'] for b in f['boards'])}), "
          f"{s.images} images, {s.params}")
    print(f"{'image':>5} {'class':>5} {'label':>5} {'match':>5} {'latency_us':>11}")
    for im in s.per_image:
        label = "" if im.label is None else im.label
        lat = "" if im.latency_us is None else f"{im.latency_us:.1f}"
        print(f"{im.image:>5} {im.predicted!s:>5} {label!s:>5} {'yes' if im.match else 'NO':>5} {lat:>11}")
    if f.get("throughput_img_s"):
        print(f"throughput {f['throughput_img_s']:.1f} img/s, response time {f['response_time_s']:.6f} s")
        steady = f.get("steady_state_img_s")
        print(f"single-image latency {f['single_image_latency_us']:.1f} us, steady state "
              + (f"{steady:.1f} img/s" if steady else "- (too few images)") + f" (numReps = {f.get('batch', 1)})")
        print("board busy: " + ", ".join(f"{k} {v:.1%}" for k, v in f["board_busy"].items()))
        util = f.get("link_utilisation") or {}
        if util:
            w = max(util, key=util.get)
            print(f"link utilisation: max {util[w]:.2%} on {w}")
        print(f"frames {f['frames']}, retransmissions {f['retransmissions']}")
    if f.get("killed"):
        for k in f["killed"]:
            print(f"failure: {k['board']} (stage {k['stage']}) died at {k['at_ps'] / 1e6:.1f} us")
        for e in f.get("failover_log", []):
            print(f"failover: stage {e['stage']} replica {e['replica']} declared dead at {e['detected_ps'] / 1e6:.1f} us "
                  f"by {e['by']}, re-sent images {e['resent']}")
    print(f"mismatches {s.mismatches}, lost {len(s.lost)}, duplicated {s.duplicated}"
          + (f", failovers {f['failovers']}, resent {f['resent']}" if f.get("killed") else ""))
    for k, where in list((f.get("lost_where") or {}).items())[:10]:
        print(f"lost: image {k}: {where}")
    if s.error:
        print(f"error: {s.error}")


# What a co-simulation writes into its folder (an earlier run's are removed first).
OUTPUTS = ("summary.json", "job.json", "trace.json", "progress.json", "link.pcap", "timeline.png", "sim.log",
           "build.log", "stimulus.npz", "system.sv", "waves.fst", "waves.vcd")


def _stage_dir(text: str) -> tuple[str, str]:
    stage, sep, folder = text.partition("=")
    if not sep or not stage.strip().isdigit():
        raise BnnInputError(f"--stage-dir {text!r}: expected STAGE=DIR, e.g. 1=path/to/export")
    return stage.strip(), folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.cosim", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topology", default="split", help="split, split-B (B boards), full")
    ap.add_argument("--plan", help="partition plan FIRST-LASTxREPLICAS,... (overrides --topology)")
    ap.add_argument("--stage-dir", action="append", default=[], metavar="STAGE=DIR",
                    help="the boards of this stage run the kernel in DIR (your own HLS export)")
    ap.add_argument("--top", default=platform().hls_top, help="with --stage-dir: the export's top module")
    ap.add_argument("--fail", help="STAGE:REPLICA@TIME_US[,...]: that board's kernel stops answering and its "
                    "link goes dark then (failover)")
    ap.add_argument("--images", type=int, default=20)
    add_source_args(ap)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--latency-us", type=float)
    ap.add_argument("--ppm", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stall-seed", type=int, help="random pauses on every AXI channel, with this seed")
    ap.add_argument("--no-host-timing", dest="host_timing", action="store_false",
                    help="the boards' hosts spend no time on copies, registers or polling (kernels alone)")
    ap.add_argument("--network", default=networks.DEFAULT_NETWORK, help="network of the BNN-PYNQ family")
    ap.add_argument("--board", default=DEFAULT_PLATFORM,
                    help=f"the boards' platform (golden/platform.py: {', '.join(PLATFORMS)}): their clock and the "
                         f"fit check")
    ap.add_argument("--allow-large", action="store_true",
                    help=f"allow more than {MAX_BOARDS} boards or {MAX_IMAGES} images in one co-simulation")
    args = ap.parse_args(argv)
    try:
        if args.plan is not None and not args.plan.strip():
            raise BnnInputError("PLAN is blank: give a partition plan such as 0-5x2,6-8x1, or leave PLAN out "
                                "(BOARDS= picks the paper's systems)")
        net = networks.get(args.network)
        params, cifar = source_paths(args, net.name)
        job = CosimJob(topology=args.topology, images=args.images, params=params, cifar=cifar, seed=args.seed,
                       batch=args.batch, loss=args.loss, latency_us=args.latency_us, ppm=args.ppm,
                       network=net.name, plan=args.plan, fail=args.fail,
                       stage_dirs=dict(_stage_dir(s) for s in args.stage_dir), top=args.top,
                       allow_large=args.allow_large, board=platform(args.board).name,
                       host_timing=args.host_timing)
        if args.stall_seed is not None:
            job.stall_seed = args.stall_seed
        with run_folder.owned(job.folder, OUTPUTS, "summary.json", job.images):
            s = run(job, show_progress=True)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_summary(s)
    print(f"written: {job.folder / 'summary.json'}, {job.folder / 'link.pcap'}, {job.folder / 'timeline.png'}, "
          f"{job.folder / 'sim.log'}")
    return 0 if s.ok else 1


if __name__ == "__main__":
    sys.exit(main())
