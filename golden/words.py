"""The golden twin of a kernel at its memory interface: the 64-bit words a kernel of layers
first..last of a network reads per image, and exactly the words it writes.

- into the first layer: the host's packed input (golden/images.py `pack_input`: pixel codes
  for a CNV, binarized zero-padded pixels for an LFC);
- between two layers: the activations leaving a layer (and its pool) in stream order, as
  `act_bits`-bit codes, element c at bits act_bits*c.. of the little-endian byte string.
  This is the HLS stream layout: the MVAU writes PE elements per word, element pe at bits
  act_bits*pe.. (`Slice`/`ap_uint` indexing, LSB first), and the width converters
  (StreamingDataWidthConverter_Batch) concatenate words LSB first, so channel c of pixel
  p is bit act_bits*(p*C + c) of the image's stream. 1-bit codes are the bits themselves;
- out of the last layer: its scores, 16 bits each, or its output bits if it is thresholded
  (an LFC's one word: class j at bit j).
The same words are what crosses the Ethernet link at a cut. `run_words` is the kernel
itself: words in -> words out (`python -m golden run`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from golden.errors import BnnInputError
from golden.images import (input_tensor, pack_codes, pack_input, pack_scores, unpack_codes,
                           unpack_input, unpack_scores)
from golden.model import run as run_layers
from golden.network import Network
from golden.params import Params


def tensor_words(network: Network, after_layer: int, tensor: np.ndarray) -> np.ndarray:
    """Tensor (N, ...) leaving `after_layer` (in stream order) -> uint64 words (N, W);
    after_layer = -1 is layer 0's input."""
    if after_layer == -1:
        return pack_input(network, tensor)
    spec = network.layer(after_layer)
    t = np.asarray(tensor)
    if not spec.thresholds:
        return pack_scores(t.reshape(len(t), -1))
    packed = pack_codes(t.reshape(len(t), -1), spec.out_bits)
    if packed.shape[1] % 8:
        raise BnnInputError(f"{network.name}: the tensor after layer {after_layer} is "
                            f"{packed.shape[1]} bytes, not whole 64-bit words")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def words_tensor(network: Network, after_layer: int, words: np.ndarray) -> np.ndarray:
    """Inverse of tensor_words: uint64 words (N, W) -> codes (N, K): signed 2-bit codes,
    bits 0/1 for 1-bit activations, int16 scores for a score layer; after_layer = -1 gives
    layer 0's input tensor (shaped as it enters layer 0)."""
    if after_layer == -1:
        return unpack_input(network, words)
    spec = network.layer(after_layer)
    words = np.ascontiguousarray(np.asarray(words, dtype=np.uint64))
    if words.ndim == 1:
        words = words[None]
    if not spec.thresholds:
        return unpack_scores(words)
    return unpack_codes(words.view(np.uint8).reshape(len(words), -1), spec.out_bits)


def input_shape(network: Network) -> tuple[int, ...]:
    """Per-image shape of the tensor the host packs for layer 0."""
    return network.layer(0).in_shape


def words_per_image(network: Network, after_layer: int) -> int:
    """64-bit words per image of the tensor leaving `after_layer` (-1: the input)."""
    return network.words_per_image(after_layer)


def kernel_words(params: Params, images: np.ndarray, first: int, last: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(words in, words out, network output) of a kernel of layers first..last on uint8
    images: what it reads per image, what it must write, and the tensor leaving `last`."""
    network = params.network
    network.check_range(first, last)
    x = input_tensor(network, images)
    if first > 0:
        x = run_layers(params, x, 0, first - 1).output
    words_in = tensor_words(network, first - 1, x)
    out = run_layers(params, x, first, last).output
    return words_in, tensor_words(network, last, out), out


def load_words(path: str | Path, what: str = "words file") -> np.ndarray:
    """The array of a .npy file of words, or a clear error naming the file (missing, a folder,
    empty, not a .npy array, a .npz archive, pickled objects)."""
    path = Path(path)
    if not path.exists():
        raise BnnInputError(f"{what} {path} not found")
    if path.is_dir():
        raise BnnInputError(f"{what} {path} is a folder; expected a .npy file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as exc:   # noqa: BLE001
        # np.load parses the user's bytes: on a corrupt file it raises ValueError, EOFError,
        # OSError, MemoryError (a header announcing more data than the file has), but also
        # SyntaxError or tokenize.TokenError (a mangled header), zipfile.BadZipFile, ...
        reason = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
        raise BnnInputError(f"{what} {path}: not a NumPy .npy array ({reason})") from None
    if not isinstance(loaded, np.ndarray):
        close = getattr(loaded, "close", None)
        if close is not None:
            close()
        raise BnnInputError(f"{what} {path}: a .npz archive; expected one .npy array "
                            f"(np.save, not np.savez)")
    return loaded


def check_words(network: Network, first: int, last: int, words_in, what: str = "words") -> np.ndarray:
    """The words a kernel of layers first..last reads, as uint64 (N, words per image), or a
    clear error: not an array of unsigned integers (a signed array only if no value is
    negative), not 2-D, no image, the wrong number of words per image."""
    network.check_range(first, last)
    try:
        words_in = np.asarray(words_in)
    except (ValueError, TypeError) as exc:
        raise BnnInputError(f"{what}: not an array of words ({exc})") from None
    expected = network.words_per_image(first - 1)
    kind = "the input" if first == 0 else f"the tensor after layer {first - 1}"
    want = (f"{network.name} layers {first}-{last}: expected words of shape (N, {expected}) "
            f"({kind}, {expected} 64-bit words per image, N >= 1 images)")
    if words_in.dtype.kind not in "ui":
        raise BnnInputError(f"{what}: dtype {words_in.dtype}; expected unsigned 64-bit words "
                            f"(dtype uint64, or any integer dtype with no negative value)")
    if words_in.ndim != 2 or words_in.shape[1] != expected:
        hint = ""
        if words_in.ndim == 2 and words_in.dtype.itemsize == 1 and words_in.shape[1] == 8 * expected:
            hint = "; these look like the words' bytes: save arr.view('<u8')"
        elif words_in.ndim == 1 and words_in.shape[0] == expected:
            hint = "; one image is shape (1, W): save arr[None]"
        raise BnnInputError(f"{what}: {want}, got shape {words_in.shape}{hint}")
    if words_in.shape[0] == 0:
        raise BnnInputError(f"{what}: no images in shape {words_in.shape}; {want}")
    if words_in.dtype.kind == "i":
        negative = np.argwhere(words_in < 0)
        if negative.size:
            r, c = (int(v) for v in negative[0])
            raise BnnInputError(
                f"{what}: dtype {words_in.dtype} holds {len(negative)} negative value(s), the first "
                f"{int(words_in[r, c])} at image {r} word {c}; words are unsigned 64-bit values "
                f"(dtype uint64, or a signed dtype with no negative value)")
    return words_in.astype(np.uint64)


def run_words(params: Params, words_in: np.ndarray, first: int, last: int,
              what: str = "words") -> np.ndarray:
    """A kernel of layers first..last at its memory interface: the uint64 words it reads
    (N, words per image) -> exactly the uint64 words it writes (N, words per image).
    `words_in`: unsigned integers (or signed ones, none negative), see :func:`check_words`."""
    network = params.network
    words = check_words(network, first, last, words_in, what)
    x = words_tensor(network, first - 1, words)
    out = run_layers(params, x, first, last).output
    return tensor_words(network, last, out)
