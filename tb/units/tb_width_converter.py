"""cocotb tests for rtl/width_converter.sv (parameters IN_W, OUT_W from the build; the HLS
schedule's HLS_TIMING, IMAGE_WORDS, HOLD and `num_reps` through TB_CONFIG, test_hls_batches).

Reference model: the input words, concatenated little-endian (first word in the LSBs), form
one bit string; the output is that bit string cut into OUT_W-bit words, first in the LSBs.
Bits that do not fill a whole output word stay inside until more input arrives.
"""

from __future__ import annotations

from math import lcm

import cocotb

from tb.bus.streams import config, inserters, make_rng
from tb.units.stream_tb import StreamTB


def convert(words: list[int], in_w: int, out_w: int) -> list[int]:
    """Reference: regroup `words` of in_w bits into words of out_w bits (whole ones only)."""
    bits = 0
    for i, w in enumerate(words):
        bits |= (w & ((1 << in_w) - 1)) << (i * in_w)
    n_out = len(words) * in_w // out_w
    return [(bits >> (j * out_w)) & ((1 << out_w) - 1) for j in range(n_out)]


class ConverterTB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        self.in_w = len(dut.s_axis_tdata)
        self.out_w = len(dut.m_axis_tdata)
        self.num_reps = int(config().get("num_reps", 1))
        dut.num_reps.value = self.num_reps      # images per batch (HLS_TIMING only)

    def block_words(self, at_least: int) -> int:
        """Smallest input word count >= at_least that fills whole output words."""
        step = lcm(self.in_w, self.out_w) // self.in_w
        return -(-at_least // step) * step


@cocotb.test()
@cocotb.parametrize(idle_inserter=inserters("idle"), backpressure_inserter=inserters("backpressure"))
async def test_data(dut, idle_inserter, backpressure_inserter):
    """Random words, without and with source gaps and sink back-pressure, vs the reference."""
    tb = ConverterTB(dut)
    narrow = min(tb.in_w, tb.out_w)
    # enough words that the narrow side moves at least `n` words
    n_in = tb.block_words(int(config().get("n", 200)) * narrow // tb.in_w + 1)
    data_rng = make_rng("data")
    words = [data_rng.getrandbits(tb.in_w) for _ in range(n_in)]
    expected = convert(words, tb.in_w, tb.out_w)
    await tb.setup(idle_inserter, backpressure_inserter)

    await tb.pass_words(words, expected, settle=8)   # also no extra output words

    tb.check_pauses()
    if tb.paused:
        return
    if tb.in_w <= tb.out_w:
        # narrow input side: one word every cycle
        assert tb.inp.span() == n_in, f"{n_in} input words took {tb.inp.span()} cycles"
    else:
        # narrow output side: one word every cycle
        assert tb.out.span() == len(expected), (
            f"{len(expected)} output words took {tb.out.span()} cycles")


@cocotb.test()
async def test_partial(dut):
    """Input that does not fill a whole output word: the remainder waits inside, no output
    is produced early, and the following input completes it seamlessly."""
    tb = ConverterTB(dut)
    await tb.reset()
    rng = make_rng("partial")
    total = tb.block_words(3 * max(1, tb.out_w // tb.in_w) + 3)
    words = [rng.getrandbits(tb.in_w) for _ in range(total)]
    expected = convert(words, tb.in_w, tb.out_w)
    # Split where a remainder is left, if the ratio allows one.
    first = next((k for k in range(1, total) if (k * tb.in_w) % tb.out_w), total // 2)
    n_first = first * tb.in_w // tb.out_w

    await tb.send(words[:first])
    await tb.collect(n_first, settle=10)
    assert len(tb.out.transfers) == n_first, "output produced before enough input bits"
    assert int(dut.m_axis_tvalid.value) == 0

    await tb.send(words[first:])
    await tb.collect(len(expected), settle=10)
    tb.check_output(expected)


@cocotb.test()
async def test_hls_batches(dut):
    """HLS_TIMING = 1: images of IMAGE_WORDS input words sent one at a time, num_reps per batch.
    With HOLD = 1 the converter's last write of an image stays in its pipeline until the next
    image's first word is read, unless the image ends a batch (the HLS loop drains only at the
    end of the batch); with HOLD = 0 every word leaves without waiting for more input.
    Bit-exact either way."""
    cfg = config()
    if not int(cfg.get("HLS_TIMING", 0)):
        dut._log.info("not an HLS_TIMING build: nothing to test")
        return
    tb = ConverterTB(dut)
    image_words, hold, images = int(cfg["IMAGE_WORDS"]), int(cfg["HOLD"]), int(cfg.get("images", 4))
    assert images % tb.num_reps == 0
    rng = make_rng("hls")
    words = [rng.getrandbits(tb.in_w) for _ in range(images * image_words)]
    expected = convert(words, tb.in_w, tb.out_w)
    per_image = len(expected) // images
    await tb.reset()
    held = 0
    for k in range(images):
        await tb.send(words[k * image_words:(k + 1) * image_words])
        batch_end = (k + 1) % tb.num_reps == 0
        due = (k + 1) * per_image - (1 if hold and not batch_end else 0)
        await tb.collect(due, settle=3 * image_words * max(1, tb.in_w // tb.out_w) + 20)
        assert len(tb.out.transfers) == due, (
            f"image {k}: {len(tb.out.transfers)} words out, expected {due} "
            f"({'held: the next image not read yet' if due % per_image else 'all'})")
        held += due % per_image != 0
    tb.check_output(expected)
    tb.log.info("%d images in batches of %d, HOLD=%d: %d image tails held for the next image", images,
                tb.num_reps, hold, held)
