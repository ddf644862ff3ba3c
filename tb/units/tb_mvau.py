"""cocotb tests for rtl/mvau.sv (with mvau_weight_mem.sv / mvau_thresh_mem.sv).

The pytest side (tests/test_mvau.py) calls :func:`make_case` before the simulation starts: it
draws random inputs and weights (ternary, or +-1 for the 1-bit binary / XNOR layers of the
BNN-PYNQ family; 1-bit inputs as bits), places each neuron's thresholds (two, or one for
1-bit activations) inside the spread of its own accumulators (so every output level occurs,
and some thresholds equal an accumulator to pin down the strict comparison), writes the `$readmemh` files with
golden.params.write_layer_hex and saves inputs, parameters and expected output words (from
the golden per-layer functions, in stream order) to an .npz file. Its path and the build
parameters reach the cocotb tests through TB_CONFIG.

Input is either whole conv images (or the first `rows` output rows of them), fed as the
sliding-window stream golden.streams.window_stream, or plain vectors (fc layers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from golden import layers as L
from golden.params import write_layer_hex
from golden.stages.mvau import fold_thresholds, fold_weights
from golden.streams import activation_stream, pack_words, window_stream
from tb.bus.streams import config, random_pause
from tb.units.stream_tb import StreamTB

# First input word -> last output word beyond the SF*NF steps per vector: the input is written
# into the buffer (decoupled only: in HLS mode the first fold issues the word as it is read),
# then issue -> operands -> dot products -> accumulate/activation into the FIFO.
PIPELINE_LATENCY = 3
HLS_PIPELINE_LATENCY = 2


# ------------------------------------------------------------------ case generation (pytest side)

def out_bits(cfg: dict) -> int:
    return cfg.get("ACT_BITS", 2) if cfg["USE_THRESH"] else cfg["ACC_BITS"]


# Number formats of the BNN-PYNQ family (the MVAU's WEIGHT_BITS / XNOR / NUM_THRESH /
# ACT_OFFSET / ACT_BITS parameters; absent = CNV-W2A2's ternary weights, two thresholds).
def weight_bits(cfg: dict) -> int:
    return cfg.get("WEIGHT_BITS", 2)


def num_thresh(cfg: dict) -> int:
    return cfg.get("NUM_THRESH", 2)


def accumulate(cfg: dict, x: np.ndarray, w: np.ndarray, conv: bool) -> np.ndarray:
    """Accumulators as golden/model.py computes them: 1-bit inputs are bits read as +-1, an
    XNOR layer counts equal bit pairs (golden.layers.xnor_popcount)."""
    xs = L.signed_bits(x) if cfg["IN_BITS"] == 1 else x
    acc = L.conv(xs, w, 3) if conv else L.fc(xs, w)
    return L.xnor_popcount(acc, cfg["MW"]) if cfg.get("XNOR") else acc


def golden_out(cfg: dict, acc: np.ndarray, t: np.ndarray | None) -> np.ndarray:
    """Activation of float32 accumulators (..., MH) with the layer's number semantics."""
    if not cfg["USE_THRESH"]:
        assert cfg["ACC_BITS"] == 16, "golden model has 16-bit scores only"
        return L.wrap16(acc)
    if cfg["THRESH_FIXED"]:
        assert cfg["THRESH_BITS"] == 24, "golden model holds layer-0 thresholds as ap_fixed<24,16>"
        return L.threshold_fixed(acc, t, cfg.get("ACT_OFFSET"))
    assert cfg["THRESH_BITS"] == 16, "golden model cuts thresholds to int16"
    max_abs = cfg["MW"] * 2 ** (cfg["IN_BITS"] - 1)
    return L.threshold_int16(acc, t, max_abs=max_abs, offset=cfg.get("ACT_OFFSET"))


