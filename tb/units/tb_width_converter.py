"""cocotb tests for rtl/width_converter.sv (parameters IN_W, OUT_W from the build).

Reference model: the input words, concatenated little-endian (first word in the LSBs), form
one bit string; the output is that bit string cut into OUT_W-bit words, first in the LSBs.
Bits that do not fill a whole output word stay inside until more input arrives.
"""

from __future__ import annotations

import logging
from math import lcm

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from tb.bus.streams import HandshakeMonitor, config, make_rng, pause_gen, quiet, reset


def convert(words: list[int], in_w: int, out_w: int) -> list[int]:
    """Reference: regroup `words` of in_w bits into words of out_w bits (whole ones only)."""
    bits = 0
    for i, w in enumerate(words):
        bits |= (w & ((1 << in_w) - 1)) << (i * in_w)
    n_out = len(words) * in_w // out_w
    return [(bits >> (j * out_w)) & ((1 << out_w) - 1) for j in range(n_out)]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.in_w = len(dut.s_axis_tdata)
        self.out_w = len(dut.m_axis_tdata)
        Clock(dut.ap_clk, 10, unit="ns").start()
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
        if rng is not None:
            self.source.set_pause_generator(pause_gen(rng, 0.3))
            self.sink.set_pause_generator(pause_gen(rng, 0.3))

    async def reset(self) -> None:
        await reset(self.dut.ap_clk, self.dut.ap_rst_n)

    async def recv(self, n: int) -> list[int]:
        got = []
        for _ in range(n):
            got.extend((await self.sink.recv()).tdata)
        return got

    def block_words(self, at_least: int) -> int:
        """Smallest input word count >= at_least that fills whole output words."""
        step = lcm(self.in_w, self.out_w) // self.in_w
        return -(-at_least // step) * step


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_data(dut, stalls):
    """Random words, without and with random gaps / back-pressure, vs the reference."""
    tb = TB(dut)
    cfg = config()
    narrow = min(tb.in_w, tb.out_w)
    # enough words that the narrow side moves at least `n` words
    n_in = tb.block_words(int(cfg.get("n", 200)) * narrow // tb.in_w + 1)
    data_rng = make_rng("data")
    words = [data_rng.getrandbits(tb.in_w) for _ in range(n_in)]
    expected = convert(words, tb.in_w, tb.out_w)
    tb.set_stalls(make_rng("stalls") if stalls else None)
    await tb.reset()

    await tb.source.send(AxiStreamFrame(words))
    got = await tb.recv(len(expected))
    await ClockCycles(dut.ap_clk, 8)

    assert got == expected, "converter output differs from the reference"
    assert len(tb.out.transfers) == len(expected), "extra output words"
    tb.inp.check()
    tb.out.check()
    if stalls:
        assert tb.out.ready_low_with_valid > 0, "back-pressure never exercised"
    elif tb.in_w <= tb.out_w:
        # narrow input side: one word every cycle
        assert tb.inp.span() == n_in, f"{n_in} input words took {tb.inp.span()} cycles"
    else:
        # narrow output side: one word every cycle
        assert tb.out.span() == len(expected), (
            f"{len(expected)} output words took {tb.out.span()} cycles")


@cocotb.test()
async def test_partial(dut):
    """Input that does not fill a whole output word: the remainder waits inside, no output
    is produced early, and the following input completes it seamlessly."""
    tb = TB(dut)
    await tb.reset()
    rng = make_rng("partial")
    total = tb.block_words(3 * max(1, tb.out_w // tb.in_w) + 3)
    words = [rng.getrandbits(tb.in_w) for _ in range(total)]
    expected = convert(words, tb.in_w, tb.out_w)
    # Split where a remainder is left, if the ratio allows one.
    first = next((k for k in range(1, total) if (k * tb.in_w) % tb.out_w), total // 2)
    n_first = first * tb.in_w // tb.out_w

    await tb.source.send(AxiStreamFrame(words[:first]))
    got = await tb.recv(n_first)
    await ClockCycles(dut.ap_clk, 10)
    assert len(tb.out.transfers) == n_first, "output produced before enough input bits"
    assert int(dut.m_axis_tvalid.value) == 0

    await tb.source.send(AxiStreamFrame(words[first:]))
    got += await tb.recv(len(expected) - n_first)
    await ClockCycles(dut.ap_clk, 10)
    assert got == expected
    assert len(tb.out.transfers) == len(expected)
    tb.inp.check()
    tb.out.check()
