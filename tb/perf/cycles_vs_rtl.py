"""The cycle model against the RTL, per kernel and batch size, and Table I's rows as a kernel
time, a host's timed region and the paper's figure, measured in one run:

    python -m golden cycles --network NET --against-rtl [--reps 1,2,3]
    python -m tb.perf.cycles_vs_rtl --network NET [--reps 1,2,3] [--kernels a,b]

For each kernel of the network's natural split (full, part 1, part 2, or `--kernels`), one
kernel job (tb/jobs/kernel_job.py: seeded synthetic parameters and images, whose values do not
change a cycle) runs image 0 alone and then one batch per size of `--reps` above 1. Printed
side by side: the RTL's cycles, golden.cycles.batch_cycles (the model the planner uses) and
the error; for a kernel the paper measured, its Table I time beside the RTL kernel's own time
and the co-simulated host's timed region (golden/host_timing.py). Written to
build/cycles-vs-rtl/<network>.json. golden/ has no simulator: its `cycles --against-rtl`
hands the command line over to this module, as netsim's `plan --verify` does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from golden import networks
from golden.cycles import batch_cycles, parse_batch_sizes
from golden.errors import BnnInputError
from golden.platform import platform
from hls_out import kernel as kernels
from hls_out.generate import default_kernel
from tb.jobs import runner
from tb.jobs.kernel_job import KernelJob, run

OUT = runner.BUILD / "cycles-vs-rtl"


def measure(network: str, reps: list[int], kernel_names: list[str] | None = None, seed: int = 1,
            out: Path = OUT) -> dict:
    net = networks.get(network)
    names = kernel_names or [default_kernel(net, role) for role in net.natural_ranges()]
    mhz = platform().clock_hz / 1e6
    rows, table1 = [], []
    for name in names:
        info = kernels.load(name)
        batches = [r for r in reps if r > 1]
        report = run(KernelJob(kernel=name, images=1 + max(batches, default=0), seed=seed, reps=batches,
                               out_dir=str(out / network / name)))
        if report.error:
            raise RuntimeError(f"{name}: {report.error}")
        f = report.figures
        rtl = {1: f["latency_cycles"]} | {b["num_reps"]: b["cycles"] for b in f["batches"]}
        schedule = info.data.get("hls_schedule")
        for r in reps:
            model = batch_cycles(info.first, info.last, net.folding, r, schedule)
            rows.append({"kernel": name, "num_reps": r, "rtl_cycles": rtl[r], "model_cycles": model,
                         "error": (model - rtl[r]) / rtl[r]})
        paper = info.paper()
        if paper:
            kernel_us = f["kernel_cycles"] / mhz
            table1.append({"kernel": name, "row": paper.name, "paper_us": paper.exec_us,
                           "kernel_us": kernel_us, "kernel_error": (kernel_us - paper.exec_us) / paper.exec_us,
                           "host_timed_us": f["host_timed_us"],
                           "host_timed_error": (f["host_timed_us"] - paper.exec_us) / paper.exec_us,
                           "host_region": f["host_region"]})
    result = {"network": net.name, "reps": reps, "batches": rows, "table1": table1,
              "host_timing": dataclasses.asdict(platform().host_timing)}
    (out / f"{net.name}.json").parent.mkdir(parents=True, exist_ok=True)
    (out / f"{net.name}.json").write_text(json.dumps(result, indent=2))
    return result


def render(result: dict) -> str:
    lines = [f"{result['network']}: cycles of the RTL vs golden.cycles.batch_cycles",
             f"{'kernel':<18} {'numReps':>7} {'RTL':>11} {'model':>11} {'error':>8}"]
    for r in result["batches"]:
        lines.append(f"{r['kernel']:<18} {r['num_reps']:>7} {r['rtl_cycles']:>11} {r['model_cycles']:>11} "
                     f"{r['error']:>+8.2%}")
    if result["table1"]:
        lines += ["", "Table I (one image): the kernel alone, the host's timed region (golden/host_timing.py), "
                      "the paper",
                  f"{'kernel':<18} {'row':<6} {'kernel us':>10} {'vs paper':>9} {'timed us':>10} {'vs paper':>9} "
                  f"{'paper us':>10}"]
        for t in result["table1"]:
            lines.append(f"{t['kernel']:<18} {t['row']:<6} {t['kernel_us']:>10.2f} {t['kernel_error']:>+9.2%} "
                         f"{t['host_timed_us']:>10.2f} {t['host_timed_error']:>+9.2%} {t['paper_us']:>10.2f}")
    return "\n".join(lines)


def parse_reps(text: str) -> list[int]:
    """--reps, with the single image always among them (every kernel job runs it first)."""
    reps = parse_batch_sizes(text)
    return reps if reps[0] == 1 else [1] + reps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.perf.cycles_vs_rtl", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--network", default=None, help=f"one of {', '.join(networks.NETWORKS)}")
    ap.add_argument("--reps", default="1,2,3", help="batch sizes (numReps) to run and model (default 1,2,3)")
    ap.add_argument("--kernels", help="kernels to run (default: the natural split's full, part 1, part 2)")
    ap.add_argument("--seed", type=int, default=1)
    args, _ = ap.parse_known_args(argv)      # `golden cycles` options this command has no use for
    try:
        result = measure(networks.get(args.network).name, parse_reps(args.reps),
                         [k for k in (args.kernels or "").split(",") if k] or None, args.seed)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:      # a kernel run that failed: its report says why
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(render(result))
    print(f"written: {OUT / (result['network'] + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
