"""The exact plan search: the planner's best plan without enumerating every plan.

Enumeration (`Planner.rank`) predicts every set of cuts and every replica count: fine for the
4-9 layers of BNN-PYNQ, hopeless past a few dozen layers and boards. The planner's prediction
of a plan decomposes over its stages, which is what makes a dynamic program exact:

    img/s(plan) = min(host, min over stages s of min(R_s x rate(s), cut(s)))

where `rate(s)` is one board's rate on the stage's layers (`Planner.stage`), `cut(s)` the cable
rate of the tensor leaving it (none after the last stage) and `host` the host's cable and
software, the same for every plan. So, over the layer chain's allowed cut points
(golden.network.word_cuts):

1. best[q][n], the highest bottleneck of layers 0..q-1 on exactly n boards, is the max over the
   last stage p..q-1 and its replicas r of min(best[p][n - r], r x rate(p, q-1), cut(q-1)),
   over stages that fit a board; the best throughput T is min(host, max_n best[L][n]);
2. among plans reaching T (rounded as `rank` rounds, to 1e-6 img/s), the fewest boards, then the
   lowest single-image latency, which adds up over stages (each stage's latency and the message
   it sends): a shortest-path program over the same chain.

That is `rank`'s order (fitting plans by img/s, then boards, then latency), so the result is
one of the plans enumeration puts first (tests/test_plan_search.py checks it on every BNN-PYNQ
network and on random chains). Stage facts are computed once per layer range, and only for
ranges that fit a board, so a 32-layer network on 16 boards takes seconds.

`min_boards(target)` answers the other question: the fewest boards that reach `target` img/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from golden.network import word_cuts

from .plan import Plan, Stage
from .planner import Planner, PlanPrediction, message_wire_bytes


@dataclass(frozen=True)
class RangeFacts:
    first: int
    last: int
    fits: bool
    fold: int                   # the stage's @N: images per second its layers are folded for (0: the network's)
    rate: float                 # one board's images per second on these layers
    cut_rate: float             # the cable's images per second for the tensor leaving them (inf: the output)
    latency_ps: float           # one image: the stage's start and the message it sends on


# Per-stage folding (`refold`): the targets a stage's layers are tried at, as multiples of the
# stage's rate in the network's own folding (steps of sqrt(2), up to 64x).
REFOLD_STEPS = tuple(2 ** (k / 2) for k in range(1, 13))


def boundaries(net) -> list[int]:
    """Where a stage may start (and the one after the last layer): 0 and after every allowed
    cut (golden.network.word_cuts)."""
    return [0] + [c + 1 for c in word_cuts(net)] + [net.last + 1]


class PlanSearch:
    def __init__(self, planner: Planner, refold: bool = False):
        """`refold`: each stage's layers may be refolded (a plan stage's @N) so that a board
        spends what its stage leaves free on more SIMD / PE: the widest folding of the
        REFOLD_STEPS ladder that still fits the board (found by bisection: a wider folding
        never takes less of the board), if the planner predicts it faster than the network's."""
        self.planner = planner
        self.net = planner.net
        self.refold = refold
        self.bounds = boundaries(self.net)
        self._facts: dict[tuple[int, int], RangeFacts] = {}
        self.host = planner.host_img_s()

    # ------------------------------------------------------------------ per layer range
    def _measure(self, first: int, last: int, fold: int) -> RangeFacts:
        p = self.planner
        sp = p.stage(Stage(first, last, 1, fold))
        out = math.inf if last == self.net.last else p.cable_img_s(sp.bytes_out)
        lat = sp.start_cycles / p.board.clock_hz * 1e12 + p.message_ps(sp.bytes_out)
        return RangeFacts(first, last, True, fold, sp.img_s, out, lat)

    def facts(self, first: int, last: int) -> RangeFacts:
        key = (first, last)
        if key not in self._facts:
            p = self.planner
            base = self._measure(first, last, 0) if p.range_fits(first, last) else None
            best = base
            if self.refold:
                # the ladder from this stage's own rate (or, if it does not fit as folded, the
                # rate of its slowest layer at one MAC per cycle): the widest folding that fits
                start = base.rate if base else self._floor_rate(first, last)
                ladder = [max(1, round(start * k)) for k in REFOLD_STEPS]
                # wider folding takes more of the board: the last rung that fits, by bisection
                lo, hi = 0, len(ladder)            # rungs below lo fit, rungs from hi on do not
                while lo < hi:
                    mid = (lo + hi) // 2
                    if p.range_fits(first, last, ladder[mid]):
                        lo = mid + 1
                    else:
                        hi = mid
                if lo:
                    cand = self._measure(first, last, ladder[lo - 1])
                    if best is None or cand.rate > best.rate:
                        best = cand
            self._facts[key] = best or RangeFacts(first, last, False, 0, 0.0, 0.0, math.inf)
        return self._facts[key]

    def _floor_rate(self, first: int, last: int) -> float:
        from golden.folding import layer_cycles
        slowest = max(layer_cycles(self.net.layer(i), 1, 1) for i in range(first, last + 1))
        return self.planner.board.clock_hz / slowest

    def unfittable_layers(self) -> list[int]:
        """Layers no board can hold even alone (reported, never planned)."""
        return [i for i in range(self.net.last + 1) if not self.facts(i, i).fits]

    def _stages(self, q: int):
        """(p, facts) of every fitting stage that ends just before boundary q."""
        for p in self.bounds:
            if p >= q:
                break
            f = self.facts(p, q - 1)
            if f.fits:
                yield p, f

    # ------------------------------------------------------------------ the programs
    def best_throughput(self, max_boards: int) -> float:
        """T: the highest img/s any fitting plan on at most `max_boards` boards reaches (0: none fits)."""
        neg = -1.0
        best = {(0, 0): math.inf}
        for q in self.bounds[1:]:
            for n in range(1, max_boards + 1):
                v = neg
                for p, f in self._stages(q):
                    for r in range(1, n + 1):
                        prev = best.get((p, n - r), neg)
                        if prev <= v:
                            continue
                        v = max(v, min(prev, r * f.rate, f.cut_rate))
                if v > neg:
                    best[(q, n)] = v
        end = self.bounds[-1]
        top = max((best.get((end, n), neg) for n in range(1, max_boards + 1)), default=neg)
        return min(self.host, top) if top > neg else 0.0

    def best_plan(self, max_boards: int, target: float | None = None) -> Plan | None:
        """The plan `rank` puts first: the highest img/s (or at least `target`), then the fewest
        boards, then the lowest latency. None when no plan fits."""
        t = self.best_throughput(max_boards) if target is None else target
        if t <= 0:
            return None
        goal = round(min(t, self.host), 6)
        if round(self.host, 6) < goal:
            return None

        def replicas(f: RangeFacts) -> int | None:
            """The fewest replicas that carry the goal (None: none can: the cable cannot)."""
            if round(min(self.host, f.cut_rate), 6) < goal:
                return None
            r = max(1, math.ceil(goal / f.rate) - 1)
            while round(min(self.host, r * f.rate, f.cut_rate), 6) < goal:
                r += 1
            return r

        # (boards, latency) to each boundary, and how it was reached
        cost = {0: (0, 0.0)}
        back: dict[int, tuple[int, int]] = {}
        for q in self.bounds[1:]:
            for p, f in self._stages(q):
                if p not in cost:
                    continue
                r = replicas(f)
                if r is None:
                    continue
                b, lat = cost[p]
                cand = (b + r, lat + f.latency_ps)
                if cand[0] <= max_boards and (q not in cost or cand < cost[q]):
                    cost[q], back[q] = cand, (p, r, f.fold)
        end = self.bounds[-1]
        if end not in cost:
            return None
        stages, q = [], end
        while q:
            p, r, fold = back[q]
            stages.append(Stage(p, q - 1, r, fold))
            q = p
        return Plan(self.net.name, tuple(reversed(stages)))

    def min_boards(self, target_img_s: float, max_boards: int) -> Plan | None:
        """The fewest boards (then the lowest latency) whose plan reaches `target_img_s`."""
        return self.best_plan(max_boards, target=target_img_s)

    def predict(self, plan: Plan) -> PlanPrediction:
        return self.planner.predict(plan)


