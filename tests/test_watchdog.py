"""tb/bus/watchdog.py, attached to kernels by tb/benches/kernel_probe.py.

pytest part: stream/FIFO discovery of real generated kernels from the signals their
kernel.json names (checked against the generated RTL), and the cocotb runs below on
tb/units/hdl/wd_pipeline.sv, a small pipeline wired with the generator's names (s<k>_*,
fifo_count_<tag>, ap_idle) and described by a kernel.json-like INFO:
    s0 -> fifo_a (depth 4) -> s1 -> worker (20-cycle latency, `hang` input) -> s2 -> fifo_c (depth 2) -> s3
(its `freeze` input ties one stage's output valid low while the stage keeps its words)
cocotb part (this module is also the cocotb test module; its cocotb tests are named wd_*
so pytest does not collect them): a healthy run with random stalls, long idle phases (held
by ap_idle, by kick(), or shorter than the limit) is not interrupted; a sink that is never
ready, a source that stops and a hung stage are each caught within limit + 3 polls of the
last handshake (measured by an independent per-cycle monitor), never before the limit, with
a diagnostic naming the blocked stage; a fail-fast run ends the test at once. A stall
injected at each of the three stages (its output valid tied low) makes the "likely blocker"
line name exactly that stage, ahead of a bus-level hint, and the first of two frozen stages
in data-flow order; the hint comes first only when no stage visibly holds data.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from tb.jobs.runner import REPO, rtl_sources, run
from tb.bus.streams import env_config

PIPE_SOURCES = rtl_sources("stream_fifo") + [REPO / "tb" / "units" / "hdl" / "wd_worker.sv",
                                             REPO / "tb" / "units" / "hdl" / "wd_pipeline.sv"]
LIMIT = 400


def _ports(side: str, k: int) -> dict:
    return {f"{side}_{what}": f"s{k}_t{what}" for what in ("valid", "ready", "data")}


# As kernel.json describes a generated kernel: the stages from the memory reader to the
# memory writer, each naming its signals, and the sequencer's ("control").
INFO = {"name": "wd_pipeline", "stages": [
    {"kind": "memory_reader", "name": "rd", "module": "axi_mm2s", "instance": "u_rd", "params": {},
     "signals": _ports("out", 0)},
    {"kind": "stream_fifo", "name": "fifo_a", "module": "stream_fifo", "instance": "u_fifo_a",
     "params": {"WIDTH": 16, "DEPTH": 4}, "signals": _ports("in", 0) | _ports("out", 1) | {"count": "fifo_count_a"}},
    {"kind": "worker", "name": "worker", "module": "wd_worker", "instance": "u_worker",
     "params": {"LATENCY": 20}, "signals": _ports("in", 1) | _ports("out", 2)},
    {"kind": "stream_fifo", "name": "fifo_c", "module": "stream_fifo", "instance": "u_fifo_c",
     "params": {"WIDTH": 16, "DEPTH": 2}, "signals": _ports("in", 2) | _ports("out", 3) | {"count": "fifo_count_c"}},
    {"kind": "memory_writer", "name": "wr", "module": "axi_s2mm", "instance": "u_wr", "params": {},
     "signals": _ports("in", 3)},
], "control": {"state": "seq_state", "state_names": {"0": "IDLE", "1": "RUN", "2": "DONE"},
               "status": ["ap_start", "ap_idle", "ap_done", "ap_ready", "interrupt"], "idle": "ap_idle"}}


# ============================================================================ pytest side
def _scope_of(names: set[str]):
    """A stand-in for a cocotb scope holding `names` (each handle is "<name>")."""
    class Scope(SimpleNamespace):
        def __getattr__(self, name):
            if name in names:
                return f"<{name}>"
            raise AttributeError(name)
    return Scope()


@pytest.mark.parametrize("kernel", ["cnv_part1", "cnv_part2", "cnv_full", "lfc_w1a1_full"])
def test_kernel_discovery_matches_generated_rtl(kernel):
    """Every signal kernel.json names exists in the generated top, and kernel_streams /
    kernel_fifos / kernel_status find exactly the stream and FIFO-count wires it declares,
    with the stage names of kernel.json on either side."""
    from tb.benches.kernel_probe import kernel_data, kernel_fifos, kernel_status, kernel_streams
    info = kernel_data(kernel)
    sv = (REPO / "hls_out" / kernel / f"{kernel}.sv").read_text()
    identifiers = set(re.findall(r"\b\w+\b", sv))
    named = {v for st in info["stages"] for v in st["signals"].values()}
    named |= {info["control"]["state"], info["control"]["idle"], *info["control"]["status"]}
    assert named <= identifiers, f"kernel.json names signals {kernel}.sv lacks: {sorted(named - identifiers)}"
    declared = set(re.findall(r"\b(s\d+_t(?:valid|ready|data)|fifo_count_\w+)\b", sv))

    streams, fifos = kernel_streams(_scope_of(identifiers), info)
    stages = info["stages"]
    inner = [s["name"] for s in stages[1:-1]]
    assert (stages[0]["kind"], stages[-1]["kind"]) == ("memory_reader", "memory_writer")
    assert [s.name for s in streams] == [f"s{k}" for k in range(len(inner) + 1)]
    assert {f"{s.name}_t{w}" for s in streams for w in ("valid", "ready", "data")} == {
        d for d in declared if d.startswith("s")}
    assert all(s.valid == f"<{s.name}_tvalid>" and s.ready == f"<{s.name}_tready>"
               and s.data == f"<{s.name}_tdata>" for s in streams)
    assert streams[0].src == "u_rd (memory reader)" and streams[-1].dst == "u_wr (memory writer)"
    assert [s.dst for s in streams[:-1]] == inner == [s.src for s in streams[1:]]
    assert {f.name[5:]: f.depth for f in fifos} == info["fifo_depths"]
    assert {f.count for f in fifos} == {f"<{d}>" for d in declared if d.startswith("fifo_count_")}
    fifo_ports = kernel_fifos(_scope_of(identifiers), info)
    assert [(f.name, f.count) for f in fifo_ports] == [(f.name, f.count) for f in fifos]
    for f in fifo_ports:       # a FIFO's input READY and output VALID are those of its streams
        assert f.in_ready in {s.ready for s in streams if s.dst == f.name}
        assert f.out_valid in {s.valid for s in streams if s.src == f.name}
    status = kernel_status(_scope_of(identifiers), info)
    assert {"seq_state", "ap_idle", "ap_done", "rd_busy", "rd_error", "wr_busy", "wr_error",
            "interrupt"} <= set(status)


def test_kernel_json_without_signals_is_refused():
    """A kernel.json written before its stages named their signals: a clear error saying
    how to fix it; an export's info (no stages) has no streams and no FIFOs."""
    from golden.errors import BnnInputError
    from tb.benches.kernel_probe import kernel_fifos, kernel_streams
    old = {"name": "old", "stages": [{"name": "fifo_a", "module": "stream_fifo", "params": {"DEPTH": 4}}]}
    with pytest.raises(BnnInputError, match=r"fifo_a.*regenerate it \(make hls\)"):
        kernel_streams(_scope_of(set()), old)
    with pytest.raises(BnnInputError, match="make hls"):
        kernel_fifos(_scope_of(set()), old)
    assert kernel_streams(_scope_of({"s0_tvalid"}), {"name": "export", "stages": []}) == ([], [])


