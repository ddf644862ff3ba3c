"""The partition planner: every way to cut a network into stages on up to N boards, with a
predicted throughput, single-image latency, link load and resources for each, and the
Pareto front of boards against images per second.

    python -m netsim plan --network cnvW2A2 --boards 4 [--board pynq-z1] [--link-gbps 1]
                          [--batch 1] [--mac lut] [--json plans.json] [--plot plans.png] [--verify K]

The boards are one platform (golden/platform.py, `--board`): its clock turns cycles into
time, its capacity is the fit check, its Ethernet port and host costs are the link's defaults.
Each board's LUT / BRAM / DSP48E1 is reported in the Mul_LUT and DSP48 variants (REPORTED_MACS);
`--mac` is the one the fit check uses.

Per stage of a plan (layers first..last on R replicas):
- latency: the kernel's single-image cycles, measured in RTL where a kernel of that range has
  been simulated (report.json / summary.json files under build/), else the batch model of
  golden.cycles.batch_cycles for one image (within 2.2% of every generated kernel's RTL:
  `python -m golden cycles --against-rtl`);
- interval: the slowest layer's cycles (golden.cycles), the steady state of a batch;
- a board runs one batch of B images (numReps = B, `--batch`) in latency plus what the batch
  model (golden.cycles.batch_cycles: the HLS loops drain once per batch, so a small batch
  costs more than B-1 intervals) adds for B images over one, plus what its host spends around
  the kernel start (the board's `host_timing`, golden/host_timing.py: copies, register
  accesses, polling for ap_done), so a stage serves R x B / that images per second;
- resources: the FINN-style estimate of hls_out/resources.py (synthesised figures where
  `make resources` has produced them) against the board's capacity.
The system's steady state is its slowest stage, its busiest cable (every image crosses the
host's cable twice, each cut once, as Ethernet frames with all their overheads) or the host
software's per-message cost (an image out and its scores back per image); its
single-image latency is the sum of the stages' latencies plus every message's time on the
cables, the switch and the host and board software. With B = 1 a board's rate is
1 / latency: that is the paper's "throughput"; the pipelined steady state (B large) is
1 / interval. Both are printed, and where they disagree, by how much.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from golden import networks
from golden.cycles import batch_cycles, kernel_cycles
from golden.folding import stages_folding
from golden.network import word_cuts
from golden.paths import BUILD
from golden.platform import Platform, platform
from golden.power import for_board as power_model
from golden.stages.mvau import MAC_VARIANTS
from hls_out.resources import stage_resources, synthesized

from .config import LinkConfig
from .frames import ETH_HEADER_BYTES, FCS_BYTES, max_segment_payload, transport_overhead, wire_bytes
from .messages import HEADER_BYTES
from .plan import Plan, Stage


def message_wire_bytes(payload: int, link: LinkConfig) -> int:
    """Bytes of line time one message of `payload` bytes (plus its 16-byte header) takes,
    segmented at the MSS, every frame with its headers, preamble, FCS and gap."""
    total = payload + HEADER_BYTES
    mss = max_segment_payload(link.mtu, link.protocol)
    frames = math.ceil(total / mss)
    per_frame = ETH_HEADER_BYTES + transport_overhead(link.protocol) + FCS_BYTES
    return sum(wire_bytes(per_frame + min(mss, total - k * mss)) for k in range(frames))


def measured_cycles(root: Path) -> dict[tuple[str, int, int], dict]:
    """RTL measurements found under `root`: (network, first, last) -> {latency, interval}."""
    found: dict[tuple[str, int, int], dict] = {}
    for path in sorted(root.glob("**/report.json")) if root.is_dir() else []:
        try:
            r = json.loads(path.read_text())
            # a kernel of the network's own folding: a refolded one (a plan stage's @N) times
            # other hardware than the range's default
            if r.get("kind") == "kernel" and r.get("latency_cycles") and not r.get("errors") and not r.get("refolded"):
                key = (r["network"], r["first"], r["last"])
                found[key] = {"latency": r["latency_cycles"], "interval": r.get("batch_interval_cycles"),
                              "source": str(path)}
        except (OSError, ValueError, KeyError):
            continue
    return found


@dataclass(kw_only=True)
class StagePrediction:
    stage: Stage
    role: str
    latency_cycles: int
    latency_source: str
    interval_cycles: int
    bytes_in: int
    bytes_out: int
    resources: dict
    fits: bool
    img_s: float = 0.0
    start_cycles: float = 0.0       # one start of one image as the host's timer sees it
    variants: dict = field(default_factory=dict)   # {mac: resources on the board} of every MAC variant

    def to_json(self) -> dict:
        s = self.stage
        return {"first": s.first, "last": s.last, "replicas": s.replicas, "role": self.role,
                "latency_cycles": self.latency_cycles, "latency_source": self.latency_source,
                "interval_cycles": self.interval_cycles, "bytes_in_per_image": self.bytes_in,
                "bytes_out_per_image": self.bytes_out, "stage_img_s": self.img_s,
                "host_timed_cycles": self.start_cycles,
                "resources": self.resources, "fits": self.fits, "resources_by_mac": self.variants}


@dataclass(kw_only=True)
class PlanPrediction:
    plan: Plan
    stages: list[StagePrediction]
    predicted_img_s: float
    predicted_latency_us: float
    pipelined_img_s: float          # B -> infinity: every board at its interval
    per_start_img_s: float          # B = 1: every board at 1 / latency (the paper's estimate)
    bottleneck: str
    links: list[dict] = field(default_factory=list)
    watts: float | None = None      # every board running its kernel (golden/power.py; None: no model)

    @property
    def boards(self) -> int:
        return self.plan.boards

    @property
    def fits(self) -> bool:
        return all(s.fits for s in self.stages)

    def to_json(self) -> dict:
        return {"plan": str(self.plan), "boards": self.boards,
                "stages": [s.to_json() for s in self.stages],
                "predicted_img_s": self.predicted_img_s, "predicted_latency_us": self.predicted_latency_us,
                "pipelined_img_s": self.pipelined_img_s, "per_start_img_s": self.per_start_img_s,
                "bottleneck": self.bottleneck, "links": self.links, "fits": self.fits, "watts": self.watts}


class Planner:
    def __init__(self, network: str, board: str | Platform | None = None, link_gbps: float | None = None,
                 batch: int = 1, link: LinkConfig | None = None, calibration: dict | None = None,
                 synthesized: dict[str, dict] | None = None, mac: str = "lut"):
        """`board`: the boards' platform, by name or as a Platform (default: the default
        platform); `link_gbps`: the cables' rate (default: the platform's Ethernet port);
        `mac`: the kernels' MAC variant the fit check uses (REPORTED_MACS are reported too)."""
        if mac not in MAC_VARIANTS:
            raise ValueError(f"mac must be one of {', '.join(MAC_VARIANTS)}, got {mac!r}")
        self.mac = mac
        self.net = networks.get(network)
        self.board: Platform = platform(board)
        b = self.board
        self.link = link or LinkConfig(rate_bps=b.link_bps if link_gbps is None else link_gbps * 1e9,
                                       host_send_overhead_ps=b.host_send_overhead_ps,
                                       host_recv_overhead_ps=b.host_recv_overhead_ps)
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.batch = batch
        self.calibration = calibration or {}
        # Kernels `make resources` synthesized: they correct the resource estimate (fit check).
        self.synthesized = synthesized or {}
        self._stage_cache: dict[tuple[int, int], tuple] = {}
        self.power = power_model(self.board)

    @classmethod
    def from_args(cls, args) -> "Planner":
        """The planner of `python -m netsim plan`'s arguments (netsim.cli): RTL measurements
        under build/ unless --no-calibrate, the kernels `make resources` synthesized."""
        return cls(args.network, args.board, args.link_gbps, args.batch,
                   calibration=measured_cycles(BUILD) if args.calibrate else None,
                   synthesized=synthesized(), mac=getattr(args, "mac", "lut"))

    # ---- per stage ---------------------------------------------------------------------
    def folding(self, first: int, last: int, fold: int = 0):
        """The folding of a stage's layers: the network's, or refolded for `fold` img/s."""
        if not fold:
            return self.net.folding
        key = ("folding", first, last, fold)
        if key not in self._stage_cache:
            self._stage_cache[key] = stages_folding(self.net, [(first, last, fold)])
        return self._stage_cache[key]

    def _stage_facts(self, first: int, last: int, fold: int = 0):
        key = (first, last, fold)
        if key not in self._stage_cache:
            f = self.folding(first, last, fold)
            measured = None if fold else self.calibration.get((self.net.name, first, last))
            if measured:
                latency, source = int(measured["latency"]), "rtl"
            else:
                latency, source = batch_cycles(first, last, f, 1), "model"
            interval = kernel_cycles(first, last, f).ii
            variants = {m: stage_resources(self.net, first, last, self.synthesized, m, f).on(self.board)
                        for m in dict.fromkeys((self.mac,) + REPORTED_MACS)}
            res = variants[self.mac]
            self._stage_cache[key] = (latency, source, interval, res.to_json(), res.fits(self.board),
                                      {m: r.to_json() | {"fits": r.fits(self.board)} for m, r in variants.items()})
        return self._stage_cache[key]

    def stage(self, st: Stage) -> StagePrediction:
        latency, source, interval, res, fits, variants = self._stage_facts(st.first, st.last, st.fold)
        sp = StagePrediction(stage=st, role=self.net.role(st.first, st.last), latency_cycles=latency,
                             latency_source=source, interval_cycles=interval,
                             bytes_in=8 * self.net.words_per_image(st.first - 1),
                             bytes_out=8 * self.net.words_per_image(st.last), resources=res, fits=fits,
                             variants=variants)
        b = self.batch
        sp.start_cycles = self.batch_time_cycles(st.first, st.last, latency, 1, st.fold)
        sp.img_s = st.replicas * b * self.board.clock_hz / self.batch_time_cycles(st.first, st.last, latency, b, st.fold)
        return sp

    def batch_time_cycles(self, first: int, last: int, latency: int, b: int, fold: int = 0) -> float:
        """Cycles of one kernel start of `b` images as the board's host times it: the stage's
        single-image latency (measured or modelled) plus what the batch model
        (golden.cycles.batch_cycles: every batch-long HLS loop drains once per batch) adds for
        the other b - 1 images, in the host's timed region (copies in and out, registers,
        polling; golden/host_timing.py)."""
        f = self.folding(first, last, fold)
        kernel = latency if b == 1 else latency + batch_cycles(first, last, f, b) - batch_cycles(first, last, f, 1)
        ps_per_cycle = 1e12 / self.board.clock_hz
        region = self.board.host_timing.region(kernel * ps_per_cycle, 8 * b * self.net.words_per_image(first - 1),
                                               8 * b * self.net.words_per_image(last))
        return region.timed_ps / ps_per_cycle

    def range_fits(self, first: int, last: int, fold: int = 0) -> bool:
        """Whether layers first..last (folded for `fold` img/s; 0: the network's folding) fit one
        board in the fit check's MAC variant (the resources alone: cheaper than a whole stage
        prediction)."""
        key = ("fits", first, last, fold)
        if key not in self._stage_cache:
            self._stage_cache[key] = stage_resources(self.net, first, last, self.synthesized, self.mac,
                                                     self.folding(first, last, fold)).on(self.board).fits(self.board)
        return self._stage_cache[key]

    # ---- the link and the hosts ----------------------------------------------------------
    def cable_img_s(self, payload: int) -> float:
        """Images per second one cable carries when each image sends `payload` bytes over it."""
        return self.link.rate_bps / (8 * message_wire_bytes(payload, self.link))

    def cpu_img_s(self) -> float:
        """What every node's per-message software cost allows: the host sends an image and
        receives its scores, a board receives its input and sends its output (a stage's
        replicas share its messages, so the host is the limit)."""
        per_msg_ps = self.link.host_send_overhead_ps + self.link.host_recv_overhead_ps
        return 1e12 / per_msg_ps if per_msg_ps else float("inf")

    def host_img_s(self) -> float:
        """The limit every plan shares: the host's cable (every image and every result cross
        it) and the host's software."""
        inp, out = 8 * self.net.words_per_image(-1), 8 * self.net.words_per_image(self.net.last)
        host_bytes = message_wire_bytes(inp, self.link) + message_wire_bytes(out, self.link)
        return min(self.link.rate_bps / (8 * host_bytes), self.cpu_img_s())

    def message_ps(self, payload: int) -> float:
        """One message of `payload` bytes from one node to the next: its frames on the cables
        (through the switch), and both ends' software."""
        link, hops = self.link, 2 if self.link.switch else 1
        wb = message_wire_bytes(payload, link)
        return (hops * (wb * 8 / link.rate_bps * 1e12 + link.propagation_ps) + (hops - 1) * link.switch_latency_ps
                + link.host_send_overhead_ps + link.host_recv_overhead_ps)

    # ---- per plan ----------------------------------------------------------------------
    def predict(self, plan: Plan) -> PlanPrediction:
        stages = [self.stage(st) for st in plan.stages]
        link, rate = self.link, self.link.rate_bps
        # Cables: the host's uplink carries every image and every result; each board's cable
        # carries its share of its stage's inputs (down) and outputs (up).
        host_bytes = message_wire_bytes(stages[0].bytes_in, link) + message_wire_bytes(stages[-1].bytes_out, link)
        links = [{"cable": "host", "bytes_per_image": stages[0].bytes_in + stages[-1].bytes_out,
                  "wire_bytes_per_image": host_bytes}]
        for k, s in enumerate(stages[:-1]):
            links.append({"cable": f"cut after layer {s.stage.last}", "bytes_per_image": s.bytes_out,
                          "wire_bytes_per_image": message_wire_bytes(s.bytes_out, link)})
        cable_img_s = min(rate / (8 * lk["wire_bytes_per_image"]) for lk in links)
        cpu_img_s = self.cpu_img_s()
        stage_img_s = min(s.img_s for s in stages)
        img_s = min(stage_img_s, cable_img_s, cpu_img_s)
        for lk in links:
            lk["utilisation"] = img_s * 8 * lk["wire_bytes_per_image"] / rate
        slow = min(stages, key=lambda s: s.img_s)
        if stage_img_s <= min(cable_img_s, cpu_img_s):
            bottleneck = f"stage {slow.stage}"
        elif cpu_img_s <= cable_img_s:
            bottleneck = "host software (per-message cost)"
        else:
            bottleneck = f"cable {max(links, key=lambda lk: lk['wire_bytes_per_image'])['cable']}"
        # One image alone: every stage's latency, every message's time on its cables.
        msg_ps = sum(self.message_ps(payload) for payload in [stages[0].bytes_in] + [s.bytes_out for s in stages])
        kernel_ps = sum(s.start_cycles / self.board.clock_hz * 1e12 for s in stages)
        pipelined = min(min(s.stage.replicas * self.board.clock_hz / s.interval_cycles for s in stages),
                        cable_img_s, cpu_img_s)
        per_start = min(min(s.stage.replicas * self.board.clock_hz / s.start_cycles for s in stages),
                        cable_img_s, cpu_img_s)
        watts = None
        if self.power:
            b = self.board
            watts = sum(s.stage.replicas * self.power.board_w(s.resources["lut"] / b.lut,
                                                              s.resources["bram_tiles"] / b.bram_tiles) for s in stages)
        return PlanPrediction(plan=plan, stages=stages, predicted_img_s=img_s, watts=watts,
                              predicted_latency_us=(kernel_ps + msg_ps) / 1e6, pipelined_img_s=pipelined,
                              per_start_img_s=per_start, bottleneck=bottleneck, links=links)

    # ---- enumeration -------------------------------------------------------------------
    def plans(self, max_boards: int):
        """Every plan with at most `max_boards` boards: each set of cuts (where the tensor
        makes whole 64-bit words, golden.network.word_cuts), each replica count."""
        last = self.net.last
        allowed = word_cuts(self.net)
        for k in range(1, min(max_boards, len(allowed) + 1) + 1):
            for cuts in itertools.combinations(allowed, k - 1):
                bounds = [0] + [c + 1 for c in cuts] + [last + 1]
                ranges = [(bounds[j], bounds[j + 1] - 1) for j in range(k)]
                for reps in _compositions_at_most(k, max_boards):
                    yield Plan(self.net.name, tuple(Stage(a, b, r) for (a, b), r in zip(ranges, reps)))

    def rank(self, max_boards: int) -> list[PlanPrediction]:
        """Every plan, best first: fitting plans by predicted img/s (fewer boards, then lower
        latency, on ties), then the ones that do not fit."""
        preds = [self.predict(p) for p in self.plans(max_boards)]
        return sorted(preds, key=lambda p: (not p.fits, -round(p.predicted_img_s, 6), p.boards,
                                            p.predicted_latency_us))


