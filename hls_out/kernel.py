"""A generated kernel describes itself: `kernel.json` next to its top, read here and nowhere
else (`load("cnv_part2")` or its folder). Everything about a kernel that a testbench, a topology
or a report needs — its network, layer range, role, words per image, stages, FIFO depths,
expected cycles — comes from this object."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from golden.errors import BnnInputError

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KernelInfo:
    folder: Path
    data: dict

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def top(self) -> str:
        return self.data["top"]

    @property
    def sv(self) -> Path:
        """The generated top-level SystemVerilog file."""
        return self.folder / f"{self.top}.sv"

    @property
    def network_name(self) -> str:
        """The network's name (kernel.json names a built-in network, or an imported one's folder)."""
        return self.network.name

    @cached_property
    def network(self):
        from golden import networks
        return networks.get(self.data["network"])

    @cached_property
    def folding(self):
        """The folding its parameter words are laid out in (:func:`kernel_folding`)."""
        return kernel_folding(self.data)

    @property
    def first(self) -> int:
        return int(self.data["first"])

    @property
    def last(self) -> int:
        return int(self.data["last"])

    @property
    def role(self) -> str:
        return self.data["role"]

    @property
    def words_in(self) -> int:
        return int(self.data["words_per_image"]["in"])

    @property
    def words_out(self) -> int:
        return int(self.data["words_per_image"]["out"])

    @property
    def expected_cycles(self) -> dict:
        return self.data["expected_cycles"]

    def paper(self):
        """The Table I row of this kernel's layer range, if the paper measured one."""
        return self.network.paper_kernel(self.first, self.last)

    @property
    def fifos(self) -> list["FifoPorts"]:
        return fifos(self.data)

    @property
    def stage_entries(self) -> list[dict]:
        """kernel.json's stages, from the memory reader to the memory writer."""
        return list(self.data.get("stages", []))

    @property
    def control(self) -> dict:
        """The sequencer's signals (state, its names, status, idle)."""
        return dict(self.data.get("control", {}))

    @cached_property
    def chain(self):
        """The kernel's stage objects (golden/stages), rebuilt from its network, layer range,
        folding, FIFO depths and block timing; they must describe exactly the stages
        kernel.json lists."""
        from golden.network import Folding
        from golden.stages import kernel_chain
        net = self.network
        by_layer = {e["index"]: e for e in self.data.get("layers", [])}
        folds = [(by_layer[s.index]["simd"], by_layer[s.index]["pe"]) if s.index in by_layer
                 else net.default_folding[s.index] for s in net]
        folding = Folding.from_json({"layers": [{"simd": a, "pe": b} for a, b in folds]}, net, str(self.folder))
        depths = {e["name"].removeprefix("fifo_"): e["params"]["DEPTH"] for e in self.stage_entries
                  if e["module"] == "stream_fifo"}
        chain = kernel_chain(folding, self.first, self.last, depths=depths,
                             hls_timing=self.data.get("block_timing", "hls") == "hls", label=self.name,
                             mac=self.data.get("mac", "lut"))
        if [st.to_json() for st in chain] != self.stage_entries:
            raise BnnInputError(f"{self.folder / 'kernel.json'}: its stages are not the ones its network, layers "
                                f"and folding make; regenerate it (make hls)")
        return chain


@dataclass(frozen=True)
class FifoPorts:
    """A stream FIFO of a generated kernel and the signals of its top that show it: stage k
    of the chain reads stream s<k> and writes s<k+1> (stream 0 comes from the memory reader),
    and the top exposes the FIFO's occupancy as fifo_count_<tag>."""
    name: str                  # fifo_<tag>
    depth: int
    image_words: int | None    # words of one image in its stream (None: an older kernel.json)
    in_ready: str
    out_valid: str
    count: str


def kernel_folding(data: dict):
    """The network's folding with a kernel's layers as its description (kernel.json) has them:
    a plan stage's kernel may be refolded; an export's description lists no layers (the
    network's own)."""
    from golden import networks
    from golden.network import Folding, LayerFold
    net = networks.get(data["network"])
    folds = list(net.folding.layers)
    for entry in data.get("layers", ()):
        folds[entry["index"]] = LayerFold(entry["simd"], entry["pe"])
    return Folding(tuple(folds), net)