# ---- the command's search mode ----------------------------------------------------------------
ENUMERATION_LIMIT = 20000      # more plans than this: `netsim plan` searches instead of enumerating


def count_plans(n_cuts: int, max_boards: int) -> int:
    """Plans of at most `max_boards` boards over a chain with `n_cuts` allowed cut points:
    for k stages, C(n_cuts, k-1) sets of cuts times the replica counts of k stages on k..N boards."""
    total = 0
    for k in range(1, min(max_boards, n_cuts + 1) + 1):
        reps = sum(math.comb(t - 1, k - 1) for t in range(k, max_boards + 1))
        total += math.comb(n_cuts, k - 1) * reps
    return total


def _share(used: float, capacity: float) -> str:
    return f"{used:g} ({100 * used / capacity:.1f}%)"


def why_not_fewer(search: PlanSearch, boards: int) -> str:
    """Why no plan of `boards` boards fits: what the whole network needs against what that
    many boards have (and that the exact search found no contiguous split that fits)."""
    from hls_out.resources import stage_resources
    p = search.planner
    net, b = search.net, p.board
    whole = stage_resources(net, 0, net.last, p.synthesized, p.mac)
    parts = [f"{name} {need:g} of {cap * boards:g}" for name, need, cap in
             (("LUT", whole.lut, b.lut), ("BRAM tiles", whole.bram_tiles, b.bram_tiles), ("DSP48E1", whole.dsp, b.dsp))]
    over = [name for name, need, cap in (("LUT", whole.lut, b.lut), ("BRAM", whole.bram_tiles, b.bram_tiles),
                                          ("DSP", whole.dsp, b.dsp)) if need > cap * boards]
    reason = (f"the network needs more {' and '.join(over)} than {boards} board(s) have" if over else
              "no contiguous split into that many boards puts every part within one board")
    return f"{boards} board(s): {reason} (whole network: {', '.join(parts)})"


