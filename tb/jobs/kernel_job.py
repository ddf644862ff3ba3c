"""One kernel run, prepared from the golden model and checked against it.

`prepare()` turns (kernel, parameters, images) into what the cocotb testbench needs: the
64-bit words the host writes per image, the words the kernel must write back (from golden/),
and the $readmemh files of the kernel's layers. `run()` builds and simulates the kernel
through tb/jobs/runner.py and returns the report the testbench wrote (per image match and
cycles, batch initiation interval). `python -m tb.jobs.kernel_job` is `make sim-<kernel>`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from golden import data
from golden.errors import BnnInputError
from golden.images import pack_codes, pack_images, pack_scores, pixel_codes, predict, read_cifar, synthetic_images
from golden.model import run as golden_run
from golden.params import LayerParams, Params, load_params, save_hex
from golden.synthetic import synthetic_params
from tb.jobs import clocking
from tb.jobs import runner

HLS_OUT = runner.REPO / "hls_out"
# Table I of the BNNsplit paper: single-image execution time at 100 MHz, in cycles.
PAPER_LATENCY_CYCLES = {"cnv_full": 486777, "cnv_part1": 348023, "cnv_part2": 138970}


@dataclass
class KernelJob:
    kernel: str = "cnv_part2"
    images: int = 3
    params: str | None = None        # folder of .bin files; None = synthetic network
    cifar: str | None = None         # CIFAR-10 file; None = synthetic images
    seed: int = 1
    init_layers: list[int] = field(default_factory=list)   # loaded by init mode, not preload
    bus_errors: list[dict] = field(default_factory=list)   # inject {buffer: in|out, image, resp}
    # Mutation testing: patches to the preloaded hex words {file, line, xor | add}, and a
    # modified copy of the kernel top to simulate instead of hls_out/<kernel>/<kernel>.sv.
    # Random pauses on every AXI channel (reproducible); $BNNSPLIT_STALLS=<seed> turns them
    # on for every run, so the whole regression can be repeated under backpressure.
    stall_seed: int | None = field(default_factory=lambda: env_stall_seed())
    param_patches: list[dict] = field(default_factory=list)
    kernel_sv: str | None = None
    out_dir: str | None = None

    @property
    def folder(self) -> Path:
        return Path(self.out_dir) if self.out_dir else runner.BUILD / self.kernel


def env_stall_seed() -> int | None:
    import os

    v = os.environ.get("BNNSPLIT_STALLS", "")
    if not v:
        return None
    if not v.isdigit():
        raise BnnInputError(f"BNNSPLIT_STALLS={v!r}: expected a seed (a whole number)")
    return int(v)


def kernel_info(kernel: str) -> dict:
    path = HLS_OUT / kernel / "kernel.json"
    if not path.exists():
        known = sorted(p.parent.name for p in HLS_OUT.glob("*/kernel.json"))
        raise BnnInputError(f"unknown kernel {kernel!r}: no {path}; generated kernels: {', '.join(known)}")
    return json.loads(path.read_text())


def tensor_words(t: np.ndarray) -> np.ndarray:
    """Ternary tensor (N, ...) in stream order -> the 64-bit words a kernel writes/reads."""
    packed = pack_codes(t.reshape(len(t), -1), 2)
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def load_job_params(job: KernelJob) -> Params:
    return load_params(job.params) if job.params else synthetic_params(job.seed)


def prepare(job: KernelJob) -> Path:
    info = kernel_info(job.kernel)
    first, last = info["layers"][0]["index"], info["layers"][-1]["index"]
    params = load_job_params(job)
    if job.cifar:
        images, labels = read_cifar(job.cifar, job.images)
    else:
        images, labels = synthetic_images(job.images, seed=job.seed + 1), None
    if len(images) < job.images:
        raise BnnInputError(f"asked for {job.images} images, {job.cifar} holds {len(images)}")
    codes = pixel_codes(images)
    full = golden_run(params, codes, 0, last)
    if first == 0:
        in_words = pack_images(codes)
    else:
        in_words = tensor_words(golden_run(params, codes, 0, first - 1).output)
    expected = pack_scores(full.output) if last == 8 else tensor_words(full.output)
    assert in_words.shape[1] == info["words_per_image"]["in"], "kernel.json disagrees with golden/"
    assert expected.shape[1] == info["words_per_image"]["out"], "kernel.json disagrees with golden/"
    folder = job.folder
    folder.mkdir(parents=True, exist_ok=True)
    hexdir = folder / "params_hex"
    preload = {i: params[i] for i in range(first, last + 1)}
    for i in job.init_layers:
        if i not in preload:
            raise BnnInputError(f"init layer {i} is not in kernel {job.kernel} (layers {first}-{last})")
        # The preload of an init-mode layer is a decoy (negated weights): only a working
        # init path can give the expected results.
        preload[i] = LayerParams(-params[i].weights, params[i].thresholds)
    save_hex(Params(preload, params.folding, params.source), hexdir)
    for patch in job.param_patches:
        apply_hex_patch(hexdir / patch["file"], patch)
    arrays = {"in_words": in_words, "expected": expected}
    if last == 8:
        arrays["classes"] = predict(full.output)
    if labels is not None:
        arrays["labels"] = labels
    for i in job.init_layers:
        arrays[f"init{i}_weights"] = params[i].weights
        if params[i].thresholds is not None:
            arrays[f"init{i}_thresholds"] = params[i].thresholds
    np.savez(folder / "job.npz", **arrays)
    cfg = asdict(job) | {
        "npz": str(folder / "job.npz"), "report": str(folder / "report.json"),
        "first": first, "last": last, "info": info,
        "folding": {str(i): [params.folding.simd(i), params.folding.pe(i)] for i in range(first, last + 1)},
        "paper_latency_cycles": PAPER_LATENCY_CYCLES.get(job.kernel),
        "params_source": params.source,
    }
    (folder / "job.json").write_text(json.dumps(cfg, indent=2))
    return folder / "job.json"


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


def kernel_sources(kernel: str, top_sv: str | Path | None = None) -> list[Path]:
    return sorted(runner.RTL.glob("*.sv")) + [Path(top_sv) if top_sv else HLS_OUT / kernel / f"{kernel}.sv"]


def hdl_clock_enabled() -> bool:
    """Kernel simulations generate their clock in HDL (tb/jobs/clocking.py) unless
    BNNSPLIT_HDL_CLOCK=0 (cocotb's Clock on the bare kernel, as before)."""
    import os
    return os.environ.get("BNNSPLIT_HDL_CLOCK", "1") not in ("", "0")


def kernel_toplevel(kernel: str, top_sv: str | Path | None = None, build_tag: str = "",
                    hdl_clock: bool | None = None) -> tuple[str, list[Path], list[str]]:
    """(toplevel, sources, Verilator build options) of a simulation of `kernel` (from
    `top_sv` if given): the clock wrapper <kernel>_tb (tb/jobs/clocking.py), generated into its
    build folder and built with --timing; with hdl_clock=False (or BNNSPLIT_HDL_CLOCK=0)
    the kernel itself, clocked by cocotb."""
    sources = kernel_sources(kernel, top_sv)
    if hdl_clock is None:
        hdl_clock = hdl_clock_enabled()
    if not hdl_clock:
        return kernel, sources, []
    top = kernel + clocking.WRAPPER_SUFFIX
    wrapper = clocking.write_clock_wrapper(kernel, sources[-1], runner.build_dir_for(top, {}, build_tag))
    return top, sources + [wrapper], ["--timing"]


def run(job: KernelJob) -> dict:
    cfg = prepare(job)
    report = job.folder / "report.json"
    report.unlink(missing_ok=True)
    hexdir = job.folder / "params_hex"
    error = None
    try:
        tag = _mutant_tag(job.kernel_sv)
        top, sources, build_args = kernel_toplevel(job.kernel, job.kernel_sv, tag)
        runner.run(top, sources, "tb.benches.tb_kernel", build_tag=tag, build_args=build_args,
                   extra_env={"BNNSPLIT_JOB": str(cfg)}, plusargs=[f"+PARAMS_DIR={hexdir}"],
                   waves_file=str(job.folder / "waves.fst") if runner.waves_enabled() else None)
    except AssertionError as exc:   # the report still says what went wrong, image by image
        error = exc
    if not report.exists():
        raise AssertionError(f"kernel {job.kernel} wrote no report ({error})")
    result = json.loads(report.read_text())
    if error is not None:
        result["error"] = result.get("failure") or str(error)
    return result


def print_report(r: dict) -> None:
    print(f"kernel {r['kernel']} ({r['params_source']}), {len(r['images'])} image(s)")
    print(f"{'image':>5} {'class':>5} {'label':>5} {'match':>5} {'cycles':>9}")
    for im in r["images"]:
        cls = "" if im.get("class") is None else im["class"]
        lab = "" if im.get("label") is None else im["label"]
        cyc = "" if im.get("cycles") is None else im["cycles"]
        print(f"{im['index']:>5} {cls!s:>5} {lab!s:>5} {'yes' if im['match'] else 'NO':>5} {cyc!s:>9}")
    t = r["timing"]
    print(f"latency (1 image, start->done): {t['latency_cycles']} cycles = {t['latency_cycles'] / 100:.2f} us @100MHz"
          + (f"; paper Table I {t['paper_latency_cycles']} ({100 * t['latency_vs_paper']:+.1f}%)"
             if t.get("paper_latency_cycles") else ""))
    if t.get("ii_cycles"):
        print(f"batch initiation interval: {t['ii_cycles']:.0f} cycles; slowest layer "
              f"{t['analytic_ii_cycles']} ({100 * t['ii_vs_analytic']:+.2f}%)")
    print(f"mismatches: {r['mismatches']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.kernel_job",
                                 description="Run one generated kernel under Verilator and check it")
    ap.add_argument("--kernel", default="cnv_part2")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--params", help="folder of BNN-PYNQ .bin files (default: $BNNSPLIT_DATA, else synthetic)")
    ap.add_argument("--cifar", help="CIFAR-10 file (default: $BNNSPLIT_DATA, else synthetic images)")
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic network and images")
    ap.add_argument("--stall-seed", type=int, help="random pauses on every AXI channel, with this seed")
    ap.add_argument("--init-layer", type=int, action="append", default=[],
                    help="load this layer through AXI4-Lite init mode instead of preload")
    args = ap.parse_args(argv)
    try:
        params = args.params or (None if args.synthetic else data.params_dir())
        cifar = args.cifar or (None if args.synthetic else data.cifar_file())
        job = KernelJob(args.kernel, args.images, str(params) if params else None,
                        str(cifar) if cifar else None, init_layers=args.init_layer, stall_seed=args.stall_seed)
        r = run(job)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_report(r)
    print(f"report: {job.folder / 'report.json'}")
    return 0 if r["mismatches"] == 0 and "error" not in r else 1


if __name__ == "__main__":
    sys.exit(main())
