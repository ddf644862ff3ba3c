"""The split-pipeline co-simulation (`make sim`): every board's kernel RTL in one Verilator
run, joined by netsim's Ethernet link in simulation time, checked bit-exactly against golden/.

    python -m tb.jobs.cosim --topology split --images 20 [--loss 0.05] [--latency-us 5]

Writes to build/sim/: summary.json, link.pcap, timeline.png (and waves.fst with WAVES=1).
Link and host parameters are first-principles defaults (netsim.config.LinkConfig): 1 Gb/s,
TCP, one store-and-forward switch (1 us), 25 ns of cable, 10 us of host software per message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from golden import data
from golden.errors import BnnInputError
from golden.images import pack_images, pack_scores, pack_split, pixel_codes, predict, read_cifar, synthetic_images
from golden.model import run as golden_run
from golden.params import load_params, save_hex
from golden.synthetic import synthetic_params
from hls_out.generate import render_system
from netsim.config import ConfigError, TopologyConfig
from tb.jobs import runner
from tb.jobs.kernel_job import env_stall_seed, kernel_info, kernel_sources

KIND_KERNEL = {"full": "cnv_full", "part1": "cnv_part1", "part2": "cnv_part2"}


def board_kind(name: str) -> str:
    return "full" if name.startswith("full") else ("part2" if name == "fc" else "part1")


@dataclass
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
    ppm: float = 0.0                  # board clocks alternate +ppm / -ppm around 100 MHz
    out_dir: str | None = None

    @property
    def folder(self) -> Path:
        return Path(self.out_dir) if self.out_dir else runner.BUILD / "sim"

    def topology_config(self) -> TopologyConfig:
        link: dict = {}
        if self.loss or self.faults:
            link["faults"] = dict(self.faults or {"loss": self.loss})
        if self.latency_us is not None:
            link["propagation_ps"] = int(self.latency_us * 1e6)
        cfg = {"topology": self.topology, "images": self.images, "batch": self.batch,
               "seed": self.seed, "link": link}
        if self.transport:
            cfg["transport"] = dict(self.transport)
        try:
            return TopologyConfig.from_dict(cfg).validate()
        except ConfigError as exc:
            raise BnnInputError(f"topology config: {exc}") from None


def prepare(job: CosimJob) -> Path:
    cfg = job.topology_config()
    params = load_params(job.params) if job.params else synthetic_params(job.seed)
    if job.cifar:
        images, labels = read_cifar(job.cifar, job.images)
        if len(images) < job.images:
            raise BnnInputError(f"asked for {job.images} images, {job.cifar} holds {len(images)}")
    else:
        images, labels = synthetic_images(job.images, seed=job.seed + 1), None
    codes = pixel_codes(images)
    part1 = golden_run(params, codes, 0, 5)
    scores = golden_run(params, part1.output.reshape(len(codes), -1), 6, 8).output
    folder = job.folder
    folder.mkdir(parents=True, exist_ok=True)
    save_hex(params, folder / "params_hex")
    arrays = {"images": pack_images(codes), "split": pack_split(part1.output.reshape(len(codes), -1)),
              "scores": pack_scores(scores), "classes": predict(scores)}
    if labels is not None:
        arrays["labels"] = labels
    np.savez(folder / "cosim.npz", **arrays)
    boards = []
    for i, name in enumerate(cfg.board_names):
        sign = 1 if i % 2 == 0 else -1
        boards.append({"name": name, "kernel": KIND_KERNEL[board_kind(name)],
                       "period_ps": int(round(10_000 * (1 + sign * job.ppm * 1e-6)))})
    words = {kind: kernel_info(k)["words_per_image"] for kind, k in KIND_KERNEL.items()}
    slowest_ms = 5.0  # a generous bound on one kernel run of one image (part 1: ~3.5 ms)
    spec = asdict(job) | {
        "npz": str(folder / "cosim.npz"), "result": str(folder / "result.json"),
        "pcap": str(folder / "link.pcap"), "topology": cfg.to_dict(), "boards": boards,
        "words": words, "timeout_ms": 50 + 4 * slowest_ms * job.images,
        "params_source": params.source,
    }
    (folder / "system.sv").write_text(render_system([(b["name"], b["kernel"]) for b in boards]))
    (folder / "cosim.json").write_text(json.dumps(spec, indent=2))
    return folder / "cosim.json"


def run(job: CosimJob) -> dict:
    spec_path = prepare(job)
    spec = json.loads(spec_path.read_text())
    folder = job.folder
    kernels = sorted({b["kernel"] for b in spec["boards"]})
    sources = sorted(runner.RTL.glob("*.sv")) + [kernel_sources(k)[-1] for k in kernels] + [folder / "system.sv"]
    result_path = Path(spec["result"])
    result_path.unlink(missing_ok=True)
    tag = "+".join(f"{b['name']}:{b['kernel']}" for b in spec["boards"])
    error = None
    try:
        runner.run("bnnsplit_system", sources, "tb.benches.tb_system", extra_env={"BNNSPLIT_COSIM": str(spec_path)},
                   plusargs=[f"+PARAMS_DIR={folder / 'params_hex'}"], build_tag=tag,
                   waves_file=folder / "waves.fst" if runner.waves_enabled() else None)
    except AssertionError as exc:
        error = str(exc)
    if not result_path.exists():
        raise AssertionError(f"co-simulation wrote no result ({error})")
    result = json.loads(result_path.read_text())
    summary = summarize(spec, result, error)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_timeline(spec, result, folder / "timeline.png")
    return summary


def summarize(spec: dict, result: dict, error: str | None) -> dict:
    arrays = np.load(spec["npz"])
    n = len(arrays["images"])
    lost = result["lost"]
    lat = [None] * n
    if not lost:
        lat = [(c - s) / 1e6 for s, c in zip(result["submitted_ps"], result["completed_ps"])]
    classes = arrays["classes"].tolist()
    labels = arrays["labels"].tolist() if "labels" in arrays else [None] * n
    mism = result.get("mismatches", [])
    per_image = [{"image": k, "class": classes[k], "expected": labels[k],
                  "match": k not in mism and k not in lost, "latency_us": lat[k]} for k in range(n)]
    order = result.get("arrival_order", [])   # image ids as their scores reached the host
    return {
        "topology": spec["topology"]["topology"], "boards": [b["name"] for b in spec["boards"]],
        "params": spec["params_source"], "images": n,
        "mismatches": len(mism) + len(result["split_errors"]), "split_errors": result["split_errors"],
        "lost": len(lost), "duplicated": len(order) - len(set(order)),
        "latency_us": lat, "per_image": per_image,
        "throughput_img_s": result.get("throughput"), "response_time_s": (result.get("makespan_ps") or 0) / 1e12,
        "board_busy": result.get("board_busy"), "link_utilisation": result.get("link_utilisation"),
        "frames": result.get("frames"), "retransmissions": result.get("retransmissions"),
        "kernel_cycles": {k: v["cycles"] for k, v in result["boards"].items()},
        "netsim_summary": result.get("summary"), "failures": result.get("failures", []),
        "error": (result.get("failures") or [None])[0] or error,
    }


def plot_timeline(spec: dict, result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    boards = [b["name"] for b in spec["boards"]]
    wires = sorted({f[1] for f in result["frames_log"]})
    fig, ax = plt.subplots(figsize=(11, 1 + 0.45 * (len(boards) + len(wires))))
    rows = boards + wires
    for r, name in enumerate(boards):
        ivs = [(s / 1e6, (e - s) / 1e6) for s, e, _ in result["boards"].get(name, {}).get("intervals", [])]
        ax.broken_barh(ivs, (r - 0.4, 0.8), facecolor="tab:blue", edgecolor="white")
        for s, e, ids in result["boards"].get(name, {}).get("intervals", []):
            ax.text((s + e) / 2e6, r, ",".join(map(str, ids)), ha="center", va="center", fontsize=6, color="white")
    for r, w in enumerate(wires, start=len(boards)):
        xs = [f[0] / 1e6 for f in result["frames_log"] if f[1] == w]
        bad = [f[0] / 1e6 for f in result["frames_log"] if f[1] == w and (f[3] or f[4])]
        ax.plot(xs, [r] * len(xs), "|", color="tab:green", markersize=8)
        if bad:
            ax.plot(bad, [r] * len(bad), "x", color="tab:red", markersize=6)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("simulation time (us)")
    ax.set_title(f"{spec['topology']['topology']}: kernel runs (blue, image ids) and frames on each cable "
                 f"(green; red = lost/corrupted)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_summary(s: dict) -> None:
    print(f"topology {s['topology']} ({', '.join(s['boards'])}), {s['images']} images, {s['params']}")
    print(f"{'image':>5} {'class':>5} {'expected':>8} {'match':>5} {'latency_us':>11}")
    for im in s["per_image"]:
        exp = "" if im["expected"] is None else im["expected"]
        lat = "" if im["latency_us"] is None else f"{im['latency_us']:.1f}"
        print(f"{im['image']:>5} {im['class']:>5} {exp!s:>8} {'yes' if im['match'] else 'NO':>5} {lat:>11}")
    if s["throughput_img_s"]:
        print(f"throughput {s['throughput_img_s']:.1f} img/s, response time {s['response_time_s']:.6f} s")
        print("board busy: " + ", ".join(f"{k} {v:.1%}" for k, v in s["board_busy"].items()))
        util = s["link_utilisation"] or {}
        if util:
            w = max(util, key=util.get)
            print(f"link utilisation: max {util[w]:.2%} on {w}")
        print(f"frames {s['frames']}, retransmissions {s['retransmissions']}")
    print(f"mismatches {s['mismatches']}, lost {s['lost']}, duplicated {s['duplicated']}")
    if s["error"]:
        print(f"error: {s['error']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.cosim", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topology", default="split", help="split, split-B (B boards), full")
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--params")
    ap.add_argument("--cifar")
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--latency-us", type=float)
    ap.add_argument("--ppm", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stall-seed", type=int, help="random pauses on every AXI channel, with this seed")
    args = ap.parse_args(argv)
    try:
        params = args.params or (None if args.synthetic else data.params_dir())
        cifar = args.cifar or (None if args.synthetic else data.cifar_file())
        job = CosimJob(args.topology, args.images, str(params) if params else None,
                       str(cifar) if cifar else None, args.seed, args.batch, args.loss,
                       args.latency_us, args.ppm)
        if args.stall_seed is not None:
            job.stall_seed = args.stall_seed
        s = run(job)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_summary(s)
    print(f"written: {job.folder / 'summary.json'}, {job.folder / 'link.pcap'}, {job.folder / 'timeline.png'}")
    return 0 if not s["mismatches"] and not s["lost"] and not s["error"] else 1


if __name__ == "__main__":
    sys.exit(main())
