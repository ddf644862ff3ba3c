"""cocotb tests for rtl/stream_fifo.sv (parameters WIDTH, DEPTH from the build).

Reference model: a FIFO is the identity on the word sequence, with occupancy
accepted - delivered, never above DEPTH, and input ready exactly while not full.
"""

from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from tb.bus.streams import HandshakeMonitor, config, make_rng, pause_gen, quiet, reset


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.width = len(dut.s_axis_tdata)
        self.depth = int(dut.DEPTH.value)
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
        self.count_errors: list[str] = []
        self.max_count = 0

    def set_stalls(self, rng) -> None:
        if rng is None:
            self.source.clear_pause_generator()
            self.sink.clear_pause_generator()
        else:
            self.source.set_pause_generator(pause_gen(rng, 0.3))
            self.sink.set_pause_generator(pause_gen(rng, 0.3))

    async def reset(self) -> None:
        await reset(self.dut.ap_clk, self.dut.ap_rst_n)
        cocotb.start_soon(self._check_count())

    async def _check_count(self) -> None:
        """`count` must equal accepted - delivered, stay <= DEPTH, and ready = !full."""
        dut = self.dut
        occ = 0
        while True:
            await RisingEdge(dut.ap_clk)
            count = int(dut.count.value)
            ready = int(dut.s_axis_tready.value)
            self.max_count = max(self.max_count, count)
            if count != occ or count > self.depth or ready != (count != self.depth):
                self.count_errors.append(f"count={count} expected {occ} ready={ready}")
            occ += (int(dut.s_axis_tvalid.value) and ready)
            occ -= (int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value))

    async def pass_words(self, words: list[int]) -> list[int]:
        await self.source.send(AxiStreamFrame(words))
        got = []
        for _ in words:
            frame = await self.sink.recv()
            got.extend(frame.tdata)
        return got


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_data(dut, stalls):
    """Random words through, without and with random gaps / back-pressure."""
    tb = TB(dut)
    cfg = config()
    n = int(cfg.get("n", 4 * tb.depth + 64))
    data_rng = make_rng("data")     # same data in both runs
    words = [data_rng.getrandbits(tb.width) for _ in range(n)]
    tb.set_stalls(make_rng("stalls") if stalls else None)
    await tb.reset()

    got = await tb.pass_words(words)
    await ClockCycles(dut.ap_clk, 4)

    assert got == words, "FIFO output differs from its input"
    assert tb.out.data() == words
    assert not tb.count_errors, tb.count_errors[:5]
    tb.inp.check()
    tb.out.check()
    assert int(dut.count.value) == 0
    assert int(dut.m_axis_tvalid.value) == 0
    if stalls:
        assert tb.out.ready_low_with_valid > 0, "back-pressure never exercised"
    else:
        # Full throughput for DEPTH >= 2, one word per two cycles for DEPTH = 1.
        per_word = 2 if tb.depth == 1 else 1
        assert tb.inp.span() <= per_word * n, f"input took {tb.inp.span()} cycles for {n}"
        assert tb.out.span() <= per_word * n, f"output took {tb.out.span()} cycles for {n}"
    tb.log.info("max occupancy %d of %d", tb.max_count, tb.depth)


@cocotb.test()
async def test_capacity(dut):
    """With the output blocked, exactly DEPTH words are accepted; then all drain in order."""
    tb = TB(dut)
    await tb.reset()
    tb.sink.pause = True
    rng = make_rng("capacity")
    words = [rng.getrandbits(tb.width) for _ in range(tb.depth + 3)]
    await tb.source.send(AxiStreamFrame(words))
    await ClockCycles(dut.ap_clk, tb.depth + 20)
    assert len(tb.inp.transfers) == tb.depth, (
        f"accepted {len(tb.inp.transfers)} words, capacity should be {tb.depth}")
    assert int(dut.count.value) == tb.depth
    assert int(dut.s_axis_tready.value) == 0
    assert int(dut.m_axis_tvalid.value) == 1
    tb.sink.pause = False
    got = []
    for _ in words:
        got.extend((await tb.sink.recv()).tdata)
    assert got == words
    assert not tb.count_errors, tb.count_errors[:5]
    tb.inp.check()
    tb.out.check()
