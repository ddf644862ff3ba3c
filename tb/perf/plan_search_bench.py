"""How fast the exact plan search is (netsim/search.py), for `make bench`: a 32-layer chain on
up to 16 boards (the target: under 10 s on this machine), the 17-layer VGG-style network with
per-stage refolding when it has been imported (build/imported-examples/vgg17), and the search
against enumeration on CNV-W2A2 (the same best plan, and the time of each)."""

from __future__ import annotations

import random
import time

from golden import netfile, networks
from golden.network import LayerSpec, Network, word_cuts
from golden.paths import BUILD
from netsim.planner import Planner
from netsim.search import PlanSearch, count_plans

TARGET_S = 10.0


def fc_chain(widths: list[int], name: str) -> Network:
    """A chain of fc layers of these widths (binarized input, ternary weights, 2-bit
    activations, the last layer's scores out) folded SIMD 8 x PE 4: the shape the plan search
    is timed and tested on."""
    specs = tuple(LayerSpec(i, "fc", widths[i], widths[i + 1], in_bits=1 if i == 0 else 2,
                            weight_kind="binary" if i == 0 else "ternary", thresholds=i < len(widths) - 2)
                  for i in range(len(widths) - 1))
    return Network(name=name, title=name, dataset="synthetic", classes=widths[-1], layers=specs,
                   default_folding=tuple((8, 4) for _ in specs), stream_depths={}, natural_cut=0,
                   kernel_prefix=name, input_format="bits", image_shape=(widths[0],), stream_rule="mvau")


def registered(net: Network, root) -> Network:
    """The network as a description folder under `root`, found by name like any imported one
    (so every process finds it)."""
    folder = root / net.name
    if not (folder / netfile.FILE_NAME).exists():
        netfile.write(net, folder)
    return networks.get(str(folder))


def deep_chain(layers: int = 32, seed: int = 1) -> Network:
    """`layers` fc layers of 256-1024 neurons, seeded, in build/bench/."""
    rng = random.Random(seed)
    widths = [1024] + [64 * rng.randint(4, 16) for _ in range(layers - 1)] + [64]
    return registered(fc_chain(widths, f"chain{layers}_s{seed}"), BUILD / "bench")


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bench_plan_search() -> dict:
    out: dict = {}
    net = deep_chain()
    for refold in (False, True):
        planner = Planner(net)
        plan, s = _timed(lambda: PlanSearch(planner, refold).best_plan(16))
        out[f"chain32_16boards{'_refold' if refold else ''}"] = {
            "layers": len(net), "boards": 16, "plans": count_plans(len(word_cuts(net)), 16), "wall_s": s,
            "plan": str(plan), "img_s": planner.predict(plan).predicted_img_s if plan else None}
    vgg = BUILD / "imported-examples" / "vgg17"
    if (vgg / netfile.FILE_NAME).exists():
        planner = Planner(str(vgg))
        plan, s = _timed(lambda: PlanSearch(planner, True).best_plan(16))
        out["vgg17_16boards_refold"] = {"layers": len(planner.net), "boards": 16, "wall_s": s, "plan": str(plan),
                                        "plans": count_plans(len(word_cuts(planner.net)), 16)}
    planner = Planner("cnvW2A2")
    ranked, t_enum = _timed(lambda: planner.rank(6))
    plan, t_search = _timed(lambda: PlanSearch(Planner("cnvW2A2")).best_plan(6))
    out["cnvW2A2_6boards"] = {"plans": len(ranked), "enumeration_s": t_enum, "search_s": t_search,
                              "same_best": str(plan) == str(ranked[0].plan), "plan": str(plan)}
    return out


def print_results(res: dict) -> None:
    print("\n(g) exact plan search (netsim/search.py), wall seconds")
    for name, r in res.items():
        if "wall_s" in r:
            ok = "" if "chain32" not in name else f" (target < {TARGET_S:g} s: {'met' if r['wall_s'] < TARGET_S else 'NOT met'})"
            print(f"    {name:<26} {r['layers']} layers, {r['boards']} boards, {r['plans']:,} plans: "
                  f"{r['wall_s']:.2f} s{ok}; {r['plan']}")
        else:
            print(f"    {name:<26} enumeration of {r['plans']} plans {r['enumeration_s']:.2f} s, search "
                  f"{r['search_s']:.2f} s ({r['enumeration_s'] / r['search_s']:.1f}x); same best plan: {r['same_best']}")


if __name__ == "__main__":
    print_results(bench_plan_search())