def test_interfaces_of_a_kernel_and_of_an_export():
    """The AXI ports a checker and the watchdog attach to: kernel.json's "interfaces", and
    for an export's info (which has none) BlackBoxJam's from hls_out/interface.py."""
    from tb.benches.kernel_probe import interfaces, kernel_data
    want = {"m_axi_hostmem": "AXI4", "s_axi_control": "AXI4-Lite"}
    assert interfaces(kernel_data("cnv_part2")) == want
    assert interfaces({"name": "export", "stages": []}) == want


@pytest.mark.parametrize("case", ["wd_healthy", "wd_sink_stuck", "wd_source_stops",
                                  "wd_worker_hang", "wd_generic_api",
                                  "wd_fail_fast,wd_fail_fast_result",
                                  "wd_stall_fifo_a", "wd_stall_worker", "wd_stall_fifo_c",
                                  "wd_stall_two_stages", "wd_stall_invisible"])
def test_watchdog(case):
    run("wd_pipeline", PIPE_SOURCES, "tests.test_watchdog", testcase=case,
        extra_env=env_config(seed=8100))


# ============================================================================ cocotb side
try:
    import cocotb
    from cocotb.clock import Clock
    from cocotb.simtime import get_sim_time
    from cocotb.triggers import ClockCycles, RisingEdge
