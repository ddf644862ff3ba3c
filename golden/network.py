"""What a network of the BNN-PYNQ family is: its layers, formats, folding and HLS facts.

These are the classes; each network is one module under golden/networks/ that fills them in
(`golden.networks.get("cnvW2A2")`). Everything else in the project reads a network's facts
from its :class:`Network` and holds no layer index or size of any network as a literal.

A layer is described by its shape; the folding says how the hardware time-multiplexes it:
each MVAU computes SIMD columns x PE rows of its MH x MW weight matrix per cycle, so it holds
WMEM = MW*MH/(SIMD*PE) weight words and TMEM = MH/PE threshold sets per PE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Mapping

from golden.errors import BnnInputError


@dataclass(frozen=True)
class LayerSpec:
    """One MVAU layer of the network (a conv is an MVAU fed by a sliding window)."""

    index: int
    kind: str            # "conv" or "fc"
    ifm_ch: int
    ofm_ch: int
    ifm_dim: int = 1     # conv only
    kernel: int = 1      # conv only (3)
    pool_after: bool = False   # a 2x2 max pool follows
    in_bits: int = 2     # bits per input element (8 for the pixel codes into a CNV's layer 0)
    thresholds: bool = True    # False for a last layer that outputs its accumulators as scores
    used_outputs: int | None = None  # last layer: rows that are real classes (the rest is padding)
    act_bits: int = 2    # bits per output activation when thresholded
    score_bits: int = 16  # bits per output score when not thresholded

    @property
    def ofm_dim(self) -> int:
        return self.ifm_dim - self.kernel + 1 if self.kind == "conv" else 1

    @property
    def mw(self) -> int:
        """Matrix width: inputs per output neuron."""
        return self.kernel * self.kernel * self.ifm_ch

    @property
    def mh(self) -> int:
        """Matrix height: output neurons (channels)."""
        return self.ofm_ch

    @property
    def out_dim(self) -> int:
        """Spatial size after this layer and its optional pool."""
        return self.ofm_dim // 2 if self.pool_after else self.ofm_dim

    @property
    def out_bits(self) -> int:
        return self.act_bits if self.thresholds else self.score_bits


def layer(index: int, network: "Network | tuple[LayerSpec, ...]") -> LayerSpec:
    """The layer with this index, or a clear error."""
    for spec in network:
        if spec.index == index:
            return spec
    raise BnnInputError(
        f"unknown layer {index}: the network has layers {network[0].index}-{network[-1].index}")


@dataclass(frozen=True)
class LayerFold:
    simd: int
    pe: int


@dataclass(frozen=True)
class Folding:
    """SIMD and PE per layer; validated against the network shapes."""

    layers: tuple[LayerFold, ...]
    network: "Network"

    def __post_init__(self) -> None:
        if len(self.layers) != len(self.network):
            raise BnnInputError(
                f"folding config has {len(self.layers)} layers, the network has {len(self.network)}")
        for spec, f in zip(self.network, self.layers):
            for name, val, total, dim in (("SIMD", f.simd, spec.mw, "MW"), ("PE", f.pe, spec.mh, "MH")):
                if not isinstance(val, int) or val < 1 or total % val:
                    raise BnnInputError(
                        f"folding of layer {spec.index}: {name}={val} must be a positive divisor "
                        f"of {dim}={total}")
            if f.simd * spec.in_bits > 64:
                raise BnnInputError(
                    f"folding of layer {spec.index}: SIMD={f.simd} x {spec.in_bits} bit does not fit "
                    f"one 64-bit weight/input word")

    def __getitem__(self, index: int) -> LayerFold:
        layer(index, self.network)
        return self.layers[index]

    def simd(self, index: int) -> int:
        return self[index].simd

    def pe(self, index: int) -> int:
        return self[index].pe

    def sf(self, index: int) -> int:
        """Synapse folds: cycles to consume one input vector."""
        return self.network[index].mw // self.simd(index)

    def nf(self, index: int) -> int:
        """Neuron folds: passes over the input vector."""
        return self.network[index].mh // self.pe(index)

    def wmem(self, index: int) -> int:
        return self.sf(index) * self.nf(index)

    def tmem(self, index: int) -> int:
        return self.nf(index)

    def to_json(self) -> dict:
        return {"network": self.network.name, "layers": [{"layer": s.index, "simd": f.simd, "pe": f.pe}
                           for s, f in zip(self.network, self.layers)]}

    @classmethod
    def from_json(cls, obj: dict, network: "Network", source: str = "folding config") -> "Folding":
        try:
            entries = obj["layers"]
            folds = [LayerFold(int(e["simd"]), int(e["pe"])) for e in entries]
            order = [int(e.get("layer", i)) for i, e in enumerate(entries)]
        except (KeyError, TypeError, ValueError) as exc:
            raise BnnInputError(
                f"{source}: expected {{'layers': [{{'layer': L, 'simd': S, 'pe': P}}, ...]}} ({exc!r})"
            ) from None
        if order != list(range(len(folds))):
            raise BnnInputError(f"{source}: layers must be listed in order 0..{len(folds) - 1}, got {order}")
        named = obj.get("network", network.name)
        if named != network.name:
            raise BnnInputError(f"{source}: folding of network {named!r}, not of {network.name!r}")
        return cls(tuple(folds), network)

    @classmethod
    def load(cls, path: str | Path, network: "Network") -> "Folding":
        path = Path(path)
        try:
            obj = json.loads(path.read_text())
        except FileNotFoundError:
            raise BnnInputError(f"folding config {path} not found") from None
        except json.JSONDecodeError as exc:
            raise BnnInputError(f"folding config {path}: not valid JSON ({exc})") from None
        return cls.from_json(obj, network, str(path))




@dataclass(frozen=True)
class PaperKernel:
    """One kernel row of the BNNsplit paper's Table I (single image, PYNQ-Z1, 100 MHz)."""

    name: str
    first: int
    last: int
    exec_us: float
    exec_std_us: float
    throughput_img_s: float
    lut_pct: float
    bram_pct: float
    power_w: float

    @property
    def latency_cycles(self) -> int:
        return round(self.exec_us * 100)


