"""Import a QONNX or FINN-ONNX model as a network of this project's layer kinds.

`import_model(path)` reads a model as Brevitas' `export_qonnx` writes it (Quant / BipolarQuant
on weights and activations, Conv, MatMul / Gemm, MaxPool, Relu / Clip, Reshape / Flatten /
Transpose, Mul / Div / Add / Sub scales, BatchNormalization) or FINN-ONNX after streamlining
(MultiThreshold, Conv / MatMul with integer or bipolar weights, MaxPoolNHWC) and lowers it to
conv (sliding window + MVAU) and fc layers with integer thresholds per neuron and 2x2 pools:

- the graph is walked in order; every tensor is a constant, the integer codes of a quantizer
  (value = code x scale), or a layer's accumulator followed by the float operations the model
  applies before its next quantizer (the "chain": bias, scales, batch norm, Relu, Clip);
- at the quantizer the chain ends: for each output level k, the threshold is the largest
  accumulator whose quantized output is below k, found by bisection over the accumulator's
  range with the chain evaluated in float32, operation by operation, as qonnx executes it
  (every step of the chain is monotone). A channel whose chain decreases has its weight row
  negated, as FINN does. So golden equals the model wherever the model's accumulator is exact
  in float32: power-of-two weight and input scales and sums below 2**24 (a non-power-of-two
  scale rounds each product and the two may differ near a threshold);
- bipolar weights on bipolar inputs become XNOR layers (popcount thresholds), as in
  BNN-PYNQ; a 2-bit narrow signed weight quantizer becomes a ternary layer.

The result is a :class:`~golden.network.Network` plus parameters, written by
`write_import` as network.json (golden/netfile.py) and the folded .bin files. Anything the
lowering does not support is one BnnInputError naming the node, its op type and what is
supported.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError
from golden.netfile import identifier
from golden.network import LayerSpec, Network, word_cuts
from golden.params import LayerParams, Params

SUPPORTED = ("Quant, BipolarQuant (weights: 1-8 bits; activations: 1-4 bits, zero point 0, one scale "
             "per tensor; the input: 8 bits or bipolar), MultiThreshold, Conv (square kernel 1, 3 or "
             "5, stride 1, no padding, group 1), MatMul, Gemm, MaxPool / MaxPoolNHWC (2x2, stride 2), "
             "Relu, Clip, Mul, Div, Add, Sub, BatchNormalization, Reshape / Flatten (to 2-D), "
             "Transpose, Identity, Dropout")
CONV_KERNELS = (1, 3, 5)
MAX_EXACT_ACC_BITS = 25   # golden's float32 dot products are exact below 2**24
_NCHW = ("N", "C", "H", "W")


def _err(node, what: str) -> BnnInputError:
    name = node.name or (node.output[0] if node.output else "?")
    return BnnInputError(f"node {name!r} ({node.op_type}): {what}; supported: {SUPPORTED}")


# ------------------------------------------------------------------------------ tensor states
@dataclass
class Codes:
    """Integer codes of a quantizer: value = code x scale (bipolar: code +-1)."""
    shape: tuple[int, ...]          # the ONNX tensor's shape (batch first)
    axes: tuple[str, ...]           # which of N, C, H, W each axis is (2-D after a flatten: ("N", "F"))
    bits: int
    signed: bool                    # 1-bit signed = bipolar +-1
    scale: float
    lo: int                         # smallest and largest code
    hi: int
    layer: int | None = None        # the layer that produced them (None: the graph input)
    flat_order: tuple[str, ...] | None = None   # after a flatten: the C/H/W order of the elements
    spatial: tuple[int, int, int] | None = None  # (C, H, W) before the flatten


@dataclass
class Acc:
    """A layer's accumulator followed by the model's float operations (the chain)."""
    layer: LayerSpec
    weights: np.ndarray             # (MH, MW) integer weights in this project's column order
    shape: tuple[int, ...]          # ONNX shape of the pre-activation tensor
    axes: tuple[str, ...]
    scale: np.ndarray               # float32 per channel: the model's value of one unit of the sum
    chain: list = field(default_factory=list)   # ("mul" | "div" | "add" | "sub" | "max" | "min", float32 per channel)


@dataclass
class Const:
    value: np.ndarray
    codes: np.ndarray | None = None   # a quantized weight: integer codes and per-row scale
    code_scale: np.ndarray | None = None
    kind: str | None = None           # "bipolar", "ternary", "int"
    bits: int | None = None


# ------------------------------------------------------------------------------ the chain
# The float operations the importer keeps between a layer's sums and its quantizer (and after
# the last layer), applied in float32 one at a time as qonnx's executor applies them.
CHAIN_OPS = {"mul": np.multiply, "div": np.divide, "add": np.add, "sub": np.subtract,
             "max": np.maximum, "min": np.minimum}


def apply_chain(v: np.ndarray, chain, channel) -> np.ndarray:
    """v after the chain's ops; `channel(c)` shapes an op's per-channel constant against v."""
    for op, c in chain:
        v = CHAIN_OPS[op](v, channel(np.asarray(c, np.float32)))
    return v


def _eval_chain(acc: Acc, m: np.ndarray) -> np.ndarray:
    """The model's float32 value of sums m (C, K) per channel, op by op."""
    return apply_chain(m.astype(np.float32) * acc.scale[:, None], acc.chain, lambda c: c[:, None])


