"""Fewer simulator callbacks from cocotbext-axi's channel endpoints.

Every value-change callback a testbench keeps registered is compared by Verilator after each
evaluation, whether or not anything is happening on the bus; on a small kernel that compare
loop costs more than the design (`make bench`, cnv_part2). cocotbext-axi's stream endpoints,
which every AXI4 and AXI4-Lite model of this testbench is made of, keep some registered that
they do not need:

- a sink (the RAM's AW / W / AR channels, the AXI4-Lite master's B / R) watches its own READY,
  which only it drives: its run loop is already woken by its pause and dequeue updates;
- every sink and monitor watches VALID with a ``RisingEdge`` trigger while the AXI protocol
  checkers (tb/bus/axi_checker.py) watch the same VALID with ``value_change``: two callbacks
  on one signal;
- every model watches its reset with the deprecated ``Edge`` trigger, next to the checkers'
  ``value_change`` on the same reset.

:func:`install` replaces those three watchers with ones that share the checkers' triggers
(cocotb registers one simulator callback per trigger object, however many tasks await it)
and drops the first. Behaviour is unchanged: a VALID monitor only wakes the run loop, which
then samples VALID at the next clock edge as before, so a wake-up on a falling VALID just
finds it low and sleeps again. Importing tb.bus installs it (every testbench of this
project does); it is checked against the pinned cocotbext-axi version, since it replaces
methods of that library's classes.

:func:`quiet_responses` goes further for the testbench's own AXI4-Lite master: its B and R
sinks watch VALID only while it has a request in flight, so an idle control bus costs the
simulator nothing (the kernel testbenches do this for the host's control master).
"""

from __future__ import annotations

from cocotb.triggers import Event, First
from cocotbext.axi import reset as _reset
from cocotbext.axi import stream as _stream
from cocotbext.axi.version import __version__ as COCOTBEXT_AXI_VERSION

TESTED_WITH = "0.1.28"
_installed = False


async def _valid_monitor(self) -> None:
    change = self.valid.value_change
    while True:
        gate = getattr(self, "response_gate", None)     # see quiet_responses
        if gate is None:
            await change
        elif not gate.expecting.is_set():
            await gate.expecting.wait()  # a request went out: look at VALID from now on
        else:
            await First(change, gate.idle.wait())
        self.wake_event.set()


async def _ready_monitor(self) -> None:
    change = self.ready.value_change
    while True:
        await change
        self.wake_event.set()


async def _no_ready_monitor(self) -> None:
    """A sink drives READY itself: nothing to watch."""


async def _reset_monitor(self, reset_signal, active_level) -> None:
    change = reset_signal.value_change
    while True:
        await change
        try:
            level = bool(int(reset_signal.value))
        except ValueError:
            continue
        self._ext_reset = active_level if level else not active_level
        self._update_reset()


def quiet_responses(master) -> None:
    """The response sinks (B, R) of the testbench's own AXI4-Lite master watch VALID only
    while the master has a request in flight: a response may not come otherwise, so an idle
    control bus registers no simulator callback. What the sinks would have missed, a
    response nobody asked for, is the AXI protocol checker's to report (tb/bus/axi_checker.py,
    with watch_idle_responses=False it does so at the next request)."""
    for side, call, sink in ((master.write_if, "write", master.write_if.b_channel),
                             (master.read_if, "read", master.read_if.r_channel)):
        gate = sink.response_gate = _ResponseGate()
        inner = getattr(side, call)

        async def asked(*args, _inner=inner, _side=side, _gate=gate, **kwargs):
            _gate.open()
            try:
                return await _inner(*args, **kwargs)
            finally:
                if not _side.in_flight_operations:
                    _gate.close()

        setattr(side, call, asked)


class _ResponseGate:
    """Whether a response may come: `expecting` is set while requests are in flight, `idle`
    while none is (a task waits on either without a simulator callback)."""

    def __init__(self) -> None:
        self.expecting, self.idle = Event(), Event()
        self.idle.set()

    def open(self) -> None:
        self.idle.clear()
        self.expecting.set()

    def close(self) -> None:
        self.expecting.clear()
        self.idle.set()


def install() -> None:
    """Replace the watchers (once per process)."""
    global _installed
    if _installed:
        return
    if COCOTBEXT_AXI_VERSION != TESTED_WITH:
        raise RuntimeError(f"tb/bus/lean_streams.py replaces watchers of cocotbext-axi {TESTED_WITH}; "
                           f"this environment has {COCOTBEXT_AXI_VERSION} (see pyproject.toml)")
    _stream.StreamMonitor._run_valid_monitor = _valid_monitor
    _stream.StreamMonitor._run_ready_monitor = _ready_monitor
    _stream.StreamSink._run_ready_monitor = _no_ready_monitor
    _reset.Reset._run_reset = _reset_monitor
    _installed = True
