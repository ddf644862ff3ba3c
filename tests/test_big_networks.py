"""Networks that do not fit one PYNQ-Z1, as QONNX models with seeded weights
(tests/qonnx_graphs.py BIG): planned by the exact search with per-stage folding, the stages no
board can hold reported, the finn-plus-style resource-only partition beside the planner's, and
the doubled CNV's 2-board plan co-simulated in RTL, bit-exact (slow set: more images, 3 and 4
boards)."""

from __future__ import annotations

import pytest

from golden import networks
from golden.onnx_import import import_model, write_import
from netsim.plan import Plan
from netsim.planner import Planner
from netsim.search import FINN_PLUS_MAX_UTILISATION, PlanSearch, balanced_partition, utilisation, why_not_fewer
from qonnx_graphs import BIG

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    out = {}
    for key in ("CNV2X", "CNV2X_W1A2", "VGG17"):
        model = BIG[key]().save(root / f"{key.lower()}.onnx")
        write_import(import_model(model), root / key.lower())
        out[key] = networks.get(str(root / key.lower()))
    return out


def test_doubled_cnv_w2a2_has_a_layer_no_board_holds(big):
    """Layer 5 of the doubled CNV-W2A2 (512 x 4608 ternary weights, 4.7 Mbit) needs more BRAM
    than a PYNQ-Z1's 140 tiles: reported, and no plan is made."""
    search = PlanSearch(Planner(big["CNV2X"]), refold=True)
    assert 5 in search.unfittable_layers()
    assert search.best_plan(16) is None


def test_doubled_cnv_w1a2_needs_two_boards_and_says_why(big):
    planner = Planner(big["CNV2X_W1A2"])
    search = PlanSearch(planner, refold=True)
    assert search.best_plan(1) is None
    plan = search.best_plan(2)
    assert plan is not None and plan.boards == 2
    assert "BRAM" in why_not_fewer(search, 1)
    # more boards, more images per second, on the Pareto front
    rates = [planner.predict(search.best_plan(b)).predicted_img_s for b in (2, 3, 4)]
    assert rates == sorted(rates) and rates[-1] > rates[0]


def test_vgg17_fewest_boards(big):
    planner = Planner(big["VGG17"])
    search = PlanSearch(planner, refold=True)
    fewest = next(b for b in range(1, 9) if search.best_plan(b) is not None)
    assert fewest >= 2
    assert "BRAM" in why_not_fewer(search, fewest - 1) or "split" in why_not_fewer(search, fewest - 1)


def test_refolding_never_loses_to_the_networks_own_folding(big):
    planner = Planner(big["CNV2X_W1A2"])
    for b in (2, 3, 4):
        fixed, refold = PlanSearch(planner).best_plan(b), PlanSearch(planner, True).best_plan(b)
        if fixed is not None:
            assert planner.predict(refold).predicted_img_s >= planner.predict(fixed).predicted_img_s * (1 - 1e-9)


def test_finn_plus_style_partition(big):
    """Balanced utilisation, every part within 80%, one board per part: the most utilised
    part as little utilised as any contiguous partition can make it (checked by brute force
    over the cuts), and never faster than the planner's plan on the same boards."""
    import itertools
    planner = Planner("cnvW2A2")
    net = planner.net
    for boards in (2, 3):
        plan = balanced_partition(planner, boards)
        assert plan is not None and plan.boards == boards
        worst = max(utilisation(planner, s.first, s.last) for s in plan.stages)
        assert worst <= FINN_PLUS_MAX_UTILISATION
        best = min(max(utilisation(planner, a, b - 1) for a, b in zip((0,) + cuts, cuts + (net.last + 1,)))
                   for cuts in itertools.combinations(range(1, net.last + 1), boards - 1))
        assert worst == pytest.approx(best)
        ours = PlanSearch(planner).best_plan(boards)
        assert planner.predict(ours).predicted_img_s >= planner.predict(plan).predicted_img_s


def _cosim(net, plan: str, images: int, tmp_path):
    from tb.jobs.cosim import CosimJob, run
    report = run(CosimJob(network=str(net.params_path), plan=plan, images=images, params=net.params_path,
                          out_dir=str(tmp_path)))
    assert report["lost"] == 0 and report["duplicated"] == 0, report.error
    assert report["mismatches"] == 0, report.errors
    return report


@pytest.mark.parametrize("boards,images", [(2, 2), pytest.param(2, 8, marks=pytest.mark.slow),
                                           pytest.param(3, 8, marks=pytest.mark.slow),
                                           pytest.param(4, 8, marks=pytest.mark.slow)])
def test_doubled_cnv_best_plan_in_rtl(big, boards, images, tmp_path):
    """The planner's best plan for the doubled CNV-W1A2 on this many boards, co-simulated:
    every image bit-exact at every cut (each board's outputs checked against golden), none lost."""
    net = big["CNV2X_W1A2"]
    planner = Planner(net)
    plan = PlanSearch(planner, refold=True).best_plan(boards)
    assert Plan.parse(str(plan), net.name) == plan
    report = _cosim(net, str(plan), images, tmp_path)
    assert report["images"] == images
