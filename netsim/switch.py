"""A store-and-forward Gigabit Ethernet switch joining the host and the PYNQ-Z1 boards.

The boards have one Ethernet port each, so a real multi-board setup goes through a switch.
A frame is forwarded only once it has been received completely (the ingress wire calls
:meth:`Switch.receive` when the last bit has arrived), its FCS has been checked (corrupted
frames die here, as in a real store-and-forward switch), and a fixed forwarding latency has
passed; it is then queued on the egress port towards its destination MAC. Egress ports are
:class:`~netsim.wire.Wire` objects with their own FIFO, so several conv boards sending to the
one FC board contend for that port. Buffers are unbounded (no tail drop).
"""

from __future__ import annotations

from collections import Counter

from .events import Scheduler
from .frames import fcs_ok
from .wire import Wire


def _mac_of(frame: bytes) -> str:
    return ":".join(f"{b:02x}" for b in frame[:6])


class Switch:
    def __init__(self, sched: Scheduler, name: str = "switch", latency_ps: int = 0):
        if latency_ps < 0:
            raise ValueError(f"switch latency must be >= 0, got {latency_ps}")
        self.sched = sched
        self.name = name
        self.latency_ps = int(latency_ps)
        self.ports: dict[str, Wire] = {}  # destination MAC -> egress wire
        self.counters: Counter[str] = Counter()

    def attach(self, mac: str, egress: Wire) -> None:
        """Learn that ``mac`` is reached through ``egress`` (static MAC table)."""
        self.ports[mac.lower()] = egress

    def receive(self, frame: bytes) -> None:
        """A frame has fully arrived on some ingress port."""
        c = self.counters
        c["frames_in"] += 1
        if not fcs_ok(frame):
            c["fcs_dropped"] += 1
            return
        egress = self.ports.get(_mac_of(frame))
        if egress is None:
            c["unknown_dst_dropped"] += 1
            return
        c["forwarded"] += 1
        if self.latency_ps:
            self.sched.call_later(self.latency_ps, egress.send, frame)
        else:
            egress.send(frame)
