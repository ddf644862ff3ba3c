"""golden/platform.py: one Platform object holds the board's clock, memory word, HLS top,
capacity, Ethernet port and host costs, and everything else reads it.

A clock is changed in one place: a Platform registered under a new name (PLATFORMS, here
for the test's duration) and selected where a job or the planner names its board (the
`board` argument / job field, `--board` on the command lines). The planner, the cycle model
and a co-simulation then agree on the images per second at that clock."""

from __future__ import annotations

import dataclasses
import json

import pytest

from golden import networks
from golden.cycles import batch_cycles, cycles_table
from golden.errors import BnnInputError
from golden.platform import DEFAULT_PLATFORM, PLATFORMS, Platform, platform
from netsim.plan import Plan
from netsim.planner import Planner

NET = networks.get("cnvW1A1")        # kernel-bound (the LFCs are bound by the hosts' software)
PLAN = "0-5x1,6-8x1"
MHZ125 = "pynq-z1-125mhz"


@pytest.fixture
def at_125mhz(monkeypatch) -> Platform:
    p = dataclasses.replace(platform("pynq-z1"), name=MHZ125, clock_hz=125e6)
    monkeypatch.setitem(PLATFORMS, MHZ125, p)
    return p


def test_the_default_platform_and_who_reads_it():
    from hls_out import interface, resources
    from netsim import kernel
    from netsim.config import LinkConfig
    from tb.jobs import clocking

    p = platform()
    assert p is platform(DEFAULT_PLATFORM) is platform(p) and p.name == "pynq-z1"
    assert (p.clock_hz, p.period_ps, p.mem_word_bits, p.hls_top) == (100e6, 10_000, 64, "BlackBoxJam")
    assert (p.lut, p.lut_mem, p.ff, p.bram_tiles, p.dsp, p.part) == (53200, 17400, 106400, 140, 220, "xc7z020")
    link = LinkConfig()
    assert (link.rate_bps, link.host_send_overhead_ps, link.host_recv_overhead_ps) == (1e9, 10_000_000, 10_000_000)
    assert kernel.KernelTiming(1, 1).clock_hz == p.clock_hz
    assert clocking.DEFAULT_PERIOD_PS == p.period_ps
    assert dict((n, w) for n, _, w in interface.AXI_PORTS)["WDATA"] == p.mem_word_bits
    # the former owners are gone
    assert not hasattr(NET, "clock_hz") and not hasattr(kernel, "PYNQ_CLOCK_HZ")
    assert not hasattr(resources, "BOARDS") and not hasattr(resources, "board")


def test_unknown_and_impossible_platforms():
    with pytest.raises(BnnInputError, match="unknown board 'zedboard'; known boards: pynq-z1"):
        platform("zedboard")
    with pytest.raises(TypeError):
        Platform("x", "y", 100e6)                  # keyword-only
    for bad, what in (({"clock_hz": 0}, "clock_hz: expected a finite clock frequency > 0 Hz"),
                      ({"clock_hz": float("nan")}, "clock_hz"),
                      ({"mem_word_bits": 32}, "uint64")):
        with pytest.raises(BnnInputError, match=what):
            dataclasses.replace(platform(), **bad)


def test_a_clock_in_one_place_reaches_the_planner_and_the_cycle_model(at_125mhz):
    from tb.jobs.cosim import CosimJob

    plan = Plan.parse(PLAN, NET.name)
    first = plan.stages[0]
    slowest = batch_cycles(first.first, first.last, NET.folding, 1)
    preds = {b: Planner(NET.name, board=b).predict(plan) for b in ("pynq-z1", MHZ125)}
    for b, pred in preds.items():
        # kernel-bound: the slowest stage's single-image latency (the cycle model) at the clock,
        # inside its host's timed region (copies and register accesses in picoseconds, not cycles)
        p = platform(b)
        region = p.host_timing.region(slowest * p.period_ps, 8 * NET.words_per_image(-1),
                                      8 * NET.words_per_image(first.last))
        assert pred.predicted_img_s == pytest.approx(1e12 / region.timed_ps)
        assert pred.bottleneck == "stage 0-5x1"
    assert [s.latency_cycles for s in preds[MHZ125].stages] == [s.latency_cycles for s in preds["pynq-z1"].stages]
    assert 1.0 < preds[MHZ125].predicted_img_s / preds["pynq-z1"].predicted_img_s < 1.25   # the host does not speed up
    assert preds[MHZ125].predicted_latency_us < preds["pynq-z1"].predicted_latency_us
    assert "us@125MHz" in cycles_table(NET.folding, at_125mhz.clock_hz)
    # a co-simulation job on that board: netsim's kernels at its clock (failover timeouts)
    cfg = CosimJob(images=2, network=NET.name, plan=PLAN, board=MHZ125).topology_config()
    assert {cfg.timing(s.first, s.last).clock_hz for s in cfg.stages} == {125e6}


def test_a_cosimulation_at_125_mhz_agrees_with_the_planner_and_the_cycle_model(at_125mhz, tmp_path):
    """Three images through the RTL of both boards with their clocks at 8000 ps: bit-exact; every
    kernel run takes its cycles (as the cycle model says, within 2%) at 8 ns each inside its
    host's timed region; the measured steady state is the planner's prediction at 125 MHz
    (within 3%)."""
    from tb.jobs import job_file
    from tb.jobs.cosim import CosimJob, run

    s = run(CosimJob(images=3, seed=2, network=NET.name, plan=PLAN, board=MHZ125, stall_seed=None,
                     out_dir=str(tmp_path)))
    assert s.ok, s.errors
    spec = job_file.load(tmp_path / "job.json", job_file.SystemJobSpec)
    assert spec.board == MHZ125 and {b.period_ps for b in spec.boards} == {8000}
    trace = json.loads((tmp_path / "trace.json").read_text())["boards"]
    reg = platform(MHZ125).host_timing.reg_access_ps
    for b in spec.boards:
        model = batch_cycles(b.first, b.last, NET.folding, 1)
        runs = s["host_regions"][b.name]
        assert [g["kernel_cycles"] for g in runs] == trace[b.name]["cycles"]
        for (start, end, _), g in zip(trace[b.name]["intervals"], runs):
            assert g["kernel_cycles"] == pytest.approx(model, rel=0.02)
            # ExecAccel: the ap_start write, the kernel at 8000 ps per cycle, up to one poll period
            exec_ps = g["exec_accel_us"] * 1e6 - g["kernel_cycles"] * 8000
            assert reg <= exec_ps <= 2 * reg + platform(MHZ125).host_timing.poll_period_ps
            assert end - start >= g["host_timed_us"] * 1e6
    predicted = Planner(NET.name, board=MHZ125).predict(Plan.parse(PLAN, NET.name)).predicted_img_s
    assert s["steady_state_img_s"] == pytest.approx(predicted, rel=0.03)
