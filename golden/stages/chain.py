"""The chain of stream stages of a kernel of layers first..last, as the BNN-PYNQ HLS top
(DoCompute) connects them: the memory reader, width converters down to each layer's SIMD
width, a sliding-window generator and an MVAU per conv layer, an MVAU per fc layer, the max
pools, inter-layer stream FIFOs with the HLS depths, and the memory writer. Stream s<k> runs
from stage k to stage k+1 of the chain. hls_out/generate.py renders it as SystemVerilog;
golden/cycles.py, the resource estimate and the monitors read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping

from golden.errors import BnnInputError
from golden.network import Folding, LayerSpec, Network
from golden.platform import platform
from golden.stages.base import Stage
from golden.stages.maxpool import MaxPool
from golden.stages.memory_reader import MemoryReader
from golden.stages.memory_writer import MemoryWriter
from golden.stages.mvau import MVAU
from golden.stages.sliding_window import SlidingWindow
from golden.stages.stream_fifo import StreamFifo
from golden.stages.width_converter import DEFAULT_HLS_SCHEDULE, WidthConverter, check_schedule

WORD_BITS = platform().mem_word_bits   # the memory word the kernels read and write (golden/platform.py)
ROW_FIFO_MAX = 1024                     # the deepest row FIFO of an imported network's kernels


def inter_width(spec: LayerSpec, pe: int, network: Network, word_bits: int = WORD_BITS) -> int:
    """Word width of the stream leaving a layer (and its pool) in the HLS top (BNN-PYNQ's
    top.cpp of each network):
    - a conv layer: one bit per channel, whatever its activation bits (CNV inter1..inter8:
      64, 64, 64, 128, 128, 128, 256, 256-bit words for W1A1, W1A2 and W2A2 alike);
    - an fc layer after conv layers (CNV inter9, inter10): 64 bits;
    - an fc layer of an all-fc network (LFC inter0..inter2, ap_uint<Lx_PE * (API + APF)>): the
      MVAU's own words, PE x activation bits;
    - any layer of an imported network (stream_rule "mvau"): the MVAU's own words too;
    - the last layer (scores, or an LFC's output bits: memOutStrm), or a layer without
      thresholds: the memory word."""
    if not spec.thresholds or spec.index == network.last:
        return word_bits
    if network.stream_rule == "mvau":    # an imported network: the MVAU's own words
        return pe * spec.out_bits
    if spec.kind == "conv":
        return spec.ofm_ch
    if all(s.kind == "fc" for s in network):
        return pe * spec.out_bits
    return 64


def layer_stages(folding: Folding, index: int, hls_timing: bool = True, mac: str = "lut") -> list[Stage]:
    """The stages that compute layer `index`: its sliding window (conv), its MVAU and its
    pool, with no streams assigned (golden/model.py runs these)."""
    net = folding.network
    spec = net.layer(index)
    simd, pe = folding.simd(index), folding.pe(index)
    out: list[Stage] = []
    if spec.kind == "conv":
        out.append(SlidingWindow(name=f"swg_L{index}", layer=index, spec=spec, simd=simd, hls_timing=hls_timing))
    out.append(MVAU(name=f"mvau_L{index}", layer=index, spec=spec, simd=simd, pe=pe, hls_timing=hls_timing,
                    mac=mac))
    if spec.pool_after:
        width = inter_width(spec, pe, net)
        act = spec.out_bits
        if width % act or spec.ofm_ch % (width // act):
            raise BnnInputError(f"{net.name}: the pool after layer {index} gets {width}-bit words, "
                                f"not a whole number of {act}-bit channels dividing {spec.ofm_ch}")
        out.append(MaxPool(name=f"pool_L{index}", layer=index, spec=spec, pe=width // act, hls_timing=hls_timing))
    return out


@dataclass(frozen=True)
class Chain:
    """A kernel's stages from the memory reader to the memory writer, streams assigned."""

    stages: tuple[Stage, ...]

    def __iter__(self):
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    @property
    def inner(self) -> tuple[Stage, ...]:
        """The stages between the memory reader and writer."""
        return self.stages[1:-1]

    def of_kind(self, cls: type) -> list:
        return [s for s in self.stages if isinstance(s, cls)]

    @property
    def fifos(self) -> list[StreamFifo]:
        return self.of_kind(StreamFifo)

    @property
    def mvaus(self) -> list[MVAU]:
        return self.of_kind(MVAU)

    def stream_widths(self) -> list[int]:
        """Width of s0 .. sN."""
        return [s.out_width for s in self.stages[:-1]]


def kernel_chain(folding: Folding, first: int, last: int, *, depths: Mapping[str, int] | None = None,
                 hls_timing: bool = True, word_bits: int = WORD_BITS, label: str | None = None,
                 mac: str = "lut", hls_schedule: str = DEFAULT_HLS_SCHEDULE) -> Chain:
    """The chain of a kernel of layers first..last. `depths` overrides FIFO depths by what
    feeds them ("pixels", "L<i>", "pool<i>"); `mac` is the MVAUs' product variant
    (golden/stages/mvau.py MAC_VARIANTS); `hls_schedule` the HLS tool whose schedule the
    width converters follow (golden/stages/width_converter.py HLS_SCHEDULES); `label` names
    the kernel in errors."""
    check_schedule(hls_schedule)
    net = folding.network
    net.check_range(first, last)
    label = label or f"layers {first}-{last} of {net.name}"
    depths = depths or {}

    def depth(key: str, rows: int = 1) -> int:
        """A FIFO's depth: given (`depths`, the network's HLS top), or for an imported network
        (stream_rule "mvau") one row of the tensor it carries, in its words (ROW_FIFO_MAX at
        most), so that a layer's row never waits on the window generator behind it; else the
        HLS default."""
        if key in depths or key in net.stream_depths:
            return depths.get(key, net.stream_depths.get(key))
        if net.stream_rule == "mvau" and rows > 1:
            return max(net.hls_default_depth, min(ROW_FIFO_MAX, bits // width // rows))
        return net.hls_default_depth

    in_words, out_words = net.words_per_image(first - 1), net.words_per_image(last)
    stages: list[Stage] = [MemoryReader(name="rd", words=in_words, word_bits=word_bits)]
    width = word_bits
    bits = in_words * word_bits    # per image in the current stream

    def convert(to_w: int, tag: str) -> None:
        nonlocal width
        if to_w != width and to_w % width and width % to_w:
            convert(math.lcm(to_w, width), f"{tag}_lcm")    # the converters take whole ratios
        if to_w != width:
            if bits % width or bits % to_w:
                raise BnnInputError(f"kernel {label}: {bits} bits per image do not make whole "
                                    f"{width}- and {to_w}-bit words at {tag}")
            stages.append(WidthConverter(name=f"dwc_{tag}", from_width=width, to_width=to_w, image_bits=bits,
                                         hls_timing=hls_timing, hls_schedule=hls_schedule))
            width = to_w

    def fifo(d: int, tag: str, image_bits: int | None = None) -> None:
        words = (bits if image_bits is None else image_bits) // width
        stages.append(StreamFifo(name=f"fifo_{tag}", width=width, depth=d, image_words=words))

    if first == 0:
        for w in net.input_widths:      # e.g. CNV: 64 -> 192 -> 24 (one RGB pixel per word)
            convert(w, f"in{w}")
        fifo(depth("pixels", net.layer(first).ifm_dim if net.layer(first).kind == "conv" else 1), "pixels")
    for i in range(first, last + 1):
        spec = net.layer(i)
        bits = spec.mw // spec.kernel ** 2 * spec.ifm_dim ** 2 * spec.in_bits   # the tensor entering it
        convert(folding.simd(i) * spec.in_bits, f"L{i}_in")
        for st in layer_stages(folding, i, hls_timing, mac):
            if isinstance(st, MaxPool):
                if st.in_width != width:
                    raise BnnInputError(f"kernel {label}: the pool after layer {i} gets {width}-bit words, "
                                        f"not {st.in_width}")
            stages.append(st)
            width = st.out_width
            if isinstance(st, SlidingWindow):
                # the window generator's output: every input vector of every output pixel
                fifo(net.hls_default_depth, f"L{i}_swg", st.output_bits())
            elif isinstance(st, MVAU):
                bits = spec.ofm_dim ** 2 * spec.mh * spec.out_bits
                convert(inter_width(spec, st.pe, net, word_bits), f"L{i}_out")
                fifo(depth(f"L{i}", spec.ofm_dim), f"L{i}")
            else:
                bits //= 4
                fifo(depth(f"pool{i}", spec.out_dim), f"pool{i}")
    convert(word_bits, "mem")
    stages.append(MemoryWriter(name="wr", words=out_words, word_bits=word_bits))
    # stream s<k> from stage k to stage k+1
    wired = [replace(st, in_stream=f"s{k - 1}" if k else None, out_stream=f"s{k}" if k < len(stages) - 1 else None)
             for k, st in enumerate(stages)]
    return Chain(tuple(wired))
