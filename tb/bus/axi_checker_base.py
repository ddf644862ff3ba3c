"""What the passive AXI4 and AXI4-Lite protocol checkers of tb/bus share (cocotb 2.x).

A checker (tb/bus/axi_checker.py: AXI4, tb/bus/axil_checker.py: AXI4-Lite) finds its
interface's channels by prefix (tb/bus/axi_signals.py), runs one task per channel and calls
the subclass's rules at each channel's first offer (VALID rising) and at each handshake; the
rules common to every channel are checked here:

* ``valid-dropped``: a VALID, once high, stays high until READY (AW, W, B, AR, R);
* ``payload-changed``: the payload is stable while VALID is high and READY low;
* ``x-valid``: VALID is never X/Z once reset is released.

Besides the rules, a checker counts per channel the handshakes and the cycles VALID waited
for READY (:meth:`AxiCheckerBase.stats`).

Violations are recorded in :attr:`AxiCheckerBase.violations`. With ``fail_fast=True`` (the
default) the first one also raises :class:`AxiProtocolError` (an AssertionError) from the
checker's own task: in cocotb 2.x an exception in a task started with
:func:`cocotb.start_soon` ends the running test at once as a failure with that message
(tests/test_axi_checker.py checks this). With ``fail_fast=False`` call :meth:`check` at the
end of the test.

Cost: each channel task sleeps on a value change of its VALID while the channel is idle
and wakes on clock edges only while a transfer is pending (VALID high), so an idle bus runs
no Python per cycle. What remains is the simulator's own cost of the pending value-change
callbacks: Verilator compares every registered callback's signal after each evaluation, so
each one costs some tens of ns per simulated cycle (measured on cnv_part2, 408k cycles: the
hostmem + control checkers, 11 callbacks, add about 10% CPU; with
``watch_idle_responses=False``, which watches B / R only while a response may legally come,
7 callbacks and about 7%). Checkers on one reset share a single callback for it
(tb/bus/reset.py). Request channels driven by the testbench's own master
(:meth:`AxiCheckerBase.requests_from`) need no callback at all: they sleep on the master's
own "something to send" event.

The cycle number in messages is derived from simulation time, not counted per cycle: rising
clock edges since reset was released (or since the checker started, if reset was already
inactive then), the first edge after the release being cycle 1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.task import current_task
from cocotb.triggers import Event, First, RisingEdge

from tb.bus.axi_signals import find_signal
from tb.bus.reset import ResetWatch, active_level
from tb.bus.values import to_int

__all__ = ["AxiCheckerBase", "AxiProtocolError", "CheckedChannel", "Violation"]

MAX_RECORDED = 1000


class AxiProtocolError(AssertionError):
    """An AXI protocol violation (raised by a checker with fail_fast=True)."""


@dataclass(frozen=True)
class Violation:
    cycle: int | None       # rising clock edges since reset release (None: clock unknown)
    channel: str            # "AW", "W", "B", "AR", "R"
    rule: str               # short rule id, e.g. "4k-boundary"
    message: str            # full text: "<bus> <channel>: <what> (cycle <n>)"

    def __str__(self) -> str:
        return self.message


class CheckedChannel:
    """One channel of a checked interface: its VALID / READY and payload handles, what was
    counted on it, and the hooks the checker's rules set (offer, handshake, expected)."""

    __slots__ = ("name", "valid", "ready", "fields", "field_names", "handshakes",
                 "wait_cycles", "edges", "offer", "handshake", "task", "expected", "wake", "source")

    def __init__(self, name: str, valid, ready, fields: dict):
        self.name = name
        self.valid = valid
        self.ready = ready
        self.fields = list(fields.values())
        self.field_names = list(fields.keys())
        self.handshakes = 0
        self.wait_cycles = 0       # clock edges with VALID high and READY low
        self.edges = 0             # clock edges this channel's task looked at (its cost)
        self.offer: Callable[[int], None] | None = None
        self.handshake: Callable[[int], None] | None = None
        self.task = None
        # Response channels (B, R) with watch_idle_responses=False: `expected()` says
        # whether a response may come; while it cannot, the channel sleeps on `wake` (set
        # by request handshakes) instead of on a simulator callback.
        self.expected: Callable[[], bool] | None = None
        self.wake: Event | None = None
        # A channel whose VALID a testbench model drives (requests_from): the model's event
        # that is set while it has something to send; VALID cannot rise while it is clear.
        self.source: Event | None = None


