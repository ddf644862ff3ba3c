"""Ethernet frames on the wire: exact byte counts, padding, the real CRC-32 FCS."""

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from netsim import frames as f
from netsim.messages import tensor_message

A = f.Address("02:00:00:00:00:01", "10.0.0.1", 49152)
B = f.Address("02:00:00:00:00:02", "10.0.0.2", 49153)


def crc32_ieee8023(data: bytes) -> int:
    """Bitwise CRC-32 as IEEE 802.3 defines it (reflected poly 0x04C11DB7, init/xorout ~0)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_reference_crc_matches_the_standard_check_value():
    assert crc32_ieee8023(b"123456789") == 0xCBF43926


def test_64_byte_tensor_in_one_udp_datagram():
    msg = tensor_message(5, bytes(range(64)))
    frame = f.build_udp_datagram(A, B, msg.encode())
    # Ethernet 14 + IPv4 20 + UDP 8 + (16-byte BNSP header + 64) + FCS 4, no padding needed.
    assert len(frame) == 14 + 20 + 8 + (16 + 64) + 4
    # On the line: + preamble/SFD 8 + inter-frame gap 12.
    assert f.wire_bytes(frame) == 8 + 14 + 20 + 8 + (16 + 64) + 4 + 12
    # FCS is the IEEE CRC-32 of everything before it, least significant byte first.
    assert frame[-4:] == crc32_ieee8023(frame[:-4]).to_bytes(4, "little")
    p = Ether(frame[:-4])
    assert p[IP].src == A.ip and p[UDP].dport == B.port and bytes(p[UDP].payload) == msg.encode()


def test_pure_ack_is_padded_to_the_64_byte_minimum():
    frame = f.build_frame("tcp", A, B, f.Segment(0, 1234, f.FLAG_ACK))
    # 14 + 20 + 20 = 54 bytes of headers -> zero padding to 60, then FCS = 64.
    assert len(frame) == 64
    assert frame[54:60] == bytes(6)
    assert f.wire_bytes(frame) == 8 + 64 + 12
    assert f.fcs_ok(frame)


@pytest.mark.parametrize("protocol,overhead", [("tcp", 20 + 20), ("udp", 20 + 8 + 12)])
def test_segment_round_trip_and_mss(protocol, overhead):
    assert f.max_segment_payload(1500, protocol) == 1500 - overhead
    payload = bytes(range(256)) * 5 + bytes(180)  # 1460 bytes: a full-size segment
    seg = f.Segment(2**32 + 17, 99, f.FLAG_ACK | f.FLAG_PSH, payload)
    frame = f.build_frame(protocol, A, B, seg, ip_id=7)
    assert len(frame) == 14 + overhead + len(payload) + 4 == 1518  # the Ethernet maximum
    dec = f.parse_frame(frame)
    assert dec is not None and dec.protocol == protocol
    assert dec.src == A and dec.dst == B and dec.ip_id == 7
    assert dec.segment == f.Segment(17, 99, f.FLAG_ACK | f.FLAG_PSH, payload)  # 32-bit seq
    if protocol == "tcp":
        assert Ether(frame[:-4])[TCP].seq == 17


def test_any_single_bit_flip_is_caught():
    frame = f.build_frame("tcp", A, B, f.Segment(1, 2, f.FLAG_ACK, b"hello BNN"))
    for bit in range(0, len(frame) * 8, 7):
        bad = bytearray(frame)
        bad[bit // 8] ^= 1 << (bit % 8)
        assert not f.fcs_ok(bytes(bad))
        assert f.parse_frame(bytes(bad)) is None


def test_checksums_catch_corruption_without_fcs():
    """pcap files carry no FCS: IP/TCP checksums must still reject flipped header/data bits."""
    frame = f.build_frame("tcp", A, B, f.Segment(1, 2, f.FLAG_ACK, b"split tensor"))[:-4]
    assert f.parse_frame(frame, has_fcs=False) is not None
    for bit in range(14 * 8, len(frame) * 8):  # everything after the Ethernet header
        bad = bytearray(frame)
        bad[bit // 8] ^= 1 << (bit % 8)
        dec = f.parse_frame(bytes(bad), has_fcs=False)
        assert dec is None or dec.segment.payload == b"split tensor"
        if bit < (14 + 40 + 12) * 8:  # IP header, TCP header and payload: always caught
            assert dec is None, bit


def test_bad_protocol_and_mtu_are_rejected():
    with pytest.raises(ValueError):
        f.build_frame("sctp", A, B, f.Segment(0, 0, 0))
    with pytest.raises(ValueError):
        f.max_segment_payload(100, "tcp")
