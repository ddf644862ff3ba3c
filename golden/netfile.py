"""A network description file: `network.json` in a folder beside its folded `.bin` parameters,
what `python -m golden import` writes (golden/onnx_import.py) and what `NETWORK=<folder>` reads.

It holds the :class:`~golden.network.Network` (its layers' shapes and number formats, folding,
stream depths, natural cut, input format) and, under "model", what the network was made from
(the model file and its digest) and how its integer codes map to the model's float tensors
(the input quantizer's scale, the last layer's per-class scale and bias), which the qonnx
comparison reads. Nothing in it is specific to one tool: every other part reads the Network.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from golden.errors import BnnInputError
from golden.network import LayerSpec, Network

FILE_NAME = "network.json"
FORMAT = "bnnsplit-network/1"
# Network fields written to (and read from) the file; the others are BNN-PYNQ facts
# (paper kernels, Vivado figures) an imported network does not have.
_NETWORK_FIELDS = ("name", "title", "dataset", "classes", "default_folding", "stream_depths", "natural_cut",
                   "kernel_prefix", "input_widths", "hls_default_depth", "description", "input_format",
                   "image_shape", "binarize_at", "stream_rule")
_LAYER_FIELDS = tuple(f.name for f in dataclasses.fields(LayerSpec))


def network_to_json(network: Network, model: dict | None = None) -> dict:
    out = {"format": FORMAT}
    for name in _NETWORK_FIELDS:
        value = getattr(network, name)
        out[name] = dict(value) if name == "stream_depths" else \
            [list(v) for v in value] if name == "default_folding" else \
            list(value) if isinstance(value, tuple) else value
    out["layers"] = [{f: getattr(spec, f) for f in _LAYER_FIELDS} for spec in network]
    out["model"] = model or {}
    return out


def write(network: Network, folder: str | Path, model: dict | None = None) -> Path:
    path = Path(folder) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(network_to_json(network, model), indent=1) + "\n")
    return path


def description_file(where: str | Path) -> Path:
    """The network.json of a folder (or the file itself)."""
    path = Path(where)
    return path / FILE_NAME if path.is_dir() else path


def read_json(where: str | Path) -> dict:
    path = description_file(where)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BnnInputError(f"network description {path} not found (a folder written by "
                            f"`python -m golden import MODEL.onnx --out DIR`?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BnnInputError(f"network description {path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BnnInputError(f"network description {path}: 'format' must be {FORMAT!r}, "
                            f"got {data.get('format') if isinstance(data, dict) else data!r}")
    return data


def read(where: str | Path) -> Network:
    """The Network of a description folder or file; its parameters are the folder's .bin files."""
    path = description_file(where)
    data = read_json(path)
    try:
        layers = []
        for i, entry in enumerate(data["layers"]):
            unknown = set(entry) - set(_LAYER_FIELDS)
            if unknown:
                raise BnnInputError(f"network description {path}: layer {i} has unknown field(s) "
                                    f"{', '.join(sorted(unknown))}")
            layers.append(LayerSpec(**entry))
        kwargs = {name: data[name] for name in _NETWORK_FIELDS if name in data}
        kwargs["default_folding"] = tuple(tuple(f) for f in kwargs["default_folding"])
        kwargs["input_widths"] = tuple(kwargs.get("input_widths", ()))
        kwargs["image_shape"] = tuple(kwargs["image_shape"])
        return Network(layers=tuple(layers), params_path=str(path.parent.resolve()), **kwargs)
    except (KeyError, TypeError) as exc:
        raise BnnInputError(f"network description {path}: missing or malformed field ({exc!r})") from None
    except BnnInputError as exc:
        if str(path) in str(exc):
            raise
        raise BnnInputError(f"network description {path}: {exc}") from None


def identifier(name: str) -> str:
    """A name as an identifier (lower case, letters, digits, underscores; a letter first): an
    imported network's name and kernel prefix, its cache folder's stem."""
    out = "".join(ch if ch.isalnum() else "_" for ch in name.lower())
    return out if out[:1].isalpha() else "net_" + out


def cache_folder(model: str | Path) -> Path:
    """Where a model file is imported on first use: build/imported/<stem>-<digest>/."""
    import hashlib
    from golden.paths import BUILD
    model = Path(model)
    if not model.is_file():
        raise BnnInputError(f"model {model} not found")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:12]
    return BUILD / "imported" / f"{identifier(model.stem)}-{digest}"


def model_info(network: Network) -> dict:
    """The "model" part of an imported network's description ({} for a built-in one)."""
    if not network.params_path:
        return {}
    return read_json(Path(network.params_path)).get("model", {})
