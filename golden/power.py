"""A board's power while it runs a kernel: a static part and a dynamic part in proportion to
the share of the fabric the kernel uses.

    P = idle_w + per_use_w x u,   u = (LUT share + BRAM share) / 2

The BNNsplit paper's Table I is the only power measured on these boards (PYNQ-Z1, whole board,
one kernel each); no data sheet gives either coefficient for this board and workload. So each
coefficient comes from ONE Table I row: `idle_w` from the part 2 (FC) kernel, the board with
the least fabric in use, extrapolated to none with `per_use_w`; `per_use_w` from the slope to
the full kernel. The third row, part 1 (conv), is the check (`tests/test_power.py`,
README "Power"): the model gives 1.778 W for its 1.823 W (-2.5%).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PowerModel:
    idle_w: float        # the board with no fabric in use (processing system, memory, regulators)
    per_use_w: float     # what a kernel adds per unit of fabric share u

    def board_w(self, lut_share: float, bram_share: float) -> float:
        """Watts of one board whose kernel uses these shares (0..1) of the fabric's LUTs and BRAM."""
        return self.idle_w + self.per_use_w * use(lut_share, bram_share)


def use(lut_share: float, bram_share: float) -> float:
    """The fabric share the dynamic part scales with: the mean of the LUT and BRAM shares."""
    return (lut_share + bram_share) / 2


def calibrate(anchor: tuple[float, float, float], slope_row: tuple[float, float, float]) -> PowerModel:
    """The model through two Table I rows (LUT share, BRAM share, watts): `anchor` sets the
    level, `slope_row` the dynamic coefficient."""
    ua, ub = use(anchor[0], anchor[1]), use(slope_row[0], slope_row[1])
    per_use = (slope_row[2] - anchor[2]) / (ub - ua)
    return PowerModel(idle_w=anchor[2] - per_use * ua, per_use_w=per_use)


def table_i_model(network) -> PowerModel | None:
    """The model of the PYNQ-Z1 from a network's Table I rows (None where the paper has none):
    the level from part 2, the slope to the full kernel."""
    rows = {k.name: (k.lut_pct / 100, k.bram_pct / 100, k.power_w) for k in network.paper_kernels}
    if "part2" not in rows or "full" not in rows:
        return None
    return calibrate(rows["part2"], rows["full"])


def for_board(board) -> PowerModel | None:
    """The power model of a platform (golden/platform.py): the PYNQ-Z1's from CNV-W2A2's
    Table I rows, the only ones measured; None for a board nobody measured."""
    if board.name != "pynq-z1":
        return None
    from golden.networks import cnv_w2a2
    return table_i_model(cnv_w2a2.NETWORK)
