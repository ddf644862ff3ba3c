"""cocotbext-axi bus models with fewer simulator callbacks, as subclasses a testbench
instantiates in place of cocotbext-axi's own.

Every value-change callback a testbench keeps registered is compared by Verilator after each
evaluation, whether or not anything is happening on the bus; on a small kernel that compare
loop costs more than the design (`make bench`, cnv_part2). cocotbext-axi's stream endpoints,
which every AXI4 and AXI4-Lite model is made of, keep some registered that they do not need:

- a sink (the RAM's AW / W / AR channels, the AXI4-Lite master's B / R) watches its own READY,
  which only it drives: its run loop is already woken by its pause and dequeue updates;
- every sink watches VALID with a ``RisingEdge`` trigger while the AXI protocol checkers
  (tb/bus/axi_checker_base.py) watch the same VALID with ``value_change``: two callbacks on
  one signal;
- every model watches its reset with the deprecated ``Edge`` trigger, next to the checkers'
  ``value_change`` on the same reset.

The endpoints here share the checkers' triggers (cocotb registers one simulator callback
per trigger object, however many tasks await it) and drop the first watcher. Behaviour is
unchanged: a VALID monitor only wakes the run loop, which then samples VALID at the next
clock edge as before, so a wake-up on a falling VALID just finds it low and sleeps again.

The models (nothing of cocotbext-axi is changed; its own classes keep their behaviour):

- :class:`LeanAxiLiteMaster`: an ``AxiLiteMaster`` on lean channel endpoints;
- :class:`QuietAxiLiteMaster`: the same, and its response sinks (B, R) watch VALID only
  while the master has a request in flight (a response may not come otherwise), so an idle
  control bus registers no simulator callback. What the sinks would have missed, a response
  nobody asked for, is the AXI protocol checker's to report (with
  ``watch_idle_responses=False`` it does so at the next request). The host driver
  (tb/host/driver.py) uses it for its control port;
- :class:`LeanAxiRamRead`, :class:`LeanAxiRamWrite`: ``AxiRamRead`` / ``AxiRamWrite`` on lean
  channel endpoints (tb/bus/axi_ram.py's FaultyAxiRam is made of them);
- :class:`LeanAxiStreamSource`, :class:`LeanAxiStreamSink`, :class:`LeanAxiStreamMonitor`:
  the AXI4-Stream models with the lean reset watcher.

How the composite models get lean endpoints: cocotbext-axi's constructors create their
channel endpoints by class name (``AxiLiteBSink(bus.b, ...)``). :func:`building` gives a
subclass the library's own constructor, run with chosen endpoint classes in place of those
names (a copy of the function over a copy of its module's globals; the library's function
and module are left as they are). The names are checked when this module is imported: if
a cocotbext-axi release (pinned in pyproject.toml) stopped building one, the import fails
naming it.
"""

from __future__ import annotations

from types import FunctionType

from cocotb.triggers import Event, First
from cocotbext.axi import AxiStreamMonitor, AxiStreamSink, AxiStreamSource
from cocotbext.axi import axi_channels as _axi
from cocotbext.axi import axil_channels as _axil
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.axi_slave import AxiSlaveRead, AxiSlaveWrite
from cocotbext.axi.axil_master import AxiLiteMaster, AxiLiteMasterRead, AxiLiteMasterWrite
from cocotbext.axi.reset import Reset

__all__ = ["LeanAxiLiteMaster", "QuietAxiLiteMaster", "LeanAxiRamRead", "LeanAxiRamWrite",
           "LeanAxiStreamSource", "LeanAxiStreamSink", "LeanAxiStreamMonitor", "ResponseGate",
           "building"]


# ----------------------------------------------------------------------------- watchers
class LeanReset(Reset):
    """Watches the reset with ``value_change`` (the trigger the checkers' shared reset watch
    awaits) instead of ``Edge``."""

    async def _run_reset(self, reset_signal, active_level) -> None:
        change = reset_signal.value_change
        while True:
            await change
            try:
                level = bool(int(reset_signal.value))
            except ValueError:
                continue
            self._ext_reset = active_level if level else not active_level
            self._update_reset()


