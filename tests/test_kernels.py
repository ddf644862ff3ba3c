"""The generated kernels under Verilator, driven like a PYNQ host, bit-exact against golden/.

Each run: image 0 alone (single-image latency), the rest as one numReps batch. Latency must
land within 10% of the paper's Table I and the batch's cycles between the no-hold pipeline and
the batch model (golden.cycles.batch_cycles: as in the HLS exports, every batch-long loop drains
only after the batch's last image, so a small batch costs more than its images one slowest
layer apart): these are simulated cycles, deterministic, not wall-clock times.
"""

from __future__ import annotations

import pytest

from golden import networks
from golden.cycles import batch_cycles
from hls_out import kernel as kernels
from tb.jobs.kernel_job import KernelJob, run
from tb.jobs.result import Result

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def check(report: Result, images: int, interval_tolerance: float | None = 0.02, kernel: str | None = None) -> None:
    assert report.error is None, report.error
    assert report.images == images and report["images"] == images
    bad = [im.image for im in report.per_image if not im.match]
    assert report.mismatches == 0 and not bad, f"images {bad} differ from golden/"
    assert report.checkpoints["kernel output"]["checked"] == images
    t = report.figures
    paper = kernels.load(kernel or report.name).paper()
    if paper:
        assert t["paper_latency_cycles"] == paper.latency_cycles
        assert abs(t["latency_cycles"] - paper.latency_cycles) <= 0.10 * paper.latency_cycles, (
            f"latency {t['latency_cycles']} cycles is not within 10% of Table I ({paper.latency_cycles})")
    if images >= 3 and interval_tolerance is not None:
        # The batch of n as golden.cycles.batch_cycles predicts it (every batch-long loop
        # drains only after the last image; small FIFOs stall their producers), and never
        # faster than one image's latency plus n-1 slowest layers.
        n = images - 1
        model = batch_cycles(t["first"], t["last"], networks.get(report.network).folding, n,
                             kernels.load(kernel or report.name).data.get("hls_schedule"))
        floor = t["latency_cycles"] + (n - 1) * t["analytic_interval_cycles"]
        assert t["batch_cycles"] >= floor
        assert abs(t["batch_cycles"] - model) <= interval_tolerance * model, (
            f"batch of {n}: {t['batch_cycles']} cycles, not within {interval_tolerance:.0%} of the batch "
            f"model ({model})")
        assert t["batches"][-1]["model_cycles"] == model


@pytest.mark.parametrize("kernel,images", [("cnv_part2", 4), ("cnv_part1", 3), ("cnv_full", 3)])
def test_kernel_synthetic(kernel, images, tmp_path):
    job = KernelJob(kernel=kernel, images=images, seed=3, out_dir=str(tmp_path / kernel))
    check(run(job), images)


@pytest.mark.data
@pytest.mark.parametrize("kernel,images", [("cnv_part2", 4), ("cnv_part1", 3), ("cnv_full", 3)])
def test_kernel_trained(kernel, images, params_dir, cifar_file, tmp_path):
    job = KernelJob(kernel=kernel, images=images, params=str(params_dir), cifar=str(cifar_file),
                    out_dir=str(tmp_path / kernel))
    report = run(job)
    check(report, images)
    assert all(im.predicted is not None and im.label is not None for im in report.per_image)


def test_init_mode_matches_preload(tmp_path):
    """Layer 0 loaded word by word through AXI4-Lite (doInit = 1) over a zeroed preload of a
    different network: the results must be those of the intended network."""
    job = KernelJob(kernel="cnv_part1", images=2, seed=4, init_layers=[0], out_dir=str(tmp_path / "init"))
    check(run(job), 2)


@pytest.mark.parametrize("kernel,images", [("cnv_part2", 3), pytest.param("cnv_part1", 2, marks=pytest.mark.slow)])
def test_kernel_under_axi_stalls(kernel, images, tmp_path):
    """Random pauses on every AXI channel (seed printed): still bit-exact; the slowdown in
    simulated cycles is reported."""
    seed = 11
    calm = run(KernelJob(kernel=kernel, images=images, seed=9, stall_seed=None, out_dir=str(tmp_path / "calm")))
    stalled = run(KernelJob(kernel=kernel, images=images, seed=9, stall_seed=seed, out_dir=str(tmp_path / "stalled")))
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
    job = KernelJob(kernel="cnv_part2", images=4, seed=6, out_dir=str(tmp_path),
                    bus_errors=[{"buffer": buffer, "image": 2, "resp": resp}])
    report = run(job)
    assert report.error, "the run must fail"
    errs = " ".join(report["bus_errors"])
    assert resp in errs and f"buffer '{buffer}'" in errs and "image 2," in errs, errs
    # The other images are still checked and correct.
    assert [im.match for im in report.per_image][:2] == [True, True]


