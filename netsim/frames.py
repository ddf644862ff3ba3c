"""Gigabit Ethernet frames as they are on the wire between the host and the PYNQ-Z1 boards.

Each transport segment becomes one Ethernet II frame built with scapy
(``Ether / IP / TCP|UDP / Raw``) plus a real FCS. What a frame costs on the wire::

    preamble + SFD        8 B   (not part of the frame)
    Ethernet header      14 B   dst MAC, src MAC, ethertype 0x0800
    IPv4 header          20 B   no options, DF set, real header checksum
    TCP header           20 B   (protocol "tcp": seq/ack/flags carry the reliable transport)
      or UDP header       8 B   (protocol "udp": followed by the 12-byte shim below)
    payload              <= MTU - IP - transport headers (1460 B for both protocols at MTU 1500)
    padding                     zeros up to the 60-byte minimum before the FCS
    FCS                   4 B   CRC-32 (zlib.crc32) of the frame, little-endian on the wire
    inter-frame gap      12 B   idle line after the frame

so a frame occupies the line for ``8 + max(len(frame) + 4, 64) + 12`` byte times.

The UDP shim carries what TCP's header would (so the reliable transport is the same for both),
``struct`` format ``<IIHH``: seq u32, ack u32, flags u16 (TCP's bit values: ACK 0x10,
PSH 0x08), reserved u16 = 0.

There is no TCP handshake in the model: a connection counts as established at time 0 and
sequence numbers start at 0. Wireshark decodes such mid-stream captures fine.
"""

from __future__ import annotations

import socket
import struct
import zlib
from dataclasses import dataclass

from scapy.layers.inet import IP, TCP, UDP, in4_chksum
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import checksum

PREAMBLE_SFD_BYTES = 8
ETH_HEADER_BYTES = 14
IPV4_HEADER_BYTES = 20
TCP_HEADER_BYTES = 20
UDP_HEADER_BYTES = 8
SHIM = struct.Struct("<IIHH")
SHIM_BYTES = SHIM.size  # 12
FCS_BYTES = 4
MIN_FRAME_BYTES = 64  # incl. FCS, excl. preamble
IFG_BYTES = 12
DEFAULT_MTU = 1500
MIN_MTU = 576  # IPv4 minimum reassembly size: keeps segments a sane size

FLAG_PSH = 0x08
FLAG_ACK = 0x10
PROTOCOLS = ("tcp", "udp")


def transport_overhead(protocol: str) -> int:
    """IP + transport header bytes per segment (incl. the UDP shim)."""
    if protocol == "tcp":
        return IPV4_HEADER_BYTES + TCP_HEADER_BYTES
    if protocol == "udp":
        return IPV4_HEADER_BYTES + UDP_HEADER_BYTES + SHIM_BYTES
    raise ValueError(f"unknown protocol {protocol!r}, expected one of {PROTOCOLS}")


def max_segment_payload(mtu: int, protocol: str) -> int:
    """Largest transport payload per frame (TCP's MSS) for this MTU."""
    if mtu < MIN_MTU:
        raise ValueError(f"MTU {mtu} below the minimum {MIN_MTU}")
    return mtu - transport_overhead(protocol)


def fcs(frame: bytes) -> bytes:
    """Ethernet FCS of a frame without FCS: CRC-32, sent least significant byte first."""
    return (zlib.crc32(frame) & 0xFFFFFFFF).to_bytes(4, "little")


def fcs_ok(frame_with_fcs: bytes) -> bool:
    return len(frame_with_fcs) > FCS_BYTES and fcs(frame_with_fcs[:-FCS_BYTES]) == frame_with_fcs[-FCS_BYTES:]


def pad_and_fcs(frame: bytes) -> bytes:
    """Zero-pad to the 60-byte minimum and append the FCS."""
    short = MIN_FRAME_BYTES - FCS_BYTES - len(frame)
    if short > 0:
        frame += bytes(short)
    return frame + fcs(frame)


def wire_bytes(frame_with_fcs: bytes | int) -> int:
    """Byte times a frame occupies the line: preamble/SFD + frame (>= 64 B) + inter-frame gap."""
    n = frame_with_fcs if isinstance(frame_with_fcs, int) else len(frame_with_fcs)
    return PREAMBLE_SFD_BYTES + max(n, MIN_FRAME_BYTES) + IFG_BYTES


@dataclass(frozen=True)
class Address:
    """Where a connection end lives: the board's MAC and IPv4 address and the port."""

    mac: str
    ip: str
    port: int


@dataclass(frozen=True)
class Segment:
    """One reliable-transport segment (sequence numbers are 32-bit on the wire)."""

    seq: int
    ack: int
    flags: int
    payload: bytes = b""


