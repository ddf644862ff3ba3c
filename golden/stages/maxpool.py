"""The 2x2 stride-2 max pool after a layer (rtl/maxpool.sv): a signed max starting from -1
(finn-hlslib StreamingMaxPool_Precision_Batch, 2-bit codes) or the OR of bits
(StreamingMaxPool_Batch, 1-bit activations)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden import layers as L
from golden.network import LayerSpec
from golden.stages.base import Stage


@dataclass(frozen=True, kw_only=True)
class MaxPool(Stage):
    kind = "maxpool"
    module = "maxpool"

    spec: LayerSpec           # the layer the pool follows
    pe: int                   # channels per stream word
    hls_timing: bool = True   # two rows in, then the pooled row out

    @property
    def in_width(self) -> int:
        return self.pe * self.spec.out_bits

    @property
    def out_width(self) -> int:
        return self.in_width

    @property
    def params(self) -> dict[str, int]:
        s, act = self.spec, self.spec.out_bits
        return {"IFM_DIM": s.ofm_dim, "CH": s.ofm_ch, "PE": self.pe, "HLS_TIMING": int(self.hls_timing)} \
            | ({"BITS": act} if act != 2 else {}) | ({"OR_POOL": 1} if s.pool_kind == "or" else {}) \
            | ({"SIGNED": 0} if s.pool_kind == "max" and not s.act_signed else {}) \
            | ({"FLOOR": s.act_offset} if s.pool_kind == "max" and s.act_offset != -1 else {})

    def words_per_image(self) -> tuple[int, int]:
        s = self.spec
        per_pixel = s.ofm_ch // self.pe
        return s.ofm_dim ** 2 * per_pixel, s.out_dim ** 2 * per_pixel

    def execute(self, x: np.ndarray, layer_params=None, taps: dict | None = None) -> np.ndarray:
        out = L.pool2(x, self.spec.pool_kind, self.spec.act_offset)
        if taps is not None:
            taps[f"pool{self.spec.index}"] = out
        return out
