"""Progress watchdog for cocotb 2.x simulations of stream pipelines.

A :class:`Watchdog` ends the running test with a diagnostic when nothing has moved for
`limit_cycles` clock cycles. Progress is any valid/ready handshake on a watched stream or
AXI channel, or an explicit :meth:`Watchdog.kick`; cycles in reset, or while an optional
`idle` signal (for a kernel: ``ap_idle``) is high, count as progress too (nothing is expected
to move then).

It knows no DUT: it is given signal handles, named::

    wd = Watchdog(dut, dut.ap_clk, 5000,
                  streams=[Stream("in", dut.s_tvalid, dut.s_tready, src="reader", dst="fifo0"), ...],
                  fifos=[Fifo("fifo0", dut.u_fifo0.count, 16)], buses=["m_axi_hostmem"],
                  signals={"state": state_text(dut.state, {0: "IDLE", 1: "RUN"})},
                  idle=dut.ap_idle)

(for a generated kernel, tb/benches/kernel_probe.py builds them from its kernel.json:
``kernel_watchdog(dut, info, 200_000)``).

On a stall the watchdog logs the diagnostic and raises :class:`WatchdogTimeout` (an
AssertionError) from its task, which in cocotb 2.x ends the test at once as a failure
(``fail=False``: only log it and keep it in :attr:`Watchdog.diagnostic`). The diagnostic
lists every stream (valid/ready, when it last moved), FIFO occupancies, bus channels, the
state of every stage (backpressured, starved, holding its input) and the likely blocker.

The likely blocker is found from stream evidence first, in data-flow order: the first stage
whose input holds data (an input stream with VALID high and not taken, or its FIFO count
> 0) while its output saw no activity since the last progress (no output stream offers a
word: VALID low; a stage with no output stream, e.g. the memory writer, counts as silent).
A stage whose output offers a word that is not taken is backpressured, not the blocker.
Only when no stage is identified that way do the bus-level explanations (the AXI checkers'
outstanding requests, the `hints`: "hostmem: write data incomplete", ...) come first; with
a stage identified, the checkers' outstanding requests follow it as "also:" lines.

Cost: no per-cycle Python at all. The watchdog wakes every ``poll_cycles`` (default
limit/8) on a Timer and samples the watched signals at a clock edge. Progress since the
previous poll is: a handshake at that edge, a change of any sampled VALID / READY level or
FIFO count, or new data on a stream whose VALID was high at both polls. A poll that sees
none of these arms a one-shot wait for the first value change of any watched VALID or READY
(one small task per signal, dropped at the next poll); a window is "quiet" only when that
never fired and no VALID && READY was seen at its closing edge, which proves that no
handshake happened in it. The watchdog fires at the first poll at which quiet windows cover
`limit_cycles`: never earlier than `limit_cycles` after the last handshake and at most about
`limit_cycles + 3 * poll_cycles` after it. Measured on cnv_part2 (408k cycles, limit 100k):
about 2-3% CPU. (A VALID or READY that keeps toggling without any handshake counts as
activity: such a livelock is not reported.) Cycle numbers in the diagnostic count from the
watchdog's start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.task import current_task
from cocotb.triggers import RisingEdge, Timer

from tb.bus.axi_checker_base import AxiCheckerBase
from tb.bus.axi_signals import bus_channels
from tb.bus.values import to_int

__all__ = ["Watchdog", "WatchdogTimeout", "Stream", "Fifo", "state_text"]


class WatchdogTimeout(AssertionError):
    """No progress for the watchdog's limit; the message is the full diagnostic."""


@dataclass
class Stream:
    """One valid/ready stream: `src` produces it, `dst` consumes it (stage names, used to
    name the blocked stage; None = outside the watched pipeline)."""
    name: str
    valid: Any
    ready: Any
    data: Any = None
    src: str | None = None
    dst: str | None = None


@dataclass
class Fifo:
    """A FIFO's occupancy. `stage`: the stage it belongs to (default: the stage named like
    the FIFO); a count > 0 means that stage holds data."""
    name: str
    count: Any
    depth: int | None = None
    stage: str | None = None


