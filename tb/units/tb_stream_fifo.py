"""cocotb tests for rtl/stream_fifo.sv (parameters WIDTH, DEPTH from the build).

Reference model: a FIFO is the identity on the word sequence, with occupancy
accepted - delivered, never above DEPTH, and input ready exactly while not full.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from tb.bus.streams import config, inserters, make_rng
from tb.units.stream_tb import StreamTB


class FifoTB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        self.width = len(dut.s_axis_tdata)
        self.depth = int(dut.DEPTH.value)
        self.count_errors: list[str] = []
        self.max_count = 0

    async def reset(self) -> None:
        await super().reset()
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


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle"), backpressure_inserter=inserters("backpressure"))
async def test_data(dut, idle_inserter, backpressure_inserter):
    """Random words through, without and with source gaps and sink back-pressure."""
    tb = FifoTB(dut)
    n = int(config().get("n", 4 * tb.depth + 64))
    data_rng = make_rng("data")     # same data in every run
    words = [data_rng.getrandbits(tb.width) for _ in range(n)]
    await tb.setup(idle_inserter, backpressure_inserter)

    await tb.pass_words(words, words)

    assert not tb.count_errors, tb.count_errors[:5]
    assert int(dut.count.value) == 0
    assert int(dut.m_axis_tvalid.value) == 0
    tb.check_pauses()
    if not tb.paused:
        # Full throughput for DEPTH >= 2, one word per two cycles for DEPTH = 1.
        per_word = 2 if tb.depth == 1 else 1
        assert tb.inp.span() <= per_word * n, f"input took {tb.inp.span()} cycles for {n}"
        assert tb.out.span() <= per_word * n, f"output took {tb.out.span()} cycles for {n}"
    tb.log.info("max occupancy %d of %d", tb.max_count, tb.depth)


@cocotb.test()
async def test_capacity(dut):
    """With the output blocked, exactly DEPTH words are accepted; then all drain in order."""
    tb = FifoTB(dut)
    await tb.reset()
    tb.sink.pause = True
    rng = make_rng("capacity")
    words = [rng.getrandbits(tb.width) for _ in range(tb.depth + 3)]
    await tb.send(words)
    await ClockCycles(dut.ap_clk, tb.depth + 20)
    assert len(tb.inp.transfers) == tb.depth, (
        f"accepted {len(tb.inp.transfers)} words, capacity should be {tb.depth}")
    assert int(dut.count.value) == tb.depth
    assert int(dut.s_axis_tready.value) == 0
    assert int(dut.m_axis_tvalid.value) == 1
    tb.sink.pause = False
    await tb.collect(len(words))
    tb.check_output(words)
    assert not tb.count_errors, tb.count_errors[:5]


@cocotb.test()
async def test_fifo_monitor(dut):
    """tb/bus/fifo_monitor.py on this FIFO: nothing reported for the empty FIFO after reset,
    "full" when the blocked output lets exactly DEPTH words in, "empty" only once the last
    word has left (count 0), each once."""
    from tb.bus.fifo_monitor import FifoMonitor

    tb = FifoTB(dut)
    await tb.reset()
    events: list[tuple[str, int]] = []
    mon = FifoMonitor("dut", dut.s_axis_tready, dut.m_axis_tvalid, dut.count,
                      lambda name, event: events.append((event, int(dut.count.value))))
    await ClockCycles(dut.ap_clk, 5)
    assert events == [], f"the FIFO empty after reset is not an event: {events}"
    tb.sink.pause = True
    rng = make_rng("monitor")
    words = [rng.getrandbits(tb.width) for _ in range(2 * tb.depth + 3)]
    await tb.send(words[:tb.depth + 1])
    await ClockCycles(dut.ap_clk, tb.depth + 20)
    assert events == [("full", tb.depth)], events
    tb.sink.pause = False
    await tb.collect(tb.depth + 1)
    assert events == [("full", tb.depth), ("empty", 0)], events
    await tb.send(words[tb.depth + 1:])       # full and empty again: reported once only
    await tb.collect(len(words))
    assert events == [("full", tb.depth), ("empty", 0)] and mon.seen == {"full", "empty"}
    tb.check_output(words)
