"""cocotb tests for rtl/axilite_ctrl.sv (HLS ap_ctrl_hs AXI4-Lite register map).

Driver: cocotbext-axi AxiLiteMaster on the s_axi_control prefix, with random pauses on all
five channels in the stalled runs. A fake core coroutine plays the HLS block-level
handshake: it waits for ap_start, drops ap_idle, pulses ap_ready after READY_DELAY cycles
and ap_done after DONE_DELAY cycles, then goes idle again, recording the arguments it saw.
Reference model: the register table of hls_out/interface.py (offsets, fields, access kinds,
reset values, the port each field drives); no offset or bit position is written here, so
test_register_table fails when the table and the RTL disagree.
"""

from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus

from golden.platform import platform
from hls_out import interface as bbj
from tb.bus.axil_checker import AxiLiteChecker
from tb.bus.lean_streams import LeanAxiLiteMaster
from tb.bus.streams import HandshakeMonitor, make_rng, pause_gen, quiet, reset
from tb.jobs import functional_coverage

OFF = bbj.host_offsets()
CTRL, GIER, IER, ISR = (OFF[n] for n in ("CTRL", "GIER", "IP_IER", "IP_ISR"))
AP_START, AP_DONE, AP_IDLE, AP_READY, AUTO_RESTART = (
    bbj.ctrl_mask(b) for b in ("ap_start", "ap_done", "ap_idle", "ap_ready", "auto_restart"))
INT_DONE, INT_READY = (1 << bbj.INTERRUPT_BITS[b] for b in ("done", "ready"))
GIE = bbj.register("GIER").writable
CTRL_RESET = bbj.register("CTRL").reset          # with an idle core: only ap_idle
# argument registers: address -> (writable mask, core output, bit offset in that output)
ARGS = {r.offset: (f.mask, f.port, f.port_lsb) for r in bbj.REGISTERS for f in r.fields
        if f.access == "rw" and f.port}
ARG_PORTS = sorted({port for _, port, _ in ARGS.values()})
UNMAPPED = [a for a in range(0, 1 << bbj.ADDR_WIDTH, 4) if a not in bbj.BY_OFFSET]


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
            self.runs.append({name: int(getattr(dut, name).value) for name in ARG_PORTS})
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
        Clock(dut.ap_clk, platform().period_ps, unit="ps").start()
        self.axil = LeanAxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk,
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
        # `make coverage`: the registers this bench reads and writes count as covered.
        self.coverage = (AxiLiteChecker(dut, "s_axi_control", dut.ap_clk, dut.ap_rst_n, fail_fast=False)
                         if functional_coverage.enabled() else None)

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
        """End of a test: every response OKAY (and, under `make coverage`, the registers it
        read and wrote sampled and exported)."""
        if self.coverage is not None:
            self.coverage.stop()
            functional_coverage.install()
            functional_coverage.sample_registers(self.coverage)
            functional_coverage.export("axilite_ctrl")
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
    assert await tb.rd(CTRL) == CTRL_RESET, "CTRL after reset: only ap_idle"
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
    assert await tb.rd(GIER) == GIE
    assert await tb.rd(IER) == INT_DONE | INT_READY
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
    assert await tb.rd(CTRL) == CTRL_RESET and tb.core.runs == []

    # Unmapped words read 0 and writing them changes nothing.
    for addr in UNMAPPED:
        await tb.wr(addr, 0xFFFFFFFF)
        assert await tb.rd(addr) == 0, f"unmapped {addr:#x} reads non-zero"
    for addr in ARGS:
        assert await tb.rd(addr) == model[addr], f"{addr:#x} changed by an unmapped write"
    assert await tb.rd(CTRL) == CTRL_RESET and await tb.rd(ISR) == 0
    assert tb.core.runs == [], "core started without ap_start"
    tb.check_bus()


