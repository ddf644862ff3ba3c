"""Partition plans: a network cut into stages, each a contiguous range of layers run by one
kernel on `replicas` boards (DESIGN.md, "Partition plans").

    Plan.parse("0-3x2,4-5x2,6-8x1", "cnvW2A2")   # stages as first-last and x replicas
    Plan.parse("0-5x2,6-8x1@700", "cnvW2A2")     # @N: that stage's layers folded for N img/s
    Plan.paper("cnvW2A2", boards=3)              # the paper's shorthand: conv x 2 + FC x 1

The paper's 3-PYNQ system is `0-5x2,6-8x1`; one full board is `0-8x1`. Errors name what is
wrong: a blank plan, a gap or an overlap between stages, zero replicas, more boards or
connections than the simulated Ethernet can address, a layer the network does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from golden.errors import BnnInputError

# ASCII digits only: `\d` would also take other scripts' digits, which int() reads.
_STAGE = re.compile(r"^\s*([0-9]+)\s*-\s*([0-9]+)\s*(?:x\s*([0-9]+))?\s*(?:@\s*([0-9]+))?\s*$")
_EXAMPLE = "0-5x2,6-8x1"

# The simulated Ethernet (netsim/network.py) gives node i (the host first, then each board)
# the address 10.0.0.<i+1> of one /24 and connection k the ports 49152 + 2k and 49153 + 2k.
MAX_BOARDS = 253
MAX_CONNECTIONS = (65535 - 49153) // 2 + 1     # 8192
_WHY_BOARDS = ("the simulated Ethernet gives each node one address of 10.0.0.0/24: the host "
               "10.0.0.1, the boards 10.0.0.2-10.0.0.254")
_WHY_CONNECTIONS = "each connection takes a pair of the ports 49152-65535"


class PlanError(BnnInputError):
    """A partition plan that cannot be (a BnnInputError, so a ValueError too)."""


@dataclass(frozen=True)
class Stage:
    first: int
    last: int
    replicas: int = 1
    # Images per second its layers are folded for (golden/folding.py, FINN's SetFolding rule:
    # the smallest SIMD / PE per layer that meets it); 0: the network's own folding.
    fold: int = 0

    def __str__(self) -> str:
        return f"{self.first}-{self.last}x{self.replicas}" + (f"@{self.fold}" if self.fold else "")


def connections(replicas: list[int] | tuple[int, ...]) -> int:
    """Connections a system with these replicas per stage opens: the host to each board of
    the first stage, each board of a stage to each board of the next, each board of the last
    stage to the host."""
    return replicas[0] + sum(a * b for a, b in zip(replicas, replicas[1:])) + replicas[-1]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class Plan:
    network: str
    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        net = _network(self.network)
        if not isinstance(self.stages, tuple) or not all(isinstance(s, Stage) for s in self.stages):
            raise PlanError(f"a plan's stages are a tuple of Stage, got {self.stages!r}")
        if not self.stages:
            raise PlanError("a plan has at least one stage")
        if len(self.stages) > len(net):
            raise PlanError(f"a plan of {len(self.stages)} stages; {net.name} has {len(net)} layers "
                            f"(0-{net.last}), so at most {len(net)} stages of one layer or more")
        expect = boards = 0
        for k, s in enumerate(self.stages):
            for name in ("first", "last", "replicas", "fold"):
                value = getattr(s, name)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise PlanError(f"stage {k}: {name} must be a whole number, got {value!r}")
            if s.replicas < 1:
                raise PlanError(f"stage {k} ({s}): replicas must be at least 1, got {s.replicas}")
            if s.fold < 0:
                raise PlanError(f"stage {k} ({s}): @N folds its layers for N images per second, N >= 1")
            boards += s.replicas
            if s.replicas > MAX_BOARDS or boards > MAX_BOARDS:
                what = (f"{s.replicas} replicas" if s.replicas > MAX_BOARDS
                        else f"{boards} boards in stages 0-{k}")
                raise PlanError(f"stage {k} ({_short(str(s))}): {what}; a plan has at most {MAX_BOARDS} "
                                f"boards in all: {_WHY_BOARDS}")
            if s.first < 0:
                raise PlanError(f"stage {k} ({s}): {net.name} has layers 0-{net.last}, not {s.first}")
            if s.first > s.last:
                raise PlanError(f"stage {k} ({s}): first layer {s.first} is after last layer {s.last}")
            if s.last > net.last:
                raise PlanError(f"stage {k} ({s}): {net.name} has layers 0-{net.last}, not {s.last}")
            if s.first != expect:
                what = "a gap" if s.first > expect else "an overlap"
                raise PlanError(f"stage {k} ({s}) starts at layer {s.first}: {what} after layer {expect - 1}; "
                                f"stages must cover 0-{net.last} contiguously" if expect else
                                f"stage 0 ({s}) must start at layer 0")
            expect = s.last + 1
        if expect != net.last + 1:
            raise PlanError(f"the plan ends at layer {expect - 1}; {net.name} goes to layer {net.last}")
        links = connections([s.replicas for s in self.stages])
        if links > MAX_CONNECTIONS:
            raise PlanError(f"{self.boards} boards need {links} connections (the host to stage 0, each board "
                            f"to each board of the next stage, the last stage to the host); at most "
                            f"{MAX_CONNECTIONS}: {_WHY_CONNECTIONS}")

    @classmethod
    def parse(cls, text: str, network: str) -> "Plan":
        """'FIRST-LAST[xREPLICAS],...' -> a Plan, or a PlanError naming the plan, the stage and
        what was expected. Cheap checks come first: a blank plan, more stages than layers,
        numbers out of range, too many boards."""
        text = str(text)
        if not text.strip():
            raise PlanError(f"plan {text!r} is blank; expected stages FIRST-LAST[xREPLICAS],... "
                            f"such as {_EXAMPLE} (or no plan: the default split)")
        net = _network(network)
        parts = text.split(",")
        if len(parts) > len(net):
            raise PlanError(f"plan {_short(text)!r} has {len(parts)} stages; {net.name} has {len(net)} "
                            f"layers (0-{net.last}), so at most {len(net)} stages of one layer or more")
        stages = []
        for k, part in enumerate(parts):
            m = _STAGE.match(part)
            where = f"plan {_short(text)!r}: stage {k} {_short(part.strip())!r}"
            if not m:
                raise PlanError(f"{where}: expected FIRST-LAST or FIRST-LASTxREPLICAS, e.g. 0-5x2 (and @N to fold "
                                f"its layers for N images per second, e.g. 0-5x2@400)")
            # Layers out of the network's range are the plan's check; only numbers too long
            # to be a layer at all are refused here, before int() reads them.
            first, last = (_whole(m.group(i), 10**9, f"{where}: layer",
                                  f"{net.name} has layers 0-{net.last}") for i in (1, 2))
            replicas = _whole(m.group(3) or "1", MAX_BOARDS, f"{where}: replicas",
                              f"a plan has at most {MAX_BOARDS} boards in all: {_WHY_BOARDS}")
            fold = _whole(m.group(4), 10**9, f"{where}: @", "at most 10^9 images per second") if m.group(4) else 0
            stages.append(Stage(first, last, replicas, fold))
        try:
            return cls(network, tuple(stages))
        except PlanError as e:
            raise PlanError(f"plan {_short(text)!r}: {e}") from None

    @classmethod
    def paper(cls, network: str, boards: int) -> "Plan":
        """The paper's shorthand: one full board (boards = 1), or boards - 1 replicas of the
        part before the natural cut and one board for the rest."""
        net = _network(network)
        if isinstance(boards, bool) or not isinstance(boards, int):
            raise PlanError(f"BOARDS must be a whole number, got {boards!r}")
        if boards < 1:
            raise PlanError(f"BOARDS must be at least 1, got {boards}")
        if boards > MAX_BOARDS:
            raise PlanError(f"BOARDS={boards}: at most {MAX_BOARDS} boards: {_WHY_BOARDS}")
        if boards == 1:
            return cls(network, (Stage(0, net.last, 1),))
        cut = net.natural_cut
        return cls(network, (Stage(0, cut, boards - 1), Stage(cut + 1, net.last, 1)))

    @property
    def boards(self) -> int:
        return sum(s.replicas for s in self.stages)

    def folding(self):
        """The folding the plan's kernels are generated with: each stage's layers folded for
        its @N (golden.folding.stages_folding), the network's own elsewhere."""
        from golden.folding import stages_folding
        net = _network(self.network)
        if not any(s.fold for s in self.stages):
            return net.folding
        return stages_folding(net, [(s.first, s.last, s.fold) for s in self.stages])

    def role(self, stage: int) -> str:
        s = self.stages[stage]
        return _network(self.network).role(s.first, s.last)

    def __str__(self) -> str:
        return ",".join(str(s) for s in self.stages)


def _whole(digits: str, bound: int, what: str, why: str) -> int:
    """ASCII digits -> int, refusing values above `bound` before converting a huge string."""
    if len(digits.lstrip("0")) > len(str(bound)) or int(digits) > bound:
        raise PlanError(f"{what} {_short(digits, 20)} is out of range: {why}")
    return int(digits)


def _network(name: str):
    from golden import networks
    try:
        return networks.get(name)
    except PlanError:
        raise
    except BnnInputError as e:
        raise PlanError(str(e)) from None
