"""A fixture export with what HLS tools write, made by the tests from this project's own kernel:
the tool must take each construct as it comes (tests/test_export_kernel.py).

- `timescale in some files and not others, `(* ... *)` attributes;
- FSM-style initialisation with `#0` in an initial block, `#1` in an always block;
- an implicit net;
- a Vitis-style simulation-only region under `synthesis translate_off` that no simulator
  front end could parse;
- a line of over 100k characters (a long condition, as HLS writes its pipeline enables);
- two ROMs in two subfolders, each reading a `.dat` file of the same name with different
  contents through a relative `$readmemh` path; the top stops the simulation ($fatal) if
  either reads the other's file.
"""

from __future__ import annotations

from pathlib import Path

from golden import networks
from hls_out.generate import KernelConfig, generate
from tb.jobs import runner
from tb.jobs.export_kernel import export_kernel

ROM = """`timescale 1 ns / 1 ps
(* rom_style = "distributed" *)
module {name} (input wire ap_clk, output reg [7:0] q);
    reg [7:0] mem [0:3];
    initial begin
        $readmemh("./table.dat", mem);
    end
    always @(posedge ap_clk) begin
        q <= mem[1];
    end
endmodule
"""

CONSTRUCTS = """
    // --- HLS-style constructs of the fixture (tests/hls_constructs.py) ---
    (* fsm_encoding = "none" *) reg [1:0] fx_CS_fsm;
    initial begin
        #0 fx_CS_fsm = 2'd1;
    end
    always @(posedge ap_clk) begin
        #1 fx_CS_fsm <= {fx_CS_fsm[0], fx_CS_fsm[1]};
    end
    assign fx_implicit_net = fx_CS_fsm[0];
    wire fx_long;
    assign fx_long = LONG_EXPRESSION;
    wire [7:0] fx_rom_a_q, fx_rom_b_q;
    fx_rom_a u_fx_rom_a (.ap_clk(ap_clk), .q(fx_rom_a_q));
    fx_rom_b u_fx_rom_b (.ap_clk(ap_clk), .q(fx_rom_b_q));
    reg fx_started = 1'b0;
    always @(posedge ap_clk) begin
        fx_started <= 1'b1;
        if (fx_started && (fx_rom_a_q != 8'ha5 || fx_rom_b_q != 8'h5a || fx_long !== fx_CS_fsm[0]))
            $fatal(1, "fixture: a ROM read the other folder's table.dat (%h %h)", fx_rom_a_q, fx_rom_b_q);
    end
    // synthesis translate_off
    initial begin : deadlock_detector
        this is no Verilog at all ;;; $display(
    end
    // synthesis translate_on
"""


def make_fixture_export(root: Path, network: str = "cnvW2A2", first: int = 8, last: int = 8) -> Path:
    """This project's kernel of layers first..last as an HLS-style export folder under `root`
    (its top renamed BlackBoxJam), with every construct listed above; returns the folder."""
    net = networks.get(network)
    files = generate(KernelConfig("fx", first, last, net.folding), root / "gen")
    top = next(p for p in files if p.suffix == ".sv")
    text = files[top].replace("module fx (", "module BlackBoxJam (")
    term = "(fx_CS_fsm[0] == 1'b1)"
    body = CONSTRUCTS.replace("LONG_EXPRESSION", " | ".join([term] * (100_000 // (len(term) + 3) + 10)))
    end = text.rindex("endmodule")
    text = "`timescale 1 ns / 1 ps\n(* CORE_GENERATION_INFO=\"BlackBoxJam,fixture\" *)\n" + text[:end] + body + text[end:]
    src = root / "gen_top" / "BlackBoxJam.sv"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text)
    folder = export_kernel(src, sorted(runner.RTL.glob("*.sv")), root / "export")
    # A line of over 100k characters.
    assert max(len(line) for line in (folder / "BlackBoxJam.sv").read_text().splitlines()) > 100_000
    for sub, name, value in (("sub_a", "fx_rom_a", "a5"), ("sub_b", "fx_rom_b", "5a")):
        d = folder / sub
        d.mkdir(exist_ok=True)
        (d / f"{name}.v").write_text(ROM.format(name=name))
        (d / "table.dat").write_text(f"00\n{value}\n00\n00\n")
    # Sources in a subfolder too (the stream library's FIFO).
    lib = folder / "lib"
    lib.mkdir(exist_ok=True)
    (folder / "stream_fifo.sv").rename(lib / "stream_fifo.sv")
    return folder
