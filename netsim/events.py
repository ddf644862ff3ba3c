"""The scheduler protocol the link model runs on, and a pure-Python event loop for it.

The Ethernet link between the PYNQ-Z1 boards is modelled at frame level: a frame occupies the
wire for a computed number of picoseconds and then appears at the far end. Nothing in
``netsim`` ever waits for a clock edge; every component only asks its scheduler to call it
back at a future simulation time. That keeps the model independent of who owns the clock:

* :class:`EventLoop` (below) is a heapq-based discrete-event loop for pure-Python runs
  (unit tests, topology sweeps without any HDL simulator);
* a cocotb adapter (written separately, in ``tb/``) lets the same link objects run inside a
  Verilator co-simulation, with simulation time owned by the HDL simulator.

The protocol
------------
A scheduler is any object with two methods::

    now() -> int                                  # current simulation time, integer ps
    call_at(when: int, callback, *args) -> Timer  # run callback(*args) at time `when`

plus ``call_later(delay, callback, *args)`` which :class:`SchedulerBase` derives from the two
above. The returned :class:`Timer` only needs ``cancel()`` (idempotent) and ``cancelled``.

Rules an adapter must follow (the link, transport and topology code rely on them):

1. Times are ``int`` picoseconds since the start of the simulation (see :mod:`netsim.simtime`).
   ``now()`` never decreases.
2. ``call_at(when, ...)`` with ``when < now()`` is an error (raise ``ValueError``);
   ``when == now()`` is allowed and runs after the current callback returns, never re-entrantly
   from inside ``call_at``.
3. Callbacks due at the same time run in the order they were scheduled (FIFO). The link relies
   on this for frames that finish back to back.
4. Callbacks are plain synchronous functions (no coroutines, no asyncio); they may schedule
   and cancel further callbacks. When a callback raises, the exception must propagate to
   whoever drives the simulation (here: out of :meth:`EventLoop.run`; in cocotb: fail the
   test). A permanent link failure is reported that way.
5. A cancelled timer's callback never runs. Cancelling an already-run timer is a no-op.

A cocotb adapter can satisfy this with one coroutine per pending timer (``await Timer(delta,
unit="ps")`` then call) or, cheaper, with a single coroutine that keeps its own heap and
sleeps until the earliest deadline, converting ``get_sim_time("ps")`` for ``now()``. The HDL
simulator's time precision must be 1 ps or the adapter must round consistently.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any, Callable, Protocol, runtime_checkable


@runtime_checkable
class Timer(Protocol):
    """Handle of a scheduled callback."""

    @property
    def cancelled(self) -> bool: ...

    def cancel(self) -> None: ...


@runtime_checkable
class Scheduler(Protocol):
    """Minimal scheduler interface used by every ``netsim`` component (see module docstring)."""

    def now(self) -> int: ...

    def call_at(self, when: int, callback: Callable[..., Any], *args: Any) -> Timer: ...

    def call_later(self, delay: int, callback: Callable[..., Any], *args: Any) -> Timer: ...


class SchedulerBase:
    """Mixin providing ``call_later`` on top of ``now`` and ``call_at``."""

    def now(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def call_at(self, when: int, callback: Callable[..., Any], *args: Any) -> Timer:  # pragma: no cover
        raise NotImplementedError

    def call_later(self, delay: int, callback: Callable[..., Any], *args: Any) -> Timer:
        if delay < 0:
            raise ValueError(f"negative delay {delay} ps")
        return self.call_at(self.now() + int(delay), callback, *args)


class _Entry:
    """A scheduled callback; also the Timer handle given to the caller."""

    __slots__ = ("when", "order", "callback", "args", "state")
    PENDING, DONE, CANCELLED = 0, 1, 2

    def __init__(self, when: int, order: int, callback: Callable[..., Any], args: tuple):
        self.when = when
        self.order = order
        self.callback = callback
        self.args = args
        self.state = self.PENDING

    @property
    def cancelled(self) -> bool:
        return self.state == self.CANCELLED

    @property
    def pending(self) -> bool:
        return self.state == self.PENDING

    def cancel(self) -> None:
        # Lazy deletion: the heap entry stays and is skipped when it surfaces.
        if self.state == self.PENDING:
            self.state = self.CANCELLED
            self.callback, self.args = None, ()  # drop references early

    def __lt__(self, other: "_Entry") -> bool:
        return (self.when, self.order) < (other.when, other.order)


class EventLoop(SchedulerBase):
    """Pure-Python discrete-event scheduler (heapq, integer picoseconds).

    >>> loop = EventLoop()
    >>> seen = []
    >>> _ = loop.call_later(5, seen.append, "b"); _ = loop.call_at(2, seen.append, "a")
    >>> loop.run(); seen, loop.now()
    (['a', 'b'], 5)
    """

    def __init__(self, start: int = 0):
        self._now = int(start)
        self._heap: list[_Entry] = []
        self._order = itertools.count()
        self.events_run = 0

    def now(self) -> int:
        return self._now

    def call_at(self, when: int, callback: Callable[..., Any], *args: Any) -> _Entry:
        when = int(when)
        if when < self._now:
            raise ValueError(f"cannot schedule in the past: {when} ps < now {self._now} ps")
        entry = _Entry(when, next(self._order), callback, args)
        heapq.heappush(self._heap, entry)
        return entry

    def peek(self) -> int | None:
        """Time of the next live callback, or None when idle."""
        while self._heap and not self._heap[0].pending:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def step(self) -> bool:
        """Run the next live callback. Returns False when nothing is scheduled."""
        while self._heap:
            entry = heapq.heappop(self._heap)
            if not entry.pending:
                continue
            self._now = entry.when
            callback, args = entry.callback, entry.args
            entry.state, entry.callback, entry.args = entry.DONE, None, ()
            self.events_run += 1
            callback(*args)
            return True
        return False

    def run(self, until: int | None = None, max_events: int | None = None) -> int:
        """Run callbacks in time order until idle, until time ``until`` or ``max_events``.

        With ``until`` given, callbacks due at exactly ``until`` run and the clock ends at
        ``until`` even if the loop went idle earlier. Returns the final time.
        """
        budget = max_events
        while True:
            nxt = self.peek()
            if nxt is None or (until is not None and nxt > until):
                break
            if budget is not None:
                if budget <= 0:
                    break
                budget -= 1
            self.step()
        if until is not None and until > self._now:
            self._now = int(until)
        return self._now
