"""The golden twin of a kernel at its memory interface: the 64-bit words a kernel of layers
first..last of a network reads per image, and exactly the words it writes.

- into the first layer: the host's packed input (pixel codes, golden/images.py);
- between two layers: the activations leaving a layer (and its pool) in stream order, as
  `act_bits`-bit codes, element c at bits act_bits*c.. of the little-endian byte string;
- out of the last layer: its scores, 16 bits each (or activations, if it is thresholded).
The same words are what crosses the Ethernet link at a cut.
"""

from __future__ import annotations

import numpy as np

from golden.errors import BnnInputError
from golden.images import pack_codes, pack_images, pack_scores, pixel_codes, unpack_codes
from golden.model import run as run_layers
from golden.network import Network
from golden.params import Params


def tensor_words(network: Network, after_layer: int, tensor: np.ndarray) -> np.ndarray:
    """Tensor (N, ...) leaving `after_layer` (in stream order) -> uint64 words (N, W)."""
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
    """Inverse of tensor_words for a thresholded layer: uint64 words -> signed codes (N, K)."""
    spec = network.layer(after_layer)
    words = np.ascontiguousarray(np.asarray(words, dtype=np.uint64))
    return unpack_codes(words.view(np.uint8).reshape(len(words), -1), spec.out_bits)


def input_shape(network: Network) -> tuple[int, ...]:
    """Per-image shape of the pixel codes the host packs for layer 0."""
    first = network.layer(0)
    return (first.ifm_dim, first.ifm_dim, first.ifm_ch)


def kernel_words(params: Params, images: np.ndarray, first: int, last: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(words in, words out, network output) of a kernel of layers first..last on uint8
    images: what it reads per image, what it must write, and the tensor leaving `last`."""
    network = params.network
    network.check_range(first, last)
    codes = pixel_codes(images)
    if first == 0:
        words_in = pack_images(codes, input_shape(network))
        x = codes
    else:
        x = run_layers(params, codes, 0, first - 1).output
        words_in = tensor_words(network, first - 1, x)
    out = run_layers(params, x, first, last).output
    return words_in, tensor_words(network, last, out), out
