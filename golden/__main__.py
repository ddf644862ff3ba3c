"""Command line of the golden model: `python -m golden classify|splits|cycles`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError


def _network(args):
    from golden import networks

    return networks.get(getattr(args, "network", None))


def _folding(args):
    from golden.network import Folding

    net = _network(args)
    return Folding.load(args.folding, net) if args.folding else net.folding


def _load_params(args):
    from golden.params import load_params
    from golden.synthetic import synthetic_params

    folding = _folding(args)
    if args.params:
        return load_params(args.params, folding)
    return synthetic_params(args.seed, folding)


def _load_images(args):
    from golden.images import read_cifar, read_image_file, synthetic_images

    if args.cifar:
        return read_cifar(args.cifar, args.limit)
    if args.image:
        return read_image_file(args.image), None
    return synthetic_images(args.limit or 100, seed=args.seed + 1), None


def cmd_classify(args) -> int:
    from golden.images import predict
    from golden.words import tensor_words
    from golden.model import classify, split_activations

    params = _load_params(args)
    images, labels = _load_images(args)
    t = time.perf_counter()
    scores = classify(params, images)
    dt = time.perf_counter() - t
    pred = predict(scores, params.network.classes)
    print(f"network: {params.source}")
    print(f"images: {len(images)}")
    if labels is not None:
        ok = int((pred == labels).sum())
        print(f"accuracy: {ok}/{len(images)} = {100.0 * ok / len(images):.2f}%")
    else:
        print("accuracy: n/a (no labels)")
        print("predicted classes: " + " ".join(str(int(c)) for c in np.bincount(pred, minlength=params.network.classes)))
    print(f"images per second: {len(images) / dt:.1f}")
    if args.scores_out:
        np.save(args.scores_out, scores.astype(np.int64))
        print(f"scores: {args.scores_out}")
    if args.split_out:
        split = split_activations(params, images)
        np.save(args.split_out, tensor_words(params.network, params.network.natural_cut, split)
                .view(np.uint8).reshape(len(split), -1))
        print(f"split tensor: {args.split_out}")
    return 0


def cmd_splits(args) -> int:
    from golden.splits import plot_splits, split_table

    net = _network(args)
    print(split_table(net))
    if args.plot:
        print(f"plot: {plot_splits(args.plot, net)}")
    return 0


def cmd_cycles(args) -> int:
    from golden.cycles import cycles_table

    folding = _folding(args)
    print(cycles_table(folding, args.clock_mhz * 1e6 if args.clock_mhz else None))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m golden", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("classify", help="classify images with the bit-exact model")
    c.add_argument("--params", type=Path, help="folder of BNN-PYNQ <L>-<pe>-*.bin files (default: synthetic net)")
    c.add_argument("--folding", type=Path, help="folding config JSON (default: BNN-PYNQ's folding of the network)")
    src = c.add_mutually_exclusive_group()
    src.add_argument("--cifar", type=Path, help="CIFAR-10 binary file")
    src.add_argument("--image", type=Path, help="an image file (resized to 32x32)")
    c.add_argument("--limit", type=int, help="at most N images")
    c.add_argument("--seed", type=int, default=1, help="seed of the synthetic network / images")
    c.add_argument("--scores-out", type=Path, help="save (N, 64) signed scores as .npy")
    c.add_argument("--split-out", type=Path, help="save the packed tensor of the network's natural cut as .npy")
    c.set_defaults(func=cmd_classify)
    s = sub.add_parser("splits", help="bytes per image at every cut")
    s.add_argument("--plot", type=Path, help="write a PNG bar chart")
    for p in (c, s, y := sub.add_parser("cycles", help="analytic cycles per layer and per kernel")):
        p.add_argument("--network", help="network name (default cnvW2A2)")
    s.set_defaults(func=cmd_splits)
    y.add_argument("--folding", type=Path)
    y.add_argument("--clock-mhz", type=float, help="default: the network's board clock")
    y.set_defaults(func=cmd_cycles)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
