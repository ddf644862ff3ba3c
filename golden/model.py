"""A network of golden/networks/ run layer by layer, with taps of every intermediate tensor.

Tensors are NHWC (conv) or NC (fc). Tap names: `input` (pixel codes), `acc<L>` (raw
accumulators), `conv<L>` / `fc<L>` (thresholded outputs, or the scores of a last layer
without thresholds) and `pool<L>` (after a layer's max pool). A kernel made of layers
first..last runs with `run(params, x, first, last)` where x is the tensor entering `first`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from golden import layers as L
from golden.errors import BnnInputError
from golden.network import LayerSpec, layer
from golden.params import LayerParams, Params


def layer_name(spec: LayerSpec) -> str:
    return f"{spec.kind}{spec.index}"


def input_shape(spec: LayerSpec) -> tuple[int, ...]:
    """Per-image shape of the tensor that enters a layer."""
    if spec.kind == "conv":
        return (spec.ifm_dim, spec.ifm_dim, spec.ifm_ch)
    return (spec.ifm_ch,)


def apply_layer(spec: LayerSpec, lp: LayerParams, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One MVAU layer (conv or fc) with its activation; returns (accumulators, output)."""
    if spec.kind == "conv":
        acc = L.conv(x, lp.weights, spec.kernel)
    else:
        acc = L.fc(x.reshape(len(x), -1), lp.weights)
    if not spec.thresholds:
        return acc, L.wrap16(acc)  # scores: unsigned 16-bit wrap, read back as signed
    if spec.in_bits == 8:
        return acc, L.threshold_fixed(acc, lp.thresholds)
    return acc, L.threshold_int16(acc, lp.thresholds, max_abs=spec.mw)


@dataclass
class Result:
    output: np.ndarray                    # what leaves layer `last` (after its pool)
    taps: dict[str, np.ndarray] = field(default_factory=dict)


def _run_chunk(params: Params, specs: list[LayerSpec], x: np.ndarray,
               taps: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    tapped: dict[str, np.ndarray] = {"input": x} if taps else {}
    cur = x
    for spec in specs:
        acc, cur = apply_layer(spec, params[spec.index], cur)
        if taps:
            tapped[f"acc{spec.index}"] = acc.astype(np.int32)
            tapped[layer_name(spec)] = cur
        if spec.pool_after:
            cur = L.maxpool2(cur)
            if taps:
                tapped[f"pool{spec.index}"] = cur
    return cur, tapped


def run(params: Params, x: np.ndarray, first: int = 0, last: int | None = None, taps: bool = False,
        chunk: int = 8, workers: int | None = None) -> Result:
    """Run layers first..last (default: to the network's last) on x (pixel codes when first = 0).

    Images go through in chunks of `chunk` on `workers` threads (default: one per core),
    each with a single-threaded BLAS: small GEMMs in parallel beat one threaded GEMM here.
    """
    network = params.network
    last = network.last if last is None else last
    specs = [layer(i, network) for i in range(first, last + 1)]
    if not specs:
        raise BnnInputError(f"empty layer range {first}..{last}")
    x = np.asarray(x)
    shape = input_shape(specs[0])
    if x.ndim < 2 or (x.shape[1:] != shape and x.reshape(len(x), -1).shape[1:] != (int(np.prod(shape)),)):
        raise BnnInputError(
            f"input to layer {first}: expected shape (N, {', '.join(map(str, shape))}), got {x.shape}")
    x = x.reshape(len(x), *shape)
    starts = range(0, len(x), chunk)
    workers = workers or os.cpu_count() or 1
    with threadpool_limits(limits=1, user_api="blas"):
        if workers > 1 and len(starts) > 1:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(lambda s: _run_chunk(params, specs, x[s:s + chunk], taps), starts))
        else:
            parts = [_run_chunk(params, specs, x[s:s + chunk], taps) for s in starts]
    tapped = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]} if taps else {}
    return Result(np.concatenate([p[0] for p in parts]), tapped)


def classify(params: Params, images: np.ndarray, workers: int | None = None) -> np.ndarray:
    """uint8 images (N, H, W, C) -> the last layer's int16 scores (N, outputs)."""
    from golden.images import pixel_codes

    return run(params, pixel_codes(images), workers=workers).output


def split_activations(params: Params, images: np.ndarray, cut: int | None = None) -> np.ndarray:
    """Tensor leaving layer `cut` (default: the network's natural cut) and its pool,
    flattened per image (N, elements)."""
    from golden.images import pixel_codes

    cut = params.network.natural_cut if cut is None else cut

    out = run(params, pixel_codes(images), 0, cut).output
    return out.reshape(len(out), -1)
