"""cocotb tests of tb/bus/axi_checker.py (run by tests/test_axi_checker.py).

Positive: the real burst reader / writer (rtl/axi_mm2s.sv, rtl/axi_s2mm.sv) against
cocotbext-axi RAMs with random pauses, and the AXI4-Lite control block under cocotbext-axi's
AxiLiteMaster, run clean under the checkers, and the checkers' counters agree with the
per-cycle HandshakeMonitors of the existing testbenches.

Negative: tb/units/hdl/bad_axi_master.sv breaks one master-side rule per run (its `bug`
input), and :class:`BadSlave` below breaks the slave-side ones (B without a completed write,
R without AR, wrong RLAST). Each case asserts the first recorded violation: its rule id,
channel, message text and cycle. The expected cycle comes from the DUT itself (its `mark`
output is high in the cycle the rule is broken) or from the slave (the cycle it drove the bad
response), counted as the checker counts: rising edges since reset release, first = 1.
The case is chosen by TB_CONFIG {"case": ...}.
"""

from __future__ import annotations

import logging
import re

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, RisingEdge

from tb.bus.axi_checker import AxiChecker, AxiProtocolError
from tb.bus.axil_checker import AxiLiteChecker
from tb.bus.lean_streams import LeanSink
from tb.bus.streams import config, make_rng, random_pause, reset
from tb.units.stream_tb import PERIOD_PS, axi_cases

log = logging.getLogger("cocotb.tb")


# ----------------------------------------------------------------------------- positive
async def _idle_costs_nothing(dut, chk, cycles: int = 3000) -> None:
    """While the bus is idle the checker's channel tasks must not run per clock edge."""
    before = {ch: c.edges for ch, c in chk.channels.items()}
    await ClockCycles(dut.ap_clk, cycles)
    after = {ch: c.edges for ch, c in chk.channels.items()}
    assert before == after, f"checker woke on idle clock edges: {before} -> {after}"


def _watched(chk) -> list[str]:
    """The VALID / READY signals of the checker's bus that have a simulator callback
    registered now: an edge or value-change trigger something awaits (cocotb 2.1 keeps one
    trigger object per signal and kind; it is registered with the simulator while its
    `_callbacks` are not empty). That attribute is cocotb's private record: if a cocotb
    release renames it, this fails instead of finding nothing."""
    out = []
    for ch in chk.channels.values():
        for sig in (ch.valid, ch.ready):
            for kind in ("value_change", "rising_edge", "falling_edge"):
                trigger = getattr(sig, kind)
                assert hasattr(trigger, "_callbacks"), (
                    f"cocotb {cocotb.__version__}: {type(trigger).__name__} has no `_callbacks`, the "
                    f"record of its waiting tasks this check reads; update _watched() for this cocotb")
                if trigger._callbacks:
                    out.append(f"{sig._name}.{kind}")
    return out


@cocotb.test()
async def test_mm2s_clean(dut):
    """axi_mm2s with random AR/R and m_axis pauses: no violation; counters match the
    monitors."""
    from tb.units.tb_axi_mm2s import ReaderTB
    tb = ReaderTB(dut, watch_idle_responses=not config().get("lazy"))
    chk = tb.checker                  # the AxiChecker every reader test runs under
    assert chk.name == "m_axi" and set(chk.channels) == {"AR", "R"}
    assert isinstance(tb.ram.read_if.ar_channel, LeanSink)     # the RAM's lean endpoints
    data_rng = make_rng("data")
    todo = axi_cases()
    for addr, words in todo:
        tb.ram.write(addr, data_rng.randbytes(words * 8))
    tb.set_idle_generator(random_pause("idle"))
    tb.set_backpressure_generator(random_pause("backpressure"))
    await tb.reset()
    for addr, words in todo:
        got = await tb.read(addr, words)
        assert len(got) == words
    await ClockCycles(dut.ap_clk, 5)
    chk.check()
    s = chk.stats()
    assert chk.bursts["read"] == len(tb.ar.transfers) == s["AR"]["handshakes"]
    assert chk.beats["read"] == sum(w for _, w in todo) == len(tb.r.transfers)
    assert s["AR"]["wait_cycles"] == tb.ar.ready_low_with_valid > 0
    assert s["R"]["wait_cycles"] == 0          # the reader never drops RREADY
    assert 1 <= chk.peak_outstanding["read"] <= tb.max_outstanding
    await _idle_costs_nothing(dut, chk)
    log.info("%s", chk.summary())


