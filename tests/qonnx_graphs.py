"""QONNX / FINN-ONNX graphs for the import tests, built with onnx.helper (no torch, no Brevitas):
the node patterns Brevitas' export_qonnx and FINN's streamlining write, with seeded random
weights and power-of-two quantizer scales (so that qonnx's float32 execution is exact).

    g = Graph((1, 3, 8, 8), seed=1).quant_input(8, signed=False)
    g.conv(16, 3, wbits=2).affine().act(2).maxpool().flatten().matmul(10, wbits=2)
    g.save(path)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

QONNX_DOMAIN = "qonnx.custom_op.general"


class Graph:
    def __init__(self, input_shape: tuple[int, ...], seed: int = 0, name: str = "net"):
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.input_shape = tuple(input_shape)
        self.shape = tuple(input_shape)
        self.cur = "x"
        self.n = 0
        self.name = name
        self.mw = None           # inputs per neuron of the last layer (for affine's scale)
        self.in_levels = 1.0     # typical magnitude of the current codes
        self._gemm = False

    # ---------------------------------------------------------------- plumbing
    def _name(self, what: str) -> str:
        self.n += 1
        return f"{what}{self.n}"

    def const(self, value, what: str = "c") -> str:
        name = self._name(what)
        self.inits.append(helper.make_tensor(name, TensorProto.FLOAT, np.shape(value),
                                             np.asarray(value, np.float32).reshape(-1).tolist()))
        return name

    def node(self, op: str, inputs: list[str], domain: str = "", **attrs) -> "Graph":
        out = self._name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain or None, **attrs))
        self.cur = out
        return self

    def _quant(self, x: str, bits: int, signed: bool, scale, narrow: bool = False) -> str:
        s = self.const(scale, "scale")
        z = self.const(0.0, "zeropt")
        b = self.const(float(bits), "bits")
        out = self._name("quant")
        self.nodes.append(helper.make_node("Quant", [x, s, z, b], [out], name=out, domain=QONNX_DOMAIN,
                                           signed=int(signed), narrow=int(narrow), rounding_mode="ROUND"))
        return out

    def _weights(self, shape, wbits: int, signed: bool = True, narrow: bool = False, bipolar: bool = False,
                 scale: float = 0.5, per_channel: bool = False) -> str:
        """A float weight initializer behind its quantizer, values spread over every code."""
        if bipolar:
            w = self.const(self.rng.standard_normal(shape), "w")
            out = self._name("bipolarquant")
            self.nodes.append(helper.make_node("BipolarQuant", [w, self.const(scale, "scale")], [out],
                                               name=out, domain=QONNX_DOMAIN))
            return out
        lo = (-(1 << (wbits - 1)) + int(narrow)) if signed else 0
        hi = ((1 << (wbits - 1)) - 1) if signed else (1 << wbits) - 1 - int(narrow)
        if per_channel:      # one scale per output channel: axis 0 of a conv's, axis 1 of a MatMul's weights
            axis = 0 if len(shape) == 4 or self._gemm else 1
            size = [1] * len(shape)
            size[axis] = shape[axis]
            sc = 2.0 ** -self.rng.integers(0, 3, size=size)
        else:
            sc = scale
        codes = self.rng.integers(lo, hi + 1, size=shape)
        w = (codes + self.rng.uniform(-0.3, 0.3, size=shape)) * sc   # rounds back to the codes
        return self._quant(self.const(w, "w"), wbits, signed, sc, narrow)

    # ---------------------------------------------------------------- the input
    def quant_input(self, bits: int = 8, signed: bool = False, scale: float = 2.0 ** -8) -> "Graph":
        self.cur = self._quant("x", bits, signed, scale)
        self.in_levels = 64.0
        return self

    def bipolar_input(self, scale: float = 1.0) -> "Graph":
        return self.node("BipolarQuant", ["x", self.const(scale, "scale")], QONNX_DOMAIN)

    def threshold_input(self, at: float = 0.0) -> "Graph":
        """FINN-ONNX: the input binarized by one MultiThreshold (+-1 out)."""
        t = self.const(np.array([[at]]), "thres")
        return self.node("MultiThreshold", [self.cur, t], QONNX_DOMAIN, out_scale=2.0, out_bias=-1.0)

    # ---------------------------------------------------------------- layers
    def conv(self, oc: int, k: int = 3, wbits: int = 2, **wkw) -> "Graph":
        n, c, h, w = self.shape
        wt = self._weights((oc, c, k, k), wbits, **wkw)
        self.node("Conv", [self.cur, wt], kernel_shape=[k, k])
        self.shape = (n, oc, h - k + 1, w - k + 1)
        self.mw = c * k * k
        return self

    def matmul(self, mh: int, wbits: int = 2, gemm: bool = False, **wkw) -> "Graph":
        mw = self.shape[1]
        self._gemm = gemm
        if gemm:
            wt = self._weights((mh, mw), wbits, **wkw)
            self.node("Gemm", [self.cur, wt], transB=1)
        else:
            wt = self._weights((mw, mh), wbits, **wkw)
            self.node("MatMul", [self.cur, wt])
        self.shape = (self.shape[0], mh)
        self.mw = mw
        return self

    def _channel_shape(self):
        return (1, self.shape[1], 1, 1) if len(self.shape) == 4 else (1, self.shape[1])

    def affine(self, levels: int = 2, negative: float = 0.2, po2: bool = False) -> "Graph":
        """Mul then Add per channel, sized so that the next quantizer sees a few levels;
        `negative`: the share of channels with a negative scale (a decreasing chain)."""
        ch = self.shape[1]
        spread = np.sqrt(self.mw) * self.in_levels
        mul = levels / spread * self.rng.uniform(0.5, 2.0, ch)
        mul *= np.where(self.rng.random(ch) < negative, -1, 1)
        if po2:
            mul = np.sign(mul) * 2.0 ** np.round(np.log2(np.abs(mul)))
        add = self.rng.uniform(-levels, levels, ch) * 0.5
        self.node("Mul", [self.cur, self.const(mul.reshape(self._channel_shape()), "mul")])
        return self.node("Add", [self.cur, self.const(add.reshape(self._channel_shape()), "add")])

    def batchnorm(self) -> "Graph":
        ch = self.shape[1]
        spread = np.sqrt(self.mw) * self.in_levels
        gamma = self.rng.uniform(0.5, 2.0, ch) * np.where(self.rng.random(ch) < 0.2, -1, 1)
        var = (spread / 2) ** 2 * self.rng.uniform(0.5, 2.0, ch)
        ins = [self.cur] + [self.const(v, "bn") for v in (gamma, self.rng.uniform(-1, 1, ch),
                                                          self.rng.uniform(-spread, spread, ch) * 0.3, var)]
        return self.node("BatchNormalization", ins, epsilon=1e-5)

    def relu(self) -> "Graph":
        return self.node("Relu", [self.cur])

    def act(self, bits: int = 2, signed: bool = True, scale: float = 1.0, narrow: bool = False) -> "Graph":
        self.cur = self._quant(self.cur, bits, signed, scale, narrow)
        self.in_levels = float(1 << (bits - 1)) if bits > 1 else 1.0
        return self

    def bipolar_act(self) -> "Graph":
        self.in_levels = 1.0
        return self.node("BipolarQuant", [self.cur, self.const(1.0, "scale")], QONNX_DOMAIN)

    def multithreshold(self, steps: int, out_bias: float = 0.0, out_scale: float = 1.0) -> "Graph":
        """FINN-ONNX: sorted random thresholds per channel over the sums' typical range."""
        ch = self.shape[1]
        spread = np.sqrt(self.mw) * self.in_levels
        t = np.sort(self.rng.uniform(-spread, spread, (ch, steps)), axis=1)
        self.in_levels = float(steps)
        return self.node("MultiThreshold", [self.cur, self.const(t, "thres")], QONNX_DOMAIN,
                         out_scale=float(out_scale), out_bias=float(out_bias))

    def maxpool(self) -> "Graph":
        n, c, h, w = self.shape
        self.shape = (n, c, h // 2, w // 2)
        return self.node("MaxPool", [self.cur], kernel_shape=[2, 2], strides=[2, 2])

    def flatten(self, nhwc: bool = False) -> "Graph":
        if nhwc:
            self.node("Transpose", [self.cur], perm=[0, 2, 3, 1])
        self.shape = (self.shape[0], int(np.prod(self.shape[1:])))
        return self.node("Flatten", [self.cur], axis=1)

    def reshape(self) -> "Graph":
        self.shape = (self.shape[0], int(np.prod(self.shape[1:])))
        name = self._name("shape")
        self.inits.append(helper.make_tensor(name, TensorProto.INT64, [2], [1, -1]))
        return self.node("Reshape", [self.cur, name])

    # ---------------------------------------------------------------- out
    def model(self) -> onnx.ModelProto:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(self.input_shape))
        y = helper.make_tensor_value_info(self.cur, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, self.name, [x], [y], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                        helper.make_opsetid(QONNX_DOMAIN, 1)])
        model.ir_version = 8
        return model

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        onnx.save(self.model(), str(path))
        return path