def test_full_length_bursts(tmp_path):
    """A batch long enough for AXI4's longest bursts both ways (40 images of lfc_w1a2_part1:
    13 words in and 32 out per image): the memory reader and writer issue 256-beat bursts
    (no 4 KiB crossing, the checker's rules) and every image is still bit-exact."""
    report = run(KernelJob(kernel="lfc_w1a2_part1", images=40, seed=8, out_dir=str(tmp_path)))
    check(report, 40, interval_tolerance=None)
    beats = report.figures["bus_stats"]["hostmem"]["burst_beats"]
    assert "256" in beats["read"] and "256" in beats["write"], beats


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["cnv_part2", "cnv_part1", "cnv_full"])
def test_kernel_synthetic_long(kernel, tmp_path):
    job = KernelJob(kernel=kernel, images=12, seed=5, out_dir=str(tmp_path / kernel))
    check(run(job), 12)


def test_register_programming_errors(tmp_path):
    """Null/unaligned buffers, numReps = 0, too small buffers and start-while-busy are refused
    by the driver with the register named; the RTL itself survives numReps = 0."""
    from tb.jobs import job_file, kernel_job, runner

    job = KernelJob(kernel="cnv_part2", images=2, seed=7, out_dir=str(tmp_path))
    cfg = kernel_job.prepare(job)
    top, sources, build_args = kernel_job.kernel_toplevel("cnv_part2")
    runner.run(top, sources, "tb.benches.tb_kernel_misuse", build_args=build_args,
               extra_env=job_file.env(cfg), plusargs=[f"+PARAMS_DIR={job.folder / 'params_hex'}"])


# ---------------------------------------------------------------- the BNN-PYNQ network family

def family_sources(network: str) -> tuple[str | None, str | None]:
    """(trained parameters, image file) of a network where $BNNSPLIT_DATA has them (CIFAR-10
    images for a CNV; an LFC runs on seeded synthetic MNIST-shaped images, the data holds no
    MNIST set), else (None, None): the seeded synthetic network."""
    from golden import data, networks
    params = data.params_dir(network)
    images = data.cifar_file() if params and networks.get(network).dataset == "CIFAR-10" else None
    return (str(params) if params else None), (str(images) if images else None)


# Every kernel of every other network, golden vs RTL bit-exact on 3 images (one alone, two as a
# numReps batch). The CNV full kernels are the long ones (their halves cover the same layers).
FAMILY_KERNELS = [
    pytest.param("cnvW1A1", "part1", id="cnvW1A1-part1"),
    pytest.param("cnvW1A1", "part2", id="cnvW1A1-part2"),
    pytest.param("cnvW1A1", "full", id="cnvW1A1-full", marks=pytest.mark.slow),
    pytest.param("cnvW1A2", "part1", id="cnvW1A2-part1"),
    pytest.param("cnvW1A2", "part2", id="cnvW1A2-part2"),
    pytest.param("cnvW1A2", "full", id="cnvW1A2-full", marks=pytest.mark.slow),
    pytest.param("lfcW1A1", "part1", id="lfcW1A1-part1"),
    pytest.param("lfcW1A1", "part2", id="lfcW1A1-part2"),
    pytest.param("lfcW1A1", "full", id="lfcW1A1-full"),
    pytest.param("lfcW1A2", "part1", id="lfcW1A2-part1"),
    pytest.param("lfcW1A2", "part2", id="lfcW1A2-part2"),
    pytest.param("lfcW1A2", "full", id="lfcW1A2-full"),
]


@pytest.mark.parametrize("network,role", FAMILY_KERNELS)
def test_family_kernel(network, role, tmp_path):
    """The generated kernels of cnvW1A1, cnvW1A2, lfcW1A1 and lfcW1A2 against golden/: trained
    parameters where the data is present, else the seeded synthetic network.

    Batch: every kernel's batch of 2 within 2% of the batch model (`check`). An LFC kernel's
    batch interval is longer than its slowest layer: its HLS top keeps the inter-layer FIFOs at
    512 / PE words (top.cpp: "for comparability"; a full vector would be MH / PE), half a
    vector, so each MVAU, which reads the next vector only in its first neuron fold, waits for
    the producer to make the other half; the model's fc layers stall on those depths. It must
    still overlap the layers (below the sum of layers)."""
    from golden import networks
    from hls_out.generate import default_kernel

    net = networks.get(network)
    kernel = default_kernel(net, role)
    params, images = family_sources(network)
    report = run(KernelJob(kernel=kernel, images=3, params=params, cifar=images, seed=12,
                           out_dir=str(tmp_path / kernel)))
    check(report, 3, interval_tolerance=0.02)
    t = report.figures
    assert report.network == net.name and (t["first"], t["last"]) == net.natural_ranges()[role]
    assert t["analytic_interval_cycles"] <= t["batch_interval_cycles"] < t["analytic_sum_cycles"]
    print(f"{kernel}: latency {t['latency_cycles']} cycles, batch interval "
          f"{t['batch_interval_cycles']:.0f} (slowest layer {t['analytic_interval_cycles']}, "
          f"sum of layers {t['analytic_sum_cycles']})")


