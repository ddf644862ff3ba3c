"""A network of golden/networks/ run layer by layer, with taps of every intermediate tensor.

Tensors are NHWC (conv) or NC (fc), holding each element as the hardware codes it: pixel
codes (int8), signed 2-bit activations (-1, 0, 1), or bits (0/1) for 1-bit activations and
binarized inputs. Tap names: `input` (layer 0's input tensor), `acc<L>` (raw accumulators:
sums, or popcounts for XNOR layers), `conv<L>` / `fc<L>` (thresholded outputs, or the scores
of a last layer without thresholds) and `pool<L>` (after a layer's max pool). A kernel made
of layers first..last runs with `run(params, x, first, last)` where x is the tensor entering
`first`; `network_input(network, images)` turns uint8 images into layer 0's input.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from golden import layers as L
from golden.errors import BnnInputError
from golden.network import LayerSpec, Network, layer
from golden.params import Params
from golden.stages import MVAU, MaxPool, SlidingWindow, layer_stages


def layer_name(spec: LayerSpec) -> str:
    return f"{spec.kind}{spec.index}"


def input_shape(spec: LayerSpec) -> tuple[int, ...]:
    """Per-image shape of the tensor that enters a layer."""
    return spec.in_shape


def _unfolded(spec: LayerSpec) -> tuple[SlidingWindow | None, MVAU, MaxPool | None]:
    """A layer's stage objects for execution alone (the result does not depend on folding)."""
    swg = SlidingWindow(name=f"swg_L{spec.index}", spec=spec, simd=1) if spec.kind == "conv" else None
    pool = MaxPool(name=f"pool_L{spec.index}", spec=spec, pe=1) if spec.pool_after else None
    return swg, MVAU(name=f"mvau_L{spec.index}", spec=spec, simd=1, pe=1), pool


def accumulate(spec: LayerSpec, weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The MVAU's accumulators (float32, exact integers) of a layer on the tensor entering it
    (through its sliding window for a conv layer)."""
    swg, mvau, _ = _unfolded(spec)
    return mvau.accumulate(weights, swg.execute(x) if swg else x)


def activate(spec: LayerSpec, acc: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    """A layer's output from its accumulators: 16-bit scores, or the thresholded codes."""
    return _unfolded(spec)[1].activate(acc, thresholds)


def apply_pool(spec: LayerSpec, x: np.ndarray) -> np.ndarray:
    """The 2x2 max pool after a layer (signed max, or OR of bits)."""
    return L.pool2(x, spec.pool_kind, spec.act_offset)


@dataclass
class Result:
    output: np.ndarray                    # what leaves layer `last` (after its pool)
    taps: dict[str, np.ndarray] = field(default_factory=dict)


def _run_chunk(params: Params, stages: list, x: np.ndarray,
               taps: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    tapped: dict[str, np.ndarray] | None = {"input": x} if taps else None
    cur = x
    for st in stages:
        cur = st.execute(cur, params[st.layer], tapped)
    return cur, tapped or {}


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
    # the stages that compute (window generators, MVAUs, pools) in order; the others only move words
    stages = [st for spec in specs for st in layer_stages(params.folding, spec.index) if st.computes]
    starts = range(0, len(x), chunk)
    workers = workers or os.cpu_count() or 1
    with threadpool_limits(limits=1, user_api="blas"):
        if workers > 1 and len(starts) > 1:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(lambda s: _run_chunk(params, stages, x[s:s + chunk], taps), starts))
        else:
            parts = [_run_chunk(params, stages, x[s:s + chunk], taps) for s in starts]
    tapped = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]} if taps else {}
    return Result(np.concatenate([p[0] for p in parts]), tapped)


def network_input(network: Network, images: np.ndarray) -> np.ndarray:
    """uint8 images as the network's host reads them -> the tensor entering layer 0."""
    from golden.images import input_tensor

    return input_tensor(network, images)


def classify(params: Params, images: np.ndarray, workers: int | None = None) -> np.ndarray:
    """uint8 images (N, *image_shape) -> the last layer's output (N, outputs): int16 scores,
    or the output bits of a network whose last layer is thresholded (LFC)."""
    return run(params, network_input(params.network, images), workers=workers).output


def predict_classes(network: Network, output: np.ndarray) -> np.ndarray:
    """The class the host predicts from each image's last-layer output (its rule for the
    network's output format)."""
    from golden.images import predict

    return predict(output, network.classes, network.output_format)


def split_activations(params: Params, images: np.ndarray, cut: int | None = None) -> np.ndarray:
    """Tensor leaving layer `cut` (default: the network's natural cut) and its pool,
    flattened per image (N, elements)."""
    cut = params.network.natural_cut if cut is None else cut
    out = run(params, network_input(params.network, images), 0, cut).output
    return out.reshape(len(out), -1)
