"""End-to-end co-simulation: the boards' kernel RTL joined by the Ethernet link model.

Every image's scores are checked bit-exactly against golden/ (and the split tensors that cross
the link, at the FC board); every image must come back exactly once, in order of image id
at the FC side, even with frames lost on the link.
"""

from __future__ import annotations

import json

import pytest

from tb.jobs.cosim import CosimJob, run


def check(summary, images: int) -> None:
    assert summary.error is None, summary.error
    assert summary["images"] == images
    assert summary["lost"] == 0 and summary["duplicated"] == 0
    assert summary["mismatches"] == 0, summary.errors
    assert all(im.match for im in summary.per_image)
    assert all(lat is not None and lat > 0 for lat in summary["latency_us"])
    # Every checkpoint saw every image once: the tensors crossing the links and the scores.
    for name, cp in summary.checkpoints.items():
        assert cp["checked"] == images and not cp["missing"] and not cp["duplicated"], (name, cp)


@pytest.mark.parametrize("topology,images", [("split", 3), ("split-3", 4)])
def test_split_with_loss(topology, images, tmp_path):
    job = CosimJob(topology=topology, images=images, seed=2, loss=0.05, out_dir=str(tmp_path))
    s = run(job)
    check(s, images)
    assert (tmp_path / "link.pcap").stat().st_size > 24
    assert (tmp_path / "timeline.png").read_bytes()[:4] == b"\x89PNG"
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["topology"] == topology and on_disk["network"] == "cnvW2A2"
    assert [b["role"] for b in on_disk["boards"]][-1] == "part2"
    assert "tensor into stage 1 (after layer 5)" in on_disk["checkpoints"]
    if topology == "split-3":
        # Round-robin over two conv boards: both did work.
        assert all(len(c) > 0 for b, c in s["kernel_cycles"].items())


@pytest.mark.data
def test_split_trained(params_dir, cifar_file, tmp_path):
    job = CosimJob(topology="split", images=3, params=str(params_dir), cifar=str(cifar_file), out_dir=str(tmp_path))
    s = run(job)
    check(s, 3)
    # The first three CIFAR-10 test images are classified correctly by the trained network.
    assert [im.predicted for im in s.per_image] == [im.label for im in s.per_image]


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("topology", ["split", "split-3"])
def test_twenty_images_trained(topology, params_dir, cifar_file, tmp_path):
    job = CosimJob(topology=topology, images=20, params=str(params_dir), cifar=str(cifar_file), loss=0.05,
                   out_dir=str(tmp_path))
    check(run(job), 20)


@pytest.mark.slow
def test_split_under_axi_stalls(tmp_path):
    """Random pauses on every AXI channel of both boards, and 5% frame loss."""
    s = run(CosimJob(topology="split", images=2, seed=4, loss=0.05, stall_seed=12, out_dir=str(tmp_path)))
    check(s, 2)


def test_link_faults(tmp_path):
    """Corruption (caught by the FCS), duplication, reordering and a 500 us outage at once."""
    faults = {"corrupt": 0.05, "duplicate": 0.05, "reorder": 0.05, "down": [["100us", "600us"]]}
    s = run(CosimJob(topology="split", images=3, seed=3, faults=faults, out_dir=str(tmp_path)))
    check(s, 3)
    assert s["retransmissions"] > 0


def test_permanent_link_failure_is_reported(tmp_path):
    """A link that never comes back ends the run with a clear error, not a hang."""
    job = CosimJob(topology="split", images=2, seed=3, faults={"down": [["0us", None]]},
                   transport={"rto_ps": "200us", "rto_min_ps": "100us", "max_retries": 2},
                   out_dir=str(tmp_path))
    s = run(job)
    assert s["lost"] == 2
    assert "LinkFailure" in s.error and "not acknowledged after 2 retransmissions" in s.error, s.error


def test_bad_topology_is_a_clear_error():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "tb.jobs.cosim", "--topology", "split-1", "--synthetic"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "at least 2 boards" in r.stderr and "Traceback" not in r.stderr


