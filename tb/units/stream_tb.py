"""The common part of the cocotb unit testbenches of rtl/'s stream library.

Every block of the library runs on `ap_clk` with the active-low `ap_rst_n` and moves words
over AXI4-Stream ports `s_axis_*` (in) and `m_axis_*` (out), TDATA only (no TKEEP/TLAST: a
word is a whole TDATA, whatever its width). :class:`StreamTB` wraps such a DUT as in Alex
Forencich's verilog-axi testbenches: a clock, a cocotbext-axi AxiStreamSource / AxiStreamSink
on the ports (byte_lanes=1: one list element per word), a :class:`HandshakeMonitor` on each
port (cycle and word of every transfer, VALID/TDATA held until READY), reset, and two
separate pause knobs: :meth:`~StreamTB.set_idle_generator` (gaps of the source) and
:meth:`~StreamTB.set_backpressure_generator` (READY low at the sink). Tests are parametrised
over ``idle_inserter x backpressure_inserter`` (tb.bus.streams.inserters), check their
timing only in the run without pauses, and check that each pause kind was exercised.

:class:`AxiBlockTB` adds what the AXI4 burst reader / writer (rtl/axi_mm2s.sv,
rtl/axi_s2mm.sv) share: the command port (start, addr, words -> busy, done, error), a
tb.bus.axi_ram.FaultyAxiRam on their `m_axi` master port and the project's passive protocol
checker (tb.bus.axi_checker.AxiChecker) on it, so their tests check only what the checker
cannot know: the data, the bursts of each command, the block's own parameter limits.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, SimTimeoutError, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame

from golden.platform import platform
from tb.bus.axi_checker import AxiChecker
from tb.bus.axi_ram import FaultyAxiRam
from tb.bus.lean_streams import LeanAxiStreamSink, LeanAxiStreamSource
from tb.bus.streams import HandshakeMonitor, Inserter, quiet, reset

PERIOD_PS = platform().period_ps       # the default platform's clock (golden/platform.py)


class StreamTB:
    """A stream-library DUT between an AxiStreamSource on `source` and an AxiStreamSink on
    `sink` (either may be None). `inp` / `out` monitor the two ports."""

    def __init__(self, dut, source: str | None = "s_axis", sink: str | None = "m_axis"):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.clk, self.rst_n = dut.ap_clk, dut.ap_rst_n
        Clock(self.clk, PERIOD_PS, unit="ps").start()
        self.source = self.sink = self.inp = self.out = None
        if source:
            self.source = LeanAxiStreamSource(AxiStreamBus.from_prefix(dut, source), self.clk,
                                              self.rst_n, reset_active_level=False, byte_lanes=1)
            self.inp = self._monitor(source)
        if sink:
            self.sink = LeanAxiStreamSink(AxiStreamBus.from_prefix(dut, sink), self.clk,
                                          self.rst_n, reset_active_level=False, byte_lanes=1)
            self.out = self._monitor(sink)
        quiet(self.source, self.sink)
        self.received: list[int] = []     # words the sink model took, see drain()
        self.idle = self.backpressure = False     # pause kinds set, see check_pauses()

    def _monitor(self, prefix: str) -> HandshakeMonitor:
        d = self.dut
        return HandshakeMonitor(self.clk, getattr(d, f"{prefix}_tvalid"),
                                getattr(d, f"{prefix}_tready"), [getattr(d, f"{prefix}_tdata")],
                                prefix)

    # ------------------------------------------------------------------ pauses
    def idle_targets(self) -> list:
        """Models whose pauses are gaps upstream of the DUT (default: the source)."""
        return [self.source]

    def backpressure_targets(self) -> list:
        """Models whose pauses hold the DUT's output back (default: the sink)."""
        return [self.sink]

    def set_idle_generator(self, generator: Inserter | None = None) -> None:
        """Source gaps: `generator()` gives the pause pattern (None: no gaps)."""
        self._set_pauses(self.idle_targets(), generator)
        self.idle = generator is not None

    def set_backpressure_generator(self, generator: Inserter | None = None) -> None:
        """Sink back-pressure: `generator()` gives the pause pattern (None: always ready)."""
        self._set_pauses(self.backpressure_targets(), generator)
        self.backpressure = generator is not None

    @property
    def paused(self) -> bool:
        """Either pause kind is on (timing checks hold only without)."""
        return self.idle or self.backpressure

    @staticmethod
    def _set_pauses(models: list, generator: Inserter | None) -> None:
        # Several models share one iterator and take turns drawing from it, so each gets
        # its own pattern (one iterator each would pause them all in the same cycles).
        pattern = generator() if generator is not None else None
        for m in models:
            m.set_pause_generator(pattern)

    def check_pauses(self) -> None:
        """The pause kinds set for this run really happened (else it tested nothing new)."""
        if self.idle:
            assert self.inp.idle_cycles() > 0, f"{self.inp.name}: source gaps never exercised"
        if self.backpressure:
            assert self.out.ready_low_with_valid > 0, (
                f"{self.out.name}: back-pressure never exercised")

    # ------------------------------------------------------------------ running
    async def reset(self) -> None:
        await reset(self.clk, self.rst_n)

    async def setup(self, idle_inserter: Inserter | None = None,
                    backpressure_inserter: Inserter | None = None) -> None:
        """Start a run: both pause knobs (a test's parameters), then reset."""
        self.set_idle_generator(idle_inserter)
        self.set_backpressure_generator(backpressure_inserter)
        await self.reset()

    async def send(self, words: Sequence[int]) -> None:
        """Queue `words` at the source (returns before they are all taken)."""
        await self.source.send(AxiStreamFrame(list(words)))

    def drain(self) -> list[int]:
        """Move the words the sink model has received into `received`; returns the new ones."""
        new: list[int] = []
        while not self.sink.empty():
            new.extend(self.sink.recv_nowait().tdata)
        self.received.extend(new)
        return new

    async def collect(self, n: int, settle: int = 16, timeout_cycles: int | None = None) -> list[int]:
        """Wait until `n` words have left through the sink port, then `settle` more cycles
        in which an extra (spurious) word would show; returns every word seen there."""
        limit = timeout_cycles or 10_000 + 50 * n     # a stalled DUT fails, never hangs
        try:
            await with_timeout(self.out.wait(n), limit * PERIOD_PS, "ps")
        except SimTimeoutError:
            raise AssertionError(f"{self.out.name}: {len(self.out.transfers)} of {n} words after "
                                 f"{limit} cycles") from None
        for _ in range(settle):
            await RisingEdge(self.clk)
        return self.out.data()

    def locate(self, index: int) -> str:
        """Where output word `index` belongs (image, vector, ...), for error messages."""
        return ""

    def on_mismatch(self, got: list[int]) -> None:
        """Hook called before a data mismatch is raised (e.g. to save the output)."""

    def compare(self, got: list[int], expected: list[int], what: str | None = None) -> None:
        """`got` must equal `expected`; the error names `what` (default: the sink port) and
        the first differing word."""
        name = what or self.out.name
        bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        if bad:
            self.on_mismatch(got)
            i = bad[0]
            # words taken from the sink port's monitor: say when the bad one left
            when = f" (cycle {self.out.transfers[i][0]})" if what is None else ""
            raise AssertionError(f"{name}: {len(bad)} of {len(expected)} words differ; first: word "
                                 f"{i}{self.locate(i)}{when} got {got[i]:#x} expected {expected[i]:#x}")
        assert len(got) == len(expected), (
            f"{name}: {len(got)} words, expected {len(expected)}"
            + (f"; first extra word {got[len(expected)]:#x}" if len(got) > len(expected) else ""))

    def check_output(self, expected: list[int]) -> None:
        """The words on the sink port equal `expected`, the sink model received exactly those,
        and both ports kept VALID and TDATA until READY."""
        self.compare(self.out.data(), expected)
        self.drain()
        assert self.received == self.out.data(), (
            f"{self.out.name}: the sink model received {len(self.received)} words, the port "
            f"carried {len(self.out.transfers)}")
        for mon in (self.inp, self.out):
            if mon is not None:
                mon.check()

    async def pass_words(self, words: Sequence[int], expected: list[int], settle: int = 16,
                         timeout_cycles: int | None = None) -> None:
        """Send `words`, wait for len(`expected`) output words and check them."""
        await self.send(words)
        await self.collect(len(expected), settle, timeout_cycles)
        self.check_output(expected)


