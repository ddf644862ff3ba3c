"""Seeing a valid/ready FIFO fill up and drain, from its ports, for cocotb 2.x testbenches.

A :class:`FifoMonitor` watches one FIFO with the semantics of rtl/stream_fifo.sv and calls
``on_event(name, event)`` once per event kind:

* ``"full"``: the FIFO held as many words as it can: its input READY fell (a stream_fifo's
  ``s_axis_tready`` is exactly ``count != DEPTH``);
* ``"empty"``: the FIFO drained after having held data: its output VALID fell while its
  occupancy ``count`` is 0 (without a count signal: VALID fell). In a FIFO whose output
  register runs behind its memory (stream_fifo above SRL_MAX words) VALID can also fall with
  words still in flight; nothing leaves while VALID is low, so the occupancy cannot reach 0
  before VALID rises and falls again, and no drain is missed.

The FIFO is empty after reset, so only a drain counts, not that first state.

Cost: no per-cycle Python. Each event kind is one task sleeping on the falling edge of one
signal; once its event has been seen the task ends and its simulator callback is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import cocotb
from cocotb.triggers import Event, FallingEdge

from tb.bus.values import to_int

__all__ = ["FifoMonitor", "FifoSignals", "FifosSeenFull", "FIFO_EVENTS"]

FIFO_EVENTS = ("full", "empty")


@dataclass(frozen=True)
class FifoSignals:
    """The handles that show one FIFO: the READY of its input (low = full), the VALID of
    its output, its occupancy (words held; None if it has no such signal)."""
    name: str
    in_ready: Any
    out_valid: Any
    count: Any | None = None


class FifoMonitor:
    """Reports `name`'s "full" and "empty" events (see the module) to ``on_event(name, event)``.

    Args:
        name: the FIFO's name in reports.
        in_ready: the READY of the FIFO's input (low = full).
        out_valid: the VALID of the FIFO's output.
        count: the occupancy signal (words held), or None.
        on_event: called once per event kind, with (name, event).
        events: the event kinds to watch (default both).

    Start it with the FIFO out of reset (and so empty).
    """

    def __init__(self, name: str, in_ready: Any, out_valid: Any, count: Any | None,
                 on_event: Callable[[str, str], None], events: tuple[str, ...] = FIFO_EVENTS):
        unknown = [e for e in events if e not in FIFO_EVENTS]
        if unknown:
            raise ValueError(f"FIFO {name}: unknown event(s) {unknown}, known: {', '.join(FIFO_EVENTS)}")
        self.name = name
        self.in_ready = in_ready
        self.out_valid = out_valid
        self.count = count
        self.on_event = on_event
        self.seen: set[str] = set()
        self.tasks = []
        if "full" in events:
            self.tasks.append(cocotb.start_soon(self._full()))
        if "empty" in events:
            self.tasks.append(cocotb.start_soon(self._empty()))

    def stop(self) -> None:
        """Stop watching (cancels the tasks still waiting for their event)."""
        for t in self.tasks:
            if not t.done():
                t.cancel()

    def _seen(self, event: str) -> None:
        self.seen.add(event)
        self.on_event(self.name, event)

    async def _full(self) -> None:
        if to_int(self.in_ready.value) != 0:
            await FallingEdge(self.in_ready)
        self._seen("full")

    async def _empty(self) -> None:
        while True:
            await FallingEdge(self.out_valid)
            if self.count is None or to_int(self.count.value) == 0:
                self._seen("empty")
                return


class FifosSeenFull:
    """Which of several FIFOs (:class:`FifoSignals`) have been seen full since now (start it
    out of reset): `all_full` is set once every one has; `filled` / `not_filled` list them
    by name."""

    def __init__(self, fifos: Iterable[FifoSignals]):
        self.all_full = Event()
        self.monitors = [FifoMonitor(f.name, f.in_ready, f.out_valid, f.count, self._full, events=("full",))
                         for f in fifos]
        self._full()

    def _full(self, *_event) -> None:
        if not self.not_filled:
            self.all_full.set()

    @property
    def filled(self) -> list[str]:
        return [m.name for m in self.monitors if "full" in m.seen]

    @property
    def not_filled(self) -> list[str]:
        return [m.name for m in self.monitors if "full" not in m.seen]
