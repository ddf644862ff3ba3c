"""cocotb tests for rtl/axilite_ctrl.sv (HLS ap_ctrl_hs AXI4-Lite register map).

Driver: cocotbext-axi AxiLiteMaster on the s_axi_control prefix, with random pauses on all
five channels in the stalled runs. A fake core coroutine plays the HLS block-level
handshake: it waits for ap_start, drops ap_idle, pulses ap_ready after READY_DELAY cycles
and ap_done after DONE_DELAY cycles, then goes idle again, recording the arguments it saw.
Reference model: the register table below (address, reset value, writable bits, output).
"""

from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from tb.bus.streams import HandshakeMonitor, make_rng, pause_gen, quiet, reset

CTRL, GIER, IER, ISR = 0x00, 0x04, 0x08, 0x0C
# argument registers: address -> (writable mask, core output, bit offset in that output)
ARGS = {
    0x10: (0xFFFFFFFF, "in_addr", 0), 0x14: (0xFFFFFFFF, "in_addr", 32),
    0x1C: (0xFFFFFFFF, "out_addr", 0), 0x20: (0xFFFFFFFF, "out_addr", 32),
    0x28: (0x00000001, "do_init", 0),
    0x30: (0xFFFFFFFF, "target_layer", 0), 0x38: (0xFFFFFFFF, "target_mem", 0),
    0x40: (0xFFFFFFFF, "target_ind", 0), 0x48: (0xFFFFFFFF, "target_thresh", 0),
    0x50: (0xFFFFFFFF, "init_val", 0), 0x54: (0xFFFFFFFF, "init_val", 32),
    0x5C: (0xFFFFFFFF, "num_reps", 0),
}
MAPPED = {CTRL, GIER, IER, ISR, *ARGS}
UNMAPPED = [a for a in range(0, 0x80, 4) if a not in MAPPED]


class FakeCore:
    """ap_ctrl_hs core model: one run per ap_start seen while idle."""

    def __init__(self, dut, ready_delay: int = 3, done_delay: int = 8):
        self.dut = dut
        self.ready_delay = ready_delay
        self.done_delay = done_delay
        self.runs: list[dict[str, int]] = []
        self.ready_cycles = 0
        self.done_pulses = 0
        dut.ap_done.value = 0
        dut.ap_ready.value = 0
        dut.ap_idle.value = 1
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        dut = self.dut
        edge = RisingEdge(dut.ap_clk)
        while True:
            await edge
            if not int(dut.ap_start.value):
                continue
            # The core takes its arguments when it starts.
            self.runs.append({name: int(getattr(dut, name).value)
                              for name in {n for _, n, _ in ARGS.values()}})
            dut.ap_idle.value = 0
            for t in range(self.done_delay + 1):
                dut.ap_ready.value = int(t == self.ready_delay)
                dut.ap_done.value = int(t == self.done_delay)
                await edge
                self.ready_cycles += int(t == self.ready_delay)
                self.done_pulses += int(t == self.done_delay)
            dut.ap_ready.value = 0
            dut.ap_done.value = 0
            dut.ap_idle.value = 1


class TB:
    def __init__(self, dut, stalls: bool):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        Clock(dut.ap_clk, 10, unit="ns").start()
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk,
                                  dut.ap_rst_n, reset_active_level=False)
        wr, rd = self.axil.write_if, self.axil.read_if
        quiet(self.axil, wr, rd)
        if stalls:
            rng = make_rng("stalls")
            for ch in (wr.aw_channel, wr.w_channel, wr.b_channel, rd.ar_channel,
                       rd.r_channel):
                ch.set_pause_generator(pause_gen(rng, 0.4))
        self.rmon = HandshakeMonitor(dut.ap_clk, dut.s_axi_control_rvalid,
                                     dut.s_axi_control_rready,
                                     [dut.s_axi_control_rdata, dut.s_axi_control_rresp], "R")
        self.bmon = HandshakeMonitor(dut.ap_clk, dut.s_axi_control_bvalid,
                                     dut.s_axi_control_bready, [dut.s_axi_control_bresp], "B")
        self.core = FakeCore(dut)

    async def reset(self) -> None:
        await reset(self.dut.ap_clk, self.dut.ap_rst_n)

    async def rd(self, addr: int) -> int:
        return await self.axil.read_dword(addr)

    async def wr(self, addr: int, value: int) -> None:
        await self.axil.write_dword(addr, value)

    async def raw_write(self, addr: int, data: int, strb: int) -> None:
        """One write with explicit WDATA and WSTRB (the byte-level master API zeroes the
        data of disabled lanes, which would hide a slave that ignores WSTRB)."""
        wr = self.axil.write_if
        await self.axil.wait()
        aw = wr.aw_channel._transaction_obj()
        aw.awaddr = addr
        w = wr.w_channel._transaction_obj()
        w.wdata = data
        w.wstrb = strb
        await wr.aw_channel.send(aw)
        await wr.w_channel.send(w)
        b = await wr.b_channel.recv()
        assert int(b.bresp) == 0

    def check_bus(self) -> None:
        self.rmon.check()
        self.bmon.check()
        assert all(p[1] == 0 for _, p in self.rmon.transfers), "RRESP not OKAY"
        assert all(p[0] == 0 for _, p in self.bmon.transfers), "BRESP not OKAY"

    async def wait_for(self, cond, limit: int = 1000) -> None:
        for _ in range(limit):
            if cond():
                return
            await RisingEdge(self.dut.ap_clk)
        raise AssertionError("timed out")