def _compositions_at_most(k: int, n: int):
    """Replica counts (r_1..r_k), each >= 1, summing to at most n."""
    for total in range(k, n + 1):
        for bars in itertools.combinations(range(1, total), k - 1):
            edges = (0,) + bars + (total,)
            yield tuple(edges[j + 1] - edges[j] for j in range(k))


def pareto(preds: list[PlanPrediction]) -> list[PlanPrediction]:
    """Fitting plans no other fitting plan beats on both boards (fewer) and img/s (more)."""
    front, best = [], -1.0
    for p in sorted((p for p in preds if p.fits), key=lambda p: (p.boards, -p.predicted_img_s)):
        if p.predicted_img_s > best * (1 + 1e-9):
            front.append(p)
            best = p.predicted_img_s
    return front


def pareto_power(preds: list[PlanPrediction]) -> list[PlanPrediction]:
    """Fitting plans no other fitting plan beats on all of boards (fewer or as many), img/s
    (more or as many) and watts (fewer or as many) while strictly better on one."""
    ok = [p for p in preds if p.fits and p.watts is not None]

    def beats(a: PlanPrediction, b: PlanPrediction) -> bool:
        ka, kb = (a.boards, -a.predicted_img_s, a.watts), (b.boards, -b.predicted_img_s, b.watts)
        return all(x <= y for x, y in zip(ka, kb)) and ka != kb

    front = [p for p in ok if not any(beats(q, p) for q in ok)]
    return sorted(front, key=lambda p: (p.boards, -p.predicted_img_s))