@cocotb.test()
async def test_s2mm_clean(dut):
    """axi_s2mm with random s_axis and AW/W/B pauses: no violation; counters match the
    monitors."""
    from tb.units.tb_axi_s2mm import WriterTB
    lazy = bool(config().get("lazy"))
    # lazy: as a kernel's hostmem checker, B watched from each burst's last W beat on
    tb = WriterTB(dut, watch_idle_responses=not lazy, **({"b_after_last_w": True} if lazy else {}))
    chk = tb.checker                  # the AxiChecker every writer test runs under
    assert set(chk.channels) == {"AW", "W", "B"} and chk.max_outstanding == tb.max_outstanding
    assert isinstance(tb.ram.write_if.aw_channel, LeanSink) and isinstance(tb.ram.write_if.w_channel, LeanSink)
    rng = make_rng("data")
    todo = axi_cases()
    tb.set_idle_generator(random_pause("idle"))
    tb.set_backpressure_generator(random_pause("backpressure"))
    await tb.reset()
    for i, (addr, n) in enumerate(todo):
        words = [rng.getrandbits(64) for _ in range(n)]
        tb.fill_guards(addr, n)
        await tb.write(addr, words, lead=(20 if i % 2 else 0))
        tb.check_memory(addr, words)
    await ClockCycles(dut.ap_clk, 5)
    chk.check()
    s = chk.stats()
    assert chk.bursts["write"] == len(tb.aw.transfers) == len(tb.b.transfers) == s["B"]["handshakes"]
    assert chk.beats["write"] == sum(n for _, n in todo) == len(tb.w.transfers)
    assert s["AW"]["wait_cycles"] == tb.aw.ready_low_with_valid > 0
    assert s["W"]["wait_cycles"] == tb.w.ready_low_with_valid > 0
    await _idle_costs_nothing(dut, chk)
    if lazy:      # the RAM's sinks and the checker share their VALID callbacks; B has none
        assert not [w for w in _watched(chk) if "bvalid" in w.lower()], _watched(chk)
    log.info("%s", chk.summary())


@cocotb.test()
async def test_axilite_clean(dut):
    """axilite_ctrl (lower-case port names) under an AxiLiteMaster (lazy: the host's
    QuietAxiLiteMaster) with random pauses on all five channels: no violation, one B per
    write and one R per read."""
    from cocotbext.axi import AxiLiteBus
    from tb.bus.lean_streams import GatedSink, LeanAxiLiteMaster, QuietAxiLiteMaster
    from tb.bus.streams import pause_gen, quiet
    Clock(dut.ap_clk, PERIOD_PS, unit="ps").start()
    for sig in ("ap_done", "ap_idle", "ap_ready"):
        getattr(dut, sig).value = 1 if sig == "ap_idle" else 0
    lazy = bool(config().get("lazy"))
    master = (QuietAxiLiteMaster if lazy else LeanAxiLiteMaster)(
        AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False)
    for sink in (master.write_if.b_channel, master.read_if.r_channel):
        assert isinstance(sink, LeanSink) and isinstance(sink, GatedSink) == lazy, type(sink)
    quiet(master, master.write_if, master.read_if)
    rng = make_rng("lite")
    for ch in (master.write_if.aw_channel, master.write_if.w_channel, master.write_if.b_channel,
               master.read_if.ar_channel, master.read_if.r_channel):
        ch.set_pause_generator(pause_gen(rng, 0.3))
    chk = AxiLiteChecker(dut, "s_axi_control", dut.ap_clk, dut.ap_rst_n, watch_idle_responses=not lazy)
    if lazy:      # as the kernel testbenches run the host's control bus
        chk.requests_from(master)
    assert chk.name == "control"
    await reset(dut.ap_clk, dut.ap_rst_n)
    for i in range(40):
        await master.write_dword(0x10 + 4 * (i % 2), rng.getrandbits(32))
        await master.read_dword(0x10 + 4 * (i % 3 == 0))
    await ClockCycles(dut.ap_clk, 5)
    chk.check()
    assert chk.writes == 40 and chk.reads == 40
    s = chk.stats()
    assert s["AW"]["handshakes"] == s["W"]["handshakes"] == s["B"]["handshakes"] == 40
    assert s["W"]["wait_cycles"] > 0       # W offered with AW, accepted a cycle later
    await _idle_costs_nothing(dut, chk)
    if lazy:      # an idle control bus registers no simulator callback at all
        assert _watched(chk) == [], _watched(chk)