def report(planner: Planner, max_boards: int, target_img_s: float | None = None, refold: bool = False) -> dict:
    """The search mode of `python -m netsim plan`: the fewest boards that fit and why, the
    best plan for each board count (the Pareto front), and the fewest boards for a target."""
    from .planner import MAC_NAMES, format_board_resources, format_table
    search = PlanSearch(planner, refold)
    net, board = planner.net, planner.board
    n = count_plans(len(search.bounds) - 2, max_boards)
    print(f"{net.name} on up to {max_boards} {board.name} boards ({board.part}, {board.bram_tiles} BRAM tiles, "
          f"{board.lut} LUTs, {board.dsp} DSP48E1), {planner.link.rate_bps / 1e9:g} Gb/s, numReps = {planner.batch}, "
          f"{MAC_NAMES[planner.mac]} MACs: {n} plans, searched exactly (netsim/search.py), not enumerated")
    doc: dict = {"network": net.name, "board": board.name, "boards": max_boards, "plans": n, "search": "exact"}
    alone = search.unfittable_layers()
    if alone:
        print(f"layers no {board.name} can hold even alone (never planned): {', '.join(map(str, alone))}")
        doc["unfittable_layers"] = alone
    best_by_boards = []
    for b in range(1, max_boards + 1):
        plan = search.best_plan(b)
        if plan is not None and (not best_by_boards or plan.boards != best_by_boards[-1].boards):
            best_by_boards.append(planner.predict(plan))
    if not best_by_boards:
        print(f"no plan on {max_boards} board(s) fits: {why_not_fewer(search, max_boards)}")
        doc["fewest_boards"] = None
        return doc
    fewest = best_by_boards[0]
    print(f"\nfewest boards that fit: {fewest.boards} ({fewest.plan})")
    if fewest.boards > 1:
        print(f"  not {fewest.boards - 1}: {why_not_fewer(search, fewest.boards - 1)}")
    front = [p for i, p in enumerate(best_by_boards)
             if i == 0 or p.predicted_img_s > best_by_boards[i - 1].predicted_img_s * (1 + 1e-9)]
    print("\nbest plan for each number of boards (the Pareto front of boards vs img/s):")
    print(format_table(front))
    print(f"\nresources per board ({' / '.join(MAC_NAMES[m] for m in ('lut', 'dsp'))} MACs):")
    print(format_board_resources(front, board))
    doc.update(fewest_boards=fewest.boards, pareto=[p.to_json() for p in front])
    if target_img_s is not None:
        plan = search.min_boards(target_img_s, max_boards)
        if plan is None:
            print(f"\n{target_img_s:g} img/s: no plan of at most {max_boards} boards reaches it")
            doc["target"] = {"img_s": target_img_s, "plan": None}
        else:
            got = planner.predict(plan)
            print(f"\n{target_img_s:g} img/s: fewest boards {got.boards}: {plan} ({got.predicted_img_s:.1f} img/s)")
            doc["target"] = {"img_s": target_img_s, "plan": got.to_json()}
    return doc


