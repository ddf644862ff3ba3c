"""What a network of the BNN-PYNQ family is: its layers, formats, folding and HLS facts.

These are the classes; each network is one module under golden/networks/ that fills them in
(`golden.networks.get("cnvW2A2")`). Everything else in the project reads a network's facts
from its :class:`Network` and holds no layer index or size of any network as a literal.

A layer is described by its shape; the folding says how the hardware time-multiplexes it:
each MVAU computes SIMD columns x PE rows of its MH x MW weight matrix per cycle, so it holds
WMEM = MW*MH/(SIMD*PE) weight words and TMEM = MH/PE threshold sets per PE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Mapping

from golden.errors import BnnInputError
from golden.platform import PLATFORMS


# How a layer multiplies its weights with its inputs (finn-hlslib's interpretation of the
# weight words, `TWeightI`/`TSrcI` of the MVAU):
#   "ternary": 2-bit two's complement weight codes (FixedPointWeights<ap_int<2>>), in practice
#              {-1, 0, +1}, times the signed input values;
#   "binary":  1-bit weights as +-1 (`Recast<Binary>`: bit 1 = +1, bit 0 = -1) times the input
#              values (signed 2-bit codes, pixel codes, or 1-bit inputs read as +-1 too);
#   "xnor":    1-bit weights XNOR 1-bit inputs (`Recast<XnorMul>`: product 1 when the bits are
#              equal, else 0), so the accumulator is a popcount in [0, MW];
#   "int":     `weight_width`-bit two's complement integers (2 to 8 bits) times the input
#              values (imported networks: signed or unsigned integer weights of a QONNX model).
WEIGHT_KINDS = {"ternary": 2, "binary": 1, "xnor": 1, "int": None}
INT_WEIGHT_WIDTHS = range(2, 9)
# How a layer's accumulator and thresholds are held:
#   "hls":   as BNN-PYNQ's HLS does: a 16-bit accumulator that wraps, thresholds cut to 16 bits
#            (24-bit fixed point for a pixel layer);
#   "exact": an `acc_bits` accumulator wide enough for every sum the layer can make, thresholds
#            within its range (imported networks: the integer arithmetic of the QONNX model).
ARITH_KINDS = ("hls", "exact")
# Where a layer's weight arrays live: "block" RAM (HLS's choice for BNN-PYNQ's weight arrays) or
# "lutram", where the network's HLS top says so (`#pragma HLS RESOURCE ... core=RAM_2P_LUTRAM`).
WEIGHT_RAMS = ("block", "lutram")
ACT_BITS = range(1, 5)
IN_BITS = (1, 2, 3, 4, 8)
POOL_KINDS = ("max", "or")


@dataclass(frozen=True)
class LayerSpec:
    """One MVAU layer of the network (a conv is an MVAU fed by a sliding window).

    Number formats (the network module states them; the defaults are CNV-W2A2's):
    - inputs: `in_bits` 8 = ap_fixed<8,1> pixel codes (layer 0 of a CNV), 2 = signed 2-bit
      codes, 1 = bits where 1 means +1 and 0 means -1 (the tensor holds the bits 0/1);
      `in_signed` False: unsigned codes instead (1-bit: the values 0 and 1);
    - weights: `weight_kind` (WEIGHT_KINDS above), `weight_bits` per weight in the files;
    - activations: `act_bits` 2 = two thresholds per neuron, out = -1 + [t0 < acc] + [t1 < acc]
      as a signed 2-bit code; 1 = one threshold, out = [t < acc] as a bit (1 = +1 for the next
      layer). In finn-hlslib terms: ThresholdsActivation<.., NumTH, .., ActVal> computes
      ActVal + sum_i [t_i < acc], NumTH = `num_thresholds`, ActVal = `act_offset`;
    - a layer without thresholds outputs its accumulators as 16-bit scores;
    - `pool_kind`: the 2x2 max pool after the layer: "max" = signed max starting from -1
      (StreamingMaxPool_Precision_Batch, 2-bit codes), "or" = binary OR of the bits
      (StreamingMaxPool_Batch, 1-bit activations).
    - `arith` (ARITH_KINDS): "hls" for the BNN-PYNQ networks, "exact" with `acc_bits` for
      imported ones; the pool's "max" starts from the smallest code, `act_offset`.
    `num_thresholds`, `act_offset` and `pool_kind` follow from `act_bits` unless given.
    """

    index: int
    kind: str            # "conv" or "fc"
    ifm_ch: int
    ofm_ch: int
    ifm_dim: int = 1     # conv only
    kernel: int = 1      # conv only (3)
    pool_after: bool = False   # a 2x2 max pool follows
    in_bits: int = 2     # bits per input element (8 for the pixel codes into a CNV's layer 0)
    thresholds: bool = True    # False for a last layer that outputs its accumulators as scores
    used_outputs: int | None = None  # last layer: rows that are real classes (the rest is padding)
    act_bits: int = 2    # bits per output activation when thresholded
    score_bits: int = 16  # bits per output score when not thresholded
    weight_kind: str = "ternary"     # "ternary", "binary" or "xnor" (WEIGHT_KINDS)
    num_thresholds: int | None = None  # thresholds per neuron (default: 1 for 1-bit, 2 for 2-bit)
    act_offset: int | None = None      # ActVal (default: 0 for 1-bit, -1 for 2-bit activations)
    pool_kind: str | None = None       # "max" or "or" (default: "or" for 1-bit activations)
    in_signed: bool = True             # inputs are two's complement codes (1-bit: +-1 bits)
    act_signed: bool | None = None     # the next layer reads the codes as signed (1-bit: +-1 bits)
    weight_width: int | None = None    # bits per "int" weight (2..8)
    arith: str = "hls"                 # ARITH_KINDS
    acc_bits: int = 16                 # accumulator bits ("exact": every sum fits)
    weight_ram: str = "block"          # WEIGHT_RAMS: where the weight arrays are bound

    def __post_init__(self) -> None:
        where = f"layer {self.index}"
        if self.kind not in ("conv", "fc"):
            raise BnnInputError(f"{where}: kind must be 'conv' or 'fc', not {self.kind!r}")
        if self.weight_kind not in WEIGHT_KINDS:
            raise BnnInputError(f"{where}: weight_kind must be one of {', '.join(WEIGHT_KINDS)}, "
                                f"not {self.weight_kind!r}")
        if self.in_bits not in IN_BITS:
            raise BnnInputError(f"{where}: in_bits must be one of {', '.join(map(str, IN_BITS))}, "
                                f"not {self.in_bits}")
        if self.weight_kind == "xnor" and (self.in_bits != 1 or not self.in_signed):
            raise BnnInputError(f"{where}: XNOR weights need 1-bit +-1 inputs, not {self.in_bits}-bit")
        if (self.weight_kind == "int") != (self.weight_width is not None):
            raise BnnInputError(f"{where}: weight_width is given for (and only for) \"int\" weights")
        if self.weight_kind == "int" and self.weight_width not in INT_WEIGHT_WIDTHS:
            raise BnnInputError(f"{where}: weight_width must be 2..8, not {self.weight_width}")
        if self.act_bits not in ACT_BITS:
            raise BnnInputError(f"{where}: act_bits must be 1..4, not {self.act_bits}")
        if self.arith not in ARITH_KINDS:
            raise BnnInputError(f"{where}: arith must be one of {', '.join(ARITH_KINDS)}, not {self.arith!r}")
        if self.weight_ram not in WEIGHT_RAMS:
            raise BnnInputError(f"{where}: weight_ram must be one of {', '.join(WEIGHT_RAMS)}, "
                                f"not {self.weight_ram!r}")
        if not 2 <= self.acc_bits <= 32:
            raise BnnInputError(f"{where}: acc_bits must be 2..32, not {self.acc_bits}")
        defaults = {"act_signed": self.act_bits <= 2 or (self.act_offset or 0) < 0,
                    "num_thresholds": {1: 1, 2: 2}.get(self.act_bits, 2 ** self.act_bits - 1),
                    "act_offset": {1: 0, 2: -1}.get(self.act_bits, 0),
                    "pool_kind": {1: "or"}.get(self.act_bits, "max")}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if self.pool_kind not in POOL_KINDS:
            raise BnnInputError(f"{where}: pool_kind must be one of {', '.join(POOL_KINDS)}, "
                                f"not {self.pool_kind!r}")
        if self.thresholds:
            levels = 2 ** self.act_bits
            if not 1 <= self.num_thresholds < levels:
                raise BnnInputError(f"{where}: {self.num_thresholds} thresholds per neuron do not fit "
                                    f"{self.act_bits}-bit activations (at most {levels - 1})")
            lo = -(levels // 2) if self.act_offset < 0 else 0
            hi = lo + levels - 1
            if not (lo <= self.act_offset and self.act_offset + self.num_thresholds <= hi):
                raise BnnInputError(f"{where}: activation codes {self.act_offset}..{self.act_offset + self.num_thresholds}"
                                    f" do not fit {self.act_bits} bits")

    @property
    def weight_bits(self) -> int:
        """Bits per weight in the folded weight words (2 ternary, 1 binary/XNOR, weight_width int)."""
        return self.weight_width if self.weight_kind == "int" else WEIGHT_KINDS[self.weight_kind]

    @property
    def ofm_dim(self) -> int:
        return self.ifm_dim - self.kernel + 1 if self.kind == "conv" else 1

    @property
    def mw(self) -> int:
        """Matrix width: inputs per output neuron."""
        return self.kernel * self.kernel * self.ifm_ch

    @property
    def mh(self) -> int:
        """Matrix height: output neurons (channels)."""
        return self.ofm_ch

    @property
    def out_dim(self) -> int:
        """Spatial size after this layer and its optional pool."""
        return self.ofm_dim // 2 if self.pool_after else self.ofm_dim

    @property
    def out_bits(self) -> int:
        return self.act_bits if self.thresholds else self.score_bits

    @property
    def in_shape(self) -> tuple[int, ...]:
        """Per-image shape of the tensor entering the layer: (H, W, C) or (C,)."""
        if self.kind == "conv":
            return (self.ifm_dim, self.ifm_dim, self.ifm_ch)
        return (self.ifm_ch,)

    @property
    def out_shape(self) -> tuple[int, ...]:
        """Per-image shape of the tensor leaving the layer and its pool."""
        if self.kind == "conv":
            return (self.out_dim, self.out_dim, self.ofm_ch)
        return (self.ofm_ch,)


def layer(index: int, network: "Network | tuple[LayerSpec, ...]") -> LayerSpec:
    """The layer with this index, or a clear error."""
    for spec in network:
        if spec.index == index:
            return spec
    raise BnnInputError(
        f"unknown layer {index}: the network has layers {network[0].index}-{network[-1].index}")


# What the host feeds layer 0: "pixels8" (CNV: each byte as an ap_fixed<8,1> code), "bits"
# (LFC: binarized pixels), "uint8" / "int8" (imported networks: each byte is the code of the
# model's 8-bit input quantizer, unsigned, or signed as byte - 128).
INPUT_FORMATS = ("pixels8", "bits", "uint8", "int8")
STREAM_RULES = ("bnn-pynq", "mvau")


@dataclass(frozen=True)
class LayerFold:
    simd: int
    pe: int


@dataclass(frozen=True)
class Folding:
    """SIMD and PE per layer; validated against the network shapes."""

    layers: tuple[LayerFold, ...]
    network: "Network"

    def __post_init__(self) -> None:
        if len(self.layers) != len(self.network):
            raise BnnInputError(
                f"folding config has {len(self.layers)} layers, the network has {len(self.network)}")
        for spec, f in zip(self.network, self.layers):
            for name, val, total, dim in (("SIMD", f.simd, spec.mw, "MW"), ("PE", f.pe, spec.mh, "MH")):
                if not isinstance(val, int) or val < 1 or total % val:
                    raise BnnInputError(
                        f"folding of layer {spec.index}: {name}={val} must be a positive divisor "
                        f"of {dim}={total}")
            # One 64-bit word per PE and tile holds SIMD weights (the .bin files, DoMemInit's
            # `val`); the input of a fold may be wider (LFC-W1A2 layer 2: 64 x 2 bit).
            if f.simd * spec.weight_bits > 64:
                raise BnnInputError(
                    f"folding of layer {spec.index}: SIMD={f.simd} x {spec.weight_bits}-bit weights "
                    f"do not fit one 64-bit weight word")

    def __getitem__(self, index: int) -> LayerFold:
        layer(index, self.network)
        return self.layers[index]

    def simd(self, index: int) -> int:
        return self[index].simd

    def pe(self, index: int) -> int:
        return self[index].pe

    def sf(self, index: int) -> int:
        """Synapse folds: cycles to consume one input vector."""
        return self.network[index].mw // self.simd(index)

    def nf(self, index: int) -> int:
        """Neuron folds: passes over the input vector."""
        return self.network[index].mh // self.pe(index)

    def wmem(self, index: int) -> int:
        return self.sf(index) * self.nf(index)

    def tmem(self, index: int) -> int:
        return self.nf(index)

    def to_json(self) -> dict:
        return {"network": self.network.name, "layers": [{"layer": s.index, "simd": f.simd, "pe": f.pe}
                           for s, f in zip(self.network, self.layers)]}

    @classmethod
    def from_json(cls, obj: dict, network: "Network", source: str = "folding config") -> "Folding":
        def whole(value, name):
            # JSON integers only: 2.7 or true is a mistake, not 2 or 1
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            return value

        try:
            entries = obj["layers"]
            if not isinstance(entries, list):
                raise TypeError(f"'layers' is a {type(entries).__name__}, not a list")
            folds = [LayerFold(whole(e["simd"], "simd"), whole(e["pe"], "pe")) for e in entries]
            order = [whole(e.get("layer", i), "layer") for i, e in enumerate(entries)]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BnnInputError(
                f"{source}: expected {{'layers': [{{'layer': L, 'simd': S, 'pe': P}}, ...]}} ({exc!r})"
            ) from None
        if order != list(range(len(folds))):
            raise BnnInputError(f"{source}: layers must be listed in order 0..{len(folds) - 1}, got {order}")
        named = obj.get("network", network.name) if isinstance(obj, dict) else network.name
        if named != network.name:
            raise BnnInputError(f"{source}: folding of network {named!r}, not of {network.name!r}")
        return cls(tuple(folds), network)

    @classmethod
    def load(cls, path: str | Path, network: "Network") -> "Folding":
        path = Path(path)
        try:
            obj = json.loads(path.read_text())
        except FileNotFoundError:
            raise BnnInputError(f"folding config {path} not found") from None
        except IsADirectoryError:
            raise BnnInputError(f"folding config {path} is a folder; expected a .json file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BnnInputError(f"folding config {path}: not valid JSON ({exc})") from None
        except OSError as exc:
            raise BnnInputError(f"folding config {path}: cannot be read ({exc.strerror or exc})") from None
        return cls.from_json(obj, network, str(path))




@dataclass(frozen=True)
class PaperKernel:
    """One kernel row of the BNNsplit paper's Table I (single image, PYNQ-Z1, 100 MHz)."""

    name: str
    first: int
    last: int
    exec_us: float
    exec_std_us: float
    throughput_img_s: float
    lut_pct: float
    bram_pct: float
    power_w: float

    @property
    def latency_cycles(self) -> int:
        """The measured time in cycles of the clock the paper ran its PYNQ-Z1 kernels at."""
        return round(self.exec_us * (PLATFORMS["pynq-z1"].clock_hz / 1e6))


@dataclass(frozen=True)
class VivadoUtilisation:
    """Vivado 2018.2 post-implementation utilisation of a network's full kernel on the
    PYNQ-Z1's xc7z020 (BNN-PYNQ's network READMEs)."""

    lut: int
    lut_mem: int                  # LUTs used as memory (part of `lut`)
    ff: int
    bram_tiles: float             # RAMB36 tiles (a RAMB18 counts half)
    dsp: int


@dataclass(frozen=True, eq=False)
class Network:
    """One network of the BNN-PYNQ family, everything the model, generator and testbenches
    need to know about it. Iterating it gives its layers in order."""

    name: str                     # BNN-PYNQ's name, e.g. "cnvW2A2" (folder of its parameters)
    title: str                    # e.g. "CNV-W2A2"
    dataset: str                  # "CIFAR-10", "MNIST"
    classes: int                  # classes the host reads from the last layer's outputs
    layers: tuple[LayerSpec, ...]
    default_folding: tuple[tuple[int, int], ...]  # BNN-PYNQ's (SIMD, PE) per layer
    # Inter-layer stream depths of the HLS top, keyed by what feeds them: "pixels" (the
    # converted input stream), "L<i>" (layer i), "pool<i>" (the pool after layer i);
    # streams not named get the HLS default.
    stream_depths: Mapping[str, int]
    natural_cut: int              # the cut with the fewest bytes per image the paper uses
    kernel_prefix: str            # generated kernels are <prefix>_full, <prefix>_part1, ...
    # Widths the HLS top converts the 64-bit memory words through before layer 0
    # (e.g. 64 -> 192 -> 24: one 24-bit word per RGB pixel).
    input_widths: tuple[int, ...] = ()
    hls_default_depth: int = 2
    paper_kernels: tuple[PaperKernel, ...] = field(default=())   # Table I, where published
    vivado_full: VivadoUtilisation | None = None   # the full kernel after Vivado implementation
    description: str = ""
    # What the host feeds layer 0 (INPUT_FORMATS): "pixels8" = each uint8 pixel byte as an
    # ap_fixed<8,1> code, 8 bits per element (CNV); "bits" = each pixel binarized (byte >=
    # `binarize_at` -> 1, else 0), 1 bit per element, zero-padded to layer 0's MW (LFC).
    input_format: str = "pixels8"
    image_shape: tuple[int, ...] = (32, 32, 3)  # the uint8 images the host reads (H, W[, C])
    binarize_at: int = 128        # "bits" input: the smallest pixel byte that becomes a 1
    # An imported network (golden/netfile.py): the folder of its folded .bin parameters, and
    # how its inter-layer streams are sized: "bnn-pynq" (the HLS tops' widths, inter_width in
    # golden/stages/chain.py) or "mvau" (each MVAU's own PE x activation-bit words).
    params_path: str | None = None
    stream_rule: str = "bnn-pynq"

    def __post_init__(self) -> None:
        if [s.index for s in self.layers] != list(range(len(self.layers))):
            raise BnnInputError(f"network {self.name}: layers must be numbered 0..{len(self.layers) - 1}")
        if self.input_format not in INPUT_FORMATS:
            raise BnnInputError(f"network {self.name}: input_format must be one of "
                                f"{', '.join(INPUT_FORMATS)}, not {self.input_format!r}")
        if self.stream_rule not in STREAM_RULES:
            raise BnnInputError(f"network {self.name}: stream_rule must be one of {', '.join(STREAM_RULES)}, "
                                f"not {self.stream_rule!r}")
        first, elements = self.layers[0], 1
        for d in self.image_shape:
            elements *= d
        if self.input_format in ("pixels8", "uint8", "int8"):
            signed = self.input_format != "uint8"
            shape_ok = (first.in_shape == tuple(self.image_shape) if first.kind == "conv" or
                        self.input_format == "pixels8" else first.mw == elements)
            if first.in_bits != 8 or first.in_signed != signed or not shape_ok:
                raise BnnInputError(f"network {self.name}: {self.input_format} input needs layer 0 to take "
                                    f"{'signed' if signed else 'unsigned'} 8-bit elements of shape "
                                    f"{tuple(self.image_shape)}")
        elif first.in_bits != 1 or first.kind != "fc" or first.mw < elements:
            raise BnnInputError(f"network {self.name}: bits input needs an fc layer 0 with 1-bit "
                                f"inputs and MW >= {elements} pixels")

    @property
    def image_elements(self) -> int:
        """Pixel bytes per image (before any padding)."""
        n = 1
        for d in self.image_shape:
            n *= d
        return n

    @property
    def output_format(self) -> str:
        """What the last layer writes: "scores" (16-bit accumulators, the host takes the
        greatest) or "bits" (one thresholded bit per class, the host takes the highest set)."""
        return "scores" if not self.layers[-1].thresholds else "bits"

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> LayerSpec:
        return self.layers[index]

    def __repr__(self) -> str:
        return f"Network({self.name})"

    @property
    def last(self) -> int:
        return self.layers[-1].index

    def layer(self, index: int) -> LayerSpec:
        return layer(index, self)

    @cached_property
    def folding(self) -> "Folding":
        """BNN-PYNQ's folding of this network (the one its trained parameter files have)."""
        return Folding(tuple(LayerFold(s, p) for s, p in self.default_folding), self)

    def check_range(self, first: int, last: int) -> None:
        """A contiguous layer range this network has, or a clear error."""
        layer(first, self)
        layer(last, self)
        if first > last:
            raise BnnInputError(f"{self.name}: first layer {first} is after last layer {last}")

    def role(self, first: int, last: int) -> str:
        """What a kernel of layers first..last does in a pipeline, in the paper's words: "full"
        (images in, scores out), "part1" (images in, a cut tensor out), "part2" (a cut tensor
        in, scores out) or "middle" (tensor in and out)."""
        self.check_range(first, last)
        starts, ends = first == 0, last == self.last
        return {(True, True): "full", (True, False): "part1", (False, False): "middle",
                (False, True): "part2"}[(starts, ends)]

    def natural_ranges(self) -> dict[str, tuple[int, int]]:
        """Layer ranges of the kernels of the natural split, by role."""
        cut = self.natural_cut
        return {"full": (0, self.last), "part1": (0, cut), "part2": (cut + 1, self.last)}

    def words_per_image(self, after_layer: int) -> int:
        """64-bit words per image of the tensor leaving `after_layer` (and its pool); -1 is
        the input as the host lays it out in memory."""
        return cut_words(self, after_layer)

    def paper_kernel(self, first: int, last: int) -> PaperKernel | None:
        """The Table I row of a kernel with this layer range, if the paper measured one."""
        return next((k for k in self.paper_kernels if (k.first, k.last) == (first, last)), None)


# ---------------------------------------------------------------------------- cuts
# The tensor that crosses each layer boundary, what golden/splits.py tabulates and plots and
# what a network's `words_per_image` counts.
@dataclass(frozen=True)
class Cut:
    name: str        # "input", "after L1", "after L1 pool", ...
    after_layer: int  # -1 for the input
    shape: tuple[int, ...]
    bits: int

    @property
    def shape_bits(self) -> int:
        """Bits per image."""
        n = 1
        for d in self.shape:
            n *= d
        return n * self.bits

    @property
    def bytes_per_image(self) -> int:
        return self.shape_bits // 8


def cuts(network: Network) -> list[Cut]:
    first = network[0]
    out = [Cut("input", -1, first.in_shape, first.in_bits)]
    for spec in network:
        shape = (spec.ofm_dim, spec.ofm_dim, spec.ofm_ch) if spec.kind == "conv" else (spec.ofm_ch,)
        out.append(Cut(f"after L{spec.index}", spec.index, shape, spec.out_bits))
        if spec.pool_after:
            out.append(Cut(f"after L{spec.index} pool", spec.index, spec.out_shape, spec.out_bits))
    return out


def fewest_bytes_cuts(network: Network) -> list[int]:
    """The layer boundaries (cut after layer L, L < last) with the fewest bytes per image."""
    inner = {}
    for c in cuts(network):
        if 0 <= c.after_layer < network.last:
            inner[c.after_layer] = c.bytes_per_image   # the last entry: after the pool
    least = min(inner.values())
    return [layer_index for layer_index, b in inner.items() if b == least]


def word_cuts(network: Network) -> list[int]:
    """The inner layer boundaries a kernel may end at: those whose tensor (after the layer's
    pool) makes whole 64-bit words per image, as the memory reader and writer move them."""
    inner: dict[int, int] = {}
    for c in cuts(network):
        if 0 <= c.after_layer < network.last:
            inner[c.after_layer] = c.shape_bits   # the last entry: after the pool
    return [layer_index for layer_index, bits in inner.items() if bits % 64 == 0]


def cut_words(network: Network, after_layer: int) -> int:
    """64-bit words per image of the tensor leaving `after_layer` (after its pool, if any);
    -1 = the input."""
    found = [c for c in cuts(network) if c.after_layer == after_layer]
    if not found:
        raise BnnInputError(f"{network.name} has no layer {after_layer}")
    last_cut = found[-1]
    if last_cut.bytes_per_image % 8:
        raise BnnInputError(f"{network.name}: cut after layer {after_layer}: {last_cut.bytes_per_image} bytes "
                            f"per image is not a whole number of 64-bit words")
    return last_cut.bytes_per_image // 8
