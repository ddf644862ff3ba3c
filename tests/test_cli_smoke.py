"""Smoke test of every command line: each `main()` under golden/, netsim/, tb/jobs/, tb/perf/ and
hls_out/ run with each of its documented flags (README, Makefile, the modules' docstrings).

Cheap commands run for real on small inputs with their outputs in tmp_path (`python -m golden`,
`python -m netsim run|sweep|plan`, `python -m hls_out.generate --out`, `python -m tb.jobs.coverage`,
`python -m tb.jobs.toolchain root`). Commands that would build or simulate RTL, synthesize or
start dask (tb.jobs.cosim, kernel_job, regress, resources, lint, plan_verify, tb.perf.bench,
golden/bench.py) have the expensive function their main calls replaced by a fake that records
what it was given, and every flag is checked to arrive in the right field of the job (`--ppm 200`
once put 200.0 into CosimJob.faults); their output folders are tmp_path, never build/. One bad value per command: the exit code and a one-line message
on stderr, never a traceback. What other test files already cover in depth (the hostile-input
checks, netsim's tables, the golden family's round trips) is not repeated here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from golden import networks

REPO = Path(__file__).resolve().parent.parent


def _call(capsys, main, argv, **kw):
    """main(argv) in this process: (exit code, stdout, stderr); argparse's exits count too."""
    try:
        code = main(list(argv), **kw)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str, prefix: str = "error: ") -> str:
    assert "Traceback" not in err, err
    assert err.startswith(prefix) and err.count("\n") == 1, err
    return err


def _argparse_error(err: str) -> None:
    """argparse's own refusal: the usage, then one `PROG: error: ...` line, no traceback."""
    assert "Traceback" not in err and err.startswith("usage: "), err
    assert ": error: " in err.strip().splitlines()[-1], err


# ============================================================ python -m golden

LFC = "lfcW1A1"


@pytest.fixture(scope="module")
def data_files(tmp_path_factory):
    """Small inputs for every source option: synthetic parameter folders in BNN-PYNQ's file
    layout, a CIFAR-10 file, MNIST IDX images and labels, photos, a non-default folding."""
    from PIL import Image

    from golden import images as I
    from golden.params import save_params
    from golden.synthetic import synthetic_params

    root = tmp_path_factory.mktemp("cli_data")
    lfc, cnv = networks.get(LFC), networks.get("cnvW2A2")
    lfc_params, cnv_params = synthetic_params(3, lfc.folding), synthetic_params(1, cnv.folding)
    save_params(lfc_params, root / "lfc_params")
    save_params(cnv_params, root / "cnv_params")
    rng = np.random.default_rng(5)
    records = np.concatenate([np.arange(8, dtype=np.uint8)[:, None] % 10,
                              rng.integers(0, 256, (8, 3072), dtype=np.uint8)], axis=1)
    records[:4].tofile(root / "cifar.bin")
    records.tofile(root / "cifar8.bin")
    I.write_idx(root / "mnist", I.network_images(lfc, 4, seed=4))
    # a $BNNSPLIT_DATA of the same files, as the jobs read it by default
    save_params(lfc_params, root / "data" / "bnn-pynq" / LFC)
    save_params(cnv_params, root / "data" / "bnn-pynq" / "cnvW2A2")
    (root / "data" / "bnn-pynq" / "images").mkdir()
    I.write_idx(root / "data" / "bnn-pynq" / "images" / "3.image-idx3-ubyte", I.network_images(lfc, 1, seed=3))
    (root / "data" / "cifar10").mkdir()
    records.tofile(root / "data" / "cifar10" / "test_batch_first932.bin")
    I.write_idx(root / "labels", np.array([1, 2, 3, 4], np.uint8))
    Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(root / "photo.png")
    digit = np.full((60, 60), 255, np.uint8)
    digit[10:50, 25:35] = 0
    Image.fromarray(digit).save(root / "digit.png")
    folding = lfc.folding.to_json()
    folding["layers"][3]["pe"] = 8                     # 64 neurons on 8 PEs instead of 16
    (root / "lfc_folding.json").write_text(json.dumps(folding))
    return root


def _golden(capsys, *argv):
    from golden.__main__ import main
    return _call(capsys, main, argv)


def _predictions(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("predictions: "))


@pytest.mark.parametrize("case", ["synthetic", "seed", "params", "limit", "mnist", "image-lfc", "cifar",
                                  "image-cnv", "outputs"])
def test_golden_classify(case, data_files, tmp_path, capsys):
    d = data_files
    lfc = ["classify", "--network", LFC]
    argv, want = {
        "synthetic": (lfc + ["--limit", "3"], ["network: lfcW1A1 (synthetic(seed=1))", "images: 3",
                                               "accuracy: n/a (no labels)"]),
        "seed": (lfc + ["--limit", "2", "--seed", "4"], ["(synthetic(seed=4))", "images: 2"]),
        "params": (lfc + ["--limit", "2", "--params", str(d / "lfc_params")], [f"({d / 'lfc_params'})"]),
        "limit": (lfc + ["--mnist", str(d / "mnist"), "--limit", "3"], ["images: 3"]),
        "mnist": (lfc + ["--mnist", str(d / "mnist"), "--mnist-labels", str(d / "labels")],
                  ["images: 4", "accuracy: ", "/4 = "]),
        "image-lfc": (lfc + ["--image", str(d / "digit.png")], ["images: 1", "predictions: "]),
        "cifar": (["classify", "--params", str(d / "cnv_params"), "--cifar", str(d / "cifar.bin"), "--limit", "3"],
                  ["network: cnvW2A2", "images: 3", "/3 = "]),
        "image-cnv": (["classify", "--network", "cnvW2A2", "--params", str(d / "cnv_params"),
                       "--image", str(d / "photo.png")], ["images: 1"]),
        "outputs": (["classify", "--params", str(d / "cnv_params"), "--limit", "2",
                     "--scores-out", str(tmp_path / "s.npy"), "--split-out", str(tmp_path / "t.npy")],
                    [f"scores: {tmp_path / 's.npy'}", f"split tensor: {tmp_path / 't.npy'}"]),
    }[case]
    code, out, err = _golden(capsys, *argv)
    assert code == 0, err
    for line in want:
        assert line in out, out
    if case == "outputs":
        assert np.load(tmp_path / "s.npy").shape == (2, 64)
        assert np.load(tmp_path / "t.npy").shape == (2, 64)      # 64 bytes per image at the natural cut


