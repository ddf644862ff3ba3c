"""cocotb tests for rtl/axi_mm2s.sv (AXI4 burst reader, memory -> stream).

Memory: cocotbext-axi AxiRamRead (read-only bus, ID and all AR/R signals bound by the
m_axi prefix) with random pauses on AR and R, and a poisoned address range that answers
SLVERR. Reference model: the output stream is the RAM content of [addr, addr + 8*words).
Bus checks: bursts contiguous, <= MAX_BURST (<= 256) beats, no 4 KiB crossing, INCR of
8-byte beats, at most MAX_OUTSTANDING bursts in flight, RREADY never low while RVALID (the
credit scheme never asks for data it cannot store), never more than FIFO_DEPTH words
received and not yet delivered, AR held stable until accepted.
"""

from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiReadBus, AxiRamRead, AxiStreamBus, AxiStreamSink

from tb.bus.streams import (RAM_SIZE, HandshakeMonitor, axi_cases, check_bursts, make_rng,
                        max_in_flight, pause_gen, quiet, reset)

class PoisonRamRead(AxiRamRead):
    """AxiRamRead that answers SLVERR for reads inside `poison` ranges."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.poison: list[tuple[int, int]] = []

    async def _read(self, address, length):
        if any(lo <= address < hi for lo, hi in self.poison):
            raise IOError(f"poisoned read at {address:#x}")
        return await super()._read(address, length)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.max_burst = int(dut.MAX_BURST.value)
        self.max_outstanding = int(dut.MAX_OUTSTANDING.value)
        self.fifo_depth = int(dut.FIFO_DEPTH.value)
        Clock(dut.ap_clk, 10, unit="ns").start()
        self.ram = PoisonRamRead(AxiReadBus.from_prefix(dut, "m_axi"), dut.ap_clk, dut.ap_rst_n,
                                 reset_active_level=False, size=RAM_SIZE)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.ap_clk,
                                  dut.ap_rst_n, reset_active_level=False)
        quiet(self.ram, self.ram.ar_channel, self.ram.r_channel, self.sink)
        self.ar = HandshakeMonitor(dut.ap_clk, dut.m_axi_arvalid, dut.m_axi_arready,
                                   [dut.m_axi_araddr, dut.m_axi_arlen, dut.m_axi_arsize,
                                    dut.m_axi_arburst], "AR")
        self.r = HandshakeMonitor(dut.ap_clk, dut.m_axi_rvalid, dut.m_axi_rready,
                                  [dut.m_axi_rdata, dut.m_axi_rresp, dut.m_axi_rlast], "R")
        self.out = HandshakeMonitor(dut.ap_clk, dut.m_axis_tvalid, dut.m_axis_tready,
                                    [dut.m_axis_tdata], "m_axis")
        self.done = HandshakeMonitor(dut.ap_clk, dut.done, None, [dut.error], "done")
        dut.start.value = 0
        dut.addr.value = 0
        dut.words.value = 0

    def set_stalls(self, rng) -> None:
        if rng is not None:
            self.ram.ar_channel.set_pause_generator(pause_gen(rng, 0.2))
            self.ram.r_channel.set_pause_generator(pause_gen(rng, 0.3))
            self.sink.set_pause_generator(pause_gen(rng, 0.3))

    async def reset(self) -> None:
        await reset(self.dut.ap_clk, self.dut.ap_rst_n)

    async def start(self, addr: int, words: int) -> None:
        dut = self.dut
        dut.addr.value = addr
        dut.words.value = words
        dut.start.value = 1
        await RisingEdge(dut.ap_clk)
        dut.start.value = 0

    async def read(self, addr: int, words: int, timeout: int | None = None) -> list[int]:
        """Run one command; return the words seen on m_axis."""
        dut = self.dut
        n_done = len(self.done.transfers)
        n_ar = len(self.ar.transfers)
        await self.start(addr, words)
        got: list[int] = []
        limit = timeout or (200 + 20 * words)
        for _ in range(limit):
            await RisingEdge(dut.ap_clk)
            # (sample the DUT here: the monitors may not have seen this edge yet)
            is_done = int(dut.done.value)
            assert int(dut.busy.value) == 1 or is_done, "busy low before done"
            while not self.sink.empty():
                got.append(int.from_bytes(bytes(self.sink.recv_nowait().tdata), "little"))
            if is_done:
                break
        else:
            raise AssertionError(f"no done within {limit} cycles for {words} words at {addr:#x}")
        await RisingEdge(dut.ap_clk)
        assert len(self.done.transfers) == n_done + 1, "done pulsed more than once"
        assert int(dut.busy.value) == 0, "busy still high after done"
        assert self.sink.empty(), "data after done"
        bursts = [(p[0], p[1]) for _, p in self.ar.transfers[n_ar:]]
        check_bursts(bursts, addr, words, min(self.max_burst, self.fifo_depth))
        return got

    def check_bus(self) -> None:
        for mon in (self.ar, self.out):
            mon.check()
        for _, (_, _, size, burst) in self.ar.transfers:
            assert size == 3 and burst == 1, f"ARSIZE {size} ARBURST {burst}"
        assert self.r.ready_low_with_valid == 0, "RREADY dropped while RVALID"
        peak = max_in_flight([c for c, _ in self.ar.transfers],
                             [c for c, p in self.r.transfers if p[2]])
        assert peak <= self.max_outstanding, f"{peak} bursts outstanding"
        stored = max_in_flight([c for c, _ in self.r.transfers],
                               [c for c, _ in self.out.transfers])
        assert stored <= self.fifo_depth, f"{stored} words held, FIFO_DEPTH {self.fifo_depth}"
        self.log.info("peak outstanding bursts %d, peak buffered words %d", peak, stored)


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_transfers(dut, stalls):
    """All buffer placements and lengths, back to back, vs the RAM contents."""
    tb = TB(dut)
    data_rng = make_rng("data")
    todo = axi_cases()
    for addr, words in todo:
        tb.ram.write(addr, data_rng.randbytes(words * 8))
    tb.set_stalls(make_rng("stalls") if stalls else None)
    await tb.reset()

    for addr, words in todo:
        got = await tb.read(addr, words)
        raw = tb.ram.read(addr, words * 8)
        expected = [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(words)]
        assert got == expected, f"data mismatch for {words} words at {addr:#x}"
        assert int(dut.error.value) == 0
    tb.check_bus()
    if stalls:
        assert tb.out.ready_low_with_valid > 0 and tb.ar.ready_low_with_valid > 0
    else:
        # Unstalled, the reader streams a 1500-word command at one word per cycle when the
        # FIFO can hold two bursts (one arriving while the previous one drains); a shorter
        # FIFO serialises bursts with the round trip.
        first, last = [c for c, _ in tb.out.transfers][-1500], tb.out.transfers[-1][0]
        bound = 1500 + 40 if tb.fifo_depth >= 2 * tb.max_burst else 2 * 1500
        assert last - first + 1 <= bound, f"1500 words took {last - first + 1} cycles"


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_error(dut, stalls):
    """SLVERR on some beats sets `error` (sticky after done) while every beat is still
    delivered; the next start clears it; a zero-length command completes with no bus
    traffic."""
    tb = TB(dut)
    tb.set_stalls(make_rng("stalls") if stalls else None)
    await tb.reset()
    tb.ram.poison = [(0x8000 + 8 * 300, 0x8000 + 8 * 302)]
    got = await tb.read(0x8000, 400)
    assert len(got) == 400
    assert int(dut.error.value) == 1, "error not flagged for SLVERR"
    assert tb.done.transfers[-1][1] == (1,), "error not visible with done"
    assert sum(1 for _, p in tb.r.transfers if p[1] != 0) == 2
    await ClockCycles(dut.ap_clk, 5)
    assert int(dut.error.value) == 1, "error not sticky"

    n_ar = len(tb.ar.transfers)
    got = await tb.read(0x4000, 0)
    assert got == [] and len(tb.ar.transfers) == n_ar
    assert int(dut.error.value) == 0, "error not cleared by start"

    tb.ram.poison = []
    got = await tb.read(0x8000, 16)
    assert len(got) == 16 and int(dut.error.value) == 0
    tb.check_bus()


@cocotb.test()
async def test_slow_consumer(dut):
    """A stalled output must stop new bursts (credits), not RREADY: with m_axis blocked,
    at most FIFO_DEPTH words are fetched, and all arrive once it resumes."""
    tb = TB(dut)
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
    got = []
    for _ in range(20000):
        await RisingEdge(dut.ap_clk)
        while not tb.sink.empty():
            got.append(int.from_bytes(bytes(tb.sink.recv_nowait().tdata), "little"))
        if tb.done.transfers:
            break
    raw = tb.ram.read(0x20000, 8 * 2000)
    assert got == [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(2000)]
    tb.check_bus()
