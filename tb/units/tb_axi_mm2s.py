"""cocotb tests for rtl/axi_mm2s.sv (AXI4 burst reader, memory -> stream).

Memory: tb.bus.axi_ram.FaultyAxiRam on the read-only `m_axi` bus (ID and all AR/R signals
bound by the prefix), answering SLVERR / DECERR in chosen ranges. Upstream pauses (idle) are
on its AR and R channels, back-pressure on the m_axis sink. Reference model: the output
stream is the RAM content of [addr, addr + 8*words). AXI4 rules (VALID/payload held, INCR
of 8-byte beats, <= 256 beats, no 4 KiB crossing, RLAST, R only after AR, at most
MAX_OUTSTANDING bursts in flight) are tb.bus.axi_checker's; this testbench adds what only
the reader's design says: each command's bursts are contiguous and at most
min(MAX_BURST, FIFO_DEPTH) beats, RREADY is never low while RVALID (the credit scheme never
asks for data it cannot store), never more than FIFO_DEPTH words are received and not yet
delivered, and `error` reports error responses.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiReadBus

from tb.bus.streams import inserters, make_rng
from tb.units.stream_tb import AxiBlockTB, axi_cases, max_in_flight


class ReaderTB(AxiBlockTB):
    def __init__(self, dut, **checker_kw):
        super().__init__(dut, AxiReadBus, source=None, sink="m_axis", **checker_kw)
        self.fifo_depth = int(dut.FIFO_DEPTH.value)
        self.burst_limit = min(self.max_burst, self.fifo_depth)   # bursts fit the FIFO
        self.ar = self.requests = self.mon("ar", ["addr", "len"])
        self.r = self.mon("r", ["resp"])

    def idle_targets(self) -> list:
        return [self.ram.read_if.ar_channel, self.ram.read_if.r_channel]   # a slow memory

    def check_pauses(self) -> None:
        if self.idle:
            assert self.ar.ready_low_with_valid > 0, "AR: memory pauses never exercised"
        if self.backpressure:
            assert self.out.ready_low_with_valid > 0, "m_axis: back-pressure never exercised"

    def expected(self, addr: int, words: int) -> list[int]:
        raw = self.ram.read(addr, 8 * words)
        return [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(words)]

    async def read(self, addr: int, words: int) -> list[int]:
        """Run one command; return the words seen on m_axis."""
        first = len(self.received)
        await self.command(addr, words, each_cycle=self.drain)
        assert self.sink.empty(), f"m_axis: data after done of the read at {addr:#x}"
        return self.received[first:]

    def check_bus(self) -> None:
        super().check_bus()
        assert self.r.ready_low_with_valid == 0, "RREADY dropped while RVALID"
        stored = max_in_flight([c for c, _ in self.r.transfers],
                               [c for c, _ in self.out.transfers])
        assert stored <= self.fifo_depth, f"{stored} words held, FIFO_DEPTH {self.fifo_depth}"
        self.log.info("peak buffered words %d of FIFO_DEPTH %d", stored, self.fifo_depth)


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle", 0.25),
                    backpressure_inserter=inserters("backpressure"))
async def test_transfers(dut, idle_inserter, backpressure_inserter):
    """All buffer placements and lengths, back to back, vs the RAM contents."""
    tb = ReaderTB(dut)
    data_rng = make_rng("data")
    todo = axi_cases()
    for addr, words in todo:
        tb.ram.write(addr, data_rng.randbytes(words * 8))
    await tb.setup(idle_inserter, backpressure_inserter)

    for addr, words in todo:
        got = await tb.read(addr, words)
        tb.compare(got, tb.expected(addr, words), f"read of {words} words at {addr:#x}")
        assert int(dut.error.value) == 0, f"error set by the read at {addr:#x}"
    tb.check_bus()
    tb.check_pauses()
    if not tb.paused:
        # Unpaused, the reader streams a 1500-word command at one word per cycle when the
        # FIFO can hold two bursts (one arriving while the previous one drains); a shorter
        # FIFO serialises bursts with the round trip.
        first, last = tb.out.transfers[-1500][0], tb.out.transfers[-1][0]
        bound = 1500 + 40 if tb.fifo_depth >= 2 * tb.max_burst else 2 * 1500
        assert last - first + 1 <= bound, f"1500 words took {last - first + 1} cycles"


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle", 0.25),
                    backpressure_inserter=inserters("backpressure"))
async def test_error(dut, idle_inserter, backpressure_inserter):
    """SLVERR and DECERR beats set `error` (sticky after done) while every beat is still
    delivered; the next start clears it; a zero-length command completes with no bus
    traffic."""
    tb = ReaderTB(dut)
    await tb.setup(idle_inserter, backpressure_inserter)
    bad = 0x8000 + 8 * 300
    tb.ram.add_error_range(bad, bad + 8, "read", "SLVERR")
    tb.ram.add_error_range(bad + 8, bad + 16, "read", "DECERR")
    n_r = len(tb.r.transfers)
    got = await tb.read(0x8000, 400)
    assert len(got) == 400, f"{len(got)} of 400 words delivered"
    assert int(dut.error.value) == 1, "error not flagged for SLVERR / DECERR"
    assert tb.done.transfers[-1][1] == (1,), "error not visible with done"
    errors = [(i, p[0]) for i, (_, p) in enumerate(tb.r.transfers[n_r:]) if p[0] != 0]
    assert errors == [(300, 2), (301, 3)], f"R beats with error responses: {errors}"
    assert [(e.addr, e.resp) for e in tb.ram.errors] == [(bad, "SLVERR"), (bad + 8, "DECERR")]
    await ClockCycles(dut.ap_clk, 5)
    assert int(dut.error.value) == 1, "error not sticky"

    n_ar = len(tb.ar.transfers)
    got = await tb.read(0x4000, 0)
    assert got == [] and len(tb.ar.transfers) == n_ar, "zero-length read moved data"
    assert int(dut.error.value) == 0, "error not cleared by start"

    tb.ram.clear_error_ranges()
    got = await tb.read(0x8000, 16)
    assert len(got) == 16 and int(dut.error.value) == 0
    tb.check_bus()


@cocotb.test()
async def test_slow_consumer(dut):
    """A stalled output must stop new bursts (credits), not RREADY: with m_axis blocked,
    at most FIFO_DEPTH words are fetched, and all arrive once it resumes."""
    tb = ReaderTB(dut)
    await tb.reset()
    rng = make_rng("slow")
    tb.ram.write(0x20000, rng.randbytes(8 * 2000))
    tb.sink.pause = True
    await tb.start(0x20000, 2000)
    await ClockCycles(dut.ap_clk, 3000)
    beats = len(tb.r.transfers)
    assert 0 < beats <= tb.fifo_depth, f"{beats} beats fetched into a {tb.fifo_depth} FIFO"
    assert beats > tb.fifo_depth - tb.max_burst, f"only {beats} beats prefetched"
    tb.sink.pause = False
    for _ in range(20000):
        await RisingEdge(dut.ap_clk)
        tb.drain()
        if tb.done.transfers:
            break
    tb.compare(tb.received, tb.expected(0x20000, 2000), "read of 2000 words at 0x20000")
    tb.check_bus()