def field_port_value(dut, f: bbj.Field) -> int:
    return (int(getattr(dut, f.port).value) >> f.port_lsb) & ((1 << f.width) - 1)


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_register_table(dut, stalls):
    """Every register of hls_out/interface.py through the bus, against the table: reset
    value, write/read-back of all-ones, zeros and random data under full, partial and random
    WSTRB (rw bits follow the data, ro and clear-on-read bits ignore writes, toggle-on-write
    bits flip, bits outside the fields read 0), the core-side port each field drives, and
    every word the table leaves unmapped reading 0 and ignoring writes. The w1s ap_start bit
    is never written here (it would start the core; test_handshake covers it)."""
    tb = TB(dut, stalls)
    await tb.reset()
    rng = make_rng("table")
    for port, width in (("awaddr", bbj.ADDR_WIDTH), ("araddr", bbj.ADDR_WIDTH),
                        ("wdata", bbj.DATA_WIDTH), ("rdata", bbj.DATA_WIDTH)):
        got = len(getattr(dut, f"s_axi_control_{port}").value)
        assert got == width, f"s_axi_control_{port} is {got} bits, hls_out/interface.py says {width}"

    def where(r: bbj.Register) -> str:
        return f"register {r.name} (0x{r.offset:02X}, {r.access})"

    async def check(r: bbj.Register, expect: int, what: str) -> None:
        got = await tb.rd(r.offset)
        assert got == expect, (f"{where(r)} {what}: read 0x{got:08X}, the table in hls_out/interface.py "
                               f"says 0x{expect:08X} (writable bits 0x{r.writable:08X}, reset 0x{r.reset:08X})")
        for f in r.fields:
            if f.port and f.access in ("rw", "w1s"):
                want = (expect & f.mask) >> f.lsb
                assert field_port_value(dut, f) == want, (
                    f"{where(r)} {what}: field {f.name} drives {f.port}[{f.port_lsb + f.width - 1}:{f.port_lsb}]"
                    f" = 0x{field_port_value(dut, f):X}, expected 0x{want:X}")

    model = {r.offset: r.reset for r in bbj.REGISTERS}
    for r in bbj.REGISTERS:
        await check(r, model[r.offset], "after reset")

    for r in bbj.REGISTERS:
        keep_idle = 0xFFFFFFFF & ~r.mask("w1s")
        writes = [(0xFFFFFFFF, 0xF), (0, 0xF), (0xFFFFFFFF, 0b1110), (0xFFFFFFFF, 0b0001),
                  (0, 0b0110), (0xFFFFFFFF, 0b1000)]
        writes += [(rng.getrandbits(32), rng.randrange(16)) for _ in range(4)]
        for data, strb in writes:
            data &= keep_idle
            await tb.raw_write(r.offset, data, strb)
            model[r.offset] = r.after_write(model[r.offset], data, strb)
            await check(r, model[r.offset], f"after writing 0x{data:08X} with WSTRB {strb:04b}")

    for addr in UNMAPPED:
        await tb.raw_write(addr, 0xFFFFFFFF, 0xF)
        got = await tb.rd(addr)
        assert got == 0, f"unmapped word 0x{addr:02X} reads 0x{got:08X} (not in hls_out/interface.py)"
    for r in bbj.REGISTERS:
        await check(r, model[r.offset], "after writes to every unmapped word")
    assert tb.core.runs == [], "core started without ap_start"
    tb.check_bus()


