"""The PYNQ host's timed region (golden/host_timing.py, tb/host/driver.py): calibrated on ONE
row of Table I, checked on the other two, and spent by the co-simulation's host around the
RTL's own cycles, run by run.

The RTL latencies below were measured on the generated CNV-W2A2 kernels with trained
parameters and CIFAR-10 images (`python -m tb.jobs.kernel_job --kernel K --images 3`, README
"Timing fidelity"); they are not computed by the code under test.
"""

from __future__ import annotations

import pytest

from golden import networks
from golden.host_timing import HostTiming, calibrate_copy_rate
from golden.platform import platform
from tb.jobs.kernel_job import KernelJob, run

RTL_LATENCY = {"full": 464088, "part1": 325592, "part2": 138579}
PS_PER_CYCLE = 10_000          # the PYNQ-Z1's 100 MHz


def _row(name):
    net = networks.get("cnvW2A2")
    paper = next(k for k in net.paper_kernels if k.name == name)
    return paper, 8 * net.words_per_image(paper.first - 1), 8 * net.words_per_image(paper.last)


def test_the_copy_rate_is_calibrated_on_the_part1_row():
    """The board's constant is what Table I's part 1 row gives, nothing else."""
    timing = platform().host_timing
    paper, n_in, n_out = _row("part1")
    rate = calibrate_copy_rate(timing, paper.exec_us * 1e6, RTL_LATENCY["part1"] * PS_PER_CYCLE, n_in, n_out)
    assert timing.copy_ps_per_byte == pytest.approx(rate, abs=1.0)


@pytest.mark.parametrize("name", ["full", "part2"])
def test_the_other_table_i_rows_within_2_percent(name):
    timing = platform().host_timing
    paper, n_in, n_out = _row(name)
    region = timing.region(RTL_LATENCY[name] * PS_PER_CYCLE, n_in, n_out)
    kernel_err = (RTL_LATENCY[name] * PS_PER_CYCLE / 1e6 - paper.exec_us) / paper.exec_us
    err = (region.timed_ps / 1e6 - paper.exec_us) / paper.exec_us
    print(f"{name}: kernel {kernel_err:+.2%}, host timed region {err:+.2%} of Table I")
    assert abs(err) <= 0.02
    assert abs(err) < abs(kernel_err) or abs(kernel_err) < 0.005


def test_region_arithmetic():
    t = HostTiming(copy_ps_per_byte=100, reg_access_ps=200_000, poll_sleep_ps=1_000_000)
    r = t.region(10_000_000, 1000, 10)                  # 10 us of kernel
    assert r.copy_in_ps == 100_000 and r.copy_out_ps == 1000 and r.reg_writes_ps == 400_000
    # reads start at 0, 1.2, ..., 9.6 us and see the state at their end; the one at 10.8 us
    # (ending at 11.0) is the first that ends after 10 us: ap_done seen 1.0 us late
    assert r.poll_ps == pytest.approx(1_000_000)
    assert r.exec_accel_ps == 200_000 + 10_000_000 + 1_000_000
    assert r.timed_ps == 100_000 + 400_000 + 11_000_000 + 1000
    assert t.region(0, 0, 0).poll_ps == 200_000         # a kernel done at once: one read


def test_bad_constants_are_named():
    with pytest.raises(ValueError, match="reg_access_ps"):
        HostTiming(copy_ps_per_byte=1, reg_access_ps=-1, poll_sleep_ps=0)
    with pytest.raises(ValueError, match="leaves no time for copies"):
        calibrate_copy_rate(platform().host_timing, 1e6, 2e6, 10, 10)


def test_the_cosimulated_host_spends_the_modelled_region(tmp_path):
    """The CNV-W2A2 part 2 kernel in RTL: its report gives `kernel_cycles` and `host_timed_us`
    side by side, the timed region is the kernel's own cycles plus the modelled copies,
    register accesses and polling (within the bus's own cycles), and it is within 2% of
    Table I's part 2 row."""
    report = run(KernelJob(kernel="cnv_part2", images=3, out_dir=str(tmp_path / "k")))
    assert report.error is None and report.mismatches == 0
    f = report.figures
    assert f["kernel_cycles"] == f["latency_cycles"]
    paper, n_in, n_out = _row("part2")
    model = platform().host_timing.region(f["kernel_cycles"] * PS_PER_CYCLE, n_in, n_out)
    assert f["host_timed_us"] * 1e6 == pytest.approx(model.timed_ps, abs=50_000)      # within 5 cycles
    assert f["host_region"]["exec_accel_us"] * 1e6 == pytest.approx(model.exec_accel_ps, abs=50_000)
    assert abs(f["host_timed_us"] - paper.exec_us) <= 0.02 * paper.exec_us
    batch = f["batches"][-1]     # numReps = 2: twice the bytes copied
    model2 = platform().host_timing.region(batch["cycles"] * PS_PER_CYCLE, 2 * n_in, 2 * n_out)
    assert batch["host_timed_us"] * 1e6 == pytest.approx(model2.timed_ps, abs=50_000)


def test_every_run_of_a_cosimulation_is_kernel_plus_host(tmp_path):
    """A two-board LFC split, three images one by one: on each board, each run's timed region
    (summary.json `host_timed_us`) is its kernel cycles (`kernel_cycles`) plus the modelled
    host costs, image by image."""
    from tb.jobs.cosim import CosimJob, run as run_system

    s = run_system(CosimJob(images=3, seed=1, network="lfcW1A1", plan="0-1x1,2-3x1", stall_seed=None,
                            out_dir=str(tmp_path)))
    assert s.ok, s.errors
    net = networks.get("lfcW1A1")
    timing = platform().host_timing
    for board, (first, last) in zip(("s0b0", "s1b0"), ((0, 1), (2, 3))):
        cycles, timed = s["kernel_cycles"][board], s["host_timed_us"][board]
        assert len(cycles) == len(timed) == 3
        for c, t in zip(cycles, timed):
            model = timing.region(c * PS_PER_CYCLE, 8 * net.words_per_image(first - 1), 8 * net.words_per_image(last))
            assert t * 1e6 == pytest.approx(model.timed_ps, abs=50_000), board
