"""Each layer kind of the BNN-PYNQ networks as a vectorised NumPy function, bit-exact to the
hardware.

Dot products run through float32 BLAS: every operand is a small integer (weights in
{-1, 0, 1}, activations in {-1, 0, 1}, pixel codes in [-128, 127]) and no sum exceeds
2304 * 128 < 2**24, so float32 arithmetic is exact and far faster than integer matmul.
Accumulators therefore come back as float32 holding exact integers.

1-bit tensors hold the bits (0/1) as the hardware stores them; a bit b means the value
2b - 1 (+1 or -1) to a `Recast<Binary>` or `Recast<XnorMul>` MVAU. 1-bit weights are held
unfolded as +-1 (bit 1 = +1). An XNOR layer's popcount is derived from the +-1 dot product
by the identity popcount(XNOR(x, w)) = (MW + dot(2x-1, 2w-1)) / 2.
"""

from __future__ import annotations

import numpy as np

_EXACT = 1 << 24  # float32 represents every integer of magnitude <= 2**24


def im2col(x: np.ndarray, k: int = 3) -> np.ndarray:
    """(N, H, W, C) -> (N, Ho, Wo, k*k*C) with column (ky*k + kx)*C + ch (stride 1, no pad).

    Built from k*k contiguous shifted slices: copying a strided window view instead is
    several times slower.
    """
    n, h, w, c = x.shape
    ho, wo = h - k + 1, w - k + 1
    return np.concatenate([x[:, ky:ky + ho, kx:kx + wo, :] for ky in range(k) for kx in range(k)],
                          axis=-1)


def matvec(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(..., MW) inputs x (MH, MW) weights -> (..., MH) float32 accumulators (exact integers)."""
    lead = x.shape[:-1]
    # One 2-D GEMM: leading dims as a batch would run thousands of tiny matmuls instead.
    x2 = x.reshape(-1, x.shape[-1]).astype(np.float32, copy=False)
    return (x2 @ w.T.astype(np.float32)).reshape(*lead, w.shape[0])


def conv(x: np.ndarray, w: np.ndarray, k: int = 3) -> np.ndarray:
    """3x3 valid convolution as an MVAU sees it: (N, H, W, C) -> float32 (N, Ho, Wo, MH)."""
    return matvec(im2col(x.astype(np.float32, copy=False), k), w)


def fc(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fully connected: (N, MW) -> float32 (N, MH)."""
    return matvec(x, w)


def signed_bits(x: np.ndarray) -> np.ndarray:
    """1-bit tensor (bits 0/1) -> the +-1 values the MVAU multiplies (float32)."""
    return np.asarray(x, dtype=np.float32) * 2 - 1


def xnor_popcount(dot: np.ndarray, mw: int) -> np.ndarray:
    """Popcount of XNOR(x, w) over MW bit pairs from the +-1 dot product of the same bits."""
    return (np.float32(mw) + dot) * np.float32(0.5)


def wrap16(acc: np.ndarray) -> np.ndarray:
    """Two's complement 16-bit wrap of an accumulator (hardware ap_int<16> / ap_uint<16>)."""
    return np.asarray(acc).astype(np.int64).astype(np.int16)


def _levels(acc: np.ndarray, t: np.ndarray, offset: int) -> np.ndarray:
    """offset + sum_i [t_i < acc] (finn-hlslib ThresholdsActivation, strict comparison)."""
    out = np.full(np.broadcast_shapes(acc.shape, t[:, 0].shape), offset, dtype=np.int8)
    for i in range(t.shape[1]):
        out += (t[:, i] < acc).view(np.int8)
    return out


def _default_offset(t: np.ndarray) -> int:
    return -1 if t.shape[1] == 2 else 0


def threshold(acc: np.ndarray, t: np.ndarray, offset: int | None = None) -> np.ndarray:
    """Activation offset + sum_i [t_i < acc] (strict); t is (MH, T) integers, T thresholds
    per neuron. Default offset: -1 for two thresholds (ternary -1 + [t0 < acc] + [t1 < acc]),
    0 for one (the bit [t < acc]).

    Thresholds beyond +-2**24 compare like +-2**24 with any exact float32 accumulator,
    so they are clipped there and the comparison stays exact in float32.
    """
    t = np.asarray(t, dtype=np.int64)
    t = t.reshape(len(t), -1)
    offset = _default_offset(t) if offset is None else offset
    tf = np.clip(t, -_EXACT, _EXACT).astype(np.float32)
    return _levels(acc, tf, offset)


def threshold_int16(acc: np.ndarray, t: np.ndarray, max_abs: int,
                    offset: int | None = None) -> np.ndarray:
    """Layers after the first: a signed 16-bit accumulator (ap_int<16>) against thresholds
    cut to int16.

    `max_abs` bounds |acc| (MW for ternary, binary or XNOR inputs): when it fits 16 bits
    the wrap is a no-op and the float accumulator is compared directly.
    """
    if max_abs > 32767:
        acc = wrap16(acc).astype(np.float32)
    return threshold(acc, np.asarray(t).astype(np.int16), offset)


def cut_signed(t: np.ndarray, bits: int) -> np.ndarray:
    """Keep the low `bits` bits of int64 values as a signed number (HLS AP_WRAP assignment)."""
    t = np.asarray(t, dtype=np.int64)
    half = np.int64(1) << (bits - 1)
    return ((t + half) & ((half << 1) - 1)) - half


def pixel_thresholds(t: np.ndarray) -> np.ndarray:
    """Pixel layer (CNV layer 0): thresholds are held as ap_fixed<24,16> (the .bin's 64-bit
    fixed point cut to 24 bits); the sum of w*q has 7 fractional bits and the threshold 8, so
    the test is t < 2*acc, which for integer acc is exactly floor(t/2) < acc: these are the
    floor(t/2), the thresholds on the integer sum."""
    return cut_signed(t, 24) >> 1


def threshold_fixed(acc: np.ndarray, t: np.ndarray, offset: int | None = None) -> np.ndarray:
    """Pixel layer (CNV layer 0): its ap_fixed<24,16> thresholds (:func:`pixel_thresholds`)."""
    return threshold(acc, pixel_thresholds(t), offset)


def maxpool2(x: np.ndarray, floor: int = -1) -> np.ndarray:
    """2x2 stride-2 signed max pool on (N, H, W, C); the hardware starts from `floor`, the
    smallest code of the activation (-1 for BNN-PYNQ's 2-bit codes)."""
    n, h, w, c = x.shape
    x = x[:, : h // 2 * 2, : w // 2 * 2]
    return np.maximum(x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4)), floor).astype(x.dtype)


def orpool2(x: np.ndarray) -> np.ndarray:
    """2x2 stride-2 binary max pool on bits (N, H, W, C): the OR of each window
    (finn-hlslib StreamingMaxPool_Batch on 1-bit activations)."""
    n, h, w, c = x.shape
    x = np.asarray(x)[:, : h // 2 * 2, : w // 2 * 2]
    return np.bitwise_or.reduce(x.reshape(n, h // 2, 2, w // 2, 2, c), axis=(2, 4)).astype(x.dtype)


def pool2(x: np.ndarray, kind: str, floor: int = -1) -> np.ndarray:
    """The 2x2 max pool of a layer: kind "max" (signed, from `floor`) or "or" (bits)."""
    if kind == "or":
        return orpool2(x)
    if kind == "max":
        return maxpool2(x, floor)
    raise ValueError(f"unknown pool kind {kind!r}")
