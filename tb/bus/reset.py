"""Reset signals as the monitors of tb/bus see them.

:class:`ResetWatch` gives every monitor on one reset signal a single simulator callback:
under Verilator each registered value-change callback costs a little on every time step,
whether or not its signal moves, so the AXI checkers on a board's buses share one.
:func:`active_level` infers a reset's active level from its name.
"""

from __future__ import annotations

from typing import Callable

import cocotb

__all__ = ["ResetWatch", "active_level"]


def active_level(reset) -> bool:
    """The level at which `reset` (a handle) is active: low for ``*_n``, ``*rstn``,
    ``*resetn`` names, high otherwise."""
    rname = reset._name.lower()
    return not (rname.endswith("_n") or rname.endswith("n") and ("rstn" in rname or "resetn" in rname))


class ResetWatch:
    """One value-change callback per reset signal, shared by every subscriber: each
    subscriber's ``on_change()`` is called at every change of the signal."""

    _by_signal: dict = {}

    def __init__(self, signal):
        self.signal = signal
        self.subscribers: list[Callable[[], None]] = []
        self.task = cocotb.start_soon(self._run())

    @classmethod
    def subscribe(cls, signal, on_change: Callable[[], None]) -> None:
        w = cls._by_signal.get(id(signal))
        if w is None or w.signal is not signal or w.task.done():   # new test: tasks are gone
            w = cls._by_signal[id(signal)] = cls(signal)
        w.subscribers.append(on_change)

    @classmethod
    def unsubscribe(cls, signal, on_change: Callable[[], None]) -> None:
        w = cls._by_signal.get(id(signal))
        if w is not None and on_change in w.subscribers:
            w.subscribers.remove(on_change)
            if not w.subscribers and not w.task.done():
                w.task.cancel()

    async def _run(self) -> None:
        while True:
            await self.signal.value_change
            for on_change in list(self.subscribers):
                on_change()
