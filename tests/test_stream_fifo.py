"""stream_fifo: depths the CNV-W2A2 kernels use (1, 2, 3, 81, 128) and the SRL/RAM boundary."""

import pytest

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config


@pytest.mark.parametrize("width,depth", [
    (24, 1), (64, 2), (2, 3), (8, 32), (8, 33), (24, 81), (24, 128),
])
def test_stream_fifo(width, depth):
    run("stream_fifo", rtl_sources("stream_fifo"), "tb.units.tb_stream_fifo",
        parameters={"WIDTH": width, "DEPTH": depth},
        extra_env=env_config(seed=1000 + depth))
