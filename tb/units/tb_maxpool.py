"""cocotb tests for rtl/maxpool.sv.

Configuration (TB_CONFIG JSON from tests/test_maxpool.py): the build parameters (IFM_DIM, CH,
PE, BITS, HLS_TIMING), `images` per batch and `seed`. Reference: golden.layers.maxpool2 on random images
(codes -2..1: -2 never occurs in the network but checks the max starts from -1), in stream
order (golden.streams.activation_stream), all images back to back. With OR_POOL = 1 (1-bit
activations, BITS = 1): random bits, some whole 2x2 blocks all zero, against
golden.layers.orpool2.
"""

from __future__ import annotations

import numpy as np
import cocotb

from golden.layers import maxpool2, orpool2
from golden.streams import activation_stream, pack_words
from tb.bus.streams import config, inserters, make_rng
from tb.units.stream_tb import StreamTB


def stream_words(x: np.ndarray, pe: int, bits: int) -> list[int]:
    """Images (N, H, W, C) as one stream of PE-code words, all images back to back."""
    return [w for img in pack_words(activation_stream(x, pe), bits) for w in img]


class MaxpoolTB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        cfg = config()
        self.dim, self.ch, self.pe = int(cfg["IFM_DIM"]), int(cfg["CH"]), int(cfg["PE"])
        self.bits = int(cfg.get("BITS", 2))
        self.images = int(cfg.get("images", 2))
        self.hls = bool(int(cfg.get("HLS_TIMING", 0)))
        self.or_pool = bool(int(cfg.get("OR_POOL", 0)))
        assert len(dut.s_axis_tdata) == self.pe * self.bits, "build and config disagree"
        self.per_image = (self.dim // 2) ** 2 * self.ch // self.pe   # output words

    def locate(self, index: int) -> str:
        return f" (image {index // self.per_image})"

    def reference(self, x: np.ndarray) -> np.ndarray:
        return orpool2(x) if self.or_pool else maxpool2(x)

    def random_images(self, rng) -> np.ndarray:
        nrng = np.random.default_rng(rng.getrandbits(32))
        if self.or_pool:
            # Bits, mostly 0, and some whole 2x2 blocks (per channel) all 0: their OR is 0.
            x = (nrng.random((self.images, self.dim, self.dim, self.ch)) < 0.3).astype(np.int64)
            blocks = x.reshape(self.images, self.dim // 2, 2, self.dim // 2, 2, self.ch)
            low = nrng.random((self.images, self.dim // 2, 1, self.dim // 2, 1, self.ch)) < 0.2
            low.flat[0] = True
            blocks[np.broadcast_to(low, blocks.shape)] = 0
            return blocks.reshape(x.shape)
        codes = np.arange(-(1 << (self.bits - 1)), 1 << (self.bits - 1))
        p = np.full(len(codes), 0.9 / (len(codes) - 1))
        p[0] = 0.1    # the most negative code, below the -1 the max starts from
        x = nrng.choice(codes, size=(self.images, self.dim, self.dim, self.ch), p=p)
        # Some whole 2x2 blocks (per channel) at the most negative code: their max must be -1.
        blocks = x.reshape(self.images, self.dim // 2, 2, self.dim // 2, 2, self.ch)
        low = nrng.random((self.images, self.dim // 2, 1, self.dim // 2, 1, self.ch)) < 0.1
        low.flat[0] = True
        blocks[np.broadcast_to(low, blocks.shape)] = codes[0]
        return blocks.reshape(x.shape)


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle"),
                    backpressure_inserter=inserters("backpressure", 0.5, burst=6))
async def test_pool(dut, idle_inserter, backpressure_inserter):
    """Batch of random images: bit-exact pooling; one input word per cycle without pauses."""
    tb = MaxpoolTB(dut)
    x = tb.random_images(make_rng("data"))   # same images in every run
    await tb.setup(idle_inserter, backpressure_inserter)
    await tb.pass_words(stream_words(x, tb.pe, tb.bits), stream_words(tb.reference(x), tb.pe, tb.bits))
    tb.check_pauses()
    if tb.paused:
        return
    n_in = len(tb.inp.transfers)
    if tb.hls:
        check_hls_timing(tb)
    else:
        assert tb.inp.span() == n_in, f"input took {tb.inp.span()} cycles for {n_in} words"
        # The last output leaves one cycle after the last input word (output FIFO).
        lag = tb.out.transfers[-1][0] - tb.inp.transfers[-1][0]
        tb.log.info("%d input words in %d cycles; last output %d cycle(s) after the last input",
                    n_in, tb.inp.span(), lag)
        assert lag == 1, f"last output {lag} cycles after the last input"


def check_hls_timing(tb: MaxpoolTB) -> None:
    """Full rate in HLS mode: per output row, the two input rows at one word per cycle, then
    the pooled row at one word per cycle (no input meanwhile), starting two cycles after the
    last input word of the pair (row buffer -> output FIFO -> port)."""
    cf = tb.ch // tb.pe
    pair_in = 2 * tb.dim * cf               # words of two input rows
    row_out = (tb.dim // 2) * cf            # words of one pooled row
    period = pair_in + row_out
    ins = [c for c, _ in tb.inp.transfers]
    outs = [c for c, _ in tb.out.transfers]
    pairs = tb.images * tb.dim // 2
    c0 = ins[0]
    for p in range(pairs):
        pin = ins[p * pair_in:(p + 1) * pair_in]
        assert pin[0] == c0 + p * period, f"row pair {p}: first input at {pin[0] - c0}, expected {p * period}"
        assert pin[-1] - pin[0] == pair_in - 1, f"row pair {p}: input not on consecutive cycles"
        pout = outs[p * row_out:(p + 1) * row_out]
        assert pout[0] == pin[-1] + 2, f"row pair {p}: pooled row starts {pout[0] - pin[-1]} cycles after its input"
        assert pout[-1] - pout[0] == row_out - 1, f"row pair {p}: pooled row not on consecutive cycles"
    measured = outs[-1] - c0
    tb.log.info("HLS timing: %d row pairs of %d cycles (%d in + %d out): %d cycles first input to "
                "last output", pairs, period, pair_in, row_out, measured)
    assert measured == pairs * period, f"{measured} cycles, expected {pairs} x {period}"