def test_golden_classify_folding_changes_nothing_but_the_layout(data_files, capsys):
    base = ["classify", "--network", LFC, "--mnist", str(data_files / "mnist")]
    code, plain, err = _golden(capsys, *base)
    assert code == 0, err
    code, folded, err = _golden(capsys, *base, "--folding", str(data_files / "lfc_folding.json"))
    assert code == 0, err
    assert _predictions(folded) == _predictions(plain)


def test_golden_run_every_flag(data_files, tmp_path, capsys):
    from golden.params import load_params
    from golden.words import kernel_words
    from golden import images as I

    net = networks.get(LFC)
    params = load_params(data_files / "lfc_params", net.folding)
    words_in, words_out, _ = kernel_words(params, I.network_images(net, 2, seed=9), 1, 2)
    np.save(tmp_path / "in.npy", words_in)
    out_npy = tmp_path / "out.npy"
    code, out, err = _golden(capsys, "run", "--network", LFC, "--params", str(data_files / "lfc_params"),
                             "--first", "1", "--last", "2", "--words-in", str(tmp_path / "in.npy"),
                             "--words-out", str(out_npy))
    assert code == 0, err
    assert "lfcW1A1 layers 1-2" in out and "2 image(s), 16 words in -> 16 words out per image" in out
    assert np.array_equal(np.load(out_npy), words_out)
    # the synthetic network by seed, with a folding of its own: the same words
    synth, _, _ = kernel_words(params, I.network_images(net, 2, seed=9), 0, net.last)
    np.save(tmp_path / "full.npy", synth)
    code, out, err = _golden(capsys, "run", "--network", LFC, "--seed", "3", "--folding",
                             str(data_files / "lfc_folding.json"), "--words-in", str(tmp_path / "full.npy"),
                             "--words-out", str(tmp_path / "o2.npy"))
    assert code == 0, err
    assert "layers 0-3 (synthetic(seed=3))" in out
    assert np.array_equal(np.load(tmp_path / "o2.npy"), kernel_words(params, I.network_images(net, 2, seed=9),
                                                                     0, net.last)[1])


def test_golden_splits_and_cycles(data_files, tmp_path, capsys):
    code, out, err = _golden(capsys, "splits", "--network", "cnvW1A1", "--plot", str(tmp_path / "s.png"))
    assert code == 0, err
    assert "bytes/image" in out and f"plot: {tmp_path / 's.png'}" in out
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    code, out, err = _golden(capsys, "cycles", "--network", LFC, "--clock-mhz", "50", "--folding",
                             str(data_files / "lfc_folding.json"))
    assert code == 0, err
    assert "us@50MHz" in out
    layer3 = next(line.split() for line in out.splitlines() if line.split()[:2] == ["3", "fc"])
    assert layer3[2:4] == ["8", "8"]             # SIMD 8, PE 8 from the folding file


@pytest.mark.parametrize("argv,fragment", [
    (["classify", "--network", LFC, "--scores-out", "/nonexistent-dir/s.npy"], "/nonexistent-dir does not exist"),
    (["run", "--network", LFC, "--first", "2", "--last", "9", "--words-in", "x.npy", "--words-out", "y.npy"],
     "9"),
    (["splits", "--plot", "/nonexistent-dir/s.png"], "/nonexistent-dir does not exist"),
    (["cycles", "--clock-mhz", "nan"], "--clock-mhz"),
])
def test_golden_bad_values(argv, fragment, capsys):
    code, out, err = _golden(capsys, *argv)
    assert code == 2
    assert fragment in _one_line(err)


def test_golden_bench_main(monkeypatch, tmp_path, capsys):
    """`make bench`'s golden step (golden/bench.py, no flags): prints and writes build/bench/golden.json
    (relative to the working directory); the 932-image measurement itself is replaced."""
    from golden import bench

    res = {"machine": {"cores": 2}, "source": "fake", "images": 4, "golden_img_s": 600.0,
           "reference_float32_img_s": 300.0, "golden_over_reference": 2.0, "target_img_s": 500, "target_met": True}
    monkeypatch.setattr(bench, "measure", lambda repeats=3: res)
    monkeypatch.chdir(tmp_path)
    assert bench.main() == 0
    out = capsys.readouterr().out
    assert "golden model on fake (2 cores)" in out and "target >= 500: met" in out
    assert json.loads((tmp_path / "build" / "bench" / "golden.json").read_text()) == res


# ============================================================ python -m netsim

def _netsim(capsys, *argv):
    from netsim.cli import main
    return _call(capsys, main, argv)


def _at(d: dict, path: str):
    for key in path.split("."):
        d = d[key]
    return d


@pytest.mark.parametrize("flags,path,value", [
    (["--topology", "full"], "topology", "full"),
    (["--plan", "0-5x2,6-8x1"], "plan", "0-5x2,6-8x1"),
    (["--plan", "0-5x2,6-8x1", "--fail", "0:1@500"], "failover", True),
    (["--boards", "3"], "replicas", 3),
    (["--replicas", "2"], "replicas", 2),
    (["--images", "3"], "images", 3),
    (["--batch", "2"], "batch", 2),
    (["--interval", "50us"], "image_interval_ps", 50_000_000),
    (["--rate", "100M"], "link.rate_bps", 1e8),
    (["--mtu", "9000"], "link.mtu", 9000),
    (["--protocol", "udp"], "link.protocol", "udp"),
    (["--propagation", "1us"], "link.propagation_ps", 1_000_000),
    (["--switch-latency", "2us"], "link.switch_latency_ps", 2_000_000),
    (["--no-switch"], "link.switch", False),
    (["--host-overhead", "5us"], "link.host_recv_overhead_ps", 5_000_000),
    (["--send-overhead", "3us"], "link.host_send_overhead_ps", 3_000_000),
    (["--recv-overhead", "4us"], "link.host_recv_overhead_ps", 4_000_000),
    (["--invoke-overhead", "817us"], "kernels.part1.invoke_overhead_ps", 817_000_000),
    (["--loss", "0.05"], "link.faults.loss", 0.05),
    (["--corrupt", "0.05"], "link.faults.corrupt", 0.05),
    (["--duplicate", "0.05"], "link.faults.duplicate", 0.05),
    (["--reorder", "0.1"], "link.faults.reorder", 0.1),
    (["--reorder-delay", "20us"], "link.faults.reorder_delay_ps", 20_000_000),
    (["--jitter", "1us"], "link.faults.jitter_ps", 1_000_000),
    (["--burst", "0.02:0.3"], "link.faults.burst.p_enter_bad", 0.02),
    (["--down", "1ms-2ms", "--down", "3ms-4ms"], "link.faults.down", [[10**9, 2 * 10**9], [3 * 10**9, 4 * 10**9]]),
    (["--rto", "5ms"], "transport.rto_ps", 5_000_000_000),
    (["--max-retries", "4"], "transport.max_retries", 4),
    (["--window", "32768"], "transport.window_bytes", 32768),
    (["--seed", "9"], "seed", 9),
    (["--kernel", "part1=325578,116293"], "kernels.part1.latency_cycles", 325578),
    (["--kernel", "0-5=325578,116293"], "kernels.0-5.interval_cycles", 116293),
    (["--network", LFC], "network", LFC),
])
def test_netsim_run_flag_reaches_the_config(flags, path, value, capsys):
    code, out, err = _netsim(capsys, "run", "--images", "2", *flags, "--json")
    assert code == 0, err
    doc = json.loads(out)
    got = _at(doc["config"], path)
    assert got == value or (isinstance(value, list) and json.loads(json.dumps(got)) == value), (path, got)
    assert doc["throughput"] > 0