except ImportError:     # pragma: no cover
    cocotb = None

if cocotb is not None:
    import logging

    from cocotbext.axi import AxiStreamBus, AxiStreamFrame

    from tb.benches.kernel_probe import kernel_watchdog as probe_watchdog
    from tb.bus.lean_streams import LeanAxiStreamSink, LeanAxiStreamSource
    from tb.bus.streams import make_rng, pause_gen, quiet, reset
    from tb.bus.watchdog import Stream, Watchdog, WatchdogTimeout

    log = logging.getLogger("cocotb.tb")

    class Bench:
        """Source / sink models and an independent per-cycle record of the last handshake."""

        def __init__(self, dut):
            self.dut = dut
            Clock(dut.ap_clk, 10, unit="ns").start()
            dut.ap_idle.value = 0
            dut.hang.value = 0
            dut.freeze.value = 0
            self.source = LeanAxiStreamSource(AxiStreamBus.from_prefix(dut, "s0"), dut.ap_clk,
                                              dut.ap_rst_n, reset_active_level=False, byte_lanes=1)
            self.sink = LeanAxiStreamSink(AxiStreamBus.from_prefix(dut, "s3"), dut.ap_clk,
                                          dut.ap_rst_n, reset_active_level=False, byte_lanes=1)
            quiet(self.source, self.sink)
            self.cycle = 0
            self.last_hs = 0
            self.hs_count = 0

        async def start(self) -> None:
            await reset(self.dut.ap_clk, self.dut.ap_rst_n)
            cocotb.start_soon(self._monitor())

        async def _monitor(self) -> None:
            d = self.dut
            pairs = [(d.s0_tvalid, d.s0_tready), (d.s1_tvalid, d.s1_tready),
                     (d.s2_tvalid, d.s2_tready), (d.s3_tvalid, d.s3_tready)]
            while True:
                await RisingEdge(d.ap_clk)
                self.cycle += 1
                if any(int(v.value) and int(r.value) for v, r in pairs):
                    self.last_hs = self.cycle
                    self.hs_count += 1

        async def send(self, words) -> None:
            await self.source.send(AxiStreamFrame(list(words)))

        def received(self) -> list[int]:
            out = []
            while not self.sink.empty():
                out += list(self.sink.recv_nowait().tdata)
            return out

        async def until_fired(self, wd, max_cycles: int) -> int:
            """Wait for the watchdog (fail=False); returns the bench cycle it fired at."""
            for _ in range(max_cycles // 10):
                await ClockCycles(self.dut.ap_clk, 10)
                if wd.fired:
                    return self.fired_at
            raise AssertionError(f"watchdog did not fire within {max_cycles} cycles")

        def on_timeout(self, text: str) -> None:
            self.fired_at = self.cycle
            self.diag = text

        def check_latency(self, wd) -> int:
            lat = self.fired_at - self.last_hs
            log.info("watchdog fired %d cycles after the last handshake (limit %d, poll %d)",
                     lat, wd.limit, wd.poll)
            assert wd.limit <= lat <= wd.limit + 3 * wd.poll + 2, (
                f"fired {lat} cycles after the last handshake, limit {wd.limit}")
            return lat

    def kernel_watchdog(dut, bench, **kw):
        return probe_watchdog(dut, INFO, LIMIT, fail=False, on_timeout=bench.on_timeout, **kw)

    @cocotb.test()
    async def wd_healthy(dut):
        """Random stalls, a worker 20 cycles per word, and idle phases: held by ap_idle, by
        kick(), and a quiet gap shorter than the limit. The watchdog never fires and its
        polling costs about one wake-up per poll interval."""
        b = Bench(dut)
        wd = kernel_watchdog(dut, b)
        assert [s.name for s in wd.streams] == ["s0", "s1", "s2", "s3"]
        assert [f.name for f in wd.fifos] == ["fifo_a", "fifo_c"]
        assert wd.idle is dut.ap_idle and wd.poll == LIMIT // 8
        rng = make_rng("healthy")
        b.source.set_pause_generator(pause_gen(rng, 0.3))
        b.sink.set_pause_generator(pause_gen(rng, 0.5, burst=8))
        await b.start()
        words = [rng.getrandbits(16) for _ in range(150)]
        await b.send(words)
        await b.source.wait()
        await ClockCycles(dut.ap_clk, 200)
        # 1) nothing to do for 4 limits, but ap_idle says so
        dut.ap_idle.value = 1
        await ClockCycles(dut.ap_clk, 4 * LIMIT)
        dut.ap_idle.value = 0
        # 2) quiet for 4 limits, the testbench kicks
        for _ in range(8):
            await ClockCycles(dut.ap_clk, LIMIT // 2)
            wd.kick()
        # 3) quiet for less than the limit
        await ClockCycles(dut.ap_clk, LIMIT // 2)
        more = [rng.getrandbits(16) for _ in range(50)]
        await b.send(more)
        await b.source.wait()
        await ClockCycles(dut.ap_clk, 300)
        assert not wd.fired, wd.diagnostic
        got = b.received()
        assert got == [(w + 1) & 0xFFFF for w in words + more]
        cycles = b.cycle
        assert cycles // wd.poll - 2 <= wd.polls <= cycles // wd.poll + 1, (wd.polls, cycles)
        wd.stop()

    @cocotb.test()
    async def wd_sink_stuck(dut):
        """The sink stops taking words: everything fills up, the consumer of s3 is named."""
        b = Bench(dut)
        wd = kernel_watchdog(dut, b)
        await b.start()
        await b.send(range(100, 130))
        await ClockCycles(dut.ap_clk, 60)
        b.sink.pause = True
        await b.until_fired(wd, 3 * LIMIT)
        b.check_latency(wd)
        d = wd.diagnostic
        log.info("diagnostic:\n%s", d)
        assert "likely blocker: u_wr (memory writer)" in d
        assert "u_wr (memory writer): not accepting its input" in d
        assert "fifo_c: backpressured" in d and "worker: backpressured" in d
        assert "fifo_a: count=4/4 (full)" in d and "fifo_c: count=2/2 (full)" in d
        assert re.search(r"s3 fifo_c -> u_wr \(memory writer\): valid=1 ready=0", d)

    @cocotb.test()
    async def wd_source_stops(dut):
        """The source stops: the pipeline drains and the source is blamed."""
        b = Bench(dut)
        wd = kernel_watchdog(dut, b)
        await b.start()
        await b.send(range(10))
        await b.until_fired(wd, 3 * LIMIT + 400)
        b.check_latency(wd)
        assert len(b.received()) == 10
        d = wd.diagnostic
        log.info("diagnostic:\n%s", d)
        assert "likely blocker: u_rd (memory reader) (the whole pipeline is empty" in d
        assert "worker: starved (input valid=0)" in d
        assert "fifo_a: count=0/4 (empty)" in d

    @cocotb.test()
    async def wd_worker_hang(dut):
        """The worker stage freezes with a word waiting at its input."""
        b = Bench(dut)
        wd = kernel_watchdog(dut, b)
        await b.start()
        await b.send(range(40))
        await ClockCycles(dut.ap_clk, 100)
        dut.hang.value = 1
        await b.until_fired(wd, 3 * LIMIT)
        b.check_latency(wd)
        d = wd.diagnostic
        log.info("diagnostic:\n%s", d)
        assert ("worker: input valid=1 ready=0, no output (busy computing / blocked by "
                "output)") in d
        assert "likely blocker: worker" in d
        assert "u_wr (memory writer): starved" in d
        assert "fifo_a: backpressured" in d
        assert "status: ap_idle=0" in d

    @cocotb.test()
    async def wd_generic_api(dut):
        """Watchdog built by hand from tuples (no stage names): the chain is inferred."""
        b = Bench(dut)
        d = dut
        wd = Watchdog(dut, dut.ap_clk, 300,
                      streams=[("in", d.s0_tvalid, d.s0_tready, d.s0_tdata),
                               ("mid", d.s1_tvalid, d.s1_tready),
                               ("work", d.s2_tvalid, d.s2_tready),
                               Stream("out", d.s3_tvalid, d.s3_tready, dst="sink")],
                      fifos=[("fifo_a", d.fifo_count_a, 4), ("fifo_c", d.fifo_count_c)],
                      poll_cycles=25, fail=False, on_timeout=b.on_timeout)
        assert [s.src for s in wd.streams] == ["source of in", "in->mid", "mid->work", "work->out"]
        await b.start()
        await b.send(range(30))
        await ClockCycles(dut.ap_clk, 80)
        dut.hang.value = 1
        await b.until_fired(wd, 1000)
        b.check_latency(wd)
        assert wd.poll == 25
        diag = wd.diagnostic
        log.info("diagnostic:\n%s", diag)
        assert "likely blocker: mid->work" in diag
        assert "fifo_c: count=0\n" in diag or "fifo_c: count=0" in diag

    _FF: dict = {}

    @cocotb.test(expect_error=WatchdogTimeout)
    async def wd_fail_fast(dut):
        """fail=True (default): the watchdog's task raises and ends the test right away."""
        b = Bench(dut)
        wd = probe_watchdog(dut, INFO, LIMIT)
        _FF.update(bench=b, wd=wd)
        await b.start()
        await b.send(range(20))
        await ClockCycles(dut.ap_clk, 50)
        dut.hang.value = 1
        await ClockCycles(dut.ap_clk, 100 * LIMIT)
        _FF["survived"] = True

    @cocotb.test()
    async def wd_fail_fast_result(dut):
        b, wd = _FF["bench"], _FF["wd"]
        assert "survived" not in _FF, "the watchdog did not end the test"
        assert wd.fired and "likely blocker: worker" in wd.diagnostic
        lat = b.cycle - b.last_hs
        assert wd.limit <= lat <= wd.limit + 3 * wd.poll + 2, lat

    # ------------------------------------------------------------ injected stalls
    # freeze[k] ties stage k's output valid low (and holds its output ready low), as a stage
    # whose output stopped would: the stage keeps what it holds and offers nothing.
    FREEZE_BIT = {"fifo_a": 0, "worker": 1, "fifo_c": 2}
    # What the AXI checker of a kernel says when the memory writer waits for words that
    # never come (the bus-level explanation the issue saw named instead of the stage).
    BUS_HINT = "hostmem: write data incomplete (1 AW(s) waiting for W beats; test hint)"

    def blocker_line(diag: str) -> str:
        lines = [ln for ln in diag.splitlines() if ln.startswith("likely blocker: ")]
        assert len(lines) == 1, diag
        return lines[0][len("likely blocker: "):]

    def blamed_stage(diag: str) -> str:
        """The stage the likely-blocker line names (the text before its " [" evidence)."""
        return blocker_line(diag).split(" [")[0]

    async def stall_run(dut, freeze: list[str], words: int, first: list[str] | None = None):
        """A healthy phase (12 words through the whole pipeline), then the stages in
        `first` frozen and 2 more words sent (they settle in those stages), then the stages
        in `freeze` frozen too and `words` words sent; waits for the watchdog (which has a
        bus-level hint to offer) and returns the bench and the diagnostic."""
        b = Bench(dut)
        wd = kernel_watchdog(dut, b, hints=lambda: [BUS_HINT])
        await b.start()
        await b.send(range(12))
        got: list[int] = []
        for _ in range(200):
            await ClockCycles(dut.ap_clk, 10)
            got += b.received()
            if len(got) == 12:
                break
        assert got == [w + 1 for w in range(12)]
        mask = 0
        if first:
            for st in first:
                mask |= 1 << FREEZE_BIT[st]
            dut.freeze.value = mask
            await b.send(range(100, 102))
            await ClockCycles(dut.ap_clk, 100)
        for st in freeze:
            mask |= 1 << FREEZE_BIT[st]
        dut.freeze.value = mask
        await b.send(range(200, 200 + words))
        await b.until_fired(wd, 3 * LIMIT + 400)
        b.check_latency(wd)
        assert b.received() == [], "a frozen pipeline delivered words"
        d = wd.diagnostic
        log.info("diagnostic:\n%s", d)
        return b, d

    @cocotb.test()
    async def wd_stall_fifo_a(dut):
        """fifo_a's output valid tied low, 3 words sent: it holds them (count 3/4) while its
        input is idle (s0 valid=0). The blocker is fifo_a, named from its count, not the
        bus-level hint, and not "the whole pipeline is empty" (every stream's valid is 0)."""
        _, d = await stall_run(dut, ["fifo_a"], 3)
        assert blamed_stage(d) == "fifo_a", d
        assert blocker_line(d).startswith(
            "fifo_a [holds data: fifo_a count=3/4; output s1 valid=0, last activity seen at cycle ")
        assert BUS_HINT not in d
        assert "fifo_a: holds data (fifo_a count=3/4), offers none on its output" in d
        assert "worker: starved (input valid=0)" in d
        assert re.search(r"s0 u_rd \(memory reader\) -> fifo_a: valid=0 ready=1;", d)

    @cocotb.test()
    async def wd_stall_worker(dut):
        """The worker's output valid tied low, 4 words sent: it keeps one, fifo_a holds 3
        and offers one (s1 valid=1 ready=0). fifo_a holds data too but its output offers a
        word (backpressured), so the blocker is the worker, from its waiting input."""
        _, d = await stall_run(dut, ["worker"], 4)
        assert blamed_stage(d) == "worker", d
        assert blocker_line(d).startswith(
            "worker [holds data: s1 valid=1 ready=0; output s2 valid=0, last activity seen at cycle ")
        assert BUS_HINT not in d
        assert "fifo_a: backpressured" in d and "fifo_a: count=3/4" in d
        assert "fifo_c: starved (input valid=0)" in d

    @cocotb.test()
    async def wd_stall_fifo_c(dut):
        """fifo_c's output valid tied low, 2 words sent: both pass the worker and sit in
        fifo_c (count 2/2, full) while every stream's valid is 0: fifo_c is named."""
        _, d = await stall_run(dut, ["fifo_c"], 2)
        assert blamed_stage(d) == "fifo_c", d
        assert blocker_line(d).startswith(
            "fifo_c [holds data: fifo_c count=2/2; output s3 valid=0, last activity seen at cycle ")
        assert BUS_HINT not in d
        assert "fifo_a: starved (input valid=0)" in d and "fifo_a: count=0/4 (empty)" in d
        assert "u_wr (memory writer): starved (input valid=0)" in d

    @cocotb.test()
    async def wd_stall_two_stages(dut):
        """fifo_c frozen first (2 words settle in it), then fifo_a too (3 words): both hold
        data with a silent output; the first in data-flow order, fifo_a, is the likely
        blocker and fifo_c follows as "also"."""
        _, d = await stall_run(dut, ["fifo_a"], 3, first=["fifo_c"])
        assert blamed_stage(d) == "fifo_a", d
        assert "\n  also: fifo_c [holds data: fifo_c count=2/2; output s3 valid=0" in d
        assert d.index("likely blocker: fifo_a") < d.index("also: fifo_c")
        assert BUS_HINT not in d

    @cocotb.test()
    async def wd_stall_invisible(dut):
        """The worker frozen with its single word inside (no FIFO count, no valid input):
        no stage visibly holds data, so the bus-level hint is the likely blocker."""
        _, d = await stall_run(dut, ["worker"], 1)
        assert blocker_line(d) == BUS_HINT, d
        assert "fifo_a: count=0/4 (empty)" in d and "fifo_c: count=0/2 (empty)" in d
