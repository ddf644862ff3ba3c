"""axilite_ctrl: the HLS ap_ctrl_hs AXI4-Lite register map."""

from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config


def test_axilite_ctrl():
    run("axilite_ctrl", rtl_sources("axilite_ctrl"), "tb.units.tb_axilite_ctrl",
        extra_env=env_config(seed=5000))
