"""Analytic cycle model of the folded dataflow kernels.

Each stage kind states its cycles per image (golden/stages: an MVAU spends
OFM_dim^2 x (K^2*IFM_ch / SIMD) x (OFM_ch / PE), one SIMD x PE step per cycle; a window
generator or pool one cycle per word it moves). A layer takes as long as its slowest stage.
A kernel made of layers first..last is a dataflow pipeline: its steady-state initiation
interval over a batch is its slowest layer; a single image cannot take less than that nor
more than the sum of all layers (no overlap at all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from golden.errors import BnnInputError
from golden.network import Folding
from golden.platform import platform
from golden.stages import layer_stages


def check_clock_hz(clock_hz, what: str = "clock_hz", unit: str = "Hz") -> float:
    """A clock frequency: a finite number > 0 (in `unit`), or a clear error naming `what`."""
    if isinstance(clock_hz, bool) or not isinstance(clock_hz, (int, float)) \
            or not math.isfinite(clock_hz) or clock_hz <= 0:
        raise BnnInputError(f"{what}: expected a finite clock frequency > 0 {unit}, got {clock_hz!r}")
    return float(clock_hz)


def parse_batch_sizes(text: str, flag: str = "--reps") -> list[int]:
    """Batch sizes (numReps) given as "1,2,4,8": sorted, each once, each >= 1."""
    try:
        reps = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        reps = []
    if not reps or reps[0] < 1:
        raise BnnInputError(f"{flag} {text}: expected batch sizes >= 1 separated by commas, e.g. 1,2,4,8")
    return reps


def layer_cycles(index: int, folding: Folding) -> int:
    """Cycles per image of a layer: its slowest stage (the MVAU, in every BNN-PYNQ layer)."""
    return max(st.cycles() for st in layer_stages(folding, index))


@dataclass(frozen=True)
class KernelCycles:
    first: int
    last: int
    per_layer: dict[int, int]

    @property
    def total(self) -> int:
        """Sum over layers: the single-image latency with no overlap between layers."""
        return sum(self.per_layer.values())

    @property
    def ii(self) -> int:
        """Steady-state initiation interval over a batch: the slowest layer."""
        return max(self.per_layer.values())

    @property
    def bottleneck(self) -> int:
        return max(self.per_layer, key=self.per_layer.__getitem__)

    def images_per_second(self, clock_hz: float) -> float:
        return check_clock_hz(clock_hz) / self.ii


def kernel_cycles(first: int, last: int, folding: Folding) -> KernelCycles:
    folding.network.check_range(first, last)
    return KernelCycles(first, last, {i: layer_cycles(i, folding) for i in range(first, last + 1)})


def cycles_table(folding: Folding, clock_hz: float | None = None, reps: list[int] | None = None,
                 hls_schedule: str | None = None) -> str:
    net = folding.network
    clock_hz = platform().clock_hz if clock_hz is None else check_clock_hz(clock_hz)
    rows = [f"{'layer':>5} {'kind':>4} {'SIMD':>4} {'PE':>3} {'SF':>5} {'NF':>4} {'OFM^2':>5} "
            f"{'cycles':>8} {'us@' + format(clock_hz / 1e6, 'g') + 'MHz':>11}"]
    for spec in folding.network:
        i = spec.index
        c = layer_cycles(i, folding)
        rows.append(f"{i:>5} {spec.kind:>4} {folding.simd(i):>4} {folding.pe(i):>3} {folding.sf(i):>5} "
                    f"{folding.nf(i):>4} {spec.ofm_dim ** 2:>5} {c:>8} {c / clock_hz * 1e6:>11.2f}")
    rows.append("")
    for name, (a, b) in net.natural_ranges().items():
        k = kernel_cycles(a, b, folding)
        rows.append(f"{name:<13} layers {a}-{b}: sum {k.total} cycles, bottleneck layer {k.bottleneck} "
                    f"= II {k.ii} cycles ({k.images_per_second(clock_hz):.1f} img/s batched)")
    if reps:
        rows += ["", f"batch cycles (batch_cycles: every batch-long HLS loop drains after the batch's last "
                     f"image; HLS schedule {hls_schedule or 'default'}):",
                 f"{'kernel':<13} " + " ".join(f"{'n=' + str(n):>11}" for n in reps)]
        for name, (a, b) in net.natural_ranges().items():
            rows.append(f"{name:<13} " + " ".join(f"{batch_cycles(a, b, folding, n, hls_schedule):>11}"
                                                  for n in reps))
    return "\n".join(rows)


def pipeline_latency(first: int, last: int, folding: Folding, lookahead_rows: int = 1) -> int:
    """Single-image latency (cycles) of a dataflow kernel of layers first..last, row by row.

    A conv layer emits output row j once its input rows up to j + K - 1 + `lookahead_rows`
    have arrived (the HLS sliding-window generator reads one row ahead of what it writes:
    lookahead 1; a decoupled one: 0) and its previous row is done, each row taking
    cycles / OFM_dim; a 2x2 pool passes on every second row. A fully connected layer reads its
    input vector during its first neuron fold while the layer before produces it, then runs
    the other NF - 1 folds: it ends NF-1 folds after its input is complete, and at least NF
    folds after the input starts. The input of the first layer arrives from memory at one
    64-bit word per cycle. Reproduces the RTL kernels' measured latencies within 2%
    (tests/test_golden_analysis.py).
    """
    net = folding.network
    net.check_range(first, last)
    spec0 = net.layer(first)
    if spec0.kind == "conv":
        words_per_row = spec0.ifm_dim * spec0.ifm_ch * spec0.in_bits / 64
        arrive = [r * words_per_row for r in range(1, spec0.ifm_dim + 1)]
    else:
        arrive = [float(net.words_per_image(first - 1))]
    done = 0.0
    for i in range(first, last + 1):
        spec = net.layer(i)
        if spec.kind == "conv":
            per_row = layer_cycles(i, folding) / spec.ofm_dim
            rows, t = [], 0.0
            for j in range(spec.ofm_dim):
                t = max(t, arrive[min(j + spec.kernel - 1 + lookahead_rows, len(arrive) - 1)]) + per_row
                rows.append(t)
            if spec.pool_after:
                rows = [rows[2 * p + 1] for p in range(len(rows) // 2)]
            arrive, done = rows, rows[-1]
        else:
            sf, nf = folding.sf(i), folding.nf(i)
            done = max(arrive[-1] + (nf - 1) * sf, arrive[0] + nf * sf)
            arrive = [done]
    return round(done)


def folds_per_word(i: int, folding: Folding) -> int:
    """Neuron folds of layer i's MVAU that make one word of the stream leaving it (its output
    width converter gathers PE x bits per fold into the HLS top's stream word)."""
    from golden.stages.chain import inter_width

    net = folding.network
    spec, nf, pe = net.layer(i), folding.nf(i), folding.pe(i)
    obits = spec.act_bits if spec.thresholds else spec.score_bits
    return max(1, min(nf, inter_width(spec, pe, net) // (pe * obits)))


def batch_output_times(first: int, last: int, folding: Folding, reps: int, lookahead_rows: int = 1,
                       hls_schedule: str | None = None) -> list[float]:
    """When each image of a batch of `reps` leaves a kernel of layers first..last (cycles from
    the start; the last one is the batch's cycles), row by row as :func:`pipeline_latency`,
    with the rule of the HLS exports that every batch-long loop drains only at the end of the
    batch: the tail of image k leaves a stage only when the stage takes in the head of image
    k+1 (k < reps - 1), measured on the cnvW1A1 Vitis 2023.2 export and modelled in rtl/
    (mvau.sv, sliding_window.sv, width_converter.sv):

    - conv layer (window generator + MVAU, one loop over the batch): the rows of image k as
      in :func:`pipeline_latency`, the layer's clock carried over from image k-1; the last
      output row of image k is released only when the layer takes image k+1's first window
      (its input rows up to K - 1 + lookahead); a 2x2 pool passes every second row;
    - fc layer (input per image: first word a0, last word a1): a splitting input width
      converter that holds (golden/stages/width_converter.py: the 2018.2 schedule) keeps
      image k's last piece until image k+1's first word, a1_k = max(a1_k, a0_{k+1}); the
      MVAU starts image k after image k-1 and its first word, its first fold ends at
      max(a1_k, start + SF), the other NF - 1 folds follow; its output's first word leaves
      with the first complete output word (G folds per stream word), its last word with the
      MVAU's last result, held until image k+1's first input word (k < reps - 1). Gathering
      converters hold nothing.

    The memory reader delivers one word per cycle as far ahead as needed (never the
    bottleneck). Not modelled: FIFO depths that stop a producer (the LFCs' inter-layer FIFOs
    of 512/PE words set their batch interval above the slowest layer), the memory writer."""
    from golden.stages.chain import inter_width, kernel_chain
    from golden.stages.width_converter import DEFAULT_HLS_SCHEDULE, WidthConverter

    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise BnnInputError(f"batch of {reps!r} images: expected a whole number >= 1")
    net = folding.network
    net.check_range(first, last)
    chain = kernel_chain(folding, first, last, hls_schedule=hls_schedule or DEFAULT_HLS_SCHEDULE)
    split_hold = {st.name for st in chain.of_kind(WidthConverter) if st.hold}
    n = reps
    spec0 = net.layer(first)
    rows_in: list[list[float]] | None = None     # per image: arrival of each input row (conv)
    words_in: list[tuple[float, float]] | None = None   # per image: (first word, last word) (fc)
    if spec0.kind == "conv":
        wpr = spec0.ifm_dim * spec0.ifm_ch * spec0.in_bits / platform().mem_word_bits
        wpi = wpr * spec0.ifm_dim
        rows_in = [[k * wpi + r * wpr for r in range(1, spec0.ifm_dim + 1)] for k in range(n)]
    else:
        w = net.words_per_image(first - 1)
        words_in = [(k * w + 1.0, (k + 1) * w * 1.0) for k in range(n)]
    for i in range(first, last + 1):
        spec = net.layer(i)
        if spec.kind == "conv":
            assert rows_in is not None
            per_row = layer_cycles(i, folding) / spec.ofm_dim
            need = [min(j + spec.kernel - 1 + lookahead_rows, len(rows_in[0]) - 1) for j in range(spec.ofm_dim)]
            out, t = [], 0.0
            for k in range(n):
                rows = []
                for j in range(spec.ofm_dim):
                    t = max(t, rows_in[k][need[j]]) + per_row
                    rows.append(t)
                out.append(rows)
            # An fc layer after it reads the output as one vector of stream words: the first is
            # complete G output folds into the first (pooled) row, G the folds per stream word;
            # unless that word is the image's last result, which the tail rule below holds.
            sf_c, nf_c, g_c = folding.sf(i), folding.nf(i), folds_per_word(i, folding)
            row0 = 1 if spec.pool_after else 0
            first_word = [r[row0] - per_row + g_c * sf_c for r in out]
            for k in range(n - 1):      # the tail waits for the layer to take image k+1's first window
                out[k][-1] = max(out[k][-1], rows_in[k + 1][need[0]])
            if len(out[0]) == 1 + row0 and g_c == nf_c:
                first_word = [r[-1] for r in out]
            if spec.pool_after:
                out = [[r[2 * p + 1] for p in range(len(r) // 2)] for r in out]
            rows_in, words_in = out, [(min(w, r[-1]), r[-1]) for w, r in zip(first_word, out)]
        else:           # the fc layers close every kernel: one word-level model for all of them
            assert words_in is not None     # (after a conv layer: its first stream word, its last row)
            if rows_in is not None:
                prev = net.layer(i - 1)
                w = max(1, math.ceil(prev.out_dim ** 2 * prev.ofm_ch * prev.act_bits
                                     / inter_width(prev, folding.pe(i - 1), net)))
            else:
                w = net.words_per_image(first - 1)
            arrive = [[a0 + (a1 - a0) * j / max(1, w - 1) for j in range(w)] for a0, a1 in words_in]
            return _fc_segment(folding, chain, split_hold, i, last, arrive, n)
    if rows_in is not None:
        return [r[-1] for r in rows_in]
    assert words_in is not None
    return [b for _, b in words_in]


def _fc_segment(folding: Folding, chain, split_hold: set[str], first: int, last: int,
                arrive: list[list[float]], n: int) -> list[float]:
    """When each image's last output word leaves fc layers first..last, word by word. `arrive`:
    per image, when each stream word reaches layer `first`'s input.

    Per layer and image (an MVAU's one loop over the batch, one SIMD x PE step per cycle): its
    first neuron fold reads the SF input pieces, one per cycle, each once its stream word is
    there (a splitting converter cuts a word into pieces, one per cycle; one that holds keeps a
    word's last piece until the next word, image k+1's first for the last, is there; a gathering
    one waits for a piece's last word); the other folds follow, SF cycles each; every G folds
    make one output word, written into the FIFO after the layer (its depth D from the chain,
    plus the MVAU's own output slot), which stalls the MVAU until the consumer has taken the
    word D places before it; a word reaches the consumer the MVAU's pipeline depth after its
    fold ends (golden/stages/mvau.py: PIPELINE_CYCLES, OUTPUT_SLOTS, from rtl/mvau.sv). The last
    word of image k leaves only when the layer reads image k+1's first piece. Every event
    (a read, a write) depends only on events before it in time, so the layers advance in turn,
    each as far as what it waits for is known: every event is computed once."""
    from golden.stages.mvau import OUTPUT_SLOTS, PIPELINE_CYCLES
    from golden.stages.stream_fifo import StreamFifo

    depth = {st.name: st.depth for st in chain.of_kind(StreamFifo)}
    layers = list(range(first, last + 1))

    class Layer:
        def __init__(self, i: int, w_in: int) -> None:
            self.i, self.sf, self.nf = i, folding.sf(i), folding.nf(i)
            self.g = folds_per_word(i, folding)
            self.w_out = math.ceil(self.nf / self.g)
            self.w_in = w_in
            self.hold = f"dwc_L{i}_in" in split_hold
            d = depth.get(f"fifo_L{i}")
            self.depth = None if d is None or i == last else d + OUTPUT_SLOTS
            self.k, self.p, self.m, self.t, self.fold0, self.stall = 0, 0, 0, -1.0, 0.0, 0.0
            self.gw, self.gt, self.gfree = 0, -1.0, 0.0   # a gathering converter: next word, last take
            self.writes: list[float] = []       # each output word into the FIFO
            self.takes: list[float] = []        # when each input word was taken
            self.first_read: list[float] = []   # per image

    chain_l: list[Layer] = []
    w = len(arrive[0])
    for i in layers:
        chain_l.append(Layer(i, w))
        w = chain_l[-1].w_out

    def visible(j: int, idx: int) -> float | None:
        """When output word idx of chain_l[j] reaches the next layer (None: not known yet)."""
        lay = chain_l[j]
        if idx >= len(lay.writes):
            return None
        u = lay.writes[idx]
        k, m = divmod(idx, lay.w_out)
        if m == lay.w_out - 1 and k < n - 1:       # held until the next image's first read
            if k + 1 >= len(lay.first_read):
                return None
            u = max(u, lay.first_read[k + 1])
        return u + PIPELINE_CYCLES

    def word_at(j: int, k: int, wd: int) -> float | None:
        return arrive[k][wd] if j == 0 else visible(j - 1, k * chain_l[j].w_in + wd)

    def advance(j: int) -> bool:
        lay, moved = chain_l[j], False
        while lay.k < n:
            k, sf, w_in = lay.k, lay.sf, lay.w_in
            if lay.p < sf:                      # first fold: read piece p
                p = lay.p
                if sf >= w_in:                  # split (or 1:1): piece p is part of word p * w_in // sf
                    wd = p * w_in // sf
                    a = word_at(j, k, wd)
                    if a is None:
                        return moved
                    avail = a + p - -(-wd * sf // w_in)
                    if lay.hold and (p == sf - 1 or (p + 1) * w_in // sf > wd):    # a word's last piece
                        nk, nw = (k, wd + 1) if wd + 1 < w_in else (k + 1, 0)
                        if nk < n:
                            b = word_at(j, nk, nw)
                            if b is None:
                                return moved
                            avail = max(avail, b)
                else:                           # gather: piece p needs its last word
                    # the converter takes each word as it comes (one per cycle) once it has
                    # passed the previous piece on, so the FIFO before it drains meanwhile
                    wd = (p + 1) * w_in // sf - 1
                    while lay.gw <= wd:
                        a = word_at(j, k, lay.gw)
                        if a is None:
                            return moved
                        lay.gt = max(lay.gt + 1, a, lay.gfree)
                        lay.takes.append(lay.gt)
                        lay.gw += 1
                        moved = True
                    avail = lay.gt + 1
                lay.t = max(lay.t + 1, avail)
                lay.gfree = lay.t
                while len(lay.takes) < k * w_in + wd + 1:
                    lay.takes.append(lay.t - 1)
                if p == 0:
                    lay.first_read.append(lay.t)
                lay.p += 1
                if lay.p == sf:
                    lay.fold0, lay.stall, lay.m = lay.t + 1, 0.0, 0
                moved = True
                continue
            if lay.m < lay.w_out:               # the other folds: write output word m
                m = lay.m
                u = lay.fold0 + (min(lay.nf, (m + 1) * lay.g) - 1) * sf + lay.stall
                idx = k * lay.w_out + m
                if lay.depth is not None and idx >= lay.depth:
                    nxt = chain_l[j + 1]
                    if idx - lay.depth >= len(nxt.takes):
                        return moved
                    u2 = max(u, nxt.takes[idx - lay.depth])
                    lay.stall += u2 - u
                    u = u2
                lay.writes.append(u)
                lay.m += 1
                moved = True
                continue
            lay.t, lay.k, lay.p, lay.gw = lay.writes[-1] - 1, k + 1, 0, 0    # the next image after this one
        return moved

    while any(lay.k < n for lay in chain_l):
        if not any([advance(j) for j in range(len(chain_l))]):
            raise RuntimeError("batch model: the fc layers wait on each other (a FIFO of depth 0?)")
    lay = chain_l[-1]
    return [visible(len(chain_l) - 1, (k + 1) * lay.w_out - 1) for k in range(n)]


def batch_cycles(first: int, last: int, folding: Folding, reps: int, hls_schedule: str | None = None) -> int:
    """Cycles of a batch of `reps` images through a kernel of layers first..last: the last
    image's output time of :func:`batch_output_times` (reps = 1: the single-image latency)."""
    return round(batch_output_times(first, last, folding, reps, hls_schedule=hls_schedule)[-1])
