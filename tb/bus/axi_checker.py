"""Passive AXI4 / AXI4-Lite protocol checkers for cocotb 2.x testbenches.

Attach one to any AXI interface of a DUT (master or slave side, the rules are the same)::

    chk = AxiChecker(dut, "m_axi_hostmem", dut.ap_clk, dut.ap_rst_n)
    ...                       # run the test
    chk.check()               # optional: raise if anything was recorded (fail_fast=False)
    dut._log.info(chk.summary())

or both buses of a generated kernel (board prefix "conv0" in a multi-board wrapper)::

    hostmem, control = kernel_checkers(dut)          # or kernel_checkers(dut, "conv0")

Signals are found as ``<prefix>_<NAME>`` with any capitalisation (``m_axi_hostmem_AWVALID``
and ``m_axi_awvalid`` both work); ID, LOCK (1 or 2 bits), CACHE, PROT, QOS, REGION, USER,
STRB and RESP are optional, and a bus may be read-only or write-only.

Rules checked (each violation names the bus, channel, rule and clock cycle):

* ``valid-dropped``: a VALID, once high, stays high until READY (AW, W, B, AR, R);
* ``payload-changed``: the payload is stable while VALID is high and READY low;
* ``x-valid``: VALID is never X/Z once reset is released;
* ``burst-type``: AxBURST is INCR (configurable), ``burst-length``: AxLEN + 1 <= 256 for
  INCR (16 for FIXED / WRAP, WRAP lengths 2/4/8/16), ``size``: AxSIZE = log2(data bytes)
  unless configured otherwise, ``4k-boundary``: an INCR burst never crosses 4 KiB;
* ``wlast``: WLAST on exactly the last beat of each write burst (W beats counted against
  AWLEN in AW order; W data may run ahead of its AW);
* ``b-without-aw``: a B response only for an accepted AW whose W beats are all accepted
  (in order per BID), asserted after the last of those handshakes;
* ``r-without-ar``: R data only for an accepted AR (in order per RID), ``rlast``: RLAST on
  exactly the last beat of each read burst;
* AXI4-Lite (:class:`AxiLiteChecker`): the VALID/payload rules, and every B (R) matched to
  an earlier AW + W (AR) handshake pair.

Besides the rules, a checker counts what it saw (for reports and functional coverage):
per channel the handshakes and the cycles VALID waited for READY (:meth:`stats`), per
direction the burst lengths in beats (:attr:`AxiChecker.burst_beats`) and, on AXI4-Lite,
the addresses read and written (:attr:`AxiLiteChecker.accesses`), all at handshakes.

Violations are recorded in :attr:`AxiChecker.violations`. With ``fail_fast=True`` (the
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
7 callbacks and about 7%). Checkers on one reset share a single callback for it. Request
channels driven by the testbench's own master (:meth:`_CheckerBase.requests_from`) need no
callback at all: they sleep on the master's own "something to send" event.

The cycle number in messages is derived from simulation time, not counted per cycle: rising
clock edges since reset was released (or since the checker started, if reset was already
inactive then), the first edge after the release being cycle 1.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass
from typing import Callable, Iterable

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.task import current_task
from cocotb.triggers import Event, First, RisingEdge

__all__ = ["AxiChecker", "AxiLiteChecker", "AxiProtocolError", "Violation", "find_signal",
           "bus_channels", "kernel_checkers"]

BURST_NAMES = {0: "FIXED", 1: "INCR", 2: "WRAP", 3: "reserved"}
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


# ----------------------------------------------------------------------------- signals
def find_signal(scope, prefix: str, name: str, required: bool = True):
    """Handle of ``<prefix>_<name>`` in `scope`, matching the name case-insensitively
    (tries upper and lower case first, then scans the scope's children once)."""
    base = f"{prefix}_" if prefix else ""
    for cand in (base + name.upper(), base + name.lower(), base + name,
                 prefix + name.upper() if prefix else None):
        if cand is None:
            continue
        try:
            return getattr(scope, cand)
        except AttributeError:
            pass
    want = (base + name).lower()
    cache = getattr(scope, "_axi_checker_names", None)
    if cache is None:
        cache = {}
        try:
            for child in scope:
                cache[child._name.lower()] = child
        except (TypeError, AttributeError):
            pass
        try:
            scope._axi_checker_names = cache
        except AttributeError:
            pass
    if want in cache:
        return cache[want]
    if required:
        raise AttributeError(f"{getattr(scope, '_name', scope)} has no signal {base + name} "
                             f"(any capitalisation)")
    return None


# Per channel: (VALID-READY prefix, payload fields: (name, required)).
AXI4_CHANNELS = {
    "AW": [("ADDR", True), ("LEN", True), ("SIZE", False), ("BURST", False), ("ID", False),
           ("LOCK", False), ("CACHE", False), ("PROT", False), ("QOS", False),
           ("REGION", False), ("USER", False)],
    "W": [("DATA", True), ("STRB", False), ("LAST", True), ("USER", False)],
    "B": [("RESP", False), ("ID", False), ("USER", False)],
    "AR": [("ADDR", True), ("LEN", True), ("SIZE", False), ("BURST", False), ("ID", False),
           ("LOCK", False), ("CACHE", False), ("PROT", False), ("QOS", False),
           ("REGION", False), ("USER", False)],
    "R": [("DATA", True), ("RESP", False), ("LAST", True), ("ID", False), ("USER", False)],
}
AXIL_CHANNELS = {
    "AW": [("ADDR", True), ("PROT", False)],
    "W": [("DATA", True), ("STRB", False)],
    "B": [("RESP", False)],
    "AR": [("ADDR", True), ("PROT", False)],
    "R": [("DATA", True), ("RESP", False)],
}


def bus_channels(scope, prefix: str) -> dict[str, tuple]:
    """{channel: (valid, ready)} for the AW/W/B/AR/R channels present under `prefix`
    (a read-only bus has no AW/W/B and so on). Used by the watchdog."""
    out = {}
    for ch in ("AW", "W", "B", "AR", "R"):
        v = find_signal(scope, prefix, ch + "VALID", required=False)
        r = find_signal(scope, prefix, ch + "READY", required=False)
        if v is not None and r is not None:
            out[ch] = (v, r)
    return out


def _to_int(value) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


class _ResetWatch:
    """One value-change callback per reset signal, shared by every checker on it (under
    Verilator each registered callback costs a little on every time step)."""

    _by_signal: dict = {}

    def __init__(self, signal):
        self.signal = signal
        self.subscribers: list = []
        self.task = cocotb.start_soon(self._run())

    @classmethod
    def subscribe(cls, signal, checker) -> None:
        w = cls._by_signal.get(id(signal))
        if w is None or w.signal is not signal or w.task.done():   # new test: tasks are gone
            w = cls._by_signal[id(signal)] = cls(signal)
        w.subscribers.append(checker)

    @classmethod
    def unsubscribe(cls, signal, checker) -> None:
        w = cls._by_signal.get(id(signal))
        if w is not None and checker in w.subscribers:
            w.subscribers.remove(checker)
            if not w.subscribers and not w.task.done():
                w.task.cancel()

    async def _run(self) -> None:
        while True:
            await self.signal.value_change
            for chk in list(self.subscribers):
                chk._reset_changed()


class _Channel:
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
class _CheckerBase:
    LITE = False

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
            rname = reset._name.lower()
            reset_active_level = not (rname.endswith("_n") or rname.endswith("n") and
                                      ("rstn" in rname or "resetn" in rname))
        self.reset_active_level = bool(reset_active_level)
        self.fail_fast = fail_fast
        self.watch_idle_responses = watch_idle_responses
        self.log = log or logging.getLogger(f"cocotb.axi_checker.{self.name}")
        self.violations: list[Violation] = []
        self.violation_count = 0
        self._period = period_steps
        self._t_release: int | None = None
        self._edge = RisingEdge(clock)
        self.channels: dict[str, _Channel] = {}
        spec = AXIL_CHANNELS if self.LITE else AXI4_CHANNELS
        for ch, fields in spec.items():
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
            self.channels[ch] = _Channel(ch, v, r, found)
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
            _ResetWatch.subscribe(reset, self)
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
            _ResetWatch.unsubscribe(self.reset, self)
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
        val = _to_int(self.reset.value)
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

    def _snapshot(self, ch: _Channel) -> tuple:
        return tuple(f.value for f in ch.fields)

    def _changed(self, ch: _Channel, before: tuple, after: tuple) -> str:
        diffs = []
        for name, a, b in zip(ch.field_names, before, after):
            if a != b:
                ia, ib = _to_int(a), _to_int(b)
                sa = f"0x{ia:x}" if ia is not None else str(a)
                sb = f"0x{ib:x}" if ib is not None else str(b)
                diffs.append(f"{ch.name}{name} {sa} -> {sb}")
        return ", ".join(diffs)

    async def _watch(self, ch: _Channel) -> None:
        """One channel: sleep on VALID while idle, follow it per clock edge while high."""
        valid, ready, edge = ch.valid, ch.ready, self._edge
        offer, handshake = ch.offer, ch.handshake
        await edge              # the first edge after reset release (cycle 1)
        while True:
            waiting = None      # (payload, cycles waited) while VALID waits for READY
            while True:
                ch.edges += 1
                v = _to_int(valid.value)
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
                if _to_int(ready.value):
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
                if _to_int(valid.value) != 0:
                    await edge
                    continue
            await valid.value_change
            await edge

    # subclasses
    def _install_hooks(self) -> None:
        raise NotImplementedError

    def _clear_state(self) -> None:
        raise NotImplementedError


# ----------------------------------------------------------------------------- AXI4
class AxiChecker(_CheckerBase):
    """Passive AXI4 protocol checker for the interface ``<prefix>_*`` of `dut`.

    Args:
        dut: the scope holding the signals (usually the toplevel).
        prefix: signal prefix, e.g. ``"m_axi_hostmem"`` (the ``_`` before AWVALID is added).
        clock: the interface clock; reset: its reset (None: never in reset).
        name: bus name in messages (default: the prefix without ``m_axi_`` / ``s_axi_``).
        reset_active_level: default inferred from the name (``*_n``: active low).
        fail_fast: raise AxiProtocolError at the first violation (ends the test).
        size: expected AxSIZE; None = full data width (log2 of the data bytes), "any" =
            only check it does not exceed the data width.
        bursts: allowed AxBURST codes (default INCR only).
        max_outstanding: optional limit on accepted-but-unanswered bursts per direction.
        watch_idle_responses: True (default) watches B and R all the time; False only while
            a response may legally come (a request is outstanding), which saves two
            simulator callbacks; a response with nothing outstanding is then reported when
            the next request is accepted instead of when it appears.
        b_after_last_w: with watch_idle_responses=False, watch B only once a burst's W data
            are complete, not from its AW on. For a B the testbench's own memory model
            answers (the RAM behind a kernel's m_axi port), where a B before the last W would
            be the model's bug, not the DUT's: a kernel streaming its output has a burst's AW
            accepted for a whole batch, and B then costs nothing until its data are written.
        period_steps: clock period in simulator steps (default: measured).
        log: logger (default ``cocotb.axi_checker.<name>``).
    """

    def __init__(self, dut, prefix: str, clock, reset=None, name: str | None = None, *,
                 size: int | str | None = None, bursts: Iterable[int] = (1,),
                 max_outstanding: int | None = None, b_after_last_w: bool = False, **kw):
        self._size_cfg = size
        self.allowed_bursts = frozenset(bursts)
        self.max_outstanding = max_outstanding
        self.b_after_last_w = b_after_last_w
        super().__init__(dut, prefix, clock, reset, name, **kw)
        data = (self.channels.get("W") or self.channels.get("R")).fields[0]
        self.data_bytes = len(data) // 8
        self.full_size = max(0, self.data_bytes.bit_length() - 1)
        # counters for reports
        self.bursts = {"write": 0, "read": 0}
        self.beats = {"write": 0, "read": 0}
        self.bytes = {"write": 0, "read": 0}
        self.peak_outstanding = {"write": 0, "read": 0}
        self.error_responses = {"write": 0, "read": 0}
        # bursts accepted per direction, by length in beats (AxLEN + 1)
        self.burst_beats: dict[str, Counter] = {"write": Counter(), "read": Counter()}

    def _install_hooks(self) -> None:
        c = self.channels
        if "AW" in c:
            self._fw = {n: h for n, h in zip(c["W"].field_names, c["W"].fields)}
            self._fb = {n: h for n, h in zip(c["B"].field_names, c["B"].fields)}
            self._faw = {n: h for n, h in zip(c["AW"].field_names, c["AW"].fields)}
            c["AW"].offer = lambda cyc: self._request_offer("AW", self._faw, cyc)
            c["AW"].handshake = self._aw_handshake
            c["W"].handshake = self._w_handshake
            c["B"].offer = self._b_offer
            c["B"].handshake = self._b_handshake
            # b_after_last_w: B is watched only once a burst's W data are complete (a kernel
            # streaming its output keeps a burst's AW accepted for a whole batch).
            c["B"].expected = ((lambda: any(self._b_wait.values())) if self.b_after_last_w
                               else (lambda: self._b_pending > 0))
        if "AR" in c:
            self._far = {n: h for n, h in zip(c["AR"].field_names, c["AR"].fields)}
            self._fr = {n: h for n, h in zip(c["R"].field_names, c["R"].fields)}
            c["AR"].offer = lambda cyc: self._request_offer("AR", self._far, cyc)
            c["AR"].handshake = self._ar_handshake
            c["R"].offer = self._r_offer
            c["R"].handshake = self._r_handshake
            c["R"].expected = lambda: self._r_pending > 0

    def _clear_state(self) -> None:
        self._aw_wait_w: deque = deque()     # [addr, len, id] AWs whose W burst is incomplete
        self._w_beats = 0                    # beats of the current W burst
        self._w_early: deque = deque()       # (beats, cycle) W bursts that beat their AW
        self._b_wait: dict[int, deque] = {}  # id -> deque[(complete cycle, addr, len)]
        self._r_wait: dict[int, deque] = {}  # id -> deque[[ar cycle, addr, len, beats]]
        self._b_pending = 0
        self._r_pending = 0

    @staticmethod
    def _field(fields: dict, name: str, default: int = 0) -> int:
        h = fields.get(name)
        if h is None:
            return default
        v = _to_int(h.value)
        return default if v is None else v

    # ------------------------------------------------------------------ requests
    def _request_offer(self, ch: str, f: dict, cyc: int | None) -> None:
        """Attribute rules of an AW / AR request, checked when it is first offered."""
        addr = _to_int(f["ADDR"].value)
        alen = _to_int(f["LEN"].value)
        if addr is None or alen is None:
            self._violation(ch, "x-payload", f"{ch}ADDR/{ch}LEN is X/Z while {ch}VALID", cyc)
            return
        size = self._field(f, "SIZE", self.full_size)
        burst = self._field(f, "BURST", 1)
        beats = alen + 1
        if burst not in self.allowed_bursts:
            allowed = "/".join(BURST_NAMES[b] for b in sorted(self.allowed_bursts))
            self._violation(ch, "burst-type", f"{ch}BURST={burst} ({BURST_NAMES[burst]}) for the "
                            f"burst at 0x{addr:x}, expected {allowed}", cyc)
        if burst == 1 and beats > 256:
            self._violation(ch, "burst-length", f"INCR burst at 0x{addr:x} {ch}LEN {alen} "
                            f"({beats} beats > 256)", cyc)
        elif burst in (0, 2) and beats > 16:
            self._violation(ch, "burst-length", f"{BURST_NAMES[burst]} burst at 0x{addr:x} "
                            f"{ch}LEN {alen} ({beats} beats > 16)", cyc)
        elif burst == 2 and beats not in (2, 4, 8, 16):
            self._violation(ch, "burst-length", f"WRAP burst at 0x{addr:x} of {beats} beats "
                            f"(must be 2, 4, 8 or 16)", cyc)
        if self._size_cfg == "any":
            if size > self.full_size:
                self._violation(ch, "size", f"{ch}SIZE={size} ({1 << size} bytes) wider than "
                                f"the {self.data_bytes}-byte data bus", cyc)
        else:
            want = self.full_size if self._size_cfg is None else int(self._size_cfg)
            if size != want:
                self._violation(ch, "size", f"{ch}SIZE={size} ({1 << size} bytes) for the burst "
                                f"at 0x{addr:x}, expected {want} ({1 << want} bytes)", cyc)
        if burst == 1:
            nbytes = 1 << size
            last = (addr & ~(nbytes - 1)) + beats * nbytes - 1
            if (addr >> 12) != (last >> 12):
                self._violation(ch, "4k-boundary", f"burst at 0x{addr:x} len {alen} "
                                f"({beats} x {nbytes} bytes, to 0x{last:x}) crosses a 4 KiB "
                                f"boundary", cyc)

    def _outstanding(self, kind: str, n: int, ch: str, cyc) -> None:
        if n > self.peak_outstanding[kind]:
            self.peak_outstanding[kind] = n
        if self.max_outstanding is not None and n > self.max_outstanding:
            self._violation(ch, "outstanding", f"{n} {kind} bursts outstanding, limit "
                            f"{self.max_outstanding}", cyc)

    # ------------------------------------------------------------------ write
    def _aw_handshake(self, cyc: int) -> None:
        f = self._faw
        addr, alen, bid = self._field(f, "ADDR"), self._field(f, "LEN"), self._field(f, "ID")
        self.bursts["write"] += 1
        self.burst_beats["write"][alen + 1] += 1
        self._b_pending += 1
        if not self.b_after_last_w:
            self._wake("B")
        self._outstanding("write", self._b_pending, "AW", cyc)
        if self._w_early:
            beats, wcyc = self._w_early.popleft()
            if beats != alen + 1:
                self._violation("W", "wlast", f"WLAST on beat {beats} of the write burst at "
                                f"0x{addr:x}, AWLEN {alen} ({alen + 1} beats)", cyc)
            self._b_wait.setdefault(bid, deque()).append((max(cyc, wcyc), addr, alen))
            self._wake("B")
        elif not self._aw_wait_w and self._w_beats > alen + 1:
            self._violation("W", "wlast", f"WLAST missing: {self._w_beats} W beats already "
                            f"sent for the write burst at 0x{addr:x}, AWLEN {alen} "
                            f"({alen + 1} beats)", cyc)
            self._w_beats = 0
            self._b_wait.setdefault(bid, deque()).append((cyc, addr, alen))
            self._wake("B")
        else:
            self._aw_wait_w.append((addr, alen, bid))

    def _w_handshake(self, cyc: int) -> None:
        last = self._field(self._fw, "LAST")
        self._w_beats += 1
        beats = self._w_beats
        self.beats["write"] += 1
        self.bytes["write"] += self.data_bytes
        if self._aw_wait_w:
            addr, alen, bid = self._aw_wait_w[0]
            n = alen + 1
            if last and beats != n:
                self._violation("W", "wlast", f"WLAST on beat {beats} of the write burst at "
                                f"0x{addr:x}, AWLEN {alen} ({n} beats)", cyc)
            elif not last and beats == n:
                self._violation("W", "wlast", f"WLAST missing on beat {n}, the last of the "
                                f"write burst at 0x{addr:x} (AWLEN {alen})", cyc)
            if last or beats >= n:
                self._aw_wait_w.popleft()
                self._w_beats = 0
                self._b_wait.setdefault(bid, deque()).append((cyc, addr, alen))
                self._wake("B")
        elif last:
            self._w_early.append((beats, cyc))
            self._w_beats = 0
        elif beats > 256:
            self._violation("W", "wlast", f"{beats} W beats without WLAST and no AW", cyc)
            self._w_beats = 0

    def _b_offer(self, cyc: int) -> None:
        bid = self._field(self._fb, "ID")
        q = self._b_wait.get(bid)
        if not q or q[0][0] >= cyc:
            idtxt = f" (BID {bid})" if "ID" in self._fb else ""
            if q:
                why = f"its last W / AW handshake is at cycle {q[0][0]}"
            elif self._aw_wait_w:
                why = (f"the W data of the burst at 0x{self._aw_wait_w[0][0]:x} are incomplete "
                       f"({self._w_beats} of {self._aw_wait_w[0][1] + 1} beats)")
            else:
                why = "no write burst is outstanding"
            self._violation("B", "b-without-aw", f"write response{idtxt} without a completed "
                            f"write: {why}", cyc)

    def _b_handshake(self, cyc: int) -> None:
        bid = self._field(self._fb, "ID")
        q = self._b_wait.get(bid)
        if q and q[0][0] < cyc:
            q.popleft()
            self._b_pending -= 1
        if self._field(self._fb, "RESP"):
            self.error_responses["write"] += 1

    # ------------------------------------------------------------------ read
    def _ar_handshake(self, cyc: int) -> None:
        f = self._far
        addr, alen, rid = self._field(f, "ADDR"), self._field(f, "LEN"), self._field(f, "ID")
        self.bursts["read"] += 1
        self.burst_beats["read"][alen + 1] += 1
        self._r_pending += 1
        self._wake("R")
        self._outstanding("read", self._r_pending, "AR", cyc)
        self._r_wait.setdefault(rid, deque()).append([cyc, addr, alen, 0])

    def _r_offer(self, cyc: int) -> None:
        rid = self._field(self._fr, "ID")
        q = self._r_wait.get(rid)
        if not q or q[0][0] >= cyc:
            idtxt = f" (RID {rid})" if "ID" in self._fr else ""
            why = (f"the matching AR is accepted only at cycle {q[0][0]}" if q
                   else "no read burst is outstanding")
            self._violation("R", "r-without-ar", f"read data{idtxt} without an accepted AR: "
                            f"{why}", cyc)

    def _r_handshake(self, cyc: int) -> None:
        f = self._fr
        rid = self._field(f, "ID")
        last = self._field(f, "LAST")
        self.beats["read"] += 1
        self.bytes["read"] += self.data_bytes
        if self._field(f, "RESP"):
            self.error_responses["read"] += 1
        q = self._r_wait.get(rid)
        if not q or q[0][0] >= cyc:
            return      # reported at the offer
        ent = q[0]
        ent[3] += 1
        beats, n = ent[3], ent[2] + 1
        if last and beats != n:
            self._violation("R", "rlast", f"RLAST on beat {beats} of the read burst at "
                            f"0x{ent[1]:x}, ARLEN {ent[2]} ({n} beats)", cyc)
        elif not last and beats == n:
            self._violation("R", "rlast", f"RLAST missing on beat {n}, the last of the read "
                            f"burst at 0x{ent[1]:x} (ARLEN {ent[2]})", cyc)
        if last or beats >= n:
            q.popleft()
            self._r_pending -= 1

    def waiting(self) -> list[str]:
        out = []
        if self._r_pending:
            out.append(f"{self.name}: {self._r_pending} read burst(s) accepted and not "
                       f"finished, RVALID={self.channels['R'].valid.value}")
        if self._aw_wait_w or self._w_early or self._w_beats:
            out.append(f"{self.name}: write data incomplete ({len(self._aw_wait_w)} AW(s) "
                       f"waiting for W beats, {self._w_beats} beat(s) of the current burst)")
        done = sum(len(q) for q in self._b_wait.values())
        if done:
            out.append(f"{self.name}: {done} complete write burst(s) awaiting a B response, "
                       f"BVALID={self.channels['B'].valid.value}")
        return out

    def stats(self) -> dict:
        out = super().stats()
        out.update(bursts=dict(self.bursts), beats=dict(self.beats), bytes=dict(self.bytes),
                   peak_outstanding=dict(self.peak_outstanding),
                   error_responses=dict(self.error_responses),
                   burst_beats={k: dict(sorted(v.items())) for k, v in self.burst_beats.items()})
        return out

    def summary(self) -> str:
        return (f"{self.name}: {self.bursts['read']} read bursts / {self.beats['read']} beats, "
                f"{self.bursts['write']} write bursts / {self.beats['write']} beats, peak "
                f"outstanding {self.peak_outstanding['read']} read / "
                f"{self.peak_outstanding['write']} write; {self.violation_count} violation(s)")


# ----------------------------------------------------------------------------- AXI4-Lite
class AxiLiteChecker(_CheckerBase):
    """Passive AXI4-Lite protocol checker (same arguments as :class:`AxiChecker`, without
    the burst options): VALID/payload rules on all five channels, and every B (R)
    response matched to an earlier accepted AW + W pair (AR)."""

    LITE = True

    def __init__(self, dut, prefix: str, clock, reset=None, name: str | None = None, **kw):
        super().__init__(dut, prefix, clock, reset, name, **kw)
        self.writes = 0
        self.reads = 0
        self.error_responses = {"write": 0, "read": 0}

    def _install_hooks(self) -> None:
        c = self.channels
        # addresses accepted per direction (AW / AR handshakes), with their counts
        self.accesses: dict[str, Counter] = {"write": Counter(), "read": Counter()}
        if "AW" in c:
            c["AW"].handshake = lambda cyc: (self._accessed("write", "AW"), self._aw_q.append(cyc),
                                             self._pair())
            c["W"].handshake = lambda cyc: self._w_q.append(cyc) or self._pair()
            c["B"].offer = lambda cyc: self._resp_offer("B", self._b_wait, cyc)
            c["B"].handshake = lambda cyc: self._resp_done("B", self._b_wait, cyc)
            c["B"].expected = lambda: bool(self._b_wait or self._aw_q or self._w_q)
        if "AR" in c:
            c["AR"].handshake = lambda cyc: (self._accessed("read", "AR"), self._r_wait.append(cyc),
                                             self._wake("R"))
            c["R"].expected = lambda: bool(self._r_wait)
            c["R"].offer = lambda cyc: self._resp_offer("R", self._r_wait, cyc)
            c["R"].handshake = lambda cyc: self._resp_done("R", self._r_wait, cyc)

    def _clear_state(self) -> None:
        self._aw_q: deque = deque()
        self._w_q: deque = deque()
        self._b_wait: deque = deque()
        self._r_wait: deque = deque()

    def _accessed(self, kind: str, ch: str) -> None:
        c = self.channels[ch]
        addr = _to_int(c.fields[c.field_names.index("ADDR")].value)
        if addr is not None:
            self.accesses[kind][addr] += 1

    def _pair(self) -> None:
        self._wake("B")
        while self._aw_q and self._w_q:
            self._b_wait.append(max(self._aw_q.popleft(), self._w_q.popleft()))

    def _resp_offer(self, ch: str, q: deque, cyc: int) -> None:
        if not q or q[0] >= cyc:
            if ch == "B":
                why = (f"AW accepted {len(self._aw_q)}, W accepted {len(self._w_q)} unpaired"
                       if (self._aw_q or self._w_q) else "no write outstanding")
                if q:
                    why = f"the write completes only at cycle {q[0]}"
                self._violation("B", "b-without-aw", f"write response without an accepted "
                                f"AW and W: {why}", cyc)
            else:
                why = f"the AR is accepted only at cycle {q[0]}" if q else "no read outstanding"
                self._violation("R", "r-without-ar", f"read data without an accepted AR: {why}",
                                cyc)

    def _resp_done(self, ch: str, q: deque, cyc: int) -> None:
        if q and q[0] < cyc:
            q.popleft()
        if ch == "B":
            self.writes += 1
        else:
            self.reads += 1
        resp = self.channels[ch].field_names
        if "RESP" in resp:
            h = self.channels[ch].fields[resp.index("RESP")]
            if _to_int(h.value):
                self.error_responses["write" if ch == "B" else "read"] += 1

    def waiting(self) -> list[str]:
        out = []
        if self._b_wait:
            out.append(f"{self.name}: {len(self._b_wait)} write(s) awaiting a B response")
        if self._aw_q or self._w_q:
            out.append(f"{self.name}: unpaired AW {len(self._aw_q)} / W {len(self._w_q)}")
        if self._r_wait:
            out.append(f"{self.name}: {len(self._r_wait)} read(s) awaiting R data")
        return out

    def summary(self) -> str:
        return (f"{self.name}: {self.writes} writes, {self.reads} reads (AXI4-Lite); "
                f"{self.violation_count} violation(s)")


def kernel_checkers(dut, prefix: str = "", **kw) -> tuple[AxiChecker, AxiLiteChecker]:
    """AxiChecker on m_axi_hostmem and AxiLiteChecker on s_axi_control of a kernel top
    (ap_clk / ap_rst_n); `prefix` is the board prefix in a multi-board wrapper ("conv0"
    for conv0_m_axi_hostmem_*, ...). Keyword arguments go to both checkers."""
    board = prefix.rstrip("_")
    pp = f"{board}_" if board else ""
    clk, rst = getattr(dut, f"{pp}ap_clk"), getattr(dut, f"{pp}ap_rst_n")
    # B and R are watched only while a response may legally come: no simulator callback on
    # them while the kernel computes (hostmem's come from the testbench's RAM, and the
    # control master's sinks do the same, tb/bus/lean_streams.py); a response nobody asked
    # for is still reported, at the next accepted request.
    kw = {"watch_idle_responses": False} | kw
    return (AxiChecker(dut, f"{pp}m_axi_hostmem", clk, rst, b_after_last_w=True, **kw),
            AxiLiteChecker(dut, f"{pp}s_axi_control", clk, rst, **kw))
