// Weight memory of one MVAU PE: DEPTH (= WMEM) words of WIDTH (= SIMD x weight bits) bits,
// word nf*SF + sf holding the weights of row nf*PE + PE_INDEX, columns sf*SIMD + i: bits
// 2i+1:2i (2-bit ternary codes) or bit i (1-bit binary / XNOR weights, 1 = +1).
//
// Loaded two ways:
//  - at simulation start from <PARAMS_DIR>/<LAYER>-<PE_INDEX>-weights.hex (one 64-bit word
//    per line, 16 hex digits, the BNN-PYNQ .bin words) when +PARAMS_DIR=<dir> is given; the
//    file must hold exactly DEPTH words whose bits above WIDTH are zero;
//  - at run time through the write port (HLS doInit path): the low WIDTH bits of wr_data.
// Without +PARAMS_DIR the memory starts at zero. Registered read (block RAM style).
//
// Under synthesis (`SYNTHESIS defined) the simulation loader is left out; with
// `BNNSPLIT_PARAMS="<dir>" the memory's initial contents come from <dir>/<LAYER>-<PE_INDEX>-weights.mem
// ($readmemh, one WIDTH-bit word per line, written by `make resources`), so the netlist holds the
// trained weights as block RAM contents.
// lint-params: WIDTH=32 DEPTH=144
// lint-params: WIDTH=64 DEPTH=7
// lint-params: WIDTH=3 DEPTH=36
// lint-params: WIDTH=32 DEPTH=144 RAM_STYLE="distributed"
module mvau_weight_mem #(
    parameter int WIDTH    = 2,
    parameter int DEPTH    = 1,
    parameter int LAYER    = 0,
    parameter int PE_INDEX = 0,
    // "block", or "distributed" (LUT RAM); read by synthesis only (the ram_style below)
    /* verilator lint_off UNUSEDPARAM */
    parameter     RAM_STYLE = "block",
    /* verilator lint_on UNUSEDPARAM */
    localparam int AW      = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  logic             ap_clk,
    input  logic             rd_en,
    input  logic [AW-1:0]    rd_addr,
    output logic [WIDTH-1:0] rd_data,
    input  logic             wr_en,
    input  logic [AW-1:0]    wr_addr,
    input  logic [WIDTH-1:0] wr_data
);
    // Block RAM whatever its size, as the HLS export binds every MVAU weight array (ram_style
    // "block" on the weights memories of BNN-PYNQ's Vivado HLS 2016.3 lfcW1A1 export), unless
    // the network's HLS top binds this layer's weights to LUT RAM (RAM_STYLE "distributed").
    (* ram_style = RAM_STYLE *) logic [WIDTH-1:0] mem [DEPTH];

    // The write port is a plain `always`, not always_ff: the initial block below also writes
    // mem (zeroing, preload), and IEEE 1800 9.2.2.4 forbids any other process from writing a
    // variable an always_ff writes (slang reports it; block-RAM templates use `always` too).
    always @(posedge ap_clk) begin
        if (wr_en) mem[wr_addr] <= wr_data;
    end

    always_ff @(posedge ap_clk) begin
        if (rd_en) rd_data <= mem[rd_addr];
    end

`ifdef SYNTHESIS
`ifdef BNNSPLIT_PARAMS
    initial $readmemh($sformatf("%0s/%0d-%0d-weights.mem", `BNNSPLIT_PARAMS, LAYER, PE_INDEX), mem);
`endif
`else
    // The bits of a file word above WIDTH (none for WIDTH = 64; `% 64` keeps the shift in range).
    localparam logic [63:0] ABOVE = (WIDTH >= 64) ? 64'd0 : ~((64'd1 << (WIDTH % 64)) - 64'd1);

    initial begin : load
        string dir, fname;
        int fd, n;
        logic [63:0] word;
        for (int i = 0; i < DEPTH; i++) mem[i] = '0;
        if ($value$plusargs("PARAMS_DIR=%s", dir)) begin
            fname = $sformatf("%0s/%0d-%0d-weights.hex", dir, LAYER, PE_INDEX);
            fd = $fopen(fname, "r");
            if (fd == 0) $fatal(1, "mvau layer %0d PE %0d: cannot open weight file %0s",
                                LAYER, PE_INDEX, fname);
            n = 0;
            while ($fscanf(fd, "%h", word) == 1) begin
                if (n < DEPTH) mem[n] = word[WIDTH-1:0];
                // A nonzero bit above WIDTH means the file was folded for another SIMD.
                if ((word & ABOVE) != 64'd0)
                    $fatal(1, "mvau layer %0d: %0s word %0d = %h has bits set above bit %0d (folded for another SIMD or weight width?)",
                           LAYER, fname, n, word, WIDTH - 1);
                n++;
            end
            $fclose(fd);
            if (n != DEPTH)
                $fatal(1, "mvau layer %0d: %0s holds %0d words, expected WMEM=%0d",
                       LAYER, fname, n, DEPTH);
        end else if (PE_INDEX == 0) begin
            $display("note: mvau layer %0d: no +PARAMS_DIR, weights start at zero (load them through the write port)",
                     LAYER);
        end
    end
`endif
endmodule
