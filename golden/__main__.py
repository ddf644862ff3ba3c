"""Command line of the golden model: `python -m golden classify|run|splits|cycles|import|export`.

- classify: images (CIFAR-10 file, MNIST IDX file, a photo, or seeded synthetic images) through
  a network; accuracy when labels are known, the predicted classes otherwise;
- run: one kernel at its memory interface: the uint64 words it reads (IN.npy, shape (images,
  words per image)) -> exactly the words it writes (OUT.npy);
- splits / cycles: bytes per image at every cut, analytic cycles per layer;
- import: a QONNX / FINN-ONNX model -> a network folder (network.json, folding.json, .bin
  parameters) that NETWORK=<folder> runs everywhere, checked against qonnx's executor;
- export: a network and its .bin parameters as a QONNX model (golden/onnx_export.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from golden.errors import BnnInputError
from golden.paths import output_file


def _network(args):
    from golden import networks

    return networks.get(getattr(args, "network", None))


def _folding(args):
    from golden.network import Folding

    net = _network(args)
    return Folding.load(args.folding, net) if args.folding else net.folding


def _check_seed(args) -> None:
    if args.seed < 0:
        raise BnnInputError(f"--seed {args.seed}: expected a whole number >= 0")


def _load_params(args):
    from golden.params import load_params
    from golden.synthetic import synthetic_params

    folding = _folding(args)
    if args.params:
        return load_params(args.params, folding)
    if folding.network.params_path:       # an imported network: its own parameters
        return load_params(folding.network.params_path, folding)
    return synthetic_params(args.seed, folding)


def _load_images(args, net):
    from golden import images as I

    wants = {"--cifar": "CIFAR-10", "--mnist": "MNIST"}
    for flag, dataset in wants.items():
        if getattr(args, flag[2:]) and net.dataset != dataset:
            raise BnnInputError(f"{flag} gives {dataset} images; {net.name} classifies {net.dataset} "
                                f"images ({'--mnist' if net.dataset == 'MNIST' else '--cifar'})")
    if args.cifar:
        return I.read_cifar(args.cifar, args.limit)
    if args.mnist:
        images = I.read_mnist(args.mnist, args.limit)
        labels = I.read_mnist_labels(args.mnist_labels, args.limit) if args.mnist_labels else None
        if labels is not None and len(labels) != len(images):
            raise BnnInputError(f"{args.mnist_labels} has {len(labels)} labels for {len(images)} images")
        return images, labels
    if args.image:
        if net.input_format == "bits":
            return I.mnist_from_photo(args.image), None
        return I.read_image_file(args.image), None
    return I.network_images(net, args.limit or 100, seed=args.seed + 1), None


def cmd_classify(args) -> int:
    from golden.model import classify, predict_classes, split_activations
    from golden.words import tensor_words

    # Options and outputs are checked before anything is read or computed.
    if args.limit is not None and args.limit < 1:
        raise BnnInputError(f"--limit {args.limit}: expected a whole number of images >= 1")
    _check_seed(args)
    scores_out = output_file(args.scores_out, "--scores-out", ".npy") if args.scores_out else None
    split_out = output_file(args.split_out, "--split-out", ".npy") if args.split_out else None
    params = _load_params(args)
    net = params.network
    images, labels = _load_images(args, net)
    t = time.perf_counter()
    out = classify(params, images)
    dt = time.perf_counter() - t
    pred = predict_classes(net, out)
    print(f"network: {net.name} ({params.source})")
    print(f"images: {len(images)}")
    if labels is not None:
        ok = int((pred == labels).sum())
        print(f"accuracy: {ok}/{len(images)} = {100.0 * ok / len(images):.2f}%")
    else:
        print("accuracy: n/a (no labels)")
        print("predicted classes: " + " ".join(str(int(c)) for c in np.bincount(pred, minlength=net.classes)))
    if len(images) <= 10:
        print("predictions: " + " ".join(str(int(c)) for c in pred))
    print(f"images per second: {len(images) / dt:.1f}")
    if scores_out:
        np.save(scores_out, out.astype(np.int64))
        print(f"{'scores' if net.output_format == 'scores' else 'output bits'}: {scores_out}")
    if split_out:
        split = split_activations(params, images)
        np.save(split_out, tensor_words(net, net.natural_cut, split)
                .view(np.uint8).reshape(len(split), -1))
        print(f"split tensor: {split_out}")
    return 0


def cmd_run(args) -> int:
    from golden.words import check_words, load_words, run_words

    net = _folding(args).network
    first = 0 if args.first is None else args.first
    last = net.last if args.last is None else args.last
    net.check_range(first, last)
    # Everything the user gave is checked before the network runs.
    _check_seed(args)
    words_out_path = output_file(args.words_out, "--words-out", ".npy")
    what = f"--words-in {args.words_in}"
    words_in = check_words(net, first, last, load_words(args.words_in, "--words-in"), what)
    params = _load_params(args)
    words_out = run_words(params, words_in, first, last, what)
    np.save(words_out_path, words_out.astype(np.uint64))
    print(f"{net.name} layers {first}-{last} ({params.source}): {len(words_in)} image(s), "
          f"{words_in.shape[1]} words in -> {words_out.shape[1]} words out per image: {words_out_path}")
    return 0


def cmd_splits(args) -> int:
    from golden.splits import check_plot_path, plot_splits, split_table

    net = _network(args)
    plot = check_plot_path(args.plot, "--plot") if args.plot else None
    print(split_table(net))
    if plot:
        print(f"plot: {plot_splits(plot, net)}")
    return 0


# The testbench's module behind `cycles --against-rtl` (simulation is tb/'s, the layer above
# golden, which golden never imports): the same command line in a child process.
AGAINST_RTL_MODULE = "tb.perf.cycles_vs_rtl"


def _against_rtl(argv: list[str]) -> int:
    from golden.paths import run_module_in_child

    return run_module_in_child(AGAINST_RTL_MODULE, [a for a in argv if a not in ("cycles", "--against-rtl")])


def cmd_cycles(args) -> int:
    from golden.cycles import check_clock_hz, cycles_table, parse_batch_sizes

    clock_hz = None
    if args.clock_mhz is not None:
        mhz = check_clock_hz(args.clock_mhz, "--clock-mhz", "MHz")
        clock_hz = check_clock_hz(mhz * 1e6, f"--clock-mhz {mhz:g} (in Hz)")
    folding = _folding(args)
    reps = parse_batch_sizes(args.reps) if args.reps else None
    print(cycles_table(folding, clock_hz, reps, args.hls_schedule))
    return 0


def cmd_import(args) -> int:
    from golden import folding as fold
    from golden import netfile, networks, onnx_check
    from golden.onnx_import import import_model, write_import
    from golden.params import load_params

    if args.folding and args.target_img_s is not None:
        raise BnnInputError("--folding and --target-img-s: give one of them")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise BnnInputError(f"--out {out} is a file; expected a folder")
    imported = import_model(args.model, args.name, args.folding, args.target_img_s)
    if args.target_img_s is not None and not args.quiet:
        net = imported.network
        missed = fold.unmet(net.layers, net.default_folding, args.target_img_s, _clock_hz())
        if missed:
            print(f"--target-img-s {args.target_img_s:g}: not met at the widest folding by " + "; ".join(missed))
    if imported.network.name in networks.NETWORKS:
        raise BnnInputError(f"the model's name {imported.network.name!r} is a built-in network's; give --name")
    write_import(imported, out)
    net = netfile.read(out)
    if not args.quiet:
        print(f"{args.model} -> {out}: {len(net)} layers, input {net.input_format} {tuple(net.image_shape)}, "
              f"natural cut after layer {net.natural_cut}")
        for spec, (simd, pe) in zip(net, net.default_folding):
            w = f"{spec.weight_bits}-bit {spec.weight_kind}"
            act = f"{spec.act_bits}-bit, {spec.num_thresholds} thresholds" if spec.thresholds else "scores"
            pool = " + 2x2 pool" if spec.pool_after else ""
            shape = (f"conv {spec.kernel}x{spec.kernel} {spec.ifm_ch}->{spec.ofm_ch} on {spec.ifm_dim}x{spec.ifm_dim}"
                     if spec.kind == "conv" else f"fc {spec.mw}->{spec.mh}")
            print(f"  layer {spec.index}: {shape}{pool}, {spec.in_bits}-bit in, {w} weights, {act}, "
                  f"{spec.acc_bits}-bit sums, SIMD {simd} PE {pe}")
    if args.check:
        params = load_params(out, net.folding)
        agreement = onnx_check.compare(args.model, params, onnx_check.random_codes(net, args.check, seed=0))
        print(f"checked against qonnx's execute_onnx on {agreement}")
        if not agreement.exact:
            return 1
    return 0


def cmd_export(args) -> int:
    from golden import data, onnx_export
    from golden.params import load_params

    net = _network(args)
    folder = args.params or data.params_dir(net.name)
    if folder is None:
        raise BnnInputError(f"--params: the folder of {net.name}'s .bin files (or set BNNSPLIT_DATA)")
    out = output_file(args.out, "--out")
    onnx_export.save(load_params(folder, net.folding), out, name=net.name)
    print(f"{net.name} ({folder}) -> {out}")
    return 0


def _clock_hz() -> float:
    from golden.platform import platform
    return platform().clock_hz


def main(argv: list[str] | None = None) -> int:
    from golden import networks

    known = ", ".join(networks.NETWORKS)
    ap = argparse.ArgumentParser(prog="python -m golden", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("classify", help="classify images with the bit-exact model")
    r = sub.add_parser("run", help="one kernel at its memory interface: words in -> words out")
    for p in (c, r):
        p.add_argument("--params", type=Path,
                       help="folder of BNN-PYNQ <L>-<pe>-*.bin files (default: synthetic net)")
        p.add_argument("--folding", type=Path,
                       help="folding config JSON (default: BNN-PYNQ's folding of the network)")
        p.add_argument("--seed", type=int, default=1, help="seed of the synthetic network / images")
    src = c.add_mutually_exclusive_group()
    src.add_argument("--cifar", type=Path, help="CIFAR-10 binary file (CNV networks)")
    src.add_argument("--mnist", type=Path, help="MNIST IDX images file (LFC networks)")
    src.add_argument("--image", type=Path,
                     help="a photo (CNV: fitted to 32x32; LFC: BNN-PYNQ's webcam digit pipeline)")
    c.add_argument("--mnist-labels", type=Path, help="MNIST IDX labels for --mnist")
    c.add_argument("--limit", type=int, help="at most N images")
    c.add_argument("--scores-out", type=Path,
                   help="save the last layer's output (N, 64) as .npy (scores, or output bits)")
    c.add_argument("--split-out", type=Path, help="save the packed tensor of the network's natural cut as .npy")
    c.set_defaults(func=cmd_classify)
    r.add_argument("--words-in", type=Path, required=True,
                   help=".npy of uint64 words the kernel reads, shape (images, words per image)")
    r.add_argument("--words-out", type=Path, required=True, help=".npy to write the words it writes")
    r.add_argument("--first", type=int, help="first layer of the kernel (default 0)")
    r.add_argument("--last", type=int, help="last layer of the kernel (default the network's last)")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("splits", help="bytes per image at every cut")
    s.add_argument("--plot", type=Path, help="write a PNG bar chart")
    y = sub.add_parser("cycles", help="analytic cycles per layer and per kernel")
    for p in (c, r, s, y):
        p.add_argument("--network", help=f"network name: {known} (default {networks.DEFAULT_NETWORK})")
    s.set_defaults(func=cmd_splits)
    y.add_argument("--folding", type=Path)
    y.add_argument("--clock-mhz", type=float, help="default: the network's board clock")
    y.add_argument("--reps", help="also the cycles of batches of these sizes (numReps), e.g. 1,2,4,8, per "
                   "kernel of the natural cut (golden.cycles.batch_cycles)")
    y.add_argument("--hls-schedule", choices=("2018.2", "2016.3"), default=None,
                   help="with --reps: whose HLS schedule the width converters follow (default 2018.2)")
    y.add_argument("--against-rtl", action="store_true",
                   help="run each kernel of the natural split in RTL for the batch sizes of --reps (default "
                        "1,2,3) and print the model beside it, and Table I's rows as kernel time, host timed "
                        "region and the paper's figure (tb/perf/cycles_vs_rtl.py)")
    y.set_defaults(func=cmd_cycles)
    m = sub.add_parser("import", help="a QONNX / FINN-ONNX model as a network folder NETWORK= runs")
    m.add_argument("model", type=Path, help="the .onnx model (Brevitas export_qonnx, or FINN-ONNX)")
    m.add_argument("--out", type=Path, required=True, help="the folder to write (network.json, folding.json, "
                   "<L>-<pe>-weights.bin / -thres.bin)")
    m.add_argument("--folding", type=Path, help="SIMD / PE per layer ({'layers': [{'simd': S, 'pe': P}, ...]})")
    m.add_argument("--target-img-s", type=float, help="choose SIMD / PE per layer: the smallest folding whose "
                   "slowest layer meets this many images per second (FINN's SetFolding rule)")
    m.add_argument("--name", help="the network's name (default: the model file's stem)")
    m.add_argument("--check", type=int, default=8, help="random inputs run through qonnx's executor and "
                   "golden, which must agree exactly (default 8; 0: no check)")
    m.add_argument("--quiet", action="store_true", help="print nothing but errors and the check")
    m.set_defaults(func=cmd_import)
    e = sub.add_parser("export", help="a network with its .bin parameters written out as a QONNX model")
    e.add_argument("--network", help=f"network name: {known} (default {networks.DEFAULT_NETWORK}) or an "
                   f"imported network's folder")
    e.add_argument("--params", type=Path, help="folder of its .bin files (default: $BNNSPLIT_DATA's, or the "
                   "imported network's own)")
    e.add_argument("--out", type=Path, required=True, help="the .onnx file to write")
    e.set_defaults(func=cmd_export)
    args = ap.parse_args(argv)
    if getattr(args, "against_rtl", False):
        return _against_rtl(list(sys.argv[1:] if argv is None else argv))
    try:
        return args.func(args)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
