"""Network description of CNV-W2A2 and the folding (SIMD x PE) of each layer.

A layer is described by its shape; the folding says how the hardware time-multiplexes it:
each MVAU computes SIMD columns x PE rows of its MH x MW weight matrix per cycle, so it holds
WMEM = MW*MH/(SIMD*PE) weight words and TMEM = MH/PE threshold pairs per PE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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
    pool_after: bool = False   # 2x2 max pool follows (layers 1 and 3)
    in_bits: int = 2     # 8 for the pixel codes into layer 0
    thresholds: bool = True    # layer 8 has none: it outputs 16-bit scores
    used_outputs: int | None = None  # layer 8: 10 of 64 rows are real classes

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
        return 2 if self.thresholds else 16


def _cnv_w2a2() -> tuple[LayerSpec, ...]:
    return (
        LayerSpec(0, "conv", 3, 64, 32, 3, in_bits=8),
        LayerSpec(1, "conv", 64, 64, 30, 3, pool_after=True),
        LayerSpec(2, "conv", 64, 128, 14, 3),
        LayerSpec(3, "conv", 128, 128, 12, 3, pool_after=True),
        LayerSpec(4, "conv", 128, 256, 5, 3),
        LayerSpec(5, "conv", 256, 256, 3, 3),
        LayerSpec(6, "fc", 256, 512),
        LayerSpec(7, "fc", 512, 512),
        LayerSpec(8, "fc", 512, 64, thresholds=False, used_outputs=10),
    )


CNV_W2A2: tuple[LayerSpec, ...] = _cnv_w2a2()
NUM_CLASSES = 10


def layer(index: int, network: tuple[LayerSpec, ...] = CNV_W2A2) -> LayerSpec:
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
    network: tuple[LayerSpec, ...] = CNV_W2A2

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
        return {"layers": [{"layer": s.index, "simd": f.simd, "pe": f.pe}
                           for s, f in zip(self.network, self.layers)]}

    @classmethod
    def from_json(cls, obj: dict, source: str = "folding config") -> "Folding":
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
        return cls(tuple(folds))

    @classmethod
    def load(cls, path: str | Path) -> "Folding":
        path = Path(path)
        try:
            obj = json.loads(path.read_text())
        except FileNotFoundError:
            raise BnnInputError(f"folding config {path} not found") from None
        except json.JSONDecodeError as exc:
            raise BnnInputError(f"folding config {path}: not valid JSON ({exc})") from None
        return cls.from_json(obj, str(path))


# BNN-PYNQ cnvW2A2 on PYNQ-Z1 (DESIGN.md table).
DEFAULT_FOLDING = Folding(tuple(LayerFold(s, p) for s, p in (
    (3, 8), (16, 16), (16, 8), (16, 8), (8, 4), (8, 1), (2, 1), (2, 2), (1, 4))))
