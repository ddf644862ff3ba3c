"""Small shared helpers for the stream-library cocotb testbenches.

- :func:`config` reads the test configuration the pytest runner passes as JSON in TB_CONFIG.
- :func:`make_rng` gives a seeded, named random generator and logs the seed, so a failing
  random-stall run can be replayed (TB_SEED=<seed> in the environment overrides the seed).
- :func:`pause_gen` is an endless random pause pattern for cocotbext-axi's
  ``set_pause_generator``; :func:`random_pause` wraps it as an *inserter* (a callable that
  starts a fresh pattern, as verilog-axi's ``cycle_pause``) and :func:`inserters` gives the
  ``[off, random]`` list a test is parametrised over, once for source gaps (idle) and once
  for sink back-pressure, so it runs as their cross product.
- :class:`HandshakeMonitor` records every valid/ready transfer of one channel (cycle and
  payload) and checks the AXI rule that a raised VALID holds, with a stable payload, until
  READY.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
from typing import Callable, Iterator, Sequence

import cocotb
from cocotb.triggers import ClockCycles, Event, RisingEdge

CONFIG_ENV = "TB_CONFIG"
log = logging.getLogger("cocotb.tb")


def config() -> dict:
    """The JSON test configuration from TB_CONFIG (empty when run by hand)."""
    return json.loads(os.environ.get(CONFIG_ENV, "{}") or "{}")


def env_config(**cfg) -> dict[str, str]:
    """extra_env for tb.jobs.runner.run carrying `cfg` as the test configuration."""
    return {CONFIG_ENV: json.dumps(cfg, sort_keys=True)}


def base_seed(default: int = 1) -> int:
    """TB_SEED from the environment, else `seed` of the configuration, else `default`."""
    if os.environ.get("TB_SEED"):
        return int(os.environ["TB_SEED"], 0)
    return int(config().get("seed", default))


def make_rng(tag: str, seed: int | None = None) -> random.Random:
    """A generator seeded from (seed, tag); the seed is logged for replay."""
    seed = base_seed() if seed is None else seed
    log.info("random seed for %s: %d (replay with TB_SEED=%d)", tag, seed, seed)
    return random.Random(f"{seed}:{tag}")


def pause_gen(rng: random.Random, p: float = 0.3, burst: int = 4) -> Iterator[bool]:
    """Endless pause pattern: each step starts a pause with probability `p`, lasting
    1..`burst` cycles, so both single-cycle bubbles and longer stalls occur."""
    while True:
        if rng.random() < p:
            for _ in range(rng.randint(1, burst)):
                yield True
        else:
            yield False


Inserter = Callable[[], Iterator[bool]]


def random_pause(tag: str, p: float = 0.3, burst: int = 4) -> Inserter:
    """An inserter of seeded random pauses: each call starts :func:`pause_gen` on
    ``make_rng(tag)`` afresh, so every run of a parametrised test sees the same pattern (and
    TB_SEED replays it)."""
    def inserter() -> Iterator[bool]:
        return pause_gen(make_rng(tag), p, burst)
    inserter.__qualname__ = f"random_pause({tag!r}, p={p}, burst={burst})"
    return inserter


def inserters(tag: str, p: float = 0.3, burst: int = 4) -> list:
    """``[None, random]`` for ``cocotb.parametrize``: off, and :func:`random_pause` named
    "random" in the test name (e.g. ``test_data/idle_inserter=random/...``)."""
    return [None, cocotb.Param(random_pause(tag, p, burst), name="random")]


def quiet(*objs) -> None:
    """Silence the per-transfer INFO logs of cocotbext-axi models (they slow runs down)."""
    for obj in objs:
        lg = getattr(obj, "log", None)
        if lg is not None:
            lg.setLevel(logging.WARNING)


async def reset(clk, rst_n, cycles: int = 4) -> None:
    """Active-low synchronous reset for `cycles` clock cycles."""
    rst_n.value = 0
    await ClockCycles(clk, cycles)
    rst_n.value = 1
    await RisingEdge(clk)


class HandshakeMonitor:
    """Watches one valid/ready channel on every rising edge.

    `transfers` holds (cycle, payload tuple) for each handshake. `violations` lists the
    cycles where VALID dropped without READY or the payload changed while waiting.
    `ready_low_with_valid` counts cycles with VALID high and READY low (back-pressure);
    `gaps` holds, per transfer, the cycles VALID was low since the previous one (gaps of
    the sender, see :meth:`idle_cycles`). :meth:`wait` returns once a number of transfers is
    recorded.
    With ready=None it records every cycle VALID is high (e.g. a `done` pulse). Monitors
    created at the same time count cycles alike, so their cycle numbers compare.
    """

    def __init__(self, clk, valid, ready, payload: Sequence = (), name: str = "ch"):
        self.clk = clk
        self.valid = valid
        self.ready = ready
        self.payload = list(payload)
        self.name = name
        self.transfers: list[tuple[int, tuple[int, ...]]] = []
        self.violations: list[str] = []
        self.ready_low_with_valid = 0
        self.gaps: list[int] = []
        self.cycle = 0
        self._want: int | None = None      # transfer count a wait() is blocked on
        self._reached = Event()
        self._task = cocotb.start_soon(self._run())

    def _sample(self) -> tuple[int, ...]:
        return tuple(int(s.value) for s in self.payload)

    async def _run(self) -> None:
        waiting: tuple[int, ...] | None = None   # payload offered but not yet taken
        gap = 0          # VALID-low cycles since the last transfer
        edge = RisingEdge(self.clk)
        for self.cycle in itertools.count():
            await edge
            v = int(self.valid.value)
            r = 1 if self.ready is None else int(self.ready.value)
            if waiting is not None:
                if not v:
                    self.violations.append(f"{self.name}: VALID dropped before READY "
                                           f"at cycle {self.cycle}")
                elif self._sample() != waiting:
                    self.violations.append(f"{self.name}: payload changed while VALID "
                                           f"waited for READY at cycle {self.cycle}")
            if v and r:
                self.gaps.append(gap if self.transfers else 0)
                gap = 0
                self.transfers.append((self.cycle, self._sample()))
                waiting = None
                if self._want is not None and len(self.transfers) >= self._want:
                    self._reached.set()
            elif v:
                self.ready_low_with_valid += 1
                waiting = self._sample()
            else:
                gap += 1
                waiting = None

    async def wait(self, n: int) -> None:
        """Return once `n` transfers are recorded (at the edge of the n-th)."""
        if len(self.transfers) < n:
            self._want = n
            self._reached.clear()
            await self._reached.wait()
            self._want = None

    def idle_cycles(self, first: int = 0, end: int | None = None) -> int:
        """Cycles VALID was low between transfers `first` and `end` - 1 (all by default):
        within one queued frame, the pauses of the sender."""
        return sum(self.gaps[first + 1:end])

    def data(self, index: int = 0) -> list[int]:
        """Payload field `index` of every transfer, in order."""
        return [p[index] for _, p in self.transfers]

    def span(self) -> int:
        """Cycles from the first to the last transfer, inclusive."""
        if not self.transfers:
            return 0
        return self.transfers[-1][0] - self.transfers[0][0] + 1

    def check(self) -> None:
        assert not self.violations, "\n".join(self.violations[:10])

    def stop(self) -> None:
        self._task.cancel()