# ---- report --------------------------------------------------------------------------------

def paper_claims(planner: Planner, preds: dict[str, PlanPrediction]) -> list[str]:
    """The BNNsplit paper's system claims next to this planner's numbers for the same plans."""
    net = planner.net
    if not net.paper_kernels:
        return [f"(the paper measured no kernels of {net.name})"]
    cut, last = net.natural_cut, net.last

    def get(text: str) -> PlanPrediction:
        if text not in preds:
            preds[text] = planner.predict(Plan.parse(text, net.name))
        return preds[text]

    full, split = get(f"0-{last}x1"), get(f"0-{cut}x1,{cut + 1}-{last}x1")
    three, four, five = (get(f"0-{cut}x{n},{cut + 1}-{last}x1") for n in (2, 3, 4))
    fc_rate = planner.board.clock_hz / split.stages[1].start_cycles
    lines = [
        f"2 boards (conv + FC): paper ~ +40% over one full board; planner {split.predicted_img_s:.1f} vs "
        f"{full.predicted_img_s:.1f} img/s = {100 * (split.predicted_img_s / full.predicted_img_s - 1):+.1f}%",
        f"3 boards (2 conv + FC): paper 'up to 574 img/s'; planner {three.predicted_img_s:.1f} img/s "
        f"(bottleneck {three.bottleneck})",
        f"FC board saturation: paper ~720 chunks/s; planner 1 / FC latency = {fc_rate:.1f} img/s",
        f"more conv replicas: 3 conv + FC {four.predicted_img_s:.1f} img/s, 4 conv + FC {five.predicted_img_s:.1f} "
        f"img/s: {'no gain, the FC board is the bottleneck' if five.predicted_img_s <= four.predicted_img_s * 1.001 else 'still gaining'}",
        *power_claim(planner, three, [full, split, three, four, five]),
        f"1/latency vs pipelined steady state (numReps large): one full board {full.per_start_img_s:.1f} vs "
        f"{full.pipelined_img_s:.1f} img/s, 3-board split {three.per_start_img_s:.1f} vs "
        f"{three.pipelined_img_s:.1f} img/s: the paper's 'throughput' is the first; a batched dataflow "
        f"pipeline runs at the second",
    ]
    return lines


