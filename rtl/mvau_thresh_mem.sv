// Threshold memory of one MVAU PE: DEPTH (= TMEM = NF) entries of NUM WIDTH-bit signed
// thresholds (NUM = 2 for 2-bit activations: t0, t1; NUM = 1 for 1-bit ones), entry nf for
// output row nf*PE + PE_INDEX; the NUM thresholds of an entry are one memory word, read together
// (threshold k in bits k*WIDTH +: WIDTH of the word and of rd_t).
//
// Loaded two ways:
//  - at simulation start from <PARAMS_DIR>/<LAYER>-<PE_INDEX>-thres.hex (one 64-bit word per
//    line: the NUM thresholds of nf = 0 in order, then those of nf = 1, ...; int64 two's
//    complement) when +PARAMS_DIR=<dir> is given; each value is cut to its low WIDTH bits
//    (ap_int<16> layers keep 16 of the int64); the file must hold exactly NUM x DEPTH words;
//  - at run time through the write port (the HLS doInit path, targetThresh = wr_sel): wr_sel
//    picks which threshold of entry wr_addr takes the low WIDTH bits of wr_data; wr_sel >= NUM
//    is ignored.
// Without +PARAMS_DIR the memory starts at zero. Registered read.
//
// Under synthesis (`SYNTHESIS defined) the simulation loader is left out; with
// `BNNSPLIT_PARAMS="<dir>" the initial contents come from <dir>/<LAYER>-<PE_INDEX>-thres.mem
// ($readmemh, one NUM x WIDTH-bit word per entry, written by `make resources`).
// lint-params: WIDTH=24 DEPTH=8
// lint-params: WIDTH=64 DEPTH=3
// lint-params: WIDTH=16 DEPTH=16 NUM=1
// lint-params: WIDTH=24 DEPTH=4 NUM=1
// lint-params: WIDTH=16 DEPTH=1 NUM=1
module mvau_thresh_mem #(
    parameter int WIDTH    = 16,
    parameter int DEPTH    = 1,
    parameter int NUM      = 2,
    parameter int LAYER    = 0,
    parameter int PE_INDEX = 0,
    localparam int AW      = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  logic                      ap_clk,
    input  logic                      rd_en,
    input  logic [AW-1:0]             rd_addr,
    output logic [NUM*WIDTH-1:0]      rd_t,
    input  logic                      wr_en,
    input  logic [3:0]                wr_sel,
    input  logic [AW-1:0]             wr_addr,
    input  logic [WIDTH-1:0]          wr_data
);
    initial begin
        if (NUM < 1 || NUM > 15) $fatal(1, "mvau_thresh_mem layer %0d: NUM=%0d thresholds, expected 1..15", LAYER, NUM);
    end

    // LUT RAM, as the HLS export binds the threshold arrays (ram_style "distributed" on the
    // thresholds memories of BNN-PYNQ's Vivado HLS 2016.3 lfcW1A1 export).
    (* ram_style = "distributed" *) logic [NUM*WIDTH-1:0] mem [DEPTH];

    // The write port is a plain `always`, not always_ff: the initial block below also writes
    // mem (zeroing, preload), and IEEE 1800 9.2.2.4 forbids any other process from writing a
    // variable an always_ff writes (slang reports it).
    always @(posedge ap_clk) begin
        for (int k = 0; k < NUM; k++)
            if (wr_en && 32'(wr_sel) == k) mem[wr_addr][k*WIDTH +: WIDTH] <= wr_data;
    end

    always_ff @(posedge ap_clk) begin
        if (rd_en) rd_t <= mem[rd_addr];
    end

`ifdef SYNTHESIS
`ifdef BNNSPLIT_PARAMS
    initial $readmemh($sformatf("%0s/%0d-%0d-thres.mem", `BNNSPLIT_PARAMS, LAYER, PE_INDEX), mem);
`endif
`else
    initial begin : load
        string dir, fname;
        int fd, n;
        // The bits above WIDTH are dropped on purpose (the int64 is cut to WIDTH bits).
        /* verilator lint_off UNUSEDSIGNAL */
        logic [63:0] word;
        /* verilator lint_on UNUSEDSIGNAL */
        for (int i = 0; i < DEPTH; i++) mem[i] = '0;
        if ($value$plusargs("PARAMS_DIR=%s", dir)) begin
            fname = $sformatf("%0s/%0d-%0d-thres.hex", dir, LAYER, PE_INDEX);
            fd = $fopen(fname, "r");
            if (fd == 0) $fatal(1, "mvau layer %0d PE %0d: cannot open threshold file %0s",
                                LAYER, PE_INDEX, fname);
            n = 0;
            while ($fscanf(fd, "%h", word) == 1) begin
                if (n < NUM * DEPTH) mem[n / NUM][(n % NUM)*WIDTH +: WIDTH] = word[WIDTH-1:0];
                n++;
            end
            $fclose(fd);
            if (n != NUM * DEPTH)
                $fatal(1, "mvau layer %0d: %0s holds %0d words, expected %0d x TMEM=%0d (%0d threshold(s) per neuron)",
                       LAYER, fname, n, NUM, DEPTH, NUM);
        end else if (PE_INDEX == 0) begin
            $display("note: mvau layer %0d: no +PARAMS_DIR, thresholds start at zero (load them through the write port)",
                     LAYER);
        end
    end
`endif
endmodule
