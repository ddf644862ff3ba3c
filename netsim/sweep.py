"""Parameter sweeps over BNNsplit system configurations, and the table they print.

The questions the BNNsplit paper answers with estimates (how much do 2 boards gain over one,
where does the FC board saturate as conv replicas are added, what does a slower link or a
heavier host stack cost) become sweeps here::

    points = sweep(TopologyConfig(topology="split", images=100),
                   {"replicas": [1, 2, 3, 4], "loss": [0.0, 0.05]})
    print(format_table(points))

Axis names are the flat field names accepted by :meth:`TopologyConfig.replace`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

from .config import TopologyConfig
from .simtime import PS_PER_S
from .topology import RunResult, run
from .transport import LinkFailure


@dataclass
class SweepPoint:
    params: dict[str, Any]
    config: TopologyConfig
    result: Optional[RunResult] = None
    error: Optional[str] = None  # a LinkFailure ends that point, not the sweep

    @property
    def ok(self) -> bool:
        return self.result is not None


def sweep(base: TopologyConfig, axes: Mapping[str, Sequence[Any]],
          runner: Callable[[TopologyConfig], RunResult] = run) -> list[SweepPoint]:
    """Run the cartesian product of ``axes`` (first axis varies slowest)."""
    names = list(axes)
    for name in names:
        if not len(axes[name]):
            raise ValueError(f"sweep axis {name!r} has no values")
    points = []
    for values in itertools.product(*(axes[n] for n in names)):
        params = dict(zip(names, values))
        cfg = base.replace(**params)
        point = SweepPoint(params, cfg)
        try:
            point.result = runner(cfg)
        except LinkFailure as e:
            point.error = str(e)
        points.append(point)
    return points


def _fmt_param(name: str, value: Any) -> str:
    if name.endswith("_ps"):
        us = value / 1e6
        return f"{us:g}us"
    if name == "rate_bps":
        return f"{value / 1e9:g}G"
    return f"{value:g}" if isinstance(value, float) else str(value)


COLUMNS = [
    # header, row key, format
    ("img/s", "throughput", "{:.1f}"),
    ("x first", "speedup", "{:.2f}"),
    ("resp s", "makespan_s", "{:.6f}"),
    ("lat mean ms", "lat_mean_s", "{:.3f}", 1e3),
    ("lat max ms", "lat_max_s", "{:.3f}", 1e3),
    ("busy max", "busy_max", "{:.1%}"),
    ("link max", "link_max", "{:.2%}"),
    ("frames", "frames", "{}"),
    ("retrans", "retrans", "{}"),
    ("lost", "lost", "{}"),
    ("fcs drop", "corrupt_drop", "{}"),
]


def rows(points: Sequence[SweepPoint]) -> list[dict[str, Any]]:
    """Flat dicts (params + numbers) for JSON output or further analysis."""
    base = next((p.result.throughput for p in points if p.ok), None)
    out = []
    for p in points:
        row = {k: v for k, v in p.params.items()}
        if p.ok:
            row.update(p.result.row())
            row["speedup"] = p.result.throughput / base if base else float("nan")
        else:
            row["error"] = p.error
        out.append(row)
    return out


def format_table(points: Sequence[SweepPoint]) -> str:
    names = list(points[0].params) if points else []
    headers = names + [c[0] for c in COLUMNS]
    body = []
    for p, row in zip(points, rows(points)):
        cells = [_fmt_param(n, p.params[n]) for n in names]
        if p.ok:
            for col in COLUMNS:
                val = row[col[1]] * (col[3] if len(col) > 3 else 1)
                cells.append(col[2].format(val))
        else:
            cells.append("FAILED: " + (p.error or "")[:100])
        body.append(cells)
    widths = [max([len(h)] + [len(r[i]) for r in body if i < len(r)]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    for cells in body:
        out.append(line(cells) if len(cells) == len(headers) else
                   "  ".join(c.rjust(w) for c, w in zip(cells[:len(names)], widths)) + "  " + cells[-1])
    return "\n".join(out)


def steady_state_estimate(config: TopologyConfig) -> float:
    """Analytic upper bound on throughput (img/s) from kernel timing alone, ignoring the network.

    Each board serves one kernel run at a time; with batch B a run of B images takes
    latency + (B-1) * interval. A stage of N replicas serves N times its board's rate; the
    slowest stage bounds the system (split: min(N x conv rate, FC rate)).
    """
    def rate(first: int, last: int) -> float:
        return config.batch * PS_PER_S / config.timing(first, last).batch_ps(config.batch)

    return min(st.replicas * rate(st.first, st.last) for st in config.stages)