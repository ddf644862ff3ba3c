"""Golden-model benchmark (`make bench`): images per second on the shared test images, next to
a plain float32 NumPy im2col reference of the same layer shapes measured in the same run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from golden import data
from golden.images import pixel_codes, read_cifar, synthetic_images
from golden.model import classify
from golden.params import load_params
from golden.synthetic import synthetic_params

TARGET_IMG_S = 500


def reference_float32(images: np.ndarray, params) -> np.ndarray:
    """Textbook float32 CNN forward pass (strided-view im2col per layer, one batched matmul,
    sign-free thresholds skipped): the yardstick the golden model's speed is compared with."""
    x = pixel_codes(images).astype(np.float32)
    for spec in params.network:
        w = params[spec.index].weights.astype(np.float32)
        if spec.kind == "conv":
            win = np.lib.stride_tricks.sliding_window_view(x, (spec.kernel, spec.kernel), axis=(1, 2))
            n, ho, wo, c = win.shape[:4]
            cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n, ho, wo, spec.kernel ** 2 * c)
            x = np.sign(cols @ w.T)
            if spec.pool_after:
                x = x.reshape(n, ho // 2, 2, wo // 2, 2, -1).max(axis=(2, 4))
        else:
            x = np.sign(x.reshape(len(x), -1) @ w.T)
    return x


def _best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure(repeats: int = 3) -> dict:
    """Golden-model images per second on the 932 shared test images (synthetic stand-ins
    without BNNSPLIT_DATA), best of `repeats`, and the float32 reference in the same run."""
    cifar, pdir = data.cifar_file(), data.params_dir()
    if cifar and pdir:
        images, _ = read_cifar(cifar)
        params = load_params(pdir)
        source = f"{len(images)} CIFAR-10 test images, trained {params.network.name}"
    else:
        images, params = synthetic_images(932, seed=2), synthetic_params(1)
        source = "932 synthetic images, synthetic net (BNNSPLIT_DATA not set)"
    n = len(images)
    t_golden = _best_of(lambda: classify(params, images), repeats)
    t_ref = _best_of(lambda: reference_float32(images, params), max(1, repeats - 1))
    return {
        "machine": {"cores": os.cpu_count()},
        "source": source,
        "images": n,
        "golden_img_s": n / t_golden,
        "reference_float32_img_s": n / t_ref,
        "golden_over_reference": t_ref / t_golden,
        "target_img_s": TARGET_IMG_S,
        "target_met": n / t_golden >= TARGET_IMG_S,
    }


def print_result(res: dict) -> None:
    print(f"golden model on {res['source']} ({res['machine']['cores']} cores)")
    print(f"  golden (bit-exact)        {res['golden_img_s']:8.1f} img/s   target >= {TARGET_IMG_S}: "
          f"{'met' if res['golden_img_s'] >= TARGET_IMG_S else 'NOT met'}")
    print(f"  float32 im2col reference  {res['reference_float32_img_s']:8.1f} img/s")
    print(f"  ratio golden / reference  {res['golden_over_reference']:8.2f}x")


def main() -> int:
    res = measure()
    print_result(res)
    out = Path("build/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "golden.json").write_text(json.dumps(res, indent=2))
    print(f"  written: {out / 'golden.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
