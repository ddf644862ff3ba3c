"""BNSP message framing: header layout, round trips, clean rejection of bad input."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsim import messages as m

# Independent statement of the header layout from the spec (DESIGN / messages docstring):
# magic "BNSP", version u8 = 1, type u8, reserved u16 = 0, image id u32, payload length u32, LE.
SPEC = struct.Struct("<4sBBHII")


def spec_encode(mtype: int, image_id: int, payload: bytes) -> bytes:
    return SPEC.pack(b"BNSP", 1, mtype, 0, image_id, len(payload)) + payload


def test_header_is_16_bytes_and_matches_the_spec():
    msg = m.tensor_message(0x01020304, bytes(range(64)))
    raw = msg.encode()
    assert raw[:4] == b"BNSP" and raw[4] == 1 and raw[5] == 2
    assert raw[8:12] == bytes([4, 3, 2, 1])  # little-endian image id
    assert int.from_bytes(raw[12:16], "little") == 64
    assert raw == spec_encode(2, 0x01020304, bytes(range(64)))
    assert len(raw) == 16 + 64


def test_payload_sizes_of_the_three_messages():
    assert len(m.image_message(1, bytes(3072)).payload) == 32 * 32 * 3
    assert len(m.scores_message(1, [-22, -27, -16, -10, 239, 1, -9, -17, -15, -27], 64).payload) == 64 * 2
    assert len(m.scores_message(1, [-22, -27, -16, -10, 239, 1, -9, -17, -15, -27]).payload) == 12 * 2
    with pytest.raises(m.BadLength):
        m.image_message(1, bytes(3071))
    with pytest.raises(m.BadLength):
        m.Message(m.MessageType.SCORES, 1, bytes(130))


def test_scores_round_trip_as_int16():
    deer = [-22, -27, -16, -10, 239, 1, -9, -17, -15, -27]
    msg = m.decode(m.scores_message(7, deer).encode())
    got = m.scores_of(msg)
    assert list(got[:10]) == deer and not got[10:].any()


payloads = st.one_of(
    st.tuples(st.just(1), st.binary(min_size=3072, max_size=3072)),
    st.integers(1, 250).flatmap(lambda w: st.tuples(st.just(2), st.binary(min_size=8 * w, max_size=8 * w))),
    st.tuples(st.just(3), st.binary(min_size=128, max_size=128)),
)


@given(payloads, st.integers(0, 2**32 - 1))
def test_encode_decode_round_trip(tp, image_id):
    mtype, payload = tp
    msg = m.Message(mtype, image_id, payload)
    raw = msg.encode()
    assert raw == spec_encode(mtype, image_id, payload)
    assert m.decode(raw) == msg


@given(st.lists(st.tuples(payloads, st.integers(0, 2**32 - 1)), min_size=1, max_size=6),
       st.lists(st.integers(1, 700), min_size=1, max_size=40))
@settings(max_examples=50)
def test_stream_decoder_handles_any_chunking(items, cuts):
    msgs = [m.Message(t, i, p) for (t, p), i in items]
    stream = b"".join(x.encode() for x in msgs)
    dec = m.StreamDecoder()
    out, pos, k = [], 0, 0
    while pos < len(stream):
        step = cuts[k % len(cuts)]
        out += dec.feed(stream[pos:pos + step])
        pos += step
        k += 1
    assert out == msgs and dec.buffered == 0


@given(st.binary(max_size=200))
def test_garbage_is_rejected_cleanly(data):
    try:
        msg = m.decode(data)
    except m.MessageError:
        return
    # Only a genuinely valid encoding may decode.
    assert data == msg.encode()


@pytest.mark.parametrize("offset,value,error", [
    (0, b"XNSP", m.BadMagic),
    (4, b"\x02", m.BadVersion),
    (5, b"\x09", m.BadType),
    (5, b"\x00", m.BadType),
    (6, b"\x01\x00", m.MessageError),
    (12, (72).to_bytes(4, "little"), m.Truncated),  # says 72 bytes but 64 follow
    (12, (65).to_bytes(4, "little"), m.BadLength),  # not whole 64-bit words
    (12, (0).to_bytes(4, "little"), m.BadLength),
])
def test_each_bad_field_has_a_specific_error(offset, value, error):
    raw = bytearray(m.tensor_message(3, bytes(64)).encode())
    raw[offset:offset + len(value)] = value
    with pytest.raises(error):
        m.decode(bytes(raw))


def test_wrong_length_for_fixed_size_types_and_truncation():
    img = bytearray(m.image_message(0, bytes(3072)).encode())
    img[12:16] = (3001).to_bytes(4, "little")
    with pytest.raises(m.BadLength, match="not whole 64-bit words"):
        m.decode(bytes(img))
    with pytest.raises(m.Truncated):
        m.decode(m.image_message(0, bytes(3072)).encode()[:-1])
    with pytest.raises(m.BadLength, match="trailing"):
        m.decode(m.tensor_message(0, bytes(64)).encode() + b"\0")
    with pytest.raises(m.Truncated):
        m.decode_stream(m.tensor_message(0, bytes(64)).encode()[:20])