def output_of(dut, addr: int) -> int:
    """The 32-bit slice of the core-side output that register `addr` drives."""
    mask, name, shift = ARGS[addr]
    return (int(getattr(dut, name).value) >> shift) & mask


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_registers(dut, stalls):
    """Reset values, read-back of every register, WSTRB byte lanes, unmapped words."""
    tb = TB(dut, stalls)
    await tb.reset()
    rng = make_rng("regs")

    for addr in ARGS:
        assert await tb.rd(addr) == 0, f"{addr:#x} not 0 after reset"
    assert await tb.rd(CTRL) == 0x4, "CTRL after reset: only ap_idle"
    for addr in (GIER, IER, ISR):
        assert await tb.rd(addr) == 0

    model = {}
    for addr, (mask, _, _) in ARGS.items():
        value = rng.getrandbits(32) | 1
        await tb.wr(addr, value)
        model[addr] = value & mask
    await tb.wr(GIER, 0xFFFFFFFF)
    await tb.wr(IER, 0xFFFFFFFF)
    for addr in ARGS:
        assert await tb.rd(addr) == model[addr], f"read-back of {addr:#x}"
        assert output_of(dut, addr) == model[addr], f"core output of {addr:#x}"
    assert await tb.rd(GIER) == 0x1
    assert await tb.rd(IER) == 0x3
    await tb.wr(GIER, 0)
    await tb.wr(IER, 0)

    # WSTRB: single-byte and half-word writes change only their lanes.
    for addr, (mask, _, _) in ARGS.items():
        for lane, size in ((rng.randrange(4), 1), (2 * rng.randrange(2), 2)):
            data = rng.randbytes(size)
            await tb.axil.write(addr + lane, data)
            word = bytearray(model[addr].to_bytes(4, "little"))
            word[lane:lane + size] = data
            model[addr] = int.from_bytes(word, "little") & mask
            assert await tb.rd(addr) == model[addr], f"WSTRB write at {addr + lane:#x}"
            assert output_of(dut, addr) == model[addr]

    # Control registers live in byte 0: all-ones data without that lane changes nothing.
    for addr in (CTRL, GIER, IER, ISR):
        await tb.raw_write(addr, 0xFFFFFFFF, 0b1110)
    assert await tb.rd(GIER) == 0 and await tb.rd(IER) == 0 and await tb.rd(ISR) == 0
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(CTRL) == 0x4 and tb.core.runs == []

    # Unmapped words read 0 and writing them changes nothing.
    for addr in UNMAPPED:
        await tb.wr(addr, 0xFFFFFFFF)
        assert await tb.rd(addr) == 0, f"unmapped {addr:#x} reads non-zero"
    for addr in ARGS:
        assert await tb.rd(addr) == model[addr], f"{addr:#x} changed by an unmapped write"
    assert await tb.rd(CTRL) == 0x4 and await tb.rd(ISR) == 0
    assert tb.core.runs == [], "core started without ap_start"
    tb.check_bus()


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_handshake(dut, stalls):
    """ap_start held until ap_ready; done/ready clear on read; idle follows the core; the
    core sees the arguments written before the start."""
    tb = TB(dut, stalls)
    await tb.reset()
    await tb.wr(0x10, 0x12345678)
    await tb.wr(0x14, 0x9ABCDEF0)
    await tb.wr(0x5C, 7)
    tb.core.done_delay = 40       # long enough to see the running state over AXI-Lite
    tb.core.ready_delay = 30
    await tb.wr(CTRL, 0x1)
    await tb.wait_for(lambda: len(tb.core.runs) == 1)
    assert tb.core.runs[0]["in_addr"] == 0x9ABCDEF012345678
    assert tb.core.runs[0]["num_reps"] == 7
    running = await tb.rd(CTRL)
    assert running & 0x1 == 1, "ap_start dropped before ap_ready"
    assert running & 0x4 == 0, "ap_idle high while running"
    assert int(dut.ap_start.value) == 1
    await tb.wait_for(lambda: tb.core.ready_cycles == 1)
    await RisingEdge(dut.ap_clk)
    assert int(dut.ap_start.value) == 0, "ap_start not cleared by ap_ready"
    assert await tb.rd(CTRL) == 0x8, "between ap_ready and ap_done: only ap_ready"
    await tb.wait_for(lambda: tb.core.done_pulses == 1)
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(CTRL) == 0x6, "after the run: done, idle (ready was read)"
    assert await tb.rd(CTRL) == 0x4, "done not cleared on read"
    await ClockCycles(dut.ap_clk, 50)
    assert len(tb.core.runs) == 1, "core restarted without a new ap_start"

    # Same-cycle ready and done (non-pipelined HLS block), three starts in a row.
    tb.core.ready_delay = tb.core.done_delay = 5
    await tb.wr(CTRL, 0x1)
    await tb.wait_for(lambda: tb.core.done_pulses == 2)
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(CTRL) == 0xE, "after the run: done, idle, ready"
    assert await tb.rd(CTRL) == 0x4, "done and ready not cleared on read"
    for i in range(3):
        await tb.wr(0x5C, 100 + i)
        await tb.wr(CTRL, 0x1)
        while not (await tb.rd(CTRL)) & 0x2:
            pass
        assert tb.core.runs[-1]["num_reps"] == 100 + i
    assert len(tb.core.runs) == 5
    assert int(dut.interrupt.value) == 0, "interrupt without GIE/IER"
    tb.check_bus()


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_auto_restart(dut, stalls):
    """With auto_restart, ap_start stays set across ap_ready so the core runs again and
    again; clearing auto_restart lets the current run be the last."""
    tb = TB(dut, stalls)
    await tb.reset()
    await tb.wr(CTRL, 0x81)
    assert (await tb.rd(CTRL)) & 0x80, "auto_restart not readable"
    await tb.wait_for(lambda: len(tb.core.runs) >= 4, limit=2000)
    assert int(dut.ap_start.value) == 1
    await tb.wr(CTRL, 0x00)        # writing 0 to ap_start does not stop the current run
    assert (await tb.rd(CTRL)) & 0x80 == 0
    await ClockCycles(dut.ap_clk, 3 * (tb.core.done_delay + 2))
    n = len(tb.core.runs)
    assert int(dut.ap_start.value) == 0, "ap_start still set without auto_restart"
    await ClockCycles(dut.ap_clk, 50)
    assert len(tb.core.runs) == n, "core kept restarting"
    assert tb.core.done_pulses == n
    tb.check_bus()


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_interrupt(dut, stalls):
    """ISR bits set by enabled events only, toggled by writing 1; interrupt = GIE & |ISR."""
    tb = TB(dut, stalls)
    await tb.reset()

    async def run_once():
        n = tb.core.done_pulses
        await tb.wr(CTRL, 0x1)
        await tb.wait_for(lambda: tb.core.done_pulses > n)
        await ClockCycles(dut.ap_clk, 2)

    await run_once()                                  # IER = 0: nothing latched
    assert await tb.rd(ISR) == 0 and int(dut.interrupt.value) == 0

    await tb.wr(IER, 0x1)                             # done events only, GIE still off
    await run_once()
    assert await tb.rd(ISR) == 0x1
    assert int(dut.interrupt.value) == 0, "interrupt with GIE = 0"
    await tb.wr(GIER, 0x1)
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 1, "interrupt not raised by GIE & ISR"
    await tb.wr(ISR, 0x1)                             # toggle clears
    assert await tb.rd(ISR) == 0
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 0, "interrupt not cleared by ISR toggle"
    await tb.wr(ISR, 0x2)                             # toggle on a clear bit sets it
    assert await tb.rd(ISR) == 0x2
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 1
    await tb.wr(ISR, 0x2)
    assert await tb.rd(ISR) == 0

    # Both events enabled; a core whose ap_ready comes long before ap_done shows that bit 1
    # follows ap_ready and bit 0 ap_done.
    await tb.wr(IER, 0x3)
    tb.core.ready_delay, tb.core.done_delay = 3, 200
    await tb.wr(CTRL, 0x1)
    await tb.wait_for(lambda: tb.core.ready_cycles == tb.core.done_pulses + 1)
    assert await tb.rd(ISR) == 0x2, "after ap_ready only, ISR must be 0x2"
    await tb.wait_for(lambda: tb.core.done_pulses == tb.core.ready_cycles)
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(ISR) == 0x3, "ISR done bit not set by ap_done"
    await tb.wr(ISR, 0x3)
    assert await tb.rd(ISR) == 0x0
    await tb.wr(IER, 0x2)                             # ready events only
    await run_once()
    assert await tb.rd(ISR) == 0x2
    assert int(dut.interrupt.value) == 1
    await tb.wr(ISR, 0x3)                             # toggles both: ready off, done on
    assert await tb.rd(ISR) == 0x1
    await tb.wr(ISR, 0x1)
    assert await tb.rd(ISR) == 0
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 0
    await tb.wr(GIER, 0x0)
    assert await tb.rd(GIER) == 0
    tb.check_bus()
