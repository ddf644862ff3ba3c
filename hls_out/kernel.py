"""A generated kernel describes itself: `kernel.json` next to its top, read here and nowhere
else (`load("cnv_part2")` or a path). Everything about a kernel that a testbench, a topology
or a report needs — its network, layer range, role, words per image, stages, FIFO depths,
expected cycles — comes from this object."""

from __future__ import annotations

import json
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
        return self.data["network"]

    @cached_property
    def network(self):
        from golden import networks
        return networks.get(self.network_name)

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


def fifos(data: dict) -> list[FifoPorts]:
    """The FIFOs of a kernel described by `data` (its kernel.json), in stream order."""
    out = []
    for k, st in enumerate(data.get("stages", [])):
        if st["module"] == "stream_fifo":
            tag = st["name"].removeprefix("fifo_")
            out.append(FifoPorts(st["name"], int(st["params"]["DEPTH"]), st.get("image_words"),
                                 f"s{k}_tready", f"s{k + 1}_tvalid", f"fifo_count_{tag}"))
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


def load(kernel: str | Path | KernelInfo) -> KernelInfo:
    """A kernel by name (a folder of hls_out/), by its folder or by its kernel.json path."""
    if isinstance(kernel, KernelInfo):
        return kernel
    p = Path(kernel)
    if p.suffix == ".json":
        path = p
    elif p.is_dir():
        path = p / "kernel.json"
    else:
        path = HERE / str(kernel) / "kernel.json"
    if not path.exists():
        raise BnnInputError(f"unknown kernel {str(kernel)!r}: no {path}; generated kernels: {', '.join(known())}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BnnInputError(f"{path}: not valid JSON ({exc})") from None
    missing = [k for k in ("name", "top", "network", "first", "last", "role", "words_per_image") if k not in data]
    if missing:
        raise BnnInputError(f"{path}: missing {', '.join(missing)} (regenerate it with `make hls`)")
    return KernelInfo(path.parent, data)