# ----------------------------------------------------------------------------- AXI blocks
# AXI burst-block tests: RAM size, and (byte address, words) buffers that are 4 KiB
# aligned, unaligned, and 4 KiB-crossing, with the lengths that matter (one beat, the 8 and
# 16-word split / result buffers, around one full burst, one 384-word input image), plus a
# long one crossing several boundaries. Buffers are 16 KiB apart (room for guard words).
RAM_SIZE = 1 << 20
AXI_LENGTHS = [1, 8, 16, 255, 256, 257, 384]
BEAT_BYTES = 8      # the blocks' 64-bit data bus


def axi_cases() -> list[tuple[int, int]]:
    out = []
    for i, n in enumerate(AXI_LENGTHS):
        out.append((0x10000 + i * 0x4000, n))     # 4 KiB aligned
        out.append((0x50108 + i * 0x4000, n))     # unaligned (crosses from 384 words up)
        out.append((0x90F80 + i * 0x4000, n))     # 16 beats before a boundary
    out.append((0xD0FF8, 1500))                   # crosses 3 boundaries
    return out


def check_bursts(bursts: list[tuple[int, int]], base: int, words: int, max_burst: int) -> None:
    """The (address, AxLEN) bursts of one command cover exactly `words` beats from `base`,
    in order and contiguously, none longer than the block's `max_burst` beats. (The AXI
    rules, 256 beats and no 4 KiB crossing among them, are the AxiChecker's.)"""
    addr = base
    for a, alen in bursts:
        beats = alen + 1
        assert a == addr, f"burst at {a:#x}, expected {addr:#x} (bursts {bursts})"
        assert beats <= max_burst, f"burst of {beats} beats at {a:#x}, limit {max_burst}"
        addr += beats * BEAT_BYTES
    assert addr == base + words * BEAT_BYTES, (
        f"bursts cover {(addr - base) // BEAT_BYTES} beats, expected {words}")


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


