"""Real HLS exports of BlackBoxJam (`$BNNSPLIT_DATA/hls-exports/`, written by Xilinx's tools,
not by this project) under `make sim-kernel`, unmodified: bit-exact, with exactly the cycles
an independent testbench measured on the same files (hls-exports/README.md); a fixture
export with every construct HLS tools write; the fast parameter loader against the Python
one; and the errors a user sees for a broken export, one line each, at their own file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golden import networks
from tb.jobs import runner
from tb.jobs.kernel_job import KernelJob, main, run

from conftest import hls_export
from hls_constructs import make_fixture_export

LFC = "lfcW1A1-vivado-hls-2016.3"
CNV = "cnvW1A1-vitis-hls-2023.2"
BROKEN = runner.BUILD / "broken-exports"      # deliberately broken copies (never committed)


def _words(network: str, first: int, last: int) -> int:
    net = networks.get(network)
    f = net.folding
    return sum(f.wmem(i) * f.pe(i) + (f.tmem(i) * f.pe(i) * net.layer(i).num_thresholds
                                      if net.layer(i).thresholds else 0) for i in range(first, last + 1))


def test_lfc_export_runs_bit_exactly_with_the_measured_cycles(tmp_path):
    """Vivado HLS 2016.3's lfcW1A1, on BNN-PYNQ's MNIST digit 3 then synthetic images: the
    README's figures are 1,838 cycles for one image, 6,675 for numReps = 8, interval 691."""
    folder = hls_export(LFC)
    r = run(KernelJob(kernel="BlackBoxJam", images=9, kernel_dir=str(folder), network="lfcW1A1", reps=[1, 8],
                      params=str(folder.parent.parent / "bnn-pynq" / "lfcW1A1"),
                      cifar=str(folder.parent.parent / "bnn-pynq" / "images" / "3.image-idx3-ubyte"),
                      out_dir=str(tmp_path / "run")))
    assert r.error is None, r.error
    assert r.mismatches == 0 and r["images"] == 9
    assert r.per_image[0].predicted == 3           # the digit 3: output word 0x8
    assert r["latency_cycles"] == 1838
    assert {b["num_reps"]: b["cycles"] for b in r["batches"]} == {1: 1838, 8: 6675}
    assert r["steady_interval_cycles"] == 691
    assert r["param_words_loaded"] == 73792 == _words("lfcW1A1", 0, 3)
    assert r["param_loader"] == "fast" and r["protocol_violations"] == []


@pytest.mark.slow
def test_cnv_export_runs_bit_exactly_with_the_measured_cycles(tmp_path):
    """Vitis HLS 2023.2's cnvW1A1 on the first CIFAR-10 test images: one image takes 157,801
    cycles (README); a batch of 2 and one of 4 are bit-exact too."""
    folder = hls_export(CNV)
    data = folder.parent.parent
    r = run(KernelJob(kernel="BlackBoxJam", images=5, kernel_dir=str(folder), network="cnvW1A1", reps=[2, 4],
                      params=str(data / "bnn-pynq" / "cnvW1A1"),
                      cifar=str(data / "cifar10" / "test_batch_first932.bin"), out_dir=str(tmp_path / "run")))
    assert r.error is None, r.error
    assert r.mismatches == 0 and r["images"] == 5
    assert r["latency_cycles"] == 157801
    assert r["param_words_loaded"] == 136512 == _words("cnvW1A1", 0, 8)


def test_fixture_export_with_every_hls_construct_runs_bit_exactly(tmp_path):
    """`timescale, attributes, #0 / #1 delays, an implicit net, a translate_off region no
    front end parses, a 100k-character line, .dat files of one name in two subfolders
    (the fixture's top stops the run if a ROM read the other's file), sources in a subfolder."""
    folder = make_fixture_export(tmp_path / "fx")
    r = run(KernelJob(kernel="BlackBoxJam", images=3, seed=5, kernel_dir=str(folder), network="cnvW2A2",
                      first=8, last=8, out_dir=str(tmp_path / "run")))
    assert r.error is None, r.error
    assert r.mismatches == 0 and r["images"] == 3
    assert r["param_words_loaded"] == _words("cnvW2A2", 8, 8)