def _direction(acc: Acc) -> np.ndarray:
    """+1 where the chain increases with the sum, -1 where it decreases, 0 where constant
    (float32, at the sum's extremes)."""
    mw = acc.weights.shape[1] + 1
    big = np.full((len(acc.scale), 1), float(mw * 256), dtype=np.float64)
    hi, lo = _eval_chain(acc, big)[:, 0], _eval_chain(acc, -big)[:, 0]
    return np.sign(hi.astype(np.float64) - lo.astype(np.float64))


def _bisect_levels(level_of, lo: np.ndarray, hi: np.ndarray, levels: list[int]) -> np.ndarray:
    """For each channel c and level k, the smallest integer h in [lo_c, hi_c + 1] with
    level_of(h)[c] >= k (hi_c + 1 when none), by bisection; level_of is non-decreasing."""
    out = np.empty((len(lo), len(levels)), dtype=np.int64)
    for j, k in enumerate(levels):
        a, b = lo.astype(np.int64).copy(), hi.astype(np.int64) + 1   # answer in [a, b]
        while np.any(a < b):
            mid = (a + b) // 2
            ok = level_of(mid[:, None])[:, 0] >= k
            b = np.where(ok & (a < b), mid, b)
            a = np.where(~ok & (a < b), mid + 1, a)
        out[:, j] = a
    return out


def _signed_bits(lo: int, hi: int) -> int:
    """Two's complement bits that hold every value of [lo, hi]."""
    need = max(abs(lo), abs(hi) + 1, 1)
    return int(math.ceil(math.log2(need))) + 1