# ---------------------------------------------------------------- example networks
def cnv(g: Graph, wbits: int = 2, act: int = 2, scale: int = 1) -> Graph:
    """CNV-shaped: 6 conv layers (64, 64, pool, 128, 128, pool, 256, 256) and 3 fc (512, 512,
    10); `scale` multiplies every channel count (2: the doubled CNV, 4: quadrupled); wbits 1:
    bipolar weights, 2: ternary."""
    wkw = {"bipolar": True} if wbits == 1 else {"wbits": wbits, "narrow": True}
    g.quant_input(8, signed=True, scale=2.0 ** -7)
    for ch, pool in [(64, False), (64, True), (128, False), (128, True), (256, False), (256, False)]:
        g.conv(ch * scale, 3, **wkw).affine(levels=2).act(act)
        if pool:
            g.maxpool()
    g.flatten(nhwc=True)
    for mh in (512 * scale, 512 * scale):
        g.matmul(mh, **wkw).affine(levels=2).act(act)
    return g.matmul(10, **wkw)


def vgg(g: Graph, wbits: int = 2, act: int = 2) -> Graph:
    """A deeper VGG-style stack for 64x64 images: 14 conv layers (3x3 and 1x1, 64 to 256
    channels, two pools) and 3 fc layers (512, 512, 10), CNV-W2A2's number formats."""
    g.quant_input(8, signed=True, scale=2.0 ** -7)
    blocks = [(64, 3), (64, 1), (64, 3), "pool", (128, 3), (128, 1), (128, 3), "pool",
              (256, 3), (256, 1), (256, 3), (256, 1), (256, 3), (256, 1), (256, 3), (256, 3)]
    for b in blocks:
        if b == "pool":
            g.maxpool()
        else:
            g.conv(b[0], b[1], wbits=wbits, narrow=True).affine(levels=2).act(act)
    g.flatten(nhwc=True)
    for mh in (512, 512):
        g.matmul(mh, wbits=wbits, narrow=True).affine(levels=2).act(act)
    return g.matmul(10, wbits=wbits, narrow=True)


