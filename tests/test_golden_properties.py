"""Property-based tests (hypothesis) of golden/'s packing and folding."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from golden import images as I
from golden.errors import BnnInputError
from golden.stages.mvau import fold_thresholds, fold_weights, unfold_thresholds, unfold_weights

ternary = st.sampled_from([-1, 0, 1])


@settings(max_examples=50, deadline=None)
@given(arrays(np.int8, st.tuples(st.integers(1, 3), st.just(32), st.just(32), st.just(3))))
def test_image_words_round_trip(codes):
    words = I.pack_images(codes)
    assert words.shape == (len(codes), 384)
    assert np.array_equal(I.unpack_images(words), codes)


@settings(max_examples=50, deadline=None)
@given(arrays(np.int16, st.tuples(st.integers(1, 4), st.just(64))))
def test_score_words_round_trip(scores):
    assert np.array_equal(I.unpack_scores(I.pack_scores(scores)), scores)


@settings(max_examples=50, deadline=None)
@given(arrays(np.int8, st.tuples(st.integers(1, 4), st.just(256)), elements=ternary))
def test_split_bytes_round_trip(act):
    packed = I.pack_codes(act, 2)
    assert packed.shape == (len(act), 64)
    assert np.array_equal(I.unpack_codes(packed, 2), act)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_weight_folding_round_trip(data):
    simd = data.draw(st.sampled_from([1, 2, 3, 4, 8, 16]))
    pe = data.draw(st.sampled_from([1, 2, 4, 8]))
    sf = data.draw(st.integers(1, 6))
    nf = data.draw(st.integers(1, 6))
    w = data.draw(arrays(np.int8, (nf * pe, sf * simd), elements=ternary))
    words = fold_weights(w, simd, pe)
    assert words.shape == (pe, nf * sf)
    # only the low 2*SIMD bits of a word are used
    assert not (words >> np.uint64(2 * simd)).any()
    assert np.array_equal(unfold_weights(words, nf * pe, sf * simd, simd, pe), w)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_threshold_folding_round_trip(data):
    pe = data.draw(st.sampled_from([1, 2, 4, 8]))
    nf = data.draw(st.integers(1, 8))
    t = data.draw(arrays(np.int64, (nf * pe, 2), elements=st.integers(-2**40, 2**40)))
    assert np.array_equal(unfold_thresholds(fold_thresholds(t, pe)), t)


@settings(max_examples=30, deadline=None)
@given(arrays(np.uint8, st.integers(1, 300)))
def test_pixel_codes_are_monotonic_and_bounded(c):
    q = I.pixel_codes(np.sort(c)).astype(int)
    assert (np.diff(q) >= 0).all() and q.min() >= -128 and q.max() <= 127
    assert (q != 0).all(), "no byte maps to code 0 (-1 + 2c/255 is never exactly 0)"


@settings(max_examples=30, deadline=None)
@given(st.tuples(st.integers(1, 3), st.integers(1, 40), st.integers(1, 40), st.integers(1, 4)))
def test_wrong_image_shape_is_a_clear_error(shape):
    if shape[1:] == (32, 32, 3):
        return
    with pytest.raises(BnnInputError, match=r"expected shape \(N, 32, 32, 3\)"):
        I.pack_images(np.zeros(shape, np.int8))
