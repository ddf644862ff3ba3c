"""The stimulus of a run, shared by kernel runs and co-simulations: the network's parameters,
the images, and everything golden/ says must come out, written once for the cocotb side.

`Stimulus.load(...)` takes trained parameters (a BNN-PYNQ folder) or the seeded synthetic
network of the same shapes, and CIFAR-10 records or seeded synthetic images. `save()` writes
`stimulus.npz` (per layer range first..last the words a kernel of that range reads and must
write: `in_<first>_<last>`, `out_<first>_<last>`; the golden class per image, the labels)
and the `$readmemh` files of the parameters (`params_hex/`, the RTL's +PARAMS_DIR preload).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golden import networks
from golden.errors import BnnInputError
from golden.images import network_images, read_cifar, read_mnist
from golden.model import classify, predict_classes
from golden.network import Network
from golden.params import Params, load_params, save_hex
from golden.synthetic import synthetic_params
from golden.words import kernel_words


def add_source_args(ap) -> None:
    """The command-line options that choose parameters and images (kernel runs, co-sims)."""
    ap.add_argument("--params", help="folder of BNN-PYNQ .bin files (default: $BNNSPLIT_DATA, else synthetic)")
    ap.add_argument("--cifar", help="CIFAR-10 file, or an MNIST IDX image file for the LFCs (default: "
                    "$BNNSPLIT_DATA's test images, else synthetic images)")
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic network and images")


def source_paths(args, network: str) -> tuple[str | None, str | None]:
    """(parameter folder, CIFAR-10 file) from those options: given paths, else the reference
    data of `network` under $BNNSPLIT_DATA, else None (synthetic)."""
    from golden import data
    params = args.params or (None if args.synthetic else data.params_dir(network))
    dataset = networks.get(network).dataset
    cifar = args.cifar or (None if args.synthetic else data.cifar_file() if dataset == "CIFAR-10"
                           else data.mnist_three_file() if dataset == "MNIST" else None)
    return (str(params) if params else None), (str(cifar) if cifar else None)


def job_params(network: str | Network | None, params: str | None, seed: int) -> Params:
    """The parameters a job runs on: BNN-PYNQ's .bin files in the folder `params`, or the
    seeded synthetic network (`params` None)."""
    net = networks.get(network)
    return load_params(params, network=net) if params else synthetic_params(seed, network=net)


def words_key(direction: str, first: int, last: int) -> str:
    """Name of an array of stimulus.npz: direction "in" or "out" of layers first..last."""
    return f"{direction}_{first}_{last}"


@dataclass
class Stimulus:
    params: Params
    images: np.ndarray                 # uint8 (N, *image_shape), as the data set holds them
    labels: np.ndarray | None = None
    _words: dict = field(default_factory=dict, repr=False)

    @property
    def network(self) -> Network:
        return self.params.network

    @property
    def source(self) -> str:
        return self.params.source

    @classmethod
    def load(cls, images: int, params: str | None = None, cifar: str | None = None, seed: int = 1,
             network: str | Network | None = None, first: int = 0) -> "Stimulus":
        """Images first..first+images-1 of `cifar` (a CIFAR-10 file for the CIFAR-10 networks,
        an MNIST IDX image file for the MNIST ones) or of the seeded synthetic images of the
        network's input shape (None), so that a shard of a regression sees the same images
        as one run over them all."""
        net = networks.get(network)
        if first < 0 or images < 1:
            raise BnnInputError(f"images {first}..{first + images - 1}: expected first >= 0 and images >= 1")
        p = job_params(net, params, seed)
        n = first + images
        if cifar:
            if net.dataset == "MNIST":
                # The real MNIST images the data has (BNN-PYNQ's one digit), then seeded
                # synthetic ones up to the count asked for.
                imgs, labels = read_mnist(cifar, n), None
                if len(imgs) < n:
                    imgs = np.concatenate([imgs, network_images(net, n - len(imgs), seed=seed + 1)])
            else:
                imgs, labels = read_cifar(cifar, n)
            if len(imgs) < n:
                raise BnnInputError(f"asked for images {first}..{n - 1}, {cifar} holds {len(imgs)}")
        else:
            imgs, labels = network_images(net, n, seed=seed + 1), None
        return cls(p, imgs[first:], None if labels is None else labels[first:])

    def __len__(self) -> int:
        return len(self.images)

    def words(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """(words in, words out) per image of a kernel of layers first..last."""
        if (first, last) not in self._words:
            w_in, w_out, _ = kernel_words(self.params, self.images, first, last)
            self._words[(first, last)] = (w_in, w_out)
        return self._words[(first, last)]

    def outputs(self) -> np.ndarray:
        """The whole network's output per image (scores, or the output bits of an LFC)."""
        return classify(self.params, self.images)

    def classes(self) -> np.ndarray:
        return predict_classes(self.network, self.outputs())

    def save(self, folder: Path, ranges: list[tuple[int, int]], folding=None) -> Path:
        """Write stimulus.npz with the words of every layer range in `ranges`, and params_hex/
        (the weight and threshold words in `folding`: default the parameters' own)."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"classes": self.classes()}
        if self.labels is not None:
            arrays["labels"] = self.labels
        for first, last in ranges:
            w_in, w_out = self.words(first, last)
            arrays[words_key("in", first, last)] = w_in
            arrays[words_key("out", first, last)] = w_out
        save_hex(self.params, self.hex_dir(folder), folding)
        np.savez(folder / "stimulus.npz", **arrays)
        return folder / "stimulus.npz"

    @staticmethod
    def hex_dir(folder: Path) -> Path:
        return folder / "params_hex"
