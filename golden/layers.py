"""Each layer kind of the BNN-PYNQ networks as a vectorised NumPy function, bit-exact to the
hardware.

Dot products run through float32 BLAS: every operand is a small integer (weights in
{-1, 0, 1}, activations in {-1, 0, 1}, pixel codes in [-128, 127]) and no sum exceeds
2304 * 128 < 2**24, so float32 arithmetic is exact and far faster than integer matmul.
Accumulators therefore come back as float32 holding exact integers.
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


def wrap16(acc: np.ndarray) -> np.ndarray:
    """Two's complement 16-bit wrap of an accumulator (hardware ap_int<16> / ap_uint<16>)."""
    return np.asarray(acc).astype(np.int64).astype(np.int16)


def _ternary(acc: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    return ((t0 < acc).view(np.int8) + (t1 < acc).view(np.int8) - 1).astype(np.int8, copy=False)


def threshold(acc: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Ternary activation -1 + [t0 < acc] + [t1 < acc] (strict); t is (MH, 2) integers.

    Thresholds beyond +-2**24 compare like +-2**24 with any exact float32 accumulator,
    so they are clipped there and the comparison stays exact in float32.
    """
    tf = np.clip(np.asarray(t, dtype=np.int64), -_EXACT, _EXACT).astype(np.float32)
    return _ternary(acc, tf[:, 0], tf[:, 1])


def threshold_int16(acc: np.ndarray, t: np.ndarray, max_abs: int) -> np.ndarray:
    """Layers 1-7: a signed 16-bit accumulator against thresholds cut to int16.

    `max_abs` bounds |acc| (MW for ternary inputs): when it fits 16 bits the wrap is a
    no-op and the float accumulator is compared directly.
    """
    if max_abs > 32767:
        acc = wrap16(acc).astype(np.float32)
    return threshold(acc, np.asarray(t).astype(np.int16))


def cut_signed(t: np.ndarray, bits: int) -> np.ndarray:
    """Keep the low `bits` bits of int64 values as a signed number (HLS AP_WRAP assignment)."""
    t = np.asarray(t, dtype=np.int64)
    half = np.int64(1) << (bits - 1)
    return ((t + half) & ((half << 1) - 1)) - half


def threshold_fixed(acc: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Layer 0: thresholds are held as ap_fixed<24,16> (the .bin's 64-bit fixed point cut to
    24 bits); the sum of w*q has 7 fractional bits and the threshold 8, so the test is
    t < 2*acc, which for integer acc is exactly floor(t/2) < acc."""
    return threshold(acc, cut_signed(t, 24) >> 1)


def maxpool2(x: np.ndarray) -> np.ndarray:
    """2x2 stride-2 signed max pool on (N, H, W, C) (the hardware starts from -1, the minimum)."""
    n, h, w, c = x.shape
    x = x[:, : h // 2 * 2, : w // 2 * 2]
    return np.maximum(x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4)), -1).astype(x.dtype)
