"""Partition plans: parsing, the paper's shorthand, clear errors, and the timed model of any plan."""

import pytest

from netsim.config import ConfigError, TopologyConfig
from netsim.plan import Plan, PlanError, Stage
from netsim.sweep import steady_state_estimate
from netsim.topology import run


def test_parse_and_print():
    p = Plan.parse("0-3x2, 4-5x2,6-8", "cnvW2A2")
    assert p.stages == (Stage(0, 3, 2), Stage(4, 5, 2), Stage(6, 8, 1))
    assert str(p) == "0-3x2,4-5x2,6-8x1" and p.boards == 5
    assert [p.role(s) for s in range(3)] == ["part1", "middle", "part2"]


def test_paper_shorthand():
    assert str(Plan.paper("cnvW2A2", 3)) == "0-5x2,6-8x1"
    assert str(Plan.paper("cnvW2A2", 1)) == "0-8x1"


@pytest.mark.parametrize("text,message", [
    ("0-3x2,5-8x1", "a gap after layer 3"),
    ("0-5x1,4-8x1", "an overlap after layer 5"),
    ("0-5x0,6-8x1", "replicas must be at least 1"),
    ("0-5x1,6-9x1", "has layers 0-8, not 9"),
    ("0-5x1", "ends at layer 5"),
    ("1-8x1", "must start at layer 0"),
    ("0-5x1,6-", "expected FIRST-LAST"),
    ("0-5x1,8-6x1", "first layer 8 is after last layer 6"),
])
def test_bad_plans_are_clear_errors(text, message):
    with pytest.raises(PlanError, match=message):
        Plan.parse(text, "cnvW2A2")


def test_unknown_network_lists_the_known_ones():
    with pytest.raises(PlanError, match="known networks: .*cnvW2A2"):
        Plan.parse("0-8x1", "cnvW9A9")
    with pytest.raises(ConfigError, match="plan: .*gap"):
        TopologyConfig(plan="0-2x1,4-8x1").validate()


def test_boards_and_roles_of_a_plan():
    cfg = TopologyConfig(plan="0-3x2,4-5x1,6-8x1")
    assert [(b.name, b.stage, b.role) for b in cfg.boards] == [
        ("s0b0", 0, "part1"), ("s0b1", 0, "part1"), ("s1b0", 1, "middle"), ("s2b0", 2, "part2")]
    # The shorthands keep the paper's board names.
    assert TopologyConfig(topology="split-3").board_names == ["conv0", "conv1", "fc"]


def test_any_plan_runs_and_agrees_with_the_full_network():
    """The timed model's stand-in computations compose per layer, so every plan of the same
    network must deliver the same scores for the same images, in order, each once."""
    results = {p: run(TopologyConfig(plan=p, images=9, seed=3)) for p in ("0-8x1", "0-5x2,6-8x1", "0-1x3,2-5x2,6-7x1,8-8x2")}
    ref = results["0-8x1"].scores
    for p, r in results.items():
        assert r.mismatches == [] and r.scores == ref, p
        assert sorted(r.arrival_order) == list(range(9)), p   # every image once


def test_steady_state_estimate_is_the_slowest_stage():
    cfg = TopologyConfig(plan="0-3x2,4-5x1,6-8x1", images=4)
    rates = [st.replicas * 1e12 / cfg.timing(st.first, st.last).batch_ps(1) for st in cfg.stages]
    assert steady_state_estimate(cfg) == pytest.approx(min(rates))
