"""A user's own HLS export under the testbench (`make sim-kernel KERNEL_DIR=...`): discovery
of the folder, the checks that answer a wrong folder with a clear error, and this project's
own kernel exported to a plain folder, its parameters loaded only through doInit, bit-exact."""

from pathlib import Path

import pytest

from golden.errors import BnnInputError
from hls_out.generate import KernelConfig, generate
from golden import networks
from tb.jobs import runner
from tb.jobs.export_kernel import discover, export_kernel, read_ports, strip_translate_off
from tb.jobs.kernel_job import KernelJob, run

NET = networks.get("cnvW2A2")


def _export(tmp_path: Path, first: int, last: int) -> Path:
    """Our kernel of layers first..last as a plain folder, its top renamed BlackBoxJam."""
    files = generate(KernelConfig("exp", first, last, NET.folding), tmp_path / "gen")
    top = next(p for p in files if p.suffix == ".sv")
    top.parent.mkdir(parents=True, exist_ok=True)
    top.write_text(files[top].replace("module exp (", "module BlackBoxJam ("))
    return export_kernel(top, sorted(runner.RTL.glob("*.sv")), tmp_path / "export")


def test_translate_off_regions_are_left_out_with_line_numbers_kept():
    text = "a\n// synthesis translate_off\nbad\n// synthesis translate_on\nb\n/* synopsys translate_off */\nx\n"
    out, n = strip_translate_off(text)
    assert n == 2 and out.split("\n") == ["a", "", "", "", "b", "", "", ""]


def test_ports_of_verilog_1995_and_ansi_tops():
    v95 = "module BlackBoxJam (ap_clk, ap_rst_n, m_axi_hostmem_AWADDR);\ninput ap_clk;\ninput  ap_rst_n;\n" \
          "output [63:0] m_axi_hostmem_AWADDR;\nendmodule\n"
    assert read_ports(v95, "BlackBoxJam", "x.v") == {"ap_clk": "input", "ap_rst_n": "input",
                                                      "m_axi_hostmem_AWADDR": "output"}
    ansi = "module BlackBoxJam (input logic ap_clk, ap_rst_n, output logic [1:0] m_axi_hostmem_ARLOCK);\nendmodule"
    assert read_ports(ansi, "BlackBoxJam", "x.sv") == {"ap_clk": "input", "ap_rst_n": "input",
                                                        "m_axi_hostmem_ARLOCK": "output"}


def test_clear_errors_for_a_wrong_folder(tmp_path):
    with pytest.raises(BnnInputError, match="not a folder"):
        discover(tmp_path / "nope", "BlackBoxJam", "cnvW2A2", None, None, tmp_path / "w")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BnnInputError, match="no Verilog"):
        discover(tmp_path / "empty", "BlackBoxJam", "cnvW2A2", None, None, tmp_path / "w")
    d = tmp_path / "wrongtop"
    d.mkdir()
    (d / "k.v").write_text("module Other (input ap_clk);\nendmodule\n")
    with pytest.raises(BnnInputError, match="no module named BlackBoxJam .*modules found: Other"):
        discover(d, "BlackBoxJam", "cnvW2A2", None, None, tmp_path / "w")
    (d / "k.v").write_text("module BlackBoxJam (input ap_clk, input ap_rst_n);\nendmodule\n")
    with pytest.raises(BnnInputError, match="lacks the port.*interrupt"):
        discover(d, "BlackBoxJam", "cnvW2A2", None, None, tmp_path / "w")
    with pytest.raises(BnnInputError, match="unknown network"):
        discover(d, "BlackBoxJam", "cnvW9A9", None, None, tmp_path / "w")


def test_discovery_of_an_export(tmp_path):
    folder = _export(tmp_path, 8, 8)
    (folder / "weights_L8.dat").write_text("0\n")
    (folder / "unused.dat").write_text("0\n")
    (folder / "rom.v").write_text('module rom;\nreg [63:0] m [0:0];\ninitial $readmemh("./weights_L8.dat", m);\nendmodule\n')
    k = discover(folder, "BlackBoxJam", "cnvW2A2", 8, 8, tmp_path / "work")
    assert k.role == "part2" and k.words_in == 16 and k.words_out == 16
    assert k.data_files == [(folder / "weights_L8.dat").resolve()]     # the files the sources read
    assert len(k.sources) == len(list(runner.RTL.glob("*.sv"))) + 2
    copy = next(s for s in k.sources if s.name == "rom.v").read_text().split("\n")
    assert copy[0] == f'`line 1 "{(folder / "rom.v").resolve()}" 0'        # messages name the original
    assert f'$readmemh("{(folder / "weights_L8.dat").resolve()}", m)' in copy[3]


def _check_exported(tmp_path, first, last, images):
    folder = _export(tmp_path, first, last)
    job = KernelJob(kernel="BlackBoxJam", images=images, seed=5, kernel_dir=str(folder), network="cnvW2A2", first=first,
                    last=last, out_dir=str(tmp_path / "run"))
    r = run(job)
    assert r.error is None, r.error
    assert r.mismatches == 0 and r["images"] == images
    words = sum(NET.folding.wmem(i) * NET.folding.pe(i) + (NET.folding.tmem(i) * NET.folding.pe(i) * 2
                                                            if NET.layer(i).thresholds else 0)
                for i in range(first, last + 1))
    assert r["param_words_loaded"] == words and r["param_load_cycles"] > words
    for key in ("latency_cycles", "batch_interval_cycles", "build_s", "sim_s"):
        assert r[key] is not None, key
    return r


def test_own_kernel_exported_to_a_folder_loads_its_parameters_through_doinit(tmp_path):
    """The last layer alone (32768 weight words): without +PARAMS_DIR its memories start at
    zero, so only a working init path gives bit-exact scores."""
    _check_exported(tmp_path, 8, 8, 3)


@pytest.mark.slow
def test_exported_fc_part_bit_exact(tmp_path):
    """cnv_part2's layers (231k parameter words) from a folder."""
    _check_exported(tmp_path, 6, 8, 3)


@pytest.mark.slow
def test_a_board_of_the_cosimulation_from_a_folder(tmp_path):
    """The last stage's board runs a kernel given as a folder (loaded through doInit before
    the job), next to a generated kernel: the split system still bit-exact end to end."""
    from tb.jobs.cosim import CosimJob, run as cosim_run

    folder = _export(tmp_path, 8, 8)
    s = cosim_run(CosimJob(images=3, seed=5, plan="0-7x1,8-8x1", stage_dirs={1: str(folder)},
                           stall_seed=None, out_dir=str(tmp_path / "sim")))
    assert s.error is None, s.error
    assert s["mismatches"] == 0 and s["lost"] == 0 and s["images"] == 3
    assert [b["kernel"] for b in s["boards"]] == ["cnv_L0_7", "BlackBoxJam"]
    assert s["param_loads"]["s1b0"]["words"] == NET.folding.wmem(8) * NET.folding.pe(8)
