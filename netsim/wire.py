"""One direction of a full-duplex Gigabit Ethernet cable: a transmitter with a FIFO queue.

A PYNQ-Z1 board's Ethernet port (or a switch port, or the host NIC) hands frames to a
:class:`Wire`; frames leave one after the other at the line rate. For a frame of ``n`` bytes
(FCS included, padded to 64) starting at time ``t``::

    last bit arrives at the far end  t + (8 + n) * 8 / rate + propagation (+ jitter, reorder delay)
    transmitter free again           t + (8 + n + 12) * 8 / rate      (preamble .. inter-frame gap)

Faults (:mod:`netsim.faults`) are decided when the frame starts. An optional tap sees every
frame that actually goes onto the cable, as it is on the cable: retransmissions, duplicates,
corrupted bits and frames that will be lost further along. Frames sent while the link is down
never reach the cable: they are dropped (at line rate, the sender does not notice) and are not
tapped. Time is integer picoseconds; the wire only schedules callbacks, never polls.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Callable, Optional

from .events import Scheduler
from .faults import FaultDecision, FaultInjector
from .frames import MIN_FRAME_BYTES, PREAMBLE_SFD_BYTES, wire_bytes
from .simtime import bits_to_ps

Sink = Callable[[bytes], None]
Tap = Callable[[int, bytes, "Wire", FaultDecision], None]


class Wire:
    def __init__(self, sched: Scheduler, name: str, rate_bps: float, propagation_ps: int,
                 sink: Optional[Sink] = None, faults: Optional[FaultInjector] = None,
                 tap: Optional[Tap] = None):
        if rate_bps <= 0:
            raise ValueError(f"{name}: line rate must be positive, got {rate_bps!r}")
        if propagation_ps < 0:
            raise ValueError(f"{name}: propagation delay must be >= 0, got {propagation_ps!r}")
        self.sched = sched
        self.name = name
        self.rate_bps = rate_bps
        self.propagation_ps = int(propagation_ps)
        self.sink = sink
        self.faults = faults
        self.tap = tap
        self.counters: Counter[str] = Counter()
        self._queue: deque[tuple[bytes, bool]] = deque()
        self._busy = False
        self._last_arrival = 0  # jitter must not reorder: arrivals never go backwards
        self._free_at = 0  # when the transmitter will have sent everything queued so far
        self.busy_ps = 0

    @property
    def busy(self) -> bool:
        return self._busy

    def slot_ps(self, frame_len: int) -> int:
        """Line time of a frame: preamble/SFD + frame + inter-frame gap."""
        return bits_to_ps(wire_bytes(frame_len) * 8, self.rate_bps)

    def send(self, frame: bytes) -> int:
        """Queue a complete frame (FCS included); returns when it will start on the wire.

        The departure time lets a transport start its retransmission timer when the frame
        leaves the port rather than when it joined the queue (a slow link's queue is not loss).
        """
        if len(frame) < MIN_FRAME_BYTES:
            raise ValueError(f"{self.name}: runt frame of {len(frame)} bytes (pad to {MIN_FRAME_BYTES})")
        departure = max(self.sched.now(), self._free_at)
        self._free_at = departure + self.slot_ps(len(frame))
        self._queue.append((frame, False))
        if not self._busy:
            self._start_next()
        return departure

    def _start_next(self) -> None:
        frame, is_duplicate = self._queue.popleft()
        start = self.sched.now()
        n = len(frame)
        last_bit = bits_to_ps((PREAMBLE_SFD_BYTES + n) * 8, self.rate_bps)
        occupy = self.slot_ps(n)
        d = self.faults.decide(frame, start, start + occupy) if self.faults else FaultDecision(frame)
        c = self.counters
        if d.drop == "down":
            c["down_dropped"] += 1
        else:
            c["frames"] += 1
            c["frame_bytes"] += n
            c["wire_bytes"] += wire_bytes(n)
            c["duplicates_sent"] += is_duplicate
            if self.tap is not None:
                self.tap(start, d.frame, self, d)
            if d.corrupted:
                c["corrupted"] += 1
            if d.drop is not None:
                c["lost" if d.drop == "loss" else "burst_lost"] += 1
            else:
                arrival = start + last_bit + self.propagation_ps + d.jitter_ps
                c["jittered"] += d.jitter_ps > 0
                if d.reorder_delay_ps:
                    c["reordered"] += 1
                    arrival += d.reorder_delay_ps  # held back; later frames overtake it
                else:
                    arrival = max(arrival, self._last_arrival)
                    self._last_arrival = arrival
                self.sched.call_at(arrival, self._deliver, d.frame)
        if d.duplicate and not is_duplicate:
            c["duplicated"] += 1
            self._queue.appendleft((frame, True))  # the copy goes out right behind the original
            self._free_at = max(self._free_at, start + occupy) + occupy
        self._busy = True
        self.busy_ps += occupy
        self.sched.call_later(occupy, self._done)

    def _done(self) -> None:
        self._busy = False
        if self._queue:
            self._start_next()

    def _deliver(self, frame: bytes) -> None:
        self.counters["delivered"] += 1
        if self.sink is not None:
            self.sink(frame)

    def utilisation(self, elapsed_ps: int) -> float:
        return self.busy_ps / elapsed_ps if elapsed_ps > 0 else 0.0

    def __repr__(self) -> str:
        return f"Wire({self.name}, {self.rate_bps:g} b/s)"