class AxiBlockTB(StreamTB):
    """An AXI4 burst block (rtl/axi_mm2s.sv, rtl/axi_s2mm.sv): its stream port, a
    FaultyAxiRam (`ram`) on `m_axi` built from `bus_type` (AxiReadBus / AxiWriteBus), an
    AxiChecker (`checker`, told the block's MAX_OUTSTANDING; `checker_kw` go to it) on the
    same port, and the command port. `requests` is the AR / AW monitor the subclass sets."""

    def __init__(self, dut, bus_type, source: str | None, sink: str | None, **checker_kw):
        super().__init__(dut, source, sink)
        self.max_burst = int(dut.MAX_BURST.value)
        self.max_outstanding = int(dut.MAX_OUTSTANDING.value)
        self.ram = FaultyAxiRam(bus_type.from_prefix(dut, "m_axi"), self.clk, self.rst_n,
                                reset_active_level=False, size=RAM_SIZE)
        quiet(self.ram.read_if, self.ram.write_if, *self.ram.channels)
        self.checker = AxiChecker(dut, "m_axi", self.clk, self.rst_n,
                                  max_outstanding=self.max_outstanding, **checker_kw)
        self.done = HandshakeMonitor(self.clk, dut.done, None, [dut.error], "done")
        self.requests: HandshakeMonitor | None = None
        self.burst_limit = self.max_burst
        dut.start.value = 0
        dut.addr.value = 0
        dut.words.value = 0

    def mon(self, channel: str, fields: Sequence[str]) -> HandshakeMonitor:
        """Monitor of m_axi channel `channel` ("ar", "r", ...) recording `fields`."""
        d = self.dut
        return HandshakeMonitor(self.clk, getattr(d, f"m_axi_{channel}valid"),
                                getattr(d, f"m_axi_{channel}ready"),
                                [getattr(d, f"m_axi_{channel}{f}") for f in fields],
                                channel.upper())

    async def start(self, addr: int, words: int) -> None:
        """One-cycle start pulse with the command's buffer address and length in words."""
        self.dut.addr.value = addr
        self.dut.words.value = words
        self.dut.start.value = 1
        await RisingEdge(self.clk)
        self.dut.start.value = 0

    async def command(self, addr: int, words: int, each_cycle: Callable[[], None] | None = None,
                      lead: int = 0) -> None:
        """Run one command (start pulse with `addr`, `words`, `lead` cycles from now) to its
        `done`: busy stays high until done, done pulses once, busy then drops, and the
        bursts requested cover the buffer within the block's limit. `each_cycle` runs on
        every edge while waiting."""
        dut = self.dut
        n_done, n_req = len(self.done.transfers), len(self.requests.transfers)
        for _ in range(lead):
            await RisingEdge(self.clk)
        await self.start(addr, words)
        limit = 200 + 20 * words
        for cycle in range(limit):
            await RisingEdge(self.clk)
            # sampled here: the monitors may not have seen this edge yet
            is_done = int(dut.done.value)
            assert int(dut.busy.value) == 1 or is_done, f"busy low before done, cycle {cycle}"
            if each_cycle is not None:
                each_cycle()
            if is_done:
                break
        else:
            raise AssertionError(f"no done within {limit} cycles for {words} words at {addr:#x}")
        await RisingEdge(self.clk)
        assert len(self.done.transfers) == n_done + 1, "done pulsed more than once"
        assert int(dut.busy.value) == 0, "busy still high after done"
        bursts = [(p[0], p[1]) for _, p in self.requests.transfers[n_req:]]
        check_bursts(bursts, addr, words, self.burst_limit)

    def check_bus(self) -> None:
        """No AXI protocol violation on m_axi (the checker's rules, MAX_OUTSTANDING included)
        and the stream port kept VALID and TDATA until READY."""
        self.checker.check()
        for mon in (self.inp, self.out):
            if mon is not None:
                mon.check()
        self.log.info("%s", self.checker.summary())
