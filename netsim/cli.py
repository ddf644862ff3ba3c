"""Command line for the BNNsplit system model: ``python -m netsim run|sweep ...``.

``run`` simulates one job and prints a summary (optionally writing a pcap)::

    python -m netsim run --topology split-3 --images 20 --loss 0.05 --pcap split2.pcap

``sweep`` takes lists (``1,2,4``) or integer ranges (``1..4``) for any sweepable option and
prints one table row per combination::

    python -m netsim sweep --topology split --boards 1..4 --loss 0,0.05 --images 100
    python -m netsim sweep --topology split-3 --rate 10M,100M,1G --host-overhead 0,100us,1ms
    python -m netsim sweep --topology full,split --batch 1,4,16

Durations take units (``50us``, ``1.5ms``; bare numbers are seconds), rates take k/M/G
suffixes (``100M``). ``--kernel part1=348023,115200`` replaces a kernel's latency and
interval cycles (e.g. with numbers measured on the RTL).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from typing import Any, Callable, Optional, Sequence

from golden.errors import BnnInputError
from golden.networks import DEFAULT_NETWORK
from golden.paths import run_module_in_child
from golden.platform import DEFAULT_PLATFORM, PLATFORMS, platform
from golden.stages.mvau import MAC_VARIANTS

from . import planner, search
from .config import parse_failures, ConfigError, TopologyConfig
from .faults import GilbertElliott
from .kernel import KernelTiming
from .simtime import parse_duration
from .sweep import format_table, rows, steady_state_estimate, sweep
from .topology import run
from .transport import LinkFailure


def parse_rate(text: str) -> float:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKMG]?)(?:b/?ps|bit/s)?\s*", text)
    if not m:
        raise ValueError(f"cannot parse rate {text!r} (examples: 1e9, 100M, 1G)")
    return float(m.group(1)) * {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]



# option -> (config field for TopologyConfig.replace, parser)
SWEEPABLE: dict[str, tuple[str, Callable[[str], Any]]] = {
    "topology": ("topology", str),
    "boards": ("replicas", int),
    "images": ("images", int),
    "batch": ("batch", int),
    "interval": ("image_interval_ps", parse_duration),
    "rate": ("rate_bps", parse_rate),
    "mtu": ("mtu", int),
    "protocol": ("protocol", str),
    "propagation": ("propagation_ps", parse_duration),
    "switch_latency": ("switch_latency_ps", parse_duration),
    "host_overhead": ("host_overhead_ps", parse_duration),
    "send_overhead": ("host_send_overhead_ps", parse_duration),
    "recv_overhead": ("host_recv_overhead_ps", parse_duration),
    "invoke_overhead": ("invoke_overhead_ps", parse_duration),
    "loss": ("loss", float),
    "corrupt": ("corrupt", float),
    "duplicate": ("duplicate", float),
    "reorder": ("reorder", float),
    "reorder_delay": ("reorder_delay_ps", parse_duration),
    "jitter": ("jitter_ps", parse_duration),
    "rto": ("rto_ps", parse_duration),
    "max_retries": ("max_retries", int),
    "window": ("window_bytes", int),
    "seed": ("seed", int),
}


def expand(text: str, parser: Callable[[str], Any]) -> list[Any]:
    """``"1..4"`` -> [1, 2, 3, 4]; ``"0,0.05"`` -> [0.0, 0.05]."""
    values: list[Any] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(-?\d+)\.\.(-?\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise ValueError(f"empty range {part!r}")
            values.extend(parser(str(v)) for v in range(lo, hi + 1))
        elif part:
            values.append(parser(part))
    if not values:
        raise ValueError(f"no values in {text!r}")
    return values


def _parse_burst(text: str) -> GilbertElliott:
    parts = [float(x) for x in text.split(":")]
    if not 2 <= len(parts) <= 4:
        raise ValueError("--burst wants P_ENTER_BAD:P_LEAVE_BAD[:LOSS_GOOD[:LOSS_BAD]]")
    return GilbertElliott(*parts)


def _parse_down(text: str) -> tuple[int, Optional[int]]:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"--down wants START-END (e.g. 1ms-5ms, or 1ms- for forever), got {text!r}")
    return parse_duration(start), (parse_duration(end) if end.strip() not in ("", "inf") else None)


def _parse_kernel(text: str) -> tuple[str, KernelTiming]:
    name, sep, rest = text.partition("=")
    nums = rest.split(",")
    if not sep or len(nums) not in (2, 3):
        raise ValueError(f"--kernel wants NAME=LATENCY,INTERVAL[,CLOCK_HZ], got {text!r}")
    clock = float(nums[2]) if len(nums) == 3 else platform().clock_hz
    return name.strip(), KernelTiming(int(nums[0]), int(nums[1]), clock)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m netsim", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name, helptext in (("run", "simulate one job and print a summary"),
                           ("sweep", "simulate every combination of the given lists, print a table")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--config", help="JSON file with a TopologyConfig (options override it)")
        sp.add_argument("--topology", help="full, split, split-B or full-N (default split)")
        sp.add_argument("--plan", help="partition plan FIRST-LASTxREPLICAS,... (e.g. 0-3x2,4-5x2,6-8x1); "
                        "overrides --topology")
        sp.add_argument("--fail", help="STAGE:REPLICA@TIME_US[,...]: that board dies then (failover)")
        sp.add_argument("--boards", "--replicas", dest="boards",
                        help="conv replicas (split) or full boards (full)")
        sp.add_argument("--images", help="images in the job (default 20)")
        sp.add_argument("--batch", help="images per kernel invocation, numReps (default 1)")
        sp.add_argument("--interval", help="host submits one image per interval (default 0: all at once)")
        sp.add_argument("--rate", help="line rate, e.g. 1G, 100M (default 1G)")
        sp.add_argument("--mtu")
        sp.add_argument("--protocol", help="tcp or udp")
        sp.add_argument("--propagation", help="cable propagation delay (default 25ns)")
        sp.add_argument("--switch-latency", dest="switch_latency")
        sp.add_argument("--no-switch", action="store_true", help="direct cables instead of a switch")
        sp.add_argument("--host-overhead", dest="host_overhead", help="software cost per message, send and receive")
        sp.add_argument("--send-overhead", dest="send_overhead")
        sp.add_argument("--recv-overhead", dest="recv_overhead")
        sp.add_argument("--invoke-overhead", dest="invoke_overhead",
                        help="driver time per kernel start, serial with the kernel (PYNQ Python)")
        sp.add_argument("--loss", help="per-frame loss probability")
        sp.add_argument("--corrupt", help="per-frame corruption probability (bit flips, caught by FCS)")
        sp.add_argument("--duplicate")
        sp.add_argument("--reorder", help="probability a frame is held back by --reorder-delay")
        sp.add_argument("--reorder-delay", dest="reorder_delay")
        sp.add_argument("--jitter", help="max extra delay per frame (order preserving)")
        sp.add_argument("--burst", help="Gilbert-Elliott burst loss P_ENTER:P_LEAVE[:LOSS_GOOD[:LOSS_BAD]]")
        sp.add_argument("--down", action="append", default=[], help="link down interval START-END (repeatable)")
        sp.add_argument("--rto")
        sp.add_argument("--max-retries", dest="max_retries")
        sp.add_argument("--window")
        sp.add_argument("--seed")
        sp.add_argument("--kernel", action="append", default=[],
                        help="NAME=LATENCY,INTERVAL[,CLOCK_HZ] cycles for a role (full, part1, part2) "
                             "or a layer range FIRST-LAST")
        sp.add_argument("--network", help=f"network of the BNN-PYNQ family (default {DEFAULT_NETWORK}): message "
                        "sizes and default kernel timings")
        sp.add_argument("--json", action="store_true", help="print JSON instead of text")
        if name == "run":
            sp.add_argument("--pcap", help="write every frame to this pcap file")
            sp.add_argument("--per-image", dest="per_image", action="store_true",
                            help="also print each image's submit/complete times and latency")
            sp.add_argument("--pcap-hops", dest="pcap_hops", choices=("all", "first"), default="all",
                            help="capture every cable (all) or only cables leaving a node (first)")
    pl = sub.add_parser("plan", help="enumerate partition plans, predict and rank them (and verify in RTL)")
    pl.add_argument("--network", default=DEFAULT_NETWORK)
    pl.add_argument("--boards", type=int, default=4, help="at most this many boards (default 4)")
    pl.add_argument("--board", default=DEFAULT_PLATFORM,
                    help=f"the boards' platform (golden/platform.py: {', '.join(PLATFORMS)}): clock, capacity, "
                         f"Ethernet, host costs")
    pl.add_argument("--link-gbps", dest="link_gbps", type=float,
                    help="line rate of every cable (default: the board's Ethernet port)")
    pl.add_argument("--batch", type=int, default=1, help="images per kernel start, numReps (default 1)")
    pl.add_argument("--mac", choices=MAC_VARIANTS, default="lut",
                    help="the MAC variant the fit check and ranking use: lut (Mul_LUT, default), dsp (DSP48), "
                         "auto (Default); every board is reported in Mul_LUT and DSP48 either way")
    pl.add_argument("--json", help="write every plan's prediction to this file")
    pl.add_argument("--plot", help="write the boards vs img/s plot (PNG)")
    pl.add_argument("--top", type=int, default=10, help="plans listed (default 10)")
    pl.add_argument("--verify", type=int, default=0, metavar="K", help="co-simulate the K best plans in RTL")
    pl.add_argument("--search", action="store_true",
                    help="the exact search (netsim/search.py) instead of enumerating every plan (automatic "
                         "beyond 20000 plans): the fewest boards that fit and why, the best plan per board count")
    pl.add_argument("--refold", action="store_true",
                    help="let each stage's layers be refolded for its board (a stage FIRST-LASTxR@N: folded for N "
                         "img/s), spending what the stage leaves free on more SIMD / PE (exact search)")
    pl.add_argument("--target-img-s", dest="target_img_s", type=float,
                    help="the fewest boards whose plan reaches this many images per second (exact search)")
    pl.add_argument("--verify-images", dest="verify_images", type=int)
    pl.add_argument("--no-calibrate", dest="calibrate", action="store_false",
                    help="ignore RTL measurements under build/ (use the cycle model only)")
    return p


def base_config(args: argparse.Namespace) -> TopologyConfig:
    cfg = TopologyConfig()
    if args.config:
        with open(args.config) as f:
            cfg = TopologyConfig.from_dict(json.load(f))
    if args.network:
        d = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "kernels"}
        cfg = TopologyConfig.from_dict(d | {"network": args.network})
    link = cfg.link
    faults = link.faults
    if args.no_switch:
        link = dataclasses.replace(link, switch=False)
    if args.burst:
        faults = dataclasses.replace(faults, burst=_parse_burst(args.burst))
    if args.down:
        faults = dataclasses.replace(faults, down=tuple(_parse_down(d) for d in args.down))
    kernels = dict(cfg.kernels)
    for k in args.kernel:
        name, timing = _parse_kernel(k)
        kernels[name] = timing
    plan = args.plan if args.plan is not None else cfg.plan
    fail = parse_failures(args.fail) if args.fail else cfg.fail
    return dataclasses.replace(cfg, link=dataclasses.replace(link, faults=faults), kernels=kernels,
                               plan=plan, fail=fail, failover=cfg.failover or bool(fail)).validate()


def axes_from_args(args: argparse.Namespace, allow_lists: bool) -> dict[str, list[Any]]:
    axes = {}
    for opt, (field, parser) in SWEEPABLE.items():
        text = getattr(args, opt)
        if text is None:
            continue
        values = expand(text, parser)
        if not allow_lists and len(values) > 1:
            raise ValueError(f"--{opt.replace('_', '-')} {text!r}: lists and ranges are for 'sweep'")
        axes[field] = values
    # A topology name like split-4 fixes the replica count; don't also inherit a default.
    if "topology" in axes and "replicas" not in axes:
        axes["replicas"] = [None]
    return axes


# The testbench's module that runs `plan --verify` (co-simulation in RTL is tb/'s, the layer
# above netsim, which netsim never imports; see _verify_in_rtl).
PLAN_VERIFY_MODULE = "tb.jobs.plan_verify"


def _verify_in_rtl(argv: Optional[Sequence[str]]) -> int:
    """`plan --verify K`: the same command line run by the testbench (PLAN_VERIFY_MODULE),
    which passes its RTL verifier to the planner, in a child process whose output and exit
    status are this command's."""
    return run_module_in_child(PLAN_VERIFY_MODULE, list(sys.argv[1:] if argv is None else argv))


