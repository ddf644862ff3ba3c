"""Small shared helpers for the stream-library cocotb testbenches.

- :func:`config` reads the test configuration the pytest runner passes as JSON in TB_CONFIG.
- :func:`make_rng` gives a seeded, named random generator and logs the seed, so a failing
  random-stall run can be replayed (TB_SEED=<seed> in the environment overrides the seed).
- :func:`pause_gen` is an endless random pause pattern for cocotbext-axi's
  ``set_pause_generator``.
- :class:`HandshakeMonitor` records every valid/ready transfer of one channel (cycle and
  payload) and checks the AXI rule that a raised VALID holds, with a stable payload, until
  READY.
- :func:`check_bursts`, :func:`max_in_flight` and :func:`axi_cases` serve the AXI burst
  reader / writer tests (burst rules, outstanding counts, buffer placements and lengths).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
from typing import Iterator, Sequence

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

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
    `ready_low_with_valid` counts cycles with VALID high and READY low (back-pressure).
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
        self.cycle = 0
        self._task = cocotb.start_soon(self._run())

    def _sample(self) -> tuple[int, ...]:
        return tuple(int(s.value) for s in self.payload)

    async def _run(self) -> None:
        waiting: tuple[int, ...] | None = None   # payload offered but not yet taken
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
                self.transfers.append((self.cycle, self._sample()))
                waiting = None
            elif v:
                self.ready_low_with_valid += 1
                waiting = self._sample()
            else:
                waiting = None

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


def check_bursts(bursts: list[tuple[int, int]], base: int, words: int,
                 max_burst: int = 256, beat_bytes: int = 8) -> None:
    """Check the (address, AxLEN) bursts of one command: they cover exactly `words` beats
    from `base` contiguously, each has at most `max_burst` (<= 256) beats and none crosses a
    4 KiB boundary."""
    addr = base
    for a, alen in bursts:
        beats = alen + 1
        assert a == addr, f"burst at {a:#x}, expected {addr:#x} (bursts {bursts})"
        assert beats <= min(max_burst, 256), f"burst of {beats} beats at {a:#x}"
        assert (a % 4096) + beats * beat_bytes <= 4096, (
            f"burst at {a:#x} of {beats} beats crosses a 4 KiB boundary")
        addr += beats * beat_bytes
    assert addr == base + words * beat_bytes, (
        f"bursts cover {(addr - base) // beat_bytes} beats, expected {words}")


def max_in_flight(starts: list[int], ends: list[int]) -> int:
    """Largest number of items started (cycles in `starts`) and not yet ended (cycles in
    `ends`) after any cycle, counting both kinds of event of a cycle before checking."""
    events: dict[int, int] = {}
    for c in starts:
        events[c] = events.get(c, 0) + 1
    for c in ends:
        events[c] = events.get(c, 0) - 1
    level = peak = 0
    for c in sorted(events):
        level += events[c]
        peak = max(peak, level)
    return peak


# AXI burst-block tests: RAM size, and (byte address, words) buffers that are 4 KiB
# aligned, unaligned, and 4 KiB-crossing, with the lengths that matter (one beat, the 8 and
# 16-word split / result buffers, around one full burst, one 384-word input image), plus a
# long one crossing several boundaries. Buffers are 16 KiB apart (room for guard words).
RAM_SIZE = 1 << 20
AXI_LENGTHS = [1, 8, 16, 255, 256, 257, 384]


def axi_cases() -> list[tuple[int, int]]:
    out = []
    for i, n in enumerate(AXI_LENGTHS):
        out.append((0x10000 + i * 0x4000, n))     # 4 KiB aligned
        out.append((0x50108 + i * 0x4000, n))     # unaligned (crosses from 384 words up)
        out.append((0x90F80 + i * 0x4000, n))     # 16 beats before a boundary
    out.append((0xD0FF8, 1500))                   # crosses 3 boundaries
    return out
