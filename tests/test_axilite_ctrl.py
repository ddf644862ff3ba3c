"""axilite_ctrl: the HLS ap_ctrl_hs AXI4-Lite register map, checked against the register
table of hls_out/interface.py."""

from hls_out import interface
from tb.bus.streams import env_config
from tb.jobs.runner import rtl_sources, run


def test_generated_block_is_current():
    """The decode block of rtl/axilite_ctrl.sv is what the table generates (else the
    simulation below would test a stale map)."""
    text = interface.SV_TARGET.read_text()
    assert interface.splice_sv(text) == text, \
        "rtl/axilite_ctrl.sv: the register-map block is stale, run `make hls`"


def test_axilite_ctrl():
    run("axilite_ctrl", rtl_sources("axilite_ctrl"), "tb.units.tb_axilite_ctrl",
        extra_env=env_config(seed=5000))