# ----------------------------------------------------------------------------- negative
class BadSlave:
    """Deterministic Python AXI4 slave for bad_axi_master, optionally breaking a slave rule.

    READY timing: AWREADY / ARREADY rise after the request has waited `aw_wait` /
    `ar_wait` edges; WREADY after the first beat has waited `w_wait` edges, then stays high
    for the burst. B comes `b_delay` cycles after the last W beat. `bug`: "b_early" (B right
    after the AW handshake, W incomplete), "b_spurious" (B with no write at all),
    "r_spurious" (R data before any AR), "rlast_early", "rlast_missing".
    Also counts cycles like the checker and notes the first cycle `mark` / AWVALID is high.
    """

    def __init__(self, dut, aw_wait=0, w_wait=0, ar_wait=0, b_delay=1, bug=None):
        self.dut = dut
        self.aw_wait, self.w_wait, self.ar_wait, self.b_delay = aw_wait, w_wait, ar_wait, b_delay
        self.bug = bug
        self.cycle = 0
        self.mark_cycle = None
        self.first_awvalid = None
        self.bug_cycle = None
        for s in ("AWREADY", "WREADY", "BVALID", "ARREADY", "RVALID", "RLAST"):
            getattr(dut, f"m_axi_{s}").value = 0
        dut.m_axi_BRESP.value = 0
        dut.m_axi_RRESP.value = 0
        dut.m_axi_RDATA.value = 0

    def start(self, cycle: int) -> None:
        """Begin at the current edge, which is cycle `cycle`."""
        self.cycle = cycle
        cocotb.start_soon(self._run())

    def _drive_bug(self, what: str) -> None:
        if self.bug_cycle is None:
            self.bug_cycle = self.cycle + 1     # driven now, seen at the next edge
            log.info("slave bug %s driven at cycle %d", what, self.cycle)

    async def _run(self) -> None:
        d = self.dut
        aw_n = w_n = ar_n = 0
        aw = None            # (addr, len) accepted, W pending
        w_beats = 0
        b_countdown = None
        r_left = None        # beats left in the current read burst
        r_len = 0
        while True:
            await RisingEdge(d.ap_clk)
            self.cycle += 1
            c = self.cycle
            awv, awr = int(d.m_axi_AWVALID.value), int(d.m_axi_AWREADY.value)
            wv, wr = int(d.m_axi_WVALID.value), int(d.m_axi_WREADY.value)
            bv, br = int(d.m_axi_BVALID.value), int(d.m_axi_BREADY.value)
            arv, arr = int(d.m_axi_ARVALID.value), int(d.m_axi_ARREADY.value)
            rv, rr = int(d.m_axi_RVALID.value), int(d.m_axi_RREADY.value)
            if self.mark_cycle is None and int(d.mark.value):
                self.mark_cycle = c
            if self.first_awvalid is None and awv:
                self.first_awvalid = c
            # AW
            if awv and awr:
                aw = int(d.m_axi_AWLEN.value)
                aw_n = 0
                d.m_axi_AWREADY.value = 0
                if self.bug == "b_early":
                    d.m_axi_BVALID.value = 1
                    self._drive_bug("b_early")
            elif awv:
                aw_n += 1
                d.m_axi_AWREADY.value = int(aw_n >= self.aw_wait)
            # W
            if wv and wr:
                w_beats += 1
                if aw is not None and w_beats == aw + 1:
                    d.m_axi_WREADY.value = 0
                    w_beats, aw = 0, None
                    b_countdown = self.b_delay
            elif wv:
                w_n += 1
                d.m_axi_WREADY.value = int(w_n >= self.w_wait)
            else:
                w_n = 0
            if b_countdown is not None:
                if b_countdown == 0:
                    d.m_axi_BVALID.value = 1
                    b_countdown = None
                else:
                    b_countdown -= 1
            if bv and br:
                d.m_axi_BVALID.value = 0
            if self.bug == "b_spurious" and c == 3:
                d.m_axi_BVALID.value = 1
                self._drive_bug("b_spurious")
            # AR / R
            if arv and arr:
                r_len = int(d.m_axi_ARLEN.value)
                r_left = r_len + 1
                ar_n = 0
                d.m_axi_ARREADY.value = 0
            elif arv:
                ar_n += 1
                d.m_axi_ARREADY.value = int(ar_n >= self.ar_wait)
            if self.bug == "r_spurious" and c == 3:
                d.m_axi_RVALID.value = 1
                self._drive_bug("r_spurious")
            if rv and rr and r_left is not None:
                r_left -= 1
                if r_left == 0:
                    r_left = None
            if r_left is not None and not (rv and not rr):
                beat = r_len + 1 - r_left          # index of the beat to present next
                last = beat == r_len
                if self.bug == "rlast_early":
                    last = beat == r_len - 1
                    if last:
                        self._drive_bug("rlast_early")
                elif self.bug == "rlast_missing":
                    if last:
                        self._drive_bug("rlast_missing")
                    last = False
                d.m_axi_RVALID.value = 1
                d.m_axi_RLAST.value = int(last)
                d.m_axi_RDATA.value = beat
            elif r_left is None and rv and rr:
                d.m_axi_RVALID.value = 0
                d.m_axi_RLAST.value = 0


