"""maxpool: small shapes, the brief's instances (PE 16 / 8) and the generated kernels' (PE 32 / 64),
in both schedules."""

import pytest

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config

# (IFM_DIM, CH, PE, images)
CASES = [
    pytest.param(2, 4, 4, 3, id="tiny"),
    pytest.param(6, 6, 2, 3, id="cf3"),
    pytest.param(4, 3, 1, 3, id="pe1"),
    pytest.param(28, 64, 16, 2, id="cnv-pool1-pe16"),
    pytest.param(10, 128, 8, 2, id="cnv-pool3-pe8"),
    pytest.param(28, 64, 32, 2, id="cnv-pool1-pe32"),
    pytest.param(10, 128, 64, 2, id="cnv-pool3-pe64"),
]


@pytest.mark.parametrize("hls", [0, 1], ids=["decoupled", "hls"])
@pytest.mark.parametrize("dim,ch,pe,images", CASES)
def test_maxpool(dim, ch, pe, images, hls):
    """Both schedules: HLS_TIMING = 0 (a pooled word leaves with its block's last input) and
    1 (the HLS loops: two rows in, then the pooled row out)."""
    params = {"IFM_DIM": dim, "CH": ch, "PE": pe, "BITS": 2, "HLS_TIMING": hls}
    run("maxpool", rtl_sources("maxpool", "stream_fifo"), "tb.units.tb_maxpool",
        parameters=params, extra_env=env_config(**params, images=images, seed=dim * 100 + pe))


# The OR pool of 1-bit activations (CNV-W1A1): (IFM_DIM, CH, PE, images); the kernels' words
# hold one whole pixel (PE = CH, one bit per channel).
OR_CASES = [
    pytest.param(4, 6, 2, 3, id="or-tiny"),
    pytest.param(28, 64, 64, 2, id="cnvW1A1-pool1"),
    pytest.param(10, 128, 128, 2, id="cnvW1A1-pool3"),
]


@pytest.mark.parametrize("hls", [0, 1], ids=["decoupled", "hls"])
@pytest.mark.parametrize("dim,ch,pe,images", OR_CASES)
def test_maxpool_or(dim, ch, pe, images, hls):
    """OR_POOL = 1 on bits in both schedules, against golden.layers.orpool2."""
    params = {"IFM_DIM": dim, "CH": ch, "PE": pe, "BITS": 1, "HLS_TIMING": hls, "OR_POOL": 1}
    run("maxpool", rtl_sources("maxpool", "stream_fifo"), "tb.units.tb_maxpool",
        parameters=params, extra_env=env_config(**params, images=images, seed=dim * 100 + pe + 7))
