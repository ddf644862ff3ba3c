"""width_converter: the CNV-W2A2 instances (64->192->24, 16->32, 4->2, 2->64, 64->64) and
non-integer ratios both ways; the HLS schedule (HLS_TIMING = 1) of a split and a gather,
holding (HOLD = 1) or not, in batches."""

import pytest

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config


@pytest.mark.parametrize("in_w,out_w", [
    (64, 192), (192, 24), (16, 32), (4, 2), (2, 64), (64, 64), (24, 64), (64, 24),
])
def test_width_converter(in_w, out_w):
    run("width_converter", rtl_sources("width_converter"), "tb.units.tb_width_converter",
        parameters={"IN_W": in_w, "OUT_W": out_w},
        extra_env=env_config(seed=2000 + in_w * 7 + out_w, n=200))


@pytest.mark.parametrize("in_w,out_w,hold,num_reps", [
    (32, 8, 1, 2), (32, 8, 1, 1), (32, 8, 0, 2), (16, 64, 0, 2), (16, 64, 1, 2),
])
def test_width_converter_hls_batches(in_w, out_w, hold, num_reps):
    """A split (32 -> 8, LFC layer 3's input) and a gather (16 -> 64, its output), 4 images:
    with HOLD = 1 an image's last write waits for the next image's first word unless the image
    ends a batch of num_reps; with HOLD = 0 nothing waits (tb_width_converter.test_hls_batches)."""
    params = {"IN_W": in_w, "OUT_W": out_w, "HLS_TIMING": 1, "IMAGE_WORDS": 4, "HOLD": hold}
    run("width_converter", rtl_sources("width_converter", "stream_fifo"), "tb.units.tb_width_converter",
        parameters=params, testcase="test_hls_batches",
        extra_env=env_config(**params, images=4, num_reps=num_reps, seed=3000 + in_w + out_w + hold))