# name: (master bug, slave config, addr, len, channel, rule, message regex, expected cycle)
CASES = {
    "clean": (0, {}, 0x1000, 3, None, None, None, None),
    "aw_valid_dropped": (1, {"aw_wait": 3}, 0x1000, 3, "AW", "valid-dropped",
                         r"^bad AW: AWVALID dropped before AWREADY \(waited 1 cycle\(s\)\) \(cycle \d+\)$", "mark"),
    "aw_addr_changed": (2, {"aw_wait": 3}, 0x1000, 3, "AW", "payload-changed",
                        r"payload changed while AWVALID waited for AWREADY: AWADDR 0x1000 -> 0x1008", "mark"),
    "wlast_early": (3, {}, 0x1000, 3, "W", "wlast",
                    r"WLAST on beat 3 of the write burst at 0x1000, AWLEN 3 \(4 beats\)", "mark"),
    "wlast_missing": (4, {}, 0x1000, 3, "W", "wlast",
                      r"WLAST missing on beat 4, the last of the write burst at 0x1000 \(AWLEN 3\)", "mark"),
    "awsize": (5, {}, 0x1000, 3, "AW", "size",
               r"AWSIZE=2 \(4 bytes\) for the burst at 0x1000, expected 3 \(8 bytes\)", "mark"),
    "awburst": (6, {}, 0x1000, 3, "AW", "burst-type",
                r"AWBURST=0 \(FIXED\) for the burst at 0x1000, expected INCR", "mark"),
    "w_valid_dropped": (7, {"w_wait": 2}, 0x1000, 3, "W", "valid-dropped",
                        r"WVALID dropped before WREADY", "mark"),
    "ar_len_changed": (8, {"ar_wait": 3}, 0x1000, 3, "AR", "payload-changed",
                       r"ARLEN 0x3 -> 0x4", "mark"),
    "4k_crossing": (0, {}, 0x1ff8, 4, "AW", "4k-boundary",
                    r"^bad AW: burst at 0x1ff8 len 4 \(5 x 8 bytes, to 0x201f\) crosses a 4 KiB "
                    r"boundary \(cycle \d+\)$", "awvalid"),
    "b_early": (0, {"bug": "b_early", "w_wait": 3}, 0x1000, 3, "B", "b-without-aw",
                r"write response without a completed write: the W data of the burst at 0x1000 "
                r"are incomplete \(0 of 4 beats\)", "slave"),
    "b_spurious": (0, {"bug": "b_spurious", "aw_wait": 4}, 0x1000, 0, "B", "b-without-aw",
                   r"no write burst is outstanding", "slave"),
    "r_spurious": (0, {"bug": "r_spurious"}, 0x1000, 0, "R", "r-without-ar",
                   r"read data without an accepted AR: no read burst is outstanding", "slave"),
    "rlast_early": (0, {"bug": "rlast_early"}, 0x1000, 3, "R", "rlast",
                    r"RLAST on beat 3 of the read burst at 0x1000, ARLEN 3 \(4 beats\)", "slave"),
    "rlast_missing": (0, {"bug": "rlast_missing"}, 0x1000, 3, "R", "rlast",
                      r"RLAST missing on beat 4, the last of the read burst at 0x1000 \(ARLEN 3\)", "slave"),
}
# AXI4-Lite checker on the same master (single-beat bursts look like AXI4-Lite traffic)
LITE_CASES = {
    "lite_clean": (0, {"aw_wait": 2, "w_wait": 1, "ar_wait": 2}, 0x1000, 0, None, None, None, None),
    "lite_aw_valid_dropped": (1, {"aw_wait": 3}, 0x1000, 0, "AW", "valid-dropped",
                              r"AWVALID dropped before AWREADY", "mark"),
    "lite_aw_addr_changed": (2, {"aw_wait": 3}, 0x1000, 0, "AW", "payload-changed",
                             r"AWADDR 0x1000 -> 0x1008", "mark"),
    "lite_b_early": (0, {"bug": "b_early", "w_wait": 3}, 0x1000, 0, "B", "b-without-aw",
                     r"write response without an accepted AW and W: AW accepted 1, W accepted 0 unpaired", "slave"),
    "lite_r_spurious": (0, {"bug": "r_spurious"}, 0x1000, 0, "R", "r-without-ar",
                        r"read data without an accepted AR: no read outstanding", "slave"),
}
ALL_CASES = {**CASES, **LITE_CASES}


