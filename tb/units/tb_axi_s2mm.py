"""cocotb tests for rtl/axi_s2mm.sv (AXI4 burst writer, stream -> memory).

Memory: cocotbext-axi AxiRamWrite (write-only bus bound by the m_axi prefix) with random
pauses on AW, W and B, and a poisoned address range that answers SLVERR. Reference model:
after `done`, RAM[addr, addr + 8*words) holds the stream words in order and the guard words
around the buffer are untouched. Bus checks: bursts contiguous, <= MAX_BURST (<= 256)
beats, no 4 KiB crossing, INCR of 8-byte beats; W beats per burst match AWLEN with WLAST on
exactly the last one and WSTRB all ones; at most MAX_OUTSTANDING bursts await B; `done`
comes after the last B; AW and W held stable until accepted.
"""

from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiRamWrite, AxiStreamBus, AxiStreamFrame, AxiStreamSource, AxiWriteBus

from tb.bus.streams import (RAM_SIZE, HandshakeMonitor, axi_cases, check_bursts, make_rng,
                        max_in_flight, pause_gen, quiet, reset)

GUARD = 16          # guard words checked on each side of a buffer
SENTINEL = 0xA5


class PoisonRamWrite(AxiRamWrite):
    """AxiRamWrite that answers SLVERR for bursts touching the `poison` ranges."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.poison: list[tuple[int, int]] = []

    async def _write(self, address, data):
        if any(lo <= address < hi for lo, hi in self.poison):
            raise IOError(f"poisoned write at {address:#x}")
        await super()._write(address, data)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.max_burst = int(dut.MAX_BURST.value)
        self.max_outstanding = int(dut.MAX_OUTSTANDING.value)
        Clock(dut.ap_clk, 10, unit="ns").start()
        self.ram = PoisonRamWrite(AxiWriteBus.from_prefix(dut, "m_axi"), dut.ap_clk,
                                  dut.ap_rst_n, reset_active_level=False, size=RAM_SIZE)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.ap_clk,
                                      dut.ap_rst_n, reset_active_level=False)
        quiet(self.ram, self.ram.aw_channel, self.ram.w_channel, self.ram.b_channel,
              self.source)
        self.aw = HandshakeMonitor(dut.ap_clk, dut.m_axi_awvalid, dut.m_axi_awready,
                                   [dut.m_axi_awaddr, dut.m_axi_awlen, dut.m_axi_awsize,
                                    dut.m_axi_awburst], "AW")
        self.w = HandshakeMonitor(dut.ap_clk, dut.m_axi_wvalid, dut.m_axi_wready,
                                  [dut.m_axi_wdata, dut.m_axi_wstrb, dut.m_axi_wlast], "W")
        self.b = HandshakeMonitor(dut.ap_clk, dut.m_axi_bvalid, dut.m_axi_bready,
                                  [dut.m_axi_bresp], "B")
        self.inp = HandshakeMonitor(dut.ap_clk, dut.s_axis_tvalid, dut.s_axis_tready,
                                    [dut.s_axis_tdata], "s_axis")
        self.done = HandshakeMonitor(dut.ap_clk, dut.done, None, [dut.error], "done")
        dut.start.value = 0
        dut.addr.value = 0
        dut.words.value = 0

    def set_stalls(self, rng) -> None:
        if rng is not None:
            self.ram.aw_channel.set_pause_generator(pause_gen(rng, 0.2))
            self.ram.w_channel.set_pause_generator(pause_gen(rng, 0.3))
            self.ram.b_channel.set_pause_generator(pause_gen(rng, 0.3))
            self.source.set_pause_generator(pause_gen(rng, 0.3))

    async def reset(self) -> None:
        await reset(self.dut.ap_clk, self.dut.ap_rst_n)

    async def write(self, addr: int, words: list[int], lead: int = 0) -> None:
        """Stream `words` and run one command writing them at `addr`; the stream starts
        `lead` cycles before the start pulse."""
        dut = self.dut
        n = len(words)
        n_done = len(self.done.transfers)
        n_aw = len(self.aw.transfers)
        n_b = len(self.b.transfers)
        if words:
            await self.source.send(AxiStreamFrame(b"".join(w.to_bytes(8, "little")
                                                           for w in words)))
        await ClockCycles(dut.ap_clk, lead)
        dut.addr.value = addr
        dut.words.value = n
        dut.start.value = 1
        await RisingEdge(dut.ap_clk)
        dut.start.value = 0
        limit = 200 + 20 * n
        for _ in range(limit):
            await RisingEdge(dut.ap_clk)
            is_done = int(dut.done.value)   # sampled here: monitors may lag this edge
            assert int(dut.busy.value) == 1 or is_done, "busy low before done"
            if is_done:
                break
        else:
            raise AssertionError(f"no done within {limit} cycles for {n} words at {addr:#x}")
        await RisingEdge(dut.ap_clk)
        assert len(self.done.transfers) == n_done + 1, "done pulsed more than once"
        assert int(dut.busy.value) == 0
        done_cycle = self.done.transfers[-1][0]
        aws = self.aw.transfers[n_aw:]
        bs = self.b.transfers[n_b:]
        check_bursts([(p[0], p[1]) for _, p in aws], addr, n, self.max_burst)
        assert len(bs) == len(aws), f"{len(bs)} B responses for {len(aws)} bursts"
        assert all(c < done_cycle for c, _ in bs), "done before the last B response"

    def check_bus(self) -> None:
        for mon in (self.aw, self.w, self.inp):
            mon.check()
        for _, (_, _, size, burst) in self.aw.transfers:
            assert size == 3 and burst == 1, f"AWSIZE {size} AWBURST {burst}"
        # W beats, cut at WLAST, must match the AW lengths in order.
        lens, beats = [], 0
        for _, (_, strb, last) in self.w.transfers:
            assert strb == 0xFF, f"WSTRB {strb:#x}"
            beats += 1
            if last:
                lens.append(beats)
                beats = 0
        assert beats == 0, "W beats after the last WLAST"
        assert lens == [p[1] + 1 for _, p in self.aw.transfers], "WLAST not on burst ends"
        peak = max_in_flight([c for c, _ in self.aw.transfers],
                             [c for c, _ in self.b.transfers])
        assert peak <= self.max_outstanding, f"{peak} bursts awaiting B"
        self.log.info("peak bursts awaiting B: %d", peak)

    def fill_guards(self, addr: int, n: int) -> None:
        self.ram.write(addr - 8 * GUARD, bytes([SENTINEL]) * 8 * GUARD)
        self.ram.write(addr + 8 * n, bytes([SENTINEL]) * 8 * GUARD)

    def check_memory(self, addr: int, words: list[int]) -> None:
        n = len(words)
        raw = self.ram.read(addr, 8 * n)
        got = [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(n)]
        bad = [i for i in range(n) if got[i] != words[i]]
        assert not bad, f"{len(bad)} words wrong at {addr:#x}, first index {bad[:1]}"
        assert self.ram.read(addr - 8 * GUARD, 8 * GUARD) == bytes([SENTINEL]) * 8 * GUARD, (
            f"write below the buffer at {addr:#x}")
        assert self.ram.read(addr + 8 * n, 8 * GUARD) == bytes([SENTINEL]) * 8 * GUARD, (
            f"write above the buffer at {addr:#x}")


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_transfers(dut, stalls):
    """All buffer placements and lengths, back to back; some streams start before the
    command (held by back-pressure), vs the stream contents."""
    tb = TB(dut)
    data_rng = make_rng("data")
    todo = axi_cases()
    payload = {addr: [data_rng.getrandbits(64) for _ in range(n)] for addr, n in todo}
    tb.set_stalls(make_rng("stalls") if stalls else None)
    await tb.reset()

    for i, (addr, n) in enumerate(todo):
        tb.fill_guards(addr, n)
        await tb.write(addr, payload[addr], lead=(20 if i % 2 else 0))
        assert int(dut.error.value) == 0
        tb.check_memory(addr, payload[addr])
    tb.check_bus()
    if stalls:
        assert tb.w.ready_low_with_valid > 0 and tb.aw.ready_low_with_valid > 0
    else:
        # Unstalled, the writer streams: the last (1500-word) command's beats are dense.
        first, last = tb.w.transfers[-1500][0], tb.w.transfers[-1][0]
        assert last - first + 1 <= 1500 + 40, f"1500 words took {last - first + 1} cycles"


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_error(dut, stalls):
    """SLVERR on one burst sets `error` (sticky after done; done still waits for every B);
    the next start clears it; a zero-length command completes with no bus traffic."""
    tb = TB(dut)
    tb.set_stalls(make_rng("stalls") if stalls else None)
    await tb.reset()
    rng = make_rng("error")
    tb.ram.poison = [(0x9000 + 8 * 300, 0x9000 + 8 * 301)]
    words = [rng.getrandbits(64) for _ in range(600)]
    await tb.write(0x9000 - 8 * 40, words)
    assert int(dut.error.value) == 1, "error not flagged for SLVERR"
    assert tb.done.transfers[-1][1] == (1,), "error not visible with done"
    assert sum(1 for _, p in tb.b.transfers if p[0] != 0) == 1
    await ClockCycles(dut.ap_clk, 5)
    assert int(dut.error.value) == 1, "error not sticky"

    n_aw = len(tb.aw.transfers)
    await tb.write(0x4000, [])
    assert len(tb.aw.transfers) == n_aw
    assert int(dut.error.value) == 0, "error not cleared by start"

    tb.ram.poison = []
    words = [rng.getrandbits(64) for _ in range(16)]
    tb.fill_guards(0x6000, 16)
    await tb.write(0x6000, words)
    assert int(dut.error.value) == 0
    tb.check_memory(0x6000, words)
    tb.check_bus()