def test_netsim_run_config_file_and_text_outputs(tmp_path, capsys):
    from netsim.config import TopologyConfig

    cfg = TopologyConfig(topology="full", images=3, seed=4)
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    code, out, err = _netsim(capsys, "run", "--config", str(tmp_path / "cfg.json"), "--json")
    assert code == 0, err
    doc = json.loads(out)["config"]
    assert (doc["topology"], doc["images"], doc["seed"]) == ("full", 3, 4)
    # an option overrides the file
    code, out, err = _netsim(capsys, "run", "--config", str(tmp_path / "cfg.json"), "--images", "2", "--json")
    assert code == 0 and json.loads(out)["config"]["images"] == 2
    pcap = tmp_path / "first.pcap"
    code, out, err = _netsim(capsys, "run", "--images", "2", "--per-image", "--pcap", str(pcap), "--pcap-hops", "first")
    assert code == 0, err
    assert " image  submitted ms  completed ms  latency ms" in out and f"pcap: {pcap}" in out
    assert "kernel-only bound:" in out and pcap.stat().st_size > 24


def test_netsim_sweep(capsys):
    code, out, err = _netsim(capsys, "sweep", "--topology", "full,split", "--batch", "1,2", "--images", "2",
                             "--loss", "0,0.05", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 8
    assert {(r["topology"], r["batch"], r["loss"]) for r in rows} == {
        (t, b, loss) for t in ("full", "split") for b in (1, 2) for loss in (0.0, 0.05)}


def test_netsim_plan_every_flag(tmp_path, capsys):
    js, png = tmp_path / "plans.json", tmp_path / "plans.png"
    code, out, err = _netsim(capsys, "plan", "--network", LFC, "--boards", "2", "--board", "pynq-z1",
                             "--link-gbps", "10", "--batch", "4", "--top", "3", "--json", str(js),
                             "--plot", str(png), "--no-calibrate")
    assert code == 0, err
    assert out.startswith("lfcW1A1 on up to 2 pynq-z1 boards") and "10 Gb/s, numReps = 4" in out.splitlines()[0]
    assert "best 3 plans:" in out and f"json: {js}" in out and f"plot: {png}" in out
    doc = json.loads(js.read_text())
    assert (doc["network"], doc["board"], doc["link_gbps"], doc["batch"]) == (LFC, "pynq-z1", 10.0, 4)
    assert max(sum(st["replicas"] for st in p["stages"]) for p in doc["plans"]) == 2
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_netsim_plan_verify_is_handed_to_the_testbench(monkeypatch, capsys):
    """netsim never imports tb/: `plan --verify K` re-runs the same command line as
    `python -m tb.jobs.plan_verify` (a child process; recorded here, not started)."""
    from netsim import cli

    started = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, env=None: started.append(cmd) or 0)
    argv = ["plan", "--boards", "2", "--verify", "1", "--verify-images", "4"]
    code, out, err = _netsim(capsys, *argv)
    assert code == 0, err
    assert started == [[sys.executable, "-m", "tb.jobs.plan_verify", *argv]]


def test_plan_verify_flags_reach_the_cosim_jobs(monkeypatch, tmp_path, capsys):
    """`python -m tb.jobs.plan_verify plan ... --verify K --verify-images N`: one co-simulation
    (tb.jobs.cosim.run, replaced) per plan verified, with the images, numReps and plan asked for."""
    from tb.jobs import cosim, plan_verify

    jobs = []

    def fake_run(job, show_progress=False):
        job.topology_config()
        jobs.append(job)
        per_image = [SimpleNamespace(latency_us=1000.0 * (k + 1)) for k in range(job.images)]
        return SimpleNamespace(per_image=per_image, mismatches=0, lost=[])

    monkeypatch.setattr(cosim, "run", fake_run)
    js = tmp_path / "v.json"
    code, out, err = _call(capsys, plan_verify.main, ["plan", "--network", LFC, "--boards", "2", "--batch", "2",
                                                      "--verify", "2", "--verify-images", "6", "--json", str(js),
                                                      "--no-calibrate"])
    assert code == 0, err
    assert "verifying the best 2 plan(s) in RTL, 6 images each" in out
    doc = json.loads(js.read_text())
    assert [j.plan for j in jobs] == [v["plan"] for v in doc["verify"]] == [p["plan"] for p in doc["plans"][:2]]
    assert all((j.images, j.batch, j.network) == (6, 2, LFC) for j in jobs)
    assert all("plan-verify" in j.out_dir for j in jobs)


@pytest.mark.parametrize("argv,fragment", [
    (["run", "--jitter", "fast"], "fast"),
    (["sweep", "--images", "2", "--rate", "fast"], "cannot parse rate"),
    (["plan", "--boards", "0"], "--boards must be at least 1"),
    (["plan", "--board", "zedboard"], "unknown board 'zedboard'; known boards: pynq-z1"),
])
def test_netsim_bad_values(argv, fragment, capsys):
    """netsim's own convention: `error: ...` and exit status 1 (tests/test_netsim_cli.py,
    tests/test_planner.py hold it), where the other commands exit 2."""
    code, out, err = _netsim(capsys, *argv)
    assert code == 1
    assert fragment in _one_line(err)


# ============================================================ python -m tb.jobs.cosim

@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """A $BNNSPLIT_DATA with the files the jobs default to (only their paths are used here)."""
    root = tmp_path / "data"
    for net in networks.NETWORKS:
        (root / "bnn-pynq" / net).mkdir(parents=True)
    (root / "bnn-pynq" / "images").mkdir()
    (root / "bnn-pynq" / "images" / "3.image-idx3-ubyte").write_bytes(b"")
    (root / "cifar10").mkdir()
    (root / "cifar10" / "test_batch_first932.bin").write_bytes(b"")
    monkeypatch.setenv("BNNSPLIT_DATA", str(root))
    return root


