"""The board power model (golden/power.py) against the BNNsplit paper's Table I: calibrated on
one row per coefficient, checked on the third; the planner's watts are the sum of its boards'."""

from __future__ import annotations

import pytest

from golden import networks, power
from golden.platform import platform
from netsim.plan import Plan
from netsim.planner import Planner


def _rows():
    return {k.name: k for k in networks.get("cnvW2A2").paper_kernels}


def test_the_calibration_rows_are_reproduced():
    model = power.for_board(platform("pynq-z1"))
    for name in ("part2", "full"):
        k = _rows()[name]
        assert model.board_w(k.lut_pct / 100, k.bram_pct / 100) == pytest.approx(k.power_w, abs=1e-9)


def test_the_third_row_is_the_check():
    """Part 1 (conv) was not used: within 5% of the paper's 1.823 W (measured: -2.5%)."""
    model = power.for_board(platform("pynq-z1"))
    k = _rows()["part1"]
    got = model.board_w(k.lut_pct / 100, k.bram_pct / 100)
    assert abs(got - k.power_w) <= 0.05 * k.power_w, got
    assert 0 < model.idle_w < k.power_w and model.per_use_w > 0


def test_plan_watts_add_up_over_boards():
    planner = Planner("cnvW2A2")
    one, three = (planner.predict(Plan.parse(t, "cnvW2A2")) for t in ("0-8x1", "0-5x2,6-8x1"))
    b = planner.board

    def board(stage):
        return planner.power.board_w(stage.resources["lut"] / b.lut, stage.resources["bram_tiles"] / b.bram_tiles)

    assert one.watts == pytest.approx(board(one.stages[0]))
    assert three.watts == pytest.approx(2 * board(three.stages[0]) + board(three.stages[1]))
    assert three.watts > one.watts


def test_no_model_for_an_unmeasured_board():
    assert power.for_board(type("B", (), {"name": "zcu104"})()) is None


def test_pareto_front_of_throughput_power_and_boards():
    from netsim.planner import pareto_power
    planner = Planner("cnvW2A2")
    preds = planner.rank(3)
    front = pareto_power(preds)
    names = {str(p.plan) for p in front}
    assert "0-5x2,6-8x1" in names          # the paper's 3-PYNQ split: fewer watts than 0-8x3
    for p in [q for q in preds if q.fits]:
        dominated = any(q.boards <= p.boards and q.predicted_img_s >= p.predicted_img_s and q.watts <= p.watts
                        and (q.boards, q.predicted_img_s, q.watts) != (p.boards, p.predicted_img_s, p.watts)
                        for q in preds if q.fits)
        assert (str(p.plan) in names) != dominated
