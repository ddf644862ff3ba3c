"""The partition planner (netsim/planner.py): its arithmetic against hand-computed cases, its
latency model against the RTL kernels' measured cycles, and its choices against the paper."""

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from golden import networks
from golden.cycles import pipeline_latency
from golden.platform import platform
from hls_out import resources
from netsim.config import LinkConfig
from netsim.plan import Plan
from netsim.planner import Planner, message_wire_bytes, pareto

NET = networks.get("cnvW2A2")
REPO = Path(__file__).resolve().parent.parent

# Single-image latency of the RTL kernels in cycles, measured by `make sim-full/-part1/-part2`
# (README, timing fidelity table): HLS loop timing, and the decoupled what-if blocks.
RTL_LATENCY = {(0, 8): 464070, (0, 5): 325578, (6, 8): 138574}
RTL_DECOUPLED = {(0, 8): 418211, (0, 5): 279716, (6, 8): 138577}


@pytest.mark.parametrize("rng", list(RTL_LATENCY))
def test_pipeline_latency_model_matches_the_rtl(rng):
    assert pipeline_latency(*rng, NET.folding) == pytest.approx(RTL_LATENCY[rng], rel=0.02)
    assert pipeline_latency(*rng, NET.folding, lookahead_rows=0) == pytest.approx(RTL_DECOUPLED[rng], rel=0.02)


def test_message_wire_bytes_by_hand():
    link = LinkConfig()
    # 64-byte tensor + 16-byte header in one TCP frame: 14 + 20 + 20 + 80 + 4 = 138 B, plus
    # preamble 8 and gap 12.
    assert message_wire_bytes(64, link) == 8 + 138 + 12
    # 3072 + 16 = 3088 B: frames of 1460, 1460 and 168 B payload, 58 B of headers and FCS each.
    assert message_wire_bytes(3072, link) == 3 * (8 + 58 + 12) + 3088