@dataclass(frozen=True, eq=False)
class Network:
    """One network of the BNN-PYNQ family, everything the model, generator and testbenches
    need to know about it. Iterating it gives its layers in order."""

    name: str                     # BNN-PYNQ's name, e.g. "cnvW2A2" (folder of its parameters)
    title: str                    # e.g. "CNV-W2A2"
    dataset: str                  # "CIFAR-10", "MNIST"
    classes: int                  # classes the host reads from the last layer's outputs
    layers: tuple[LayerSpec, ...]
    default_folding: tuple[tuple[int, int], ...]  # BNN-PYNQ's (SIMD, PE) per layer
    # Inter-layer stream depths of the HLS top, keyed by what feeds them: "pixels" (the
    # converted input stream), "L<i>" (layer i), "pool<i>" (the pool after layer i);
    # streams not named get the HLS default.
    stream_depths: Mapping[str, int]
    natural_cut: int              # the cut with the fewest bytes per image the paper uses
    kernel_prefix: str            # generated kernels are <prefix>_full, <prefix>_part1, ...
    # Widths the HLS top converts the 64-bit memory words through before layer 0
    # (e.g. 64 -> 192 -> 24: one 24-bit word per RGB pixel).
    input_widths: tuple[int, ...] = ()
    hls_default_depth: int = 2
    clock_hz: float = 100e6       # PYNQ-Z1 kernels
    paper_kernels: tuple[PaperKernel, ...] = field(default=())   # Table I, where published
    description: str = ""

    def __post_init__(self) -> None:
        if [s.index for s in self.layers] != list(range(len(self.layers))):
            raise BnnInputError(f"network {self.name}: layers must be numbered 0..{len(self.layers) - 1}")

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> LayerSpec:
        return self.layers[index]

    def __repr__(self) -> str:
        return f"Network({self.name})"

    @property
    def last(self) -> int:
        return self.layers[-1].index

    def layer(self, index: int) -> LayerSpec:
        return layer(index, self)

    @cached_property
    def folding(self) -> "Folding":
        """BNN-PYNQ's folding of this network (the one its trained parameter files have)."""
        return Folding(tuple(LayerFold(s, p) for s, p in self.default_folding), self)

    def check_range(self, first: int, last: int) -> None:
        """A contiguous layer range this network has, or a clear error."""
        layer(first, self)
        layer(last, self)
        if first > last:
            raise BnnInputError(f"{self.name}: first layer {first} is after last layer {last}")

    def role(self, first: int, last: int) -> str:
        """What a kernel of layers first..last does in a pipeline, in the paper's words: "full"
        (images in, scores out), "part1" (images in, a cut tensor out), "part2" (a cut tensor
        in, scores out) or "middle" (tensor in and out)."""
        self.check_range(first, last)
        starts, ends = first == 0, last == self.last
        return {(True, True): "full", (True, False): "part1", (False, False): "middle",
                (False, True): "part2"}[(starts, ends)]

    def natural_ranges(self) -> dict[str, tuple[int, int]]:
        """Layer ranges of the kernels of the natural split, by role."""
        cut = self.natural_cut
        return {"full": (0, self.last), "part1": (0, cut), "part2": (cut + 1, self.last)}

    def words_per_image(self, after_layer: int) -> int:
        """64-bit words per image of the tensor leaving `after_layer` (and its pool); -1 is
        the input as the host lays it out in memory."""
        from golden.splits import cut_words
        return cut_words(self, after_layer)

    def paper_kernel(self, first: int, last: int) -> PaperKernel | None:
        """The Table I row of a kernel with this layer range, if the paper measured one."""
        return next((k for k in self.paper_kernels if (k.first, k.last) == (first, last)), None)
