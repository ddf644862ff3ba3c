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


def cycles_table(folding: Folding, clock_hz: float | None = None) -> str:
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
