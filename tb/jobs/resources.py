"""`make resources [NETWORK=...] [KERNELS=...]`: what each kernel costs on the PYNQ-Z1's
xc7z020, by open-source synthesis of this project's RTL (tb/jobs/synth.py: Yosys
`synth_xilinx`), next to the FINN-style estimate (hls_out/resources.py), Vivado's figures of
BNN-PYNQ's full kernels and the paper's Table I.

Writes build/resources/resources.json:
  {"board": ..., "tool": ..., "kernels": {name: {"network", "first", "last", "params",
   "lut", "lut_logic", "lut_mem", "ff", "ramb36", "ramb18", "bram_tiles", "dsp", "synth_s",
   "cached", "pct": {...of the xc7z020}, "per_layer": {layer: {...}}, "shell": {...},
   "estimate": {...}, "estimate_error_pct": {"lut", "bram_tiles"}, "vivado": {...} | null,
   "paper": {"lut_pct", "bram_pct"} | null}},
   "ratios": {network: {"part1/full": {"lut": {"synthesis", "paper"}, "bram_tiles": {...}}, ...}}}
and prints the table. These are Yosys's cells for our RTL, not Vivado's implementation of the
HLS design: the README says how far apart they are.
"""

from __future__ import annotations

import argparse
import json
import sys

from golden import data, networks
from golden.errors import BnnInputError
from hls_out import kernel as kernels
from hls_out.resources import BOARDS, estimate
from tb.jobs import synth
from tb.jobs.stimulus import job_params

RESULT = synth.OUT / "resources.json"


def kernel_names(network: str, names: str | None) -> list[str]:
    net = networks.get(network)
    if names:
        wanted = [n.strip() for n in names.split(",") if n.strip()]
        known = kernels.known()
        bad = [n for n in wanted if n not in known]
        if bad:
            raise BnnInputError(f"KERNELS: unknown kernel(s) {', '.join(bad)}; generated kernels: {', '.join(known)}")
        return wanted
    return [f"{net.kernel_prefix}_{role}" for role in ("full", "part1", "part2")]


def kernel_params(info, params_dir: str | None, seed: int):
    """The trained parameters of the kernel's network where present, else the seeded synthetic
    network of the same shapes (same memory shapes, so the same cells): (params, source)."""
    directory = params_dir or data.params_dir(info.network_name)
    params = job_params(info.network_name, str(directory) if directory else None, seed)
    return params, ("trained" if directory else f"synthetic (seed {seed})")


def pct(value: float, capacity: float) -> float:
    return round(100.0 * value / capacity, 2)


def err_pct(est: float, syn: float) -> float | None:
    return round(100.0 * (est - syn) / syn, 1) if syn else None


def entry(info, result: dict, params_source: str) -> dict:
    b = BOARDS["pynq-z1"]
    net = info.network
    e = estimate(net, info.first, info.last).to_json()
    out = {k: result[k] for k in ("network", "first", "last", "lut", "lut_logic", "lut_mem", "ff", "ramb36",
                                  "ramb18", "bram_tiles", "dsp", "synth_s", "cached", "per_layer", "shell",
                                  "pruned", "digest")}
    out["params"] = params_source
    out["pct"] = {"lut": pct(result["lut"], b.lut), "lut_mem": pct(result["lut_mem"], b.lut_mem),
                  "ff": pct(result["ff"], b.ff), "bram": pct(result["bram_tiles"], b.bram_tiles),
                  "dsp": pct(result["dsp"], b.dsp)}
    out["estimate"] = e
    out["estimate_error_pct"] = {"lut": err_pct(e["lut"], result["lut"]),
                                 "bram_tiles": err_pct(e["bram_tiles"], result["bram_tiles"])}
    full = (info.first, info.last) == (0, len(net.layers) - 1)
    v = net.vivado_full if full else None
    out["vivado"] = None if v is None else {"lut": v.lut, "lut_mem": v.lut_mem, "ff": v.ff,
                                            "bram_tiles": v.bram_tiles, "dsp": v.dsp}
    paper = info.paper()
    out["paper"] = None if paper is None else {"lut_pct": paper.lut_pct, "bram_pct": paper.bram_pct}
    return out


