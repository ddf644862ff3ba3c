"""Mutation check: deliberate bugs planted in a copy of a kernel (or in the parameters it
preloads) must each be caught by the regression with a clear message.

Each mutation is chosen with golden/ so that it provably changes the result (a threshold off
by one exactly where an accumulator sits next to it, a weight whose input is non-zero), so a
pass here means the testbench sees the bug, not that the bug happened to be invisible.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from golden import layers as L
from golden.images import pixel_codes, synthetic_images
from golden.model import run as golden_run
from golden.params import LayerParams, Params
from golden.synthetic import synthetic_params
from hls_out import kernel as kernels
from tb.jobs.kernel_job import KernelJob, run

SEED, IMAGES = 8, 2


@pytest.fixture(scope="module")
def golden_taps():
    params = synthetic_params(SEED)
    codes = pixel_codes(synthetic_images(IMAGES, seed=SEED + 1))
    return params, codes, golden_run(params, codes, taps=True)


def scores_with(params, codes, layer, lp):
    mutated = Params(dict(params.layers) | {layer: lp}, params.folding, "mutant")
    return golden_run(mutated, codes).output


def test_weight_bit_flip_is_caught(golden_taps, tmp_path):
    params, codes, ref = golden_taps
    w8, x = params[8].weights, ref.taps["fc7"][0]
    row = 3                                    # class 3; PE = row % 4, neuron fold = row // 4
    col = int(np.flatnonzero(x != 0)[0])       # an input that is non-zero for image 0
    flipped = w8.copy()
    flipped[row, col] = {1: -1, -1: 1, 0: 1}[int(w8[row, col])]
    assert not np.array_equal(scores_with(params, codes, 8, LayerParams(flipped, None)), ref.output)
    code_xor = 0b10 if w8[row, col] != 0 else 0b01          # 01 <-> 11, or 00 -> 01
    patch = {"file": f"8-{row % 4}-weights.hex", "line": (row // 4) * 512 + col, "xor": code_xor}
    report = run(KernelJob(kernel="cnv_part2", images=IMAGES, seed=SEED, param_patches=[patch], out_dir=str(tmp_path)))
    assert report.error and report.mismatches >= 1
    assert "differ from golden/" in report.error
    assert not report.per_image[0].match


def test_threshold_off_by_one_is_caught(golden_taps, tmp_path):
    params, codes, ref = golden_taps
    acc, t = ref.taps["acc7"], params[7].thresholds.astype(np.int16).astype(np.int64)
    # A neuron whose accumulator sits exactly one above a threshold: t < acc flips when t += 1.
    hits = np.argwhere(acc[:, :, None] == t[None, :, :] + 1)     # (image, neuron, which)
    assert len(hits), "no accumulator next to a threshold: choose another seed"
    for img, n, k in hits:
        t2 = params[7].thresholds.copy()
        t2[n, k] += 1
        if not np.array_equal(scores_with(params, codes, 7, LayerParams(params[7].weights, t2)), ref.output):
            break
    else:
        pytest.fail("no off-by-one threshold changes the scores: choose another seed")
    patch = {"file": f"7-{n % 2}-thres.hex", "line": int(n // 2) * 2 + int(k), "add": 1}
    report = run(KernelJob(kernel="cnv_part2", images=IMAGES, seed=SEED, param_patches=[patch], out_dir=str(tmp_path)))
    assert report.error and report.mismatches >= 1
    assert not report.per_image[int(img)].match


def _mutate_fifo(tmp_path, how: str):
    src = kernels.load("cnv_part2").sv.read_text()
    inst = re.search(r"stream_fifo #\(.*?\) u_fifo_L7 \((.*?)\n    \);", src, re.S)
    assert inst, "fifo_L7 not found in cnv_part2"
    body = inst.group(1)
    if how == "ready_ignored":      # the FIFO never sees its output taken
        body = re.sub(r"\.m_axis_tready\(\w+\)", ".m_axis_tready(1'b0)", body)
        out = src.replace(inst.group(1), body)
    else:                           # the FIFO never presents data: nothing downstream moves
        valid = re.search(r"\.m_axis_tvalid\((\w+)\)", body).group(1)
        body = body.replace(f".m_axis_tvalid({valid})", ".m_axis_tvalid()")
        out = src.replace(inst.group(1), body).replace("endmodule", f"    assign {valid} = 1'b0;\nendmodule")
    mutant = tmp_path / "cnv_part2.sv"
    mutant.write_text(out)
    return mutant


def test_fifo_ignoring_ready_is_caught(tmp_path):
    """A FIFO whose output handshake is broken repeats words downstream: wrong scores."""
    mutant = _mutate_fifo(tmp_path, "ready_ignored")
    report = run(KernelJob(kernel="cnv_part2", images=1, seed=SEED, kernel_sv=str(mutant),
                           out_dir=str(tmp_path / "run")))
    assert report.error and "differ from golden/" in report.error, report.error


def test_stuck_fifo_deadlock_is_caught(tmp_path):
    """A FIFO that never presents data deadlocks the kernel: the run must end with a
    diagnostic naming what stalled, not hang."""
    mutant = _mutate_fifo(tmp_path, "valid_stuck")
    report = run(KernelJob(kernel="cnv_part2", images=1, seed=SEED, kernel_sv=str(mutant),
                           out_dir=str(tmp_path / "run")))
    assert report.error
    # The watchdog names where the data stopped: layer 8's MVAU never gets input.
    assert "no progress" in report.error and "mvau_L8: starved" in report.error, report.error


# ---------------------------------------------------------------- a W1A1 kernel (XNOR popcounts)
# cnv_w1a1_part2 (layers 6-8 of CNV-W1A1): layer 8 outputs its XNOR popcounts as scores, so a
# flipped weight bit of a class row moves that class's score by one, whatever the input; a
# layer-7 threshold one above an accumulator that sits at t + 1 turns that neuron's bit off,
# which moves every score of layer 8 by one.
W1A1 = "cnvW1A1"


@pytest.fixture(scope="module")
def w1a1_taps():
    from golden import networks
    from golden.images import input_tensor, network_images

    net = networks.get(W1A1)
    params = synthetic_params(SEED, network=net)                 # what KernelJob(seed=SEED) loads
    x = input_tensor(net, network_images(net, IMAGES, seed=SEED + 1))
    return params, x, golden_run(params, x, taps=True)


def test_w1a1_weight_bit_flip_is_caught(w1a1_taps, tmp_path):
    params, x, ref = w1a1_taps
    f = params.folding
    w8, row, col = params[8].weights, 3, 17                       # class 3, input bit 17
    flipped = w8.copy()
    flipped[row, col] = -flipped[row, col]
    assert not np.array_equal(scores_with(params, x, 8, LayerParams(flipped, None)), ref.output)
    pe, sf, simd = f.pe(8), f.sf(8), f.simd(8)
    patch = {"file": f"8-{row % pe}-weights.hex", "line": (row // pe) * sf + col // simd,
             "xor": 1 << (col % simd)}                            # bit i = column sf*SIMD + i
    report = run(KernelJob(kernel="cnv_w1a1_part2", images=IMAGES, seed=SEED, param_patches=[patch],
                           out_dir=str(tmp_path)))
    assert report.error and report.mismatches == IMAGES            # every image's score moves
    assert "differ from golden/" in report.error


def test_w1a1_threshold_off_by_one_is_caught(w1a1_taps, tmp_path):
    params, x, ref = w1a1_taps
    f = params.folding
    acc, t = ref.taps["acc7"], params[7].thresholds.astype(np.int16).astype(np.int64)
    hits = np.argwhere(acc[:, :, None] == t[None, :, :] + 1)       # (image, neuron, 0)
    assert len(hits), "no accumulator next to a threshold: choose another seed"
    img, n, k = (int(v) for v in hits[0])
    t2 = params[7].thresholds.copy()
    t2[n, k] += 1
    assert not np.array_equal(scores_with(params, x, 7, LayerParams(params[7].weights, t2)), ref.output)
    pe, nthr = f.pe(7), params[7].thresholds.shape[1]
    patch = {"file": f"7-{n % pe}-thres.hex", "line": (n // pe) * nthr + k, "add": 1}
    report = run(KernelJob(kernel="cnv_w1a1_part2", images=IMAGES, seed=SEED, param_patches=[patch],
                           out_dir=str(tmp_path)))
    assert report.error and report.mismatches >= 1
    assert not report.per_image[img].match