@dataclass(frozen=True)
class Decoded:
    """A frame parsed back: who sent it to whom, over which protocol, carrying what."""

    src: Address
    dst: Address
    protocol: str
    segment: Segment
    ip_id: int


def build_frame(protocol: str, src: Address, dst: Address, seg: Segment, ip_id: int = 0) -> bytes:
    """Ethernet frame (with padding and FCS) carrying one segment."""
    eth = Ether(src=src.mac, dst=dst.mac)
    ip = IP(src=src.ip, dst=dst.ip, id=ip_id & 0xFFFF, flags="DF", ttl=64)
    if protocol == "tcp":
        l4 = TCP(sport=src.port, dport=dst.port, seq=seg.seq & 0xFFFFFFFF,
                 ack=seg.ack & 0xFFFFFFFF, flags=seg.flags, window=65535)
        data = seg.payload
    elif protocol == "udp":
        l4 = UDP(sport=src.port, dport=dst.port)
        data = SHIM.pack(seg.seq & 0xFFFFFFFF, seg.ack & 0xFFFFFFFF, seg.flags, 0) + seg.payload
    else:
        raise ValueError(f"unknown protocol {protocol!r}, expected one of {PROTOCOLS}")
    pkt = eth / ip / l4 / Raw(data) if data else eth / ip / l4
    return pad_and_fcs(bytes(pkt))


def build_udp_datagram(src: Address, dst: Address, payload: bytes, ip_id: int = 0) -> bytes:
    """A plain UDP datagram frame (no shim, no reliability), with padding and FCS."""
    if len(payload) + IPV4_HEADER_BYTES + UDP_HEADER_BYTES > DEFAULT_MTU:
        raise ValueError("datagram larger than the MTU; use the transport, which segments")
    pkt = (Ether(src=src.mac, dst=dst.mac) / IP(src=src.ip, dst=dst.ip, id=ip_id, flags="DF")
           / UDP(sport=src.port, dport=dst.port) / Raw(payload))
    return pad_and_fcs(bytes(pkt))


def parse_frame(frame: bytes, has_fcs: bool = True) -> Decoded | None:
    """Parse a frame back into a :class:`Decoded`, or None when it must be dropped.

    Dropped: bad FCS (when ``has_fcs``), not IPv4, not TCP/UDP, bad IPv4 header checksum,
    bad TCP/UDP checksum, truncated. The checksums matter for pcap files, which store frames
    without FCS: they still catch corrupted frames (any 1-bit flip in the IP or transport part).
    """
    if has_fcs:
        if not fcs_ok(frame):
            return None
        frame = frame[:-FCS_BYTES]
    try:
        pkt = Ether(frame)
    except Exception:  # scapy raises assorted errors on garbage
        return None
    if not pkt.haslayer(IP) or pkt.type != 0x0800:
        return None
    ip = pkt[IP]
    ihl = ip.ihl * 4
    ip_start = ETH_HEADER_BYTES
    ip_end = ip_start + (ip.len or 0)
    if ihl < IPV4_HEADER_BYTES or ip_end > len(frame) or ip.len < ihl or ip.frag or ip.flags.MF:
        return None
    if checksum(frame[ip_start:ip_start + ihl]) != 0:
        return None
    l4_bytes = frame[ip_start + ihl:ip_end]
    if ip.proto == socket.IPPROTO_TCP and pkt.haslayer(TCP):
        if in4_chksum(socket.IPPROTO_TCP, ip, l4_bytes) != 0:
            return None
        tcp = pkt[TCP]
        off = tcp.dataofs * 4
        if off < TCP_HEADER_BYTES or off > len(l4_bytes):
            return None
        seg = Segment(tcp.seq, tcp.ack, int(tcp.flags) & 0xFF, bytes(l4_bytes[off:]))
        proto, sport, dport = "tcp", tcp.sport, tcp.dport
    elif ip.proto == socket.IPPROTO_UDP and pkt.haslayer(UDP):
        udp = pkt[UDP]
        if udp.len != len(l4_bytes):
            return None
        if udp.chksum and in4_chksum(socket.IPPROTO_UDP, ip, l4_bytes) != 0:
            return None
        body = l4_bytes[UDP_HEADER_BYTES:]
        if len(body) < SHIM_BYTES:
            return None
        sseq, sack, sflags, _ = SHIM.unpack_from(body)
        seg = Segment(sseq, sack, sflags, bytes(body[SHIM_BYTES:]))
        proto, sport, dport = "udp", udp.sport, udp.dport
    else:
        return None
    return Decoded(Address(pkt.src, ip.src, sport), Address(pkt.dst, ip.dst, dport), proto, seg, ip.id)