def fc_net(g: Graph, hidden: int, layers: int) -> Graph:
    """LFC / SFC / TFC-shaped: a binarized 28x28 input, `layers` bipolar layers of `hidden`."""
    g.bipolar_input().flatten()
    for _ in range(layers):
        g.matmul(hidden, bipolar=True).affine(levels=1).bipolar_act()
    return g.matmul(10, bipolar=True)


def mini(g: Graph) -> Graph:
    """What the BNN-PYNQ networks do not have: 8-bit unsigned inputs, 4- and 3-bit integer
    weights, a 3-bit unsigned activation (7 thresholds) and its pool, a 2-bit signed activation
    from -2, a 1x1 convolution, an NHWC flatten."""
    g.quant_input(8, signed=False)
    g.conv(8, 3, wbits=4).affine(levels=4).act(3, signed=False).maxpool()
    g.conv(16, 3, wbits=2).affine(levels=4).act(2, signed=True)
    g.conv(8, 1, wbits=3).affine().act(2).flatten(nhwc=True)
    return g.matmul(32, wbits=3).affine(levels=2).act(2).matmul(10, wbits=2)


EXAMPLES = {
    "CNV": lambda: cnv(Graph((1, 3, 32, 32), seed=5, name="cnv")),
    "LFC": lambda: fc_net(Graph((1, 1, 28, 28), seed=6, name="lfc"), 1024, 3),
    "SFC": lambda: fc_net(Graph((1, 1, 28, 28), seed=7, name="sfc"), 256, 3),
    "TFC": lambda: fc_net(Graph((1, 1, 28, 28), seed=8, name="tfc"), 64, 3),
    "MINI": lambda: mini(Graph((1, 3, 16, 16), seed=11, name="mini_qnn")),
}
# Networks too big for one PYNQ-Z1 (the plan search's cases): CNV's shape with every channel
# count doubled or quadrupled (W2A2: ternary weights; W1A2: bipolar ones), and a 17-layer
# VGG-style stack.
BIG = {
    "CNV2X": lambda: cnv(Graph((1, 3, 32, 32), seed=21, name="cnv2x_w2a2"), scale=2),
    "CNV2X_W1A2": lambda: cnv(Graph((1, 3, 32, 32), seed=24, name="cnv2x_w1a2"), wbits=1, scale=2),
    "CNV4X": lambda: cnv(Graph((1, 3, 32, 32), seed=22, name="cnv4x_w2a2"), scale=4),
    "VGG17": lambda: vgg(Graph((1, 3, 64, 64), seed=23, name="vgg17")),
}


if __name__ == "__main__":      # write the example models: python tests/qonnx_graphs.py DIR
    import sys
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/models")
    out.mkdir(parents=True, exist_ok=True)
    for key, build in (EXAMPLES | BIG).items():
        print(build().save(out / f"{key.lower()}_seeded.onnx"))