@pytest.fixture
def cosim_jobs(monkeypatch, tmp_path):
    """tb.jobs.cosim.main with `run` replaced: the job is checked as run() checks it first
    (CosimJob.topology_config) and recorded; nothing is built. The run folder is tmp_path."""
    from tb.jobs import cosim

    jobs = []

    def fake_run(job, show_progress=False):
        job.topology_config()
        jobs.append(job)
        return SimpleNamespace(ok=True)

    monkeypatch.setattr(cosim, "run", fake_run)
    monkeypatch.setattr(cosim, "print_summary", lambda s: print("summary"))
    monkeypatch.setattr(cosim.CosimJob, "folder", property(lambda self: tmp_path / "sim"))
    return cosim, jobs


@pytest.mark.parametrize("flags,fields", [
    ([], {"topology": "split", "images": 20, "ppm": 0.0, "faults": None, "latency_us": None, "loss": 0.0,
          "batch": 1, "seed": 1, "plan": None, "fail": None, "stage_dirs": {}, "top": "BlackBoxJam",
          "allow_large": False, "network": "cnvW2A2", "board": "pynq-z1"}),
    (["--ppm", "200"], {"ppm": 200.0, "faults": None, "loss": 0.0, "latency_us": None}),
    (["--board", "pynq-z1"], {"board": "pynq-z1"}),
    (["--ppm", "-50"], {"ppm": -50.0, "faults": None}),
    (["--latency-us", "3"], {"latency_us": 3.0, "faults": None}),
    (["--loss", "0.05"], {"loss": 0.05, "faults": None}),
    (["--topology", "split-3"], {"topology": "split-3"}),
    (["--topology", "full"], {"topology": "full"}),
    (["--plan", "0-3x2,4-5x2,6-8x1"], {"plan": "0-3x2,4-5x2,6-8x1"}),
    (["--plan", "0-5x2,6-8x1", "--fail", "0:1@5000"], {"fail": "0:1@5000", "plan": "0-5x2,6-8x1"}),
    (["--stage-dir", "1=/exports/fc"], {"stage_dirs": {"1": "/exports/fc"}, "top": "BlackBoxJam"}),
    (["--stage-dir", "0=A", "--stage-dir", "1=B", "--top", "MyTop"], {"stage_dirs": {"0": "A", "1": "B"},
                                                                      "top": "MyTop"}),
    (["--images", "4"], {"images": 4}),
    (["--batch", "8"], {"batch": 8}),
    (["--seed", "7"], {"seed": 7}),
    (["--stall-seed", "11"], {"stall_seed": 11}),
    ([], {"host_timing": True}),
    (["--no-host-timing"], {"host_timing": False}),
    (["--network", LFC], {"network": LFC}),
    (["--network", "cnvW1A1", "--plan", "0-8x2"], {"network": "cnvW1A1", "plan": "0-8x2"}),
    (["--allow-large", "--images", "20000"], {"allow_large": True, "images": 20000}),
    (["--allow-large", "--topology", "split-20"], {"allow_large": True, "topology": "split-20"}),
    (["--params", "P", "--cifar", "C"], {"params": "P", "cifar": "C"}),
    (["--synthetic"], {"params": None, "cifar": None}),
])
def test_cosim_flag_reaches_the_job(flags, fields, cosim_jobs, data_root, capsys):
    cosim, jobs = cosim_jobs
    code, out, err = _call(capsys, cosim.main, flags)
    assert code == 0, err
    assert "summary" in out and "written: " in out
    (job,) = jobs
    for name, value in fields.items():
        assert getattr(job, name) == value, (name, getattr(job, name))
    if not flags:       # the data set's files by default
        assert job.params == str(data_root / "bnn-pynq" / "cnvW2A2")
        assert job.cifar == str(data_root / "cifar10" / "test_batch_first932.bin")


@pytest.mark.parametrize("flags,fragment", [
    (["--stage-dir", "1"], "--stage-dir '1': expected STAGE=DIR"),
    (["--ppm", "1e9"], "PPM=1000000000.0: expected a clock offset within +-1000 ppm"),
    (["--latency-us", "nan"], "LATENCY_US=nan: expected a finite number"),
    (["--topology", "split-20"], "--allow-large lifts this"),
    (["--board", "zedboard"], "unknown board 'zedboard'; known boards: pynq-z1"),
])
def test_cosim_bad_values(flags, fragment, cosim_jobs, capsys):
    cosim, jobs = cosim_jobs
    code, out, err = _call(capsys, cosim.main, ["--synthetic", *flags])
    assert code == 2 and not jobs
    assert fragment in _one_line(err)


# ============================================================ python -m tb.jobs.kernel_job

@pytest.fixture
def kernel_jobs(monkeypatch, tmp_path):
    from tb.jobs import kernel_job

    jobs = []

    def fake_run(job, show_progress=False):
        jobs.append(job)
        return SimpleNamespace(ok=True, figures={})

    monkeypatch.setattr(kernel_job, "run", fake_run)
    monkeypatch.setattr(kernel_job, "print_report", lambda r, board: print("report"))
    monkeypatch.setattr(kernel_job.KernelJob, "folder", property(lambda self: tmp_path / "k"))
    return kernel_job, jobs


@pytest.mark.parametrize("flags,fields", [
    ([], {"kernel": "cnv_part2", "images": 3, "reps": [], "init_layers": [], "stall_seed": None,
          "kernel_dir": None, "out_dir": None}),
    (["--kernel", "cnv_part1", "--images", "5"], {"kernel": "cnv_part1", "images": 5}),
    (["--network", LFC, "--role", "part1"], {"kernel": "lfc_w1a1_part1"}),
    (["--network", "cnvW1A2", "--role", "full"], {"kernel": "cnv_w1a2_full"}),
    (["--role", "part2"], {"kernel": "cnv_part2"}),
    (["--kernel", "cnv_part2", "--init-layer", "6", "--init-layer", "8"], {"init_layers": [6, 8]}),
    (["--stall-seed", "5"], {"stall_seed": 5}),
    ([], {"host_timing": True}),
    (["--no-host-timing"], {"host_timing": False}),
    (["--out", "OUTDIR"], {"out_dir": "OUTDIR"}),
    (["--reps", "8,21", "--images", "30"], {"reps": [8, 21], "images": 30}),
    (["--reps", "21,8,8"], {"reps": [8, 21]}),
    (["--params", "P", "--cifar", "C"], {"params": "P", "cifar": "C"}),
    (["--synthetic"], {"params": None, "cifar": None}),
    (["--board", "pynq-z1"], {"board": "pynq-z1"}),
])
def test_kernel_job_flag_reaches_the_job(flags, fields, kernel_jobs, data_root, capsys):
    kernel_job, jobs = kernel_jobs
    code, out, err = _call(capsys, kernel_job.main, flags)
    assert code == 0, err
    assert "report" in out
    (job,) = jobs
    for name, value in fields.items():
        assert getattr(job, name) == value, (name, getattr(job, name))
    if not flags:
        assert job.params == str(data_root / "bnn-pynq" / "cnvW2A2")