class LeanSink(LeanReset):
    """A channel sink: VALID watched with ``value_change``, READY (its own) not at all."""

    async def _run_valid_monitor(self) -> None:
        change = self.valid.value_change
        while True:
            await change
            self.wake_event.set()

    async def _run_ready_monitor(self) -> None:
        """A sink drives READY itself: nothing to watch."""


class ResponseGate:
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


class GatedSink(LeanSink):
    """A response sink (B, R) of a :class:`QuietAxiLiteMaster`: watches VALID only while its
    `response_gate` is open (a request is in flight)."""

    def __init__(self, *args, **kwargs):
        self.response_gate = ResponseGate()
        super().__init__(*args, **kwargs)

    async def _run_valid_monitor(self) -> None:
        change, gate = self.valid.value_change, self.response_gate
        while True:
            if not gate.expecting.is_set():
                await gate.expecting.wait()  # a request went out: look at VALID from now on
            else:
                await First(change, gate.idle.wait())
            self.wake_event.set()


# ----------------------------------------------------------------------------- endpoints
def _endpoint(watchers: type, base: type, prefix: str = "Lean") -> type:
    """The subclass of cocotbext-axi's endpoint `base` with these watchers."""
    return type(prefix + base.__name__, (watchers, base), {"__module__": __name__})


LeanAxiLiteAWSource = _endpoint(LeanReset, _axil.AxiLiteAWSource)
LeanAxiLiteWSource = _endpoint(LeanReset, _axil.AxiLiteWSource)
LeanAxiLiteARSource = _endpoint(LeanReset, _axil.AxiLiteARSource)
LeanAxiLiteBSink = _endpoint(LeanSink, _axil.AxiLiteBSink)
LeanAxiLiteRSink = _endpoint(LeanSink, _axil.AxiLiteRSink)
GatedAxiLiteBSink = _endpoint(GatedSink, _axil.AxiLiteBSink, "Gated")
GatedAxiLiteRSink = _endpoint(GatedSink, _axil.AxiLiteRSink, "Gated")
LeanAxiAWSink = _endpoint(LeanSink, _axi.AxiAWSink)
LeanAxiWSink = _endpoint(LeanSink, _axi.AxiWSink)
LeanAxiARSink = _endpoint(LeanSink, _axi.AxiARSink)
LeanAxiBSource = _endpoint(LeanReset, _axi.AxiBSource)
LeanAxiRSource = _endpoint(LeanReset, _axi.AxiRSource)


def building(init: FunctionType, **classes: type) -> FunctionType:
    """cocotbext-axi's constructor `init`, creating ``classes[name]`` wherever it creates the
    class `name` (e.g. ``AxiLiteBSink=LeanAxiLiteBSink``). `init` and its module are not
    changed. A name `init` does not use is an error (a different cocotbext-axi)."""
    unused = [n for n in classes if n not in init.__code__.co_names]
    if unused:
        raise ImportError(f"{init.__qualname__} of this cocotbext-axi creates no {', '.join(unused)}: "
                          f"tb/bus/lean_streams.py was written for the version pinned in pyproject.toml")
    made = FunctionType(init.__code__, {**init.__globals__, **classes}, init.__name__,
                        init.__defaults__, init.__closure__)
    made.__kwdefaults__ = init.__kwdefaults__
    made.__qualname__, made.__doc__ = init.__qualname__, init.__doc__
    return made


# ----------------------------------------------------------------------------- AXI4-Lite master
class LeanAxiLiteMasterWrite(LeanReset, AxiLiteMasterWrite):
    __init__ = building(AxiLiteMasterWrite.__init__, AxiLiteAWSource=LeanAxiLiteAWSource,
                        AxiLiteWSource=LeanAxiLiteWSource, AxiLiteBSink=LeanAxiLiteBSink)


