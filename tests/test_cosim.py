"""End-to-end co-simulation: the boards' kernel RTL joined by the Ethernet link model.

Every image's scores are checked bit-exactly against golden/ (and the split tensors that cross
the link, at the FC board); every image must come back exactly once, in order of image id
at the FC side, even with frames lost on the link.
"""

from __future__ import annotations

import json

import pytest

from tb.cosim import CosimJob, run


def check(summary: dict, images: int) -> None:
    assert summary["error"] is None, summary["error"]
    assert summary["images"] == images
    assert summary["lost"] == 0 and summary["duplicated"] == 0
    assert summary["mismatches"] == 0, summary["split_errors"]
    assert all(im["match"] for im in summary["per_image"])
    assert all(lat is not None and lat > 0 for lat in summary["latency_us"])


@pytest.mark.parametrize("topology,images", [("split", 3), ("split-3", 4)])
def test_split_with_loss(topology, images, tmp_path):
    job = CosimJob(topology, images, seed=2, loss=0.05, out_dir=str(tmp_path))
    s = run(job)
    check(s, images)
    assert (tmp_path / "link.pcap").stat().st_size > 24
    assert (tmp_path / "timeline.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "summary.json").read_text())["topology"] == topology
    if topology == "split-3":
        # Round-robin over two conv boards: both did work.
        assert all(len(c) > 0 for b, c in s["kernel_cycles"].items())


@pytest.mark.data
def test_split_trained(params_dir, cifar_file, tmp_path):
    job = CosimJob("split", 3, str(params_dir), str(cifar_file), out_dir=str(tmp_path))
    s = run(job)
    check(s, 3)
    # The first three CIFAR-10 test images are classified correctly by the trained network.
    assert [im["class"] for im in s["per_image"]] == [im["expected"] for im in s["per_image"]]


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("topology", ["split", "split-3"])
def test_twenty_images_trained(topology, params_dir, cifar_file, tmp_path):
    job = CosimJob(topology, 20, str(params_dir), str(cifar_file), loss=0.05, out_dir=str(tmp_path))
    check(run(job), 20)