# ------------------------------------------------------------------------------ the importer
class _Lowering:
    def __init__(self, model, source: str, name: str):
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.transformation.infer_shapes import InferShapes
        self.source = source
        self.name = name
        try:
            self.model = ModelWrapper(model).transform(InferShapes())
        except Exception as exc:  # qonnx/onnx raise many kinds on a malformed graph
            raise BnnInputError(f"{source}: qonnx cannot infer the graph's shapes ({exc})") from None
        g = self.model.graph
        self.init = {t.name: self._array(t) for t in g.initializer}
        self.states: dict[str, object] = {k: Const(v) for k, v in self.init.items()}
        self.layers: list[LayerSpec] = []
        self.params: dict[int, LayerParams] = {}
        self.input_info: dict = {}
        self.output_info: dict = {}

    @staticmethod
    def _array(t) -> np.ndarray:
        from onnx import numpy_helper
        return numpy_helper.to_array(t)

    # -------------------------------------------------------------- helpers
    def const(self, node, name: str, what: str) -> np.ndarray:
        st = self.states.get(name)
        if not isinstance(st, Const):
            raise _err(node, f"{what} ({name!r}) must be a constant")
        return st.value

    def attr(self, node, key: str, default=None):
        from onnx import helper
        for a in node.attribute:
            if a.name == key:
                return helper.get_attribute_value(a)
        return default

    def state(self, node, name: str):
        if name not in self.states:
            raise _err(node, f"input {name!r} is produced by no node this importer ran")
        return self.states[name]

    # -------------------------------------------------------------- graph input
    def graph_input(self):
        g = self.model.graph
        inputs = [i for i in g.input if i.name not in self.init]
        if len(inputs) != 1:
            raise BnnInputError(f"{self.source}: expected one graph input, found {len(inputs)}")
        inp = inputs[0]
        shape = tuple(self.model.get_tensor_shape(inp.name))
        if len(shape) not in (2, 4):
            raise BnnInputError(f"{self.source}: graph input {inp.name!r} has shape {shape}; expected "
                                f"(N, C, H, W) or (N, features)")
        shape = (1,) + shape[1:]
        axes = _NCHW if len(shape) == 4 else ("N", "F")
        self.input_name, self.input_shape, self.input_axes = inp.name, shape, axes
        dt = str(self.model.get_tensor_datatype(inp.name))
        self.states[inp.name] = ("input", dt)

    def input_codes(self, node, bits: int, signed: bool, scale: float, lo: int, hi: int, kind: str) -> Codes:
        if bits != 8 and not (bits == 1 and signed):
            raise _err(node, f"the network input is quantized to {bits} bits; inputs must be 8-bit "
                             f"integers or bipolar")
        self.input_info = {"tensor": self.input_name, "shape": list(self.input_shape), "quantizer": kind,
                           "bits": bits, "signed": signed, "scale": scale}
        return Codes(self.input_shape, self.input_axes, bits, signed, scale, lo, hi)

    # -------------------------------------------------------------- quantizers
    def quant_params(self, node):
        scale = self.const(node, node.input[1], "scale")
        zeropt = self.const(node, node.input[2], "zero point")
        bits = self.const(node, node.input[3], "bit width")
        signed, narrow = int(self.attr(node, "signed", 1)), int(self.attr(node, "narrow", 0))
        mode = self.attr(node, "rounding_mode", "ROUND")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if np.any(zeropt != 0):
            raise _err(node, "zero point must be 0")
        if bits.size != 1 or float(bits.reshape(-1)[0]) != int(bits.reshape(-1)[0]):
            raise _err(node, f"bit width must be one whole number, got {bits.reshape(-1)[:4]}")
        return scale, zeropt, int(bits.reshape(-1)[0]), signed, narrow, mode

    @staticmethod
    def code_range(bits: int, signed: int, narrow: int) -> tuple[int, int]:
        if signed:
            return -(1 << (bits - 1)) + narrow, (1 << (bits - 1)) - 1
        return 0, (1 << bits) - 1 - narrow

    def on_quant(self, node):
        from qonnx.custom_op.general.quant import quant
        x = self.state(node, node.input[0])
        scale, zeropt, bits, signed, narrow, mode = self.quant_params(node)
        if bits == 1 and signed:      # qonnx executes a signed 1-bit Quant as bipolar
            return self.on_bipolar(node)
        lo, hi = self.code_range(bits, signed, narrow)
        if isinstance(x, Const):      # a weight
            w = quant(x.value.astype(np.float32), scale, zeropt, np.float32(bits), signed, narrow, mode)
            codes = self._codes_of(node, w, scale)
            kind = "ternary" if bits == 2 and signed and narrow else "int"
            width = bits if signed else bits + 1
            return Const(w, codes, np.broadcast_to(scale, np.shape(scale)).astype(np.float32), kind, width)
        if scale.size != 1:
            raise _err(node, "an activation quantizer needs one scale for the whole tensor")
        s = float(scale.reshape(-1)[0])
        if isinstance(x, tuple):      # the graph input
            return self.input_codes(node, bits, bool(signed), s, lo, hi, "Quant")
        if isinstance(x, Acc):
            if bits > 4:
                raise _err(node, f"activations of {bits} bits: a layer's output must be 1 to 4 bits")

            def level_of(acc: Acc, m):
                v = _eval_chain(acc, m)
                return np.asarray(quant(v, np.float32(s), np.float32(0), np.float32(bits), signed, narrow, mode)
                                  / np.float32(s)).round().astype(np.int64)
            return self.finish_layer(node, x, level_of, lo, hi, bits, s, bool(signed))
        raise _err(node, "quantizes a tensor that is already integer codes (two quantizers in a row)")

    def _codes_of(self, node, w: np.ndarray, scale: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            c = w / scale
        r = np.round(c)
        if not np.all(np.isfinite(r)) or np.any(np.abs(c - r) > 1e-3):
            raise _err(node, "weights are not integer multiples of their scale")
        return r.astype(np.int64)

    def on_bipolar(self, node):
        from qonnx.custom_op.general.bipolar_quant import binary_quant
        x = self.state(node, node.input[0])
        scale = self.const(node, node.input[1], "scale")
        if isinstance(x, Const):
            w = binary_quant(x.value.astype(np.float32) / scale, np.float32(1)) * scale
            return Const(w, np.where(x.value / scale >= 0, 1, -1).astype(np.int64),
                         np.broadcast_to(scale, np.shape(scale)).astype(np.float32), "bipolar", 1)
        if scale.size != 1:
            raise _err(node, "an activation quantizer needs one scale for the whole tensor")
        s = float(scale.reshape(-1)[0])
        if isinstance(x, tuple):
            return self.input_codes(node, 1, True, s, -1, 1, "BipolarQuant")
        if isinstance(x, Acc):
            def level_of(acc: Acc, m):
                return (_eval_chain(acc, m) >= 0).astype(np.int64)
            return self.finish_layer(node, x, level_of, 0, 1, 1, s, True, bipolar=True)
        raise _err(node, "quantizes a tensor that is already integer codes")

    def on_multithreshold(self, node):
        x = self.state(node, node.input[0])
        t = self.const(node, node.input[1], "thresholds").astype(np.float32)
        from qonnx.custom_op.registry import getCustomOp
        op = getCustomOp(node)     # the attributes as qonnx's executor reads them (typed, defaults)
        out_scale, out_bias = float(op.get_nodeattr("out_scale")), float(op.get_nodeattr("out_bias"))
        layout = op.get_nodeattr("data_layout")
        t = np.sort(t.reshape(t.shape[0], -1), axis=1)
        k = t.shape[1]
        bipolar = k == 1 and out_scale == 2.0 and out_bias == -1.0
        offset = out_bias / out_scale if not bipolar else 0
        if not bipolar and (offset != int(offset) or out_scale <= 0):
            raise _err(node, f"out_bias {out_bias} must be a whole multiple of out_scale {out_scale} > 0")
        offset = int(offset)
        if isinstance(x, tuple):      # binarizing or quantizing the graph input
            return self.input_threshold(node, t, k, out_scale, offset, bipolar)
        if not isinstance(x, Acc):
            raise _err(node, "thresholds a tensor that is already integer codes")
        if t.shape[0] not in (1, len(x.scale)):
            raise _err(node, f"{t.shape[0]} threshold rows for {len(x.scale)} channels")
        tt = np.broadcast_to(t, (len(x.scale), k))
        if len(x.axes) == 4 and (layout == "NHWC") != (x.axes[-1] == "C"):
            raise _err(node, f"data_layout {layout} does not match the tensor's layout {''.join(x.axes)}")

        def level_of(acc: Acc, m):
            v = _eval_chain(acc, m)
            return (v[:, :, None] >= tt[:, None, :]).sum(axis=2).astype(np.int64) + offset
        bits = max(1, int(math.ceil(math.log2(k + 1))))
        lo = offset
        signed = bipolar or offset < 0
        if bits == 1 and not bipolar and offset != 0:
            raise _err(node, "1-bit outputs must be 0/1 (out_bias 0) or bipolar (out_scale 2, out_bias -1)")
        if signed and not bipolar:
            bits = max(bits, _signed_bits(offset, offset + k))
        if bits > 4:
            raise _err(node, f"{k} thresholds make a {bits}-bit activation; at most 4 bits")
        return self.finish_layer(node, x, level_of, lo, lo + k, bits, 1.0 if bipolar else out_scale, signed,
                                 bipolar=bipolar, offset=offset)

    def input_threshold(self, node, t, k, out_scale, offset, bipolar):
        if not (bipolar and np.all(t == t[0, 0])):
            raise _err(node, "on the network input only one threshold for every element (binarizing) "
                             "is supported")
        codes = self.input_codes(node, 1, True, 1.0, -1, 1, "MultiThreshold")
        # the model's input is the bytes themselves: byte >= T  <=>  byte >= ceil(T)
        self.input_info["binarize_at"] = int(math.ceil(float(t[0, 0])))
        return codes

    # -------------------------------------------------------------- layers
    def on_conv(self, node):
        x = self.state(node, node.input[0])
        w = self.state(node, node.input[1])
        if not isinstance(x, Codes) or x.axes != _NCHW:
            raise _err(node, "the input must be the NCHW codes of a quantizer")
        if not isinstance(w, Const):
            raise _err(node, "the weights must be a constant (or a quantized constant)")
        wk = self.weight_codes(node, w)
        oc, ic, kh, kw = wk.shape
        group = int(self.attr(node, "group", 1))
        strides = list(self.attr(node, "strides", [1, 1]))
        pads = list(self.attr(node, "pads", [0, 0, 0, 0]))
        dil = list(self.attr(node, "dilations", [1, 1]))
        if kh != kw or kh not in CONV_KERNELS:
            raise _err(node, f"kernel {kh}x{kw}")
        if group != 1 or strides != [1, 1] or any(pads) or dil != [1, 1]:
            raise _err(node, f"group {group}, strides {strides}, pads {pads}, dilations {dil}")
        _, c, h, wd = x.shape
        if h != wd:
            raise _err(node, f"input {h}x{wd}: only square feature maps")
        spec = self.new_layer(node, x, w, "conv", ic, oc, h, kh)
        weights = wk.transpose(0, 2, 3, 1).reshape(oc, -1)   # column (ky*K + kx)*C + ch
        acc = self.new_acc(node, spec, weights, x, w, (1, oc, h - kh + 1, h - kh + 1), _NCHW)
        if len(node.input) > 2:
            acc.chain.append(("add", self.per_channel(node, self.const(node, node.input[2], "bias"), oc)))
        return acc

    def on_matmul(self, node, transpose_b: bool = False):
        x = self.state(node, node.input[0])
        w = self.state(node, node.input[1])
        if isinstance(x, Const) and isinstance(w, Codes):
            raise _err(node, "the constant must be the second operand")
        if not isinstance(x, Codes) or len(x.shape) != 2:
            raise _err(node, "the input must be the 2-D codes of a quantizer (flatten first)")
        if not isinstance(w, Const):
            raise _err(node, "the weights must be a constant (or a quantized constant)")
        wk = self.weight_codes(node, w)
        wk = wk.T if not transpose_b else wk    # (MH, MW)
        if wk.ndim != 2 or wk.shape[1] != x.shape[1]:
            raise _err(node, f"weights {wk.shape} do not match {x.shape[1]} inputs")
        mh, mw = wk.shape
        weights = wk[:, self.column_order(node, x)]
        if x.layer is None and x.flat_order:      # the graph input, flattened: how golden orders it
            self.input_info.update(flat_order="".join(x.flat_order), spatial=list(x.spatial))
        spec = self.new_layer(node, x, w, "fc", mw, mh, 1, 1)
        return self.new_acc(node, spec, weights, x, w, (1, mh), ("N", "C"))

    def on_gemm(self, node):
        alpha, beta = float(self.attr(node, "alpha", 1.0)), float(self.attr(node, "beta", 1.0))
        if alpha != 1.0 or beta != 1.0 or int(self.attr(node, "transA", 0)):
            raise _err(node, f"alpha {alpha}, beta {beta}, transA: only alpha = beta = 1 without transA")
        acc = self.on_matmul(node, transpose_b=bool(int(self.attr(node, "transB", 0))))
        if len(node.input) > 2:
            acc.chain.append(("add", self.per_channel(node, self.const(node, node.input[2], "bias"), acc.weights.shape[0])))
        return acc

    def weight_codes(self, node, w: Const) -> np.ndarray:
        if w.codes is not None:
            return w.codes
        v = w.value
        if not np.all(np.round(v) == v):
            raise _err(node, "float weights: quantize them (Quant / BipolarQuant) or give integer values")
        codes = v.astype(np.int64)
        if set(np.unique(codes)) <= {-1, 1}:
            w.kind, w.bits = "bipolar", 1
        elif set(np.unique(codes)) <= {-1, 0, 1}:
            w.kind, w.bits = "ternary", 2
        else:
            w.kind, w.bits = "int", _signed_bits(int(codes.min()), int(codes.max()))
        w.codes, w.code_scale = codes, np.float32(1.0)
        return codes

    def column_order(self, node, x: Codes) -> np.ndarray:
        """For each of this project's fc input columns ((h*W + w)*C + c after a conv, else
        as is), the column of the model's flattened tensor."""
        if x.flat_order is None:
            return np.arange(x.shape[1])
        c, h, w = x.spatial
        sizes = {"C": c, "H": h, "W": w}
        idx = np.arange(c * h * w).reshape([sizes[a] for a in x.flat_order])
        order = [x.flat_order.index(a) for a in ("H", "W", "C")]
        return idx.transpose(order).reshape(-1)

    def new_layer(self, node, x: Codes, w: Const, kind: str, ifm_ch: int, ofm_ch: int, dim: int, k: int) -> LayerSpec:
        bits = w.bits
        if w.kind == "bipolar":
            weight_kind = "xnor" if (x.bits == 1 and x.signed) else "binary"
        else:
            weight_kind = w.kind
        if weight_kind == "int" and bits > 8:
            raise _err(node, f"{bits}-bit weights: at most 8")
        if weight_kind == "int" and bits < 2:
            bits = 2
        return LayerSpec(len(self.layers), kind, ifm_ch, ofm_ch, ifm_dim=dim, kernel=k, in_bits=x.bits,
                         in_signed=x.signed, weight_kind=weight_kind,
                         weight_width=bits if weight_kind == "int" else None, arith="exact",
                         # placeholders until the activation is known
                         act_bits=1, thresholds=False)

    def new_acc(self, node, spec, weights, x: Codes, w: Const, shape, axes) -> Acc:
        ws = np.asarray(w.code_scale, dtype=np.float32)
        mh = weights.shape[0]
        if ws.size == 1:
            ws = np.full(mh, float(ws.reshape(-1)[0]), np.float32)
        else:
            ws = ws.reshape(-1) if ws.size == mh else None
            if ws is None:
                raise _err(node, f"weight scale of shape {np.shape(w.code_scale)}: one per tensor or per output channel")
        return Acc(spec, weights, shape, axes, (np.float32(x.scale) * ws).astype(np.float32))

    def per_channel(self, node, c: np.ndarray, channels: int) -> np.ndarray:
        c = np.asarray(c, dtype=np.float32)
        if c.size == 1:
            return np.full(channels, float(c.reshape(-1)[0]), np.float32)
        flat = c.reshape(-1)
        if flat.size != channels:
            raise _err(node, f"a constant of shape {c.shape}: one value or one per channel ({channels})")
        return flat

    # -------------------------------------------------------------- the activation: thresholds
    def finish_layer(self, node, acc: Acc, level_of, lo: int, hi: int, bits: int, scale: float, signed: bool,
                     bipolar: bool = False, offset: int | None = None) -> Codes:
        spec, weights = acc.layer, acc.weights.copy()
        mh, mw = weights.shape
        xs = self._input_range(spec)
        direction = _direction(acc)
        flip = direction < 0
        weights[flip] = -weights[flip]
        if spec.weight_kind == "int":
            wmax = (1 << (spec.weight_width - 1)) - 1
            if np.any(weights > wmax):
                spec = replace(spec, weight_width=spec.weight_width + 1)
                if spec.weight_width > 8:
                    raise _err(node, "a decreasing channel's negated weights do not fit 8 bits")
        if spec.weight_kind == "ternary" and np.any(np.abs(weights) > 1):
            raise _err(node, "ternary weights must be -1, 0 or +1")
        h_lo, h_hi = self._acc_range(spec, weights, xs)

        def m_of(h: np.ndarray) -> np.ndarray:      # the model's sum from the hardware accumulator
            m = 2 * h - mw if spec.weight_kind == "xnor" else h
            return np.where(flip[:, None], -m, m)

        levels = list(range(lo + 1, hi + 1))
        first_true = _bisect_levels(lambda h: level_of(acc, m_of(h)), h_lo, h_hi, levels)
        thresholds = first_true - 1          # out >= k  <=>  h > t_k
        # a constant channel: every threshold below or above the range
        const = direction == 0
        if np.any(const):
            base = level_of(acc, np.zeros((mh, 1), np.int64))[:, 0]
            for j, k in enumerate(levels):
                thresholds[const, j] = np.where(base[const] >= k, h_lo[const] - 1, h_hi[const])
        t_lo, t_hi = int(min(h_lo.min() - 1, thresholds.min())), int(max(h_hi.max() + 1, thresholds.max()))
        acc_bits = _signed_bits(t_lo, t_hi)
        if acc_bits > MAX_EXACT_ACC_BITS:
            raise _err(node, f"the layer's sums need {acc_bits} bits; at most {MAX_EXACT_ACC_BITS} "
                             f"(golden's float32 sums are exact below 2**24)")
        offset = lo if offset is None else offset
        spec = replace(spec, thresholds=True, act_bits=bits, num_thresholds=len(levels), act_offset=offset,
                       act_signed=signed, acc_bits=max(acc_bits, 2),
                       pool_kind="or" if bits == 1 else "max")
        self.layers.append(spec)
        self.params[spec.index] = LayerParams(weights.astype(np.int8), thresholds.astype(np.int64))
        return Codes(acc.shape, acc.axes, bits, signed, scale, offset, offset + len(levels), layer=spec.index)

    def _input_range(self, spec: LayerSpec) -> tuple[int, int]:
        if spec.in_bits == 1:
            return (-1, 1) if spec.in_signed else (0, 1)
        if spec.in_signed:
            return -(1 << (spec.in_bits - 1)), (1 << (spec.in_bits - 1)) - 1
        return 0, (1 << spec.in_bits) - 1

    @staticmethod
    def _acc_range(spec: LayerSpec, weights: np.ndarray, xs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the smallest and largest hardware accumulator."""
        if spec.weight_kind == "xnor":
            mw = weights.shape[1]
            return np.zeros(len(weights), np.int64), np.full(len(weights), mw, np.int64)
        w = weights.astype(np.int64)
        a, b = w * xs[0], w * xs[1]
        return np.minimum(a, b).sum(axis=1), np.maximum(a, b).sum(axis=1)

    # -------------------------------------------------------------- the rest
    def on_elementwise(self, node):
        a, b = (self.state(node, n) for n in node.input)
        op = {"Mul": "mul", "Div": "div", "Add": "add", "Sub": "sub"}[node.op_type]
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(CHAIN_OPS[op](a.value, b.value))
        if isinstance(a, Const) and op in ("mul", "add"):
            a, b = b, a
        if not isinstance(b, Const):
            raise _err(node, "one operand must be a constant")
        if isinstance(a, Acc):
            a.chain.append((op, self.per_channel(node, b.value, len(a.scale))))
            return a
        if isinstance(a, Codes) and op in ("mul", "div") and b.value.size == 1:
            v = float(b.value.reshape(-1)[0])
            if (v <= 0):
                raise _err(node, "a scale of integer codes must be positive")
            a = replace(a, scale=a.scale * v if op == "mul" else a.scale / v)
            return a
        if isinstance(a, tuple) and op in ("mul", "div", "add", "sub"):
            raise _err(node, "the network input must go straight into its quantizer")
        raise _err(node, "only scales of integer codes and operations on a layer's sums before its "
                         "quantizer")

    def on_batchnorm(self, node):
        x = self.state(node, node.input[0])
        if not isinstance(x, Acc):
            raise _err(node, "batch norm must follow a Conv / MatMul / Gemm")
        ch = len(x.scale)
        gamma, beta, mean, var = (self.per_channel(node, self.const(node, n, "batch norm parameter"), ch)
                                  .astype(np.float64) for n in node.input[1:5])
        eps = float(self.attr(node, "epsilon", 1e-5))
        a = gamma / np.sqrt(var + eps)
        x.chain.append(("mul", a.astype(np.float32)))
        x.chain.append(("add", (beta - mean * a).astype(np.float32)))
        return x

    def on_relu(self, node):
        x = self.state(node, node.input[0])
        if not isinstance(x, Acc):
            raise _err(node, "Relu must come between a layer's sums and its quantizer")
        x.chain.append(("max", np.zeros(len(x.scale), np.float32)))
        return x

    def on_clip(self, node):
        x = self.state(node, node.input[0])
        if not isinstance(x, Acc):
            raise _err(node, "Clip must come between a layer's sums and its quantizer")
        lo = self.const(node, node.input[1], "min") if len(node.input) > 1 and node.input[1] else None
        hi = self.const(node, node.input[2], "max") if len(node.input) > 2 and node.input[2] else None
        if lo is not None:
            x.chain.append(("max", self.per_channel(node, lo, len(x.scale))))
        if hi is not None:
            x.chain.append(("min", self.per_channel(node, hi, len(x.scale))))
        return x

    def on_maxpool(self, node, nhwc: bool = False):
        x = self.state(node, node.input[0])
        kernel = list(self.attr(node, "kernel_shape", [2, 2]))
        strides = list(self.attr(node, "strides", kernel))
        pads = list(self.attr(node, "pads", [0, 0, 0, 0]))
        if kernel != [2, 2] or strides != [2, 2] or any(pads):
            raise _err(node, f"kernel {kernel}, strides {strides}, pads {pads}")
        if not isinstance(x, Codes) or x.layer is None or len(x.shape) != 4:
            raise _err(node, "a 2x2 max pool must follow a conv layer's quantizer")
        want = ("N", "H", "W", "C") if nhwc else _NCHW
        if x.axes != want:
            raise _err(node, f"the tensor's layout is {''.join(x.axes)}, the pool's {''.join(want)}")
        spec = self.layers[x.layer]
        if spec.pool_after or spec.ofm_dim % 2:
            raise _err(node, f"layer {spec.index} already has a pool, or its {spec.ofm_dim}x{spec.ofm_dim} "
                             f"output is odd")
        self.layers[x.layer] = replace(spec, pool_after=True)
        shape = list(x.shape)
        for i, a in enumerate(x.axes):
            if a in "HW":
                shape[i] //= 2
        return replace(x, shape=tuple(shape))

    def on_transpose(self, node):
        x = self.state(node, node.input[0])
        perm = list(self.attr(node, "perm", []))
        if isinstance(x, Const):
            if x.codes is None:
                return Const(np.transpose(x.value, perm or None))
            cs = np.asarray(x.code_scale)
            cs = np.transpose(cs, perm or None) if cs.ndim == x.value.ndim else cs
            return Const(np.transpose(x.value, perm or None), np.transpose(x.codes, perm or None), cs,
                         x.kind, x.bits)
        if not isinstance(x, (Codes, Acc)) or perm[:1] != [0]:
            raise _err(node, "only transposes of codes (or constants) that keep the batch axis first")
        return replace(x, shape=tuple(x.shape[p] for p in perm), axes=tuple(x.axes[p] for p in perm))

    def on_flatten(self, node):
        x = self.state(node, node.input[0])
        if isinstance(x, Const):
            return Const(x.value.reshape(x.value.shape[0], -1))
        if not isinstance(x, Codes):
            raise _err(node, "flattens only a quantizer's codes")
        if node.op_type == "Reshape":
            shape = self.const(node, node.input[1], "shape").astype(np.int64).tolist()
            total = int(np.prod(x.shape[1:]))
            if len(shape) != 2 or shape[1] not in (-1, total) or shape[0] not in (1, -1, 0):
                raise _err(node, f"reshape to {shape}: only to (N, {total})")
        elif int(self.attr(node, "axis", 1)) != 1:
            raise _err(node, "Flatten with axis other than 1")
        if len(x.shape) == 2:
            return x
        sizes = dict(zip(x.axes, x.shape))
        return replace(x, shape=(1, int(np.prod(x.shape[1:]))), axes=("N", "F"),
                       flat_order=tuple(a for a in x.axes if a != "N"),
                       spatial=(sizes["C"], sizes["H"], sizes["W"]))

    def on_identity(self, node):
        return self.state(node, node.input[0])

    HANDLERS = {"Quant": on_quant, "BipolarQuant": on_bipolar, "MultiThreshold": on_multithreshold,
                "Conv": on_conv, "MatMul": on_matmul, "Gemm": on_gemm, "Mul": on_elementwise,
                "Div": on_elementwise, "Add": on_elementwise, "Sub": on_elementwise,
                "BatchNormalization": on_batchnorm, "Relu": on_relu, "Clip": on_clip,
                "MaxPool": on_maxpool, "MaxPoolNHWC": lambda self, n: self.on_maxpool(n, nhwc=True),
                "Transpose": on_transpose, "Reshape": on_flatten, "Flatten": on_flatten,
                "Identity": on_identity, "Dropout": on_identity}

    # -------------------------------------------------------------- the walk
    def run(self):
        self.graph_input()
        for node in self.model.graph.node:
            handler = self.HANDLERS.get(node.op_type)
            if handler is None:
                raise _err(node, "this operation is not supported")
            self.states[node.output[0]] = handler(self, node)
        outs = list(self.model.graph.output)
        if len(outs) != 1:
            raise BnnInputError(f"{self.source}: expected one graph output, found {len(outs)}")
        final = self.states[outs[0].name]
        if isinstance(final, Acc):
            self.last_scores(final)
        elif not isinstance(final, Codes) or final.layer is None:
            raise BnnInputError(f"{self.source}: the graph output {outs[0].name!r} is not a layer's output")
        else:
            self.output_info = {"kind": "codes", "scale": final.scale, "bipolar": final.bits == 1 and final.signed}
        if not self.layers:
            raise BnnInputError(f"{self.source}: the graph has no Conv, MatMul or Gemm layer")
        self.pad_bit_input()
        self.pad_last_rows()
        return self.layers, self.params

    def pad_bit_input(self):
        """1-bit inputs into an fc layer 0 come in whole 64-bit words: MW is padded with
        columns whose inputs are 0 (-1 for +-1 bits) and whose products are constant, which
        the thresholds absorb (XNOR: weight -1, each adds 1 to the popcount)."""
        first = self.layers[0]
        if first.kind != "fc" or first.in_bits != 1 or first.mw % 64 == 0:
            return
        pad = 64 - first.mw % 64
        lp = self.params[0]
        if first.weight_kind == "binary" and first.in_signed:
            raise BnnInputError(f"{self.source}: layer 0 takes +-1 bits with +-1 weights it cannot XNOR; "
                                f"pad its {first.mw} inputs to a multiple of 64 in the model")
        fill = -1 if first.weight_kind == "xnor" else 0
        weights = np.concatenate([lp.weights, np.full((first.mh, pad), fill, np.int8)], axis=1)
        if lp.thresholds is None:
            raise BnnInputError(f"{self.source}: a one-layer network on {first.mw} input bits: pad them "
                                f"to a multiple of 64 in the model")
        t = lp.thresholds + (pad if first.weight_kind == "xnor" else 0)
        acc_bits = max(first.acc_bits, _signed_bits(int(t.min()) - 1, int(t.max()) + pad + 1))
        self.layers[0] = replace(first, ifm_ch=first.mw + pad, acc_bits=acc_bits)
        self.params[0] = LayerParams(weights, t)
        self.input_info["padded_to"] = first.mw + pad

    def pad_last_rows(self):
        """The last layer's outputs leave in whole 64-bit words: rows are added (weights -1 or 0,
        thresholds never reached), and `used_outputs` keeps the model's classes."""
        last = self.layers[-1]
        bits = last.out_bits
        per_word = 64 // math.gcd(64, bits)       # rows that fill whole 64-bit words
        if last.mh % per_word == 0:
            return
        rows = -last.mh % per_word
        lp = self.params[last.index]
        fill = -1 if last.weight_kind in ("xnor", "binary") else 0
        weights = np.concatenate([lp.weights, np.full((rows, last.mw), fill, np.int8)])
        t = lp.thresholds
        if t is not None:
            never = (1 << (last.acc_bits - 1)) - 1
            t = np.concatenate([t, np.full((rows, t.shape[1]), never, np.int64)])
        self.layers[-1] = replace(last, ofm_ch=last.mh + rows, used_outputs=last.mh)
        self.params[last.index] = LayerParams(weights, t)

    def last_scores(self, acc: Acc):
        spec = acc.layer
        xs = self._input_range(spec)
        h_lo, h_hi = self._acc_range(spec, acc.weights, xs)
        if _signed_bits(int(h_lo.min()), int(h_hi.max())) > 16:
            raise BnnInputError(f"{self.source}: the last layer's sums need more than 16 bits; the host "
                                f"reads 16-bit scores")
        spec = replace(spec, thresholds=False, acc_bits=16)
        self.layers.append(spec)
        self.params[spec.index] = LayerParams(acc.weights.astype(np.int8), None)
        self.output_info = {"kind": "scores", "xnor": spec.weight_kind == "xnor", "mw": spec.mw,
                            "scale": acc.scale.tolist(),
                            "chain": [[op, c.tolist()] for op, c in acc.chain]}


# ------------------------------------------------------------------------------ the network
def _natural_cut(net: Network) -> int:
    """The inner cut with the fewest bytes per image among those that carry whole 64-bit words
    (ties: the most balanced MVAU work); none: the one before the last layer (no split)."""
    best = None
    layers = list(net)
    for index in word_cuts(net):
        spec = layers[index]
        nbytes = int(np.prod(spec.out_shape)) * spec.out_bits / 8
        work_before = sum(s.mw * s.mh * s.ofm_dim ** 2 for s in layers[:index + 1])
        work_after = sum(s.mw * s.mh * s.ofm_dim ** 2 for s in layers[index + 1:])
        key = (nbytes, abs(work_before - work_after))
        if best is None or key < best[0]:
            best = (key, index)
    return best[1] if best else max(0, len(layers) - 2)


def default_folding(layers: list[LayerSpec]) -> tuple[tuple[int, int], ...]:
    """The folding of an imported network until --folding / --target-img-s say otherwise:
    golden.folding's choice for the slowest layer of the network at its fully folded rate."""
    from golden.folding import fold_for_target
    return fold_for_target(layers, None)


def _input_widths(first: LayerSpec, simd: int) -> tuple[int, ...]:
    w = simd * first.in_bits
    if 64 % w == 0 or w % 64 == 0:
        return ()
    return (math.lcm(64, w),)


def build_network(layers: list[LayerSpec], name: str, info: dict, folding=None, classes: int | None = None) -> Network:
    first = layers[0]
    if info.get("bits") == 8:
        fmt = "int8" if info["signed"] else "uint8"
    else:
        fmt = "bits"
    if first.kind == "conv":
        image_shape = first.in_shape
    else:      # the model's input without its batch axis (and a single channel)
        shape = [d for d in info.get("shape", [1, first.mw])[1:]]
        image_shape = tuple(shape[1:] if len(shape) == 3 and shape[0] == 1 else shape)
    elements = int(np.prod(image_shape))
    dataset = "CIFAR-10" if tuple(image_shape) == (32, 32, 3) else "MNIST" if elements == 784 else "imported"
    folding = folding or default_folding(layers)
    last = layers[-1]
    net = Network(
        name=name, title=name, dataset=dataset, classes=classes or last.used_outputs or last.mh,
        layers=tuple(layers), default_folding=tuple(folding), stream_depths={},
        natural_cut=0, kernel_prefix=identifier(name),
        input_widths=_input_widths(first, folding[0][0]), input_format=fmt, image_shape=tuple(image_shape),
        binarize_at=int(math.ceil(info.get("binarize_at", 128))) if fmt == "bits" else 128,
        stream_rule="mvau", description=f"imported from {info.get('source', '?')}")
    return replace(net, natural_cut=_natural_cut(net))


@dataclass
class Imported:
    network: Network
    params: Params
    model: dict           # what netfile writes under "model"


def import_model(path: str | Path, name: str | None = None, folding=None,
                 target_img_s: float | None = None) -> Imported:
    """Lower a QONNX / FINN-ONNX model file to a Network and its parameters, folded as
    `folding` says ((SIMD, PE) per layer, or a folding file), or for `target_img_s` images per
    second (golden/folding.py), or by the default rule."""
    import onnx
    path = Path(path)
    if not path.is_file():
        raise BnnInputError(f"model {path} not found")
    try:
        model = onnx.load(str(path))
    except Exception as exc:   # protobuf's DecodeError and friends
        raise BnnInputError(f"model {path}: not an ONNX file ({exc})") from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    name = name or identifier(path.stem)
    low = _Lowering(model, str(path), name)
    layers, params = low.run()
    info = dict(low.input_info, source=str(path))
    if isinstance(folding, (str, Path)):     # a folding file, read as every folding file is
        from golden.network import Folding
        read = Folding.load(folding, build_network(layers, name, info))
        folding = tuple((f.simd, f.pe) for f in read.layers)
    elif target_img_s is not None:
        from golden.folding import fold_for_target
        folding = fold_for_target(layers, target_img_s)
    net = build_network(layers, name, info, folding)
    from golden.network import Folding, LayerFold
    f = Folding(tuple(LayerFold(s, p) for s, p in net.default_folding), net)
    model_info = {"source": str(path.resolve()), "sha256": digest, "input": low.input_info,
                  "output": low.output_info}
    return Imported(net, Params(params, f, str(path)), model_info)


def write_import(imported: Imported, folder: str | Path) -> Path:
    """network.json, folding.json and the folded .bin files in `folder`."""
    import json
    from golden import netfile
    from golden.params import save_params
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*-*-*.bin"):
        old.unlink()
    net = replace(imported.network, params_path=str(folder.resolve()))
    netfile.write(net, folder, imported.model)
    (folder / "folding.json").write_text(json.dumps(imported.params.folding.to_json(), indent=1) + "\n")
    save_params(imported.params, folder)
    return folder
