"""`make resources [NETWORK=...] [KERNELS=...]`: what each kernel costs on the PYNQ-Z1's
xc7z020, by open-source synthesis of this project's RTL (tb/jobs/synth.py: Yosys
`synth_xilinx`), next to the FINN-style estimate (hls_out/resources.py), Vivado's figures of
BNN-PYNQ's full kernels and the paper's Table I.

Writes build/resources/resources.json:
  {"board": ..., "tool": ..., "kernels": {name: {"network", "first", "last", "params",
   "lut", "lut_logic", "lut_mem", "ff", "ramb36", "ramb18", "bram_tiles", "dsp", "synth_s",
   "synth_cpu_s" (Yosys's CPU seconds: what compares on a shared machine), "cached", "pct": {...of the xc7z020}, "per_layer": {layer: {...}}, "shell": {...},
   "estimate": {...}, "estimate_error_pct": {"lut", "bram_tiles"}, "vivado": {...} | null,
   "paper": {"lut_pct", "bram_pct"} | null, "mac": "lut" | "dsp" | "auto",
   "on_board": {"lut", "dsp", "pct"} (only where Yosys mapped more DSP48E1 than the board has:
   the board's count, the other products in LUTs, as Vivado would build it)}},
   "ratios": {network: {"part1/full": {"lut": {"synthesis", "paper"}, "bram_tiles": {...}}, ...}}}
and prints the table. These are Yosys's cells for our RTL, not Vivado's implementation of the
HLS design: the README says how far apart they are.

`make resources KERNEL_DIR=DIR [NETWORK=...] [TOP=...]` (`--kernel-dir`) synthesizes a user's
HLS export instead (tb/jobs/synth_export.py) and prints it beside Vivado's figures of the
network's full kernel; the report keeps it apart from our kernels (which the planner reads):
  "exports": {"export:<folder name>": {"network", "first", "last", "folder", "top", "lut", ...,
   "synth_s", "tool", "rewritten": [...], "pct": {...}, "vivado": {...} | null, "ratio": {...}}}
With BY_BLOCK=1 (`--by-block`) the export is synthesized with its hierarchy kept and its entry,
"export:<folder name>:by-block", adds "by_block": {kind: {"lut", "lut_mem", "ff", "bram_tiles",
"dsp"}} (tb/jobs/hls_blocks.py: the AXI adapter, the MVAUs, the stream FIFOs, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from golden import data, networks
from golden.errors import BnnInputError
from golden.platform import platform
from golden.paths import BUILD
from golden.stages.mvau import MAC_VARIANTS
from hls_out import generate
from hls_out import kernel as kernels
from hls_out.resources import estimate, on_board
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
    if not generate.is_builtin(net):     # an imported network: its kernels, generated into its folder's hls/
        return [str(generate.kernel_for_range(net, a, b, BUILD / "kernels")) for a, b in net.natural_ranges().values()]
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
    b = platform("pynq-z1")     # golden/platform.py: what the percentages are of
    net = info.network
    mac = info.data.get("mac", "lut")
    est = estimate(net, info.first, info.last, mac=mac)
    e = est.to_json()
    out = {k: result[k] for k in ("network", "first", "last", "lut", "lut_logic", "lut_mem", "ff", "ramb36",
                                  "ramb18", "bram_tiles", "dsp", "synth_s", "cached", "per_layer", "shell",
                                  "pruned", "digest")}
    out["synth_cpu_s"] = result.get("synth_cpu_s")     # absent from results cached before it was measured
    out["params"] = params_source
    out["mac"] = mac
    out["pct"] = {"lut": pct(result["lut"], b.lut), "lut_mem": pct(result["lut_mem"], b.lut_mem),
                  "ff": pct(result["ff"], b.ff), "bram": pct(result["bram_tiles"], b.bram_tiles),
                  "dsp": pct(result["dsp"], b.dsp)}
    out["estimate"] = e
    if result["dsp"] > b.dsp:
        # Yosys maps every product it is given; Vivado builds at most the device's DSP48E1
        # (synth_design -max_dsp) and the other products in LUTs: the kernel as a board holds it.
        lut, dsp = on_board(result["lut"], result["dsp"], est.lut_per_dsp, b)
        out["on_board"] = {"lut": lut, "dsp": dsp, "pct": {"lut": pct(lut, b.lut), "dsp": pct(dsp, b.dsp)}}
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
    by_net: dict[tuple[str, str], dict[tuple[int, int], tuple[str, dict]]] = {}
    for name, r in rows.items():
        if "first" in r and r.get("network") in networks.NETWORKS:
            by_net.setdefault((r["network"], r.get("mac", "lut")), {})[(r["first"], r["last"])] = (name, r)
    for (netname, mac), got in by_net.items():
        net = networks.get(netname)
        full = got.get((0, len(net.layers) - 1))
        if not full:
            continue
        for (first, last), (name, r) in sorted(got.items()):
            if r is full[1]:
                continue
            label = f"{name.split('@')[0].rsplit('_', 1)[-1]}/full"
            item = {}
            for key, paper_key in (("lut", "lut_pct"), ("bram_tiles", "bram_pct")):
                ours = round(r[key] / full[1][key], 3) if full[1][key] else None
                theirs = (round(r["paper"][paper_key] / full[1]["paper"][paper_key], 3)
                          if r["paper"] and full[1]["paper"] else None)
                item[key] = {"synthesis": ours, "paper": theirs}
            out.setdefault(netname if mac == "lut" else f"{netname} MAC={mac}", {})[label] = item
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
        if r.get("on_board"):
            ob = r["on_board"]
            lines.append(f"{'':<16} on a board: {ob['dsp']} DSP48E1 ({ob['pct']['dsp']:g}%), the other "
                         f"{r['dsp'] - ob['dsp']} products in LUTs: {ob['lut']} LUT ({ob['pct']['lut']:g}%)")
    for netname, items in ratio.items():
        for label, item in items.items():
            parts = []
            for key, title in (("lut", "LUT"), ("bram_tiles", "BRAM")):
                s, pp = item[key]["synthesis"], item[key]["paper"]
                parts.append(f"{title} {s if s is not None else '-'} (paper {pp if pp is not None else '-'})")
            lines.append(f"{netname} {label}: " + ", ".join(parts))
    lines.append("* cached result (same sources, memory contents and Yosys)")
    return "\n".join(lines)


REPORT_SECTIONS = ("board", "tool", "kernels", "ratios")
EXPORT_ROWS = (("LUT", "lut"), ("LUT as memory", "lut_mem"), ("FF", "ff"), ("BRAM tiles", "bram_tiles"),
               ("DSP", "dsp"))


def kept_sections(report: Path) -> dict:
    """What a report holds besides our kernels (the exports' section): kept when the kernels are
    written again."""
    if not report.exists():
        return {}
    doc = json.loads(report.read_text())
    return {k: v for k, v in doc.items() if k not in REPORT_SECTIONS}


def export_entry(result: dict, net) -> dict:
    """The report's entry of a synthesized export: its tally, the share of the xc7z020, Vivado's
    figures of the network's full kernel and Yosys / Vivado."""
    b = platform("pynq-z1")
    out = {k: result[k] for k in ("network", "first", "last", "folder", "top", "lut", "lut_logic", "lut_mem", "ff",
                                  "ramb36", "ramb18", "bram_tiles", "dsp", "synth_s", "tool", "cached", "digest",
                                  "rewritten")}
    out["synth_cpu_s"] = result.get("synth_cpu_s")
    out["pct"] = {"lut": pct(result["lut"], b.lut), "lut_mem": pct(result["lut_mem"], b.lut_mem),
                  "ff": pct(result["ff"], b.ff), "bram": pct(result["bram_tiles"], b.bram_tiles),
                  "dsp": pct(result["dsp"], b.dsp)}
    v = net.vivado_full
    out["vivado"] = None if v is None else {"lut": v.lut, "lut_mem": v.lut_mem, "ff": v.ff,
                                            "bram_tiles": v.bram_tiles, "dsp": v.dsp}
    out["ratio"] = {key: (round(result[key] / out["vivado"][key], 3) if out["vivado"] and out["vivado"][key] else None)
                    for _, key in EXPORT_ROWS}
    if "by_block" in result:
        out["by_block"] = {kind: {k: t[k] for k in ("lut", "lut_mem", "ff", "bram_tiles", "dsp")}
                           for kind, t in result["by_block"].items()}
    return out


def export_table(key: str, row: dict) -> str:
    tool = " ".join(row["tool"].split()[:2])
    lines = [f"{key} ({row['top']}, {row['network']} layers {row['first']}-{row['last']}): {tool} synth_xilinx "
             f"{row['synth_s']:.1f} s{' (cached)' if row['cached'] else ''}",
             f"{'':<14} {'Yosys':>8} {'% xc7z020':>9} {'Vivado':>8} {'Yosys/Vivado':>12}"]
    pcts = {"lut": "lut", "lut_mem": "lut_mem", "ff": "ff", "bram_tiles": "bram", "dsp": "dsp"}
    for title, k in EXPORT_ROWS:
        v = row["vivado"][k] if row["vivado"] else None
        r = row["ratio"][k]
        lines.append(f"{title:<14} {row[k]:>8g} {row['pct'][pcts[k]]:>9.1f} {'-' if v is None else f'{v:g}':>8} "
                     f"{'-' if r is None else f'{r:.2f}':>12}")
    lines.append(f"BRAM tiles = RAMB36 {row['ramb36']} + RAMB18 {row['ramb18']} / 2; Vivado: Vivado 2018.2 after "
                 f"implementation of BNN-PYNQ's full {row['network']} kernel (its README)")
    if "by_block" in row:
        lines += ["", "hierarchy kept, by kind of block (tb/jobs/hls_blocks.py):",
                  f"{'':<24} {'LUT':>7} {'(mem)':>6} {'FF':>7} {'BRAM':>6} {'DSP':>4}"]
        lines += [f"{kind:<24} {t['lut']:>7} {t['lut_mem']:>6} {t['ff']:>7} {t['bram_tiles']:>6g} {t['dsp']:>4}"
                  for kind, t in row["by_block"].items()]
    return "\n".join(lines)


def export_main(args) -> int:
    """`--kernel-dir DIR`: synthesize the export, print it beside Vivado's figures, record it in
    the report under "exports"."""
    from tb.jobs import synth_export

    try:
        if args.kernels:
            raise BnnInputError("KERNELS= and KERNEL_DIR= (--kernels, --kernel-dir): give one of them")
        net = networks.get(args.network)
        top = args.top or synth_export.DEFAULT_TOP
        print(f"synthesizing the export in {args.kernel_dir} (top {top}, as {net.name}) ...", flush=True)
        result = synth_export.synthesize_export(args.kernel_dir, net.name, top=top, force=args.force,
                                                on_note=lambda note: print(f"note: {note}", flush=True),
                                                by_block=args.by_block)
    except (BnnInputError, synth.SynthesisError) as exc:
        print(f"make resources: {exc}", file=sys.stderr)
        return 2
    key = f"export:{Path(result['folder']).name}" + (":by-block" if args.by_block else "")
    row = export_entry(result, net)
    report = args.report
    doc = json.loads(report.read_text()) if report.exists() else {
        "board": "pynq-z1 (xc7z020)", "tool": synth.yosys_version(), "kernels": {}, "ratios": {}}
    doc.setdefault("exports", {})[key] = row
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(doc, indent=1) + "\n")
    print(export_table(key, row))
    print(f"written: {report} ({key})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.resources", description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default=networks.DEFAULT_NETWORK)
    ap.add_argument("--kernels", default=None, help="comma-separated kernels of hls_out/ (default: the "
                    "network's full, part1 and part2)")
    ap.add_argument("--params", default=None, help="folder of the trained .bin parameters")
    ap.add_argument("--seed", type=int, default=1, help="seed of the synthetic parameters when no trained ones")
    ap.add_argument("--force", action="store_true", help="synthesize even where a cached result matches")
    ap.add_argument("--mac", choices=MAC_VARIANTS, default="lut",
                    help="the MVAUs' products: lut (Mul_LUT, hls_out/), dsp (DSP48), auto (Default); the "
                         "kernels of a variant other than lut are generated into build/hls-mac-<variant>/")
    ap.add_argument("--report", type=Path, default=RESULT, help=f"where the report goes (default {RESULT})")
    ap.add_argument("--kernel-dir", default=None, help="synthesize this HLS export folder instead (make "
                    "resources KERNEL_DIR=), printed beside Vivado's figures of --network's full kernel")
    ap.add_argument("--top", default=None, help=f"top module of the export (default {platform().hls_top})")
    ap.add_argument("--by-block", action="store_true", help="with --kernel-dir: keep the export's hierarchy "
                    "and say what each kind of block costs (make resources KERNEL_DIR= BY_BLOCK=1)")
    args = ap.parse_args(argv)
    if args.kernel_dir is not None:
        return export_main(args)
    if args.by_block:
        print("make resources: BY_BLOCK=1 (--by-block) is for an HLS export: give KERNEL_DIR= too", file=sys.stderr)
        return 2
    try:
        names = kernel_names(args.network, args.kernels)
        rows: dict[str, dict] = {}
        report = args.report
        if args.mac != "lut":   # the variant's kernels, generated where they are missing or stale
            for path, text in generate.default_files(generate.mac_root(args.mac), mac=args.mac).items():
                if not path.exists() or path.read_text() != text:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
        if args.mac != "lut" and not generate.is_builtin(networks.get(args.network)):
            raise BnnInputError(f"MAC={args.mac}: the variants are generated for the built-in networks; "
                                f"an imported network's kernels are Mul_LUT")
        for ref in names:
            info = kernels.load(ref if args.mac == "lut" else generate.mac_root(args.mac) / ref)
            name = info.name
            params, source = kernel_params(info, args.params, args.seed)
            print(f"synthesizing {name} ({info.network_name} layers {info.first}-{info.last}, {source} "
                  f"parameters) ...", flush=True)
            result = synth.synthesize(info, params, force=args.force)
            rows[name if args.mac == "lut" else f"{name}@{args.mac}"] = entry(info, result, source)
            if result["pruned"]:
                print(f"  WARNING: {name}: synthesis pruned the design: {'; '.join(result['pruned'])}")
    except (BnnInputError, synth.SynthesisError) as exc:
        print(f"make resources: {exc}", file=sys.stderr)
        return 2
    ratio = ratios(rows)
    # read back only now: another `make resources` may have added kernels while this one ran
    previous = json.loads(report.read_text())["kernels"] if report.exists() else {}
    merged = {**previous, **rows}
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps({"board": "pynq-z1 (xc7z020)", "tool": synth.yosys_version(),
                                  "kernels": merged, "ratios": ratios(merged), **kept_sections(report)},
                                 indent=1) + "\n")
    print(table(rows, ratio))
    print(f"written: {report}")
    return 1 if any(r["pruned"] for r in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
