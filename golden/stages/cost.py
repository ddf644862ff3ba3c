"""The primitives of the resource estimate every stage kind uses (FINN's cost model, our own
arithmetic): how memories map to RAMB18 or LUT RAM on a 7-series part."""

from __future__ import annotations

import math

LUTRAM_MAX_BITS = 2048     # a memory this small stays in LUTs
ACC_BITS = 16              # accumulator width of the thresholded layers


def ramb18_for(depth: int, width: int) -> int:
    """RAMB18 primitives holding `depth` words of `width` bits (best aspect ratio:
    1x16K, 2x8K, 4x4K, 9x2K, 18x1K, 36x512)."""
    for w, d in ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024)):
        if width <= w:
            return math.ceil(depth / d)
        if width <= 36 and w == 18 and depth > 512:
            return math.ceil(depth / d) * math.ceil(width / 18)
    return math.ceil(depth / 512) * math.ceil(width / 36)


def block_ram(depth: int, width: int, copies: int = 1) -> int:
    """RAMB18 of `copies` memories bound to block RAM whatever their size (as HLS binds the
    MVAU weight arrays: ram_style "block")."""
    return copies * ramb18_for(depth, width)


def memory(depth: int, width: int, copies: int = 1) -> tuple[int, int]:
    """(RAMB18, LUT RAM bits) of `copies` memories of `depth` x `width` bits: block RAM
    unless one is small enough for LUTs."""
    if depth * width <= LUTRAM_MAX_BITS:
        return 0, copies * depth * width
    return copies * ramb18_for(depth, width), 0


def input_buffer_lut(words: int, width: int) -> int:
    """LUTs of a completely partitioned buffer of `words` registers of `width` bits read at a
    run-time index (the HLS MVAU's inputBuf): the words-way selection of every bit and the
    write enables. 0.5 LUT per bit plus 0.8 per word, fitted on the nine MVAUs of the
    synthesized cnvW2A2 full kernel (rtl/mvau.sv, HLS_TIMING = 1: 101 to 2004 LUTs each)."""
    return round(0.5 * words * width + 0.8 * words)
