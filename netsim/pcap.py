"""Packet capture of the simulated BNNsplit network, and reading captures back into messages.

:class:`PcapRecorder` is a wire tap: every frame that goes onto any cable (host and board
ports, switch ports) is written to one classic pcap file (linktype 1 = Ethernet, nanosecond
timestamps) with its simulation time, i.e. the time its first bit left the transmitter.
Retransmissions, duplicates, frames that will be lost further along and corrupted frames are
all in it, as they were on the cable. Behind a switch a frame appears once per cable it
crosses (node->switch, then switch->node), as on a mirror port of each; with
``hops="first"`` only the cables leaving the host and the boards are captured, so each frame
appears once (Wireshark's TCP analysis then shows only real retransmissions).

Frames are stored **without** their FCS, as Wireshark expects for linktype 1; the model checks
the real FCS itself. A corrupted frame therefore shows its flipped bits but not its bad FCS;
in the capture it is still recognisable by a bad IPv4 or TCP/UDP checksum (Wireshark's
checksum validation, or :func:`read_messages`), unless the flip hit only MAC addresses or
padding, which leaves the carried data intact anyway.

:func:`read_messages` parses a capture back (scapy ``rdpcap``): per connection it drops frames
with bad checksums, discards duplicate segments, re-assembles the byte stream (sequence numbers
start at 0, as in the model) and decodes the BNSP messages in order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from scapy.utils import PcapWriter, rdpcap

from .faults import FaultDecision
from .frames import FCS_BYTES, parse_frame
from .messages import Message, StreamDecoder
from .simtime import PS_PER_S
from .transport import unwrap
from .wire import Wire

DLT_EN10MB = 1
# "all": every cable; "first": only cables leaving a host or board (each frame once, which
# keeps Wireshark's TCP analysis free of the switch's second copy).
HOPS = ("all", "first")


@dataclass(frozen=True)
class TappedFrame:
    """One frame as the tap saw it (kept in memory when ``keep=True``)."""

    time_ps: int
    wire: str
    frame: bytes  # with FCS
    corrupted: bool
    dropped: Optional[str]  # lost further along the cable ("loss", "burst") or None


class PcapRecorder:
    """Tap for :class:`~netsim.network.Network` (pass ``recorder.record`` as ``tap``)."""

    def __init__(self, path: Optional[str | os.PathLike] = None, keep: bool = False,
                 hops: str = "all"):
        if hops not in HOPS:
            raise ValueError(f"hops must be one of {HOPS}, got {hops!r}")
        self.path = path
        self.keep = keep
        self.hops = hops
        self.frames: list[TappedFrame] = []
        self.count = 0
        self._writer = None
        if path is not None:
            self._writer = PcapWriter(os.fspath(path), linktype=DLT_EN10MB, nano=True, sync=False)
            self._writer.write_header(None)

    def record(self, time_ps: int, frame: bytes, wire: Wire, decision: FaultDecision) -> None:
        if self.hops == "first" and wire.name.startswith("switch->"):
            return
        self.count += 1
        if self.keep:
            self.frames.append(TappedFrame(time_ps, wire.name, frame, decision.corrupted, decision.drop))
        if self._writer is not None:
            sec, rest = divmod(time_ps, PS_PER_S)
            self._writer.write_packet(frame[:-FCS_BYTES], sec=sec, usec=rest // 1000)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> "PcapRecorder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class CapturedMessage:
    time_ps: int  # capture time of the frame that completed the message
    src: tuple[str, int]  # (IPv4 address, port)
    dst: tuple[str, int]
    protocol: str
    message: Message


@dataclass
class CaptureStats:
    frames: int = 0
    bad_checksum_or_foreign: int = 0
    duplicate_segments: int = 0
    pure_acks: int = 0


class _Flow:
    def __init__(self) -> None:
        self.next = 0
        self.pending: dict[int, bytes] = {}
        self.decoder = StreamDecoder()


def read_messages(path: str | os.PathLike, stats: Optional[CaptureStats] = None) -> list[CapturedMessage]:
    """All BNSP messages in a capture, each once, in per-connection stream order.

    Messages of different connections are merged in order of completion time.
    """
    stats = stats if stats is not None else CaptureStats()
    flows: dict[tuple, _Flow] = {}
    out: list[CapturedMessage] = []
    for pkt in rdpcap(os.fspath(path)):
        stats.frames += 1
        time_ps = int(pkt.time * PS_PER_S)
        dec = parse_frame(bytes(pkt), has_fcs=False)
        if dec is None:
            stats.bad_checksum_or_foreign += 1
            continue
        seg = dec.segment
        if not seg.payload:
            stats.pure_acks += 1
            continue
        key = (dec.protocol, dec.src.ip, dec.src.port, dec.dst.ip, dec.dst.port)
        flow = flows.setdefault(key, _Flow())
        seq = unwrap(seg.seq, flow.next)
        if seq + len(seg.payload) <= flow.next or seq in flow.pending:
            stats.duplicate_segments += 1
            continue
        flow.pending[seq] = seg.payload
        while flow.pending:
            first = min(flow.pending)
            if first > flow.next:
                break
            data = flow.pending.pop(first)
            tail = data[flow.next - first:]
            flow.next = max(flow.next, first + len(data))
            for msg in flow.decoder.feed(tail):
                out.append(CapturedMessage(time_ps, (dec.src.ip, dec.src.port),
                                           (dec.dst.ip, dec.dst.port), dec.protocol, msg))
    out.sort(key=lambda m: m.time_ps)  # stable: keeps stream order within equal times
    return out
