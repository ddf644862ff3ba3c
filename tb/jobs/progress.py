"""A progress bar on the terminal for a simulation whose own output goes to a log.

The bench inside the simulator writes `progress.json` ({"done", "total", "sim_ps"}) as images
complete (:func:`report`); the host side shows it with :class:`ProgressBar`, a thread that
reads the file twice a second: images done, simulated time, images per wall second, ETA.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path


def report(path: str | Path | None, done: int, total: int, sim_ps: int, unit: str = "images") -> None:
    """Inside the simulator: record progress (atomically: write, then rename). `unit` names
    what is counted (images, parameter words): a new unit starts a new phase of the bar."""
    if not path:
        return
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps({"done": done, "total": total, "sim_ps": sim_ps, "unit": unit}))
    tmp.replace(path)


class ProgressBar:
    def __init__(self, path: Path, total: int, label: str, stream=None, period_s: float = 0.5):
        self.path, self.total, self.label = Path(path), total, label
        self.stream, self.period_s = stream or sys.stdout, period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()
        self._shown = False
        self._unit = "images"

    def __enter__(self) -> "ProgressBar":
        self.path.unlink(missing_ok=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._draw(final=True)

    def _read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def _draw(self, final: bool = False) -> None:
        p = self._read()
        el = time.perf_counter() - self._t0
        if p is None:
            if not final:
                self.stream.write(f"\r{self.label}: building and starting ({el:.0f} s)")
                self.stream.flush()
                self._shown = True
            elif self._shown:
                self.stream.write("\n")
            return
        unit = p.get("unit", "images")
        if unit != self._unit:          # a new phase (parameter words, then images): its own rate
            if self._shown:
                self.stream.write("\n")
            self._unit, self._t0 = unit, time.perf_counter()
            el = 0.0
        done, total = p["done"], p["total"] or self.total
        rate = done / el if el > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        bar = int(30 * done / total) if total else 0
        per = "img" if unit == "images" else "words"
        sim = f"sim {p['sim_ps'] / 1e9:.2f} ms, " if p.get("sim_ps") else ""
        self.stream.write(f"\r{self.label}: [{'#' * bar}{'.' * (30 - bar)}] {done}/{total} {unit}, "
                          f"{sim}{rate:.{2 if per == 'img' else 0}f} {per}/s, ETA {eta:.0f} s   ")
        if final:
            self.stream.write("\n")
        self.stream.flush()
        self._shown = True

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self._draw()