def test_kernel_job_export_folder_flags(kernel_jobs, data_root, tmp_path, capsys):
    """`make sim-kernel KERNEL_DIR= NETWORK= TOP= FIRST= LAST= IMAGES= REPS= LOADER=`."""
    kernel_job, jobs = kernel_jobs
    export = tmp_path / "my-export"
    code, out, err = _call(capsys, kernel_job.main, [
        "--kernel-dir", str(export), "--top", "MyTop", "--network", LFC, "--first", "1", "--last", "3",
        "--images", "9", "--reps", "1,8", "--loader", "python"])
    assert code == 0, err
    (job,) = jobs
    assert (job.kernel_dir, job.top, job.network, job.first, job.last, job.images, job.reps, job.loader) == (
        str(export), "MyTop", LFC, 1, 3, 9, [1, 8], "python")
    assert job.out_dir.endswith("sim-kernel/my-export")          # one folder per export
    assert job.params == str(data_root / "bnn-pynq" / LFC)
    assert job.cifar == str(data_root / "bnn-pynq" / "images" / "3.image-idx3-ubyte")
    code, out, err = _call(capsys, kernel_job.main, ["--kernel-dir", str(export), "--out", "O", "--synthetic"])
    assert code == 0, err
    assert (jobs[1].out_dir, jobs[1].loader, jobs[1].network, jobs[1].params) == ("O", "fast", "cnvW2A2", None)


@pytest.mark.parametrize("flags,fragment", [
    (["--reps", "8,x"], "REPS='8,x': expected batch sizes separated by commas"),
    (["--images", "0"], "IMAGES=0: expected 1..100000"),
    (["--kernel", "cnv_part2", "--network", LFC], "NETWORK=lfcW1A1: kernel cnv_part2 implements layers 6-8"),
    (["--board", "zedboard"], "unknown board 'zedboard'; known boards: pynq-z1"),
])
def test_kernel_job_bad_values(flags, fragment, kernel_jobs, capsys):
    kernel_job, jobs = kernel_jobs
    code, out, err = _call(capsys, kernel_job.main, flags)
    assert code == 2 and not jobs
    assert fragment in _one_line(err)


def test_kernel_job_bad_choice_is_argparse(kernel_jobs, capsys):
    kernel_job, jobs = kernel_jobs
    code, out, err = _call(capsys, kernel_job.main, ["--loader", "slow"])
    assert code == 2 and not jobs
    _argparse_error(err)


# ============================================================ python -m tb.jobs.regress

@pytest.fixture
def regress_calls(monkeypatch):
    """tb.jobs.regress.main with the dask entry (`regress`) replaced: every shard "passes"
    through the real merge; the call's arguments are recorded."""
    from tb.jobs import regress as rg

    calls = []

    def fake_regress(shards, workers, scheduler=None, retries=2, environ=None, **kw):
        calls.append(SimpleNamespace(shards=shards, workers=workers, scheduler=scheduler, retries=retries))
        outcomes = [{"shard": s.index, "wall_s": 1.0, "cpu_s": 1.0, "host": "fake",
                     "result": {"images": s.images, "mismatches": 0, "lost": 0, "duplicated": 0, "errors": [],
                                "per_image": [{"image": k, "match": True} for k in range(s.images)]}}
                    for s in shards]
        return rg.merge(shards, outcomes, 1.0, workers)

    monkeypatch.setattr(rg, "regress", fake_regress)
    return rg, calls


@pytest.mark.parametrize("flags,check", [
    ([], lambda c, d: ([s.images for s in c.shards] == [4, 4] and c.shards[0].topology == "split-2"
                       and c.shards[0].batch == 16 and c.scheduler is None and c.retries == 2
                       and c.shards[0].params == str(d / "data" / "bnn-pynq" / "cnvW2A2")
                       and c.shards[0].cifar == str(d / "data" / "cifar10" / "test_batch_first932.bin"))),
    (["--network", LFC], lambda c, d: c.shards[0].network == LFC
     and c.shards[0].params == str(d / "data" / "bnn-pynq" / LFC)),
    (["--plan", "0-5x2,6-8x1"], lambda c, d: c.shards[0].plan == "0-5x2,6-8x1"),
    (["--boards", "3"], lambda c, d: c.shards[0].topology == "split-3" and c.shards[0].plan is None),
    (["--boards", "1"], lambda c, d: c.shards[0].topology == "full"),
    (["--workers", "2"], lambda c, d: c.workers == 2),
    (["--shard-images", "3"], lambda c, d: [s.images for s in c.shards] == [3, 3, 2]
     and [s.first for s in c.shards] == [0, 3, 6]),
    (["--batch", "4"], lambda c, d: all(s.batch == 4 for s in c.shards)),
    (["--retries", "0"], lambda c, d: c.retries == 0),
    (["--scheduler", "tcp://127.0.0.1:8786"], lambda c, d: (c.scheduler.address, c.scheduler.source) ==
     ("tcp://127.0.0.1:8786", "--scheduler")),
    (["--allow-large", "--boards", "12"], lambda c, d: c.shards[0].allow_large
     and c.shards[0].topology == "split-12"),
    (["--synthetic"], lambda c, d: (c.shards[0].params, c.shards[0].cifar) == (None, None)),
    ("params", lambda c, d: (c.shards[0].params, c.shards[0].cifar) == (str(d / "cnv_params"),
                                                                         str(d / "cifar8.bin"))),
])
def test_regress_flag_reaches_the_shards(flags, check, regress_calls, data_files, monkeypatch, tmp_path, capsys):
    rg, calls = regress_calls
    monkeypatch.setenv("BNNSPLIT_DATA", str(data_files / "data"))
    if flags == "params":
        flags = ["--params", str(data_files / "cnv_params"), "--cifar", str(data_files / "cifar8.bin")]
    code, out, err = _call(capsys, rg.main, ["--images", "8", "--workers", "1", "--out", str(tmp_path / "r"),
                                             *flags], environ={})
    assert code == 0, err
    (c,) = calls
    assert check(c, data_files), c
    assert "images 8, mismatches 0, lost 0, duplicated 0, failed shards 0" in out
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["images"] == 8
    assert (tmp_path / "r" / "junit.xml").read_text().count("<testcase") == 8


