"""What a kernel costs and what a board has: a FINN-style analytic estimate of the FPGA
resources of any layer range, computed instantly from the network's shapes and folding, and
the capacities of the boards a plan can use.

The estimate follows FINN's cost model of an MVAU (our own arithmetic, not FINN's code):
- weights: one memory per PE of WMEM words of SIMD x weight bits; large ones go to block RAM
  (RAMB18 in the aspect ratio that fits the word width: 1x16K, 2x8K, 4x4K, 9x2K, 18x1K,
  36x512), small ones (<= `LUTRAM_MAX_BITS`) to LUT RAM (64 bits per LUT);
- sliding-window buffers of conv layers: K+1 line buffers of IFM_dim x IFM_ch/SIMD words of
  SIMD x input bits (as finn-hlslib's ConvolutionInputGenerator), mapped like the weights;
- thresholds: TMEM x (2^A - 1) values of the accumulator width per PE, held in LUT RAM (the
  HLS top partitions them completely);
- LUTs: a constant per layer plus, per PE, the SIMD multipliers, the adder tree, the
  accumulator and the threshold comparators, scaled as FINN does (300 + 1.1 x ...);
- DSPs: none (BNN-PYNQ's MVAUs multiply in LUTs; the pixel layer's 8-bit products too).
These are estimates of this project's kernels, not a synthesis result: `make resources`
synthesizes the kernels (build/resources/resources.json), and `stage_resources` corrects the
estimate with those figures where they exist (the kernel of that exact layer range, else each
layer's synthesized cells plus the synthesized AXI shell) for the partition planner's fit check.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from golden.network import Network

SYNTHESIZED = Path(__file__).resolve().parents[1] / "build" / "resources" / "resources.json"
LUTRAM_MAX_BITS = 2048     # a weight memory this small stays in LUTs
SHELL_LUT = 2500           # AXI4 burst reader/writer, AXI4-Lite control block, sequencer
ACC_BITS = 16              # accumulator width of the thresholded layers


@dataclass(frozen=True)
class BoardSpec:
    name: str
    part: str
    lut: int
    lut_mem: int
    ff: int
    bram_tiles: int          # RAMB36 tiles (each two RAMB18)
    dsp: int
    clock_hz: float
    link_bps: float


BOARDS = {
    "pynq-z1": BoardSpec("pynq-z1", "xc7z020", lut=53200, lut_mem=17400, ff=106400, bram_tiles=140,
                         dsp=220, clock_hz=100e6, link_bps=1e9),
}


def board(name: str) -> BoardSpec:
    if name not in BOARDS:
        from golden.errors import BnnInputError
        raise BnnInputError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}")
    return BOARDS[name]


def ramb18_for(depth: int, width: int) -> int:
    """RAMB18 primitives holding `depth` words of `width` bits (best aspect ratio)."""
    for w, d in ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024)):
        if width <= w:
            return math.ceil(depth / d)
        if width <= 36 and w == 18 and depth > 512:
            return math.ceil(depth / d) * math.ceil(width / 18)
    return math.ceil(depth / 512) * math.ceil(width / 36)


@dataclass
class LayerEstimate:
    layer: int
    ramb18: int
    lut: int
    lutram_bits: int

    @property
    def bram_tiles(self) -> float:
        return self.ramb18 / 2


@dataclass
class Estimate:
    network: str
    first: int
    last: int
    layers: list[LayerEstimate] = field(default_factory=list)

    @property
    def ramb18(self) -> int:
        return sum(x.ramb18 for x in self.layers)

    @property
    def bram_tiles(self) -> float:
        return self.ramb18 / 2

    @property
    def lut(self) -> int:
        return SHELL_LUT + sum(x.lut for x in self.layers) + math.ceil(sum(x.lutram_bits for x in self.layers) / 64)

    @property
    def lut_mem(self) -> int:
        return math.ceil(sum(x.lutram_bits for x in self.layers) / 64)

    def fits(self, b: BoardSpec) -> bool:
        return self.bram_tiles <= b.bram_tiles and self.lut <= b.lut and self.lut_mem <= b.lut_mem

    def to_json(self) -> dict:
        return {"network": self.network, "first": self.first, "last": self.last, "bram_tiles": self.bram_tiles,
                "ramb18": self.ramb18, "lut": self.lut, "lut_mem": self.lut_mem, "dsp": 0,
                "per_layer": [{"layer": x.layer, "ramb18": x.ramb18, "lut": x.lut} for x in self.layers]}


def layer_estimate(network: Network, index: int) -> LayerEstimate:
    spec, f = network.layer(index), network.folding
    simd, pe = f.simd(index), f.pe(index)
    wbits = spec.weight_bits
    abits = spec.in_bits
    width, depth = simd * wbits, f.wmem(index)
    if depth * width <= LUTRAM_MAX_BITS:
        ramb18, lutram = 0, pe * depth * width
    else:
        ramb18, lutram = pe * ramb18_for(depth, width), 0
    if spec.kind == "conv":
        buf_depth, buf_width = spec.ifm_dim * spec.ifm_ch // simd, simd * abits
        if buf_depth * buf_width <= LUTRAM_MAX_BITS:
            lutram += (spec.kernel + 1) * buf_depth * buf_width
        else:
            ramb18 += (spec.kernel + 1) * ramb18_for(buf_depth, buf_width)
    levels = (2 ** spec.out_bits - 1) if spec.thresholds else 0
    lutram += pe * f.tmem(index) * levels * ACC_BITS if spec.thresholds else 0
    wa = wbits + abits
    mult = simd * (2 * math.ceil(wa / 6) - 1) * wa
    adder = wa * (2 * simd - 1)
    comparators = levels * ACC_BITS
    lut = round(300 + 1.1 * pe * (mult + adder + ACC_BITS + comparators))
    return LayerEstimate(index, ramb18, lut, lutram)


def estimate(network: Network, first: int, last: int) -> Estimate:
    network.check_range(first, last)
    return Estimate(network.name, first, last, [layer_estimate(network, i) for i in range(first, last + 1)])


def fit_warnings(network: Network, ranges: list[tuple[int, int]], b: BoardSpec,
                 measured: dict[str, dict] | None = None) -> list[str]:
    """A warning for every layer range (a plan's stages) whose resources (`stage_resources`:
    the estimate, corrected by `measured` synthesis figures) exceed the board."""
    out = []
    for first, last in ranges:
        e = stage_resources(network, first, last, measured)
        if not e.fits(b):
            out.append(f"stage {first}-{last} of {network.name} does not fit a {b.name} ({b.part}): {e.source} "
                       f"{e.bram_tiles:g} of {b.bram_tiles} BRAM tiles, {e.lut} of {b.lut} LUTs, "
                       f"{e.lut_mem} of {b.lut_mem} LUTs as memory")
    return out


# ---------------------------------------------------------------- corrected by synthesis
@dataclass
class StageResources:
    """What a stage (a layer range) needs, and where the figure comes from."""

    network: str
    first: int
    last: int
    lut: int
    lut_mem: int
    bram_tiles: float
    dsp: int
    source: str              # "estimate", "synthesis (<kernel>)", "synthesis (k of n layers)"
    ramb18: int = 0

    def fits(self, b: BoardSpec) -> bool:
        return self.bram_tiles <= b.bram_tiles and self.lut <= b.lut and self.lut_mem <= b.lut_mem

    def to_json(self) -> dict:
        return {"network": self.network, "first": self.first, "last": self.last, "lut": self.lut,
                "lut_mem": self.lut_mem, "bram_tiles": self.bram_tiles, "ramb18": self.ramb18, "dsp": self.dsp,
                "source": self.source}


RESOURCES_ENV = "BNNSPLIT_RESOURCES"   # another resources.json, or "none" for the estimate only


def synthesized(path: str | Path | None = None) -> dict[str, dict]:
    """The kernels `make resources` has synthesized ({} when it has not run, or when
    BNNSPLIT_RESOURCES=none; BNNSPLIT_RESOURCES=<file> reads another report)."""
    import os
    env = os.environ.get(RESOURCES_ENV, "")
    if path is None and env.lower() == "none":
        return {}
    path = Path(path) if path else (Path(env) if env else SYNTHESIZED)
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text())["kernels"])
    except (ValueError, KeyError, TypeError) as exc:
        from golden.errors import BnnInputError
        raise BnnInputError(f"{path}: not a resources report of `make resources` ({exc})") from None


def stage_resources(network: Network, first: int, last: int, measured: dict[str, dict] | None = None
                    ) -> StageResources:
    """The estimate of layers first..last, corrected by synthesis where `measured` (the kernels
    of `synthesized()`) has figures: the kernel of exactly this range, else per layer the
    synthesized layer (any kernel of the network) plus the mean synthesized shell, the
    estimate standing in for layers never synthesized."""
    e = estimate(network, first, last)
    mine = {n: r for n, r in (measured or {}).items() if r.get("network") == network.name}
    rows = list(mine.values())
    for name, r in mine.items():
        if (r["first"], r["last"]) == (first, last):
            return StageResources(network.name, first, last, int(r["lut"]), int(r["lut_mem"]),
                                  float(r["bram_tiles"]), int(r["dsp"]), f"synthesis ({name})",
                                  int(r["ramb18"]) + 2 * int(r["ramb36"]))
    layers = {}
    for r in rows:
        layers.update({int(i): v for i, v in r.get("per_layer", {}).items()})
    if not rows or not any(i in layers for i in range(first, last + 1)):
        return StageResources(network.name, first, last, e.lut, e.lut_mem, e.bram_tiles, 0, "estimate", e.ramb18)
    shells = [r["shell"] for r in rows if "shell" in r]
    lut = round(sum(s["lut"] for s in shells) / len(shells)) if shells else SHELL_LUT
    lut_mem = round(sum(s["lut_mem"] for s in shells) / len(shells)) if shells else 0
    bram = sum(s["bram_tiles"] for s in shells) / len(shells) if shells else 0.0
    dsp, used = 0, 0
    for x in e.layers:
        got = layers.get(x.layer)
        if got:
            used += 1
            lut, lut_mem, bram, dsp = lut + got["lut"], lut_mem + got["lut_mem"], bram + got["bram_tiles"], dsp + got["dsp"]
        else:
            lutram = math.ceil(x.lutram_bits / 64)
            lut, lut_mem, bram = lut + x.lut + lutram, lut_mem + lutram, bram + x.bram_tiles
    bram = math.ceil(bram * 2) / 2
    return StageResources(network.name, first, last, lut, lut_mem, bram, dsp,
                          f"synthesis ({used} of {last - first + 1} layers)", round(bram * 2))
