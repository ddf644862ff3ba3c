"""Imported QONNX / FINN-ONNX models against qonnx's own executor (execute_onnx), which this
project did not write: every supported construct and bit width, BNN-PYNQ-shaped networks with
seeded weights, the five built-in networks written out as QONNX and imported back, and the
errors for what is not supported."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden import netfile, networks, onnx_check
from golden.errors import BnnInputError
from golden.folding import fold_for_target, layer_cycles, simd_choices
from golden.onnx_import import import_model, write_import
from golden.params import load_params
from qonnx_graphs import EXAMPLES, Graph

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def _imported(graph: Graph, tmp_path, name="m", folding=None):
    model = graph.save(tmp_path / f"{name}.onnx")
    write_import(import_model(model, folding=folding), tmp_path / name)
    net = netfile.read(tmp_path / name)
    return model, net, load_params(tmp_path / name, net.folding)


def _agrees(graph: Graph, tmp_path, inputs: int = 6, seed: int = 0):
    model, net, params = _imported(graph, tmp_path)
    agreement = onnx_check.compare(model, params, onnx_check.random_codes(net, inputs, seed))
    assert agreement.exact, str(agreement)
    return net, params


# ------------------------------------------------------------------ one construct at a time
CONSTRUCTS = {
    "conv3 int2 act2 signed": lambda g: g.quant_input(8).conv(8, 3, wbits=2).affine().act(2).flatten()
    .matmul(4, wbits=2),
    "conv5": lambda g: g.quant_input(8).conv(4, 5, wbits=2).affine().act(2).flatten().matmul(4),
    "conv1": lambda g: g.quant_input(8).conv(8, 1, wbits=3).affine().act(2).flatten().matmul(4),
    "int8 input": lambda g: g.quant_input(8, signed=True, scale=2.0 ** -7).conv(4, 3).affine().act(2)
    .flatten().matmul(4),
    "ternary weights (narrow 2-bit)": lambda g: g.quant_input(8).conv(8, 3, wbits=2, narrow=True).affine()
    .act(2).flatten().matmul(4, wbits=2, narrow=True),
    "per-channel weight scales": lambda g: g.quant_input(8).conv(8, 3, wbits=3, per_channel=True).affine()
    .act(2).flatten().matmul(4, per_channel=True),
    "unsigned 4-bit weights": lambda g: g.quant_input(8).conv(4, 3, wbits=4, signed=False).affine()
    .act(2).flatten().matmul(4),
    "bipolar weights on 8-bit input": lambda g: g.quant_input(8).conv(8, 3, bipolar=True).affine()
    .act(2).flatten().matmul(4, bipolar=True),
    "batch norm + relu + unsigned act": lambda g: g.quant_input(8).conv(8, 3).batchnorm().relu()
    .act(3, signed=False).flatten().matmul(4),
    "max pool": lambda g: g.quant_input(8).conv(8, 3).affine().act(2).maxpool().flatten().matmul(4),
    "max pool on 1-bit unsigned": lambda g: g.quant_input(8).conv(8, 3).affine().act(1, signed=False)
    .maxpool().flatten().matmul(4),
    "max pool on bipolar": lambda g: g.quant_input(8).conv(8, 3).affine().bipolar_act().maxpool()
    .flatten().matmul(4, bipolar=True),
    "NHWC transpose + flatten": lambda g: g.quant_input(8).conv(8, 3).affine().act(2).flatten(nhwc=True)
    .matmul(4),
    "reshape": lambda g: g.quant_input(8).conv(8, 3).affine().act(2).reshape().matmul(4),
    "gemm": lambda g: g.quant_input(8).conv(8, 3).affine().act(2).flatten().matmul(8, gemm=True)
    .affine().act(2).matmul(4, gemm=True),
    "FINN MultiThreshold signed": lambda g: g.quant_input(8).conv(8, 3).multithreshold(3, out_bias=-1)
    .flatten().matmul(4),
    "FINN MultiThreshold 15 steps": lambda g: g.quant_input(8).conv(8, 3).multithreshold(15).flatten()
    .matmul(4),
    "FINN bipolar MultiThreshold": lambda g: g.quant_input(8).conv(8, 3)
    .multithreshold(1, out_bias=-1, out_scale=2).flatten().matmul(4, bipolar=True),
    "FINN binarized input": lambda g: g.threshold_input(127.5).flatten().matmul(16, bipolar=True).affine(levels=1)
    .bipolar_act().matmul(4, bipolar=True),
    "last layer scaled": lambda g: g.quant_input(8).conv(4, 3).affine().act(2).flatten().matmul(8).affine(),
    "last layer thresholded": lambda g: g.quant_input(8).conv(4, 3).affine().act(2).flatten().matmul(64)
    .affine(levels=1).bipolar_act(),
}


@pytest.mark.parametrize("construct", list(CONSTRUCTS))
def test_construct_equals_qonnx(construct, tmp_path):
    _agrees(CONSTRUCTS[construct](Graph((1, 3, 8, 8), seed=len(construct))), tmp_path)


@pytest.mark.parametrize("act_bits", [1, 2, 3, 4])
@pytest.mark.parametrize("wbits", [1, 2, 3, 4])
def test_every_bit_width_equals_qonnx(wbits, act_bits, tmp_path):
    """Weights of 1 (bipolar) to 4 bits, activations of 1 to 4 bits (2^A - 1 thresholds per
    neuron), on fc layers fed by a binarized input."""
    g = Graph((1, 64), seed=10 * wbits + act_bits).bipolar_input()
    wkw = {"bipolar": True} if wbits == 1 else {"wbits": wbits}
    g.matmul(32, **wkw).affine(levels=2 ** act_bits)
    g.act(act_bits, signed=False) if act_bits > 1 else g.bipolar_act()
    g.matmul(16, **wkw).affine(levels=2 ** act_bits).act(act_bits, signed=act_bits > 1).matmul(8, **wkw)
    net, _ = _agrees(g, tmp_path)
    assert net[1].act_bits == act_bits and net[1].num_thresholds == 2 ** act_bits - 1
    assert net[0].weight_bits >= wbits


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 16), k=st.sampled_from([1, 3, 5]), ch=st.sampled_from([2, 4, 8]),
       wbits=st.integers(2, 4), act=st.integers(1, 4), pool=st.booleans(), mh=st.sampled_from([4, 8, 12]))
def test_random_networks_equal_qonnx(tmp_path_factory, seed, k, ch, wbits, act, pool, mh):
    g = Graph((1, 3, 9 + k, 9 + k), seed=seed).quant_input(8, signed=bool(seed % 2))
    g.conv(ch, k, wbits=wbits).affine(levels=2 ** act)
    g.act(act, signed=False) if act > 1 else g.bipolar_act()
    if pool:
        g.maxpool()
    g.flatten(nhwc=bool(seed % 3 == 0)).matmul(mh, wbits=wbits)
    _agrees(g, tmp_path_factory.mktemp("h"), inputs=3, seed=seed)


# ------------------------------------------------------------------ BNN-PYNQ-shaped networks
SHAPED = {k: v for k, v in EXAMPLES.items() if k in ("CNV", "LFC", "SFC", "TFC")}


@pytest.mark.parametrize("shape", list(SHAPED))
def test_bnn_pynq_shaped_networks_equal_qonnx(shape, tmp_path):
    net, _ = _agrees(SHAPED[shape](), tmp_path, inputs=2)
    if shape == "CNV":
        assert [s.kind for s in net] == ["conv"] * 6 + ["fc"] * 3
        assert net.words_per_image(net.natural_cut) * 8 == 64      # the paper's 64-byte cut
    else:
        assert net.input_format == "bits" and net[0].mw == 832 and net[0].weight_kind == "xnor"


# ------------------------------------------------------------------ round trip of the built-ins
@pytest.mark.data
@pytest.mark.parametrize("name", list(networks.NETWORKS))
def test_builtin_network_round_trip(name, tmp_path):
    """A BNN-PYNQ network from its trained .bin files -> QONNX -> import: the same weights,
    the same thresholds wherever they can matter, the same outputs on real images as the
    built-in model (which matches the real HLS RTL), and qonnx agrees."""
    from golden import data, images, onnx_export
    from golden.model import network_input, run
    net = networks.get(name)
    builtin = load_params(data.params_dir(name), network=name)
    model = onnx_export.save(builtin, tmp_path / "m.onnx", name=name + "_qonnx")
    write_import(import_model(model, name + "_qonnx", folding=net.default_folding), tmp_path / "i")
    inet = netfile.read(tmp_path / "i")
    back = load_params(tmp_path / "i", inet.folding)
    for spec, ispec in zip(net, inet):
        assert np.array_equal(builtin[spec.index].weights, back[spec.index].weights), spec.index
        assert (ispec.kind, ispec.mw, ispec.mh, ispec.pool_after) == (spec.kind, spec.mw, spec.mh, spec.pool_after)
        if spec.thresholds and spec.weight_kind == ispec.weight_kind:
            want = onnx_export.effective_thresholds(spec, builtin[spec.index].thresholds)
            got = back[spec.index].thresholds
            lo, hi = got.min(axis=1, keepdims=True), got.max(axis=1, keepdims=True)
            inside = (want > lo - 1) & (want < hi)      # thresholds inside the sums' range
            assert np.array_equal(np.where(inside, want, got), got)
    if net.dataset == "CIFAR-10":
        imgs, _ = images.read_cifar(data.cifar_file(), limit=16)
    else:
        imgs = np.repeat(images.read_mnist(data.mnist_three_file()), 2, axis=0)
    x = network_input(net, imgs)
    assert np.array_equal(run(builtin, x).output, run(back, x).output)
    codes = np.transpose(x, (0, 3, 1, 2)) if x.ndim == 4 else 2 * x.astype(np.int64) - 1
    agreement = onnx_check.compare(model, back, codes[:3])
    assert agreement.exact, str(agreement)


# ------------------------------------------------------------------ what is not supported
UNSUPPORTED = {
    "AveragePool": (lambda g: g.quant_input(8).node("AveragePool", [g.cur], kernel_shape=[2, 2]), "AveragePool"),
    "stride 2": (lambda g: g.quant_input(8).node("Conv", [g.cur, g._weights((4, 3, 3, 3), 2)], kernel_shape=[3, 3],
                                                strides=[2, 2]), "strides [2, 2]"),
    "padding": (lambda g: g.quant_input(8).node("Conv", [g.cur, g._weights((4, 3, 3, 3), 2)], kernel_shape=[3, 3],
                                               pads=[1, 1, 1, 1]), "pads [1, 1, 1, 1]"),
    "kernel 2": (lambda g: g.quant_input(8).conv(4, 2), "kernel 2x2"),
    "5-bit activation": (lambda g: g.quant_input(8).conv(4, 3).affine().act(5), "5 bits"),
    "3x3 max pool": (lambda g: g.quant_input(8).conv(4, 3).affine().act(2)
                     .node("MaxPool", [g.cur], kernel_shape=[3, 3], strides=[3, 3]), "kernel [3, 3]"),
    "4-bit input": (lambda g: g.quant_input(4), "quantized to 4 bits"),
    "float weights": (lambda g: g.quant_input(8).node("Conv", [g.cur, g.const(np.full((4, 3, 3, 3), 0.3), "w")],
                                                      kernel_shape=[3, 3]), "float weights"),
    "pool before activation": (lambda g: g.quant_input(8).conv(4, 3).maxpool(), "must follow a conv layer"),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_unsupported_nodes_are_named(case, tmp_path):
    build, detail = UNSUPPORTED[case]
    g = Graph((1, 3, 8, 8), seed=1)
    build(g)
    node = g.nodes[-1]
    path = g.save(tmp_path / "m.onnx")
    with pytest.raises(BnnInputError) as exc:
        import_model(path)
    msg = str(exc.value)
    assert f"({node.op_type})" in msg and detail in msg and "supported:" in msg, msg
    assert node.name in msg or node.op_type == "Quant"


def test_not_onnx_and_missing_model(tmp_path):
    bad = tmp_path / "x.onnx"
    bad.write_bytes(b"not a protobuf \x00\xff")
    with pytest.raises(BnnInputError, match="not an ONNX file"):
        import_model(bad)
    with pytest.raises(BnnInputError, match="not found"):
        import_model(tmp_path / "missing.onnx")


# ------------------------------------------------------------------ NETWORK=, the CLI, folding
def test_import_command_and_network_by_path(tmp_path):
    model = SHAPED["TFC"]().save(tmp_path / "tfc_user.onnx")
    out = tmp_path / "imported"
    run = subprocess.run([sys.executable, "-m", "golden", "import", str(model), "--out", str(out), "--check", "3"],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "all 30 output values equal qonnx's" in run.stdout
    assert (out / "network.json").exists() and (out / "0-0-weights.bin").exists()
    net = networks.get(str(out))
    assert net.name == "tfc_user" and networks.get("tfc_user") is net      # registered by name
    cuts = subprocess.run([sys.executable, "-m", "golden", "splits", "--network", str(out)],
                          capture_output=True, text=True, cwd=REPO)
    assert cuts.returncode == 0 and "after L0" in cuts.stdout, cuts.stderr


@pytest.mark.parametrize("img_s", [2000.0, 50000.0, 1e6])
def test_target_folding_is_the_smallest_that_meets_it(img_s):
    layers = import_model_layers()
    folding = fold_for_target(layers, img_s, 100e6)
    goal = 100e6 / img_s
    for spec, (simd, pe) in zip(layers, folding):
        cycles = layer_cycles(spec, simd, pe)
        widest = layer_cycles(spec, simd_choices(spec)[-1], spec.mh)
        assert cycles <= goal or cycles == widest
        # one step less parallel (SIMD, or PE at full SIMD) misses the target
        smaller = [s for s in simd_choices(spec) if s < simd]
        if pe == 1 and smaller:
            assert layer_cycles(spec, smaller[-1], 1) > goal
        if pe > 1:
            assert simd == simd_choices(spec)[-1]
            fewer = [p for p in range(1, pe) if spec.mh % p == 0]
            assert layer_cycles(spec, simd, fewer[-1]) > goal


def import_model_layers():
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        return list(import_model(SHAPED["CNV"]().save(Path(d) / "c.onnx")).network.layers)


def test_target_img_s_writes_the_folding(tmp_path):
    model = SHAPED["TFC"]().save(tmp_path / "t.onnx")
    run = subprocess.run([sys.executable, "-m", "golden", "import", str(model), "--out", str(tmp_path / "o"),
                          "--target-img-s", "200000", "--check", "0"], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    folding = json.loads((tmp_path / "o" / "folding.json").read_text())
    net = netfile.read(tmp_path / "o")
    assert [(e["simd"], e["pe"]) for e in folding["layers"]] == list(net.default_folding)
    assert max(layer_cycles(s, *f) for s, f in zip(net, net.default_folding)) <= 100e6 / 200000


def test_bad_network_description(tmp_path):
    (tmp_path / "network.json").write_text('{"format": "other"}')
    with pytest.raises(BnnInputError, match="'format' must be"):
        networks.get(str(tmp_path))
    (tmp_path / "network.json").write_text("{not json")
    with pytest.raises(BnnInputError, match="not valid JSON"):
        networks.get(str(tmp_path))


def test_folding_file_for_an_import(tmp_path):
    """--folding F.json: read like every folding file (golden.network.Folding), its SIMD / PE
    checked against the imported layers."""
    model = SHAPED["TFC"]().save(tmp_path / "t.onnx")
    layers = [{"simd": 32, "pe": 4}, {"simd": 16, "pe": 2}, {"simd": 8, "pe": 2}, {"simd": 4, "pe": 4}]
    (tmp_path / "f.json").write_text(json.dumps({"layers": layers}))
    net = import_model(model, folding=tmp_path / "f.json").network
    assert [tuple(f) for f in net.default_folding] == [(e["simd"], e["pe"]) for e in layers]
    layers[1]["simd"] = 7
    (tmp_path / "f.json").write_text(json.dumps({"layers": layers}))
    with pytest.raises(BnnInputError, match="SIMD=7 must be a positive divisor"):
        import_model(model, folding=tmp_path / "f.json")


def test_a_bad_layer_in_a_description_names_the_file(tmp_path):
    model = SHAPED["TFC"]().save(tmp_path / "t.onnx")
    write_import(import_model(model), tmp_path / "n")
    doc = json.loads((tmp_path / "n" / "network.json").read_text())
    doc["layers"][1]["act_bits"] = 9
    (tmp_path / "n" / "network.json").write_text(json.dumps(doc))
    with pytest.raises(BnnInputError, match=r"network\.json: layer 1: act_bits must be 1\.\.4"):
        netfile.read(tmp_path / "n")
