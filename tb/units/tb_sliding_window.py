"""cocotb tests for rtl/sliding_window.sv.

Configuration (TB_CONFIG JSON from tests/test_sliding_window.py): the build parameters
(K, IFM_DIM, IFM_CH, SIMD, BITS, HLS_TIMING, HLS_LAG), `images` in the stream, `num_reps`
images per batch (the DUT's num_reps; default: all of them, one batch) and `seed`.
Reference: golden.streams.window_stream on random images, all images back to back.
"""

from __future__ import annotations

import numpy as np
import cocotb

from golden.streams import activation_stream, pack_words, window_stream
from tb.bus.streams import config, inserters, make_rng
from tb.units.stream_tb import StreamTB


class WindowTB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        cfg = config()
        self.k = int(cfg.get("K", 3))
        self.dim = int(cfg["IFM_DIM"])
        self.ch = int(cfg["IFM_CH"])
        self.simd = int(cfg["SIMD"])
        self.bits = int(cfg["BITS"])
        self.images = int(cfg.get("images", 2))
        self.hls = bool(int(cfg.get("HLS_TIMING", 0)))
        self.lag = int(cfg.get("HLS_LAG", 2))     # the RTL default
        self.num_reps = int(cfg.get("num_reps", self.images))
        assert self.images % self.num_reps == 0, "the stream must be whole batches"
        dut.num_reps.value = self.num_reps
        assert len(dut.s_axis_tdata) == self.simd * self.bits, "build and config disagree"

    # Words per image and the fill, from the stream shapes alone.
    @property
    def cf(self) -> int:
        return self.ch // self.simd

    @property
    def ofm(self) -> int:
        return self.dim - self.k + 1

    @property
    def out_words(self) -> int:
        return self.ofm ** 2 * self.k ** 2 * self.cf

    # The HLS loop of ConvolutionInputGenerator: per image a fill of K rows, then OFM_DIM
    # blocks of max(write block, read block) iterations; after the batch's last image the
    # pipeline drains (HLS_LAG).
    @property
    def fill(self) -> int:
        return self.k * self.dim * self.cf

    @property
    def hls_image_cycles(self) -> int:
        write_block = self.ofm * self.k * self.k * self.cf
        read_block = self.dim * self.cf
        return self.fill + self.ofm * max(write_block, read_block) + self.lag

    def locate(self, index: int) -> str:
        return f" (image {index // self.out_words}, offset {index % self.out_words})"

    def random_images(self, rng) -> np.ndarray:
        lo, hi = -(1 << (self.bits - 1)), 1 << (self.bits - 1)
        nrng = np.random.default_rng(rng.getrandbits(32))
        return nrng.integers(lo, hi, size=(self.images, self.dim, self.dim, self.ch))


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle"), backpressure_inserter=inserters("backpressure"))
async def test_windows(dut, idle_inserter, backpressure_inserter):
    """Batch of random images: bit-exact windows; full-rate timing without pauses."""
    tb = WindowTB(dut)
    x = tb.random_images(make_rng("data"))   # same images in every run
    await tb.setup(idle_inserter, backpressure_inserter)
    words_in = [w for img in pack_words(activation_stream(x, tb.simd), tb.bits) for w in img]
    expected = [w for img in pack_words(window_stream(x, tb.k, tb.simd), tb.bits) for w in img]
    await tb.pass_words(words_in, expected)
    tb.check_pauses()
    if tb.paused:
        return
    first_in = tb.inp.transfers[0][0]
    first_out = tb.out.transfers[0][0]
    last_out = tb.out.transfers[-1][0]
    measured = last_out - first_in
    total = tb.images * tb.out_words
    if tb.hls:
        check_hls_timing(tb, first_in, first_out, measured)
        return
    # First principles: before the first word can leave, the K rows of the first window
    # (K*IFM_DIM*CF words) must be in, then one cycle for the registered read; afterwards every
    # word of every image leaves on consecutive cycles (no gap between images).
    expected_cycles = tb.fill + 1 + total - 1
    tb.log.info("%d image(s): %d cycles from first input to last output; formula fill %d + %d words "
                "= %d; output span %d", tb.images, measured, tb.fill, total, expected_cycles,
                tb.out.span())
    assert tb.out.span() == total, f"output took {tb.out.span()} cycles for {total} words (gaps)"
    assert measured == expected_cycles, f"{measured} cycles, expected {expected_cycles}"


def check_hls_timing(tb: WindowTB, first_in: int, first_out: int, measured: int) -> None:
    """Full rate in HLS mode: every image is FILL + OFM_DIM * max(write block, read block)
    iterations of the HLS loop at one a cycle, images back to back, plus HLS_LAG to drain the
    pipeline after a batch's last image only (within a batch the last HLS_LAG words of an
    image leave with the first reads of the next one's fill). The fill (K rows, read only) is
    repeated for every image; each image's output is contiguous (write block >= read block:
    every iteration after the fill writes) and lags its iteration by HLS_LAG stages (+1 for
    the output FIFO)."""
    per_image = tb.hls_image_cycles
    starts = [0]                  # cycle of each image's first read, from the first input
    for i in range(tb.images):
        starts.append(starts[-1] + per_image - (0 if (i + 1) % tb.num_reps == 0 else tb.lag))
    in_words = tb.dim * tb.dim * tb.cf
    tb.log.info("HLS timing (lag %d), %d image(s) in batches of %d: %d cycles from first input to last "
                "output; formula %d x (fill %d + %d) + lag per batch = %d", tb.lag, tb.images, tb.num_reps,
                measured, tb.images, tb.fill, per_image - tb.fill - tb.lag, starts[-1])
    assert first_out - first_in == tb.fill + tb.lag + 1, (
        f"first output {first_out - first_in} cycles after the first input, expected fill {tb.fill} + lag + 1")
    assert measured == starts[-1], f"{measured} cycles, expected {starts[-1]}"
    ins = [c for c, _ in tb.inp.transfers]
    outs = [c for c, _ in tb.out.transfers]
    for i in range(tb.images):
        start = first_in + starts[i]
        # Image i's loop starts with its fill: K rows read on consecutive cycles...
        assert ins[i * in_words] == start, f"image {i}: first input at {ins[i * in_words] - first_in}, expected {start - first_in}"
        fill_in = ins[i * in_words: i * in_words + tb.fill]
        assert fill_in[-1] - fill_in[0] == tb.fill - 1, f"image {i}: fill not on consecutive cycles"
        # ... its outputs follow without a gap, the last one as the pipeline has drained.
        img_out = outs[i * tb.out_words: (i + 1) * tb.out_words]
        assert img_out[0] == start + tb.fill + tb.lag + 1, (
            f"image {i}: first output at {img_out[0] - start}, expected fill + lag + 1")
        assert img_out[-1] - img_out[0] == tb.out_words - 1, f"image {i}: gaps in the output"
        assert img_out[-1] == start + per_image, f"image {i}: last output at {img_out[-1] - start}"
