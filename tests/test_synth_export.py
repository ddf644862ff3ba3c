"""Resources of a user's HLS export (`make resources KERNEL_DIR=DIR NETWORK=NET`,
tb/jobs/synth_export.py): the rewrite of a `for` loop bounded by a signal (which Yosys
rejects) proved equivalent by Yosys's own equivalence checker, the loops left alone, the
error a user sees for a construct Yosys rejects (at their own file and line), a small export
synthesized end to end, the command's bad-input errors; slow: the real lfcW1A1 export."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from golden.errors import BnnInputError
from tb.jobs import export_kernel, hls_blocks, resources, synth, synth_export
from tb.jobs.synth_export import ExportSynthesisError, rewrite_signal_loops

from conftest import hls_export

REPO = Path(__file__).resolve().parent.parent

# Vivado HLS 2016.3's AXI adapter (BlackBoxJam_hostmem_m_axi_decoder), as it writes it.
DECODER = """`timescale 1ns/1ps

module {name}
#(parameter
    DIN_WIDTH       = 3
)(
    input  wire [DIN_WIDTH-1:0]         din,
    output reg  [2**DIN_WIDTH-1:0]      dout
);
    integer i;
    always @(din) begin
        dout = {{2**DIN_WIDTH{{1'b0}}}};
        for (i=0; i < din; i = i + 1)
            dout[i] = 1'b1;
    end
endmodule
"""
# Vitis HLS 2023.2's: the same loop in a function, `<=` for a change.
DECODER_FUNCTION = """module {name} #(parameter DIN_WIDTH = 3)(
    input  wire [DIN_WIDTH-1:0] din,
    output wire [2**DIN_WIDTH-1:0] dout
);
        function [2**DIN_WIDTH-1 : 0] decoder;
            input [DIN_WIDTH-1 : 0] din;
            reg  [2**DIN_WIDTH-1 : 0] dout;
            integer i;
        begin
            dout = {{2**DIN_WIDTH{{1'b0}}}};
            for (i = 1; i <= din; i = i + 1) begin
                dout[i - 1] = 1'b1;
            end
            decoder = dout;
        end
        endfunction
    assign dout = decoder(din);
endmodule
"""
# The same function written by hand with a constant bound.
REFERENCE = """module {name} #(parameter DIN_WIDTH = 3)(
    input  wire [DIN_WIDTH-1:0] din,
    output reg  [2**DIN_WIDTH-1:0] dout
);
    integer i;
    always @(din)
        for (i = 0; i < 2**DIN_WIDTH; i = i + 1)
            dout[i] = i < din;
endmodule
"""


def _yosys(tmp_path: Path, commands: str) -> subprocess.CompletedProcess:
    script = tmp_path / "run.ys"
    script.write_text(commands)
    return subprocess.run([synth.yosys(), "-q", "-s", str(script)], capture_output=True, text=True,
                          env=synth.yosys_env(tmp_path), timeout=300)


def _equivalent(tmp_path: Path, gate_text: str, gold_text: str, width: int) -> subprocess.CompletedProcess:
    """Yosys's equivalence check of module `gate` against module `gold` at DIN_WIDTH = width."""
    (tmp_path / "gate.v").write_text(gate_text)
    (tmp_path / "gold.v").write_text(gold_text)
    return _yosys(tmp_path, "\n".join([
        f"read_verilog {tmp_path / 'gate.v'} {tmp_path / 'gold.v'}",
        f"chparam -set DIN_WIDTH {width} gate gold",
        "proc", "opt_clean",
        "equiv_make gold gate equiv", "hierarchy -top equiv",
        "equiv_simple", "equiv_induct", "equiv_status -assert", ""]))


@pytest.mark.parametrize("source", [DECODER, DECODER_FUNCTION], ids=["always-2016.3", "function-2023.2"])
def test_signal_bounded_loop_is_rewritten_into_an_equivalent_one(source, tmp_path):
    original = source.format(name="gate")
    rewritten, done = rewrite_signal_loops(original, "/user/export/axi.v")
    assert len(done) == 1
    line = next(k for k, text in enumerate(original.split("\n"), start=1) if "for (i" in text)
    assert (done[0].file, done[0].line) == ("/user/export/axi.v", line)
    assert "(1 << $bits(din))" in rewritten and done[0].note().startswith(f"/user/export/axi.v:{line}: `for (i")
    assert rewritten.count("\n") == original.count("\n")          # line numbers kept
    (tmp_path / "original.v").write_text(original)
    bad = _yosys(tmp_path, f"read_verilog {tmp_path / 'original.v'}\n")
    assert bad.returncode != 0 and "not constant" in bad.stderr    # what Yosys says of the original
    for width in (3, 4):
        proof = _equivalent(tmp_path, rewritten, REFERENCE.format(name="gold"), width)
        assert proof.returncode == 0, proof.stderr
    # the check is not vacuous: an off-by-one reference is told apart
    wrong = REFERENCE.format(name="gold").replace("i < din", "i <= din")
    assert _equivalent(tmp_path, rewritten, wrong, 3).returncode != 0


@pytest.mark.parametrize("change", [
    ("    end\nendmodule", "    dout[0] = i[0];\n    end\nendmodule"),   # the index read after the loop
    ("integer i;", "reg [2:0] i;"),                                    # a narrow index would wrap
    ("i = i + 1)", "i = i + 2)"),                                      # not a step of one
    ("dout[i] = 1'b1;", "begin dout[i] = 1'b1; i = i + 1; end"),       # the index assigned in the body
    ("i < din", "i < DIN_WIDTH"),                                      # a parameter: Yosys takes it
])
def test_loops_that_are_not_exactly_equivalent_are_left_alone(change):
    text = DECODER.format(name="dec").replace(*change)
    assert text != DECODER.format(name="dec")
    out, done = rewrite_signal_loops(text, "x.v")
    assert (out, done) == (text, [])


def test_wide_signal_is_not_enumerated():
    text = DECODER.format(name="dec").replace("[DIN_WIDTH-1:0]         din", "[31:0] din")
    assert rewrite_signal_loops(text, "x.v")[1] == []


def _tiny_export(folder: Path, decoder: str = DECODER) -> Path:
    """A BlackBoxJam with the host's ports whose interrupt is bit 5 of a decoder's output (din > 5),
    the decoder in a file of its own."""
    folder.mkdir(parents=True)
    ports = [p for p in export_kernel.REQUIRED_PORTS if p != "interrupt"]
    (folder / "BlackBoxJam.v").write_text(
        "module BlackBoxJam (\n" + "".join(f"    input wire {p},\n" for p in ports) + "    output wire interrupt\n);\n"
        "    wire [7:0] d;\n    reg [2:0] q;\n"
        "    always @(posedge ap_clk) q <= {s_axi_control_WDATA, s_axi_control_AWVALID, s_axi_control_WVALID};\n"
        "    axi_decoder u_dec (.din(q), .dout(d));\n    assign interrupt = d[5];\nendmodule\n")
    (folder / "axi_decoder.v").write_text(decoder.format(name="axi_decoder"))
    return folder


@pytest.fixture
def out(tmp_path, monkeypatch):
    """build/resources/ in tmp_path."""
    monkeypatch.setattr(synth, "OUT", tmp_path / "out")
    return tmp_path / "out"


def test_small_export_synthesized_with_the_loop_rewritten(tmp_path, out):
    folder = _tiny_export(tmp_path / "my-export")
    notes: list[str] = []
    r = synth_export.synthesize_export(folder, "lfcW1A1", on_note=notes.append)
    assert len(notes) == 1 and notes[0].startswith(f"{folder / 'axi_decoder.v'}:13: `for (i=0; i < din; i = i + 1)`")
    assert [(x["file"], x["line"]) for x in r["rewritten"]] == [(str(folder / "axi_decoder.v"), 13)]
    assert set(synth_export.TALLY_KEYS) <= set(r) and r["ff"] >= 2 and r["lut"] >= 1 and r["bram_tiles"] == 0
    assert r["tool"].startswith("Yosys") and not r["cached"] and (out / "export-my-export" / "result.json").exists()
    assert (folder / "axi_decoder.v").read_text() == DECODER.format(name="axi_decoder")   # the user's file as it was
    again = synth_export.synthesize_export(folder, "lfcW1A1")
    assert again["cached"] and again["lut"] == r["lut"]


def test_construct_yosys_rejects_is_one_error_at_the_users_line(tmp_path, out):
    """A signal-bounded loop the tool does not rewrite (a step of two): Yosys's error, at the
    user's file and line, on one line; nothing of the build copy in it."""
    folder = _tiny_export(tmp_path / "broken", DECODER.replace("i = i + 1)", "i = i + 2)"))
    with pytest.raises(ExportSynthesisError) as err:
        synth_export.synthesize_export(folder, "lfcW1A1")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"KERNEL_DIR={folder} does not synthesize with Yosys: "
                                              f"{folder / 'axi_decoder.v'}:13: ERROR:")
    assert "for-loop is not constant" in msg and "full log:" in msg and "/src/" not in msg.split("(full log")[0]


