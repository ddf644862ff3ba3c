"""The result of every simulation run, one shape for all: a kernel run (`report.json`), a
co-simulation of a system (`summary.json`), and what `make bench` reads back.

Common fields: what ran (`kind`, `network`, `kernel` or `topology`, `params`), how many
images and how many of them were wrong, lost or delivered twice, one entry per image, the
summary of each checkpoint's scoreboard, the errors, and the measured figures of the run
(`figures`, written at the top level of the JSON: e.g. `latency_cycles`,
`batch_interval_cycles` for a kernel, `throughput_img_s`, `frames` for a system).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class ImageResult:
    image: int
    match: bool
    predicted: int | None = None     # class the golden model gives (the host's rule)
    label: int | None = None         # the data set's label, where known
    latency_us: float | None = None  # submit -> scores at the host (systems)
    cycles: int | None = None        # start -> done of a run of this image alone (kernels)
    error: str | None = None         # first differing word, or why it is missing



@dataclass(kw_only=True)
class Result:
    kind: str                        # "kernel" or "system"
    network: str
    name: str                        # the kernel's name, or the topology's
    params: str                      # where the parameters came from
    per_image: list[ImageResult] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    duplicated: int = 0
    checkpoints: dict[str, dict] = field(default_factory=dict)   # Scoreboard.summary() by name
    errors: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def images(self) -> int:
        return len(self.per_image)

    @property
    def mismatches(self) -> int:
        """Images that reached a checkpoint with a wrong word, counted once per checkpoint."""
        return sum(c["mismatches"] for c in self.checkpoints.values())

    @property
    def error(self) -> str | None:
        return self.errors[0] if self.errors else None

    @property
    def ok(self) -> bool:
        return not (self.errors or self.mismatches or self.lost or self.duplicated)

    def __getitem__(self, key: str):
        """The JSON field `key` (so a Result reads like its report file)."""
        return self.to_json()[key]

    def to_json(self) -> dict:
        name_key = "kernel" if self.kind == "kernel" else "topology"
        out = {"kind": self.kind, "network": self.network, name_key: self.name, "params": self.params,
               "images": self.images, "mismatches": self.mismatches, "lost": len(self.lost),
               "lost_images": self.lost, "duplicated": self.duplicated, "error": self.error,
               "errors": self.errors, "checkpoints": self.checkpoints,
               "per_image": [asdict(im) for im in self.per_image],
               "complete": True}     # an interrupted run's file says false (tb/jobs/run_folder.py)
        clash = set(out) & set(self.figures)
        if clash:
            raise ValueError(f"figures {sorted(clash)} clash with the result's own fields")
        return out | self.figures

    @classmethod
    def from_json(cls, d: dict) -> "Result":
        kind = d["kind"]
        name_key = "kernel" if kind == "kernel" else "topology"
        common = {"kind", "network", name_key, "params", "images", "mismatches", "lost", "lost_images",
                  "duplicated", "error", "errors", "checkpoints", "per_image", "complete"}
        return cls(kind=kind, network=d["network"], name=d[name_key], params=d["params"],
                   per_image=[ImageResult(**im) for im in d["per_image"]], lost=list(d["lost_images"]),
                   duplicated=d["duplicated"], checkpoints=dict(d["checkpoints"]), errors=list(d["errors"]),
                   figures={k: v for k, v in d.items() if k not in common})

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=2))
        return path

    @classmethod
    def read(cls, path: str | Path) -> "Result":
        return cls.from_json(json.loads(Path(path).read_text()))
