"""A PYNQ-style host driver for an HLS BlackBoxJam kernel, on cocotbext-axi bus models.

The host owns the board's memory (tb/bus/axi_ram.py's FaultyAxiRam on `m_axi_hostmem`) and
talks to the kernel through its AXI4-Lite control port (an AxiLiteMaster on
`s_axi_control`), exactly as the BNN-PYNQ Python driver does: write the input batch, program
in/out/numReps, start, wait for the interrupt (a trigger, never per-cycle polling from
Python), read the results. Parameters are loaded either by preload (+PARAMS_DIR hex files)
or through init mode (doInit = 1: one start per 64-bit word).

A batch run spends in simulated time what BNN-PYNQ's host spends inside its timer
(golden/host_timing.py, the board's `host_timing`): the copy of the inputs into the
accelerator's buffer, the numReps and ap_start writes at a GP-port register access each, the
polling of CTRL every usleep(1) until it sees ap_done, the copy of the results back. The poll
reads before the one that sees ap_done return "not done" and change nothing, so the host waits
for the interrupt and then for its next poll instant instead of simulating each of them.
`run_batch` returns the kernel's cycles; `regions` keeps, per run, the kernel cycles beside
the timed region measured in simulated time.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import cocotb
from cocotb.triggers import Event, First, RisingEdge, Timer
from cocotbext.axi import AxiBus, AxiLiteBus

from golden.host_timing import HostTiming
from golden.platform import platform
from hls_out import interface
from tb.bus.lean_streams import QuietAxiLiteMaster
from tb.bus.streams import pause_gen, quiet
from tb.bus.axi_ram import FaultyAxiRam

# Register offsets by name, from the register table: "CTRL", "IP_ISR", an argument ("in",
# "numReps", "val" = its lo word) or one word of it ("val_hi"); an unknown name raises a
# KeyError that lists the known ones.
REG = interface.host_offsets()
AP_START, AP_DONE, AP_IDLE, AP_READY = (interface.ctrl_mask(bit)
                                        for bit in ("ap_start", "ap_done", "ap_idle", "ap_ready"))


def hostmem_bus(dut, prefix: str = "m_axi_hostmem") -> AxiBus:
    """The kernel's AXI4 master port as a cocotbext-axi bus. Vivado HLS exports AxLOCK with
    two bits (AXI3 style) while cocotbext-axi models AXI4's one bit; the kernel never locks,
    so the lock signals are left out of the model."""
    bus = AxiBus.from_prefix(dut, prefix)
    for channel, sig in ((bus.write.aw, "awlock"), (bus.read.ar, "arlock")):
        if hasattr(channel, sig):
            delattr(channel, sig)
            channel._signals.pop(sig, None)
    return bus


class KernelTimeout(AssertionError):
    """The kernel did not raise its interrupt in time; the message says what it was doing."""


@dataclass
class Buffer:
    addr: int
    size: int
    name: str
    item_bytes: int | None = None   # bytes per image, to say which image an address belongs to

    def describe(self, addr: int) -> str:
        off = addr - self.addr
        where = f"buffer '{self.name}' at 0x{addr:x} (offset {off})"
        if self.item_bytes:
            where += f" = image {off // self.item_bytes}, word {(off % self.item_bytes) // 8}"
        return where


class ProgrammingError(ValueError):
    """The host was asked to program the kernel in a way the hardware cannot honour."""


def check_run_args(in_buf: Buffer, out_buf: Buffer, num_reps: int, in_bytes: int | None = None,
                   out_bytes: int | None = None) -> None:
    """What a careful PYNQ driver checks before it writes the registers."""
    if not isinstance(num_reps, int) or num_reps < 1:
        raise ProgrammingError(f"numReps (0x5C) must be at least 1, got {num_reps!r}: the kernel "
                               f"would start, move nothing and report done")
    for reg, buf in (("in (0x10)", in_buf), ("out (0x1C)", out_buf)):
        if buf.addr == 0:
            raise ProgrammingError(f"{reg}: buffer '{buf.name}' has the null address")
        if buf.addr % 8:
            raise ProgrammingError(f"{reg}: buffer '{buf.name}' at 0x{buf.addr:x} is not 8-byte aligned "
                                   f"(the 64-bit m_axi_hostmem port ignores the low 3 address bits)")
    for what, buf, per in (("input", in_buf, in_bytes), ("output", out_buf, out_bytes)):
        if per is not None and buf.size < per * num_reps:
            raise ProgrammingError(f"{what} buffer '{buf.name}' holds {buf.size} bytes, a batch of "
                                   f"{num_reps} needs {per * num_reps}")


class KernelBusy(ProgrammingError):
    """ap_start while the kernel is still running a previous start."""


class KernelBusError(AssertionError):
    """The memory answered an error response to the kernel; the message names the board,
    buffer and image."""


class PynqHost:
    """The host side of one board. `prefix` selects the board's ports in a multi-board
    wrapper (e.g. "conv0_" for conv0_ap_clk, conv0_m_axi_hostmem_*, ...)."""

    def __init__(self, dut, mem_size: int = 1 << 24, clock_period_ns: float | None = None, prefix: str = "",
                 host_timing: HostTiming | None | bool = True):
        """`clock_period_ns`: the board's clock (default: the default platform's, golden/platform.py).
        `host_timing`: what a batch run spends around the kernel (True: the default platform's;
        False: nothing, the kernel alone)."""
        self.dut = dut
        self.timing = (platform().host_timing if host_timing is True else host_timing) or None
        self.regions: list[dict] = []     # per batch run: kernel cycles and the timed region
        self.name = prefix.rstrip("_") or "board"
        self.prefix = prefix
        # Cycle stamps of an export's host wrapper (tb/jobs/export_wrapper.py): start->done
        # counted from the CTRL write's W handshake to the edge where ap_done rose.
        self._stamps = ((getattr(dut, f"{prefix}bnnsplit_start_cycle"), getattr(dut, f"{prefix}bnnsplit_done_cycle"))
                        if hasattr(dut, f"{prefix}bnnsplit_start_cycle") else None)
        self.period_ns = platform().period_ps / 1000 if clock_period_ns is None else clock_period_ns
        self.clk = getattr(dut, f"{prefix}ap_clk")
        self.rst_n = getattr(dut, f"{prefix}ap_rst_n")
        self.irq = getattr(dut, f"{prefix}interrupt")
        # no simulator callback on BVALID / RVALID while no request is in flight
        self.ctrl = QuietAxiLiteMaster(AxiLiteBus.from_prefix(dut, f"{prefix}s_axi_control"), self.clk,
                                       self.rst_n, reset_active_level=False)
        if os.environ.get("V", "0") in ("", "0"):  # per-transaction INFO logs only with V=1
            quiet(self.ctrl.write_if, self.ctrl.read_if)
        self.mem = FaultyAxiRam(hostmem_bus(dut, f"{prefix}m_axi_hostmem"), self.clk, self.rst_n,
                                reset_active_level=False, size=mem_size)
        self.mem_size = mem_size
        self._next = 0x1000          # keep address 0 unused: a null buffer is a bug
        self.buffers: list[Buffer] = []
        self._shadow: dict[str, int] = {}   # init-mode registers as last written
        self._abort = Event()                # set by a watchdog: stop waiting for the interrupt
        self.abort_reason = ""

    def abort(self, reason: str) -> None:
        """End the current wait for the interrupt with KernelTimeout(reason) (watchdog hook)."""
        self.abort_reason = reason
        self._abort.set()

    # ------------------------------------------------------------------ stalls
    def set_stalls(self, seed: int, p: float = 0.2) -> None:
        """Seeded random pauses on every AXI channel the host models: READY of AW/W/AR at the
        memory, VALID of its R/B responses, and every channel of the control master. Each
        channel draws from its own stream derived from `seed`, so a run is reproducible."""
        channels = [self.mem.write_if.aw_channel, self.mem.write_if.w_channel, self.mem.write_if.b_channel,
                    self.mem.read_if.ar_channel, self.mem.read_if.r_channel,
                    self.ctrl.write_if.aw_channel, self.ctrl.write_if.w_channel, self.ctrl.write_if.b_channel,
                    self.ctrl.read_if.ar_channel, self.ctrl.read_if.r_channel]
        for i, ch in enumerate(channels):
            ch.set_pause_generator(pause_gen(random.Random(f"{seed}/{self.name}/{i}"), p))

    def hold_writes(self, cycles: int, until: Event | None = None) -> None:
        """Take no write data for `cycles` clock cycles from now (WREADY low at the memory), as
        a host that stops draining the kernel's output: the kernel backs up into every FIFO.
        With `until`, the hold ends early when that event is set."""
        w = self.mem.write_if.w_channel
        w.pause = True

        async def release() -> None:
            limit = Timer(cycles * self.period_ns, "ns")
            await (First(limit, until.wait()) if until is not None else limit)
            w.pause = False

        cocotb.start_soon(release())

    # ------------------------------------------------------------------ memory
    def alloc(self, nbytes: int, name: str, align: int = 64, item_bytes: int | None = None) -> Buffer:
        addr = -(-self._next // align) * align
        if addr + nbytes > self.mem_size:
            raise MemoryError(f"host memory of {self.mem_size} bytes cannot hold buffer {name} "
                              f"({nbytes} bytes at 0x{addr:x})")
        self._next = addr + nbytes
        buf = Buffer(addr, nbytes, name, item_bytes)
        self.buffers.append(buf)
        return buf

    def write_words(self, buf: Buffer, words: np.ndarray) -> None:
        data = np.ascontiguousarray(words, dtype="<u8").tobytes()
        if len(data) > buf.size:
            raise ValueError(f"{len(data)} bytes do not fit buffer {buf.name} of {buf.size} bytes")
        self.mem.write(buf.addr, data)

    def read_words(self, buf: Buffer, count: int) -> np.ndarray:
        return np.frombuffer(self.mem.read(buf.addr, 8 * count), dtype="<u8").copy()

    # ------------------------------------------------------------------ registers
    async def write_reg(self, name: str, value: int) -> None:
        await self.ctrl.write_dword(REG[name], value & 0xFFFFFFFF)

    async def write_reg64(self, name: str, value: int) -> None:
        await self.ctrl.write_dword(REG[name], value & 0xFFFFFFFF)
        await self.ctrl.write_dword(REG[name] + 4, (value >> 32) & 0xFFFFFFFF)

    async def read_reg(self, name: str) -> int:
        return await self.ctrl.read_dword(REG[name])

    async def reset(self, cycles: int = 10) -> None:
        self.rst_n.value = 0
        for _ in range(cycles):
            await RisingEdge(self.clk)
        self.rst_n.value = 1
        for _ in range(2):
            await RisingEdge(self.clk)
        await self.write_reg("GIER", 1)
        await self.write_reg("IP_IER", 1)      # interrupt on ap_done

    # ------------------------------------------------------------------ running
    def now_cycles(self) -> int:
        return int(cocotb.utils.get_sim_time("ns") / self.period_ns)

    @staticmethod
    def now_ps() -> int:
        return int(cocotb.utils.get_sim_time("ps"))

    async def _until(self, t_ps: float) -> None:
        rest = round(t_ps) - self.now_ps()
        if rest > 0:
            await Timer(rest, "ps")

    async def _timed_write(self, name: str, value: int) -> None:
        """A register write as the host's CPU makes it: at least one register access long."""
        t = self.now_ps()
        await self.write_reg(name, value)
        if self.timing:
            await self._until(t + self.timing.reg_access_ps)

    async def _check_idle(self, what: str) -> None:
        ctrl = await self.read_reg("CTRL")
        if not ctrl & AP_IDLE:
            raise KernelBusy(f"{self.name}: {what}: ap_start while the kernel is busy "
                             f"(CTRL=0x{ctrl:02x}, ap_idle=0): wait for ap_done first")

    async def start_and_wait(self, timeout_cycles: int, what: str, check_idle: bool = True) -> int:
        """Start the kernel, wait for its interrupt, acknowledge it; returns start->done cycles
        (an export's: from the W handshake of the CTRL write to the edge where ap_done rose)."""
        if check_idle:
            await self._check_idle(what)
        cycles, _ = await self._exec_accel(timeout_cycles, what, None)
        return cycles

    async def _exec_accel(self, timeout_cycles: int, what: str, timing: HostTiming | None) -> tuple[int, int]:
        """Write ap_start, wait for ap_done, acknowledge: (start->done cycles, when the host
        saw ap_done in ps). With `timing`, as BNN-PYNQ's ExecAccel inside the host's timer: the
        write and the CTRL read that sees ap_done at the host's costs, on its poll grid."""
        s_ps = self.now_ps()
        await self.write_reg("CTRL", AP_START)
        t0 = self.now_cycles()
        if timing:
            await self._until(s_ps + timing.reg_access_ps)
            s_ps = self.now_ps()
        if not int(self.irq.value):
            await First(RisingEdge(self.irq), Timer(timeout_cycles * self.period_ns, "ns"), self._abort.wait())
            if self._abort.is_set():
                raise KernelTimeout(f"{self.name}: {what}: {self.abort_reason}")
            if not int(self.irq.value):
                raise KernelTimeout(f"{self.name}: {what}: no interrupt within {timeout_cycles} cycles "
                                    f"(CTRL=0x{await self.read_reg('CTRL'):02x})")
        t1 = self.now_cycles()
        if self._stamps is not None:     # an export's host wrapper saw the kernel's own edges
            start, done = (int(x.value) for x in self._stamps)
            if done >= start:
                t0, t1 = start, done
        seen_ps = self.now_ps()
        if timing:     # ExecAccel's loop: the first CTRL read that ends after ap_done rose
            k = timing.polls_until_done(self.now_ps() - s_ps)
            t_read = s_ps + k * timing.poll_period_ps
            await self._until(t_read)
            seen = await self.read_reg("CTRL")
            await self._until(t_read + timing.reg_access_ps)
            if not seen & AP_DONE and not self._stamps:
                raise KernelTimeout(f"{self.name}: {what}: interrupt raised but CTRL=0x{seen:02x} has no ap_done")
            seen_ps = self.now_ps()
        # acknowledge (outside any host timer)
        isr = await self.read_reg("IP_ISR")
        await self.write_reg("IP_ISR", isr)    # toggle-on-write clears it
        await self.read_reg("CTRL")            # clears ap_done (clear on read)
        return t1 - t0, seen_ps

    async def run_batch(self, in_buf: Buffer, out_buf: Buffer, num_reps: int,
                        timeout_cycles: int, in_bytes: int | None = None, out_bytes: int | None = None) -> int:
        """One kernel run over `num_reps` images; raises KernelBusError (after the run ended,
        so the kernel is idle again) if the memory answered any error response."""
        check_run_args(in_buf, out_buf, num_reps, in_bytes, out_bytes)
        # set-up, outside the timer (BNN-PYNQ writes the buffer addresses once, at init)
        await self.write_reg("doInit", 0)
        self._shadow.pop("doInit", None)
        await self.write_reg64("in", in_buf.addr)
        await self.write_reg64("out", out_buf.addr)
        what = f"batch of {num_reps} image(s)"
        await self._check_idle(what)
        # the timed region: copy in, numReps, ExecAccel (start, poll), copy out
        # the bytes the host copies: the batch's images (a buffer may hold more)
        n_in, n_out = ((per or buf.item_bytes or buf.size // num_reps) * num_reps
                       for per, buf in ((in_bytes, in_buf), (out_bytes, out_buf)))
        t_region = self.now_ps()
        if self.timing:
            await self._until(t_region + n_in * self.timing.copy_ps_per_byte)
        t_numreps = self.now_ps()
        await self._timed_write("numReps", num_reps)
        seen = len(self.mem.errors)
        t_exec = self.now_ps()
        cycles, exec_end = await self._exec_accel(timeout_cycles, what, self.timing)
        if self.timing:
            await self._until(exec_end + n_out * self.timing.copy_ps_per_byte)
        self.regions.append({"num_reps": num_reps, "kernel_cycles": cycles, "in_bytes": n_in, "out_bytes": n_out,
                             "copy_in_us": (t_numreps - t_region) / 1e6, "exec_accel_us": (exec_end - t_exec) / 1e6,
                             "host_timed_us": (self.now_ps() - t_region) / 1e6})
        new = self.mem.errors[seen:]
        if new:
            lines = [f"{e.resp} on {e.access} of {self.locate(e.addr)}" for e in new[:4]]
            more = f" (+{len(new) - 4} more)" if len(new) > 4 else ""
            raise KernelBusError(f"{self.name}: memory answered {len(new)} error response(s) during a "
                                 f"batch of {num_reps}: " + "; ".join(lines) + more)
        return cycles

    def locate(self, addr: int) -> str:
        for b in self.buffers:
            if b.addr <= addr < b.addr + b.size:
                return b.describe(addr)
        return f"unallocated address 0x{addr:x}"

    async def init_word(self, target_layer: int, mem: int, ind: int, thresh: int, val: int) -> None:
        """One DoMemInit call. Registers keep their values between starts, so only the ones
        that change are written (the kernel sees the same register state either way)."""
        want = {"doInit": 1, "targetLayer": target_layer, "targetMem": mem, "targetInd": ind,
                "targetThresh": thresh, "val": val & 0xFFFFFFFF, "val_hi": val >> 32}
        for name, value in want.items():
            if self._shadow.get(name) != value:
                await self.write_reg(name, value)
                self._shadow[name] = value
        await self.start_and_wait(1000, f"init write layer {target_layer} mem {mem} ind {ind}")

    def forget_init_registers(self) -> None:
        """Forget the init-mode registers as last written, after writes that bypassed
        :meth:`init_word` (a parameter load, tb/host/param_loader.py): the next init_word
        writes every register again."""
        self._shadow.clear()
