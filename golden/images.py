"""Images in and results out, exactly as the PYNQ host lays them out in memory.

- "pixels8" input (CNV): pixel byte c -> 8-bit code q (value q/128, ap_fixed<8,1> of
  -1 + 2c/255, rounded, saturated): q = c - 128 for c <= 127, c - 127 for 128 <= c <= 254,
  127 for c = 255; one image = little-endian uint64 words holding the byte stream
  R0 G0 B0 R1 G1 B1 ... of pixel codes, pixels row-major (384 words for a 32x32 RGB image);
- "bits" input (LFC): BNN-PYNQ's host (tiny-cnn parse_mnist_images scaling byte p to
  -1 + 2p/255, then binarizeAndPack: bit set when the value is >= 0) makes pixel i the bit
  [p >= 128] at bit i%64 of word i/64, row-major, the words zero-filled first (padding bits
  are 0): 784 pixels -> 832 bits = 13 words;
- "scores" output = signed 16-bit scores, field j at word j/4, bits 16*(j%4); the host
  predicts the first class with the strictly greatest score, class 0 if none is above 0;
- "bits" output = one bit per output neuron, neuron j at bit j%64 of word j/64; the host
  masks the low `classes` bits and predicts floor(log2(word)), the highest set bit, class 0
  if none is set;
- a tensor between two kernels = `bits`-bit codes, element c at bits bits*c.. of the
  little-endian byte string (golden/words.py puts these together per network and layer).
  2-bit codes are signed (-1 = 11), 1-bit codes are plain bits (0/1).

Photos: `read_image_file` follows BNN-PYNQ's CnvClassifier.image_to_cifar (thumbnail to
32x32, centred on white); `mnist_from_photo` follows its LFC webcam notebook
(LFC-BNN_MNIST_Webcam.ipynb). `read_idx` reads MNIST's IDX files.
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


def _open_image(path: str | Path, draft: tuple[int, int] | None = None):
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        im = Image.open(path)
        if draft is not None:
            im.draft(None, draft)   # JPEG: decode at a reduced DCT scale, as thumbnail did
        im.load()
        return im
    except FileNotFoundError:
        raise BnnInputError(f"image file {path} not found") from None
    except (UnidentifiedImageError, OSError):
        raise BnnInputError(f"image file {path}: not an image format Pillow can read") from None


def read_image_file(path: str | Path) -> np.ndarray:
    """A JPEG/PNG/... photo -> uint8 (1, 32, 32, 3) as BNN-PYNQ's CnvClassifier.image_to_cifar
    makes it: thumbnail to fit 32x32 keeping the aspect ratio (LANCZOS, PIL's ANTIALIAS),
    pasted centred on a white 32x32 background, its R, G, B planes kept. (The PYNQ image ran
    an older Pillow whose thumbnail drafted a JPEG to about the target size and then resampled
    in one step; that is done here too, but pixels may still differ slightly.)"""
    from PIL import Image

    with _open_image(path, draft=(32, 32)) as im:
        if im.mode not in ("RGB", "RGBA"):
            im = im.convert("RGBA")
        im.thumbnail((32, 32), Image.Resampling.LANCZOS, reducing_gap=None)
        background = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
        background.paste(im, ((32 - im.size[0]) // 2, (32 - im.size[1]) // 2))
        return np.asarray(background, dtype=np.uint8)[None, :, :, :3].copy()


# ---------------------------------------------------------------- MNIST (LFC)

MNIST_SHAPE = (28, 28)
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (MNIST's format: 2 zero bytes, a type byte, the number of dimensions, each
    dimension as a big-endian uint32, then the data) -> its array, e.g. uint8 (N, 28, 28) for
    `*-images-idx3-ubyte` (magic 0x00000803), (N,) for labels (0x00000801)."""
    path = Path(path)
    if not path.exists():
        raise BnnInputError(f"IDX file {path} not found")
    raw = path.read_bytes()
    if len(raw) < 4:
        raise BnnInputError(f"IDX file {path} has {len(raw)} bytes; an IDX header is at least 4")
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] or raw[1] or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise BnnInputError(
            f"IDX file {path}: bad magic number 0x{magic:08x}; expected 0x0000TTDD (two zero "
            f"bytes, a type byte such as 08 = uint8, the number of dimensions), e.g. 0x00000803 "
            f"for MNIST images")
    ndim, dtype = raw[3], _IDX_TYPES[raw[2]]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise BnnInputError(f"IDX file {path}: magic 0x{magic:08x} announces {ndim} dimensions "
                            f"({header} header bytes), the file has {len(raw)} bytes")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    count = 1
    for d in dims:
        count *= d
    expected = header + count * dtype.itemsize
    if len(raw) != expected:
        raise BnnInputError(
            f"IDX file {path} has {len(raw)} bytes; expected {expected} ({header} header bytes + "
            f"{' x '.join(map(str, dims))} elements of {dtype.itemsize} byte(s))")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def read_mnist(path: str | Path, limit: int | None = None) -> np.ndarray:
    """MNIST IDX images -> uint8 (N, 28, 28)."""
    images = read_idx(path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != MNIST_SHAPE:
        raise BnnInputError(f"IDX file {path}: expected uint8 images of shape (N, 28, 28) "
                            f"(magic 0x00000803), got {images.dtype} {images.shape}")
    if limit is not None:
        if limit < 1:
            raise BnnInputError(f"--limit must be at least 1, got {limit}")
        images = images[:limit]
    return np.ascontiguousarray(images)


def read_mnist_labels(path: str | Path, limit: int | None = None) -> np.ndarray:
    """MNIST IDX labels (magic 0x00000801) -> uint8 (N,)."""
    labels = read_idx(path)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise BnnInputError(f"IDX file {path}: expected uint8 labels of shape (N,) (magic "
                            f"0x00000801), got {labels.dtype} {labels.shape}")
    return labels[:limit] if limit is not None else labels


def write_idx(path: str | Path, images: np.ndarray) -> Path:
    """uint8 array (e.g. (N, 28, 28) images) -> an IDX file (magic 0x000008<ndim>)."""
    a = np.ascontiguousarray(images, dtype=np.uint8)
    header = bytes([0, 0, 0x08, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    path = Path(path)
    path.write_bytes(header + a.tobytes())
    return path


def mnist_from_photo(path: str | Path) -> np.ndarray:
    """A photo of a dark digit on a light background -> uint8 (1, 28, 28) MNIST-style image,
    following BNN-PYNQ's LFC webcam notebook (LFC-BNN_MNIST_Webcam.ipynb), the only path its
    sources give from a photo to the LFC input:
    grey scale; contrast x3 and brightness x4 (ImageEnhance) to whiten the background; an
    80-pixel white border; crop to the bounding box of the non-white pixels; resize to fit
    28x28 keeping the aspect ratio (a square one straight to 28x28; nearest neighbour, the
    Pillow default of the time) and paste centred on white; invert (white digit on black);
    finally every pixel that is exactly 255 becomes 255 and every other one 1.
    Our additions: a transparent pixel counts as white paper (the notebook's camera frames
    have no alpha), and a photo with no dark pixel at all gives an all-background image.
    (BNN-PYNQ's own test uses 6.png with CNV-W1A1 on street-view digits, not with LFC.)"""
    from PIL import Image, ImageEnhance, ImageOps

    with _open_image(path) as im:
        rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    img = Image.alpha_composite(white, rgba).convert("L")
    img = ImageEnhance.Contrast(img).enhance(3)
    img = ImageEnhance.Brightness(img).enhance(4.0)
    img = ImageOps.expand(img, border=80, fill="white")
    box = ImageOps.invert(img).getbbox()
    background = Image.new("L", MNIST_SHAPE[::-1], 255)
    if box is not None:
        crop = img.crop(box)
        width, height = crop.size
        ratio = min(28.0 / height, 28.0 / width)
        nearest = Image.Resampling.NEAREST
        if height == width:
            background = crop.resize((28, 28), nearest)
        elif height > width:
            crop = crop.resize((max(1, int(width * ratio)), 28), nearest)
            background.paste(crop, ((28 - crop.size[0]) // 2, (28 - crop.size[1]) // 2))
        else:
            crop = crop.resize((28, max(1, int(height * ratio))), nearest)
            background.paste(crop, ((28 - crop.size[0]) // 2, (28 - crop.size[1]) // 2))
    inverted = np.asarray(ImageOps.invert(background), dtype=np.uint8)
    return np.where(inverted == 255, 255, 1).astype(np.uint8)[None]


def binarize_pixels(pixels: np.ndarray, at: int = 128, width: int | None = None) -> np.ndarray:
    """uint8 images (N, ...) -> bits (N, width): pixel i (row-major) becomes [byte >= at],
    zero-padded to `width` elements (default: no padding)."""
    c = np.asarray(pixels)
    if c.dtype != np.uint8:
        raise BnnInputError(f"pixels must be uint8 bytes, got dtype {c.dtype}")
    flat = (c.reshape(len(c), -1) >= at).astype(np.uint8)
    width = flat.shape[1] if width is None else width
    if width < flat.shape[1]:
        raise BnnInputError(f"{flat.shape[1]} pixels do not fit {width} input bits")
    out = np.zeros((len(c), width), np.uint8)
    out[:, :flat.shape[1]] = flat
    return out


def synthetic_images(n: int, seed: int = 0, shape: tuple[int, ...] = CIFAR_SHAPE) -> np.ndarray:
    """Seeded random uint8 images (N, *shape), shape (H, W, C) or (H, W) with H, W multiples
    of 4, with some spatial structure (4x4 blocks plus noise)."""
    shape = tuple(shape)
    if len(shape) not in (2, 3) or shape[0] % 4 or shape[1] % 4:
        raise BnnInputError(f"synthetic images: shape must be (H, W) or (H, W, C) with H and W "
                            f"multiples of 4, got {shape}")
    # Two streams, each filled image by image: the first k images are the same whatever n,
    # so a shard of a regression sees exactly the images one run over them all would.
    base = np.random.default_rng([seed, 0]).integers(0, 256, size=(n, shape[0] // 4, shape[1] // 4, *shape[2:]),
                                                     dtype=np.int16)
    up = np.repeat(np.repeat(base, 4, axis=1), 4, axis=2)
    noise = np.random.default_rng([seed, 1]).integers(-40, 41, size=up.shape)
    return np.clip(up + noise, 0, 255).astype(np.uint8)


def network_images(network, n: int, seed: int = 0) -> np.ndarray:
    """Seeded synthetic uint8 images of the shape a network's host reads (plain random bytes
    for a shape without 4x4 blocks, such as an imported network's feature vector)."""
    shape = tuple(network.image_shape)
    if len(shape) in (2, 3) and not shape[0] % 4 and not shape[1] % 4:
        return synthetic_images(n, seed, shape)
    return np.random.default_rng([seed, 2]).integers(0, 256, size=(n, *shape), dtype=np.uint8)


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


def unpack_codes(packed: np.ndarray, bits: int, signed: bool | None = None) -> np.ndarray:
    """Inverse of pack_codes: bytes (N, B) -> int8 values (N, B*8/bits), two's complement
    signed for bits > 1 (2-bit activations), plain bits 0/1 for bits = 1 (ap_uint<1>)."""
    packed = np.asarray(packed, dtype=np.uint8)
    signed = bits > 1 if signed is None else signed
    per = 8 // bits
    shifts = (bits * np.arange(per)).astype(np.uint8)
    codes = ((packed[:, :, None] >> shifts) & ((1 << bits) - 1)).astype(np.int8)
    if signed:
        codes = codes - ((codes >> (bits - 1)) << bits).astype(np.int8)
    return codes.reshape(len(packed), -1)


# ---------------------------------------------------------------- per network

def input_tensor(network, images: np.ndarray) -> np.ndarray:
    """uint8 images (N, *network.image_shape) -> the tensor entering layer 0: pixel codes
    (N, H, W, C) for "pixels8", bits (N, MW) for "bits" (binarized, zero-padded)."""
    images = _check_shape(images, tuple(network.image_shape), f"{network.name} images")
    if images.dtype != np.uint8:
        raise BnnInputError(f"{network.name} images must be uint8 bytes, got dtype {images.dtype}")
    if network.input_format == "pixels8":
        return pixel_codes(images)
    if network.input_format == "uint8":
        return images.reshape(len(images), *network[0].in_shape)
    if network.input_format == "int8":
        return (images.astype(np.int16) - 128).astype(np.int8).reshape(len(images), *network[0].in_shape)
    return binarize_pixels(images, network.binarize_at, network[0].mw)


def pack_input(network, x: np.ndarray) -> np.ndarray:
    """Layer 0's input tensor -> the uint64 words (N, W) the host writes per image."""
    first = network[0]
    x = _check_shape(x, first.in_shape, f"{network.name} layer 0 input")
    if network.input_format in ("pixels8", "int8"):
        return pack_images(x, first.in_shape)
    if network.input_format == "uint8":
        return pack_images(x.astype(np.uint8).view(np.int8), first.in_shape)
    return np.ascontiguousarray(pack_codes(x.reshape(len(x), -1), 1)).view("<u8").astype(np.uint64)


def unpack_input(network, words: np.ndarray) -> np.ndarray:
    """Inverse of pack_input: uint64 words (N, W) -> layer 0's input tensor."""
    first = network[0]
    n_words = int(np.prod(first.in_shape)) * first.in_bits // 64
    words = _check_shape(np.asarray(words), (n_words,), f"{network.name} input words")
    if network.input_format in ("pixels8", "int8"):
        return unpack_images(words, first.in_shape)
    if network.input_format == "uint8":
        return unpack_images(words, first.in_shape).view(np.uint8)
    packed = np.ascontiguousarray(words, dtype="<u8").view(np.uint8).reshape(len(words), -1)
    return unpack_codes(packed, 1).astype(np.uint8)


def predict(scores: np.ndarray, classes: int = 10, output_format: str = "scores") -> np.ndarray:
    """Host rule for each image's last-layer output (N, outputs).

    "scores": first class with the strictly greatest score among the first `classes`;
    class 0 if none is above 0 (BNN-PYNQ: maxVal = 0, `if (out[j] > maxVal)`).
    "bits" (outputs are bits 0/1): the highest set bit among the first `classes`, class 0 if
    none is set (BNN-PYNQ: word & mask, then (unsigned) log2(word))."""
    s = np.asarray(scores)
    s = s[None] if s.ndim == 1 else s
    if output_format == "bits":
        return predict_bits(s, classes)
    if output_format != "scores":
        raise BnnInputError(f"unknown output format {output_format!r}; expected 'scores' or 'bits'")
    s = s[:, :classes].astype(np.int32)
    best = np.argmax(s, axis=1)  # argmax returns the first maximum
    best[s.max(axis=1) <= 0] = 0
    return best


def predict_bits(bits: np.ndarray, classes: int = 10) -> np.ndarray:
    """Host rule for a 1-bit output layer: index of the highest set bit among the first
    `classes` output bits, class 0 if none is set."""
    b = np.asarray(bits)[:, :classes] != 0
    highest = classes - 1 - np.argmax(b[:, ::-1], axis=1)
    return np.where(b.any(axis=1), highest, 0)
