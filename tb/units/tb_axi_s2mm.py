"""cocotb tests for rtl/axi_s2mm.sv (AXI4 burst writer, stream -> memory).

Memory: tb.bus.axi_ram.FaultyAxiRam on the write-only `m_axi` bus, answering SLVERR /
DECERR in chosen ranges. Upstream pauses (idle) are gaps of the s_axis source, back-pressure
is on the memory's AW, W and B channels. Reference model: after `done`, RAM[addr,
addr + 8*words) holds the stream words in order and the guard words around the buffer are
untouched. AXI4 rules (VALID/payload held, INCR of 8-byte beats, <= 256 beats, no 4 KiB
crossing, WLAST on exactly each burst's last beat, at most MAX_OUTSTANDING bursts awaiting
B) are tb.bus.axi_checker's; this testbench adds what only the writer's design says: each
command's bursts are contiguous and at most MAX_BURST beats, WSTRB is all ones, every burst
gets its B before `done`, and `error` reports error responses.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiWriteBus

from tb.bus.streams import inserters, make_rng
from tb.units.stream_tb import AxiBlockTB, axi_cases

GUARD = 16          # guard words checked on each side of a buffer
SENTINEL = 0xA5


class WriterTB(AxiBlockTB):
    def __init__(self, dut, **checker_kw):
        super().__init__(dut, AxiWriteBus, source="s_axis", sink=None, **checker_kw)
        self.aw = self.requests = self.mon("aw", ["addr", "len"])
        self.w = self.mon("w", ["strb"])
        self.b = self.mon("b", ["resp"])
        self.source_gaps = 0     # s_axis VALID-low cycles inside the commands' streams

    def backpressure_targets(self) -> list:
        return [self.ram.write_if.aw_channel, self.ram.write_if.w_channel,
                self.ram.write_if.b_channel]                 # a slow memory

    def check_pauses(self) -> None:
        # (the gaps between commands are no source pauses: only those inside a command count)
        if self.idle:
            assert self.source_gaps > 0, "s_axis: source gaps never exercised"
        if self.backpressure:
            assert self.w.ready_low_with_valid > 0 and self.aw.ready_low_with_valid > 0, (
                "AW / W: memory back-pressure never exercised")

    async def write(self, addr: int, words: list[int], lead: int = 0) -> None:
        """Stream `words` and run one command writing them at `addr`; the stream starts
        `lead` cycles before the start pulse. Every burst's B comes before `done`."""
        n_aw, n_b, n_in = len(self.aw.transfers), len(self.b.transfers), len(self.inp.transfers)
        if words:
            await self.send(words)
        await self.command(addr, len(words), lead=lead)
        self.source_gaps += self.inp.idle_cycles(n_in)
        done_cycle = self.done.transfers[-1][0]
        bursts, bs = len(self.aw.transfers) - n_aw, self.b.transfers[n_b:]
        assert len(bs) == bursts, f"{len(bs)} B responses for {bursts} bursts at {addr:#x}"
        late = [c for c, _ in bs if c >= done_cycle]
        assert not late, f"done at cycle {done_cycle} before the B response at cycle {late[0]}"

    def check_bus(self) -> None:
        super().check_bus()
        partial = [i for i, (_, p) in enumerate(self.w.transfers) if p[0] != 0xFF]
        assert not partial, (f"{len(partial)} W beats with a partial WSTRB; first: beat "
                             f"{partial[0]} WSTRB {self.w.transfers[partial[0]][1][0]:#x}")

    def fill_guards(self, addr: int, n: int) -> None:
        self.ram.write(addr - 8 * GUARD, bytes([SENTINEL]) * 8 * GUARD)
        self.ram.write(addr + 8 * n, bytes([SENTINEL]) * 8 * GUARD)

    def check_memory(self, addr: int, words: list[int]) -> None:
        n = len(words)
        raw = self.ram.read(addr, 8 * n)
        got = [int.from_bytes(raw[8 * i:8 * i + 8], "little") for i in range(n)]
        self.compare(got, words, f"RAM after the write at {addr:#x}")
        assert self.ram.read(addr - 8 * GUARD, 8 * GUARD) == bytes([SENTINEL]) * 8 * GUARD, (
            f"write below the buffer at {addr:#x}")
        assert self.ram.read(addr + 8 * n, 8 * GUARD) == bytes([SENTINEL]) * 8 * GUARD, (
            f"write above the buffer at {addr:#x}")


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle"),
                    backpressure_inserter=inserters("backpressure", 0.25))
async def test_transfers(dut, idle_inserter, backpressure_inserter):
    """All buffer placements and lengths, back to back; some streams start before the
    command (held by back-pressure), vs the stream contents."""
    tb = WriterTB(dut)
    data_rng = make_rng("data")
    todo = axi_cases()
    payload = {addr: [data_rng.getrandbits(64) for _ in range(n)] for addr, n in todo}
    await tb.setup(idle_inserter, backpressure_inserter)

    for i, (addr, n) in enumerate(todo):
        tb.fill_guards(addr, n)
        await tb.write(addr, payload[addr], lead=(20 if i % 2 else 0))
        assert int(dut.error.value) == 0, f"error set by the write at {addr:#x}"
        tb.check_memory(addr, payload[addr])
    tb.check_bus()
    tb.check_pauses()
    if not tb.paused:
        # Unpaused, the writer streams: the last (1500-word) command's beats are dense.
        first, last = tb.w.transfers[-1500][0], tb.w.transfers[-1][0]
        assert last - first + 1 <= 1500 + 40, f"1500 words took {last - first + 1} cycles"


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle"),
                    backpressure_inserter=inserters("backpressure", 0.25))
async def test_error(dut, idle_inserter, backpressure_inserter):
    """DECERR on one burst and SLVERR on another set `error` (sticky after done; done still
    waits for every B); the next start clears it; a zero-length command completes with no
    bus traffic."""
    tb = WriterTB(dut)
    await tb.setup(idle_inserter, backpressure_inserter)
    rng = make_rng("error")
    base = 0x9000 - 8 * 40            # the first burst ends at the 4 KiB boundary 0x9000
    decerr, slverr = base + 8 * 5, 0x9000 + 8 * 300
    tb.ram.add_error_range(decerr, decerr + 8, "write", "DECERR")
    tb.ram.add_error_range(slverr, slverr + 8, "write", "SLVERR")
    words = [rng.getrandbits(64) for _ in range(600)]
    n_b = len(tb.b.transfers)
    await tb.write(base, words)
    assert int(dut.error.value) == 1, "error not flagged for DECERR / SLVERR"
    assert tb.done.transfers[-1][1] == (1,), "error not visible with done"
    resps = [p[0] for _, p in tb.b.transfers[n_b:] if p[0] != 0]
    assert resps == [3, 2], f"error B responses {resps}, expected DECERR then SLVERR"
    assert [(e.addr, e.resp) for e in tb.ram.errors] == [(decerr, "DECERR"), (slverr, "SLVERR")]
    await ClockCycles(dut.ap_clk, 5)
    assert int(dut.error.value) == 1, "error not sticky"

    n_aw = len(tb.aw.transfers)
    await tb.write(0x4000, [])
    assert len(tb.aw.transfers) == n_aw, "zero-length write issued a burst"
    assert int(dut.error.value) == 0, "error not cleared by start"

    tb.ram.clear_error_ranges()
    words = [rng.getrandbits(64) for _ in range(16)]
    tb.fill_guards(0x6000, 16)
    await tb.write(0x6000, words)
    assert int(dut.error.value) == 0
    tb.check_memory(0x6000, words)
    tb.check_bus()