@pytest.fixture(scope="module")
def layer0_export(tmp_path_factory) -> Path:
    """The fixture export of cnvW2A2's layer 0 (704 parameter words), shared by the tests
    that do not change it."""
    return make_fixture_export(tmp_path_factory.mktemp("fx0"), first=0, last=0)


def test_fast_and_python_loaders_take_the_same_cycles(tmp_path, layer0_export):
    """The same register writes through the wrapper's SV loader and through the host's
    cocotbext-axi master: the same number of simulated cycles, both bit-exact (layer 0 of
    cnvW2A2: weights and two thresholds per neuron, 704 words)."""
    folder = layer0_export
    results = {}
    for loader in ("fast", "python"):
        results[loader] = r = run(KernelJob(kernel="BlackBoxJam", images=2, seed=3, kernel_dir=str(folder),
                                            network="cnvW2A2", first=0, last=0, loader=loader,
                                            out_dir=str(tmp_path / loader)))
        assert r.error is None, f"{loader}: {r.error}"
        assert r.mismatches == 0 and r["param_loader"] == loader
    assert results["fast"]["param_words_loaded"] == results["python"]["param_words_loaded"] == _words("cnvW2A2", 0, 0)
    assert results["fast"]["param_load_cycles"] == results["python"]["param_load_cycles"]


