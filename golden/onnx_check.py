"""An imported network against the model it came from, run by qonnx's own executor.

qonnx's `execute_onnx` runs the QONNX / FINN-ONNX model node by node in float32 (onnxruntime
for standard nodes, qonnx's NumPy code for Quant, BipolarQuant, MultiThreshold); golden runs
the imported integer network. For the same input codes the two must agree exactly:

- a layer's output codes: the model's quantizer output divided by its scale (bipolar: the
  sign), compared as integers;
- the last layer's scores: golden's integer sums put through the float operations the model
  applies after its last MatMul / Conv (scale, bias, batch norm), op by op in float32, against
  the model's output, compared bit for bit.

This is exact where the model's own float32 sums are (golden/onnx_import.py says when).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError


@dataclass
class Agreement:
    images: int
    mismatched_images: int
    mismatched_values: int
    values: int
    first_mismatch: str = ""

    @property
    def exact(self) -> bool:
        return self.mismatched_values == 0

    def __str__(self) -> str:
        if self.exact:
            return f"{self.images} inputs: all {self.values} output values equal qonnx's"
        return (f"{self.images} inputs: {self.mismatched_values} of {self.values} output values differ from "
                f"qonnx's, in {self.mismatched_images} input(s); first: {self.first_mismatch}")


def _input_info(network) -> dict:
    from golden.netfile import model_info
    info = model_info(network)
    if not info:
        raise BnnInputError(f"network {network.name} was not imported from a model")
    return info


def random_codes(network, n: int, seed: int = 0) -> np.ndarray:
    """n random inputs as the model's input codes (bytes for an input the model binarizes
    with a MultiThreshold), in the model's input shape."""
    info = _input_info(network)["input"]
    rng = np.random.default_rng(seed)
    shape = tuple(info["shape"][1:])
    if info["quantizer"] == "MultiThreshold":      # the model binarizes bytes itself
        return rng.integers(0, 256, size=(n, *shape))
    if info["bits"] == 1:
        return rng.choice(np.array([-1, 1]), size=(n, *shape))
    lo, hi = (-128, 127) if info["signed"] else (0, 255)
    return rng.integers(lo, hi + 1, size=(n, *shape))


def golden_input(network, codes: np.ndarray) -> np.ndarray:
    """The model's input codes -> the tensor entering golden's layer 0."""
    info = _input_info(network)["input"]
    first = network[0]
    codes = np.asarray(codes)
    if first.kind == "conv":
        x = np.transpose(codes, (0, 2, 3, 1))
    else:
        x = codes.reshape(len(codes), -1)
        order = info.get("flat_order")
        if order:
            sizes = dict(zip("CHW", info["spatial"]))
            x = x.reshape(len(x), *[sizes[a] for a in order])
            x = np.transpose(x, [0] + [1 + order.index(a) for a in "HWC"]).reshape(len(x), -1)
    if info["bits"] == 1:
        at = info.get("binarize_at")
        x = (x >= at if info["quantizer"] == "MultiThreshold" else x > 0).astype(np.uint8)
        pad = first.mw - x.shape[1] if first.kind == "fc" else 0
        if pad:
            x = np.concatenate([x, np.zeros((len(x), pad), np.uint8)], axis=1)
    return x.astype(np.uint8) if info["bits"] == 1 or not info["signed"] else x.astype(np.int16)


def model_output(network, golden_out: np.ndarray) -> np.ndarray:
    """Golden's last-layer output as the model's float32 output."""
    out = _input_info(network)["output"]
    last = network[-1]
    classes = last.used_outputs or last.mh
    h = np.asarray(golden_out).reshape(len(golden_out), -1)[:, :classes].astype(np.int64)
    if out["kind"] == "codes":
        codes = 2 * h - 1 if out["bipolar"] else h
        return codes.astype(np.float32) * np.float32(out["scale"])
    m = 2 * h - out["mw"] if out["xnor"] else h
    from golden.onnx_import import apply_chain
    v = m.astype(np.float32) * np.asarray(out["scale"], np.float32)[None, :classes]
    return apply_chain(v, out["chain"], lambda c: c[None, :classes])


def run_qonnx(model_path: str | Path, network, codes: np.ndarray) -> np.ndarray:
    """qonnx's execute_onnx on the model, one input at a time (the model's batch is 1)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes
    info = _input_info(network)
    model = ModelWrapper(str(model_path)).transform(InferShapes())
    name, scale = info["input"]["tensor"], np.float32(info["input"]["scale"])
    out_name = model.graph.output[0].name
    outs = []
    for c in codes:
        x = (c[None].astype(np.float32) * scale).astype(np.float32)
        outs.append(execute_onnx(model, {name: x})[out_name].reshape(-1))
    return np.stack(outs)


def compare(model_path: str | Path, params, codes: np.ndarray) -> Agreement:
    """Golden's outputs against qonnx's on the given input codes."""
    from golden.model import run
    network = params.network
    got = model_output(network, run(params, golden_input(network, codes)).output)
    want = run_qonnx(model_path, network, codes)
    if want.shape != got.shape:
        raise BnnInputError(f"qonnx gives {want.shape[1]} outputs per input, golden {got.shape[1]}")
    bad = got.view(np.int32) != want.astype(np.float32).view(np.int32)
    first = ""
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        first = f"input {i} output {j}: golden {got[i, j]!r}, qonnx {want[i, j]!r}"
    return Agreement(len(codes), int(bad.any(axis=1).sum()), int(bad.sum()), bad.size, first)
