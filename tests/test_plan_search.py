"""The exact plan search (netsim/search.py) against exhaustive enumeration (Planner.rank): the
same best plan on every BNN-PYNQ network and on random layer chains, boards and links; the
fewest boards for a target; layers no board can hold reported, never planned."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden import networks
from netsim.planner import Planner
from netsim.search import PlanSearch
from tb.perf.plan_search_bench import fc_chain, registered


def _key(p):
    """rank's order: fitting first, then img/s (to 1e-6), boards, latency."""
    return (not p.fits, -round(p.predicted_img_s, 6), p.boards, round(p.predicted_latency_us, 6))


def _same_best(planner: Planner, boards: int):
    ranked = planner.rank(boards)
    search = PlanSearch(planner)
    plan = search.best_plan(boards)
    if not ranked[0].fits:
        assert plan is None
        return None
    got = planner.predict(plan)
    assert got.fits
    assert _key(got) == _key(ranked[0]), (str(plan), str(ranked[0].plan))
    assert str(plan) in {str(p.plan) for p in ranked if _key(p) == _key(ranked[0])}
    return plan


@pytest.mark.parametrize("name", list(networks.NETWORKS))
@pytest.mark.parametrize("boards", [1, 3, 5])
def test_search_equals_enumeration_on_bnn_pynq(name, boards):
    _same_best(Planner(name), boards)


@pytest.mark.parametrize("gbps", [0.01, 0.1])
def test_search_equals_enumeration_when_cables_limit(gbps):
    """Slow cables make cuts and the host's cable the bottleneck instead of the boards."""
    _same_best(Planner("cnvW2A2", link_gbps=gbps), 4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(2, 6), boards=st.integers(1, 6), seed=st.integers(0, 10 ** 6),
       gbps=st.sampled_from([0.01, 0.1, 1.0]), batch=st.sampled_from([1, 4]))
def test_search_equals_enumeration_on_random_chains(tmp_path_factory, n, boards, seed, gbps, batch):
    import random
    rng = random.Random(seed)
    widths = [64 * rng.randint(1, 8) for _ in range(n)] + [64]
    net = registered(fc_chain(widths, f"chain_{n}_{seed}"), tmp_path_factory.getbasetemp())
    _same_best(Planner(net, link_gbps=gbps, batch=batch), boards)


def test_fewest_boards_for_a_target():
    planner = Planner("cnvW2A2")
    search = PlanSearch(planner)
    ranked = [p for p in planner.rank(6) if p.fits]
    for target in (150.0, 300.0, 500.0, 700.0):
        plan = search.min_boards(target, 6)
        reaching = [p for p in ranked if round(p.predicted_img_s, 6) >= round(target, 6)]
        if not reaching:
            assert plan is None
            continue
        got = planner.predict(plan)
        assert got.predicted_img_s >= target * (1 - 1e-9)
        assert got.boards == min(p.boards for p in reaching)


def test_a_layer_no_board_holds_is_reported_not_planned(tmp_path):
    # 8192 x 8192 ternary weights: 16 Mbit, far beyond a PYNQ-Z1's 140 BRAM tiles
    net = registered(fc_chain([1024, 8192, 8192, 64], "too_big"), tmp_path)
    search = PlanSearch(Planner(net))
    assert 1 in search.unfittable_layers()
    assert search.best_plan(8) is None
