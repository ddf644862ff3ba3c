"""The sliding-window generator of a conv layer (rtl/sliding_window.sv, finn-hlslib's
ConvolutionInputGenerator): turns the image, SIMD channels per word, into the K x K input
vector of every output pixel, which the MVAU behind it multiplies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden import layers as L
from golden.network import LayerSpec
from golden.stages import cost
from golden.stages.base import Stage, StageCost

# HLS timing: stages between the stream read and the stream write of one iteration of the
# generator's pipelined loop (rtl/sliding_window.sv HLS_LAG).
HLS_LAG = 2


@dataclass(frozen=True, kw_only=True)
class SlidingWindow(Stage):
    kind = "sliding_window"
    module = "sliding_window"
    batch_port = True         # its HLS pipeline drains after the batch's last image (rtl/sliding_window.sv)

    spec: LayerSpec
    simd: int
    hls_timing: bool = True   # a K-row fill per image, then one loop whose reads and writes block together

    @property
    def in_width(self) -> int:
        return self.simd * self.spec.in_bits

    @property
    def out_width(self) -> int:
        return self.in_width

    @property
    def params(self) -> dict[str, int]:
        s = self.spec
        return {"K": s.kernel, "IFM_DIM": s.ifm_dim, "IFM_CH": s.ifm_ch, "SIMD": self.simd, "BITS": s.in_bits,
                "HLS_TIMING": int(self.hls_timing)} | ({"HLS_LAG": HLS_LAG} if self.hls_timing else {})

    def words_per_image(self) -> tuple[int, int]:
        s = self.spec
        per_pixel = s.ifm_ch // self.simd
        return s.ifm_dim ** 2 * per_pixel, s.ofm_dim ** 2 * s.kernel ** 2 * per_pixel

    def output_bits(self) -> int:
        """Bits per image it writes: every input vector of every output pixel."""
        return self.spec.ofm_dim ** 2 * self.spec.mw * self.spec.in_bits

    def resources(self) -> StageCost:
        # K+1 line buffers of IFM_dim x IFM_ch/SIMD words of SIMD x input bits
        s = self.spec
        ramb18, lutram = cost.memory(s.ifm_dim * s.ifm_ch // self.simd, self.in_width, s.kernel + 1)
        return StageCost(ramb18=ramb18, lutram_bits=lutram)

    def execute(self, x: np.ndarray, layer_params=None, taps: dict | None = None) -> np.ndarray:
        """(N, H, W, C) -> (N, Ho, Wo, K*K*C), column (ky*K + kx)*C + ch."""
        return L.im2col(x, self.spec.kernel)
