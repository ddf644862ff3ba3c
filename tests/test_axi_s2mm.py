"""axi_s2mm: default configuration (256-beat bursts, 4 outstanding) and a small one
(16-beat bursts, 2 outstanding, 4-word input FIFO)."""

import pytest

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config


@pytest.mark.parametrize("max_burst,max_outstanding,in_fifo_depth", [
    (256, 4, 2), (16, 2, 4),
])
def test_axi_s2mm(max_burst, max_outstanding, in_fifo_depth):
    run("axi_s2mm", rtl_sources("axi_s2mm", "stream_fifo"), "tb.units.tb_axi_s2mm",
        parameters={"MAX_BURST": max_burst, "MAX_OUTSTANDING": max_outstanding,
                    "IN_FIFO_DEPTH": in_fifo_depth},
        extra_env=env_config(seed=4000 + max_burst))