def fifos(data: dict) -> list[FifoPorts]:
    """The FIFOs of a kernel described by `data` (its kernel.json), in stream order, with the
    signals its stage entries name."""
    out = []
    for st in data.get("stages", []):
        if st["module"] != "stream_fifo":
            continue
        sig = st.get("signals")
        if not isinstance(sig, dict) or not {"in_ready", "out_valid", "count"} <= set(sig):
            raise BnnInputError(f"kernel {data.get('name')}: stage {st['name']} of kernel.json names no signals "
                                f"(in_ready, out_valid, count); regenerate it (make hls)")
        out.append(FifoPorts(st["name"], int(st["params"]["DEPTH"]), st.get("image_words"),
                             sig["in_ready"], sig["out_valid"], sig["count"]))
    return out


def images_to_fill(data: dict) -> int:
    """Images a batch needs so that, with the kernel's output held back, every FIFO of the
    kernel fills: the images its FIFOs can hold (a FIFO holds DEPTH / image_words of them)
    plus one per FIFO for what the stage in front of it holds (a window's lines, a vector),
    plus one in the memory reader and one to spare."""
    held = 0.0
    for f in fifos(data):
        if not f.image_words:
            raise BnnInputError(f"kernel {data.get('name')}: kernel.json has no image_words for {f.name}; "
                                f"regenerate it (make hls)")
        held += f.depth / f.image_words + 1
    return int(-(-held // 1)) + 2


def known() -> list[str]:
    return sorted(p.parent.name for p in HERE.glob("*/kernel.json"))


_REQUIRED = ("name", "top", "network", "first", "last", "role", "words_per_image")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _whole(value) -> bool:
    """A JSON integer (true/false and 6.0 are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_whole(value) -> bool:
    return _whole(value) and value >= 1


def check(data, source: str | Path = "kernel.json") -> dict:
    """`data` (a kernel.json) as it must be, or a BnnInputError naming `source`, the field,
    its value and what was expected: the fields' types and ranges, first <= last within the
    network, and the role, words per image, layers, stages and expected cycles agreeing
    with that layer range. Returns `data`."""
    def bad(field: str, value, expected: str) -> BnnInputError:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return BnnInputError(f"{source}: field {field!r} is {shown}; expected {expected}")

    if not isinstance(data, dict):
        raise BnnInputError(f"{source}: a {type(data).__name__}; expected a JSON object with the fields "
                            f"{', '.join(_REQUIRED)} (regenerate it with `make hls`)")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise BnnInputError(f"{source}: missing {', '.join(missing)} (regenerate it with `make hls`)")
    for key in ("name", "top"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise bad(key, data[key], "a non-empty string")
    if not _IDENTIFIER.fullmatch(data["top"]):
        raise bad("top", data["top"], "the top module's name (a SystemVerilog identifier)")
    from golden import networks
    if not isinstance(data["network"], str) or not networks.is_known(data["network"]):
        raise bad("network", data["network"], f"one of {', '.join(networks.NETWORKS)} or an imported network")
    net = networks.get(data["network"])
    layers = f"a layer of {net.name} ({net[0].index}-{net.last})"
    for key in ("first", "last"):
        if not _whole(data[key]) or not 0 <= data[key] <= net.last:
            raise bad(key, data[key], f"a whole number, {layers}")
    first, last = data["first"], data["last"]
    if first > last:
        raise bad("first", first, f"a layer before or equal to 'last' ({last})")
    # What the layer range says must agree with everything else the file says of it.
    span = list(range(first, last + 1))
    if "layers" in data:
        _check_layers(data["layers"], net, span, bad, source)
    if "stages" in data:
        _check_stages(data["stages"], net, span, bad, source)
    role = net.role(first, last)
    if data["role"] != role:
        raise bad("role", data["role"], f"{role!r}, the role of layers {first}-{last} ('first'..'last') "
                                        f"of {net.name}")
    words = data["words_per_image"]
    want = {"in": net.words_per_image(first - 1), "out": net.words_per_image(last)}
    if not isinstance(words, dict) or set(words) != set(want):
        raise bad("words_per_image", words, f"{{'in': {want['in']}, 'out': {want['out']}}} "
                                            f"(64-bit words per image in and out of layers {first}-{last})")
    for key, n in want.items():
        if not _whole(words[key]) or words[key] != n:
            what = "read" if key == "in" else "write"
            raise bad(f"words_per_image.{key}", words[key],
                      f"{n}: layers {first}-{last} of {net.name} {what} {n} words per image")
    if "expected_cycles" in data:
        cycles = data["expected_cycles"]
        if not isinstance(cycles, dict) or not all(_whole(cycles.get(k, 0)) and cycles.get(k, 0) >= 0
                                                   for k in ("sum", "initiation_interval")):
            raise bad("expected_cycles", cycles, "{'sum': cycles, 'initiation_interval': cycles, "
                                                 "'per_layer': {layer: cycles}, ...} of whole numbers >= 0")
        per_layer = cycles.get("per_layer")
        if per_layer is not None and (not isinstance(per_layer, dict) or sorted(per_layer, key=str)
                                      != sorted(map(str, span)) or not all(_whole(v) and v >= 0
                                                                           for v in per_layer.values())):
            raise bad("expected_cycles.per_layer", per_layer,
                      f"cycles (whole numbers >= 0) of the layers {first}-{last}, by layer")
    if "fifo_depths" in data:
        depths = data["fifo_depths"]
        if not isinstance(depths, dict) or not all(_positive_whole(v) for v in depths.values()):
            raise bad("fifo_depths", depths, "{fifo: depth} with depths whole numbers >= 1")
    return data


def _check_layers(entries, net, span: list[int], bad, source) -> None:
    shape = f"one entry per layer {span[0]}-{span[-1]}: {{'index': L, 'kind': ..., 'simd': S, 'pe': P, ...}}"
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise bad("layers", entries, f"a list of {shape}")
    indexes = [e.get("index") for e in entries]
    if indexes != span:
        raise BnnInputError(f"{source}: 'first'..'last' say layers {span[0]}-{span[-1]}, but field 'layers' "
                            f"lists layers {indexes}; they must agree (regenerate it with `make hls`)")
    for k, e in enumerate(entries):
        spec = net.layer(span[k])
        if e.get("kind") != spec.kind:
            raise bad(f"layers[{k}].kind", e.get("kind"), f"{spec.kind!r} (layer {spec.index} of {net.name})")
        for key, total, dim in (("simd", spec.mw, "MW"), ("pe", spec.mh, "MH")):
            v = e.get(key)
            if not _positive_whole(v) or total % v:
                raise bad(f"layers[{k}].{key}", v, f"a whole number >= 1 dividing {dim}={total} "
                                                    f"(layer {spec.index})")


def _check_stages(stages, net, span: list[int], bad, source) -> None:
    if not isinstance(stages, list):
        raise bad("stages", stages, "a list of {'name': ..., 'module': ..., 'params': {...}}")
    mvau_layers = []
    for k, st in enumerate(stages):
        if not isinstance(st, dict) or not isinstance(st.get("name"), str) \
                or not isinstance(st.get("module"), str) or not isinstance(st.get("params"), dict):
            raise bad(f"stages[{k}]", st, "{'name': str, 'module': str, 'params': {...}, ...}")
        params = st["params"]
        for key, v in params.items():
            if not _whole(v):
                raise bad(f"stages[{k}].params.{key}", v, f"a whole number (stage {st['name']})")
        if st["module"] == "stream_fifo":
            if not _positive_whole(params.get("DEPTH")):
                raise bad(f"stages[{k}].params.DEPTH", params.get("DEPTH"),
                          f"a whole number >= 1 (FIFO {st['name']})")
            if "image_words" in st and not _positive_whole(st["image_words"]):
                raise bad(f"stages[{k}].image_words", st["image_words"],
                          f"a whole number >= 1 (words of one image in FIFO {st['name']})")
        if st["module"] == "mvau":
            mvau_layers.append(params.get("LAYER"))
    if stages and mvau_layers != span:
        raise BnnInputError(f"{source}: 'first'..'last' say layers {span[0]}-{span[-1]}, but field 'stages' "
                            f"has MVAUs of layers {mvau_layers}; they must agree (regenerate it with `make hls`)")


def load(kernel: str | Path | KernelInfo) -> KernelInfo:
    """A kernel by name (a folder of hls_out/) or by its folder (holding kernel.json), its
    kernel.json checked (:func:`check`)."""
    if isinstance(kernel, KernelInfo):
        return kernel
    if not isinstance(kernel, (str, Path)) or not str(kernel).strip():
        raise BnnInputError(f"kernel {kernel!r}: expected the name of a kernel of hls_out/ or a kernel's "
                            f"folder; generated kernels: {', '.join(known())}")
    p = Path(kernel)
    if p.is_dir():
        path = p / "kernel.json"
    elif (HERE / str(kernel) / "kernel.json").is_file():
        path = HERE / str(kernel) / "kernel.json"
    elif p.exists():
        hint = f" (its folder: {p.parent})" if p.name == "kernel.json" else ""
        raise BnnInputError(f"kernel {str(kernel)!r} is a file; expected a kernel's folder{hint} or the "
                            f"name of a kernel of hls_out/: {', '.join(known())}")
    else:
        path = HERE / str(kernel) / "kernel.json"
    if not path.exists():
        raise BnnInputError(f"unknown kernel {str(kernel)!r}: no {path}; generated kernels: {', '.join(known())}")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BnnInputError(f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise BnnInputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return KernelInfo(path.parent, check(data, path))
