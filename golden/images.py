"""Images in and scores out, exactly as the PYNQ host lays them out in memory.

- pixel byte c -> 8-bit code q (value q/128, ap_fixed<8,1> of -1 + 2c/255, rounded, saturated):
  q = c - 128 for c <= 127, c - 127 for 128 <= c <= 254, 127 for c = 255;
- one image = little-endian uint64 words holding the byte stream R0 G0 B0 R1 G1 B1 ... of pixel
  codes, pixels row-major (384 words for a 32x32 RGB image);
- result = signed 16-bit scores, field j at word j/4, bits 16*(j%4);
- a tensor between two kernels = `bits`-bit codes, element c at bits bits*c.. of the
  little-endian byte string (golden/words.py puts these together per network and layer).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from golden.errors import BnnInputError

CIFAR_RECORD = 3073          # 1 label byte + 3 x 1024 channel bytes
CIFAR_SHAPE = (32, 32, 3)
SCORE_BITS = 16


def pixel_codes(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixel bytes -> int8 pixel codes (any shape)."""
    c = np.asarray(pixels)
    if c.dtype != np.uint8:
        raise BnnInputError(f"pixels must be uint8 bytes, got dtype {c.dtype}")
    q = c.astype(np.int16) - 128 + (c >= 128)
    q[c == 255] = 127
    return q.astype(np.int8)


def read_cifar(path: str | Path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 binary file -> (images uint8 (N, 32, 32, 3) HWC, labels uint8 (N,))."""
    path = Path(path)
    if not path.exists():
        raise BnnInputError(f"CIFAR-10 file {path} not found")
    size = path.stat().st_size
    if size == 0 or size % CIFAR_RECORD:
        raise BnnInputError(
            f"CIFAR-10 file {path} has {size} bytes; expected a non-zero multiple of "
            f"{CIFAR_RECORD} (1 label byte + 3072 pixel bytes per record)")
    n = size // CIFAR_RECORD
    if limit is not None:
        if limit < 1:
            raise BnnInputError(f"--limit must be at least 1, got {limit}")
        n = min(n, limit)
    raw = np.fromfile(path, dtype=np.uint8, count=n * CIFAR_RECORD).reshape(n, CIFAR_RECORD)
    labels = raw[:, 0].copy()
    if (labels > 9).any():
        r = int(np.flatnonzero(labels > 9)[0])
        raise BnnInputError(f"CIFAR-10 file {path}: record {r} has label {labels[r]}; expected 0-9")
    images = raw[:, 1:].reshape(n, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return images, labels


def read_image_file(path: str | Path) -> np.ndarray:
    """A JPEG/PNG/... image -> uint8 (1, 32, 32, 3), resized as the host does for a photo."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            im = im.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
            return np.asarray(im, dtype=np.uint8)[None].copy()
    except FileNotFoundError:
        raise BnnInputError(f"image file {path} not found") from None
    except UnidentifiedImageError:
        raise BnnInputError(f"image file {path}: not an image format Pillow can read") from None


def synthetic_images(n: int, seed: int = 0) -> np.ndarray:
    """Seeded random uint8 images (N, 32, 32, 3) with some spatial structure."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(n, 8, 8, 3), dtype=np.int16)
    up = np.repeat(np.repeat(base, 4, axis=1), 4, axis=2)
    noise = rng.integers(-40, 41, size=up.shape)
    return np.clip(up + noise, 0, 255).astype(np.uint8)


def _check_shape(a: np.ndarray, tail: tuple[int, ...], what: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == len(tail):
        a = a[None]
    if a.shape[1:] != tail:
        raise BnnInputError(f"{what}: expected shape (N, {', '.join(map(str, tail))}), got {a.shape}")
    return a


def pack_images(codes: np.ndarray, shape: tuple[int, ...] = CIFAR_SHAPE) -> np.ndarray:
    """int8 pixel codes (N, H, W, C) -> uint64 words (N, H*W*C/8)."""
    codes = _check_shape(codes, tuple(shape), "pixel codes")
    if codes.shape[1:] and int(np.prod(codes.shape[1:])) % 8:
        raise BnnInputError(f"pixel codes of shape {codes.shape[1:]} do not fill whole 64-bit words")
    return np.ascontiguousarray(codes, dtype=np.int8).reshape(len(codes), -1).view("<u8").astype(np.uint64)


def unpack_images(words: np.ndarray, shape: tuple[int, ...] = CIFAR_SHAPE) -> np.ndarray:
    words = _check_shape(words, (int(np.prod(shape)) // 8,), "image words")
    return np.ascontiguousarray(words, dtype="<u8").view(np.int8).reshape(-1, *shape)


def pack_scores(scores: np.ndarray) -> np.ndarray:
    """int (N, K) scores -> uint64 words (N, K/4) as the kernel writes them."""
    scores = np.asarray(scores)
    scores = scores[None] if scores.ndim == 1 else scores
    if scores.ndim != 2 or (scores.shape[1] * SCORE_BITS) % 64:
        raise BnnInputError(f"scores: expected shape (N, K) with K a multiple of 4, got {scores.shape}")
    return np.ascontiguousarray(scores.astype(np.int16)).view("<u8").astype(np.uint64)


def unpack_scores(words: np.ndarray) -> np.ndarray:
    """uint64 words (N, W) -> int16 scores (N, 4W) as the host reads them."""
    words = np.asarray(words)
    words = words[None] if words.ndim == 1 else words
    if words.ndim != 2:
        raise BnnInputError(f"score words: expected shape (N, W), got {words.shape}")
    return np.ascontiguousarray(words, dtype="<u8").view("<i2").reshape(len(words), -1)


def pack_codes(values: np.ndarray, bits: int) -> np.ndarray:
    """Signed values (N, K) -> bytes (N, K*bits/8): element k at bits bits*k.. of the LE string."""
    values = np.asarray(values)
    n, k = values.shape
    if (k * bits) % 8:
        raise BnnInputError(f"{k} x {bits}-bit values do not fill whole bytes")
    per = 8 // bits
    codes = (values.astype(np.int64) & ((1 << bits) - 1)).astype(np.uint8).reshape(n, -1, per)
    shifts = (bits * np.arange(per)).astype(np.uint8)
    return np.bitwise_or.reduce(codes << shifts, axis=2).astype(np.uint8)


def unpack_codes(packed: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of pack_codes: bytes (N, B) -> signed int8 values (N, B*8/bits)."""
    packed = np.asarray(packed, dtype=np.uint8)
    per = 8 // bits
    shifts = (bits * np.arange(per)).astype(np.uint8)
    codes = (packed[:, :, None] >> shifts) & ((1 << bits) - 1)
    signed = codes.astype(np.int8) - ((codes >> (bits - 1)) << bits).astype(np.int8)
    return signed.reshape(len(packed), -1)


def predict(scores: np.ndarray, classes: int = 10) -> np.ndarray:
    """Host rule: first class with the strictly greatest score among the first `classes`;
    class 0 if none is above 0."""
    s = np.asarray(scores)[:, :classes].astype(np.int32)
    best = np.argmax(s, axis=1)  # argmax returns the first maximum
    best[s.max(axis=1) <= 0] = 0
    return best
