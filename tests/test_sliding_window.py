"""sliding_window: small shapes plus every CNV-W2A2 instance (the big ones marked slow), each in
both schedules (decoupled, and the HLS loop of ConvolutionInputGenerator)."""

import pytest

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config

# (IFM_DIM, IFM_CH, SIMD, BITS, images)
CASES = [
    pytest.param(5, 4, 2, 2, 3, id="tiny"),
    pytest.param(4, 2, 1, 3, 3, id="bits3-simd1"),
    pytest.param(3, 256, 8, 2, 3, id="cnv-l5"),     # IFM = K*OFM: writer exactly as fast as reader
    pytest.param(5, 128, 8, 2, 2, id="cnv-l4"),
    pytest.param(14, 64, 16, 2, 2, id="cnv-l2"),
    pytest.param(32, 3, 3, 8, 2, id="cnv-l0"),
    pytest.param(5, 128, 32, 1, 2, id="cnvW1A1-l4"),   # 1-bit activations, 32 per word
    pytest.param(12, 128, 16, 2, 2, id="cnv-l3", marks=pytest.mark.slow),
    pytest.param(30, 64, 16, 2, 2, id="cnv-l1", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("hls", [0, 1], ids=["decoupled", "hls"])
@pytest.mark.parametrize("dim,ch,simd,bits,images", CASES)
def test_sliding_window(dim, ch, simd, bits, images, hls):
    """Both schedules: HLS_TIMING = 0 (decoupled reader/writer) and 1 (the HLS loop)."""
    params = {"K": 3, "IFM_DIM": dim, "IFM_CH": ch, "SIMD": simd, "BITS": bits, "HLS_TIMING": hls}
    run("sliding_window", rtl_sources("sliding_window", "stream_fifo"), "tb.units.tb_sliding_window",
        parameters=params, extra_env=env_config(**params, images=images, seed=dim * 1000 + ch))


@pytest.mark.parametrize("num_reps", [1, 2])
def test_sliding_window_hls_batches(num_reps):
    """HLS schedule, 4 images in batches of 1 (the pipeline drains after every image) or 2
    (after every second one): bit-exact, and the exact timing of tb_sliding_window's
    check_hls_timing."""
    params = {"K": 3, "IFM_DIM": 5, "IFM_CH": 4, "SIMD": 2, "BITS": 2, "HLS_TIMING": 1}
    run("sliding_window", rtl_sources("sliding_window", "stream_fifo"), "tb.units.tb_sliding_window",
        parameters=params, extra_env=env_config(**params, images=4, num_reps=num_reps, seed=5004))


@pytest.mark.parametrize("lag", [0, 1, 3])
@pytest.mark.parametrize("dim,ch,simd,bits,images", [CASES[0], CASES[3]])
def test_sliding_window_hls_lag(dim, ch, simd, bits, images, lag):
    """HLS schedule with other pipeline lags between an iteration's read and its write."""
    params = {"K": 3, "IFM_DIM": dim, "IFM_CH": ch, "SIMD": simd, "BITS": bits, "HLS_TIMING": 1,
              "HLS_LAG": lag}
    run("sliding_window", rtl_sources("sliding_window", "stream_fifo"), "tb.units.tb_sliding_window",
        parameters=params, extra_env=env_config(**params, images=images, seed=dim * 1000 + ch))