# ---- a resource-only partition, as finn-plus makes them -----------------------------------------
FINN_PLUS_MAX_UTILISATION = 0.8


def utilisation(planner: Planner, first: int, last: int, fold: int = 0) -> float:
    """A stage's largest share of one board's LUTs, BRAM or DSP48E1 (its layers folded for
    `fold` img/s; 0: the network's own folding)."""
    from hls_out.resources import stage_resources
    b = planner.board
    r = stage_resources(planner.net, first, last, planner.synthesized, planner.mac,
                        planner.folding(first, last, fold)).on(b)
    return max(r.lut / b.lut, r.bram_tiles / b.bram_tiles, r.dsp / b.dsp if b.dsp else 0.0)


def finn_plus_plan(planner: Planner, boards: int, cap: float = FINN_PLUS_MAX_UTILISATION) -> Plan | None:
    """finn-plus's flow at its best on `boards` boards: the whole network folded for one
    target (FINN's SetFolding: the same rule as @N), then cut by resources alone
    (`balanced_partition`); the highest target of the REFOLD_STEPS ladder (from the network's
    own folding's rate) for which such a partition exists. None: not even the network's own
    folding can be cut that way."""
    best = balanced_partition(planner, boards, cap)
    base = planner.stage(Stage(0, planner.net.last, 1)).img_s
    for k in REFOLD_STEPS:
        plan = balanced_partition(planner, boards, cap, max(1, round(base * k)))
        if plan is None:
            break
        best = plan
    return best


def balanced_partition(planner: Planner, boards: int, cap: float = FINN_PLUS_MAX_UTILISATION,
                       fold: int = 0) -> Plan | None:
    """The partition finn-plus's MILP aims at: the layers cut into exactly `boards` contiguous
    parts, one board each, no replicas, one folding for the whole network (`fold` img/s, 0:
    the network's own), every part within `cap` of any resource and the most utilised part as
    little utilised as possible (balanced utilisation), throughput not considered. None: no
    such partition."""
    bounds = boundaries(planner.net)
    best = {(0, 0): (0.0, None)}
    for n in range(1, boards + 1):
        for q in bounds[1:]:
            cand = None
            for p in bounds:
                if p >= q or (p, n - 1) not in best:
                    continue
                u = utilisation(planner, p, q - 1, fold)
                if u > cap:
                    continue
                v = max(best[(p, n - 1)][0], u)
                if cand is None or v < cand[0]:
                    cand = (v, p)
            if cand:
                best[(q, n)] = cand
    end = bounds[-1]
    if (end, boards) not in best:
        return None
    stages, q, n = [], end, boards
    while q:
        p = best[(q, n)][1]
        stages.append(Stage(p, q - 1, 1, fold))
        q, n = p, n - 1
    return Plan(planner.net.name, tuple(reversed(stages)))


def wanted(args) -> bool:
    """Whether `python -m netsim plan` searches: asked to (--search, --refold, --target-img-s),
    or more plans than ENUMERATION_LIMIT."""
    from golden import networks
    if args.search or args.refold or args.target_img_s is not None:
        return True
    return count_plans(len(word_cuts(networks.get(args.network))), args.boards) > ENUMERATION_LIMIT


def main(args) -> int:
    """The search mode of `python -m netsim plan` (arguments from netsim.cli)."""
    import json
    from pathlib import Path
    if args.verify:
        raise ValueError("--verify co-simulates enumerated plans; co-simulate a searched one with "
                         "`make sim NETWORK=... PLAN=...`")
    doc = report(Planner.from_args(args), args.boards, args.target_img_s, args.refold)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2))
        print(f"json: {args.json}")
    return 0
