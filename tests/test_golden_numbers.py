"""Number formats and memory layouts of DESIGN.md, checked against independent derivations."""

import numpy as np
import pytest

from golden import images as I
from golden.stages.mvau import fold_thresholds, fold_weights, unfold_thresholds, unfold_weights
from golden.streams import pack_words, unpack_words, window_stream, activation_stream
from golden.networks import get
from golden.words import tensor_words, words_tensor

NET = get("cnvW2A2")


def test_pixel_code_all_256_values():
    c = np.arange(256, dtype=np.uint8)
    # ap_fixed<8,1> with AP_RND (round half up) and AP_SAT of -1 + 2c/255, in units of 1/128.
    exact = np.floor((-1 + 2 * c.astype(np.float64) / 255) * 128 + 0.5)
    expected = np.clip(exact, -128, 127).astype(np.int8)
    assert np.array_equal(I.pixel_codes(c), expected)
    assert I.pixel_codes(np.array([0, 127, 128, 254, 255], np.uint8)).tolist() == [-128, -1, 1, 127, 127]


def test_image_packing_layout_and_round_trip():
    rng = np.random.default_rng(3)
    codes = rng.integers(-128, 128, size=(2, 32, 32, 3)).astype(np.int8)
    words = I.pack_images(codes)
    assert words.shape == (2, 384) and words.dtype == np.uint64
    flat = codes.reshape(2, -1)
    for e in (0, 1, 2, 3, 7, 8, 1000, 3071):   # e = pixel*3 + channel
        assert (int(words[1, e // 8]) >> (8 * (e % 8))) & 0xFF == int(flat[1, e]) & 0xFF
    assert np.array_equal(I.unpack_images(words), codes)


def test_score_packing_layout_and_round_trip():
    rng = np.random.default_rng(4)
    scores = rng.integers(-32768, 32768, size=(3, 64))
    words = I.pack_scores(scores)
    for j in (0, 3, 4, 9, 63):
        field = (int(words[2, j // 4]) >> (16 * (j % 4))) & 0xFFFF
        assert field == int(scores[2, j]) & 0xFFFF
    assert np.array_equal(I.unpack_scores(words), scores)


def test_split_packing_layout_and_round_trip():
    rng = np.random.default_rng(5)
    act = rng.integers(-1, 2, size=(4, 256)).astype(np.int8)
    packed = I.pack_codes(act, 2)
    assert packed.shape == (4, 64)
    words = tensor_words(NET, NET.natural_cut, act)
    assert words.shape == (4, 8) and np.array_equal(words.view(np.uint8).reshape(4, 64), packed)
    for c in (0, 1, 3, 4, 255):
        code = (int(packed[0, c // 4]) >> (2 * (c % 4))) & 3
        assert code == {-1: 3, 0: 0, 1: 1}[int(act[0, c])]
    assert np.array_equal(I.unpack_codes(packed, 2), act)
    assert np.array_equal(words_tensor(NET, NET.natural_cut, words), act)


def test_weight_folding_bit_positions():
    mh, mw, simd, pe = 8, 12, 3, 2
    sf = mw // simd
    for row, col, val in ((0, 0, 1), (5, 7, -1), (7, 11, 1)):
        w = np.zeros((mh, mw), np.int8)
        w[row, col] = val
        words = fold_weights(w, simd, pe)
        p, nf, s, i = row % pe, row // pe, col // simd, col % simd
        expect = np.zeros_like(words)
        expect[p, nf * sf + s] = np.uint64((val & 3) << (2 * i))
        assert np.array_equal(words, expect), (row, col)
        assert np.array_equal(unfold_weights(words, mh, mw, simd, pe), w)


def test_threshold_folding_round_trip():
    t = np.arange(32, dtype=np.int64).reshape(16, 2)
    per_pe = fold_thresholds(t, 4)
    assert per_pe[1, 2].tolist() == t[2 * 4 + 1].tolist()   # row nf*PE + pe
    assert np.array_equal(unfold_thresholds(per_pe), t)


def test_stream_word_packing_round_trip():
    rng = np.random.default_rng(6)
    lanes = rng.integers(-1, 2, size=(1, 10, 16))
    words = pack_words(lanes, 2)[0]
    assert words[0] & 3 == int(lanes[0, 0, 0]) & 3
    assert np.array_equal(unpack_words(words, 2, 16), lanes[0])


def test_window_stream_column_order():
    x = np.arange(4 * 4 * 2).reshape(1, 4, 4, 2)
    ws = window_stream(x, 3, 2)   # (1, 2*2*9*2/2, 2)
    first_pixel = ws[0, :9].reshape(-1)
    expect = [x[0, ky, kx, ch] for ky in range(3) for kx in range(3) for ch in range(2)]
    assert first_pixel.tolist() == expect
    assert activation_stream(x, 2).shape == (1, 16, 2)


def test_predict_rule():
    s = np.zeros((4, 64), np.int16)
    s[0, :10] = [1, 5, 5, 0, 0, 0, 0, 0, 0, 0]    # first of equal maxima
    s[1, :10] = -3                                  # nothing above 0 -> class 0
    s[2, :10] = [-5, -1, -2, -3, -4, -5, -6, -7, -8, 0]  # max 0 is not above 0
    s[3, 9] = 7
    s[3, 20] = 100                                  # padding rows ignored
    assert I.predict(s).tolist() == [1, 0, 0, 9]