class LeanAxiLiteMasterRead(LeanReset, AxiLiteMasterRead):
    __init__ = building(AxiLiteMasterRead.__init__, AxiLiteARSource=LeanAxiLiteARSource,
                        AxiLiteRSink=LeanAxiLiteRSink)


async def _asking(side, sink, request):
    """Await `request` (a read or write of `side`) with `sink`'s response gate open; close it
    once `side` has no request in flight."""
    sink.response_gate.open()
    try:
        return await request
    finally:
        if not side.in_flight_operations:
            sink.response_gate.close()


class QuietAxiLiteMasterWrite(LeanAxiLiteMasterWrite):
    """Its B sink watches BVALID only while a write is in flight."""

    __init__ = building(AxiLiteMasterWrite.__init__, AxiLiteAWSource=LeanAxiLiteAWSource,
                        AxiLiteWSource=LeanAxiLiteWSource, AxiLiteBSink=GatedAxiLiteBSink)

    async def write(self, *args, **kwargs):
        return await _asking(self, self.b_channel, super().write(*args, **kwargs))


class QuietAxiLiteMasterRead(LeanAxiLiteMasterRead):
    """Its R sink watches RVALID only while a read is in flight."""

    __init__ = building(AxiLiteMasterRead.__init__, AxiLiteARSource=LeanAxiLiteARSource,
                        AxiLiteRSink=GatedAxiLiteRSink)

    async def read(self, *args, **kwargs):
        return await _asking(self, self.r_channel, super().read(*args, **kwargs))


class LeanAxiLiteMaster(AxiLiteMaster):
    """cocotbext-axi's AxiLiteMaster on lean channel endpoints (see the module)."""

    __init__ = building(AxiLiteMaster.__init__, AxiLiteMasterWrite=LeanAxiLiteMasterWrite,
                        AxiLiteMasterRead=LeanAxiLiteMasterRead)


class QuietAxiLiteMaster(LeanAxiLiteMaster):
    """A :class:`LeanAxiLiteMaster` whose B and R sinks watch VALID only while it has a
    request in flight: an idle control bus registers no simulator callback."""

    __init__ = building(AxiLiteMaster.__init__, AxiLiteMasterWrite=QuietAxiLiteMasterWrite,
                        AxiLiteMasterRead=QuietAxiLiteMasterRead)


# ----------------------------------------------------------------------------- AXI4 RAM
class LeanAxiSlaveWrite(LeanReset, AxiSlaveWrite):
    __init__ = building(AxiSlaveWrite.__init__, AxiAWSink=LeanAxiAWSink, AxiWSink=LeanAxiWSink,
                        AxiBSource=LeanAxiBSource)


class LeanAxiSlaveRead(LeanReset, AxiSlaveRead):
    __init__ = building(AxiSlaveRead.__init__, AxiARSink=LeanAxiARSink, AxiRSource=LeanAxiRSource)


class LeanAxiRamWrite(AxiRamWrite, LeanAxiSlaveWrite):
    """cocotbext-axi's AxiRamWrite on lean channel endpoints (its AxiSlaveWrite base is
    :class:`LeanAxiSlaveWrite`)."""


class LeanAxiRamRead(AxiRamRead, LeanAxiSlaveRead):
    """cocotbext-axi's AxiRamRead on lean channel endpoints (its AxiSlaveRead base is
    :class:`LeanAxiSlaveRead`)."""


# ----------------------------------------------------------------------------- AXI4-Stream
class LeanAxiStreamSource(LeanReset, AxiStreamSource):
    """cocotbext-axi's AxiStreamSource with the lean reset watcher."""


class LeanAxiStreamSink(LeanReset, AxiStreamSink):
    """cocotbext-axi's AxiStreamSink with the lean reset watcher."""


class LeanAxiStreamMonitor(LeanReset, AxiStreamMonitor):
    """cocotbext-axi's AxiStreamMonitor with the lean reset watcher."""
