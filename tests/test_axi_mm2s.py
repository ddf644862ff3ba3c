"""axi_mm2s: default configuration (256-beat bursts, 4 outstanding, 512-word FIFO), a small
one (16-beat bursts, 2 outstanding, 40-word FIFO) that stresses the credit logic, and one
whose FIFO is shorter than MAX_BURST (bursts clamped to the FIFO depth)."""

import pytest

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config


@pytest.mark.parametrize("max_burst,max_outstanding,fifo_depth", [
    (256, 4, 512), (16, 2, 40), (64, 2, 40),
])
def test_axi_mm2s(max_burst, max_outstanding, fifo_depth):
    run("axi_mm2s", rtl_sources("axi_mm2s", "stream_fifo"), "tb.units.tb_axi_mm2s",
        parameters={"MAX_BURST": max_burst, "MAX_OUTSTANDING": max_outstanding,
                    "FIFO_DEPTH": fifo_depth},
        extra_env=env_config(seed=3000 + max_burst))
