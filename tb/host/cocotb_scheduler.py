"""netsim's scheduler protocol on cocotb simulation time, for the co-simulation.

netsim's link, switch and transport only call `now()`, `call_at()` / `call_later()` and
`Timer.cancel()` (netsim/events.py). Here each timer is a cocotb task sleeping on a
`Timer` trigger until its time: the link never wakes up on clock edges. Time is integer
picoseconds, as in netsim; a callback's exception fails the cocotb test.
"""

from __future__ import annotations

from typing import Any, Callable

import cocotb
from cocotb.triggers import Timer
from cocotb.utils import get_sim_time


class CocotbTimer:
    def __init__(self) -> None:
        self._cancelled = False
        self.task = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        if not self._cancelled:
            self._cancelled = True
            if self.task is not None and not self.task.done():
                self.task.cancel()


class CocotbScheduler:
    """`on_error(exc)`, if given, receives an exception raised by a callback (e.g. netsim's
    LinkFailure) instead of it failing the cocotb test from inside a timer task, so the test
    can end the run and report it."""

    def __init__(self, on_error: Callable[[BaseException], None] | None = None):
        self.on_error = on_error

    def now(self) -> int:
        return int(round(get_sim_time("ps")))

    def call_at(self, when: int, callback: Callable[..., Any], *args: Any) -> CocotbTimer:
        delay = int(when) - self.now()
        if delay < 0:
            raise ValueError(f"cannot schedule at {when} ps: simulation time is already {self.now()} ps")
        timer = CocotbTimer()
        timer.task = cocotb.start_soon(self._fire(timer, delay, callback, args, self.on_error))
        return timer

    def call_later(self, delay: int, callback: Callable[..., Any], *args: Any) -> CocotbTimer:
        return self.call_at(self.now() + int(delay), callback, *args)

    @staticmethod
    async def _fire(timer: CocotbTimer, delay: int, callback, args, on_error) -> None:
        if delay > 0:
            await Timer(delay, "ps")
        if timer.cancelled:
            return
        if on_error is None:
            callback(*args)
            return
        try:
            callback(*args)
        except Exception as exc:  # handed to the test, which ends the run with a report
            on_error(exc)
