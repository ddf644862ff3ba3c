"""Reliable, in-order message transport between two boards (a small TCP).

The BNNsplit pipeline must hand every image, split tensor and score vector over exactly once
and in order even when the Ethernet drops, damages, duplicates or reorders frames. Each
:class:`Endpoint` is one end of a full-duplex connection and carries a byte stream of
:mod:`netsim.messages` in each direction:

* **Segmentation**: a message is cut into segments of at most the MSS (1460 B at MTU 1500);
  a segment never spans two messages (the application sends with TCP_NODELAY, one message at a
  time). Sequence numbers count stream bytes (32-bit on the wire, unwrapped internally).
* **Acknowledgements**: cumulative, like TCP without SACK. The receiver answers every data
  segment, including duplicates, with a pure ACK carrying the next byte it expects; data
  segments also carry the current ACK for the reverse direction.
* **Receiver**: out-of-order segments are buffered; duplicates (already received bytes) are
  discarded and counted; bytes are released to the message decoder strictly in order.
* **Retransmission**: one retransmission timer for the oldest unacknowledged segment, counted
  from when that segment left the port (a queue on a slow link is not loss). The RTO starts at
  ``rto_ps`` (raised by the network to a few unloaded round trips of a full-size frame on
  slow links, see :meth:`netsim.network.Network.connect`) and then follows RFC 6298
  (SRTT + 4 RTTVAR, clamped to ``rto_min_ps``..``rto_max_ps``) with Karn's rule: no samples
  from retransmitted segments, nor from segments sent before the latest retransmission, whose
  ACK may have waited for a repaired hole. Every timeout doubles the RTO (up to
  ``rto_max_ps``); an ACK of new data restores the computed value. Fast retransmit after
  ``dupack_threshold`` duplicate ACKs, and NewReno-style immediate retransmission of the next
  hole on a partial ACK during recovery. No congestion control: a LAN between a few boards,
  limited by the sender window and by ``nic_queue_limit`` (like Linux's TCP Small Queues, at
  most that many of a connection's frames wait in the NIC queue, so one bulk transfer does not
  delay other connections' frames and ACKs behind a long queue).
* **Failure**: when one segment has been retransmitted ``max_retries`` times and its timer
  fires again, :class:`LinkFailure` is raised out of the scheduler, naming the message, the
  retry count and how long it tried, instead of the simulation hanging.
* **Host overhead**: each message costs ``send_overhead_ps`` of the node's CPU before its first
  segment is queued and ``recv_overhead_ps`` after its last byte arrived in order, serialised
  on the node's CPU (see :class:`netsim.network.Node`). ACK handling is free (kernel/NIC).
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from .events import Scheduler
from .frames import FLAG_ACK, FLAG_PSH, Address, Segment, build_frame
from .messages import Message, StreamDecoder
from .simtime import format_duration

MOD = 1 << 32


class HostCpu(Protocol):
    """A node's software side: per-message work runs one item at a time, in order."""

    def run(self, duration_ps: int, callback: Callable, *args) -> None: ...


class Host(Protocol):
    """What an :class:`Endpoint` needs of the node it lives on (a
    :class:`netsim.network.Node`, which builds on this module): its scheduler, its CPU, the
    next IP identification and a way to put a frame on its port."""

    sched: Scheduler
    cpu: HostCpu

    def next_ip_id(self) -> int: ...

    def transmit(self, frame: bytes, dst_mac: str) -> int: ...