async def _bad_master_run(dut, case: str, fail_fast: bool = False, lazy: bool = False):
    bug, slave_cfg, addr, alen, channel, rule, pattern, when = ALL_CASES[case]
    Clock(dut.ap_clk, PERIOD_PS, unit="ps").start()
    dut.start.value = 0
    dut.bug.value = 0
    dut.addr.value = 0
    dut.len.value = 0
    slave = BadSlave(dut, **slave_cfg)
    cls = AxiLiteChecker if case.startswith("lite_") else AxiChecker
    chk = cls(dut, "m_axi", dut.ap_clk, dut.ap_rst_n, name="bad", fail_fast=fail_fast,
              watch_idle_responses=not lazy)
    await reset(dut.ap_clk, dut.ap_rst_n)     # returns on the first edge after release
    slave.start(cycle=1)
    await RisingEdge(dut.ap_clk)
    dut.bug.value = bug
    dut.addr.value = addr
    dut.len.value = alen
    dut.start.value = 1
    await RisingEdge(dut.ap_clk)
    dut.start.value = 0
    return slave, chk, (channel, rule, pattern, when)


async def _finish(dut, slave, limit: int = 200) -> None:
    for _ in range(limit):
        await RisingEdge(dut.ap_clk)
        if int(dut.done.value) or (slave.bug and slave.bug_cycle and slave.cycle > slave.bug_cycle + 20):
            break
    await ClockCycles(dut.ap_clk, 10)


def _expect(chk, slave, channel, rule, pattern, when) -> None:
    if channel is None:
        chk.check()
        return
    assert chk.violations, f"no violation recorded (expected {channel} {rule})"
    v = chk.violations[0]
    log.info("first violation: [%s] %s", v.rule, v.message)
    assert (v.channel, v.rule) == (channel, rule), f"got {v.channel} {v.rule}: {v.message}"
    assert re.search(pattern, v.message), f"message {v.message!r} does not match {pattern!r}"
    exp = {"mark": slave.mark_cycle, "awvalid": slave.first_awvalid, "slave": slave.bug_cycle}[when]
    assert exp is not None, f"the DUT/slave never showed the bug ({when})"
    assert v.cycle == exp, f"violation reported at cycle {v.cycle}, bug seen at cycle {exp}"
    assert v.message.endswith(f"(cycle {exp})"), v.message
    try:
        chk.check()
    except AxiProtocolError as exc:
        assert v.message in str(exc)
    else:
        raise AssertionError("check() did not raise")


@cocotb.test()
async def test_bad_master(dut):
    """One case from TB_CONFIG (record mode): the first violation is the expected one."""
    case = config().get("case", "clean")
    slave, chk, exp = await _bad_master_run(dut, case, lazy=bool(config().get("lazy")))
    await _finish(dut, slave)
    _expect(chk, slave, *exp)
    if case == "clean":
        assert chk.bursts == {"write": 1, "read": 1}
        assert chk.beats == {"write": 4, "read": 4}
        assert chk.stats()["B"]["handshakes"] == 1
    elif case == "lite_clean":
        assert chk.writes == 1 and chk.reads == 1
        assert chk.stats()["AW"]["wait_cycles"] == 2


_FAIL_FAST: dict = {}


@cocotb.test(expect_error=AxiProtocolError)
async def test_fail_fast(dut):
    """With fail_fast (the default) the checker's own task raises: the test ends at the
    violation's cycle even though the test body would wait much longer."""
    slave, chk, exp = await _bad_master_run(dut, "4k_crossing", fail_fast=True)
    _FAIL_FAST.update(chk=chk, slave=slave)
    await ClockCycles(dut.ap_clk, 100000)
    _FAIL_FAST["survived"] = True


@cocotb.test()
async def test_fail_fast_result(dut):
    """Inspects what test_fail_fast left behind (runs right after it)."""
    chk, slave = _FAIL_FAST["chk"], _FAIL_FAST["slave"]
    assert "survived" not in _FAIL_FAST, "the test was not ended by the violation"
    assert chk.violation_count == 1
    v = chk.violations[0]
    assert v.rule == "4k-boundary" and v.cycle == slave.first_awvalid, v
    assert re.search(ALL_CASES["4k_crossing"][6], v.message), v.message
    log.info("fail-fast ended the test with: %s", v.message)
