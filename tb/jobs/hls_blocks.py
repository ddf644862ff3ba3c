"""What each kind of block of an HLS export costs (`make resources KERNEL_DIR=DIR BY_BLOCK=1`):
the export synthesized with its hierarchy kept, every module instance put under the finn-hlslib
block it implements, by its name, so that a user sees where real HLS RTL spends its LUTs and
flip-flops (the MVAUs, or the AXI adapter and the dataflow FIFOs around them) beside the
per-layer figures of this project's kernels (`make resources`).

A module whose name matches a block kind takes every cell below it; any other module keeps its
own cells under "other" (dataflow glue: loop processes, start FIFOs, the top's muxes) and its
children are looked at in turn. The kinds are tried in order, so the FIFOs inside the AXI
adapter stay with the adapter. Figures with the hierarchy kept are a little above the flattened
synthesis (no optimisation across module boundaries).
"""

from __future__ import annotations

import re

from tb.jobs import synth

# (kind, pattern on the module name), the first match wins
BLOCK_KINDS: tuple[tuple[str, str], ...] = (
    ("AXI master (m_axi)", r"m_axi"),
    ("AXI-Lite control", r"s_axi|control"),
    ("MVAU", r"Matrix_Vector|StreamingFCLayer"),
    ("sliding window", r"ConvolutionInputGen"),
    ("max pool", r"MaxPool"),
    ("width converter", r"DataWidthConverter|WidthAdjusted"),
    ("memory reader / writer", r"Mem2Stream|Stream2Mem"),
    ("parameter memories", r"weigh|thres"),
    ("stream FIFOs", r"fifo"),
)
OTHER = "other"


def kind_of(module: str) -> str | None:
    """The block kind a module's name (as synth.stat_modules gives it) says it implements,
    None when it says none."""
    name = module.split("\\")[-1]      # a parametrised module: $paramod$<hash>\<name>
    for kind, pattern in BLOCK_KINDS:
        if re.search(pattern, name, re.I):
            return kind
    return None


def by_block(stat: dict, top: str) -> dict[str, dict]:
    """Tally (synth.tally keys) per block kind of the hierarchy under `top` in a `stat -json`."""
    modules = synth.stat_modules(stat)
    if top not in modules:
        raise synth.SynthesisError(f"yosys statistics have no module {top!r}")
    cells: dict[str, dict[str, int]] = {}

    def add(kind: str, t: str, n: int) -> None:
        acc = cells.setdefault(kind, {})
        acc[t] = acc.get(t, 0) + n

    def walk(module: str, kind: str | None, times: int) -> None:
        for t, n in modules[module].items():
            if t in modules:
                walk(t, kind or kind_of(t), times * n)
            else:
                add(kind or OTHER, t, times * n)

    walk(top, kind_of(top), 1)
    order = [k for k, _ in BLOCK_KINDS] + [OTHER]
    return {k: synth.tally(cells[k]) for k in order if k in cells}