def _chain(terms: int) -> str:
    """A register loaded under a condition of `terms` ANDed comparisons, as Vitis HLS writes
    them (its cnvW1A1 export has 260 in one `if`)."""
    cond = " & ".join(f"~(a == 12'd{i})" for i in range(terms))
    return (f"module chain (input wire clk, input wire [11:0] a, input wire d, output reg y);\n"
            f"    always @(posedge clk) begin\n        if ({cond}) begin\n            y <= d;\n        end\n"
            f"    end\nendmodule\n")


def test_deep_expressions_get_the_stack_they_need(tmp_path):
    """YoWASP's default stack limit stops Yosys's front end on a 500-term condition; the
    export's runs (tb/jobs/yosys_deep.py) take it."""
    (tmp_path / "chain.v").write_text(_chain(500))
    plain = _yosys(tmp_path, f"read_verilog {tmp_path / 'chain.v'}\n")
    assert plain.returncode != 0 and "call stack exhausted" in plain.stderr
    stat = synth_export.run_yosys(tmp_path / "run", f"read_verilog {tmp_path / 'chain.v'}\n"
                                     f"tee -q -o {tmp_path / 'run' / 'stat.json'} stat -json\n", "chain", (tmp_path,)).stat
    assert "\\chain" in stat["modules"] or "chain" in stat["modules"]