def power_claim(planner: Planner, three: PlanPrediction, plans: list[PlanPrediction]) -> list[str]:
    """The paper's conclusion on power (the 3-PYNQ conv-replicated split as the best compromise
    between throughput and power) beside this planner's images per joule of the same plans."""
    if not planner.power or three.watts is None:
        return []
    best = max(plans, key=lambda p: p.predicted_img_s / p.watts)
    per = ", ".join(f"{p.plan} {p.predicted_img_s / p.watts:.1f}" for p in plans)
    return [f"power: the paper calls the 3-PYNQ split {three.plan} the best compromise of throughput and power; "
            f"planner: {three.predicted_img_s:.1f} img/s for {three.watts:.2f} W = "
            f"{three.predicted_img_s / three.watts:.1f} img/J; the most img/J of the paper's plans: {best.plan} "
            f"(img/J: {per}; golden/power.py)"]


# The variants every plan's boards are reported in: the paper's Mul_LUT and DSP48.
REPORTED_MACS = ("lut", "dsp")
MAC_NAMES = {"lut": "Mul_LUT", "dsp": "DSP48", "auto": "Default"}


def format_board_resources(preds: list[PlanPrediction], board: Platform) -> str:
    """LUT / BRAM tiles / DSP48E1 of every board of each plan, one line per MAC variant, with
    the share of the board and where the figure comes from (the estimate or synthesis)."""
    rows = []
    for p in preds:
        rows.append(f"{p.plan}:")
        for s in p.stages:
            what = f"  layers {s.stage.first}-{s.stage.last} ({s.stage.replicas} board{'s' * (s.stage.replicas > 1)})"
            for k, (mac, r) in enumerate(s.variants.items()):
                rows.append(f"{what if k == 0 else '':<32} {MAC_NAMES[mac]:<8} "
                            f"LUT {r['lut']:>6} ({100 * r['lut'] / board.lut:5.1f}%)  "
                            f"BRAM {r['bram_tiles']:>5g} ({100 * r['bram_tiles'] / board.bram_tiles:5.1f}%)  "
                            f"DSP {r['dsp']:>4} ({100 * r['dsp'] / board.dsp:5.1f}%)  "
                            f"{'fits' if r['fits'] else 'DOES NOT FIT'}  [{r['source']}]")
    return "\n".join(rows)