@cocotb.test()
@cocotb.parametrize(stalls=[False, True])
async def test_handshake(dut, stalls):
    """ap_start held until ap_ready; done/ready clear on read; idle follows the core; the
    core sees the arguments written before the start."""
    tb = TB(dut, stalls)
    await tb.reset()
    await tb.wr(OFF["in_lo"], 0x12345678)
    await tb.wr(OFF["in_hi"], 0x9ABCDEF0)
    await tb.wr(OFF["numReps"], 7)
    tb.core.done_delay = 40       # long enough to see the running state over AXI-Lite
    tb.core.ready_delay = 30
    await tb.wr(CTRL, AP_START)
    await tb.wait_for(lambda: len(tb.core.runs) == 1)
    assert tb.core.runs[0]["in_addr"] == 0x9ABCDEF012345678
    assert tb.core.runs[0]["num_reps"] == 7
    running = await tb.rd(CTRL)
    assert running & AP_START, "ap_start dropped before ap_ready"
    assert not running & AP_IDLE, "ap_idle high while running"
    assert int(dut.ap_start.value) == 1
    await tb.wait_for(lambda: tb.core.ready_cycles == 1)
    await RisingEdge(dut.ap_clk)
    assert int(dut.ap_start.value) == 0, "ap_start not cleared by ap_ready"
    assert await tb.rd(CTRL) == AP_READY, "between ap_ready and ap_done: only ap_ready"
    await tb.wait_for(lambda: tb.core.done_pulses == 1)
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(CTRL) == AP_DONE | AP_IDLE, "after the run: done, idle (ready was read)"
    assert await tb.rd(CTRL) == AP_IDLE, "done not cleared on read"
    await ClockCycles(dut.ap_clk, 50)
    assert len(tb.core.runs) == 1, "core restarted without a new ap_start"

    # Same-cycle ready and done (non-pipelined HLS block), three starts in a row.
    tb.core.ready_delay = tb.core.done_delay = 5
    await tb.wr(CTRL, AP_START)
    await tb.wait_for(lambda: tb.core.done_pulses == 2)
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(CTRL) == AP_DONE | AP_IDLE | AP_READY, "after the run: done, idle, ready"
    assert await tb.rd(CTRL) == AP_IDLE, "done and ready not cleared on read"
    for i in range(3):
        await tb.wr(OFF["numReps"], 100 + i)
        await tb.wr(CTRL, AP_START)
        while not (await tb.rd(CTRL)) & AP_DONE:
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
    await tb.wr(CTRL, AP_START | AUTO_RESTART)
    assert (await tb.rd(CTRL)) & AUTO_RESTART, "auto_restart not readable"
    await tb.wait_for(lambda: len(tb.core.runs) >= 4, limit=2000)
    assert int(dut.ap_start.value) == 1
    await tb.wr(CTRL, 0)           # writing 0 to ap_start does not stop the current run
    assert not (await tb.rd(CTRL)) & AUTO_RESTART
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
        await tb.wr(CTRL, AP_START)
        await tb.wait_for(lambda: tb.core.done_pulses > n)
        await ClockCycles(dut.ap_clk, 2)

    await run_once()                                  # IER = 0: nothing latched
    assert await tb.rd(ISR) == 0 and int(dut.interrupt.value) == 0

    await tb.wr(IER, INT_DONE)                        # done events only, GIE still off
    await run_once()
    assert await tb.rd(ISR) == INT_DONE
    assert int(dut.interrupt.value) == 0, "interrupt with GIE = 0"
    await tb.wr(GIER, GIE)
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 1, "interrupt not raised by GIE & ISR"
    await tb.wr(ISR, INT_DONE)                        # toggle clears
    assert await tb.rd(ISR) == 0
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 0, "interrupt not cleared by ISR toggle"
    await tb.wr(ISR, INT_READY)                       # toggle on a clear bit sets it
    assert await tb.rd(ISR) == INT_READY
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 1
    await tb.wr(ISR, INT_READY)
    assert await tb.rd(ISR) == 0

    # Both events enabled; a core whose ap_ready comes long before ap_done shows that bit 1
    # follows ap_ready and bit 0 ap_done.
    await tb.wr(IER, INT_DONE | INT_READY)
    tb.core.ready_delay, tb.core.done_delay = 3, 200
    await tb.wr(CTRL, AP_START)
    await tb.wait_for(lambda: tb.core.ready_cycles == tb.core.done_pulses + 1)
    assert await tb.rd(ISR) == INT_READY, "after ap_ready only, ISR must hold only the ready bit"
    await tb.wait_for(lambda: tb.core.done_pulses == tb.core.ready_cycles)
    await ClockCycles(dut.ap_clk, 2)
    assert await tb.rd(ISR) == INT_DONE | INT_READY, "ISR done bit not set by ap_done"
    await tb.wr(ISR, INT_DONE | INT_READY)
    assert await tb.rd(ISR) == 0
    await tb.wr(IER, INT_READY)                       # ready events only
    await run_once()
    assert await tb.rd(ISR) == INT_READY
    assert int(dut.interrupt.value) == 1
    await tb.wr(ISR, INT_DONE | INT_READY)            # toggles both: ready off, done on
    assert await tb.rd(ISR) == INT_DONE
    await tb.wr(ISR, INT_DONE)
    assert await tb.rd(ISR) == 0
    await RisingEdge(dut.ap_clk)
    assert int(dut.interrupt.value) == 0
    await tb.wr(GIER, 0)
    assert await tb.rd(GIER) == 0
    tb.check_bus()