def test_a_crash_of_yosys_is_one_error_naming_the_file(tmp_path, out):
    """Beyond even that stack (a 1,000-term condition overflows the WebAssembly build's own
    stack): one line, what crashed and in which of the user's files."""
    folder = _tiny_export(tmp_path / "deep")
    (folder / "chain.v").write_text(_chain(1000))
    with pytest.raises(ExportSynthesisError) as err:
        synth_export.synthesize_export(folder, "lfcW1A1")
    msg = str(err.value)
    assert "\n" not in msg and "Yosys crashed (wasm trap:" in msg
    assert f"Verilog-2005 frontend: {folder / 'chain.v'}" in msg and "/src/" not in msg.split("(full log")[0]


def _main(argv, capsys):
    code = resources.main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_prints_the_export_beside_vivado_and_records_it(tmp_path, out, capsys):
    folder = _tiny_export(tmp_path / "mine")
    report = tmp_path / "resources.json"
    report.write_text(json.dumps({"board": "b", "tool": "t", "kernels": {"k": {}}, "ratios": {}}))
    code, text, err = _main(["--kernel-dir", str(folder), "--network", "lfcW1A1", "--report", str(report)], capsys)
    assert code == 0, err
    assert "note: " in text and "axi_decoder.v:13:" in text
    assert "export:mine (BlackBoxJam, lfcW1A1 layers 0-3)" in text
    assert any(ln.startswith("BRAM tiles") and ln.split()[-2:] == ["110", "0.00"] for ln in text.splitlines())
    doc = json.loads(report.read_text())
    row = doc["exports"]["export:mine"]
    assert (row["network"], row["first"], row["last"]) == ("lfcW1A1", 0, 3) and doc["kernels"] == {"k": {}}
    assert row["vivado"]["lut"] == 28360 and row["ratio"]["lut"] == round(row["lut"] / 28360, 3)
    # a later run of our kernels keeps the exports' section
    assert resources.kept_sections(report) == {"exports": doc["exports"]}


def test_blocks_of_an_export_take_everything_below_them():
    """A module named like a block kind takes all the cells under it (the FIFO inside the AXI
    adapter stays the adapter's); an unnamed module's own cells are "other" and its children
    are classified in turn; a module used twice counts twice."""
    stat = {"modules": {
        "\\Top": {"num_cells_by_type": {"LUT6": 1, "FDRE": 2, "Top_hostmem_m_axi": 1, "Top_DoCompute": 1}},
        "\\Top_hostmem_m_axi": {"num_cells_by_type": {"LUT4": 10, "Top_hostmem_m_axi_fifo": 1}},
        "\\Top_hostmem_m_axi_fifo": {"num_cells_by_type": {"FDRE": 7}},
        "\\Top_DoCompute": {"num_cells_by_type": {"LUT2": 3, "Matrix_Vector_Activate_Batch_1": 2,
                                                    "Top_fifo_w32_d2_S": 1}},
        "\\Matrix_Vector_Activate_Batch_1": {"num_cells_by_type": {"LUT6": 100, "RAMB18E1": 1,
                                                                     "Top_weights0_RAM": 4}},
        "\\Top_weights0_RAM": {"num_cells_by_type": {"RAM64M": 2}},
        "\\Top_fifo_w32_d2_S": {"num_cells_by_type": {"LUT3": 5, "FDRE": 64}},
    }}
    b = hls_blocks.by_block(stat, "Top")
    assert list(b) == ["AXI master (m_axi)", "MVAU", "stream FIFOs", "other"]
    assert (b["AXI master (m_axi)"]["lut"], b["AXI master (m_axi)"]["ff"]) == (10, 7)
    mvau = b["MVAU"]
    assert (mvau["lut_logic"], mvau["lut_mem"], mvau["ramb18"]) == (200, 2 * 4 * 2 * 4, 2)
    assert (b["stream FIFOs"]["lut"], b["stream FIFOs"]["ff"]) == (5, 64)
    assert (b["other"]["lut"], b["other"]["ff"]) == (1 + 3, 2)
    with pytest.raises(synth.SynthesisError):
        hls_blocks.by_block(stat, "Nope")