def _val(handle) -> int | None:
    return to_int(handle.value)


def _fmt(v: int | None) -> str:
    return "X" if v is None else str(v)


def state_text(handle, names: dict[int, str]) -> Callable[[], str]:
    """A status entry showing the value of `handle` by name (a sequencer's state:
    ``{0: "IDLE", 1: "RUN"}``); a value without a name shows as it is."""
    return lambda: names.get(_val(handle), str(handle.value))


class Watchdog:
    """Ends the test when no handshake happens for `limit_cycles` cycles of `clock`.

    Args:
        dut: scope used to resolve bus prefixes given as strings.
        clock: the clock cycles are counted in.
        limit_cycles: cycles without progress before it fires.
        streams: :class:`Stream` objects or tuples (name, valid, ready[, data[, src, dst]]).
        fifos: :class:`Fifo` objects or tuples (name, count[, depth]).
        buses: AXI interfaces: an AxiChecker / AxiLiteChecker (its outstanding requests
            then appear in the diagnostic), a signal prefix (``"m_axi_hostmem"``) or
            (name, prefix).
        idle: signal (or callable returning bool): while high (true) at a poll, nothing is
            expected to move and the count restarts. reset / reset_active_level: the same
            while reset is active.
        signals: {label: handle or callable returning text} printed in the diagnostic.
        poll_cycles: polling period (default limit/8).
        fail: raise WatchdogTimeout (ends the test); False: log and record only.
        on_timeout: called with the diagnostic before raising.
        hints: callable returning blocker explanations used only when no stage holds data
            with a silent output (e.g. a memory reader busy with no word on its output).
    """

    def __init__(self, dut, clock, limit_cycles: int, streams: Iterable = (),
                 fifos: Iterable = (), buses: Iterable = (), *, idle=None, reset=None,
                 reset_active_level: bool = False, signals: dict | None = None,
                 poll_cycles: int | None = None, name: str = "watchdog", fail: bool = True,
                 on_timeout: Callable[[str], None] | None = None,
                 hints: Callable[[], list[str]] | None = None,
                 period_steps: int | None = None, log: logging.Logger | None = None,
                 start: bool = True):
        self.dut = dut
        self.clock = clock
        self.limit = int(limit_cycles)
        if self.limit < 1:
            raise ValueError("limit_cycles must be >= 1")
        self.poll = int(poll_cycles) if poll_cycles else max(1, self.limit // 8)
        self.name = name
        self.fail = fail
        self.on_timeout = on_timeout
        self.log = log or logging.getLogger(f"cocotb.{name}")
        self.streams = [s if isinstance(s, Stream) else Stream(*s) for s in streams]
        # Streams given without src/dst are taken as one chain, in list order: the stage
        # between two of them is named after both.
        no_src = [s.src is None for s in self.streams]
        no_dst = [s.dst is None for s in self.streams]
        for i, s in enumerate(self.streams):
            if no_src[i]:
                s.src = (f"{self.streams[i - 1].name}->{s.name}" if i and no_dst[i - 1]
                         else f"source of {s.name}")
            if no_dst[i]:
                s.dst = (f"{s.name}->{self.streams[i + 1].name}"
                         if i + 1 < len(self.streams) and no_src[i + 1] else f"sink of {s.name}")
        self.fifos = [f if isinstance(f, Fifo) else Fifo(*f) for f in fifos]
        self.buses: list[tuple[str, str, Any, Any]] = []     # (bus, channel, valid, ready)
        self.checkers: list[AxiCheckerBase] = []
        for b in buses:
            if isinstance(b, AxiCheckerBase):
                self.checkers.append(b)
                for ch, c in b.channels.items():
                    self.buses.append((b.name, ch, c.valid, c.ready))
                continue
            bname, prefix = (b, b) if isinstance(b, str) else b
            chans = bus_channels(dut, prefix)
            if not chans:
                raise AttributeError(f"watchdog: no AXI channel found under {prefix!r}")
            for ch, (v, r) in chans.items():
                self.buses.append((bname, ch, v, r))
        self.idle = idle
        self.reset = reset
        self.reset_active_level = reset_active_level
        self.signals = dict(signals or {})
        self.hints = hints
        self._period = period_steps
        self._t0: int | None = None
        # every watched valid/ready pair, streams first
        self._pairs = ([(s.valid, s.ready) for s in self.streams]
                       + [(v, r) for _, _, v, r in self.buses])
        self._kicked = False
        self._toggled = False
        self._armed: list = []
        self._watching = False     # in a confirmation window (changes being watched)
        self.fired = False
        self.diagnostic: str | None = None
        self.polls = 0
        self.last_progress: int = 0
        self.last_moved: list[int | None] = [None] * len(self.streams)
        self._task = cocotb.start_soon(self._run()) if start else None

    # ------------------------------------------------------------------ control
    def kick(self) -> None:
        """Count as progress (e.g. the testbench is legitimately waiting on something)."""
        self._kicked = True

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._disarm()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = cocotb.start_soon(self._run())

    def cycle(self) -> int:
        if self._period is None or self._t0 is None:
            return 0
        return (get_sim_time("step") - self._t0) // self._period

    # ------------------------------------------------------------------ sampling
    def _sample(self):
        streams = [(_val(s.valid), _val(s.ready),
                    None if s.data is None else s.data.value) for s in self.streams]
        buses = [(_val(v), _val(r)) for _, _, v, r in self.buses]
        counts = [_val(f.count) for f in self.fifos]
        return streams, buses, counts

    def _holding(self) -> bool:
        """In reset or idle: nothing is expected to move."""
        if self.reset is not None:
            rv = _val(self.reset)
            if rv is None or bool(rv) == self.reset_active_level:
                return True
        if self.idle is not None:
            if callable(self.idle) and not hasattr(self.idle, "value"):
                return bool(self.idle())
            return _val(self.idle) == 1
        return False

    async def _wait_change(self, signal) -> None:
        await signal.value_change
        self._toggled = True
        self._disarm(keep_flag=True)

    def _arm(self) -> None:
        """Watch every VALID / READY for its first change (one small task per signal; a
        task waiting on a single trigger cancels cleanly, also when the test ends)."""
        self._toggled = False
        self._watching = True
        if not self._armed:
            self._armed = [cocotb.start_soon(self._wait_change(sig))
                           for v, r in self._pairs for sig in (v, r)]

    def _disarm(self, keep_flag: bool = False) -> None:
        me = current_task()
        for t in self._armed:
            if t is not me and not t.done():
                t.cancel()
        self._armed = []
        if not keep_flag:
            self._toggled = False
            self._watching = False

    async def _run(self) -> None:
        edge = RisingEdge(self.clock)
        await edge
        t1 = get_sim_time("step")
        if self._period is None:
            await edge
            self._period = get_sim_time("step") - t1
        self._t0 = t1
        prev = self._sample()
        quiet_since: int | None = None
        self.last_progress = self.cycle()
        while True:
            await Timer(self.poll * self._period - self._period // 2, "step")
            await edge
            self.polls += 1
            c = self.cycle()
            snap = self._sample()
            streams, buses, counts = snap
            hs = any(v and r for v, r, _ in streams) or any(v and r for v, r in buses)
            moved = False        # a handshake certainly happened since the last poll
            for i, (now, before) in enumerate(zip(streams, prev[0])):
                # VALID high at both polls with different data: the word was taken (a
                # producer may only drop VALID or change data after a handshake).
                if (now[0] and now[1]) or now != before:
                    self.last_moved[i] = c       # activity (not necessarily a handshake)
                if now[0] and before[0] and now[2] != before[2]:
                    moved = True
            changed = (moved or counts != prev[2] or buses != prev[1]
                       or any(a[:2] != b[:2] for a, b in zip(streams, prev[0])))
            if self._watching:
                progress = self._toggled or hs or changed
            else:
                progress = hs or changed
            if self._kicked or self._holding():
                progress = True
            self._kicked = False
            prev = snap
            if progress:
                self.last_progress = c
                quiet_since = None
                self._disarm()
                continue
            if not self._watching:
                # No visible change since the last poll, but a handshake may have come and
                # gone in between: from now on watch every VALID / READY for a change.
                quiet_since = c
                self._arm()
                continue
            if c - quiet_since >= self.limit:
                self._disarm()
                self._timeout(c, quiet_since, snap)
                return

    # ------------------------------------------------------------------ diagnosis
    def _stage_order(self) -> list[str]:
        order: list[str] = []
        for s in self.streams:
            for st in (s.src, s.dst):
                if st is not None and st not in order:
                    order.append(st)
        return order

    def _activity(self, i: int) -> str:
        lm = self.last_moved[i]
        return "no activity seen" if lm is None else f"last activity seen at cycle {lm}"

    def analyse(self, snap=None) -> tuple[list[str], list[str]]:
        """(per-stage state lines, likely blockers) from a sample (default: now).

        Blockers, most likely first: stream evidence in data-flow order, i.e. every stage
        whose input holds data (an input stream with VALID=1 not taken, or its FIFO's count
        > 0) while its output is silent (no output stream offers a word; no output stream
        at all, for a sink), then the AXI checkers' outstanding requests. Only when no stage
        is identified that way: the outstanding requests and the hints, else the source
        when the whole pipeline is empty."""
        snap = snap or self._sample()
        streams, counts = snap[0], snap[2]
        state = {s.name: (v, r) for s, (v, r, _) in zip(self.streams, streams)}
        index = {s.name: i for i, s in enumerate(self.streams)}
        fifo_of: dict[str, list[tuple[Fifo, int]]] = {}
        for f, cnt in zip(self.fifos, counts):
            if cnt is not None and cnt > 0:
                fifo_of.setdefault(f.stage or f.name, []).append((f, cnt))
        lines, held, order = [], [], self._stage_order()
        stalled: list[tuple[str, str]] = []      # (stage, why), in data-flow order
        for st in order:
            ins = [s for s in self.streams if s.dst == st]
            outs = [s for s in self.streams if s.src == st]
            iv = [state[s.name] for s in ins]
            ov = [state[s.name] for s in outs]
            in_txt = ", ".join(f"{s.name} valid={_fmt(v)} ready={_fmt(r)}"
                               for s, (v, r) in zip(ins, iv))
            out_txt = ", ".join(f"{s.name} valid={_fmt(v)} ready={_fmt(r)}"
                                for s, (v, r) in zip(outs, ov))
            blocked = any(v and not r for v, r in ov)
            holding = any(v and not r for v, r in iv)
            # Stream evidence for the likely blocker: data waiting at (or stored in) the
            # stage, and not one word offered on its output.
            waiting = [f"{s.name} valid=1 ready={_fmt(r)}"
                       for s, (v, r) in zip(ins, iv) if v == 1 and r != 1]
            stored = [f"{f.name} count={c}{f'/{f.depth}' if f.depth else ''}"
                      for f, c in fifo_of.get(st, ())]
            silent = all(v != 1 for v, _ in ov)
            if (waiting or stored) and silent:
                out_ev = ("; ".join(f"output {s.name} valid={_fmt(v)}, "
                                    f"{self._activity(index[s.name])}"
                                    for s, (v, _) in zip(outs, ov)) or "no output stream")
                stalled.append((st, f"{st} [holds data: {', '.join(waiting + stored)}; {out_ev}]"))
            if blocked:
                what = "backpressured (output valid, not taken downstream)"
            elif holding and outs:
                what = "input valid=1 ready=0, no output (busy computing / blocked by output)"
                held.append(st)
            elif holding:
                what = "not accepting its input (consumer stuck)"
                held.append(st)
            elif stored and silent:
                what = f"holds data ({', '.join(stored)}), offers none on its output"
            elif ins and all(not v for v, _ in iv):
                what = "starved (input valid=0)"
            elif not ins and outs and all(not v for v, _ in ov):
                what = "producing nothing (source stopped)"
            else:
                what = "idle"
            io = "; ".join(t for t in (f"in: {in_txt}" if in_txt else "",
                                       f"out: {out_txt}" if out_txt else "") if t)
            lines.append(f"  {st}: {what} [{io}]")
        pending = [w for chk in self.checkers for w in chk.waiting()]
        named = {st for st, _ in stalled}
        if stalled:
            blockers = [why for _, why in stalled] + [h for h in held if h not in named] + pending
        elif held:
            blockers = held + pending
        else:
            hints = self.hints() if self.hints is not None else []
            if pending or hints:
                blockers = pending + hints
            elif (streams and all(not v for v, _, _ in streams)
                  and not any(c for c in counts if c is not None)):
                head = self.streams[0].src or f"the producer of {self.streams[0].name}"
                blockers = [f"{head} (the whole pipeline is empty: the source stopped producing)"]
            else:
                blockers = []
        return lines, blockers

    def report(self, snap=None) -> str:
        """The diagnostic text for the current (or given) sample."""
        snap = snap or self._sample()
        streams, buses, counts = snap
        out = []
        if self.streams:
            out.append(f"streams (valid/ready; last activity = handshake or change of "
                       f"valid/ready/data seen by a poll, every {self.poll} cycles):")
            for i, (s, (v, r, _)) in enumerate(zip(self.streams, streams)):
                route = f" {s.src or '?'} -> {s.dst or '?'}" if (s.src or s.dst) else ""
                lm = self.last_moved[i]
                moved = ("no activity seen" if lm is None
                         else f"last activity seen at cycle {lm}")
                flag = " <- waiting for ready" if (v and not r) else ""
                out.append(f"  {s.name}{route}: valid={_fmt(v)} ready={_fmt(r)}; {moved}{flag}")
        if self.fifos:
            out.append("fifos:")
            for f, cnt in zip(self.fifos, counts):
                extra = ""
                if cnt is not None and f.depth:
                    extra = " (full)" if cnt >= f.depth else " (empty)" if cnt == 0 else ""
                depth = f"/{f.depth}" if f.depth else ""
                out.append(f"  {f.name}: count={_fmt(cnt)}{depth}{extra}")
        if self.buses:
            out.append("buses:")
            for (bname, ch, _, _), (v, r) in zip(self.buses, buses):
                flag = " <- waiting for ready" if (v and not r) else ""
                out.append(f"  {bname} {ch}: valid={_fmt(v)} ready={_fmt(r)}{flag}")
        if self.signals:
            out.append("status: " + ", ".join(
                f"{k}={h() if callable(h) and not hasattr(h, 'value') else h.value}"
                for k, h in self.signals.items()))
        pending = [w for chk in self.checkers for w in chk.waiting()]
        if pending:
            out.append("outstanding on the buses (from the AXI checkers):")
            out += [f"  {w}" for w in pending]
        lines, blockers = self.analyse(snap)
        if lines:
            out.append("stages:")
            out += lines
        if blockers:
            out.append("likely blocker: " + blockers[0])
            out += [f"  also: {b}" for b in blockers[1:]]
        elif self.streams:
            out.append("likely blocker: none identified (no stage holds data with a silent "
                       "output, and the pipeline is not empty)")
        return "\n".join(out)

    def _timeout(self, c: int, quiet_since: int, snap) -> None:
        head = (f"{self.name}: no progress for {c - quiet_since} cycles (limit {self.limit}; "
                f"no handshake since cycle {quiet_since}, last progress seen at poll cycle "
                f"{self.last_progress}) at cycle {c}, t={get_sim_time('ns'):.0f} ns")
        self.diagnostic = head + "\n" + self.report(snap)
        self.fired = True
        self.log.error("%s", self.diagnostic)
        if self.on_timeout is not None:
            self.on_timeout(self.diagnostic)
        if self.fail:
            raise WatchdogTimeout(self.diagnostic)
