"""Any network of this project written out as a QONNX model (FINN-ONNX style): the input's
quantizer, then per layer a Conv (NCHW) or MatMul whose weights sit behind a Quant (ternary:
signed 2-bit narrow) or BipolarQuant (+-1), a MultiThreshold holding the layer's thresholds
as the model's integer sums reach them, a 2x2 MaxPool, and a Transpose + Flatten before the
first fc layer after the convolutions. The last layer's sums are the output, or its
thresholded codes.

So the five BNN-PYNQ networks, from their trained .bin parameters, become models qonnx's
executor runs; importing them back (golden/onnx_import.py) must give the same network. The
thresholds are written as BNN-PYNQ's hardware applies them: cut to 16 bits (a pixel layer:
its 24-bit fixed point halved), and an XNOR layer's popcount threshold t as the +-1 sum
2(t + 1) - MW it stands for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from golden import layers as L
from golden.errors import BnnInputError
from golden.network import LayerSpec
from golden.params import Params

QONNX_DOMAIN = "qonnx.custom_op.general"


def effective_thresholds(spec: LayerSpec, t: np.ndarray) -> np.ndarray:
    """The thresholds a layer's hardware compares its accumulator with (strict t < acc)."""
    t = np.asarray(t, dtype=np.int64).reshape(len(t), -1)
    if spec.arith == "exact":
        return t
    if spec.in_bits == 8:
        return L.pixel_thresholds(t)
    if spec.mw > 32767:
        raise BnnInputError(f"layer {spec.index}: a 16-bit accumulator over {spec.mw} inputs may wrap; "
                            f"it has no QONNX form")
    return L.cut_signed(t, 16)


def multithreshold_values(spec: LayerSpec, t: np.ndarray) -> np.ndarray:
    """MultiThreshold's thresholds (out = #[sum >= T_k]) on the model's sum of products."""
    te = effective_thresholds(spec, t) + 1            # acc > t  <=>  acc >= t + 1
    if spec.weight_kind == "xnor":                    # popcount h = (sum + MW) / 2
        te = 2 * te - spec.mw
    return te.astype(np.float64)


class _Writer:
    def __init__(self, name: str):
        self.nodes, self.inits, self.n, self.name = [], [], 0, name

    def _id(self, what: str) -> str:
        self.n += 1
        return f"{what}_{self.n}"

    def const(self, value, what: str) -> str:
        from onnx import numpy_helper
        name = self._id(what)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], qonnx: bool = False, **attrs) -> str:
        from onnx import helper
        out = self._id(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, domain=QONNX_DOMAIN if qonnx else None,
                                           **attrs))
        return out

    def quant(self, x: str, bits: int, signed: bool, narrow: bool = False) -> str:
        return self.node("Quant", [x, self.const(1.0, "scale"), self.const(0.0, "zeropt"),
                                   self.const(float(bits), "bits")], qonnx=True,
                         signed=int(signed), narrow=int(narrow), rounding_mode="ROUND")

    def weights(self, spec: LayerSpec, w: np.ndarray) -> str:
        c = self.const(w, f"W{spec.index}")
        if spec.weight_bits == 1:
            return self.node("BipolarQuant", [c, self.const(1.0, "scale")], qonnx=True)
        if spec.weight_kind == "ternary":
            return self.quant(c, 2, True, narrow=True)
        return self.quant(c, spec.weight_bits, True)


def export(params: Params, name: str | None = None):
    """The network of `params` (every layer) as an onnx.ModelProto."""
    from onnx import TensorProto, helper
    net = params.network
    wr = _Writer(name or net.name)
    first = net[0]
    if first.kind == "conv":
        in_shape = [1, first.ifm_ch, first.ifm_dim, first.ifm_dim]
    else:
        in_shape = [1, first.mw]
    if first.in_bits == 1 and first.in_signed:
        cur = wr.node("BipolarQuant", ["x", wr.const(1.0, "scale")], qonnx=True)
    else:
        cur = wr.quant("x", first.in_bits, first.in_signed)
    spatial = first.kind == "conv"
    for spec in net:
        lp = params[spec.index]
        w = np.asarray(lp.weights, dtype=np.float32)
        if spec.kind == "conv":
            k, c = spec.kernel, spec.ifm_ch
            onnx_w = w.reshape(spec.mh, k, k, c).transpose(0, 3, 1, 2)   # (OC, C, K, K)
            cur = wr.node("Conv", [cur, wr.weights(spec, onnx_w)], kernel_shape=[k, k])
        else:
            if spatial:      # this project's fc columns are (h, w, c): NHWC, then flatten
                cur = wr.node("Transpose", [cur], perm=[0, 2, 3, 1])
                cur = wr.node("Flatten", [cur], axis=1)
                spatial = False
            cur = wr.node("MatMul", [cur, wr.weights(spec, w.T)])
        if spec.thresholds:
            bipolar = spec.act_bits == 1 and spec.act_signed
            scale, bias = (2.0, -1.0) if bipolar else (1.0, float(spec.act_offset))
            cur = wr.node("MultiThreshold", [cur, wr.const(multithreshold_values(spec, lp.thresholds), "T")],
                          qonnx=True, out_scale=scale, out_bias=bias, out_dtype="FLOAT32")
        if spec.pool_after:
            cur = wr.node("MaxPool", [cur], kernel_shape=[2, 2], strides=[2, 2])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info(cur, TensorProto.FLOAT, None)
    graph = helper.make_graph(wr.nodes, wr.name, [x], [y], wr.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid(QONNX_DOMAIN, 1)])
    model.ir_version = 8
    return model


def save(params: Params, path: str | Path, name: str | None = None) -> Path:
    import onnx
    path = Path(path)
    onnx.save(export(params, name), str(path))
    return path
