"""Split-point table, cycle model and the CLI."""

import subprocess
import sys

import numpy as np
import pytest

from golden.cycles import kernel_cycles, layer_cycles
from golden.network import Folding, LayerFold, cuts
from golden.networks import get

NET = get("cnvW2A2")
from golden.splits import plot_splits

# DESIGN.md: MVAU cycles per image of layers 0-8.
DESIGN_CYCLES = [64800, 112896, 82944, 115200, 82944, 73728, 65536, 65536, 8192]


def test_cycles_match_design():
    f = NET.folding
    assert [layer_cycles(i, f) for i in range(9)] == DESIGN_CYCLES
    assert kernel_cycles(0, 8, f).ii == 115200 and kernel_cycles(0, 8, f).bottleneck == 3
    assert kernel_cycles(6, 8, f).ii == 65536


def test_cycles_follow_folding():
    folds = list(NET.folding.layers)
    folds[3] = LayerFold(32, 8)   # double SIMD on the bottleneck layer halves its cycles
    f = Folding(tuple(folds), NET)
    assert layer_cycles(3, f) == DESIGN_CYCLES[3] // 2
    assert kernel_cycles(0, 8, f).bottleneck == 1


def test_split_bytes():
    by_name = {c.name: c.bytes_per_image for c in cuts(NET)}
    assert by_name["after L5"] == 64          # the BNNsplit cut
    assert by_name["after L1"] == 12544       # DESIGN.md
    assert by_name["input"] == 3072
    assert by_name["after L8"] == 128
    assert min(by_name.values()) == 64


def test_split_plot(tmp_path):
    path = plot_splits(tmp_path / "splits.png", NET)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "golden", *args], capture_output=True, text=True)


def test_cli_classify_synthetic(tmp_path):
    r = _cli("classify", "--limit", "6", "--scores-out", str(tmp_path / "s.npy"),
             "--split-out", str(tmp_path / "p.npy"))
    assert r.returncode == 0, r.stderr
    assert "images per second" in r.stdout
    scores, split = np.load(tmp_path / "s.npy"), np.load(tmp_path / "p.npy")
    assert scores.shape == (6, 64) and split.shape == (6, 64) and split.dtype == np.uint8


def test_cli_classify_trained(params_dir, cifar_file):
    r = _cli("classify", "--params", str(params_dir), "--cifar", str(cifar_file), "--limit", "50")
    assert r.returncode == 0, r.stderr
    assert "accuracy: " in r.stdout and "/50 = " in r.stdout


def test_cli_tables():
    r = _cli("cycles")
    assert r.returncode == 0 and "115200" in r.stdout
    r = _cli("splits")
    assert r.returncode == 0 and "12544" in r.stdout


def test_cli_bad_input_is_clear(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\0" * 3074)
    r = _cli("classify", "--cifar", str(bad))
    assert r.returncode == 2
    assert "bad.bin" in r.stderr and "3073" in r.stderr and "Traceback" not in r.stderr
