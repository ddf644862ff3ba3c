"""tb/bus/axi_checker.py: clean runs of the real AXI blocks under the checkers, and one run per
deliberately broken rule (tb/units/hdl/bad_axi_master.sv plus a misbehaving Python slave)
asserting the rule, channel, message and cycle the checker reports."""

import pytest

from tb.jobs.runner import REPO, rtl_sources, run
from tb.bus.streams import env_config
from tb.units.tb_axi_checker import ALL_CASES

BAD_MASTER = [REPO / "tb" / "units" / "hdl" / "bad_axi_master.sv"]


# lazy: watch_idle_responses=False (B / R watched only while a response may come)
@pytest.mark.parametrize("lazy", [False, True])
def test_checker_mm2s_clean(lazy):
    run("axi_mm2s", rtl_sources("axi_mm2s", "stream_fifo"), "tb.units.tb_axi_checker",
        parameters={"MAX_BURST": 16, "MAX_OUTSTANDING": 2, "FIFO_DEPTH": 40},
        testcase="test_mm2s_clean", extra_env=env_config(seed=7100, lazy=lazy))


@pytest.mark.parametrize("lazy", [False, True])
def test_checker_s2mm_clean(lazy):
    run("axi_s2mm", rtl_sources("axi_s2mm", "stream_fifo"), "tb.units.tb_axi_checker",
        parameters={"MAX_BURST": 16, "MAX_OUTSTANDING": 2, "IN_FIFO_DEPTH": 4},
        testcase="test_s2mm_clean", extra_env=env_config(seed=7200, lazy=lazy))


@pytest.mark.parametrize("lazy", [False, True])
def test_checker_axilite_clean(lazy):
    run("axilite_ctrl", rtl_sources("axilite_ctrl"), "tb.units.tb_axi_checker",
        testcase="test_axilite_clean", extra_env=env_config(seed=7300, lazy=lazy))


@pytest.mark.parametrize("case", sorted(ALL_CASES))
def test_checker_catches(case):
    run("bad_axi_master", BAD_MASTER, "tb.units.tb_axi_checker", testcase="test_bad_master",
        extra_env=env_config(case=case))


# Response-side rules that still hold with watch_idle_responses=False (a response while a
# request is outstanding); a response with nothing outstanding is then only seen once the
# next request is accepted.
@pytest.mark.parametrize("case", ["clean", "b_early", "rlast_early", "rlast_missing",
                                  "lite_clean", "lite_b_early"])
def test_checker_catches_lazy(case):
    run("bad_axi_master", BAD_MASTER, "tb.units.tb_axi_checker", testcase="test_bad_master",
        extra_env=env_config(case=case, lazy=True))


def test_checker_fail_fast():
    """A violation raised from the checker's task ends the cocotb test at once."""
    run("bad_axi_master", BAD_MASTER, "tb.units.tb_axi_checker",
        testcase="test_fail_fast,test_fail_fast_result")
