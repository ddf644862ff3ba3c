"""The matrix-vector-activation unit (rtl/mvau.sv, finn-hlslib's
Matrix_Vector_Activate_Batch): a conv or fc layer's weights times its input vectors, SIMD
columns x PE rows per cycle, then the thresholds. It holds WMEM = MW*MH/(SIMD*PE) weight words
and TMEM = MH/PE threshold sets per PE, in the word format of BNN-PYNQ's `.bin` files:

- weights: word `nf*SF + sf` of PE p holds row `nf*PE + p`, columns `sf*SIMD + i`, LSB first;
  2-bit ternary codes (00 = 0, 01 = +1, 11 = -1; 10 never occurs and is rejected) or 1-bit
  weights (bit 1 = +1, 0 = -1, the word's low SIMD bits);
- thresholds: TMEM x T int64 values per PE, `[nf][i]` for row `nf*PE + p`.
The host loads them through doInit (BNN-PYNQ's FoldedMVLoadLayerMem): targetLayer 2L for the
weights of layer L, 2L+1 for its thresholds, targetMem the PE, targetInd the word or neuron
fold, targetThresh the threshold of the neuron.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from golden import layers as L
from golden.errors import BnnInputError
from golden.network import LayerSpec
from golden.stages import cost
from golden.stages.base import Stage, StageCost

# How the products of an MVAU are built, the paper's three variants: "lut" (Mul_LUT: selections
# in LUTs), "dsp" (DSP48: multiplications bound to DSP48E1), "auto" (Default: multiplications
# only where the inputs are 8-bit pixels, the tool's choice elsewhere being LUTs).
MAC_VARIANTS = ("lut", "dsp", "auto")

# Timing facts of rtl/mvau.sv that the batch model (golden.cycles) reads: a step's result
# reaches the output FIFO 3 cycles after the step issues, and in the HLS schedule one result
# waits in that FIFO (OLIMIT, like the one result a stalled HLS pipeline holds in its write
# stage) besides the stream FIFO after the layer.
PIPELINE_CYCLES = 3
OUTPUT_SLOTS = 1

@dataclass(frozen=True, kw_only=True)
class MVAU(Stage):
    kind = "mvau"
    module = "mvau"
    batch_port = True         # its HLS pipeline drains after the batch's last image (rtl/mvau.sv)

    spec: LayerSpec
    simd: int
    pe: int
    hls_timing: bool = True   # the next vector is read only in the first neuron fold
    mac: str = "lut"          # how products are built (MAC_VARIANTS)

    def __post_init__(self) -> None:
        if self.mac not in MAC_VARIANTS:
            raise BnnInputError(f"MAC={self.mac!r}: expected one of {', '.join(MAC_VARIANTS)}")

    @property
    def multiplies(self) -> bool:
        """Whether its products are multiplications a tool may bind to DSP48E1 slices (rtl/mvau.sv
        MAC=1): every product of a non-XNOR layer in the DSP48 variant; in the Default variant
        only those of 8-bit (pixel) inputs; never in Mul_LUT or for XNOR popcounts."""
        if self.spec.weight_kind == "xnor" or self.mac == "lut":
            return False
        return self.mac == "dsp" or self.spec.in_bits >= 8

    # ---------------------------------------------------------------- shape and folding
    @property
    def sf(self) -> int:
        """Synapse folds: cycles to consume one input vector."""
        return self.spec.mw // self.simd

    @property
    def nf(self) -> int:
        """Neuron folds: passes over the input vector."""
        return self.spec.mh // self.pe

    @property
    def wmem(self) -> int:
        return self.sf * self.nf

    @property
    def tmem(self) -> int:
        return self.nf if self.spec.thresholds else 0

    @property
    def in_width(self) -> int:
        return self.simd * self.spec.in_bits

    @property
    def out_width(self) -> int:
        return self.pe * self.spec.out_bits

    @property
    def params(self) -> dict[str, int]:
        s = self.spec
        pixel_layer = s.in_bits == 8 and s.arith == "hls"
        return {"MW": s.mw, "MH": s.mh, "SIMD": self.simd, "PE": self.pe, "IN_BITS": s.in_bits,
                "USE_THRESH": int(s.thresholds), "THRESH_FIXED": int(pixel_layer),
                # HLS holds pixel-layer thresholds as ap_fixed<24,16>, the others as ap_int<16>;
                # an exact layer's thresholds lie within its accumulator's range
                "THRESH_BITS": s.acc_bits if s.arith == "exact" else 24 if pixel_layer else 16,
                "LAYER": s.index,
                "HLS_TIMING": int(self.hls_timing)} | number_params(s) \
            | ({"VECTORS": s.ofm_dim ** 2} if self.hls_timing and s.ofm_dim > 1 else {}) \
            | ({"MAC": 1} if self.multiplies else {}) \
            | ({"WEIGHT_LUTRAM": 1} if s.weight_ram == "lutram" else {})
        # VECTORS: input vectors per image (rtl/mvau.sv counts images, num_reps per batch)

    # ---------------------------------------------------------------- timing
    def words_per_image(self) -> tuple[int, int]:
        vectors = self.spec.ofm_dim ** 2
        return vectors * self.sf, vectors * self.nf

    def cycles(self) -> int:
        """OFM_dim^2 x SF x NF: one SIMD x PE step per cycle."""
        return self.spec.ofm_dim ** 2 * self.sf * self.nf

    # ---------------------------------------------------------------- cost
    def resources(self) -> StageCost:
        s = self.spec
        # weights: one block RAM per PE whatever its size (or LUT RAM where the HLS top says so),
        # thresholds in LUT RAM, as the HLS export binds them (rtl/mvau_weight_mem.sv,
        # mvau_thresh_mem.sv: ram_style)
        if s.weight_ram == "lutram":
            ramb18, lutram = 0, self.pe * self.wmem * self.simd * s.weight_bits
        else:
            ramb18, lutram = cost.block_ram(self.wmem, self.simd * s.weight_bits, self.pe), 0
        levels = (2 ** s.out_bits - 1) if s.thresholds else 0
        # thresholds: TMEM x (2^A - 1) accumulator-wide values per PE, completely partitioned
        lutram += self.pe * self.tmem * levels * cost.ACC_BITS
        wa = s.weight_bits + s.in_bits
        if s.weight_kind == "xnor":
            # a popcount: the XNOR of weight and input bit goes into the first level of one
            # compressor tree of 1-bit terms (about 2 LUT per lane in the synthesized LFCs and
            # CNV-W1A1, where a product-then-adder count says 6)
            mult, adder = 0, 2 * self.simd - 1
        else:
            mult = self.simd * (2 * math.ceil(wa / 6) - 1) * wa
            adder = wa * (2 * self.simd - 1)
        comparators = levels * cost.ACC_BITS
        lut = round(300 + 1.1 * self.pe * (mult + adder + cost.ACC_BITS + comparators))
        if self.hls_timing and self.sf > 1:
            lut += cost.input_buffer_lut(self.sf, self.simd * s.in_bits)
        if self.multiplies:   # the SIMD x PE products move to DSP48E1 slices
            in_logic = round(1.1 * self.pe * mult)
            return StageCost(ramb18=ramb18, lut=lut - in_logic, lutram_bits=lutram,
                             dsp=self.simd * self.pe, dsp_lut=in_logic)
        return StageCost(ramb18=ramb18, lut=lut, lutram_bits=lutram)

    # ---------------------------------------------------------------- golden
    def accumulate(self, weights: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The accumulators (float32, exact integers) of its input vectors (N, ..., MW): 1-bit
        inputs are bits read as +-1; "ternary" and "binary" weights are already the values
        they multiply with; an "xnor" layer counts equal bit pairs (popcount)."""
        s = self.spec
        xs = L.signed_bits(x) if s.in_bits == 1 and s.in_signed else x
        if s.kind == "fc":
            xs = xs.reshape(len(xs), -1)
        acc = L.matvec(xs, weights)
        return L.xnor_popcount(acc, s.mw) if s.weight_kind == "xnor" else acc

    def activate(self, acc: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
        """The output from the accumulators: 16-bit scores, or the thresholded codes."""
        s = self.spec
        if not s.thresholds:
            return L.wrap16(acc)  # scores: unsigned 16-bit wrap, read back as signed
        if s.arith == "exact":    # every sum fits acc_bits; thresholds lie within its range
            return L.threshold(acc, thresholds, s.act_offset)
        if s.in_bits == 8:        # pixel layer: ap_fixed<24,16> thresholds
            return L.threshold_fixed(acc, thresholds, s.act_offset)
        return L.threshold_int16(acc, thresholds, max_abs=s.mw, offset=s.act_offset)

    def execute(self, x: np.ndarray, layer_params=None, taps: dict | None = None) -> np.ndarray:
        acc = self.accumulate(layer_params.weights, x)
        out = self.activate(acc, layer_params.thresholds)
        if taps is not None:
            taps[f"acc{self.spec.index}"] = acc.astype(np.int32)
            taps[f"{self.spec.kind}{self.spec.index}"] = out
        return out

    # ---------------------------------------------------------------- parameters
    def init_targets(self) -> dict[int, str]:
        i = self.spec.index
        return {2 * i: f"weights of layer {i}"} | ({2 * i + 1: f"thresholds of layer {i}"}
                                                   if self.spec.thresholds else {})

    def init_words(self, layer_params):
        return iter(folded_words(self.spec.index, layer_params.weights, layer_params.thresholds,
                                 self.simd, self.pe, self.spec.weight_bits))


def number_params(spec: LayerSpec) -> dict[str, int]:
    """The MVAU parameters of a layer's number formats that differ from rtl/mvau.sv's defaults
    (ternary weights, two thresholds, -1 + [t0 < acc] + [t1 < acc] in 2 bits), so that a
    CNV-W2A2 layer's instance lists exactly what it always did."""
    out: dict[str, int] = {}
    if not spec.in_signed:
        out["IN_SIGNED"] = 0
    if spec.acc_bits != 16:
        out["ACC_BITS"] = spec.acc_bits
    if spec.weight_bits != 2 or spec.weight_kind == "int":
        out["WEIGHT_BITS"] = spec.weight_bits
    if spec.weight_kind == "int":
        out["INT_WEIGHTS"] = 1
    if spec.weight_kind == "xnor":
        out["XNOR"] = 1
    if spec.thresholds:
        for key, value, default in (("NUM_THRESH", spec.num_thresholds, 2),
                                    ("ACT_OFFSET", spec.act_offset, -1),
                                    ("ACT_BITS", spec.act_bits, 2)):
            if value != default:
                out[key] = value
    return out


def folded_words(index: int, weights: np.ndarray, thresholds: np.ndarray | None, simd: int, pe: int,
                 weight_bits: int = 2):
    """(targetLayer, targetMem, targetInd, targetThresh, val) of every init-mode word of a
    layer given as arrays, in the order BNN-PYNQ's host loads them: weights PE by PE, then
    thresholds."""
    words = fold_weights(weights, simd, pe, weight_bits)
    for p in range(pe):
        for i, w in enumerate(words[p]):
            yield 2 * index, p, i, 0, int(w)
    if thresholds is not None:
        per_pe = fold_thresholds(np.asarray(thresholds, dtype=np.int64), pe)
        for p in range(per_pe.shape[0]):
            for nf in range(per_pe.shape[1]):
                for t in range(per_pe.shape[2]):
                    yield 2 * index + 1, p, nf, t, int(per_pe[p, nf, t]) & (2**64 - 1)


# ---------------------------------------------------------------- the word format

def _check_bits(bits: int) -> None:
    if not 1 <= bits <= 8:
        raise BnnInputError(f"weights are 1 to 8 bits wide, not {bits}")


def fold_weights(w: np.ndarray, simd: int, pe: int, bits: int = 2) -> np.ndarray:
    """(MH, MW) weights -> uint64 words (PE, NF*SF), one row of words per PE file.
    bits >= 2: values as two's complement codes (ternary: 2-bit); bits = 1: +-1 values as
    bits (1 = +1)."""
    _check_bits(bits)
    w = np.asarray(w)
    mh, mw = w.shape
    nf, sf = mh // pe, mw // simd
    if bits == 1:
        bad = np.argwhere((w != 1) & (w != -1))
        if bad.size:
            r, c = (int(v) for v in bad[0])
            raise BnnInputError(f"1-bit weights must be -1 or +1; row {r} column {c} is {int(w[r, c])}")
        codes = (w > 0).astype(np.uint64)
    else:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        bad = np.argwhere((w < lo) | (w > hi))
        if bad.size:
            r, c = (int(v) for v in bad[0])
            raise BnnInputError(f"{bits}-bit weights must be in {lo}..{hi}; row {r} column {c} is {int(w[r, c])}")
        codes = (w.astype(np.int64) & ((1 << bits) - 1)).astype(np.uint64)   # two's complement codes
    codes = codes.reshape(nf, pe, sf, simd).transpose(1, 0, 2, 3)  # [pe][nf][sf][i]
    shifts = (bits * np.arange(simd, dtype=np.uint64))
    words = np.bitwise_or.reduce(codes << shifts, axis=3)
    return words.reshape(pe, nf * sf)


def unfold_weights(words: np.ndarray, mh: int, mw: int, simd: int, pe: int,
                   names: list[str] | None = None, bits: int = 2, ternary: bool = True) -> np.ndarray:
    """uint64 words (PE, NF*SF) -> (MH, MW) int8 weights; 1-bit: bit 1 -> +1, bit 0 -> -1;
    wider: two's complement codes, and a ternary layer (2-bit, `ternary`) rejects code 10 (-2)
    by file and word."""
    _check_bits(bits)
    nf, sf = mh // pe, mw // simd
    shifts = (bits * np.arange(simd, dtype=np.uint64))
    codes = ((words.reshape(pe, nf, sf, 1) >> shifts) & np.uint64((1 << bits) - 1)).astype(np.int16)
    if bits == 1:
        return (2 * codes - 1).astype(np.int8).transpose(1, 0, 2, 3).reshape(mh, mw)
    if bits == 2 and ternary:
        bad = np.argwhere(codes == 2)
        if bad.size:
            p, n, s, i = (int(v) for v in bad[0])
            where = names[p] if names else f"PE {p}"
            raise BnnInputError(
                f"{where}: word {n * sf + s} bits {2 * i + 1}:{2 * i} hold weight code 10 (-2); "
                f"a ternary weight must be 00 (0), 01 (+1) or 11 (-1) "
                f"({len(bad)} such weight(s) in layer)")
    values = np.where(codes >= 1 << (bits - 1), codes - (1 << bits), codes).astype(np.int8)
    return values.transpose(1, 0, 2, 3).reshape(mh, mw)


def _thresholds_2d(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t)
    return t.reshape(len(t), -1)


def fold_thresholds(t: np.ndarray, pe: int) -> np.ndarray:
    """(MH, T) int64 -> (PE, NF, T): file of PE p holds rows nf*PE + p ((MH,) counts as T = 1)."""
    t = _thresholds_2d(t)
    mh, n = t.shape
    return t.reshape(mh // pe, pe, n).transpose(1, 0, 2)


def unfold_thresholds(per_pe: np.ndarray) -> np.ndarray:
    """(PE, NF, T) -> (MH, T)."""
    pe, nf, n = per_pe.shape
    return per_pe.transpose(1, 0, 2).reshape(nf * pe, n)


def check_thresholds(t: np.ndarray, what: str, strict: bool = True) -> None:
    """A neuron's thresholds must rise: t0 < t1 < ... for BNN-PYNQ's layers (`strict`), or
    t0 <= t1 <= ... for an imported layer, where one accumulator step may pass two levels."""
    t = _thresholds_2d(t)
    if t.shape[1] < 2:
        return
    bad_pairs = (t[:, :-1] >= t[:, 1:]) if strict else (t[:, :-1] > t[:, 1:])
    bad = np.flatnonzero(bad_pairs.any(axis=1))
    if bad.size:
        r = int(bad[0])
        k = int(np.flatnonzero(bad_pairs[r])[0])
        rel = "<" if strict else "<="
        raise BnnInputError(
            f"{what}: row {r} has thresholds t{k}={int(t[r, k])} {'>=' if strict else '>'} "
            f"t{k + 1}={int(t[r, k + 1])}; expected t{k} {rel} t{k + 1} ({bad.size} such row(s))")