def test_regress_allow_large_from_the_environment(regress_calls, tmp_path, capsys):
    rg, calls = regress_calls
    argv = ["--images", "4", "--boards", "12", "--synthetic", "--workers", "1", "--out", str(tmp_path)]
    code, out, err = _call(capsys, rg.main, argv, environ={rg.ALLOW_LARGE_ENV: "1"})
    assert code == 0, err
    assert calls[0].shards[0].allow_large


@pytest.mark.parametrize("flags,fragment", [
    (["--shard-images", "0"], "--shard-images 0: expected a whole number >= 1"),
    (["--workers", "two"], "argument --workers: invalid int value: 'two'"),
])
def test_regress_bad_values(flags, fragment, regress_calls, tmp_path, capsys):
    rg, calls = regress_calls
    code, out, err = _call(capsys, rg.main, ["--images", "8", "--synthetic", "--out", str(tmp_path), *flags],
                           environ={})
    assert code == 2 and not calls
    assert fragment in _one_line(err)


# ============================================================ python -m tb.jobs.resources

@pytest.fixture
def synth_calls(monkeypatch, tmp_path):
    """tb.jobs.resources.main with Yosys replaced: synth.synthesize records the kernel, its
    parameters and `force`; resources.json goes to tmp_path."""
    from tb.jobs import resources, synth

    calls = []

    def fake_synthesize(info, params, force=False):
        calls.append(SimpleNamespace(kernel=info.name, params=params, force=force))
        return {"network": info.network_name, "first": info.first, "last": info.last, "lut": 1000,
                "lut_logic": 900, "lut_mem": 100, "ff": 2000, "ramb36": 2, "ramb18": 1, "bram_tiles": 2.5,
                "dsp": 0, "synth_s": 0.1, "cached": False, "per_layer": {}, "shell": {}, "pruned": [],
                "digest": "fake"}

    monkeypatch.setattr(synth, "synthesize", fake_synthesize)
    monkeypatch.setattr(synth, "yosys_version", lambda: "Yosys (fake)")
    monkeypatch.setattr(resources, "RESULT", tmp_path / "resources.json")
    return resources, calls


def test_resources_every_flag(synth_calls, data_files, monkeypatch, capsys):
    resources, calls = synth_calls
    monkeypatch.delenv("BNNSPLIT_DATA", raising=False)
    code, out, err = _call(capsys, resources.main, ["--network", LFC, "--seed", "7"])
    assert code == 0, err
    assert [c.kernel for c in calls] == ["lfc_w1a1_full", "lfc_w1a1_part1", "lfc_w1a1_part2"]
    assert "synthetic (seed 7) parameters" in out and calls[0].params.source == "synthetic(seed=7)"
    assert not any(c.force for c in calls)
    calls.clear()
    code, out, err = _call(capsys, resources.main, ["--kernels", "lfc_w1a1_part2,lfc_w1a1_full", "--params",
                                                    str(data_files / "lfc_params"), "--force"])
    assert code == 0, err
    assert [c.kernel for c in calls] == ["lfc_w1a1_part2", "lfc_w1a1_full"] and all(c.force for c in calls)
    assert calls[0].params.source == str(data_files / "lfc_params")
    assert "lfc_w1a1_part2 (lfcW1A1 layers 2-3, trained parameters)" in out
    doc = json.loads(resources.RESULT.read_text())
    assert doc["tool"] == "Yosys (fake)" and {"lfc_w1a1_full", "lfc_w1a1_part2"} <= set(doc["kernels"])


def test_resources_bad_value(synth_calls, capsys):
    """Its messages start `make resources:` (not `error:`), exit status 2."""
    resources, calls = synth_calls
    code, out, err = _call(capsys, resources.main, ["--kernels", "nope"])
    assert code == 2 and not calls
    assert "KERNELS: unknown kernel(s) nope" in _one_line(err, prefix="make resources: ")


# ============================================================ python -m tb.jobs.coverage

_FUNC_DB = """\
bnnsplit.smoke.point:
  at_least: 1
  bins:_hits:
    a: 1
    b: 0
  cover_percentage: 50.0
  coverage: 1
  size: 2
  type: <class 'cocotb_coverage.coverage.CoverPoint'>
  weight: 1
"""


def _dat_point(f, line, page, count):
    fields = {"f": f, "l": str(line), "n": "1", "t": "", "page": page, "o": "block", "h": "top.u"}
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in fields.items()) + f"\x01' {count}\n"


def test_coverage_every_flag(tmp_path, capsys):
    from tb.jobs import coverage

    dat, func, out_dir = tmp_path / "dat", tmp_path / "func", tmp_path / "out"
    dat.mkdir()
    func.mkdir()
    src = str(REPO / "rtl" / "stream_fifo.sv")
    (dat / "a.dat").write_text("# SystemC::Coverage-3\n" + _dat_point(src, 10, "v_line/stream_fifo", 3)
                               + _dat_point(src, 12, "v_line/stream_fifo", 0))
    code, out, err = _call(capsys, coverage.main, ["--dat", str(dat), "--out", str(out_dir), "--func", str(func)])
    assert code == 0, err
    assert "coverage of rtl/ over 1 simulation(s): line 50.0%" in out
    assert f"no functional coverage data in {func}" in out
    assert json.loads((out_dir / "coverage.json").read_text())["modules"]["stream_fifo"]["lines_never_hit"] == [
        "stream_fifo.sv:12"]
    (func / "run-1.yml").write_text(_FUNC_DB)
    code, out, err = _call(capsys, coverage.main, ["--dat", str(dat), "--out", str(out_dir), "--func", str(func)])
    assert code == 0, err
    assert "functional coverage over 1 database(s): 50.0% (1 of 2 bins)" in out
    assert (out_dir / "functional.yml").exists()