def test_family_init_mode_one_threshold(tmp_path):
    """CNV-W1A1 layer 0 (1-bit weights, one threshold per neuron) loaded word by word through
    init mode over a decoy preload: targetThresh = 0 is the only threshold of a neuron."""
    job = KernelJob(kernel="cnv_w1a1_part1", images=2, seed=4, init_layers=[0], out_dir=str(tmp_path / "init"))
    check(run(job), 2)


# Every committed kernel, and the stages of the three-stage plan the co-simulation tests run
# (generated into build/kernels/).
PLAN_STAGES = [(0, 3), (4, 5)]


@pytest.mark.parametrize("kernel", kernels.known() + [f"plan:{a}-{b}" for a, b in PLAN_STAGES])
def test_every_fifo_fills_and_nothing_is_lost(kernel, tmp_path):
    """The host holds the output back until every FIFO of the kernel has been seen full,
    with as many images as its FIFOs and stages can hold (hls_out.kernel.images_to_fill):
    every FIFO fills (the LFCs' 1024-word output FIFO needs over a thousand images), then
    drains, and every image comes out bit-exact, in its place, once. Under `make coverage`
    this hits every "FIFO seen full" bin of functional coverage."""
    if kernel.startswith("plan:"):
        from golden import networks
        from hls_out.generate import kernel_for_range
        from tb.jobs.runner import BUILD
        first, last = map(int, kernel[5:].split("-"))
        kernel = str(kernel_for_range(networks.get("cnvW2A2"), first, last, BUILD / "kernels"))
    info = kernels.load(kernel)
    n = kernels.images_to_fill(info.data)
    report = run(KernelJob(kernel=kernel, images=n, seed=5, fill_fifos=True, out_dir=str(tmp_path / info.name)))
    check(report, n, interval_tolerance=None, kernel=kernel)
    t = report.figures
    assert t["fifos_not_filled"] == [], f"{info.name}: never full with {n} images: {t['fifos_not_filled']}"
    assert t["fifos_filled"] == [f.name for f in info.fifos]
    assert t["protocol_violations"] == []
    assert t["bus_stats"]["hostmem"]["W"]["wait_cycles"] > 0


def test_images_to_fill_counts_what_the_fifos_hold():
    """A kernel.json without the words per image of its FIFOs (one written before they were
    recorded) is refused with a message naming the FIFO and the fix; a FIFO that holds more
    images needs more of them."""
    from golden.errors import BnnInputError
    data = kernels.load("cnv_part2").data
    base = kernels.images_to_fill(data)
    deeper = {**data, "stages": [dict(st, params={**st["params"], "DEPTH": st["params"]["DEPTH"] * 2})
                                 if st["name"] == "fifo_L6" else st for st in data["stages"]]}
    words = next(st["image_words"] for st in data["stages"] if st["name"] == "fifo_L6")
    assert kernels.images_to_fill(deeper) - base in (128 // words, -(-128 // words))
    old = {**data, "stages": [{k: v for k, v in st.items() if k != "image_words"} for st in data["stages"]]}
    with pytest.raises(BnnInputError, match="fifo_L6.*make hls"):
        kernels.images_to_fill(old)


def test_output_held_back_loses_nothing(tmp_path):
    """The host takes no write data for two images' worth of cycles at the start of a batch
    (KernelJob.hold_writes): the kernel backs up into its FIFOs and stops; once released,
    every image comes out right, with no watchdog and no protocol violation, and the memory
    saw the write data wait for WREADY. (Under `make coverage` this also fills FIFOs.)"""
    kernel = "cnv_w1a1_part2"
    hold = 2 * kernels.load(kernel).expected_cycles["sum"]
    report = run(KernelJob(kernel=kernel, images=3, seed=2, hold_writes=hold, out_dir=str(tmp_path / kernel)))
    check(report, 3, interval_tolerance=None)
    t = report.figures
    assert t["batch_cycles"] >= hold
    assert t["bus_stats"]["hostmem"]["W"]["wait_cycles"] > hold // 2
    assert t["protocol_violations"] == []
