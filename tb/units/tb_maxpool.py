"""cocotb tests for rtl/maxpool.sv.

Configuration (TB_CONFIG JSON from tests/test_maxpool.py): the build parameters (IFM_DIM, CH,
PE, BITS, HLS_TIMING), `images` per batch and `seed`. Reference: golden.layers.maxpool2 on random images
(codes -2..1: -2 never occurs in the network but checks the max starts from -1), in stream
order (golden.streams.activation_stream), all images back to back.
"""

from __future__ import annotations

import logging

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from golden.layers import maxpool2
from golden.streams import activation_stream, pack_words
from tb.bus.streams import HandshakeMonitor, config, make_rng, pause_gen, quiet, reset


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        cfg = config()
        self.dim, self.ch, self.pe = int(cfg["IFM_DIM"]), int(cfg["CH"]), int(cfg["PE"])
        self.bits = int(cfg.get("BITS", 2))
        self.images = int(cfg.get("images", 2))
        self.hls = bool(int(cfg.get("HLS_TIMING", 0)))
        assert len(dut.s_axis_tdata) == self.pe * self.bits, "build and config disagree"
        Clock(dut.ap_clk, 10, unit="ns").start()
        # byte_lanes=1: one list element per stream word, whatever the width.
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.ap_clk,
                                      dut.ap_rst_n, reset_active_level=False, byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.ap_clk,
                                  dut.ap_rst_n, reset_active_level=False, byte_lanes=1)
        quiet(self.source, self.sink)
        self.inp = HandshakeMonitor(dut.ap_clk, dut.s_axis_tvalid, dut.s_axis_tready,
                                    [dut.s_axis_tdata], "s_axis")
        self.out = HandshakeMonitor(dut.ap_clk, dut.m_axis_tvalid, dut.m_axis_tready,
                                    [dut.m_axis_tdata], "m_axis")

    def set_stalls(self, rng) -> None:
        if rng is None:
            self.source.clear_pause_generator()
            self.sink.clear_pause_generator()
        else:
            self.source.set_pause_generator(pause_gen(rng, 0.3))
            self.sink.set_pause_generator(pause_gen(rng, 0.5, burst=6))

    def random_images(self, rng) -> np.ndarray:
        nrng = np.random.default_rng(rng.getrandbits(32))
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

    async def run(self, x: np.ndarray) -> tuple[list[int], list[int]]:
        words_in = [w for img in pack_words(activation_stream(x, self.pe), self.bits) for w in img]
        expected = [w for img in pack_words(activation_stream(maxpool2(x), self.pe), self.bits)
                    for w in img]
        await reset(self.dut.ap_clk, self.dut.ap_rst_n)
        await self.source.send(AxiStreamFrame(words_in))
        while len(self.out.transfers) < len(expected):
            await ClockCycles(self.dut.ap_clk, 64)
        await ClockCycles(self.dut.ap_clk, 16)   # anything extra would show up here
        return self.out.data(), expected


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_pool(dut, stalls):
    """Batch of random images: bit-exact pooling; one input word per cycle without stalls."""
    tb = TB(dut)
    x = tb.random_images(make_rng("data"))   # same images in both runs
    tb.set_stalls(make_rng("stalls") if stalls else None)
    got, expected = await tb.run(x)
    tb.inp.check()
    tb.out.check()
    assert len(got) == len(expected), f"{len(got)} output words, expected {len(expected)}"
    bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    per_image = len(expected) // tb.images
    assert not bad, (f"{len(bad)} words differ; first at word {bad[0]} (image {bad[0] // per_image}): "
                     f"got {got[bad[0]]:#x} expected {expected[bad[0]]:#x}")
    n_in = len(tb.inp.transfers)
    if stalls:
        assert tb.out.ready_low_with_valid > 0, "output back-pressure never exercised"
    elif tb.hls:
        check_hls_timing(tb)
    else:
        assert tb.inp.span() == n_in, f"input took {tb.inp.span()} cycles for {n_in} words"
        # The last output leaves one cycle after the last input word (output FIFO).
        lag = tb.out.transfers[-1][0] - tb.inp.transfers[-1][0]
        tb.log.info("%d input words in %d cycles; last output %d cycle(s) after the last input",
                    n_in, tb.inp.span(), lag)
        assert lag == 1, f"last output {lag} cycles after the last input"


def check_hls_timing(tb: TB) -> None:
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