def test_coverage_without_data(tmp_path):
    """No .dat files: one line on stderr, exit status 1 (SystemExit with the message)."""
    r = subprocess.run([sys.executable, "-m", "tb.jobs.coverage", "--dat", str(tmp_path), "--out",
                        str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 1
    assert "no coverage data in" in _one_line(r.stderr, prefix="no coverage data")


# ============================================================ python -m tb.jobs.lint

@pytest.fixture
def lint_calls(monkeypatch):
    from tb.jobs import lint

    calls = []
    monkeypatch.setattr(lint, "verilator", lambda: "verilator")
    monkeypatch.setattr(lint, "lint_file", lambda p, exe: calls.append(("verilator", p.name)) or (True, "", 1))
    monkeypatch.setattr(lint, "slang_file", lambda p: calls.append(("slang", p.name)) or (True, "", 1))
    monkeypatch.setattr(lint, "slang_kernel", lambda p: calls.append(("slang-kernel", p.name)) or (True, ""))
    return lint, calls


def test_lint_every_flag(lint_calls, capsys):
    lint, calls = lint_calls
    modules = sorted(p.name for p in (REPO / "rtl").glob("*.sv"))
    kernels = [p.name for p in lint.kernel_tops()]
    code, out, err = _call(capsys, lint.main, [])
    assert code == 0, err
    assert sorted(n for t, n in calls if t == "verilator") == modules
    assert sorted(n for t, n in calls if t == "slang") == modules
    assert sorted(n for t, n in calls if t == "slang-kernel") == sorted(kernels)
    assert f"lint: {2 * len(modules) + len(kernels)} clean, 0 with errors" in out
    fifo, top = REPO / "rtl" / "stream_fifo.sv", REPO / "hls_out" / "cnv_part2" / "cnv_part2.sv"
    for only, want in (("verilator", [("verilator", "stream_fifo.sv")]),
                       ("slang", [("slang", "stream_fifo.sv"), ("slang-kernel", "cnv_part2.sv")])):
        calls.clear()
        code, out, err = _call(capsys, lint.main, ["--only", only, str(fifo), str(top)])
        assert code == 0, err
        assert calls == want


def test_lint_bad_values(lint_calls, capsys):
    lint, calls = lint_calls
    code, out, err = _call(capsys, lint.main, ["--only", "bogus"])
    assert code == 2 and not calls
    _argparse_error(err)
    code, out, err = _call(capsys, lint.main, ["rtl/no_such_module.sv"])
    assert code == 1 and not calls and "lint: no such file:" in out      # on stdout, exit 1


# ============================================================ python -m tb.jobs.toolchain

def test_toolchain_root_and_usage():
    """`install` (the Makefile's venv stamp) rewrites files of the shared venv: not run here."""
    r = subprocess.run([sys.executable, "-m", "tb.jobs.toolchain", "root"], capture_output=True, text=True,
                       cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).is_dir() and "verilator" in r.stdout
    r = subprocess.run([sys.executable, "-m", "tb.jobs.toolchain", "bogus"], capture_output=True, text=True,
                       cwd=REPO, timeout=60)
    assert r.returncode == 1
    _one_line(r.stderr, prefix="usage: python -m tb.jobs.toolchain install|root")


# ============================================================ python -m tb.perf.bench

@pytest.fixture
def bench_calls(monkeypatch, tmp_path):
    """tb.perf.bench.main with every measurement replaced by a recorder; results.json goes to
    tmp_path."""
    from tb.perf import bench

    calls = []

    def rec(name, result):
        def fake(*args, **kw):
            calls.append((name, args, kw))
            return result(*args, **kw) if callable(result) else result
        return fake

    def fake_child(what, args, log, env=None):
        calls.append(("child", (what,), {}))
        Path(args["out"]).write_text(json.dumps({"golden_img_s": 1.0}))
        return {"returncode": 0}

    monkeypatch.setattr(bench, "REPO", tmp_path)
    monkeypatch.setattr(bench, "OUT", tmp_path / "build" / "bench")
    monkeypatch.setattr(bench, "machine", lambda: {})
    monkeypatch.setattr(bench, "child", fake_child)
    monkeypatch.setattr(bench, "bench_kernel", rec("kernel", {}))
    monkeypatch.setattr(bench, "bench_cosim", rec("cosim", lambda *a, **k: {}))
    monkeypatch.setattr(bench, "cosim_vs_raw", lambda *a: {})
    monkeypatch.setattr(bench, "bench_exports", rec("exports", {}))
    monkeypatch.setattr(bench, "bench_regress", rec("regress", {"runs": {"2": {"wall_s": 1.0}}, "scaling": 2.0}))
    monkeypatch.setattr(bench, "print_table", lambda res: print("table"))
    return bench, calls


def test_bench_defaults(bench_calls, data_root, capsys):
    bench, calls = bench_calls
    code, out, err = _call(capsys, bench.main, [])
    assert code == 0, err
    names = [c[0] for c in calls]
    assert names == ["child", "kernel", "kernel", "kernel", "cosim", "cosim", "exports", "regress"]
    kernels = [(c[1][0], c[1][1]) for c in calls if c[0] == "kernel"]
    assert kernels == [("cnv_part2", 20), ("cnv_part1", 3), ("cnv_full", 3)]
    k = next(c for c in calls if c[0] == "kernel")
    assert k[1][2] == str(data_root / "bnn-pynq" / "cnvW2A2") and k[2] == {
        "cold": True, "compare_public": False, "lean": False, "compare_loop": False}
    assert [c[1][:2] for c in calls if c[0] == "cosim"] == [("split", 3), ("split-3", 3)]
    assert next(c for c in calls if c[0] == "exports")[1][0] == list(bench.EXPORTS)
    assert next(c for c in calls if c[0] == "regress")[1][0] == 932
    assert next(c for c in calls if c[0] == "regress")[1][3] is True
    res = json.loads((bench.OUT / "results.json").read_text())
    assert res["regress_wall_s"] == 1.0 and res["golden"] == {"golden_img_s": 1.0}


def test_bench_every_flag(bench_calls, capsys):
    bench, calls = bench_calls
    code, out, err = _call(capsys, bench.main, [
        "--kernels", "cnv_part2,lfc_w1a1_full", "--images", "cnv_part2=5,lfc_w1a1_full=2", "--cosim-images", "4",
        "--cosim", "full", "--skip-golden", "--warm", "--compare-public", "--lean", "--compare-loop",
        "--synthetic", "--regress-images", "16", "--skip-regress-1worker", "--exports", "lfcW1A1-vivado-hls-2016.3"])
    assert code == 0, err
    assert [c[0] for c in calls] == ["kernel", "kernel", "cosim", "exports", "regress"]
    k = [c for c in calls if c[0] == "kernel"]
    assert [(c[1][0], c[1][1], c[1][2], c[1][3]) for c in k] == [("cnv_part2", 5, None, None),
                                                                ("lfc_w1a1_full", 2, None, None)]
    assert k[0][2] == {"cold": False, "compare_public": True, "lean": True, "compare_loop": True}
    assert calls[2][1] == ("full", 4, None, None)
    assert calls[3][1] == (["lfcW1A1-vivado-hls-2016.3"],)
    assert calls[4][1] == (16, None, None, False)
    calls.clear()
    code, out, err = _call(capsys, bench.main, ["--kernels", "", "--skip-golden", "--skip-cosim", "--skip-exports",
                                                "--regress-images", "0"])
    assert code == 0 and calls == [] and "bench took" in out


@pytest.mark.parametrize("value", ["cnv_part2", "cnv_part2=many", "cnv_part2=0"])
def test_bench_bad_images(value, bench_calls, capsys):
    """--images is checked before anything is measured: one line, exit status 2."""
    bench, calls = bench_calls
    code, out, err = _call(capsys, bench.main, ["--images", value])
    assert code == 2 and calls == []
    assert f"--images {value!r}" in _one_line(err)


# ============================================================ python -m hls_out.generate

def _kernel_json(root: Path, name: str) -> dict:
    return json.loads((root / name / "kernel.json").read_text())


def _generate(capsys, *argv):
    from hls_out.generate import main
    return _call(capsys, main, argv)


def test_generate_default_kernels_into_out(tmp_path, capsys):
    code, out, err = _generate(capsys, "--out", str(tmp_path))
    assert code == 0, err
    from hls_out.generate import default_kernels

    made = {p.parent.name for p in tmp_path.glob("*/kernel.json")}
    assert made == {k for n in networks.NETWORKS for k in default_kernels(networks.get(n))}
    assert len(made) == 15 and out.count("wrote ") == 2 * len(made)
    # --check against that folder: clean, then stale once a file changes
    code, out, err = _generate(capsys, "--out", str(tmp_path), "--check")
    assert code == 0 and out == ""
    (tmp_path / "cnv_part2" / "cnv_part2.sv").write_text("// changed\n")
    code, out, err = _generate(capsys, "--out", str(tmp_path), "--check")
    assert code == 1 and "stale: " in out and "cnv_part2.sv" in out


def test_generate_one_kernel_every_flag(data_files, tmp_path, capsys):
    code, out, err = _generate(capsys, "--network", LFC, "--name", "smoke", "--first", "2", "--last", "3",
                               "--folding", str(data_files / "lfc_folding.json"), "--fifo", "L2=7",
                               "--decoupled", "--out", str(tmp_path))
    assert code == 0, err
    assert f"wrote {tmp_path / 'smoke' / 'smoke.sv'}" in out
    info = _kernel_json(tmp_path, "smoke")
    assert (info["network"], info["first"], info["last"], info["role"]) == (LFC, 2, 3, "part2")
    assert info["fifo_depths"]["L2"] == 7
    mvaus = [s["params"] for s in info["stages"] if s["module"] == "mvau"]
    assert [m["PE"] for m in mvaus] == [32, 8]                     # layer 3 on 8 PEs (the folding file)
    assert all(m["HLS_TIMING"] == 0 for m in mvaus)                # --decoupled
    code, out, err = _generate(capsys, "--name", "smoke2", "--first", "6", "--last", "8", "--out", str(tmp_path))
    assert code == 0, err
    info = _kernel_json(tmp_path, "smoke2")
    assert (info["network"], info["role"]) == ("cnvW2A2", "part2")
    assert all(s["params"].get("HLS_TIMING", 1) == 1 for s in info["stages"] if s["module"] == "mvau")


@pytest.mark.parametrize("argv,fragment", [
    (["--name", "x", "--first", "0", "--last", "1", "--fifo", "L1=0"], "--fifo L1=0: expected KEY=DEPTH"),
    (["--name", "x", "--first", "0"], "--name needs --first and --last"),
    (["--network", LFC, "--first", "0"], "--first and --last go together"),
])
def test_generate_bad_values(argv, fragment, tmp_path, capsys):
    code, out, err = _generate(capsys, *argv, "--out", str(tmp_path))
    assert code == 2 and not any(tmp_path.iterdir())
    assert fragment in _one_line(err)


# ============================================================ python -m golden cycles --against-rtl

@pytest.fixture
def against_rtl(monkeypatch, tmp_path):
    """tb.perf.cycles_vs_rtl with the RTL runs replaced by a recorder."""
    from tb.perf import cycles_vs_rtl

    calls = []

    def fake_measure(network, reps, kernel_names=None, seed=1, out=None):
        calls.append({"network": network, "reps": reps, "kernels": kernel_names, "seed": seed})
        return {"network": network, "reps": reps, "table1": [],
                "batches": [{"kernel": "k", "num_reps": r, "rtl_cycles": 100, "model_cycles": 101, "error": 0.01}
                            for r in reps]}

    monkeypatch.setattr(cycles_vs_rtl, "measure", fake_measure)
    monkeypatch.setattr(cycles_vs_rtl, "OUT", tmp_path)
    return cycles_vs_rtl, calls


@pytest.mark.parametrize("flags,want", [
    ([], {"network": "cnvW2A2", "reps": [1, 2, 3], "kernels": None, "seed": 1}),
    (["--network", LFC, "--reps", "8,2"], {"network": LFC, "reps": [1, 2, 8]}),
    (["--kernels", "cnv_part2,cnv_full", "--seed", "4"], {"kernels": ["cnv_part2", "cnv_full"], "seed": 4}),
    (["--clock-mhz", "125", "--hls-schedule", "2016.3"], {"reps": [1, 2, 3]}),   # golden cycles' own flags pass
])
def test_cycles_against_rtl_flags(flags, want, against_rtl, capsys):
    mod, calls = against_rtl
    code, out, err = _call(capsys, mod.main, flags)
    assert code == 0, err
    (call,) = calls
    for name, value in want.items():
        assert call[name] == value, (name, call[name])
    assert "+1.00%" in out


def test_cycles_against_rtl_bad_reps(against_rtl, capsys):
    mod, calls = against_rtl
    code, out, err = _call(capsys, mod.main, ["--reps", "0,x"])
    assert code == 2 and not calls
    assert "--reps 0,x: expected batch sizes >= 1" in _one_line(err)


def test_golden_cycles_hands_against_rtl_to_the_testbench(monkeypatch, capsys):
    """golden has no simulator: `cycles --against-rtl` runs tb.perf.cycles_vs_rtl in a child
    process with the same command line."""
    import golden.__main__ as golden_main

    seen = []
    monkeypatch.setattr("subprocess.call", lambda argv, env: seen.append(argv) or 0)
    code, out, err = _call(capsys, golden_main.main, ["cycles", "--network", LFC, "--against-rtl", "--reps", "1,2"])
    assert code == 0, err
    (argv,) = seen
    assert argv[1:] == ["-m", golden_main.AGAINST_RTL_MODULE, "--network", LFC, "--reps", "1,2"]
