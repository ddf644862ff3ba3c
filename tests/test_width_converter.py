"""width_converter: the CNV-W2A2 instances (64->192->24, 16->32, 4->2, 2->64, 64->64) and
non-integer ratios both ways."""

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
