"""Choosing SIMD and PE per layer for a throughput target, the rule of FINN's SetFolding.

A layer takes OFM_dim^2 x (MW/SIMD) x (MH/PE) cycles per image. For a target of N images per
second at clock f, every layer must take at most f/N cycles; each layer gets the smallest
folding that meets it, raising SIMD first (through the divisors of MW, or of the input
channels for a conv layer, whose window generator moves SIMD channels per word) and then PE
(divisors of MH), as SetFolding does. A layer that cannot meet the target at its widest
folding keeps that folding and is reported. SIMD x weight bits stays within one 64-bit
weight word (the .bin format).

Without a target, imported networks are folded so that their heaviest layer does
DEFAULT_MACS_PER_CYCLE multiply-accumulates per cycle and every other layer is folded to
keep up with it.
"""

from __future__ import annotations

import math
from functools import lru_cache

from golden.errors import BnnInputError
from golden.network import LayerSpec

DEFAULT_MACS_PER_CYCLE = 64


@lru_cache(maxsize=None)
def _divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def layer_cycles(spec: LayerSpec, simd: int, pe: int) -> int:
    """Cycles per image of a layer's MVAU at this SIMD / PE (golden/stages/mvau.py says how)."""
    from golden.stages.mvau import MVAU
    return MVAU(name="fold", spec=spec, simd=simd, pe=pe).cycles()


@lru_cache(maxsize=None)
def simd_choices(spec: LayerSpec) -> tuple[int, ...]:
    base = spec.ifm_ch if spec.kind == "conv" else spec.mw
    return tuple(d for d in _divisors(base) if spec.mw % d == 0 and d * spec.weight_bits <= 64)


@lru_cache(maxsize=65536)
def fold_layer(spec: LayerSpec, target_cycles: float) -> tuple[int, int]:
    """The smallest (SIMD, PE) whose cycles meet the target (the widest if none does)."""
    simds, pes = simd_choices(spec), _divisors(spec.mh)
    for simd in simds:
        if layer_cycles(spec, simd, 1) <= target_cycles:
            return simd, 1
    simd = simds[-1]
    for pe in pes:
        if layer_cycles(spec, simd, pe) <= target_cycles:
            return simd, pe
    return simd, pes[-1]


def target_cycles(layers, img_s: float | None, clock_hz: float) -> float:
    if img_s is None:
        heaviest = max(s.ofm_dim ** 2 * s.mw * s.mh for s in layers)
        return heaviest / DEFAULT_MACS_PER_CYCLE
    if not img_s > 0:
        raise BnnInputError(f"--target-img-s {img_s}: expected a positive number of images per second")
    return clock_hz / img_s


def fold_for_target(layers, img_s: float | None, clock_hz: float | None = None) -> tuple[tuple[int, int], ...]:
    """(SIMD, PE) per layer: the smallest folding whose slowest layer meets `img_s` images per
    second at `clock_hz` (default: the platform's clock); None: the default rule above."""
    if clock_hz is None:
        from golden.platform import platform
        clock_hz = platform().clock_hz
    goal = target_cycles(layers, img_s, clock_hz)
    return tuple(fold_layer(s, goal) for s in layers)


def unmet(layers, folding, img_s: float, clock_hz: float) -> list[str]:
    """The layers that cannot reach the target even at their widest folding."""
    goal = clock_hz / img_s
    return [f"layer {s.index}: {layer_cycles(s, *f)} cycles > {goal:.0f}"
            for s, f in zip(layers, folding) if layer_cycles(s, *f) > goal]


def stages_folding(network, stages) -> "Folding":
    """The network's folding with each stage's layers refolded for its own target: `stages`
    holds (first, last, img_s), img_s 0 or None keeping the network's folding of those layers
    (a plan stage `FIRST-LASTxR@N`, netsim/plan.py). Layers of no stage keep theirs too."""
    from golden.network import Folding, LayerFold
    folds = list(network.default_folding)
    for first, last, img_s in stages:
        if img_s:
            layers = [network.layer(i) for i in range(first, last + 1)]
            folds[first:last + 1] = fold_for_target(layers, img_s)
    return Folding(tuple(LayerFold(s, p) for s, p in folds), network)


def refolded(folding, first: int, last: int) -> bool:
    """Whether layers first..last have another SIMD / PE in `folding` than in their network's
    own folding (a plan stage's @N): measurements and synthesis of the network's kernels do
    not hold for them."""
    own = folding.network.folding
    return any(folding[i] != own[i] for i in range(first, last + 1))
