"""Application messages exchanged between the host and the BNNsplit boards.

Three things cross the network per image, each the 64-bit words a kernel reads or writes
(golden/words.py), so every payload is a whole number of words; their sizes depend on the
network and the cut (:meth:`netsim.config.TopologyConfig.payload_bytes`), e.g. for cnvW2A2:

* the packed input image, host -> part 1 (or full) board: 384 words = 3072 bytes;
* the tensor of the cut, part 1 board -> part 2 board: 8 words = 64 bytes after layer 5;
* the score vector, part 2 (or full) board -> host: 64 signed 16-bit scores = 128 bytes.

Each message is a fixed 16-byte header followed by the payload. Header layout (little-endian,
``struct`` format ``<4sBBHII``, every field naturally aligned)::

    offset size field
         0    4 magic        b"BNSP"
         4    1 version      1
         5    1 type         1 = image, 2 = split tensor, 3 = scores, 4 = done (failover mode)
         6    2 reserved     0 (decoders reject other values so the field can get a meaning
                             in a later version without old decoders misreading it)
         8    4 image_id     u32, the image's index in the job; results are re-ordered by it
        12    4 length       u32, payload bytes that follow the header

Messages travel over a byte stream (the reliable transport in :mod:`netsim.transport`), so a
receiver uses :class:`StreamDecoder` to cut the stream back into messages.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable

import numpy as np

MAGIC = b"BNSP"
VERSION = 1
HEADER = struct.Struct("<4sBBHII")
HEADER_BYTES = HEADER.size  # 16

WORD_BYTES = 8
MAX_PAYLOAD = 1 << 20  # sanity bound: a corrupt length field must not make a receiver wait for GBs


class MessageType(IntEnum):
    IMAGE = 1
    TENSOR = 2
    SCORES = 3
    DONE = 4      # failover mode: a board tells the sender of an input it has processed it


class MessageError(ValueError):
    """A byte string is not a valid BNSP message."""


class BadMagic(MessageError):
    pass


class BadVersion(MessageError):
    pass


class BadType(MessageError):
    pass


class BadLength(MessageError):
    pass


class Truncated(MessageError):
    pass


def _check_length(mtype: MessageType, length: int) -> None:
    if not 1 <= length <= MAX_PAYLOAD:
        raise BadLength(f"{mtype.name} payload length {length} outside 1..{MAX_PAYLOAD}")
    if length % WORD_BYTES:
        raise BadLength(f"{mtype.name} payload of {length} bytes is not whole 64-bit words "
                        f"(every payload is words a kernel reads or writes)")


@dataclass(frozen=True)
class Message:
    """One application message. Validated on construction."""

    type: MessageType
    image_id: int
    payload: bytes

    def __post_init__(self) -> None:
        try:
            mtype = MessageType(self.type)
        except ValueError:
            raise BadType(f"unknown message type {self.type!r}") from None
        object.__setattr__(self, "type", mtype)
        object.__setattr__(self, "payload", bytes(self.payload))
        if not 0 <= self.image_id < 2**32:
            raise ValueError(f"image_id {self.image_id} does not fit in u32")
        _check_length(mtype, len(self.payload))

    @property
    def size(self) -> int:
        """Bytes on the transport stream: header + payload."""
        return HEADER_BYTES + len(self.payload)

    def encode(self) -> bytes:
        return HEADER.pack(MAGIC, VERSION, self.type, 0, self.image_id, len(self.payload)) + self.payload

    def __repr__(self) -> str:
        return f"Message({self.type.name}, image_id={self.image_id}, {len(self.payload)} B)"


def decode_header(data: bytes) -> tuple[MessageType, int, int]:
    """Validate a 16-byte header; returns (type, image_id, payload length)."""
    if len(data) < HEADER_BYTES:
        raise Truncated(f"header needs {HEADER_BYTES} bytes, got {len(data)}")
    magic, version, mtype, reserved, image_id, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadMagic(f"bad magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise BadVersion(f"unsupported version {version}, expected {VERSION}")
    try:
        mtype = MessageType(mtype)
    except ValueError:
        raise BadType(f"unknown message type {mtype}") from None
    if reserved != 0:
        raise MessageError(f"reserved header field is {reserved:#06x}, must be 0")
    _check_length(mtype, length)
    return mtype, image_id, length


def decode(data: bytes) -> Message:
    """Decode exactly one message (no trailing bytes allowed)."""
    mtype, image_id, length = decode_header(data)
    end = HEADER_BYTES + length
    if len(data) < end:
        raise Truncated(f"{mtype.name} message needs {end} bytes, got {len(data)}")
    if len(data) > end:
        raise BadLength(f"{len(data) - end} trailing bytes after a {end}-byte {mtype.name} message")
    return Message(mtype, image_id, data[HEADER_BYTES:end])


class StreamDecoder:
    """Cuts an in-order byte stream back into messages.

    Feed it bytes as they become contiguous; it returns every message completed so far and
    keeps the partial rest. A bad header raises :class:`MessageError` immediately (the
    transport guarantees an intact stream, so this means a protocol bug, not line noise).
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        self._buf += data
        out = []
        while len(self._buf) >= HEADER_BYTES:
            mtype, image_id, length = decode_header(self._buf)
            end = HEADER_BYTES + length
            if len(self._buf) < end:
                break
            out.append(Message(mtype, image_id, bytes(self._buf[HEADER_BYTES:end])))
            del self._buf[:end]
        return out


def decode_stream(data: bytes) -> list[Message]:
    """Decode a complete stream of back-to-back messages."""
    dec = StreamDecoder()
    msgs = dec.feed(data)
    if dec.buffered:
        raise Truncated(f"{dec.buffered} bytes of an incomplete message at the end of the stream")
    return msgs


# --- builders for the three payloads ----------------------------------------------------

def image_message(image_id: int, packed: bytes | np.ndarray) -> Message:
    """Packed image: bytes, or the 64-bit words the host writes to the AXI RAM."""
    if isinstance(packed, np.ndarray):
        dtype = "<u8" if packed.dtype.itemsize == 8 else np.uint8
        packed = packed.astype(dtype, copy=False).tobytes()
    return Message(MessageType.IMAGE, image_id, packed)


def done_message(image_id: int) -> Message:
    """A board has processed this image's input (one 64-bit word: the image id)."""
    return Message(MessageType.DONE, image_id, image_id.to_bytes(8, "little"))


def tensor_message(image_id: int, tensor: bytes) -> Message:
    return Message(MessageType.TENSOR, image_id, tensor)


def scores_message(image_id: int, scores: Iterable[int], count: int | None = None) -> Message:
    """Score vector of `count` signed 16-bit scores (default: as many as given, rounded up to
    whole 64-bit words); missing ones are zero, as the last layer's padding rows."""
    vals = np.asarray(list(scores), dtype=np.int64)
    count = count if count is not None else -(-max(vals.size, 1) // 4) * 4
    arr = np.zeros(count, dtype="<i2")
    if vals.size > count:
        raise ValueError(f"at most {count} scores, got {vals.size}")
    if vals.size and (vals.min() < -32768 or vals.max() > 32767):
        raise ValueError("scores must fit in int16")
    arr[: vals.size] = vals
    return Message(MessageType.SCORES, image_id, arr.tobytes())


def scores_of(msg: Message) -> np.ndarray:
    """The int16 scores carried by a SCORES message."""
    if msg.type != MessageType.SCORES:
        raise BadType(f"expected a SCORES message, got {msg.type.name}")
    return np.frombuffer(msg.payload, dtype="<i2").astype(np.int16)