# ----------------------------------------------------------------------------- base
class AxiCheckerBase:
    """What every checker does (see the module); a subclass gives its channel table
    (`CHANNELS`), its rules as per-channel hooks (`_install_hooks`) and its state
    (`_clear_state`)."""

    CHANNELS: dict = {}

    def __init__(self, dut, prefix: str, clock, reset=None, name: str | None = None, *,
                 reset_active_level: bool | None = None, fail_fast: bool = True,
                 watch_idle_responses: bool = True, period_steps: int | None = None,
                 log: logging.Logger | None = None):
        self.dut = dut
        self.prefix = prefix
        self.clock = clock
        self.reset = reset
        if name is None:
            name = prefix
            for head in ("m_axi_", "s_axi_", "m_axil_", "s_axil_"):
                if name.lower().startswith(head) and len(name) > len(head):
                    name = name[len(head):]
                    break
            if "_m_axi_" in name or "_s_axi_" in name:   # board prefix: conv0_m_axi_hostmem
                board, _, rest = name.partition("_m_axi_") if "_m_axi_" in name else name.partition("_s_axi_")
                name = f"{board}.{rest}"
        self.name = name
        if reset_active_level is None and reset is not None:
            reset_active_level = active_level(reset)
        self.reset_active_level = bool(reset_active_level)
        self.fail_fast = fail_fast
        self.watch_idle_responses = watch_idle_responses
        self.log = log or logging.getLogger(f"cocotb.axi_checker.{self.name}")
        self.violations: list[Violation] = []
        self.violation_count = 0
        self._period = period_steps
        self._t_release: int | None = None
        self._edge = RisingEdge(clock)
        self.channels: dict[str, CheckedChannel] = {}
        for ch, fields in self.CHANNELS.items():
            v = find_signal(dut, prefix, ch + "VALID", required=False)
            r = find_signal(dut, prefix, ch + "READY", required=False)
            if v is None and r is None:
                continue
            if v is None or r is None:
                raise AttributeError(f"{prefix}: {ch}VALID and {ch}READY must both exist")
            found = {}
            for f, req in fields:
                h = find_signal(dut, prefix, ch + f, required=req)
                if h is not None:
                    found[f] = h
            self.channels[ch] = CheckedChannel(ch, v, r, found)
        write = [c in self.channels for c in ("AW", "W", "B")]
        read = [c in self.channels for c in ("AR", "R")]
        if any(write) and not all(write):
            raise AttributeError(f"{prefix}: partial write channels {[c for c in ('AW', 'W', 'B') if c in self.channels]}")
        if any(read) and not all(read):
            raise AttributeError(f"{prefix}: partial read channels")
        if not self.channels:
            raise AttributeError(f"{prefix}: no AXI channel found")
        self._install_hooks()
        if not watch_idle_responses:
            for ch in ("B", "R"):
                if ch in self.channels and self.channels[ch].expected is not None:
                    self.channels[ch].wake = Event()
        self._clear_state()
        self._running = False
        self._period_task = None if period_steps else cocotb.start_soon(self._measure_period())
        if reset is not None:
            ResetWatch.subscribe(reset, self._reset_changed)
        if not self._in_reset():
            self._released()

    # ------------------------------------------------------------------ public
    @property
    def ok(self) -> bool:
        return self.violation_count == 0

    def check(self) -> None:
        """Raise AxiProtocolError listing the recorded violations, if any."""
        if self.violation_count:
            shown = "\n".join(str(v) for v in self.violations[:20])
            more = self.violation_count - min(20, len(self.violations))
            raise AxiProtocolError(f"{self.name}: {self.violation_count} AXI protocol "
                                   f"violation(s):\n{shown}" + (f"\n... and {more} more" if more else ""))

    def stop(self) -> None:
        """Stop checking (cancels the checker's tasks)."""
        if self.reset is not None:
            ResetWatch.unsubscribe(self.reset, self._reset_changed)
        self._halt()
        if self._period_task is not None and not self._period_task.done():
            self._period_task.cancel()

    def requests_from(self, master) -> None:
        """Say that the testbench's own cocotbext-axi master (AxiLiteMaster / AxiMaster)
        drives the request channels (AW, W, AR): while idle, each of them then sleeps on its
        master channel's `active_event` (set while the master has something to send, the
        only time VALID can rise) instead of a simulator callback on VALID. Everything is
        still checked; an idle control bus just costs the simulator nothing."""
        sides = {"AW": getattr(master, "write_if", None), "W": getattr(master, "write_if", None),
                 "AR": getattr(master, "read_if", None)}
        for ch, side in sides.items():
            model = getattr(side, f"{ch.lower()}_channel", None)
            if ch in self.channels and model is not None:
                self.channels[ch].source = model.active_event

    def cycle(self) -> int | None:
        """Rising clock edges since reset release at the current simulation time (the first
        edge after the release is 1); None before the clock period is known."""
        if self._period is None or self._t_release is None:
            return None
        dt = get_sim_time("step") - self._t_release
        return max(0, -(-dt // self._period))

    def stats(self) -> dict:
        """Counters per channel (handshakes, cycles VALID waited for READY) and totals."""
        out = {ch: {"handshakes": c.handshakes, "wait_cycles": c.wait_cycles, "edges": c.edges}
               for ch, c in self.channels.items()}
        out["violations"] = self.violation_count
        return out

    def waiting(self) -> list[str]:
        """Accepted requests whose response has not started (for a watchdog diagnostic)."""
        return []

    def summary(self) -> str:
        parts = [f"{ch} {c.handshakes}" + (f" (waited {c.wait_cycles})" if c.wait_cycles else "")
                 for ch, c in self.channels.items()]
        return (f"{self.name}: handshakes {', '.join(parts)}; "
                f"{self.violation_count} violation(s)")

    # ------------------------------------------------------------------ violations
    def _violation(self, ch: str, rule: str, what: str, cycle: int | None = None) -> None:
        if cycle is None:
            cycle = self.cycle()
        where = f"cycle {cycle}" if cycle is not None else f"t={get_sim_time('ns')} ns"
        v = Violation(cycle, ch, rule, f"{self.name} {ch}: {what} ({where})")
        self.violation_count += 1
        if len(self.violations) < MAX_RECORDED:
            self.violations.append(v)
        self.log.error("AXI protocol violation [%s]: %s", rule, v.message)
        if self.fail_fast:
            raise AxiProtocolError(v.message)

    # ------------------------------------------------------------------ tasks
    def _in_reset(self) -> bool:
        if self.reset is None:
            return False
        val = to_int(self.reset.value)
        return val is None or bool(val) == self.reset_active_level

    async def _measure_period(self) -> None:
        await self._edge
        t1 = get_sim_time("step")
        await self._edge
        self._period = get_sim_time("step") - t1

    def _released(self) -> None:
        self._t_release = get_sim_time("step")
        self._clear_state()
        for ch in self.channels.values():
            ch.task = cocotb.start_soon(self._watch(ch))
        self._running = True

    def _halt(self) -> None:
        me = current_task() if self._running else None
        for ch in self.channels.values():
            if ch.task is not None and ch.task is not me and not ch.task.done():
                ch.task.cancel()
            ch.task = None
        self._running = False

    def _reset_changed(self) -> None:
        if self._in_reset():
            if self._running:
                self._halt()
                self._clear_state()
        elif not self._running:
            self._released()

    def _wake(self, ch: str) -> None:
        c = self.channels.get(ch)
        if c is not None and c.wake is not None:
            c.wake.set()

    def _snapshot(self, ch: CheckedChannel) -> tuple:
        return tuple(f.value for f in ch.fields)

    def _changed(self, ch: CheckedChannel, before: tuple, after: tuple) -> str:
        diffs = []
        for name, a, b in zip(ch.field_names, before, after):
            if a != b:
                ia, ib = to_int(a), to_int(b)
                sa = f"0x{ia:x}" if ia is not None else str(a)
                sb = f"0x{ib:x}" if ib is not None else str(b)
                diffs.append(f"{ch.name}{name} {sa} -> {sb}")
        return ", ".join(diffs)

    async def _watch(self, ch: CheckedChannel) -> None:
        """One channel: sleep on VALID while idle, follow it per clock edge while high."""
        valid, ready, edge = ch.valid, ch.ready, self._edge
        offer, handshake = ch.offer, ch.handshake
        await edge              # the first edge after reset release (cycle 1)
        while True:
            waiting = None      # (payload, cycles waited) while VALID waits for READY
            while True:
                ch.edges += 1
                v = to_int(valid.value)
                if v is None:
                    self._violation(ch.name, "x-valid",
                                    f"{ch.name}VALID is {valid.value} after reset")
                    v = 0
                if not v:
                    if waiting is not None:
                        self._violation(ch.name, "valid-dropped",
                                        f"{ch.name}VALID dropped before {ch.name}READY "
                                        f"(waited {waiting[1]} cycle(s))")
                    break
                cyc = None
                if waiting is None:
                    cyc = self.cycle()
                    if offer is not None:
                        offer(cyc)
                else:
                    now = self._snapshot(ch)
                    if now != waiting[0]:
                        self._violation(ch.name, "payload-changed",
                                        f"payload changed while {ch.name}VALID waited for "
                                        f"{ch.name}READY: {self._changed(ch, waiting[0], now)}")
                if to_int(ready.value):
                    ch.handshakes += 1
                    if handshake is not None:
                        handshake(self.cycle() if cyc is None else cyc)
                    waiting = None
                else:
                    ch.wait_cycles += 1
                    waiting = (self._snapshot(ch), 1 if waiting is None else waiting[1] + 1)
                    # Back-pressure: until VALID, READY or the payload changes, every edge
                    # looks like this one, so sleep on their changes instead of sampling each
                    # edge (a kernel can hold READY low for a whole batch), then look again
                    # at the first edge after the change; the edges slept through are waits.
                    at = self.cycle()
                    if at is not None:
                        await First(valid.value_change, ready.value_change,
                                    *(f.value_change for f in ch.fields))
                        await edge
                        slept = max(0, (self.cycle() or at) - at - 1)
                        ch.wait_cycles += slept
                        waiting = (waiting[0], waiting[1] + slept)
                        continue
                await edge
            # VALID was low at this edge: sleep until it changes (0 -> 1, or to X/Z), then
            # look at it on the next edge.
            if ch.source is not None:         # driven by the testbench's own master
                if not ch.source.is_set():
                    await ch.source.wait()    # it has something to send
                await edge
                continue
            if ch.wake is not None and not ch.expected():
                ch.wake.clear()
                await ch.wake.wait()          # a request was accepted
                if to_int(valid.value) != 0:
                    await edge
                    continue
            await valid.value_change
            await edge

    # subclasses
    def _install_hooks(self) -> None:
        raise NotImplementedError

    def _clear_state(self) -> None:
        raise NotImplementedError

