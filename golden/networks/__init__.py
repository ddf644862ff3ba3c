"""The networks of the BNN-PYNQ family, one module each, and the networks a user imported;
`get(name)` is how everything finds one. Adding a built-in network = adding its module here
and to NETWORKS.

A user's network is named by where it is: a folder written by `python -m golden import`
(its network.json) or a QONNX / FINN-ONNX model file, imported on first use into
build/imported/<stem>-<digest>/. `get` registers it under its name for the rest of the
process and records its folder in BNNSPLIT_IMPORTED, so child processes (the simulator, Dask
workers) that are handed only its name find it too.
"""

from __future__ import annotations

import os
from pathlib import Path

from golden.errors import BnnInputError, known
from golden.network import Network
from golden.networks import cnv_w1a1, cnv_w1a2, cnv_w2a2, lfc_w1a1, lfc_w1a2

NETWORKS: dict[str, Network] = {n.name: n for n in (
    cnv_w2a2.NETWORK, cnv_w1a1.NETWORK, cnv_w1a2.NETWORK, lfc_w1a1.NETWORK, lfc_w1a2.NETWORK)}
DEFAULT_NETWORK = "cnvW2A2"
IMPORTED_ENV = "BNNSPLIT_IMPORTED"   # os.pathsep-separated folders of imported networks

_by_file: dict[str, Network] = {}      # an imported network's network.json (resolved) -> its Network, read once


def _looks_like_path(name: str) -> bool:
    return name.endswith(".onnx") or name.endswith(".json") or os.sep in name or Path(name).is_dir()


def _imported(name: str) -> Network | None:
    return next((n for n in _by_file.values() if n.name == name), None)


def _register(network: Network) -> Network:
    same = _imported(network.name)
    if same is not None and same.params_path != network.params_path:
        raise BnnInputError(f"two imported networks are called {network.name!r} ({same.params_path} "
                            f"and {network.params_path}); import one with another --name")
    if network.name in NETWORKS:
        raise BnnInputError(f"imported network {network.params_path}: its name {network.name!r} is a "
                            f"built-in network's; rename it (--name)")
    folders = [f for f in os.environ.get(IMPORTED_ENV, "").split(os.pathsep) if f]
    if network.params_path not in folders:
        os.environ[IMPORTED_ENV] = os.pathsep.join(folders + [network.params_path])
    return network


def load(where: str | Path) -> Network:
    """The network of an import folder, network.json or model file (imported if needed)."""
    from golden import netfile
    path = Path(where)
    if not path.exists():
        raise BnnInputError(f"network {str(where)!r}: no such file or folder, and not a known network "
                            f"({', '.join(NETWORKS)})")
    if path.suffix == ".onnx":
        # imported once, by `python -m golden import` in a child process (the importer reads
        # parameters, which read this registry), into a folder named by the model's digest
        folder = netfile.cache_folder(path)
        if not (folder / netfile.FILE_NAME).exists():
            from golden.paths import run_module_in_child
            if run_module_in_child("golden", ["import", str(path), "--out", str(folder), "--quiet", "--check", "2"]):
                raise BnnInputError(f"network {str(where)!r}: the import failed (message above)")
        path = folder
    key = str(netfile.description_file(path).resolve())
    if key not in _by_file:
        _by_file[key] = _register(netfile.read(path))
    return _by_file[key]


def _from_environment(name: str) -> Network | None:
    from golden import netfile
    for folder in os.environ.get(IMPORTED_ENV, "").split(os.pathsep):
        if folder and (Path(folder) / netfile.FILE_NAME).exists():
            net = netfile.read(folder)
            if net.name == name:
                return load(folder)
    return None


def get(name: str | Network | None = None) -> Network:
    """The network called `name` (BNN-PYNQ's spelling, e.g. "cnvW2A2"; None = the default),
    an imported network's name, or the path of an import folder or model file."""
    if isinstance(name, Network):
        return name
    if isinstance(name, str) and name not in NETWORKS:
        found = _imported(name) or _from_environment(name)
        if found:
            return found
        if _looks_like_path(name):
            return load(name)
    return known(NETWORKS, name, DEFAULT_NETWORK, "network")


def is_known(name) -> bool:
    """Whether `name` names a built-in or an imported network."""
    try:
        get(name)
    except BnnInputError:
        return False
    return True


def default() -> Network:
    return get(DEFAULT_NETWORK)
