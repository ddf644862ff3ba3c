"""The C++ Verilator harness of `make bench` (tb/perf/harness.cpp): it builds, drives
cnv_part2 through the PYNQ host sequence with its C++ AXI4 memory and AXI4-Lite master, and
every output word matches golden/. Its cycle counts are simulated cycles (deterministic);
no wall-clock time is asserted."""

from __future__ import annotations

import json

import pytest

from tb.perf import bench


@pytest.fixture(scope="module")
def harness_exe(tmp_path_factory):
    exe, step = bench.harness_build("cnv_part2", mdir=tmp_path_factory.mktemp("harness"), cold=True)
    assert step is not None and step["returncode"] == 0
    return exe


def test_harness_cnv_part2(harness_exe, tmp_path):
    folder, wi, wo = bench.prepare_kernel("cnv_part2", 2, None, None, folder=tmp_path / "job")
    r = bench.run_harness(harness_exe, folder, 2, wi, wo)
    assert r["mismatches"] == 0 and r["images"] == 2
    # image 0 alone, image 1 as a batch of one: the same work, about the same cycles
    info = json.loads((bench.REPO / "hls_out" / "cnv_part2" / "kernel.json").read_text())
    analytic = info["expected_cycles"]["sum"]
    assert 0.9 * analytic <= r["latency_cycles"] <= 1.1 * analytic
    assert abs(r["batch_cycles"] - r["latency_cycles"]) <= 0.02 * r["latency_cycles"]


def test_harness_rejects_wrong_expectations(harness_exe, tmp_path):
    """A corrupted expected word must make the harness report a mismatch (exit status 1)."""
    import numpy as np

    folder, wi, wo = bench.prepare_kernel("cnv_part2", 1, None, None, folder=tmp_path / "job")
    exp = np.fromfile(folder / "expected.bin", dtype="<u8")
    exp[3] ^= 1
    exp.tofile(folder / "expected.bin")
    r = bench.run_harness(harness_exe, folder, 1, wi, wo, check=False)
    assert r["mismatches"] == 1
