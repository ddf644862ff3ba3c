"""Layer functions against naive loop implementations, and the synthetic network."""

import numpy as np
import pytest

from golden import layers as L
from golden.images import pixel_codes, synthetic_images
from golden.model import run
from golden.networks import get

CNV_W2A2 = get("cnvW2A2")


def naive_conv(x, w, k=3):
    n, h, wd, c = x.shape
    out = np.zeros((n, h - k + 1, wd - k + 1, w.shape[0]), np.int64)
    for b in range(n):
        for y in range(h - k + 1):
            for xx in range(wd - k + 1):
                col = [x[b, y + ky, xx + kx, ch] for ky in range(k) for kx in range(k) for ch in range(c)]
                out[b, y, xx] = w.astype(np.int64) @ np.array(col, np.int64)
    return out


def test_conv_matches_naive():
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, size=(2, 6, 5, 3)).astype(np.int8)
    w = rng.integers(-1, 2, size=(4, 27)).astype(np.int8)
    assert np.array_equal(L.conv(x, w).astype(np.int64), naive_conv(x, w))


def test_maxpool_matches_naive():
    rng = np.random.default_rng(1)
    x = rng.integers(-1, 2, size=(2, 6, 6, 3)).astype(np.int8)
    out = L.maxpool2(x)
    for b, y, xx, c in np.ndindex(out.shape):
        assert out[b, y, xx, c] == max(-1, x[b, 2 * y:2 * y + 2, 2 * xx:2 * xx + 2, c].max())


def test_threshold_is_strict():
    t = np.array([[0, 5]])
    acc = np.array([[-1], [0], [1], [5], [6]], np.float32)
    assert L.threshold(acc, t).ravel().tolist() == [-1, -1, 0, 0, 1]


def test_layer0_fixed_point_threshold():
    rng = np.random.default_rng(2)
    acc = rng.integers(-3000, 3000, size=(500, 4))
    t = np.sort(rng.integers(-6000, 6000, size=(4, 2)), axis=1)
    t[:, 1] += 1
    t[0] = [-1, 1]   # odd raw thresholds exercise the halving
    got = L.threshold_fixed(acc.astype(np.float32), t)
    expect = -1 + (t[:, 0] < 2 * acc).astype(int) + (t[:, 1] < 2 * acc).astype(int)
    assert np.array_equal(got, expect)


def test_int16_thresholds_cut_and_wrap():
    # A threshold int64 value is cut to its low 16 bits; an accumulator that could overflow wraps.
    t = np.array([[65536 + 10, 65536 + 20]])       # cuts to (10, 20)
    acc = np.array([[15], [25], [32767 + 30]], np.float32)  # the last wraps to -32739
    got = L.threshold_int16(acc, t, max_abs=40000)
    assert got.ravel().tolist() == [0, 1, -1]


def test_wrap16_scores():
    assert L.wrap16(np.array([32768, -32769, 65535, 100])).tolist() == [-32768, 32767, -1, 100]


def test_synthetic_network_hits_every_level(synth_params):
    x = pixel_codes(synthetic_images(12, seed=99))  # not the calibration images
    taps = run(synth_params, x, taps=True).taps
    for spec in CNV_W2A2:
        if spec.thresholds:
            name = f"{spec.kind}{spec.index}"
            levels = set(np.unique(taps[name]).tolist())
            assert levels == {-1, 0, 1}, f"{name} produced only {levels}"


def test_synthetic_network_is_seeded():
    from golden.synthetic import synthetic_params

    a, b, c = synthetic_params(5), synthetic_params(5), synthetic_params(6)
    assert all(np.array_equal(a[i].weights, b[i].weights) for i in range(9))
    assert not np.array_equal(a[3].weights, c[3].weights)


def test_split_ranges_compose(synth_params):
    x = pixel_codes(synthetic_images(5, seed=3))
    full = run(synth_params, x).output
    part1 = run(synth_params, x, 0, 5).output
    part2 = run(synth_params, part1.reshape(5, -1), 6, 8).output
    assert np.array_equal(full, part2)


def test_layer0_thresholds_cut_to_24_bits():
    # ap_fixed<24,16>: a raw value beyond 24 bits wraps; 2**24 + 10 behaves like 10.
    acc = np.array([[4], [6]], np.float32)          # 2*acc = 8, 12
    t = np.array([[(1 << 24) + 10, (1 << 24) + 11]])
    assert L.threshold_fixed(acc, t).ravel().tolist() == [-1, 1]
    assert L.cut_signed(np.array([(1 << 23), -(1 << 23) - 1]), 24).tolist() == [-(1 << 23), (1 << 23) - 1]
