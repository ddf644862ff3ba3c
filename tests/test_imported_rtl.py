"""An imported QONNX network in RTL: its generated kernels under Verilator bit-exact against
golden (which equals qonnx's executor on the same model), and `make sim NETWORK=model.onnx`
co-simulating its natural split end to end.

The network exercises what the BNN-PYNQ networks do not: 8-bit unsigned inputs, 4- and 3-bit
integer weights, a 3-bit unsigned activation (7 thresholds per neuron) and its max pool over
unsigned codes, a 2-bit signed activation whose codes start at -2, a 1x1 convolution and an
NHWC flatten into the fc layers."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from golden import netfile, networks, onnx_check
from golden.onnx_import import import_model, write_import
from golden.params import load_params
from hls_out.generate import kernel_for_range
from qonnx_graphs import EXAMPLES
from tb.jobs import runner
from tb.jobs.kernel_job import KernelJob, run
from test_kernels import check

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mini")
    model = EXAMPLES["MINI"]().save(folder / "mini_qnn.onnx")
    write_import(import_model(model), folder / "net")
    net = networks.get(str(folder / "net"))
    agreement = onnx_check.compare(model, load_params(folder / "net", net.folding),
                                   onnx_check.random_codes(net, 4))
    assert agreement.exact, str(agreement)
    return model, folder / "net", net


def test_the_network_uses_the_new_formats(mini):
    _, _, net = mini
    assert net[0].weight_kind == "int" and not net[0].in_signed and net[0].act_bits == 3
    assert net[0].num_thresholds == 7 and net[0].pool_after and not net[0].act_signed
    assert net[1].act_offset == -2 and net[2].kernel == 1
    assert net.words_per_image(net.natural_cut) == 1


@pytest.mark.parametrize("role", ["full", "part1", "part2"])
def test_imported_kernels_bit_exact(mini, role, tmp_path):
    _, folder, net = mini
    kernel = kernel_for_range(net, *net.natural_ranges()[role], runner.BUILD / "kernels")
    assert kernel.is_relative_to(folder.resolve() / "hls")
    meta = json.loads((kernel / "kernel.json").read_text())
    assert meta["network"] == str(folder.resolve())
    # layer 0 (7 thresholds per neuron) through the host's doInit path: targetThresh 0..6
    job = KernelJob(kernel=str(kernel), images=3, params=str(folder), out_dir=str(tmp_path / role),
                    init_layers=[0] if role != "part2" else [])
    check(run(job), 3, interval_tolerance=None, kernel=str(kernel))


def test_make_sim_of_an_onnx_model(mini, tmp_path):
    """`make sim NETWORK=model.onnx`: the model imported on first use, its natural split on two
    boards over the simulated link, every image bit-exact and none lost."""
    model, _, _ = mini
    env = dict(os.environ, MAKEFLAGS="")
    out = subprocess.run(["make", "-s", "sim", f"NETWORK={model}", "IMAGES=3"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "mismatches 0, lost 0, duplicated 0" in out.stdout, out.stdout[-2000:]
    summary = json.loads((REPO / "build" / "sim" / "summary.json").read_text())
    assert summary["images"] == 3
    assert netfile.cache_folder(model).is_dir()


def test_make_hls_of_an_imported_network(mini, tmp_path):
    """`make hls NETWORK=<folder> FIRST=0 LAST=3`: a layer range of an imported network,
    generated into hls/ of the network's folder, never into hls_out/; a range that would end
    where the tensor is not whole 64-bit words is refused, saying so."""
    _, folder, net = mini
    env = dict(os.environ, MAKEFLAGS="")
    out = subprocess.run(["make", "-s", "hls", f"NETWORK={folder}", "FIRST=0", "LAST=3"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    kernel = folder.resolve() / "hls" / f"{net.kernel_prefix}_part1"
    meta = json.loads((kernel / "kernel.json").read_text())
    assert (meta["first"], meta["last"], meta["role"]) == (0, 3, "part1")
    assert not (REPO / "hls_out" / f"{net.kernel_prefix}_part1").exists()
    bad = subprocess.run(["make", "-s", "hls", f"NETWORK={folder}", "FIRST=1", "LAST=2"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "not a whole number of 64-bit words" in bad.stderr, bad.stderr


@pytest.mark.parametrize("example", ["TFC", pytest.param("SFC", marks=pytest.mark.slow),
                                     pytest.param("LFC", marks=pytest.mark.slow),
                                     pytest.param("CNV", marks=pytest.mark.slow)])
def test_shaped_network_full_kernel_bit_exact(example, tmp_path):
    """The BNN-PYNQ-shaped seeded networks of the README's table: the full kernel in RTL."""
    model = EXAMPLES[example]().save(tmp_path / f"{example.lower()}_shaped.onnx")
    write_import(import_model(model), tmp_path / "net")
    net = networks.get(str(tmp_path / "net"))
    kernel = kernel_for_range(net, 0, net.last, runner.BUILD / "kernels")
    check(run(KernelJob(kernel=str(kernel), images=2, params=str(tmp_path / "net"), out_dir=str(tmp_path / "k"))),
          2, interval_tolerance=None, kernel=str(kernel))
