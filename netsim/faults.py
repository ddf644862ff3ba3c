"""Seeded fault injection on one direction of an Ethernet cable.

The BNNsplit boards talk over a plain Gigabit switch; to show the split pipeline still
delivers every image exactly once, the model can damage the traffic in every way a real LAN
can: independent loss, burst loss (a Gilbert-Elliott two-state channel), bit corruption
(caught downstream by the real CRC-32 FCS), duplication, reordering (some frames held back so
later ones overtake them), order-preserving jitter, and intervals where the link is down.

Every fault kind draws from its own ``random.Random`` stream seeded from
``(seed, wire name, kind)``, so runs are reproducible and turning one fault up does not
reshuffle where the others hit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional


class FaultConfigError(ValueError):
    pass


# Every kind of fault a FaultConfig injects, with the counter of netsim/wire.py's Wire that
# counts the frames it hit (summed over the wires in Network.counters()["wire"]).
FAULT_COUNTERS = {
    "loss": "lost",
    "burst": "burst_lost",
    "corrupt": "corrupted",
    "duplicate": "duplicated",
    "reorder": "reordered",
    "jitter": "jittered",
    "down": "down_dropped",
}


def _check_prob(name: str, p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not (0.0 <= p <= 1.0):
        raise FaultConfigError(f"{name} must be a probability in [0, 1], got {p!r}")


@dataclass(frozen=True)
class GilbertElliott:
    """Two-state burst-loss channel, evaluated once per frame.

    In the good state a frame is lost with ``loss_good``, in the bad state with ``loss_bad``;
    before each frame the state flips good->bad with ``p_enter_bad`` and bad->good with
    ``p_leave_bad``. Mean burst length is 1 / p_leave_bad frames; long-run share of time in the
    bad state is p_enter_bad / (p_enter_bad + p_leave_bad).
    """

    p_enter_bad: float = 0.01
    p_leave_bad: float = 0.3
    loss_good: float = 0.0
    loss_bad: float = 1.0

    def validate(self) -> None:
        for name in ("p_enter_bad", "p_leave_bad", "loss_good", "loss_bad"):
            _check_prob(f"burst.{name}", getattr(self, name))


@dataclass(frozen=True, kw_only=True)
class FaultConfig:
    """Fault probabilities are per frame; times are integer picoseconds.

    ``down`` lists [start, end) intervals during which the link is down (end None = forever);
    a frame whose transmission overlaps one is lost.
    """

    loss: float = 0.0
    corrupt: float = 0.0
    corrupt_bits: int = 1
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_delay_ps: int = 50_000_000  # 50 us: several full-size frame times, so others overtake
    jitter_ps: int = 0
    burst: Optional[GilbertElliott] = None
    down: tuple[tuple[int, Optional[int]], ...] = field(default_factory=tuple)

    def validate(self) -> None:
        for name in ("loss", "corrupt", "duplicate", "reorder"):
            _check_prob(name, getattr(self, name))
        for name in ("corrupt_bits", "reorder_delay_ps", "jitter_ps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise FaultConfigError(f"{name} must be int, got {v!r}")
        if self.corrupt_bits < 1:
            raise FaultConfigError(f"corrupt_bits must be >= 1, got {self.corrupt_bits}")
        if self.reorder_delay_ps < 0 or self.jitter_ps < 0:
            raise FaultConfigError("reorder_delay_ps and jitter_ps must be >= 0")
        if self.burst is not None:
            self.burst.validate()
        for iv in self.down:
            if not isinstance(iv, (tuple, list)) or len(iv) != 2 or not isinstance(iv[0], int) \
                    or not (iv[1] is None or isinstance(iv[1], int)):
                raise FaultConfigError(f"down interval {iv!r} must be (start_ps, end_ps or None)")
            start, end = iv
            if start < 0 or (end is not None and end <= start):
                raise FaultConfigError(f"bad down interval {iv!r}: need 0 <= start < end")

    @property
    def active(self) -> bool:
        return bool(self.loss or self.corrupt or self.duplicate or self.reorder or self.jitter_ps
                    or self.burst or self.down)


@dataclass
class FaultDecision:
    """What happens to one frame. ``drop`` is None or the reason it never arrives."""

    frame: bytes
    drop: Optional[str] = None  # "down", "burst", "loss"
    corrupted: bool = False
    duplicate: bool = False
    reorder_delay_ps: int = 0
    jitter_ps: int = 0


class FaultInjector:
    """Applies a :class:`FaultConfig` to the frames of one wire."""

    def __init__(self, config: FaultConfig, seed: int, name: str):
        config.validate()
        self.config = config
        rng = lambda kind: random.Random(f"{seed}/{name}/{kind}")  # noqa: E731 - str seeds are stable
        self._loss, self._burst, self._corrupt = rng("loss"), rng("burst"), rng("corrupt")
        self._dup, self._reorder, self._jitter = rng("duplicate"), rng("reorder"), rng("jitter")
        self.bad_state = False

    def is_down(self, start: int, end: int) -> bool:
        return any((e is None or start < e) and end > s for s, e in self.config.down)

    def decide(self, frame: bytes, start: int, end: int) -> FaultDecision:
        """Fate of a frame on the wire from ``start`` to ``end`` (ps)."""
        c = self.config
        d = FaultDecision(frame)
        if c.down and self.is_down(start, end):
            d.drop = "down"
            return d
        if c.burst is not None:
            b = c.burst
            flip = self._burst.random()
            self.bad_state = (flip >= b.p_leave_bad) if self.bad_state else (flip < b.p_enter_bad)
            if self._burst.random() < (b.loss_bad if self.bad_state else b.loss_good):
                d.drop = "burst"
        if c.loss and self._loss.random() < c.loss and d.drop is None:
            d.drop = "loss"
        if c.corrupt and self._corrupt.random() < c.corrupt:
            d.frame = flip_bits(frame, self._corrupt, c.corrupt_bits)
            d.corrupted = True
        if c.duplicate and self._dup.random() < c.duplicate:
            d.duplicate = True
        if c.reorder and self._reorder.random() < c.reorder:
            d.reorder_delay_ps = c.reorder_delay_ps
        if c.jitter_ps:
            d.jitter_ps = self._jitter.randint(0, c.jitter_ps)
        return d


def flip_bits(frame: bytes, rng: random.Random, nbits: int) -> bytes:
    """Flip ``nbits`` distinct bits anywhere in the frame (header, payload, padding or FCS).

    CRC-32 detects every error of up to 3 bits in an Ethernet-sized frame, so with the
    default of 1 bit the FCS check always catches it.
    """
    buf = bytearray(frame)
    for bit in rng.sample(range(len(buf) * 8), min(nbits, len(buf) * 8)):
        buf[bit // 8] ^= 1 << (bit % 8)
    return bytes(buf)