def main(argv: Optional[Sequence[str]] = None, plan_verifier: Optional[Callable] = None) -> int:
    """`python -m netsim ...`; `plan_verifier` co-simulates plans for `plan --verify`
    (netsim.planner.Verifier; the testbench passes it, else the command is handed over to
    the testbench)."""
    args = build_parser().parse_args(argv)
    if args.command == "plan":
        if args.verify and plan_verifier is None:
            return _verify_in_rtl(argv)
        try:
            if args.boards < 1:
                raise ValueError(f"--boards must be at least 1, got {args.boards}")
            if search.wanted(args):
                return search.main(args)
            return planner.main(args, plan_verifier)
        except (BnnInputError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    try:
        base = base_config(args)
        axes = axes_from_args(args, allow_lists=args.command == "sweep")
        if args.command == "run":
            cfg = base.replace(**{k: v[0] for k, v in axes.items()})
            try:
                result = run(cfg, pcap=args.pcap, pcap_hops=args.pcap_hops)
            except LinkFailure as e:
                print(f"link failure: {e}", file=sys.stderr)
                return 2
            if args.json:
                print(json.dumps({"config": cfg.to_dict(), **result.row(),
                                  "latency_s": [t / 1e12 for t in result.latencies_ps],
                                  "board_busy": result.board_busy,
                                  "link_utilisation": result.link_utilisation,
                                  "counters": {k: dict(v) for k, v in result.counters.items()}},
                                 indent=2, default=str))
            else:
                print(result.summary())
                if args.per_image:
                    print(" image  submitted ms  completed ms  latency ms")
                    for k, (s, c) in enumerate(zip(result.submitted_ps, result.completed_ps)):
                        print(f"{k:6d}  {s / 1e9:12.3f}  {c / 1e9:12.3f}  {(c - s) / 1e9:10.3f}")
                print(f"kernel-only bound: {steady_state_estimate(cfg):.1f} img/s")
                if args.pcap:
                    print(f"pcap: {args.pcap}")
            return 0
        shown = {k: v for k, v in axes.items() if len(v) > 1 or k in ("replicas",) and v != [None]}
        fixed = {k: v[0] for k, v in axes.items() if k not in shown}
        points = sweep(base.replace(**fixed), shown)
        if args.json:
            print(json.dumps(rows(points), indent=2, default=str))
        else:
            print(format_table(points))
        return 0 if all(p.ok for p in points) else 2
    except (ConfigError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