def ratios(rows: dict[str, dict]) -> dict:
    """part1/full and part2/full of LUT and BRAM, ours and the paper's, per network."""
    out: dict[str, dict] = {}
    by_net: dict[str, dict[tuple[int, int], tuple[str, dict]]] = {}
    for name, r in rows.items():
        by_net.setdefault(r["network"], {})[(r["first"], r["last"])] = (name, r)
    for netname, got in by_net.items():
        net = networks.get(netname)
        full = got.get((0, len(net.layers) - 1))
        if not full:
            continue
        for (first, last), (name, r) in sorted(got.items()):
            if r is full[1]:
                continue
            label = f"{name.rsplit('_', 1)[-1]}/full"
            item = {}
            for key, paper_key in (("lut", "lut_pct"), ("bram_tiles", "bram_pct")):
                ours = round(r[key] / full[1][key], 3) if full[1][key] else None
                theirs = (round(r["paper"][paper_key] / full[1]["paper"][paper_key], 3)
                          if r["paper"] and full[1]["paper"] else None)
                item[key] = {"synthesis": ours, "paper": theirs}
            out.setdefault(netname, {})[label] = item
    return out


def table(rows: dict[str, dict], ratio: dict) -> str:
    lines = [f"{'kernel':<16} {'layers':>6} {'LUT':>7} {'(mem)':>6} {'FF':>7} {'RAMB36':>6} {'RAMB18':>6} "
             f"{'BRAM':>6} {'DSP':>4} {'LUT%':>6} {'BRAM%':>6}  {'est LUT':>8} {'est BRAM':>8}  "
             f"{'Vivado LUT/BRAM':>16} {'paper LUT%/BRAM%':>17} {'synth s':>8}"]
    for name, r in rows.items():
        e, v, p = r["estimate"], r["vivado"], r["paper"]
        viv = f"{v['lut']}/{v['bram_tiles']:g}" if v else "-"
        pap = f"{p['lut_pct']:g}/{p['bram_pct']:g}" if p else "-"
        lines.append(
            f"{name:<16} {r['first']:>3}-{r['last']:<2} {r['lut']:>7} {r['lut_mem']:>6} {r['ff']:>7} {r['ramb36']:>6} "
            f"{r['ramb18']:>6} {r['bram_tiles']:>6g} {r['dsp']:>4} {r['pct']['lut']:>6.1f} {r['pct']['bram']:>6.1f}  "
            f"{e['lut']:>8} {e['bram_tiles']:>8g}  {viv:>16} {pap:>17} "
            f"{r['synth_s']:>7.1f}{'*' if r['cached'] else ' '}")
    for netname, items in ratio.items():
        for label, item in items.items():
            parts = []
            for key, title in (("lut", "LUT"), ("bram_tiles", "BRAM")):
                s, pp = item[key]["synthesis"], item[key]["paper"]
                parts.append(f"{title} {s if s is not None else '-'} (paper {pp if pp is not None else '-'})")
            lines.append(f"{netname} {label}: " + ", ".join(parts))
    lines.append("* cached result (same sources, memory contents and Yosys)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.resources", description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default=networks.DEFAULT_NETWORK)
    ap.add_argument("--kernels", default=None, help="comma-separated kernels of hls_out/ (default: the "
                    "network's full, part1 and part2)")
    ap.add_argument("--params", default=None, help="folder of the trained .bin parameters")
    ap.add_argument("--seed", type=int, default=1, help="seed of the synthetic parameters when no trained ones")
    ap.add_argument("--force", action="store_true", help="synthesize even where a cached result matches")
    args = ap.parse_args(argv)
    try:
        names = kernel_names(args.network, args.kernels)
        rows: dict[str, dict] = {}
        previous = json.loads(RESULT.read_text())["kernels"] if RESULT.exists() else {}
        for name in names:
            info = kernels.load(name)
            params, source = kernel_params(info, args.params, args.seed)
            print(f"synthesizing {name} ({info.network_name} layers {info.first}-{info.last}, {source} "
                  f"parameters) ...", flush=True)
            result = synth.synthesize(info, params, force=args.force)
            rows[name] = entry(info, result, source)
            if result["pruned"]:
                print(f"  WARNING: {name}: synthesis pruned the design: {'; '.join(result['pruned'])}")
    except (BnnInputError, synth.SynthesisError) as exc:
        print(f"make resources: {exc}", file=sys.stderr)
        return 2
    ratio = ratios(rows)
    merged = {**previous, **rows}
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps({"board": "pynq-z1 (xc7z020)", "tool": synth.yosys_version(),
                                  "kernels": merged, "ratios": ratios(merged)}, indent=1) + "\n")
    print(table(rows, ratio))
    print(f"written: {RESULT}")
    return 1 if any(r["pruned"] for r in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