def test_three_stage_plan_bit_exact(tmp_path):
    """A plan the paper never built: three stages, the first on two boards. Every cut tensor
    is checked where it enters the next stage, the scores at the host."""
    s = run(CosimJob(images=4, seed=5, plan="0-3x2,4-5x1,6-8x1", out_dir=str(tmp_path)))
    check(s, 4)
    assert s["plan"] == "0-3x2,4-5x1,6-8x1"
    assert [st["replicas"] for st in s["stages"]] == [2, 1, 1]
    assert [st["bytes_in_per_image"] for st in s["stages"]] == [3072, 5 * 5 * 128 * 2 // 8, 256 * 2 // 8]
    assert set(s.checkpoints) == {"tensor into stage 1 (after layer 3)", "tensor into stage 2 (after layer 5)",
                                  "scores at host"}
    # Round robin over the first stage: both replicas ran.
    assert all(len(s["kernel_cycles"][b]) == 2 for b in ("s0b0", "s0b1"))


def test_failover_of_a_dead_conv_replica_in_rtl(tmp_path):
    """Conv replica 1 dies while images are queued on it: its dispatcher notices by a timeout,
    re-sends them to the survivor; every image still arrives exactly once, bit-exact."""
    s = run(CosimJob(images=6, seed=4, plan="0-5x2,6-8x1", fail="0:1@5000", out_dir=str(tmp_path)))
    check(s, 6)
    assert s["killed"][0]["board"] == "s0b1"
    assert s["failovers"] == 1 and s["resent"] >= 1
    log = s["failover_log"][0]
    assert log["detected_ps"] > s["killed"][0]["at_ps"], "noticed after the failure, by a timeout"


def test_dead_stage_is_a_clear_loss_report(tmp_path):
    """The only FC board dies: the run ends (no hang) and says which images were lost where."""
    s = run(CosimJob(images=4, seed=4, plan="0-5x1,6-8x1", fail="1:0@4000", out_dir=str(tmp_path)))
    assert s["lost"] > 0 and s.error and "lost" in s.error
    assert all("stage 1 (6-8x1)" in where for where in s["lost_where"].values())
    assert s["images"] == 4 and s["mismatches"] == 0


@pytest.mark.parametrize("network,plan", [("lfcW1A1", "0-1x1,2-3x1"), ("cnvW1A1", "0-5x1,6-8x1")])
def test_split_of_other_networks_bit_exact(network, plan, tmp_path):
    """The family beyond CNV-W2A2: an LFC split in two stages (1-bit tensors on the wire, one
    output word of class bits) and CNV-W1A1's paper cut, bit-exact at every checkpoint."""
    s = run(CosimJob(images=3, seed=2, network=network, plan=plan, out_dir=str(tmp_path)))
    check(s, 3)
    assert s["network"] == network and s["plan"] == plan
    from golden import networks
    net = networks.get(network)
    cut = int(plan.split(",")[0].split("-")[1].split("x")[0])
    assert s["stages"][1]["bytes_in_per_image"] == 8 * net.words_per_image(cut)


def test_each_board_on_its_own_clock(tmp_path):
    """Board clocks 200 ppm apart (conv0 at 10002 ps, fc at 9998 ps), both toggled by the
    simulation's main loop at their own periods: still bit-exact; each kernel run takes the
    same number of cycles as with equal clocks (to the one the host's count from simulated
    time may differ by), so it lasts 200 ppm longer on conv0 and shorter on fc. (The hosts spend
    no time of their own here: theirs is in picoseconds, not in cycles of a board's clock.)"""
    trace, cycles = {}, {}
    for ppm in (0, 200):
        s = run(CosimJob(topology="split", images=2, seed=4, ppm=ppm, stall_seed=None, host_timing=False,
                         out_dir=str(tmp_path / str(ppm))))
        check(s, 2)
        cycles[ppm] = s["kernel_cycles"]
        trace[ppm] = json.loads((tmp_path / str(ppm) / "trace.json").read_text())["boards"]
    for board in cycles[0]:   # the host counts cycles from simulated time: +-1 at another phase
        assert all(abs(a - b) <= 1 for a, b in zip(cycles[0][board], cycles[200][board])), cycles
    for board, period in (("conv0", 10002), ("fc", 9998)):
        # a run (host's start to interrupt) takes as many cycles either way, of its own period
        for (a0, a1, _), (b0, b1, _) in zip(trace[0][board]["intervals"], trace[200][board]["intervals"]):
            assert abs((b1 - b0) / (a1 - a0) - period / 10000) < 2e-5, (board, a1 - a0, b1 - b0)