def _one_threshold(cfg: dict, acc: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(MH, 1) int64 thresholds for 1-bit activations: each at the median of its neuron's
    accumulators (both output bits occur, some accumulators equal their threshold), some
    cut like the 2-threshold case (bits above 16 / 24), a few never or always on."""
    mh = acc.shape[1]
    t = np.floor(np.quantile(acc, 0.5, axis=0)).astype(np.int64)
    if cfg["THRESH_FIXED"]:
        t = 2 * t + rng.integers(0, 2, mh)
        t = t + (rng.random(mh) < 0.2) * rng.integers(-3, 4, mh) * (1 << 24)
    else:
        t = t + (rng.random(mh) < 0.2) * rng.integers(-3, 4, mh) * 65536
        t[rng.random(mh) < 0.05] = 32767                  # never on (LFC padding rows)
        t[rng.random(mh) < 0.05] = -32768                 # always on
    return t[:, None]


def _thresholds(cfg: dict, acc: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(MH, 2) int64 thresholds straddling each neuron's accumulators (acc: (vectors, MH))."""
    if num_thresh(cfg) == 1:
        return _one_threshold(cfg, acc, rng)
    mh = acc.shape[1]
    a0 = np.floor(np.quantile(acc, 1 / 3, axis=0)).astype(np.int64)
    a1 = np.maximum(np.floor(np.quantile(acc, 2 / 3, axis=0)).astype(np.int64), a0 + 1)
    if cfg["THRESH_FIXED"]:
        # Fixed point with one more fractional bit than the sum: odd values test the half step.
        t = np.stack([2 * a0 + rng.integers(0, 2, mh), 2 * a1 + rng.integers(0, 2, mh)], axis=1)
        # The hardware keeps the low 24 bits (ap_fixed<24,16>): add random multiples of 2^24
        # to some, and make a few -2^40 (cut to 0).
        wrap = rng.random((mh, 2)) < 0.2
        t = t + wrap * rng.integers(-3, 4, (mh, 2)) * (1 << 24)
        t[rng.random(mh) < 0.05, 0] = -(1 << 40)
        return t
    t = np.stack([a0, a1], axis=1)
    # The hardware keeps the low 16 bits of the int64: add random multiples of 2^16 to some.
    wrap = rng.random((mh, 2)) < 0.2
    t = t + wrap * rng.integers(-3, 4, (mh, 2)) * 65536
    # Layer 7 style always-on / always-off pairs.
    t[rng.random(mh) < 0.05] = (-32768, 32767)
    return t


def make_case(cfg: dict, out_dir: str | Path) -> Path:
    """Random inputs/parameters for `cfg`; writes the .hex files and case.npz into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(int(cfg["seed"]))
    mw, mh, simd, pe, in_bits = cfg["MW"], cfg["MH"], cfg["SIMD"], cfg["PE"], cfg["IN_BITS"]
    if in_bits == 1:
        draw = lambda shape: rng.integers(0, 2, shape)               # bits (1 = +1, 0 = -1)
    elif in_bits == 2:
        draw = lambda shape: rng.integers(-1, 2, shape)              # ternary activations
    else:
        draw = lambda shape: rng.integers(-(1 << (in_bits - 1)), 1 << (in_bits - 1), shape)
    if weight_bits(cfg) == 1:                                        # binary / XNOR: +-1
        w = rng.choice(np.array([-1, 1], dtype=np.int8), size=(mh, mw))
    else:
        w = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(mh, mw), p=[0.35, 0.3, 0.35])
    if cfg.get("skew"):
        # Mostly +1 weights and large positive inputs: accumulators beyond 16 bits (wrap).
        w = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(mh, mw), p=[0.05, 0.15, 0.8])
        draw = lambda shape: rng.integers(40, 1 << (in_bits - 1), shape)
    if "ifm_dim" in cfg:   # conv: images (possibly only the first `rows` output rows)
        k, dim, ch = 3, cfg["ifm_dim"], cfg["ifm_ch"]
        assert k * k * ch == mw
        ofm = dim - k + 1
        rows = cfg.get("rows", ofm)
        x = draw((cfg["images"], rows + k - 1, dim, ch))
        acc = accumulate(cfg, x, w, conv=True)                 # (N, rows, OFM, MH)
        words_in = pack_words(window_stream(x, k, simd), in_bits)
        vectors_per_image = rows * ofm
        full_image_vectors = ofm * ofm
    else:
        x = draw((cfg["images"], mw))
        acc = accumulate(cfg, x, w, conv=False)                # (N, MH)
        words_in = pack_words(activation_stream(x, simd), in_bits)
        vectors_per_image = full_image_vectors = 1
    if cfg.get("skew"):
        assert (acc > 32767).any() and (acc <= 32767).any(), "wrap case must both wrap and not"
    t = _thresholds(cfg, acc.reshape(-1, mh), rng) if cfg["USE_THRESH"] else None
    out = golden_out(cfg, acc, t)
    words_out = pack_words(activation_stream(out, pe), out_bits(cfg))
    write_layer_hex(out_dir, cfg["LAYER"], w, t, simd, pe, weight_bits=weight_bits(cfg))
    wfold = fold_weights(w, simd, pe, bits=weight_bits(cfg))   # (PE, WMEM) uint64
    tfold = (fold_thresholds(t, pe).view(np.uint64) if t is not None
             else np.zeros((pe, 0, num_thresh(cfg)), np.uint64))   # (PE, TMEM, T)
    path = out_dir / "case.npz"
    np.savez(path,
             words_in=np.array([w_ for img in words_in for w_ in img], dtype=object),
             words_out=np.array([w_ for img in words_out for w_ in img], dtype=object),
             levels=np.unique(out) if t is not None else np.array([]),
             wfold=wfold, tfold=tfold,
             vectors_per_image=vectors_per_image, full_image_vectors=full_image_vectors,
             allow_pickle=True)
    return path


# ------------------------------------------------------------------ cocotb side

class MvauTB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        self.cfg = cfg = config()
        self.sf = cfg["MW"] // cfg["SIMD"]
        self.nf = cfg["MH"] // cfg["PE"]
        case = np.load(cfg["data"], allow_pickle=True)
        self.words_in = [int(v) for v in case["words_in"]]
        self.words_out = [int(v) for v in case["words_out"]]
        self.levels = [int(v) for v in case["levels"]]
        self.wfold = case["wfold"]
        self.tfold = case["tfold"]
        self.vectors_per_image = int(case["vectors_per_image"])
        self.full_image_vectors = int(case["full_image_vectors"])
        assert len(dut.m_axis_tdata) == cfg["PE"] * out_bits(cfg), "build and config disagree"
        # Images per batch (rtl/mvau.sv num_reps, VECTORS vectors each): TB_CONFIG `num_reps`,
        # else the whole stream is one batch (the HLS pipeline drains only after its end).
        images = len(self.words_in) // self.sf // int(cfg.get("VECTORS", 1))
        self.num_reps = int(cfg.get("num_reps", images))
        assert images % self.num_reps == 0, f"{images} images are not whole batches of {self.num_reps}"
        dut.num_reps.value = self.num_reps
        dut.cfg_we.value = 0
        dut.cfg_thresh.value = 0
        dut.cfg_pe.value = 0
        dut.cfg_addr.value = 0
        dut.cfg_sel.value = 0
        dut.cfg_data.value = 0

    def set_pauses(self, tag: str = "") -> None:
        """Random input gaps and (heavier) output back-pressure."""
        self.set_idle_generator(random_pause("idle" + tag))
        self.set_backpressure_generator(random_pause("backpressure" + tag, 0.5, burst=8))

    def locate(self, index: int) -> str:
        return f" (vector {index // self.nf}, neuron fold {index % self.nf})"

    def on_mismatch(self, got: list[int]) -> None:
        np.save(Path(self.cfg["data"]).with_suffix(".got.npy"), np.array(got, dtype=object))

    async def load_through_port(self) -> int:
        """Write every weight and threshold word through the cfg port; returns the count."""
        dut = self.dut
        n = 0
        writes = []
        for p, row in enumerate(self.wfold):
            writes += [(0, p, a, 0, int(v)) for a, v in enumerate(row)]
        for p, pairs in enumerate(self.tfold):
            writes += [(1, p, a, s, int(pairs[a, s])) for a in range(len(pairs))
                       for s in range(pairs.shape[1])]
        for thresh, p, addr, sel, data in writes:
            dut.cfg_we.value = 1
            dut.cfg_thresh.value = thresh
            dut.cfg_pe.value = p
            dut.cfg_addr.value = addr
            dut.cfg_sel.value = sel
            dut.cfg_data.value = data
            await RisingEdge(dut.ap_clk)
            n += 1
        # Out-of-range writes must be ignored (they would alias word 0 if the address were cut).
        for thresh, p, addr in ((0, 0, len(self.wfold[0])), (0, len(self.wfold), 0),
                                (1, 0, self.tfold.shape[1]), (0, 0, 1 << 31)):
            dut.cfg_thresh.value = thresh
            dut.cfg_pe.value = p
            dut.cfg_addr.value = addr
            dut.cfg_sel.value = 0
            dut.cfg_data.value = (1 << 64) - 1
            await RisingEdge(dut.ap_clk)
        if self.tfold.shape[1] and self.tfold.shape[2] == 1:
            # One threshold per neuron: targetThresh = 1 names no threshold and is ignored.
            dut.cfg_thresh.value, dut.cfg_pe.value, dut.cfg_addr.value = 1, 0, 0
            dut.cfg_sel.value = 1
            dut.cfg_data.value = (1 << 64) - 1
            await RisingEdge(dut.ap_clk)
        dut.cfg_we.value = 0
        await RisingEdge(dut.ap_clk)
        return n

    async def stream(self) -> None:
        """The case's input through the layer; its output words checked. A spurious word
        would need at least one more fold (SF steps): none may follow within 2 SF."""
        await self.pass_words(self.words_in, self.words_out, settle=2 * self.sf + 16,
                              timeout_cycles=10_000 + 4 * self.sf * len(self.words_out))


def _check_levels(tb: MvauTB) -> None:
    if tb.cfg["USE_THRESH"]:
        offset = tb.cfg.get("ACT_OFFSET", -1)
        expected = list(range(offset, offset + num_thresh(tb.cfg) + 1))
        assert tb.levels == expected, f"test data only produce levels {tb.levels}"


async def _preloaded(dut, pauses: bool) -> MvauTB:
    tb = MvauTB(dut)
    assert "PARAMS_DIR" in cocotb.plusargs, "this test needs +PARAMS_DIR (memories preloaded)"
    _check_levels(tb)
    if pauses:
        tb.set_pauses()
    await tb.reset()
    await tb.stream()
    return tb


def _check_hls_reads(tb: MvauTB) -> None:
    """HLS loop (HLS_TIMING = 1): the words of vector v are read in the first neuron fold of
    its SF*NF steps, one per step, so at full rate input word i moves at cycle
    (i // SF) * SF * NF + i % SF after the first one (no read-ahead into the next vector)."""
    start = tb.inp.transfers[0][0]
    period = tb.sf * tb.nf
    bad = [(i, c - start) for i, (c, _) in enumerate(tb.inp.transfers)
           if c - start != (i // tb.sf) * period + i % tb.sf]
    assert not bad, (f"{len(bad)} input words off the HLS schedule; first: word {bad[0][0]} at cycle "
                     f"{bad[0][1]}, expected {(bad[0][0] // tb.sf) * period + bad[0][0] % tb.sf}")
    tb.log.info("HLS timing: all %d input words read in the first fold of their vector",
                len(tb.inp.transfers))


@cocotb.test()
async def test_full_rate(dut):
    """Parameters from +PARAMS_DIR, no stalls: bit-exact batch and the exact cycle count."""
    tb = await _preloaded(dut, pauses=False)
    latency = PIPELINE_LATENCY
    if int(tb.cfg.get("HLS_TIMING", 0)):
        _check_hls_reads(tb)
        latency = HLS_PIPELINE_LATENCY
    vectors = len(tb.words_out) // tb.nf
    measured = tb.out.transfers[-1][0] - tb.inp.transfers[0][0]
    expected = vectors * tb.sf * tb.nf + latency
    per_image = (measured - latency) / vectors * tb.full_image_vectors
    tb.log.info("%d vectors: %d cycles first input -> last output (formula %d x SF %d x NF %d + "
                "latency %d = %d); per full image %.1f cycles (formula %s)", vectors, measured,
                vectors, tb.sf, tb.nf, latency, expected, per_image,
                tb.cfg.get("formula", "-"))
    assert measured == expected, f"{measured} cycles, expected {expected}"
    if "formula" in tb.cfg:   # golden.cycles.layer_cycles of the layer this shape comes from
        f = tb.cfg["formula"]
        assert abs(per_image - f) <= 0.02 * f, f"{per_image:.1f} cycles per image vs formula {f}"


@cocotb.test()
async def test_stalls(dut):
    """Parameters from +PARAMS_DIR, random input gaps and output back-pressure: same words."""
    tb = await _preloaded(dut, pauses=True)
    tb.check_pauses()


@cocotb.test()
async def test_cfg_port(dut):
    """Memories written through the run-time port (no +PARAMS_DIR) give the same results."""
    tb = MvauTB(dut)
    assert "PARAMS_DIR" not in cocotb.plusargs, "run this test without +PARAMS_DIR"
    await tb.reset()
    n = await tb.load_through_port()
    tb.log.info("wrote %d parameter words through the cfg port", n)
    tb.set_pauses("-cfg")
    await tb.stream()
    tb.check_pauses()


@cocotb.test()
async def test_hls_hold(dut):
    """HLS_TIMING = 1 with VECTORS per image and num_reps images per batch (as a conv layer of
    a generated kernel), random input gaps: bit-exact, and the result of a vector's last
    neuron fold never leaves before the next vector's first input word has been read, across
    image boundaries too, unless the vector ends a batch (the Vivado HLS pipeline stalls as a
    whole on a blocked read and drains only at the end of its batch-long loop)."""
    tb = MvauTB(dut)
    assert "PARAMS_DIR" in cocotb.plusargs, "this test needs +PARAMS_DIR (memories preloaded)"
    per_batch = int(tb.cfg["VECTORS"]) * tb.num_reps
    tb.set_idle_generator(random_pause("idle-hold", 0.5, burst=12))
    await tb.reset()
    await tb.stream()
    ins = [c for c, _ in tb.inp.transfers]
    outs = [c for c, _ in tb.out.transfers]
    vectors = len(outs) // tb.nf
    held = flushed = 0
    for v in range(vectors - 1):
        last_out, next_in = outs[v * tb.nf + tb.nf - 1], ins[(v + 1) * tb.sf]
        if (v + 1) % per_batch:
            assert last_out > next_in, (f"vector {v}: its last result left at cycle {last_out}, before the "
                                        f"next vector's first word was read ({next_in})")
            held += last_out - next_in <= 3
        else:
            flushed += last_out < next_in
    tb.log.info("%d vectors, %d per batch: %d results held for the next vector's first word, %d batch-end "
                "results left before it", vectors, per_batch, held, flushed)
    assert held and flushed, "the input gaps never exercised the hold and the per-batch drain"
