"""A seeded synthetic network with the shapes of a BNN-PYNQ network, for runs without the
trained data.

Weights are random ternary. Thresholds are calibrated layer by layer on seeded random
images: each neuron's pair sits at the 1/3 and 2/3 quantiles of its own accumulator, so all
three activation levels occur in every layer (and the RTL exercises every comparator path).
"""

from __future__ import annotations

import numpy as np

from golden.images import pixel_codes, synthetic_images
from golden.model import apply_layer
from golden.network import Folding, Network
from golden.params import LayerParams, Params
from golden import layers as L


def synthetic_params(seed: int = 1, folding: Folding | None = None, calib_images: int = 48,
                     network: str | Network | None = None) -> Params:
    from golden import networks
    folding = folding or networks.get(network).folding
    rng = np.random.default_rng(seed)
    x = pixel_codes(synthetic_images(calib_images, seed=seed + 1000))
    out: dict[int, LayerParams] = {}
    for spec in folding.network:
        w = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(spec.mh, spec.mw), p=[0.35, 0.3, 0.35])
        if spec.used_outputs is not None:
            w[spec.used_outputs:] = 0  # padding rows of the classifier, as in BNN-PYNQ
        lp = LayerParams(w, None)
        if spec.thresholds:
            xin = x if spec.kind == "conv" else x.reshape(len(x), -1)
            acc = (L.conv(xin, w, spec.kernel) if spec.kind == "conv" else L.fc(xin, w))
            acc = acc.reshape(-1, spec.mh)
            t0 = np.floor(np.quantile(acc, 1 / 3, axis=0)).astype(np.int64)
            t1 = np.maximum(np.floor(np.quantile(acc, 2 / 3, axis=0)).astype(np.int64), t0 + 1)
            if spec.in_bits == 8:   # pixel layer: compares t < 2*sum (fixed point)
                t0, t1 = 2 * t0, 2 * t1
            lp = LayerParams(w, np.stack([t0, t1], axis=1))
        out[spec.index] = lp
        _, x = apply_layer(spec, lp, x)
        if spec.pool_after:
            x = L.maxpool2(x)
    return Params(out, folding, f"synthetic(seed={seed})")
