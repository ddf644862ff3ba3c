"""A seeded synthetic network with the shapes and number formats of a BNN-PYNQ network, for
runs without the trained data.

Weights are random: ternary {-1, 0, +1} for 2-bit weights, +-1 for 1-bit (binary or XNOR)
ones. Thresholds are calibrated layer by layer on seeded random images of the network's
input kind: each neuron's thresholds sit at quantiles of its own accumulator (1/3 and 2/3 for
two thresholds, the median for one), so every activation level occurs in every layer (and
the RTL exercises every comparator path). Padding rows of a classifier are as in BNN-PYNQ's
files: all-zero ternary or all-(+1) binary weights, and threshold 32767 (never set) when the
last layer is thresholded.
"""

from __future__ import annotations

import numpy as np

from golden.images import input_tensor, network_images
from golden.model import accumulate, activate, apply_pool
from golden.network import Folding, LayerSpec, Network
from golden.params import LayerParams, Params

NEVER = 32767   # an int16 threshold no 16-bit accumulator exceeds


def _weights(spec: LayerSpec, rng: np.random.Generator) -> np.ndarray:
    if spec.weight_bits == 2:
        w = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(spec.mh, spec.mw), p=[0.35, 0.3, 0.35])
    else:
        w = rng.choice(np.array([-1, 1], dtype=np.int8), size=(spec.mh, spec.mw))
    if spec.used_outputs is not None:
        w[spec.used_outputs:] = 0 if spec.weight_bits == 2 else 1  # padding rows, as in BNN-PYNQ
    return w


def _thresholds(spec: LayerSpec, acc: np.ndarray) -> np.ndarray:
    """(MH, T) thresholds at quantiles of each neuron's accumulators (acc: (samples, MH))."""
    n = spec.num_thresholds
    qs = [(k + 1) / (n + 1) for k in range(n)]
    cols = []
    for q in qs:
        t = np.floor(np.quantile(acc, q, axis=0)).astype(np.int64)
        if cols:
            t = np.maximum(t, cols[-1] + 1)   # strictly increasing thresholds
        cols.append(t)
    t = np.stack(cols, axis=1)
    if spec.in_bits == 8:   # pixel layer: compares t < 2*sum (fixed point)
        t = 2 * t
    if spec.used_outputs is not None:
        t[spec.used_outputs:] = NEVER
    return t


def synthetic_params(seed: int = 1, folding: Folding | None = None, calib_images: int = 48,
                     network: str | Network | None = None) -> Params:
    from golden import networks
    folding = folding or networks.get(network).folding
    net = folding.network
    rng = np.random.default_rng(seed)
    x = input_tensor(net, network_images(net, calib_images, seed=seed + 1000))
    out: dict[int, LayerParams] = {}
    for spec in net:
        w = _weights(spec, rng)
        acc = accumulate(spec, w, x)
        t = _thresholds(spec, acc.reshape(-1, spec.mh)) if spec.thresholds else None
        out[spec.index] = LayerParams(w, t)
        x = activate(spec, acc, t)
        if spec.pool_after:
            x = apply_pool(spec, x)
    return Params(out, folding, f"synthetic(seed={seed})")
