"""Partition plans: a network cut into stages, each a contiguous range of layers run by one
kernel on `replicas` boards (DESIGN.md, "Partition plans").

    Plan.parse("0-3x2,4-5x2,6-8x1", "cnvW2A2")   # stages as first-last and x replicas
    Plan.paper("cnvW2A2", boards=3)              # the paper's shorthand: conv x 2 + FC x 1

The paper's 3-PYNQ system is `0-5x2,6-8x1`; one full board is `0-8x1`. Errors name what is
wrong: a gap or an overlap between stages, zero replicas, a layer the network does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STAGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*(?:x\s*(\d+))?\s*$")


class PlanError(ValueError):
    pass


@dataclass(frozen=True)
class Stage:
    first: int
    last: int
    replicas: int = 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}x{self.replicas}"


@dataclass(frozen=True)
class Plan:
    network: str
    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        net = _network(self.network)
        if not self.stages:
            raise PlanError("a plan has at least one stage")
        expect = 0
        for k, s in enumerate(self.stages):
            if s.replicas < 1:
                raise PlanError(f"stage {k} ({s}): replicas must be at least 1, got {s.replicas}")
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

    @classmethod
    def parse(cls, text: str, network: str) -> "Plan":
        stages = []
        for k, part in enumerate(str(text).split(",")):
            m = _STAGE.match(part)
            if not m:
                raise PlanError(f"stage {k} {part.strip()!r}: expected FIRST-LAST or FIRST-LASTxREPLICAS, "
                                f"e.g. 0-5x2")
            stages.append(Stage(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)))
        return cls(network, tuple(stages))

    @classmethod
    def paper(cls, network: str, boards: int) -> "Plan":
        """The paper's shorthand: one full board (boards = 1), or boards - 1 replicas of the
        part before the natural cut and one board for the rest."""
        net = _network(network)
        if boards < 1:
            raise PlanError(f"BOARDS must be at least 1, got {boards}")
        if boards == 1:
            return cls(network, (Stage(0, net.last, 1),))
        cut = net.natural_cut
        return cls(network, (Stage(0, cut, boards - 1), Stage(cut + 1, net.last, 1)))

    @property
    def boards(self) -> int:
        return sum(s.replicas for s in self.stages)

    def role(self, stage: int) -> str:
        s = self.stages[stage]
        return _network(self.network).role(s.first, s.last)

    def __str__(self) -> str:
        return ",".join(str(s) for s in self.stages)


def _network(name: str):
    from golden import networks
    from golden.errors import BnnInputError
    try:
        return networks.get(name)
    except BnnInputError as e:
        raise PlanError(str(e)) from None