def test_stage_arithmetic_by_hand():
    pl = Planner("cnvW2A2")
    p = pl.predict(Plan.parse("0-5x2,6-8x1", "cnvW2A2"))
    conv, fc = p.stages
    assert (conv.bytes_in, conv.bytes_out, fc.bytes_out) == (32 * 32 * 3, 256 * 2 // 8, 64 * 16 // 8)
    # Slowest layers: layer 3 = 10^2 x (9*128/16) x (128/8); layers 6 and 7 = (256/2) x 512.
    assert conv.interval_cycles == 100 * 72 * 16 and fc.interval_cycles == 128 * 512
    # Weight BRAM of the FC part: layer 6 (SIMD 2 x 2 bit = 4 bit wide, 65536 deep: 16 RAMB18,
    # 1 PE), layer 7 (the same per PE, 2 PEs), layer 8 (2 bit x 8192: one RAMB18, 4 PEs); the
    # 128-deep FIFO of 64-bit words after layer 6 (two RAMB18 side by side: 36 bits each).
    assert fc.resources["ramb18"] == 16 + 2 * 16 + 4 * 1 + 2 and fc.resources["bram_tiles"] == 27
    # A board of a stage at numReps = 1 serves 1 / (its host's timed region): the kernel's
    # latency, the copies of 3072 bytes in and 64 out, two register writes and the polling
    # (at most one poll period late); two conv boards, twice that.
    ht = platform("pynq-z1").host_timing
    base_ps = conv.latency_cycles * 10_000 + (3072 + 64) * ht.copy_ps_per_byte + 3 * ht.reg_access_ps
    assert base_ps <= conv.start_cycles * 10_000 <= base_ps + ht.poll_period_ps
    assert conv.img_s == pytest.approx(2 * 100e6 / conv.start_cycles)
    assert p.predicted_img_s == pytest.approx(min(conv.img_s, fc.img_s))


def test_enumeration_counts_every_plan():
    # 9 layers, at most 2 boards: 1 stage x (1 or 2 replicas) + 8 cuts x (1, 1).
    assert len(list(Planner("cnvW2A2").plans(2))) == 2 + 8


def test_paper_layout_is_the_best_3_board_plan_with_the_papers_cut():
    preds = Planner("cnvW2A2").rank(3)
    with_cut = [p for p in preds if p.boards == 3 and len(p.plan.stages) == 2 and p.plan.stages[0].last == 5]
    assert str(with_cut[0].plan) == "0-5x2,6-8x1"


def test_when_the_full_network_does_not_fit_the_paper_layout_wins():
    """On a board too small for the whole network (less block RAM than its estimate), the
    best 3-board plan is the paper's 3-PYNQ layout."""
    full = resources.estimate(NET, 0, 8)
    small = dataclasses.replace(platform("pynq-z1"), name="small", bram_tiles=int(full.bram_tiles) - 1)
    preds = Planner("cnvW2A2", board=small).rank(3)
    assert not next(p for p in preds if str(p.plan) == "0-8x1").fits
    best3 = next(p for p in preds if p.fits and p.boards == 3)
    assert str(best3.plan) == "0-5x2,6-8x1"
    assert all(p.fits for p in pareto(preds))


def test_fc_saturation_and_more_conv_replicas():
    pl = Planner("cnvW2A2")
    three, four = (pl.predict(Plan.parse(t, "cnvW2A2")) for t in ("0-5x3,6-8x1", "0-5x4,6-8x1"))
    assert three.predicted_img_s == four.predicted_img_s   # the FC board is the bottleneck
    assert three.bottleneck == "stage 6-8x1"


def test_cli_json_and_errors(tmp_path):
    out = tmp_path / "plans.json"
    r = subprocess.run([sys.executable, "-m", "netsim", "plan", "--boards", "3", "--json", str(out),
                        "--plot", str(tmp_path / "p.png"), "--no-calibrate"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    first = doc["plans"][0]
    assert {"stages", "predicted_img_s", "predicted_latency_us", "fits"} <= set(first)
    assert {"first", "last", "replicas"} <= set(first["stages"][0])
    assert "574" in r.stdout and (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    bad = subprocess.run([sys.executable, "-m", "netsim", "plan", "--network", "nope"], capture_output=True, text=True)
    assert bad.returncode == 1 and "known networks" in bad.stderr and "Traceback" not in bad.stderr


def test_a_stage_that_does_not_fit_is_warned():
    small = dataclasses.replace(platform("pynq-z1"), name="small", bram_tiles=60)
    warnings = resources.fit_warnings(NET, [(0, 5), (6, 8)], small)
    assert len(warnings) == 1 and "stage 0-5" in warnings[0] and "of 60 BRAM tiles" in warnings[0]
    assert resources.fit_warnings(NET, [(0, 5), (6, 8)], platform("pynq-z1")) == []


def test_verify_is_handed_to_the_testbench(tmp_path, monkeypatch, capsys):
    # netsim does not import tb/: `plan --verify` runs the same command line through
    # tb.jobs.plan_verify in a child process, which gives the planner its RTL verifier.
    from netsim import cli, planner
    from tb.jobs import plan_verify

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, env: calls.append((cmd, env)) or 7)   # golden.paths.run_module_in_child
    argv = ["plan", "--boards", "1", "--verify", "1", "--no-calibrate"]
    assert cli.main(argv) == 7
    (cmd, env), = calls
    assert cmd == [sys.executable, "-m", "tb.jobs.plan_verify", *argv]
    assert str(REPO) in env["PYTHONPATH"].split(os.pathsep)

    seen = []

    def fake_verify(preds, k, images, batch, out_root, board):
        seen.append((str(preds[0].plan), k, images, batch, out_root.name, board))
        return [{"plan": str(preds[0].plan), "predicted_img_s": preds[0].predicted_img_s, "measured_img_s": None,
                 "error": None, "mismatches": 0, "lost": 0, "summary": str(tmp_path)}]

    monkeypatch.setattr(plan_verify, "verify", fake_verify)
    out = tmp_path / "plans.json"
    assert plan_verify.main([*argv, "--verify-images", "2", "--json", str(out)]) == 0
    assert seen == [("0-8x1", 1, 2, 1, "plan-verify", "pynq-z1")]
    assert json.loads(out.read_text())["verify"][0]["plan"] == "0-8x1"
    assert "verifying the best 1 plan(s) in RTL, 2 images each" in capsys.readouterr().out
    with pytest.raises(ValueError, match="tb.jobs.plan_verify"):
        planner.main(cli.build_parser().parse_args(argv))


def test_dsp48_variant_is_capped_at_the_boards_dsp48e1():
    """The DSP48 variant wants a DSP48E1 per product (SIMD x PE of every multiplying MVAU);
    a board builds at most its own count and the other products in LUTs, as Vivado's
    synth_design does (the paper's DSP48 kernels: 100% of the xc7z020's DSP48E1)."""
    lut_v, dsp_v = (resources.stage_resources(NET, 0, 5, None, mac) for mac in ("lut", "dsp"))
    wanted = sum(f.simd * f.pe for f in NET.folding.layers[:6])   # every conv layer multiplies (ternary weights)
    assert lut_v.dsp == 0 and dsp_v.dsp == wanted
    assert dsp_v.lut < lut_v.lut                          # the products left the LUTs
    pynq = platform("pynq-z1")
    on = dsp_v.on(pynq)
    assert wanted > pynq.dsp and on.dsp == pynq.dsp
    assert on.lut == dsp_v.lut + math.ceil((wanted - pynq.dsp) * dsp_v.lut_per_dsp) and on.lut < lut_v.lut
    assert "products in LUTs" in on.source
    roomy = dataclasses.replace(pynq, name="roomy", dsp=wanted)
    assert dsp_v.on(roomy) == dsp_v                       # all fit: nothing moves


def test_plan_prints_lut_bram_dsp_per_board_for_both_variants(capsys):
    from netsim import cli
    assert cli.main(["plan", "--boards", "2", "--no-calibrate"]) == 0
    out = capsys.readouterr().out
    block = out.split("resources per board")[1].split("best with")[0]
    for mac in ("Mul_LUT", "DSP48"):
        assert mac in block
    lines = block.splitlines()[1:]                        # after the heading
    rows = [ln for ln in lines if ln.startswith(" ")]
    plans = [ln.rstrip(":") for ln in lines if ln and not ln.startswith(" ")]
    assert plans and all("LUT" in ln and "BRAM" in ln and "DSP" in ln for ln in rows)
    # every stage of every plan on the Pareto front, once per variant
    assert len(rows) == 2 * sum(len(p.split(",")) for p in plans)
    assert any("DSP  220 (100.0%)" in ln for ln in rows)


def test_batch_prediction_follows_the_rtl_batch():
    """One board, numReps = 8: the planner's rate is 8 images per batch time, the batch time
    from the batch model (the HLS loops drain once per batch). The generated cnvW1A1 full
    kernel ran that batch in 450,619 cycles (tests/test_batch_cycles.py; the real export
    450,620): the old latency + 7 x interval would have predicted 18% too fast."""
    pred = Planner("cnvW1A1", batch=8).predict(Plan.parse("0-8x1", "cnvW1A1"))
    host = platform("pynq-z1").host_timing.region(450619 * 10_000, 8 * 3072, 8 * 128)   # the batch's timed region
    rtl_img_s = 8 * 1e12 / host.timed_ps
    assert pred.stages[0].img_s == pytest.approx(rtl_img_s, rel=0.02)
