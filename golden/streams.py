"""Tensors in the order the hardware streams them, and packing of stream words.

A layer's output leaves its MVAU pixel by pixel (row-major), channels in groups of PE per
word; the sliding-window generator emits, for each output pixel, the K*K*C column of
DESIGN.md ((ky*K + kx)*C + ch) in words of SIMD elements. Elements sit in a word LSB first.
"""

from __future__ import annotations

import numpy as np

from golden.errors import BnnInputError
from golden.layers import im2col


def activation_stream(t: np.ndarray, per_word: int) -> np.ndarray:
    """(N, H, W, C) or (N, C) -> (N, words, per_word) in stream order."""
    n = len(t)
    flat = np.asarray(t).reshape(n, -1)
    if flat.shape[1] % per_word:
        raise BnnInputError(f"{flat.shape[1]} elements per image do not split into words of {per_word}")
    return flat.reshape(n, -1, per_word)


def window_stream(x: np.ndarray, k: int, simd: int) -> np.ndarray:
    """(N, H, W, C) -> (N, Ho*Wo*K*K*C/SIMD, SIMD): the sliding-window generator's output."""
    cols = im2col(np.asarray(x), k)
    return activation_stream(cols, simd)


def pack_words(lanes: np.ndarray, bits: int) -> list[list[int]]:
    """(N, words, lanes) signed values -> per image a list of Python ints (lane i at bits*i)."""
    lanes = np.asarray(lanes, dtype=np.int64) & ((1 << bits) - 1)
    shifts = [bits * i for i in range(lanes.shape[-1])]
    out = []
    for img in lanes:
        words = np.zeros(len(img), dtype=object)
        for i, s in enumerate(shifts):
            words = words + (img[:, i].astype(object) << s)
        out.append([int(v) for v in words])
    return out


def unpack_words(words: list[int], bits: int, lanes: int, signed: bool | None = None) -> np.ndarray:
    """Python ints -> (words, lanes) values: two's complement signed for bits > 1 (default),
    plain bits 0/1 for 1-bit lanes."""
    signed = bits > 1 if signed is None else signed
    mask, sign = (1 << bits) - 1, 1 << (bits - 1)
    vals = [[((w >> (bits * i)) & mask) for i in range(lanes)] for w in words]
    a = np.array(vals, dtype=np.int64)
    return np.where(a & sign, a - (1 << bits), a) if signed else a
