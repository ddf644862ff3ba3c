"""What a kernel costs and what a board has: a FINN-style analytic estimate of the FPGA
resources of any layer range, computed instantly from the network's shapes and folding, and
the capacities of the boards a plan can use.

The estimate follows FINN's cost model of an MVAU (our own arithmetic, not FINN's code):
- weights: one memory per PE of WMEM words of SIMD x weight bits; large ones go to block RAM
  (RAMB18 in the aspect ratio that fits the word width, golden/stages/cost.py), small ones to
  LUT RAM (64 bits per LUT);
- sliding-window buffers of conv layers: K+1 line buffers of IFM_dim x IFM_ch/SIMD words of
  SIMD x input bits (as finn-hlslib's ConvolutionInputGenerator), mapped like the weights;
- thresholds: TMEM x (2^A - 1) values of the accumulator width per PE, held in LUT RAM (the
  HLS top partitions them completely);
- LUTs: a constant per layer plus, per PE, the SIMD multipliers, the adder tree, the
  accumulator and the threshold comparators, scaled as FINN does (300 + 1.1 x ...), and in
  kernels on the HLS schedule the input buffer (SF registers of SIMD x input bits and their
  SF-way read selection: finn-hlslib partitions inputBuf completely);
- DSPs: none in the Mul_LUT variant (BNN-PYNQ's MVAUs multiply in LUTs, the pixel layer's
  8-bit products too); SIMD x PE DSP48E1 per multiplying MVAU in the DSP48 variant (`mac`,
  golden/stages/mvau.py). A board holds only so many: Vivado's synth_design builds at most the
  device's DSP48E1 count (its -max_dsp default) and the remaining products in LUTs, which is
  why the paper's DSP48 kernels use 100% of the xc7z020's 220; `on_board` does the same with
  the LUTs each product takes in logic.
These are estimates of this project's kernels, not a synthesis result: `make resources`
synthesizes the kernels (build/resources/resources.json), and `stage_resources` corrects the
estimate with those figures where they exist (the kernel of that exact layer range, else each
layer's synthesized cells plus the synthesized AXI shell) for the partition planner's fit check.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from golden.errors import BnnInputError
from golden.folding import refolded
from golden.network import Folding, Network
from golden.platform import Platform
from golden.stages import StageCost, kernel_chain, layer_stages

SYNTHESIZED = Path(__file__).resolve().parents[1] / "build" / "resources" / "resources.json"
SHELL_LUT = 2500           # AXI4 burst reader/writer, AXI4-Lite control block, sequencer


# A board's capacity is its Platform's (golden/platform.py: lut, lut_mem, ff, bram_tiles, dsp).
# The alias serves the annotations below until they name Platform; nothing else uses it.
BoardSpec = Platform


def on_board(lut: int, dsp: int, lut_per_dsp: float, b: Platform) -> tuple[int, int]:
    """(LUTs, DSP48E1) of a design wanting `dsp` DSP48E1 on board `b`: at most the board's
    count of them, the other products built in LUTs (`lut_per_dsp` each), as Vivado does."""
    if dsp <= b.dsp:
        return lut, dsp
    return lut + math.ceil((dsp - b.dsp) * lut_per_dsp), b.dsp


@dataclass
class LayerEstimate:
    layer: int
    ramb18: int
    lut: int
    lutram_bits: int
    dsp: int = 0
    dsp_lut: int = 0           # LUTs its DSP48E1 products would take in logic

    @property
    def bram_tiles(self) -> float:
        return self.ramb18 / 2


@dataclass
class Estimate:
    network: str
    first: int
    last: int
    layers: list[LayerEstimate] = field(default_factory=list)
    streams: StageCost = field(default_factory=StageCost)   # the chain's FIFOs and converters

    @property
    def ramb18(self) -> int:
        return sum(x.ramb18 for x in self.layers) + self.streams.ramb18

    @property
    def bram_tiles(self) -> float:
        return self.ramb18 / 2

    @property
    def lut(self) -> int:
        return SHELL_LUT + sum(x.lut for x in self.layers) + self.streams.lut + self.lut_mem

    @property
    def lut_mem(self) -> int:
        return math.ceil((sum(x.lutram_bits for x in self.layers) + self.streams.lutram_bits) / 64)

    @property
    def dsp(self) -> int:
        return sum(x.dsp for x in self.layers)

    @property
    def lut_per_dsp(self) -> float:
        return sum(x.dsp_lut for x in self.layers) / self.dsp if self.dsp else 0.0

    def to_json(self) -> dict:
        return {"network": self.network, "first": self.first, "last": self.last, "bram_tiles": self.bram_tiles,
                "ramb18": self.ramb18, "lut": self.lut, "lut_mem": self.lut_mem, "dsp": self.dsp,
                "per_layer": [{"layer": x.layer, "ramb18": x.ramb18, "lut": x.lut, "dsp": x.dsp}
                              for x in self.layers],
                "streams": {"ramb18": self.streams.ramb18, "lut": self.streams.lut,
                            "lutram_bits": self.streams.lutram_bits}}


_LAYER_CACHE: dict[tuple, LayerEstimate] = {}


def layer_estimate(network: Network, index: int, mac: str = "lut", folding: Folding | None = None) -> LayerEstimate:
    """A layer's resources: the sum of its stages' own estimates (golden/stages: the MVAU's
    weights, thresholds and arithmetic, the window generator's line buffers), in `folding`
    (default: the network's). Computed once per layer, variant and SIMD / PE (the plan search
    asks for the same layers in many ranges)."""
    folding = folding or network.folding
    key = (network.name, network.params_path, index, mac, folding[index])
    if key not in _LAYER_CACHE:
        total = StageCost()
        for st in layer_stages(folding, index, mac=mac):
            total = total + st.resources()
        _LAYER_CACHE[key] = LayerEstimate(index, total.ramb18, total.lut, total.lutram_bits, total.dsp, total.dsp_lut)
    return _LAYER_CACHE[key]


def estimate(network: Network, first: int, last: int, mac: str = "lut", folding: Folding | None = None) -> Estimate:
    """Every stage of the kernel of layers first..last (golden/stages.kernel_chain): each
    layer's own stages, plus the FIFOs and width converters between them, in `folding`
    (default: the network's)."""
    network.check_range(first, last)
    streams = StageCost()
    for st in kernel_chain(folding or network.folding, first, last):
        if st.layer is None:
            streams = streams + st.resources()
    return Estimate(network.name, first, last,
                    [layer_estimate(network, i, mac, folding) for i in range(first, last + 1)], streams)


def fit_warnings(network: Network, ranges: list[tuple[int, int]], b: BoardSpec,
                 measured: dict[str, dict] | None = None, mac: str = "lut",
                 folding: Folding | None = None) -> list[str]:
    """A warning for every layer range (a plan's stages) whose resources (`stage_resources`:
    the estimate, corrected by `measured` synthesis figures) exceed the board."""
    out = []
    for first, last in ranges:
        e = stage_resources(network, first, last, measured, mac, folding).on(b)
        if not e.fits(b):
            out.append(f"stage {first}-{last} of {network.name} does not fit a {b.name} ({b.part}): {e.source} "
                       f"{e.bram_tiles:g} of {b.bram_tiles} BRAM tiles, {e.lut} of {b.lut} LUTs, "
                       f"{e.lut_mem} of {b.lut_mem} LUTs as memory, {e.dsp} of {b.dsp} DSP48E1")
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
    mac: str = "lut"         # the MVAUs' products (golden/stages/mvau.py MAC_VARIANTS)
    lut_per_dsp: float = 0.0  # LUTs a DSP48E1 product takes when built in logic instead

    def fits(self, b: BoardSpec) -> bool:
        return (self.bram_tiles <= b.bram_tiles and self.lut <= b.lut and self.lut_mem <= b.lut_mem
                and self.dsp <= b.dsp)

    def on(self, b: BoardSpec) -> "StageResources":
        """What it takes on board `b`: at most b's DSP48E1, the other products in LUTs (`on_board`)."""
        lut, dsp = on_board(self.lut, self.dsp, self.lut_per_dsp, b)
        if dsp == self.dsp:
            return self
        return replace(self, lut=lut, dsp=dsp, source=f"{self.source}; {self.dsp - dsp} of its {self.dsp} "
                                                      f"products in LUTs (the {b.name} has {b.dsp} DSP48E1)")

    def to_json(self) -> dict:
        return {"network": self.network, "first": self.first, "last": self.last, "mac": self.mac, "lut": self.lut,
                "lut_mem": self.lut_mem, "bram_tiles": self.bram_tiles, "ramb18": self.ramb18, "dsp": self.dsp,
                "source": self.source}


RESOURCES_ENV = "BNNSPLIT_RESOURCES"   # another resources.json, or "none" for the estimate only


def synthesized(path: str | Path | None = None) -> dict[str, dict]:
    """The kernels `make resources` has synthesized ({} when it has not run, or when
    BNNSPLIT_RESOURCES=none; BNNSPLIT_RESOURCES=<file> reads another report)."""
    env = os.environ.get(RESOURCES_ENV, "")
    if path is None and env.lower() == "none":
        return {}
    path = Path(path) if path else (Path(env) if env else SYNTHESIZED)
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text())["kernels"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BnnInputError(f"{path}: not a resources report of `make resources` ({exc})") from None


def stage_resources(network: Network, first: int, last: int, measured: dict[str, dict] | None = None,
                    mac: str = "lut", folding: Folding | None = None) -> StageResources:
    """The estimate of layers first..last in MAC variant `mac`, corrected by synthesis where
    `measured` (the kernels of `synthesized()`, of that variant) has figures: the kernel of
    exactly this range, else per layer the synthesized layer (any kernel of the network) plus
    the mean synthesized shell, the estimate standing in for layers never synthesized. As
    synthesized, without a board's limits: `.on(board)` applies them. In a `folding` other
    than the network's (a plan stage's @N) only the estimate holds: synthesis ran on the
    network's own."""
    e = estimate(network, first, last, mac, folding)
    if folding is not None and refolded(folding, first, last):
        measured = None
    mine = {n: r for n, r in (measured or {}).items()
            if r.get("network") == network.name and r.get("mac", "lut") == mac}
    rows = list(mine.values())
    for name, r in mine.items():
        if (r["first"], r["last"]) == (first, last):
            return StageResources(network.name, first, last, int(r["lut"]), int(r["lut_mem"]),
                                  float(r["bram_tiles"]), int(r["dsp"]), f"synthesis ({name})",
                                  int(r["ramb18"]) + 2 * int(r["ramb36"]), mac, e.lut_per_dsp)
    layers = {}
    for r in rows:
        layers.update({int(i): v for i, v in r.get("per_layer", {}).items()})
    if not rows or not any(i in layers for i in range(first, last + 1)):
        return StageResources(network.name, first, last, e.lut, e.lut_mem, e.bram_tiles, e.dsp, "estimate", e.ramb18,
                              mac, e.lut_per_dsp)
    shells = [r["shell"] for r in rows if "shell" in r]
    lut = round(sum(s["lut"] for s in shells) / len(shells)) if shells else SHELL_LUT
    lut_mem = round(sum(s["lut_mem"] for s in shells) / len(shells)) if shells else 0
    bram = sum(s["bram_tiles"] for s in shells) / len(shells) if shells else 0.0
    dsp = round(sum(s.get("dsp", 0) for s in shells) / len(shells)) if shells else 0
    used = 0
    for x in e.layers:
        got = layers.get(x.layer)
        if got:
            used += 1
            lut, lut_mem, bram, dsp = lut + got["lut"], lut_mem + got["lut_mem"], bram + got["bram_tiles"], dsp + got["dsp"]
        else:
            lutram = math.ceil(x.lutram_bits / 64)
            lut, lut_mem, bram, dsp = lut + x.lut + lutram, lut_mem + lutram, bram + x.bram_tiles, dsp + x.dsp
    bram = math.ceil(bram * 2) / 2
    return StageResources(network.name, first, last, lut, lut_mem, bram, dsp,
                          f"synthesis ({used} of {last - first + 1} layers)", round(bram * 2), mac, e.lut_per_dsp)
