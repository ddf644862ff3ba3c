"""Where the reference data lives: $BNNSPLIT_DATA (or explicit paths), never the repository.

The folder holds `bnn-pynq/<network>/` (trained parameters of each BNN-PYNQ network),
`bnn-pynq/images/` (deer.bin, deer.jpg, 3.image-idx3-ubyte, 6.png) and
`cifar10/test_batch_first932.bin`. Without it, callers fall back to the synthetic network.
"""

from __future__ import annotations

import os
from pathlib import Path

from golden.errors import BnnInputError


def data_root() -> Path | None:
    env = os.environ.get("BNNSPLIT_DATA")
    if not env:
        return None
    root = Path(env)
    if not root.is_dir():
        raise BnnInputError(f"BNNSPLIT_DATA={env} is not a folder")
    return root


def _under_root(*parts: str) -> Path | None:
    root = data_root()
    if root is None:
        return None
    path = root.joinpath(*parts)
    if not path.exists():
        raise BnnInputError(f"BNNSPLIT_DATA={root} has no {'/'.join(parts)}")
    return path


def params_dir(network: str | None = None) -> Path | None:
    """Trained parameters of `network` (default: the default network)."""
    from golden import networks
    net = networks.get(network)
    if net.params_path:                  # an imported network: its own folder
        return Path(net.params_path)
    return _under_root("bnn-pynq", net.name)


def cifar_file() -> Path | None:
    return _under_root("cifar10", "test_batch_first932.bin")


def deer_file() -> Path | None:
    return _under_root("bnn-pynq", "images", "deer.bin")


def image_file(name: str) -> Path | None:
    """One of BNN-PYNQ's test images under bnn-pynq/images/ (deer.jpg, 3.image-idx3-ubyte, 6.png)."""
    return _under_root("bnn-pynq", "images", name)


def mnist_three_file() -> Path | None:
    """The one-image MNIST IDX file of the digit 3 BNN-PYNQ's LFC tests classify."""
    return image_file("3.image-idx3-ubyte")


def hls_export(name: str) -> Path | None:
    """One of the real HLS exports of BlackBoxJam under hls-exports/ (see its README)."""
    return _under_root("hls-exports", name)


def classes(network: str | None = None) -> list[str]:
    from golden import networks
    net = networks.get(network)
    root = data_root()
    path = root / "bnn-pynq" / net.name / "classes.txt" if root else None
    if path and path.exists():
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if net.dataset == "MNIST":
        return [str(d) for d in range(10)]
    return ["Airplane", "Automobile", "Bird", "Cat", "Deer", "Dog", "Frog", "Horse", "Ship", "Truck"]