def test_cli_by_block_keeps_the_hierarchy_and_sums_to_the_total(tmp_path, out, capsys):
    folder = _tiny_export(tmp_path / "mine")
    report = tmp_path / "resources.json"
    code, text, err = _main(["--kernel-dir", str(folder), "--network", "lfcW1A1", "--report", str(report),
                             "--by-block"], capsys)
    assert code == 0, err
    assert "hierarchy kept, by kind of block" in text
    row = json.loads(report.read_text())["exports"]["export:mine:by-block"]
    assert "-flatten" not in (out / "export-mine-by-block" / "synth.ys").read_text()
    assert sum(t["lut"] for t in row["by_block"].values()) == row["lut"]
    assert sum(t["ff"] for t in row["by_block"].values()) == row["ff"]
    assert set(row["by_block"]) <= {k for k, _ in hls_blocks.BLOCK_KINDS} | {hls_blocks.OTHER}


def test_by_block_without_an_export_is_an_error(tmp_path, capsys):
    code, text, err = _main(["--by-block", "--report", str(tmp_path / "r.json")], capsys)
    assert code == 2 and "BY_BLOCK=1" in err and "KERNEL_DIR=" in err and "Traceback" not in err


@pytest.mark.parametrize("argv,fragment", [
    (["--kernel-dir", "/nonexistent/export"], "KERNEL_DIR=/nonexistent/export: not a folder"),
    (["--kernel-dir", ""], "KERNEL_DIR is empty"),
    (["--kernel-dir", "{empty}"], "no Verilog or SystemVerilog (.v, .sv) files"),
    (["--kernel-dir", "{export}", "--network", "lfcW9A9"], "unknown network 'lfcW9A9'"),
    (["--kernel-dir", "{export}", "--top", "Nope"], "no module named Nope (TOP=)"),
    (["--kernel-dir", "{export}", "--kernels", "lfc_w1a1_full"], "KERNELS= and KERNEL_DIR="),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, fragment, tmp_path, out, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no Verilog here")
    export = _tiny_export(tmp_path / "export")
    argv = [a.format(empty=tmp_path / "empty", export=export) for a in argv]
    code, text, err = _main([*argv, "--report", str(tmp_path / "r.json")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("make resources: ") and fragment in lines[0], err
    assert "Traceback" not in err and not (tmp_path / "r.json").exists()


def test_make_passes_kernel_dir_as_one_word():
    r = subprocess.run(["make", "-n", "resources", "KERNEL_DIR=/x y;touch z", "TOP=T", "NETWORK=lfcW1A1"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "--kernel-dir '/x y;touch z' --top 'T'" in r.stdout.replace("\\\n", " ").replace("\t", "")
    assert "--by-block" not in r.stdout
    r = subprocess.run(["make", "-n", "resources", "KERNEL_DIR=/x", "BY_BLOCK=1"], cwd=REPO, capture_output=True,
                       text=True, timeout=60)
    assert "--by-block" in r.stdout


# Measured (README, "Resources"): Yosys 0.70 on the real lfcW1A1 export.
LFC_LUT = 30128          # 28,942 logic + 1,186 as memory (Yosys 0.70, README)


@pytest.mark.slow
@pytest.mark.data
def test_real_lfc_export(out):
    """Vivado HLS 2016.3's lfcW1A1 as it comes (its AXI adapter's loop rewritten): the BRAM of
    Vivado exactly, its LUTs within 5% of the measured figure."""
    r = synth_export.synthesize_export(hls_export("lfcW1A1-vivado-hls-2016.3"), "lfcW1A1")
    assert [x["line"] for x in r["rewritten"]] == [681]
    assert r["bram_tiles"] == 110 and r["dsp"] == 4
    assert abs(r["lut"] - LFC_LUT) <= 0.05 * LFC_LUT