def format_table(preds: list[PlanPrediction]) -> str:
    rows = [f"{'plan':<28} {'boards':>6} {'img/s':>8} {'latency us':>10} {'1/lat':>7} {'piped':>7} "
            f"{'watts':>6} {'img/J':>6} {'BRAM/stage':>14} {'fits':>4}  bottleneck"]
    for p in preds:
        bram = "/".join(f"{s.resources['bram_tiles']:g}" for s in p.stages)
        w = f"{p.watts:>6.2f} {p.predicted_img_s / p.watts:>6.1f}" if p.watts else f"{'-':>6} {'-':>6}"
        rows.append(f"{str(p.plan):<28} {p.boards:>6} {p.predicted_img_s:>8.1f} {p.predicted_latency_us:>10.0f} "
                    f"{p.per_start_img_s:>7.1f} {p.pipelined_img_s:>7.1f} {w} {bram:>14} {'yes' if p.fits else 'NO':>4}  "
                    f"{p.bottleneck}")
    return "\n".join(rows)


def plot(preds: list[PlanPrediction], front: list[PlanPrediction], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    ok = [p for p in preds if p.fits]
    bad = [p for p in preds if not p.fits]
    ax.scatter([p.boards for p in ok], [p.predicted_img_s for p in ok], s=12, color="tab:blue", alpha=0.5,
               label="plans that fit")
    if bad:
        ax.scatter([p.boards for p in bad], [p.predicted_img_s for p in bad], s=14, marker="x", color="tab:red",
                   label="plans that do not fit")
    ax.plot([p.boards for p in front], [p.predicted_img_s for p in front], "-o", color="tab:green",
            label="Pareto front")
    for p in front:
        ax.annotate(str(p.plan), (p.boards, p.predicted_img_s), fontsize=7, xytext=(4, -10),
                    textcoords="offset points")
    ax.set_xlabel("boards")
    ax.set_ylabel("predicted img/s")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# Co-simulates the best k plans in RTL: (predictions, k, images, batch, output folder, board) ->
# one dict per plan (plan, predicted_img_s, measured_img_s, error, mismatches, lost, summary).
# The testbench's (tb/jobs/plan_verify.py, the layer above), handed to main().
Verifier = Callable[[list[PlanPrediction], int, int, int, Path, str], list[dict]]


def main(args, verify: Verifier | None = None) -> int:
    """`python -m netsim plan` (arguments from netsim.cli); `--verify K` needs `verify`."""
    if args.verify and verify is None:
        raise ValueError("--verify co-simulates plans in RTL: run it through the testbench "
                         "(python -m tb.jobs.plan_verify plan ...)")
    planner = Planner.from_args(args)
    link_gbps = planner.link.rate_bps / 1e9
    preds = planner.rank(args.boards)
    front = pareto(preds)
    by_plan = {str(p.plan): p for p in preds}
    net = planner.net
    print(f"{net.name} on up to {args.boards} {planner.board.name} boards ({planner.board.part}, "
          f"{planner.board.bram_tiles} BRAM tiles, {planner.board.lut} LUTs), {link_gbps:g} Gb/s, "
          f"numReps = {args.batch}, {MAC_NAMES[planner.mac]} MACs: {len(preds)} plans, "
          f"{sum(not p.fits for p in preds)} do not fit")
    if planner.synthesized:
        print(f"resources: the estimate corrected by the kernels `make resources` synthesized "
              f"({', '.join(sorted(planner.synthesized))})")
    print("\nPareto front (boards vs img/s, fitting plans):")
    print(format_table(front))
    if planner.power:
        print("\nPareto front of img/s, watts and boards (fitting plans; golden/power.py):")
        print(format_table(pareto_power(preds)[:args.top * 2]))
    print(f"\nbest {min(args.top, len(preds))} plans:")
    print(format_table(preds[:args.top]))
    print(f"\nresources per board of the Pareto front's plans ({' / '.join(MAC_NAMES[m] for m in REPORTED_MACS)} "
          f"MACs; % of a {planner.board.name}: {planner.board.lut} LUT, {planner.board.bram_tiles} BRAM tiles, "
          f"{planner.board.dsp} DSP48E1):")
    print(format_board_resources(front, planner.board))
    for b in range(1, args.boards + 1):
        best = next((p for p in preds if p.fits and p.boards == b), None)
        if best:
            print(f"best with {b} board(s): {best.plan} {best.predicted_img_s:.1f} img/s")
    print("\nthe paper's claims:")
    for line in paper_claims(planner, by_plan):
        print(f"- {line}")
    doc = {"network": net.name, "board": planner.board.name, "link_gbps": link_gbps, "batch": args.batch,
           "mac": planner.mac,
           "plans": [p.to_json() for p in preds], "pareto": [str(p.plan) for p in front],
           "pareto_power": [str(p.plan) for p in pareto_power(preds)] if planner.power else []}
    if args.plot:
        print(f"plot: {plot(preds, front, Path(args.plot), f'{net.name}: predicted throughput of every plan')}")
    if args.verify:
        # Whole waves: a multiple of every stage's replica count, so no replica idles at the end.
        wave = math.lcm(*(s.replicas for p in preds[:args.verify] for s in p.plan.stages))
        images = args.verify_images or wave * max(3, math.ceil(12 / wave))
        print(f"\nverifying the best {args.verify} plan(s) in RTL, {images} images each ...", flush=True)
        checks = verify(preds, args.verify, images, args.batch, BUILD / "plan-verify", planner.board.name)
        doc["verify"] = checks
        for c in checks:
            err = "-" if c["error"] is None else f"{100 * c['error']:+.1f}%"
            meas = "-" if c["measured_img_s"] is None else f"{c['measured_img_s']:.1f}"
            print(f"{c['plan']:<28} predicted {c['predicted_img_s']:8.1f} measured {meas:>8} img/s  error {err:>7}  "
                  f"mismatches {c['mismatches']} lost {c['lost']}")
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2))
        print(f"json: {args.json}")
    failed = [c for c in doc.get("verify", []) if c["mismatches"] or c["lost"]]
    return 1 if failed else 0