# ---------------------------------------------------------------------------- a user's mistakes
def _broken_copy(src: Path, name: str) -> Path:
    dst = BROKEN / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def _one_error_line(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def test_a_build_error_names_the_users_own_file_and_line(capsys):
    folder = _broken_copy(hls_export(LFC), "syntax")
    src = folder / "Mem2Stream.v"
    lines = src.read_text().split("\n")
    k = next(i for i, ln in enumerate(lines) if "always @ (posedge ap_clk)" in ln)
    lines[k] = lines[k] + " this is not verilog ;"
    src.write_text("\n".join(lines))
    line = _one_error_line(capsys, ["--kernel-dir", str(folder), "--network", "lfcW1A1", "--images", "1",
                                    "--out", str(BROKEN / "syntax-run")])
    assert f"{src}:{k + 1}:" in line and "does not build" in line
    assert "build/sim-kernel" not in line.split("(full log")[0]        # not the copy under build/


def test_a_missing_dat_file_is_named_with_its_source(capsys, tmp_path):
    folder = make_fixture_export(tmp_path / "fx")
    (folder / "sub_b" / "table.dat").unlink()
    line = _one_error_line(capsys, ["--kernel-dir", str(folder), "--network", "cnvW2A2", "--first", "8",
                                    "--last", "8", "--images", "1", "--out", str(tmp_path / "run")])
    assert f"{folder / 'sub_b' / 'fx_rom_b.v'}:6: $readmem file './table.dat' not found" in line


def test_a_top_without_the_hosts_ports_is_refused(capsys):
    folder = _broken_copy(hls_export(LFC), "ports")
    top = folder / "BlackBoxJam.v"
    top.write_text(top.read_text().replace("        interrupt\n", "        interrupt_n\n")
                   .replace("output   interrupt;", "output   interrupt_n;"))
    line = _one_error_line(capsys, ["--kernel-dir", str(folder), "--network", "lfcW1A1", "--images", "1",
                                    "--out", str(BROKEN / "ports-run")])
    assert f"{top}: module BlackBoxJam lacks the port(s) the host needs: interrupt" in line


def _with_output_tied_low(src: Path, dst: Path, connection: str, port: str) -> Path:
    """A copy of a fixture export whose top drives `port` 0 instead of `connection`'s signal."""
    shutil.copytree(src, dst)
    top = dst / "BlackBoxJam.sv"
    text = top.read_text()
    assert f".{connection}({port})" in text
    end = text.rindex("endmodule")
    top.write_text(text[:end].replace(f".{connection}({port})", f".{connection}(fx_{port}_cut)")
                   + f"    assign {port} = 1'b0;\n" + text[end:])
    return dst


def test_a_parameter_word_not_taken_is_named(capsys, tmp_path, layer0_export):
    """An export whose interrupt never rises: the loader stops at the first word's start."""
    folder = _with_output_tied_low(layer0_export, tmp_path / "fx", "interrupt", "interrupt")
    line = _one_error_line(capsys, ["--kernel-dir", str(folder), "--network", "cnvW2A2", "--first", "0",
                                    "--last", "0", "--images", "1", "--out", str(tmp_path / "run")])
    assert "parameter load stopped at list line" in line and "parameter word 0" in line
    assert "no interrupt after the kernel start (the word was not taken)" in line


def test_the_wrong_layers_for_a_folder_are_named(capsys, tmp_path, layer0_export):
    """The fixture implements layer 0 of cnvW2A2; told it is layers 0-1, the words it
    writes per image (1,800: 30x30x64 activations) are not layer 1's (1,568), which is
    said before any output is compared."""
    line = _one_error_line(capsys, ["--kernel-dir", str(layer0_export), "--network", "cnvW2A2", "--first", "0",
                                    "--last", "1", "--images", "1", "--out", str(tmp_path / "run")])
    assert "is NETWORK= (or FIRST=/LAST=) right for this export?" in line


def test_a_hung_export_is_ended_by_the_watchdog_with_what_each_bus_did(tmp_path, layer0_export):
    """An export whose memory reads never start (ARVALID cut inside the top): the watchdog
    ends the run and the report says what each bus of the export's ports was doing, although
    nothing inside the export is visible to the testbench."""
    folder = _with_output_tied_low(layer0_export, tmp_path / "fx", "m_axi_arvalid", "m_axi_hostmem_ARVALID")
    r = run(KernelJob(kernel="BlackBoxJam", images=1, seed=3, kernel_dir=str(folder), network="cnvW2A2",
                      first=0, last=0, out_dir=str(tmp_path / "run")))
    assert r.error is not None and "(watchdog)" in r.error
    assert "hostmem AR: valid=0" in r.error and "control AW:" in r.error
    assert r["param_words_loaded"] == _words("cnvW2A2", 0, 0)      # the load itself went through


@pytest.mark.slow
def test_lfc_export_as_a_board_of_the_split_system(tmp_path):
    """`make sim PLAN=0-3x1 STAGE_DIR=0=<lfc export> NETWORK=lfcW1A1`: bit-exact, the summary
    carries the export's own cycles (1,838 per single-image run) and its parameter load."""
    from tb.jobs.cosim import CosimJob, run as cosim_run

    folder = hls_export(LFC)
    s = cosim_run(CosimJob(images=3, network="lfcW1A1", plan="0-3x1", stage_dirs={0: str(folder)},
                           params=str(folder.parent.parent / "bnn-pynq" / "lfcW1A1"), stall_seed=None,
                           out_dir=str(tmp_path / "sim")))
    assert s.error is None, s.error
    assert s["mismatches"] == 0 and s["lost"] == 0 and s["images"] == 3
    assert s["kernel_cycles"]["s0b0"] == [1838, 1838, 1838]
    assert s["param_loads"]["s0b0"]["words"] == 73792


def test_stage_dir_errors_name_the_stage(tmp_path):
    from golden.errors import BnnInputError
    from tb.jobs.cosim import CosimJob, prepare

    with pytest.raises(BnnInputError, match=r"STAGE_DIR=7=.*: the plan has no stage 7 \(stages 0-1: 0: layers 0-5"):
        prepare(CosimJob(images=1, plan="0-5x1,6-8x1", stage_dirs={7: str(tmp_path)}, out_dir=str(tmp_path / "s")))
    with pytest.raises(BnnInputError, match="STAGE_DIR=1=: no folder given"):
        prepare(CosimJob(images=1, plan="0-5x1,6-8x1", stage_dirs={1: ""}, out_dir=str(tmp_path / "s")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BnnInputError, match="STAGE_DIR=1=.*: no Verilog"):
        prepare(CosimJob(images=1, plan="0-5x1,6-8x1", stage_dirs={1: str(tmp_path / "empty")},
                         out_dir=str(tmp_path / "s")))
