"""The BNN-PYNQ network family (CNV-W1A1, CNV-W1A2, CNV-W2A2, LFC-W1A1, LFC-W1A2).

Each network's facts against BNN-PYNQ's config.h / DESIGN.md, the 1-bit layer kinds against
plain references, packing of 1-bit tensors and of the LFC words, parameter files both ways,
bad inputs, the `python -m golden run` kernel twin, and the trained networks against
BNN-PYNQ's own tests and published accuracies."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from golden import images as I
from golden.errors import BnnInputError
from golden.model import accumulate, activate, apply_pool, classify, network_input, predict_classes, run
from golden.network import LayerSpec, cuts, fewest_bytes_cuts
from golden.networks import NETWORKS, get
from golden.params import load_params, save_params
from golden.stages.mvau import fold_thresholds, fold_weights, unfold_thresholds, unfold_weights
from golden.words import kernel_words, run_words, tensor_words, words_tensor

FAMILY = ["cnvW2A2", "cnvW1A1", "cnvW1A2", "lfcW1A1", "lfcW1A2"]
CNVS = ["cnvW2A2", "cnvW1A1", "cnvW1A2"]
LFCS = ["lfcW1A1", "lfcW1A2"]
NEW = ["cnvW1A1", "cnvW1A2", "lfcW1A1", "lfcW1A2"]

# BNN-PYNQ config.h (and DESIGN.md's tables): SIMD, PE, WMEM, TMEM per layer.
_CNV_W1 = dict(simd=[3, 32, 32, 32, 32, 32, 4, 8, 1], pe=[16, 32, 16, 16, 4, 1, 1, 1, 4],
               wmem=[36, 36, 144, 288, 2304, 18432, 32768, 32768, 8192],
               tmem=[4, 2, 8, 8, 64, 256, 512, 512])
_LFC = dict(simd=[64, 32, 64, 8], pe=[32, 64, 32, 16], wmem=[416, 512, 512, 512], tmem=[32, 16, 32, 4])
CONFIG = {"cnvW1A1": _CNV_W1, "cnvW1A2": _CNV_W1, "lfcW1A1": _LFC, "lfcW1A2": _LFC}
# config.h Lx_API: bits per activation (16: the pass-through score layer).
API = {"cnvW2A2": [2] * 8 + [16], "cnvW1A1": [1] * 8 + [16], "cnvW1A2": [2] * 8 + [16],
       "lfcW1A1": [1, 1, 1, 1], "lfcW1A2": [2, 2, 2, 1]}
# top.cpp: weight interpretation per layer (FixedPointWeights<ap_int<2>>, Recast<Binary>, Recast<XnorMul>).
WEIGHTS = {"cnvW2A2": ["ternary"] * 9, "cnvW1A1": ["binary"] + ["xnor"] * 8, "cnvW1A2": ["binary"] * 9,
           "lfcW1A1": ["xnor"] * 4, "lfcW1A2": ["binary"] * 4}
# BNN-PYNQ's training README: test error on the full test sets.
PUBLISHED_ERROR = {"cnvW1A1": 20.46, "cnvW1A2": 16.37, "cnvW2A2": 15.20}


def popcount64(v) -> int:
    return bin(int(v)).count("1")


# ---------------------------------------------------------------- network facts

def test_registry_and_unknown_name():
    assert set(NETWORKS) == set(FAMILY)
    with pytest.raises(BnnInputError) as e:
        get("cnvW3A3")
    for name in FAMILY:
        assert name in str(e.value)
    prefixes = [get(n).kernel_prefix for n in FAMILY]
    assert len(set(prefixes)) == len(prefixes) and get("cnvW2A2").kernel_prefix == "cnv"


@pytest.mark.parametrize("name", sorted(CONFIG))
def test_folding_matches_config(name):
    net, cfg = get(name), CONFIG[name]
    f = net.folding
    assert [f.simd(i) for i in range(len(net))] == cfg["simd"]
    assert [f.pe(i) for i in range(len(net))] == cfg["pe"]
    assert [f.wmem(i) for i in range(len(net))] == cfg["wmem"]
    assert [f.tmem(s.index) for s in net if s.thresholds] == cfg["tmem"]


@pytest.mark.parametrize("name", FAMILY)
def test_number_formats_follow_top_cpp(name):
    net = get(name)
    assert [s.out_bits for s in net] == API[name]
    assert [s.weight_kind for s in net] == WEIGHTS[name]
    assert [s.num_thresholds for s in net if s.thresholds] == [1 if b == 1 else 2 for b in API[name] if b != 16]
    for s in net:
        if s.pool_after:
            assert s.pool_kind == ("or" if s.act_bits == 1 else "max")
    if name in LFCS:
        assert net.input_format == "bits" and net.output_format == "bits" and net[0].mw == 832
        assert net.image_shape == (28, 28) and net.binarize_at == 128
    else:
        assert net.input_format == "pixels8" and net.output_format == "scores"


def test_cut_sizes():
    bytes_at = {n: {c.name: c.bytes_per_image for c in cuts(get(n))} for n in FAMILY}
    assert bytes_at["cnvW1A1"]["after L5"] == 32            # DESIGN.md: 256 channels x 1 bit
    assert bytes_at["cnvW1A2"]["after L5"] == 64
    for name in LFCS:
        net = get(name)
        assert net.natural_cut in fewest_bytes_cuts(net)
        assert net.words_per_image(-1) == 13 and net.words_per_image(net.last) == 1
    assert get("cnvW1A1").words_per_image(-1) == 384 and get("cnvW1A1").words_per_image(8) == 16


@pytest.mark.parametrize("name", LFCS)
def test_lfc_stream_depths(name):
    net = get(name)
    # top.cpp: memInStrm / memOutStrm 1024, Lx_DEPTH = 512 / Lx_PE
    assert net.stream_depths["pixels"] == 1024 and net.stream_depths[f"L{net.last}"] == 1024
    for i in range(net.last):
        assert net.stream_depths[f"L{i}"] == 512 // net.folding.pe(i)


# ---------------------------------------------------------------- layer kinds vs plain references

@settings(max_examples=60, deadline=None)
@given(st.data())
def test_xnor_popcount_identity(data):
    mw = data.draw(st.integers(1, 80))
    mh = data.draw(st.integers(1, 6))
    x = data.draw(arrays(np.uint8, (3, mw), elements=st.integers(0, 1)))
    w = data.draw(arrays(np.int8, (mh, mw), elements=st.sampled_from([-1, 1])))
    spec = LayerSpec(0, "fc", mw, mh, in_bits=1, weight_kind="xnor", act_bits=1)
    acc = accumulate(spec, w, x)
    for n in range(3):
        for r in range(mh):
            bits_w = [1 if v > 0 else 0 for v in w[r]]
            popcount = sum(int(a == b) for a, b in zip(x[n], bits_w))
            dot = sum((2 * int(a) - 1) * int(b) for a, b in zip(x[n], w[r]))
            assert acc[n, r] == popcount == (mw + dot) // 2


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_binary_weights_are_plus_minus_one(data):
    mw = data.draw(st.integers(1, 64))
    in_bits = data.draw(st.sampled_from([1, 2]))
    values = [0, 1] if in_bits == 1 else [-1, 0, 1]
    x = data.draw(arrays(np.int8, (2, mw), elements=st.sampled_from(values)))
    w = data.draw(arrays(np.int8, (3, mw), elements=st.sampled_from([-1, 1])))
    spec = LayerSpec(0, "fc", mw, 3, in_bits=in_bits, weight_kind="binary")
    acc = accumulate(spec, w, x)
    for n in range(2):
        for r in range(3):
            xs = [(2 * int(v) - 1) if in_bits == 1 else int(v) for v in x[n]]
            assert acc[n, r] == sum(a * int(b) for a, b in zip(xs, w[r]))


def naive_conv(x, w, k=3):
    n, h, wd, c = x.shape
    out = np.zeros((n, h - k + 1, wd - k + 1, w.shape[0]), np.int64)
    for b in range(n):
        for y in range(h - k + 1):
            for xx in range(wd - k + 1):
                col = [int(x[b, y + ky, xx + kx, ch]) for ky in range(k) for kx in range(k) for ch in range(c)]
                out[b, y, xx] = w.astype(np.int64) @ np.array(col, np.int64)
    return out


def test_xnor_conv_matches_naive():
    rng = np.random.default_rng(10)
    x = rng.integers(0, 2, size=(2, 5, 6, 4)).astype(np.uint8)
    w = rng.choice(np.array([-1, 1], np.int8), size=(5, 36))
    spec = LayerSpec(1, "conv", 4, 5, 5, 3, in_bits=1, weight_kind="xnor", act_bits=1)
    got = accumulate(spec, w, x)
    expect = naive_conv(x, (w > 0).astype(np.int64)) + naive_conv(1 - x, (w < 0).astype(np.int64))
    assert np.array_equal(got.astype(np.int64), expect)   # equal bits: both 1 or both 0


def test_binary_pixel_layer_one_threshold():
    rng = np.random.default_rng(11)
    q = rng.integers(-128, 128, size=(2, 4, 5, 3)).astype(np.int8)
    w = rng.choice(np.array([-1, 1], np.int8), size=(6, 27))
    spec = LayerSpec(0, "conv", 3, 6, 4, 3, in_bits=8, weight_kind="binary", act_bits=1)
    acc = accumulate(spec, w, q)
    sums = naive_conv(q, w)
    assert np.array_equal(acc.astype(np.int64), sums)
    t = rng.integers(-400, 400, size=(6, 1))
    t[0, 0] = (1 << 24) + 3                  # ap_fixed<24,16>: wraps to 3
    out = activate(spec, acc, t)
    cut = ((t[:, 0] + (1 << 23)) % (1 << 24)) - (1 << 23)
    assert np.array_equal(out, (cut < 2 * sums).astype(np.int8))   # raw < 2*sum, 1 bit out
    assert set(np.unique(out)) <= {0, 1}


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, (20, 5), elements=st.integers(0, 2304)),
       arrays(np.int64, (5, 1), elements=st.integers(-70000, 70000)))
def test_one_threshold_activation(acc, t):
    spec = LayerSpec(1, "conv", 256, 5, 3, 3, in_bits=1, weight_kind="xnor", act_bits=1)  # MW 2304
    out = activate(spec, acc.astype(np.float32), t)
    cut = ((t[:, 0] + 32768) % 65536) - 32768      # ap_int<16> = the low 16 bits
    assert np.array_equal(out, (cut < acc).astype(np.int8))


def test_two_thresholds_on_binary_layer():
    spec = LayerSpec(2, "fc", 8, 1, weight_kind="binary")
    acc = np.array([[-5], [-2], [0], [3], [4]], np.float32)
    assert activate(spec, acc, np.array([[-2, 3]])).ravel().tolist() == [-1, -1, 0, 0, 1]


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_or_pool_of_bits(data):
    shape = (data.draw(st.integers(1, 2)), 2 * data.draw(st.integers(1, 4)),
             2 * data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5)))
    x = data.draw(arrays(np.uint8, shape, elements=st.integers(0, 1)))
    spec = LayerSpec(1, "conv", 4, shape[3], 5, 3, pool_after=True, in_bits=1, weight_kind="xnor", act_bits=1)
    out = apply_pool(spec, x)
    for b, y, xx, c in np.ndindex(out.shape):
        window = [int(x[b, 2 * y + i, 2 * xx + j, c]) for i in range(2) for j in range(2)]
        assert out[b, y, xx, c] == (1 if any(window) else 0)


# ---------------------------------------------------------------- packing of 1-bit tensors

@settings(max_examples=50, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 3), st.integers(1, 40).map(lambda k: 8 * k)),
              elements=st.integers(0, 1)))
def test_one_bit_codes_round_trip(bits):
    packed = I.pack_codes(bits, 1)
    for c in range(bits.shape[1]):
        assert (int(packed[0, c // 8]) >> (c % 8)) & 1 == bits[0, c]
    assert np.array_equal(I.unpack_codes(packed, 1), bits)


def test_w1a1_split_words_layout():
    net = get("cnvW1A1")
    rng = np.random.default_rng(12)
    act = rng.integers(0, 2, size=(3, 256)).astype(np.int8)
    words = tensor_words(net, net.natural_cut, act)
    assert words.shape == (3, 4) and words.dtype == np.uint64
    for c in (0, 1, 63, 64, 200, 255):
        assert (int(words[1, c // 64]) >> (c % 64)) & 1 == act[1, c]
    assert np.array_equal(words_tensor(net, net.natural_cut, words), act)


def test_w1a2_split_words_layout():
    net = get("cnvW1A2")
    act = np.random.default_rng(13).integers(-1, 2, size=(2, 256)).astype(np.int8)
    words = tensor_words(net, net.natural_cut, act)
    assert words.shape == (2, 8)
    for c in (0, 5, 31, 32, 255):
        assert (int(words[0, c // 32]) >> (2 * (c % 32))) & 3 == int(act[0, c]) & 3
    assert np.array_equal(words_tensor(net, net.natural_cut, words), act)


@pytest.mark.parametrize("name", LFCS)
def test_lfc_input_and_output_words(name, family_synth_params):
    params = family_synth_params(name)
    net = params.network
    imgs = I.network_images(net, 3, seed=21)
    imgs[0, 0, :4] = [127, 128, 0, 255]          # the binarization edge
    words_in, words_out, out = kernel_words(params, imgs, 0, net.last)
    assert words_in.shape == (3, 13) and words_out.shape == (3, 1)
    flat = imgs.reshape(3, -1)
    for n in range(3):
        for i in range(832):
            bit = (int(words_in[n, i // 64]) >> (i % 64)) & 1
            assert bit == (int(flat[n, i] >= 128) if i < 784 else 0), (n, i)
    assert ((int(words_in[0, 0]) >> np.arange(4)) & 1).tolist() == [0, 1, 0, 1]
    for n in range(3):
        assert [(int(words_out[n, 0]) >> j) & 1 for j in range(64)] == out[n].tolist()
    assert np.array_equal(words_tensor(net, -1, words_in), network_input(net, imgs))


def test_predict_from_output_bits():
    bits = np.zeros((4, 64), np.int8)
    bits[0, 3] = 1
    bits[1, [2, 7]] = 1          # several set: the host's log2 takes the highest
    bits[3, 12] = 1              # beyond the 10 classes: masked away -> class 0
    assert I.predict(bits, 10, "bits").tolist() == [3, 7, 0, 0]
    assert predict_classes(get("lfcW1A1"), bits).tolist() == [3, 7, 0, 0]


# ---------------------------------------------------------------- 1-bit parameter folding

def test_one_bit_weight_folding_positions():
    mh, mw, simd, pe = 8, 12, 4, 2
    sf = mw // simd
    for row, col in ((0, 0), (5, 7), (7, 11)):
        w = -np.ones((mh, mw), np.int8)
        w[row, col] = 1
        words = fold_weights(w, simd, pe, bits=1)
        p, nf, s, i = row % pe, row // pe, col // simd, col % simd
        expect = np.zeros_like(words)
        expect[p, nf * sf + s] = np.uint64(1 << i)
        assert np.array_equal(words, expect), (row, col)
        assert np.array_equal(unfold_weights(words, mh, mw, simd, pe, bits=1), w)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_one_bit_weight_folding_round_trip(data):
    simd = data.draw(st.sampled_from([1, 3, 4, 8, 32, 64]))
    pe = data.draw(st.sampled_from([1, 2, 4]))
    sf, nf = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    w = data.draw(arrays(np.int8, (nf * pe, sf * simd), elements=st.sampled_from([-1, 1])))
    words = fold_weights(w, simd, pe, bits=1)
    if simd < 64:
        assert not (words >> np.uint64(simd)).any()   # only the low SIMD bits are used
    assert sum(popcount64(v) for v in words.ravel()) == int((w > 0).sum())
    assert np.array_equal(unfold_weights(words, nf * pe, sf * simd, simd, pe, bits=1), w)
    assert np.array_equal(fold_weights(-w, simd, pe, bits=1), ~words & np.uint64((1 << simd) - 1)
                          if simd < 64 else ~words)


def test_one_bit_weights_must_be_plus_minus_one():
    w = np.ones((2, 4), np.int8)
    w[1, 2] = 0
    with pytest.raises(BnnInputError, match="row 1 column 2 is 0"):
        fold_weights(w, 4, 1, bits=1)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_single_threshold_folding_round_trip(data):
    pe = data.draw(st.sampled_from([1, 2, 4, 16]))
    nf = data.draw(st.integers(1, 6))
    t = data.draw(arrays(np.int64, (nf * pe, 1), elements=st.integers(-2**40, 2**40)))
    per_pe = fold_thresholds(t, pe)
    assert per_pe.shape == (pe, nf, 1)
    assert per_pe[pe - 1, nf - 1, 0] == t[(nf - 1) * pe + pe - 1, 0]   # row nf*PE + pe
    assert np.array_equal(unfold_thresholds(per_pe), t)


# ---------------------------------------------------------------- synthetic networks

@pytest.mark.parametrize("name", FAMILY)
def test_synthetic_network_hits_every_level(name, family_synth_params):
    params = family_synth_params(name)
    net = params.network
    x = network_input(net, I.network_images(net, 12, seed=99))   # not the calibration images
    taps = run(params, x, taps=True).taps
    for spec in net:
        if spec.thresholds:
            levels = set(np.unique(taps[f"{spec.kind}{spec.index}"]).tolist())
            want = {0, 1} if spec.act_bits == 1 else {-1, 0, 1}
            assert levels == want, f"{name} layer {spec.index} produced only {levels}"


@pytest.mark.parametrize("name", NEW)
def test_synthetic_files_round_trip(name, family_synth_params, tmp_path):
    params = family_synth_params(name)
    written = save_params(params, tmp_path)
    again = load_params(tmp_path, network=name)
    for i, lp in params.layers.items():
        assert np.array_equal(again[i].weights, lp.weights)
        assert (lp.thresholds is None) == (again[i].thresholds is None)
        if lp.thresholds is not None:
            assert np.array_equal(again[i].thresholds, lp.thresholds)
    assert all(p.read_bytes() == q.read_bytes()
               for p, q in zip(written, save_params(again, tmp_path / "again")))


@pytest.mark.parametrize("name", FAMILY)
def test_every_cut_composes(name, family_synth_params):
    params = family_synth_params(name)
    net = params.network
    imgs = I.network_images(net, 3, seed=5)
    full_in, full_out, _ = kernel_words(params, imgs, 0, net.last)
    assert np.array_equal(run_words(params, full_in, 0, net.last), full_out)
    for c in range(net.last):
        _, mid, _ = kernel_words(params, imgs, 0, c)
        assert np.array_equal(run_words(params, mid, c + 1, net.last), full_out), c


# ---------------------------------------------------------------- bad input

def test_threshold_file_of_other_activation_width(family_synth_params, tmp_path):
    save_params(family_synth_params("cnvW1A1"), tmp_path)
    f = tmp_path / "2-3-thres.bin"                 # TMEM 8, one threshold each: 64 bytes
    np.arange(16, dtype="<i8").tofile(f)           # two per neuron, as a 2-bit network has
    with pytest.raises(BnnInputError) as e:
        load_params(tmp_path, network="cnvW1A1")
    msg = str(e.value)
    assert "2-3-thres.bin has 128 bytes; expected 64" in msg
    assert "TMEM=8 x 1 per neuron for 1-bit activations" in msg and "2 threshold(s) per neuron" in msg


def test_lfc_threshold_file_too_short(family_synth_params, tmp_path):
    save_params(family_synth_params("lfcW1A2"), tmp_path)
    f = tmp_path / "0-5-thres.bin"                 # TMEM 32 x 2 = 512 bytes
    f.write_bytes(f.read_bytes()[:256])
    with pytest.raises(BnnInputError, match=r"0-5-thres\.bin has 256 bytes; expected 512 .*2-bit activations"):
        load_params(tmp_path, network="lfcW1A2")


def _idx(tmp_path, payload: bytes):
    f = tmp_path / "x-idx3-ubyte"
    f.write_bytes(payload)
    return f


def test_idx_errors(tmp_path):
    head = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    good = _idx(tmp_path, head + bytes(2 * 784))
    assert I.read_mnist(good).shape == (2, 28, 28)
    with pytest.raises(BnnInputError, match=r"bad magic number 0x08000803"):
        I.read_idx(_idx(tmp_path, bytes([8, 0, 8, 3]) + head[4:] + bytes(2 * 784)))
    with pytest.raises(BnnInputError, match=r"has 1571 bytes; expected 1584 \(16 header bytes \+ 2 x 28 x 28"):
        I.read_idx(_idx(tmp_path, head + bytes(2 * 784 - 13)))
    with pytest.raises(BnnInputError, match=r"announces 3 dimensions \(16 header bytes\), the file has 10"):
        I.read_idx(_idx(tmp_path, head[:10]))
    with pytest.raises(BnnInputError, match=r"expected uint8 images of shape \(N, 28, 28\)"):
        I.read_mnist(_idx(tmp_path, bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + bytes(3)))
    with pytest.raises(BnnInputError, match="not found"):
        I.read_idx(tmp_path / "missing")


def test_images_of_the_wrong_dataset(family_synth_params):
    with pytest.raises(BnnInputError, match=r"lfcW1A1 images: expected shape \(N, 28, 28\)"):
        classify(family_synth_params("lfcW1A1"), np.zeros((2, 32, 32, 3), np.uint8))


def test_idx_write_read_round_trip(tmp_path):
    imgs = I.network_images(get("lfcW1A1"), 4, seed=3)
    assert np.array_equal(I.read_mnist(I.write_idx(tmp_path / "a", imgs)), imgs)


# ---------------------------------------------------------------- command line

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "golden", *args], capture_output=True, text=True)


@pytest.mark.parametrize("name", FAMILY)
def test_cli_run_round_trip(name, family_synth_params, tmp_path):
    net = get(name)
    imgs = I.network_images(net, 2, seed=8)
    words_in, words_out, _ = kernel_words(family_synth_params(name), imgs, 0, net.last)
    np.save(tmp_path / "in.npy", words_in)
    c = net.natural_cut
    steps = [("--last", str(c), "mid.npy", "in.npy"), ("--first", str(c + 1), "out.npy", "mid.npy"),
             (None, None, "full.npy", "in.npy")]
    for flag, val, out, src in steps:
        args = ["run", "--network", name, "--words-in", str(tmp_path / src), "--words-out", str(tmp_path / out)]
        r = _cli(*args, *((flag, val) if flag else ()))
        assert r.returncode == 0, r.stderr
    mid, out, full = (np.load(tmp_path / f) for f in ("mid.npy", "out.npy", "full.npy"))
    assert mid.dtype == np.uint64 and mid.shape == (2, net.words_per_image(c))
    assert np.array_equal(out, full) and np.array_equal(full, words_out)


def test_cli_run_bad_words(tmp_path):
    np.save(tmp_path / "in.npy", np.zeros((2, 12), np.uint64))
    r = _cli("run", "--network", "lfcW1A1", "--words-in", str(tmp_path / "in.npy"),
             "--words-out", str(tmp_path / "o.npy"))
    assert r.returncode == 2 and "expected words of shape (N, 13)" in r.stderr and "Traceback" not in r.stderr


def test_cli_classify_mnist(tmp_path):
    imgs = I.network_images(get("lfcW1A2"), 5, seed=4)
    I.write_idx(tmp_path / "imgs", imgs)
    I.write_idx(tmp_path / "labels", np.arange(5, dtype=np.uint8))
    r = _cli("classify", "--network", "lfcW1A2", "--mnist", str(tmp_path / "imgs"),
             "--mnist-labels", str(tmp_path / "labels"), "--scores-out", str(tmp_path / "o.npy"))
    assert r.returncode == 0, r.stderr
    assert "accuracy: " in r.stdout and "/5 = " in r.stdout and "predictions: " in r.stdout
    assert np.load(tmp_path / "o.npy").shape == (5, 64)


def test_cli_errors_are_clear(tmp_path):
    cifar = tmp_path / "c.bin"
    cifar.write_bytes(bytes(3073))
    r = _cli("classify", "--network", "lfcW1A1", "--cifar", str(cifar))
    assert r.returncode == 2 and "lfcW1A1 classifies MNIST images (--mnist)" in r.stderr
    r = _cli("splits", "--network", "lfcW9")
    assert r.returncode == 2 and all(n in r.stderr for n in FAMILY)


def test_cli_tables_per_network():
    r = _cli("splits", "--network", "cnvW1A1")
    assert r.returncode == 0 and "1x1x256" in r.stdout
    r = _cli("cycles", "--network", "lfcW1A1")
    assert r.returncode == 0 and "bottleneck" in r.stdout


# ---------------------------------------------------------------- trained networks

@pytest.mark.data
@pytest.mark.parametrize("name", FAMILY)
def test_trained_write_back_byte_identical(name, family_params_dir, tmp_path):
    src = family_params_dir(name)
    written = save_params(load_params(src, network=name), tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in src.glob("*.bin"))
    for path in written:
        assert path.read_bytes() == (src / path.name).read_bytes(), path.name


@pytest.mark.data
@pytest.mark.parametrize("name", ["cnvW1A1", "cnvW1A2"])
def test_trained_cnv_accuracy(name, family_trained_params, cifar_file):
    images, labels = I.read_cifar(cifar_file)
    params = family_trained_params(name)
    acc = float((predict_classes(params.network, classify(params, images)) == labels).mean())
    print(f"{name}: accuracy on {len(labels)} images {100 * acc:.2f}%")
    # within 5 points of the published full-test-set accuracy
    assert acc >= 1 - PUBLISHED_ERROR[name] / 100 - 0.05


@pytest.mark.data
@pytest.mark.parametrize("name", CNVS)
def test_trained_cnv_deer(name, family_trained_params, deer_file, bnn_image_file):
    # BNN-PYNQ tests/test_qnn.py: deer.jpg is class 4 for all three CNVs.
    params = family_trained_params(name)
    deer_bin, _ = I.read_cifar(deer_file)
    deer_jpg = I.read_image_file(bnn_image_file("deer.jpg"))
    assert predict_classes(params.network, classify(params, deer_bin)).tolist() == [4]
    assert predict_classes(params.network, classify(params, deer_jpg)).tolist() == [4]


@pytest.mark.data
@pytest.mark.parametrize("name", LFCS)
def test_trained_lfc_digit_three(name, family_trained_params, mnist_three_file):
    # BNN-PYNQ tests/test_qnn.py: 3.image-idx3-ubyte is class 3 for both LFCs.
    params = family_trained_params(name)
    out = classify(params, I.read_mnist(mnist_three_file))
    assert predict_classes(params.network, out).tolist() == [3]
    more = classify(params, I.network_images(params.network, 20, seed=6))
    assert not out[:, 10:].any() and not more[:, 10:].any(), "padding rows (threshold 32767) never fire"


@pytest.mark.data
def test_photo_to_mnist_pipeline(bnn_image_file, family_trained_params):
    img = I.mnist_from_photo(bnn_image_file("6.png"))
    assert img.shape == (1, 28, 28) and set(np.unique(img).tolist()) <= {1, 255}
    assert (img == 255).any()
    for name in LFCS:
        params = family_trained_params(name)
        cls = predict_classes(params.network, classify(params, img))
        print(f"{name}: 6.png through the webcam pipeline -> class {int(cls[0])}")