class TransportConfigError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class TransportConfig:
    rto_ps: int = 1_000_000_000  # 1 ms initial RTO: far above a LAN round trip, below a kernel run
    rto_min_ps: int = 200_000_000  # 200 us floor (Linux uses 200 ms; this is a quiet LAN)
    rto_max_ps: int = 64_000_000_000  # 64 ms cap on the exponential backoff
    adaptive_rto: bool = True  # False: fixed initial RTO (still doubled on timeouts)
    nic_queue_limit: int = 2  # own data frames allowed to wait in the NIC queue; 0 = no limit
    max_retries: int = 15  # as Linux tcp_retries2: carries 20% frame loss without giving up
    window_bytes: int = 65535  # bytes in flight per direction
    dupack_threshold: int = 3

    def validate(self) -> None:
        for f in ("rto_ps", "rto_min_ps", "rto_max_ps", "max_retries", "window_bytes",
                  "dupack_threshold", "nic_queue_limit"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TransportConfigError(f"{f} must be int, got {v!r}")
        if not 0 < self.rto_min_ps <= self.rto_max_ps or not 0 < self.rto_ps <= self.rto_max_ps:
            raise TransportConfigError(
                f"need 0 < rto_min_ps <= rto_max_ps and 0 < rto_ps <= rto_max_ps, got "
                f"rto_ps={self.rto_ps}, rto_min_ps={self.rto_min_ps}, rto_max_ps={self.rto_max_ps}")
        if self.max_retries < 0:
            raise TransportConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.window_bytes < 1:
            raise TransportConfigError(f"window_bytes must be >= 1, got {self.window_bytes}")
        if self.nic_queue_limit < 0:
            raise TransportConfigError(f"nic_queue_limit must be >= 0, got {self.nic_queue_limit}")
        if self.dupack_threshold < 1:
            raise TransportConfigError(f"dupack_threshold must be >= 1, got {self.dupack_threshold}")


class LinkFailure(RuntimeError):
    """A segment stayed unacknowledged after the retry limit: the link is considered dead."""

    def __init__(self, endpoint: str, message: Message, retries: int, first_sent_ps: int, now_ps: int):
        self.endpoint = endpoint
        self.message = message
        self.retries = retries
        super().__init__(
            f"{endpoint}: {message!r} not acknowledged after {retries} retransmissions "
            f"({format_duration(now_ps - first_sent_ps)} since first sent); link considered down")


def unwrap(value32: int, reference: int) -> int:
    """Full sequence number closest to ``reference`` whose low 32 bits are ``value32``."""
    delta = (value32 - reference) % MOD
    if delta >= MOD // 2:
        delta -= MOD
    return reference + delta


class _Outgoing:
    """A data segment the sender owns until it is acknowledged."""

    __slots__ = ("seq", "payload", "message", "retries", "first_sent", "departed")

    def __init__(self, seq: int, payload: bytes, message: Message):
        self.seq = seq
        self.payload = payload
        self.message = message
        self.retries = 0
        self.first_sent = -1  # handed to the node (for error messages)
        self.departed = -1  # latest transmission's start on the wire (timer and RTT reference)

    @property
    def end(self) -> int:
        return self.seq + len(self.payload)


class Endpoint:
    """One end of a reliable connection, living on a :class:`~netsim.network.Node`.

    Set :attr:`on_message` to receive messages; call :meth:`send` to send one.
    """

    def __init__(self, node: Host, local: Address, remote: Address, protocol: str, mss: int,
                 config: TransportConfig, name: str,
                 send_overhead_ps: int = 0, recv_overhead_ps: int = 0,
                 initial_rto_ps: Optional[int] = None):
        config.validate()
        self.node = node
        self.sched = node.sched
        self.local, self.remote = local, remote
        self.protocol = protocol
        self.mss = mss
        self.config = config
        self.name = name
        self.send_overhead_ps = send_overhead_ps
        self.recv_overhead_ps = recv_overhead_ps
        self.on_message: Optional[Callable[[Message], None]] = None
        self.counters: Counter[str] = Counter()
        # sender
        self._snd_una = 0  # oldest unacknowledged byte
        self._snd_nxt = 0  # next new byte to transmit
        self._snd_end = 0  # end of everything queued
        self._unsent: deque[_Outgoing] = deque()
        self._inflight: OrderedDict[int, _Outgoing] = OrderedDict()
        self._inflight_bytes = 0
        self._timer = None
        self._initial_rto = min(max(initial_rto_ps or config.rto_ps, config.rto_ps), config.rto_max_ps)
        self._rto = self._initial_rto  # current timer value (backed off on timeouts)
        self._srtt: Optional[int] = None
        self._rttvar = 0
        self._last_retransmit = -1  # departure time of the latest retransmission
        self._dupacks = 0
        self._recover: Optional[int] = None  # NewReno recovery point while recovering
        self._nic_waiting: deque[int] = deque()  # departure times of our frames still queued
        self._wake = None
        # receiver
        self._rcv_nxt = 0
        self._ooo: dict[int, bytes] = {}
        self._decoder = StreamDecoder()
        self.closed = False
        # Called with the LinkFailure instead of raising it, if set (failover mode).
        self.on_failure: Optional[Callable[[LinkFailure], None]] = None

    # ---- application side -------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send one message (after the node's per-message software overhead)."""
        if self.closed:
            self.counters["sent_after_abort"] += 1
            return
        self.counters["messages_sent"] += 1
        self.node.cpu.run(self.send_overhead_ps, self._enqueue, message)

    def abort(self) -> None:
        """Give up on this connection (its peer is declared dead): drop everything queued or
        unacknowledged, stop the timers, send nothing more."""
        self.closed = True
        self._stop_timer()
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        self.counters["aborted_messages"] += len({id(s.message) for s in (*self._unsent, *self._inflight.values())})
        self._unsent.clear()
        self._inflight.clear()
        self._inflight_bytes = 0

    @property
    def idle(self) -> bool:
        """Nothing queued or unacknowledged in the sending direction."""
        return not self._unsent and not self._inflight

    def _enqueue(self, message: Message) -> None:
        if self.closed:
            return
        data = message.encode()
        for off in range(0, len(data), self.mss):
            chunk = data[off:off + self.mss]
            self._unsent.append(_Outgoing(self._snd_end, chunk, message))
            self._snd_end += len(chunk)
        self._pump()

    def _window_open(self) -> bool:
        nxt = self._unsent[0]
        return not self._inflight or self._inflight_bytes + len(nxt.payload) <= self.config.window_bytes

    def _nic_room(self) -> bool:
        """Like Linux TCP Small Queues: keep only a few of our frames waiting in the NIC, so
        a slow link's queue does not build up (and delay ACKs of other connections)."""
        now = self.sched.now()
        while self._nic_waiting and self._nic_waiting[0] <= now:
            self._nic_waiting.popleft()
        limit = self.config.nic_queue_limit
        return limit == 0 or len(self._nic_waiting) < limit

    def _pump(self) -> None:
        """Transmit new segments while the window and the NIC queue allow."""
        while self._unsent and self._window_open() and self._nic_room():
            seg = self._unsent.popleft()
            self._inflight[seg.seq] = seg
            self._inflight_bytes += len(seg.payload)
            self._snd_nxt = seg.end
            seg.first_sent = self.sched.now()
            self._transmit(seg)
            if seg.departed > self.sched.now():
                self._nic_waiting.append(seg.departed)
            self.counters["segments_sent"] += 1
        if self._unsent and self._wake is None and self._window_open() and not self._nic_room():
            # Blocked by the NIC queue only: try again when our oldest waiting frame leaves.
            self._wake = self.sched.call_at(self._nic_waiting[0], self._on_wake)
        if self._inflight and self._timer is None:
            self._arm_timer()

    def _on_wake(self) -> None:
        self._wake = None
        self._pump()

    def _transmit(self, seg: _Outgoing) -> None:
        self.counters["data_frames"] += 1
        seg.departed = self._emit(Segment(seg.seq, self._rcv_nxt, FLAG_ACK | FLAG_PSH, seg.payload))

    def _emit(self, seg: Segment) -> int:
        frame = build_frame(self.protocol, self.local, self.remote, seg, self.node.next_ip_id())
        return self.node.transmit(frame, self.remote.mac)

    # ---- retransmission ---------------------------------------------------------------

    def _computed_rto(self, sample: Optional[int]) -> int:
        """RFC 6298 estimator in integer ps; called when an ACK advances, which also ends
        any exponential backoff (the estimate itself is only fed by valid samples)."""
        cfg = self.config
        if not cfg.adaptive_rto:
            return self._initial_rto
        if sample is not None:
            if self._srtt is None:
                self._srtt, self._rttvar = sample, sample // 2
            else:
                self._rttvar = (3 * self._rttvar + abs(self._srtt - sample)) // 4
                self._srtt = (7 * self._srtt + sample) // 8
            self.counters["rtt_samples"] += 1
        if self._srtt is None:
            return self._initial_rto
        return min(max(self._srtt + 4 * self._rttvar, cfg.rto_min_ps), cfg.rto_max_ps)

    @property
    def srtt_ps(self) -> Optional[int]:
        """Smoothed round-trip time, None before the first sample."""
        return self._srtt

    def _arm_timer(self) -> None:
        """(Re)start the timer for the oldest unacknowledged segment, counted from when it
        left the port (it may still be queued behind other frames)."""
        if self._timer is not None:
            self._timer.cancel()
        oldest = next(iter(self._inflight.values()))
        start = max(self.sched.now(), oldest.departed)
        self._timer = self.sched.call_at(start + self._rto, self._on_timeout)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _retransmit_oldest(self, why: str) -> None:
        seg = next(iter(self._inflight.values()))
        seg.retries += 1
        self.counters["retransmissions"] += 1
        self.counters[why] += 1
        self._transmit(seg)
        self._last_retransmit = seg.departed

    def _on_timeout(self) -> None:
        self._timer = None
        if not self._inflight:
            return
        oldest = next(iter(self._inflight.values()))
        if oldest.retries >= self.config.max_retries:
            self.counters["failures"] += 1
            failure = LinkFailure(self.name, oldest.message, oldest.retries, oldest.first_sent, self.sched.now())
            if self.on_failure is not None:     # failover mode: the peer is dead, not the run
                self.abort()
                self.on_failure(failure)
                return
            raise failure
        self._retransmit_oldest("timeouts")
        self._rto = min(self._rto * 2, self.config.rto_max_ps)
        self._recover = self._snd_nxt
        self._dupacks = 0
        self._arm_timer()

    # ---- frames from the network ------------------------------------------------------

    def receive(self, seg: Segment) -> None:
        """Called by the node for each intact frame of this connection."""
        if self.closed:
            return
        if seg.flags & FLAG_ACK:
            self._on_ack(unwrap(seg.ack, self._snd_una), bool(seg.payload))
        if seg.payload:
            self._on_data(unwrap(seg.seq, self._rcv_nxt), seg.payload)

    def _on_ack(self, ack: int, carries_data: bool) -> None:
        c = self.counters
        if ack > self._snd_nxt:
            c["bogus_acks"] += 1  # acknowledges bytes never sent: ignore
            return
        if ack > self._snd_una:
            c["acks_advanced"] += 1
            sample = None
            while self._inflight:
                seq, seg = next(iter(self._inflight.items()))
                if seg.end > ack:
                    break
                del self._inflight[seq]
                self._inflight_bytes -= len(seg.payload)
                # Karn: no samples from retransmitted segments, nor from segments sent before
                # the latest retransmission (their ACK may have waited for a repaired hole).
                if seg.retries == 0 and seg.departed > self._last_retransmit:
                    sample = self.sched.now() - seg.departed
            self._snd_una = ack
            self._dupacks = 0
            self._rto = self._computed_rto(sample)
            if self._recover is not None:
                if ack >= self._recover:
                    self._recover = None
                elif self._inflight:
                    self._retransmit_oldest("partial_ack_retransmits")
            if self._inflight:
                self._arm_timer()
            else:
                self._stop_timer()
            self._pump()
        elif ack == self._snd_una and self._inflight and not carries_data:
            self._dupacks += 1
            c["dup_acks"] += 1
            if self._dupacks == self.config.dupack_threshold and self._recover is None:
                self._recover = self._snd_nxt
                self._retransmit_oldest("fast_retransmits")

    def _on_data(self, seq: int, payload: bytes) -> None:
        c = self.counters
        end = seq + len(payload)
        if end <= self._rcv_nxt or seq in self._ooo:
            c["duplicates_discarded"] += 1
        elif seq > self._rcv_nxt:
            c["out_of_order"] += 1
            self._ooo[seq] = payload
        else:
            fresh = [payload[self._rcv_nxt - seq:]]
            self._rcv_nxt = end
            while self._ooo:  # pull in buffered segments that are now contiguous
                nxt = min(self._ooo)
                if nxt > self._rcv_nxt:
                    break
                data = self._ooo.pop(nxt)
                if nxt + len(data) > self._rcv_nxt:
                    fresh.append(data[self._rcv_nxt - nxt:])
                    self._rcv_nxt = nxt + len(data)
            for msg in self._decoder.feed(b"".join(fresh)):
                self.node.cpu.run(self.recv_overhead_ps, self._deliver, msg)
        c["acks_sent"] += 1
        self._emit(Segment(self._snd_nxt, self._rcv_nxt, FLAG_ACK))

    def _deliver(self, message: Message) -> None:
        self.counters["messages_delivered"] += 1
        if self.on_message is not None:
            self.on_message(message)

    def __repr__(self) -> str:
        return f"Endpoint({self.name})"
