"""The generated kernels under Verilator, driven like a PYNQ host, bit-exact against golden/.

Each run: image 0 alone (single-image latency), the rest as one numReps batch (initiation
interval). Latency must land within 10% of the paper's Table I and the batch interval within
2% of the slowest layer: these are simulated cycles, deterministic, not wall-clock times.
"""

from __future__ import annotations

import pytest

from hls_out import kernel as kernels
from tb.jobs.kernel_job import KernelJob, run
from tb.jobs.result import Result

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def check(report: Result, images: int) -> None:
    assert report.error is None, report.error
    assert report.images == images and report["images"] == images
    bad = [im.image for im in report.per_image if not im.match]
    assert report.mismatches == 0 and not bad, f"images {bad} differ from golden/"
    assert report.checkpoints["kernel output"]["checked"] == images
    t = report.figures
    paper = kernels.load(report.name).paper()
    if paper:
        assert t["paper_latency_cycles"] == paper.latency_cycles
        assert abs(t["latency_cycles"] - paper.latency_cycles) <= 0.10 * paper.latency_cycles, (
            f"latency {t['latency_cycles']} cycles is not within 10% of Table I ({paper.latency_cycles})")
    if images >= 3:
        ii, analytic = t["batch_interval_cycles"], t["analytic_interval_cycles"]
        assert abs(ii - analytic) <= 0.02 * analytic, (
            f"batch interval {ii} is not within 2% of the slowest layer ({analytic})")


@pytest.mark.parametrize("kernel,images", [("cnv_part2", 4), ("cnv_part1", 3), ("cnv_full", 3)])
def test_kernel_synthetic(kernel, images, tmp_path):
    job = KernelJob(kernel, images, seed=3, out_dir=str(tmp_path / kernel))
    check(run(job), images)


@pytest.mark.data
@pytest.mark.parametrize("kernel,images", [("cnv_part2", 4), ("cnv_part1", 3), ("cnv_full", 3)])
def test_kernel_trained(kernel, images, params_dir, cifar_file, tmp_path):
    job = KernelJob(kernel, images, str(params_dir), str(cifar_file), out_dir=str(tmp_path / kernel))
    report = run(job)
    check(report, images)
    assert all(im.predicted is not None and im.label is not None for im in report.per_image)


def test_init_mode_matches_preload(tmp_path):
    """Layer 0 loaded word by word through AXI4-Lite (doInit = 1) over a zeroed preload of a
    different network: the results must be those of the intended network."""
    job = KernelJob("cnv_part1", 2, seed=4, init_layers=[0], out_dir=str(tmp_path / "init"))
    check(run(job), 2)


@pytest.mark.parametrize("kernel,images", [("cnv_part2", 3), pytest.param("cnv_part1", 2, marks=pytest.mark.slow)])
def test_kernel_under_axi_stalls(kernel, images, tmp_path):
    """Random pauses on every AXI channel (seed printed): still bit-exact; the slowdown in
    simulated cycles is reported."""
    seed = 11
    calm = run(KernelJob(kernel, images, seed=9, stall_seed=None, out_dir=str(tmp_path / "calm")))
    stalled = run(KernelJob(kernel, images, seed=9, stall_seed=seed, out_dir=str(tmp_path / "stalled")))
    check(calm, images)
    check(stalled, images)
    assert stalled["stall_seed"] == seed
    a, b = calm.figures, stalled.figures
    print(f"{kernel} under AXI stalls (seed {seed}): latency {b['latency_cycles']} vs {a['latency_cycles']} "
          f"cycles ({b['latency_cycles'] / a['latency_cycles']:.3f}x), batch "
          f"{b['batch_cycles']} vs {a['batch_cycles']} ({b['batch_cycles'] / a['batch_cycles']:.3f}x)")
    assert b["latency_cycles"] >= a["latency_cycles"]


@pytest.mark.parametrize("buffer,resp", [("in", "SLVERR"), ("out", "DECERR")])
def test_bus_error_is_reported(buffer, resp, tmp_path):
    """An error response from memory on one image's buffer is reported with the board,
    buffer and image: never a hang, never a silent wrong result."""
    job = KernelJob("cnv_part2", 4, seed=6, out_dir=str(tmp_path),
                    bus_errors=[{"buffer": buffer, "image": 2, "resp": resp}])
    report = run(job)
    assert report.error, "the run must fail"
    errs = " ".join(report["bus_errors"])
    assert resp in errs and f"buffer '{buffer}'" in errs and "image 2," in errs, errs
    # The other images are still checked and correct.
    assert [im.match for im in report.per_image][:2] == [True, True]


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["cnv_part2", "cnv_part1", "cnv_full"])
def test_kernel_synthetic_long(kernel, tmp_path):
    job = KernelJob(kernel, 12, seed=5, out_dir=str(tmp_path / kernel))
    check(run(job), 12)


def test_register_programming_errors(tmp_path):
    """Null/unaligned buffers, numReps = 0, too small buffers and start-while-busy are refused
    by the driver with the register named; the RTL itself survives numReps = 0."""
    from tb.jobs import job_file, kernel_job, runner

    job = KernelJob("cnv_part2", 2, seed=7, out_dir=str(tmp_path))
    cfg = kernel_job.prepare(job)
    top, sources, build_args = kernel_job.kernel_toplevel("cnv_part2")
    runner.run(top, sources, "tb.benches.tb_kernel_misuse", build_args=build_args,
               extra_env=job_file.env(cfg), plusargs=[f"+PARAMS_DIR={job.folder / 'params_hex'}"])
