// Threshold memory of one MVAU PE: DEPTH (= TMEM = NF) pairs (t0, t1) of WIDTH-bit signed
// thresholds, entry nf for output row nf*PE + PE_INDEX; both read together.
//
// Loaded two ways:
//  - at simulation start from <PARAMS_DIR>/<LAYER>-<PE_INDEX>-thres.hex (one 64-bit word per
//    line: t0, t1 of nf = 0, then of nf = 1, ...; int64 two's complement) when +PARAMS_DIR=<dir>
//    is given; each value is cut to its low WIDTH bits (layers 1-7 keep 16 of the int64);
//  - at run time through the write port: wr_sel picks t0 / t1, the low WIDTH bits of wr_data.
// Without +PARAMS_DIR the memory starts at zero. Registered read.
// lint-params: WIDTH=24 DEPTH=8
// lint-params: WIDTH=64 DEPTH=3
module mvau_thresh_mem #(
    parameter int WIDTH    = 16,
    parameter int DEPTH    = 1,
    parameter int LAYER    = 0,
    parameter int PE_INDEX = 0,
    localparam int AW      = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  logic             ap_clk,
    input  logic             rd_en,
    input  logic [AW-1:0]    rd_addr,
    output logic [WIDTH-1:0] rd_t0,
    output logic [WIDTH-1:0] rd_t1,
    input  logic             wr_en,
    input  logic             wr_sel,
    input  logic [AW-1:0]    wr_addr,
    input  logic [WIDTH-1:0] wr_data
);
    logic [WIDTH-1:0] mem0 [DEPTH];
    logic [WIDTH-1:0] mem1 [DEPTH];

    always_ff @(posedge ap_clk) begin
        if (wr_en && !wr_sel) mem0[wr_addr] <= wr_data;
        if (wr_en &&  wr_sel) mem1[wr_addr] <= wr_data;
        if (rd_en) begin
            rd_t0 <= mem0[rd_addr];
            rd_t1 <= mem1[rd_addr];
        end
    end

    initial begin : load
        string dir, fname;
        int fd, n;
        // The bits above WIDTH are dropped on purpose (the int64 is cut to WIDTH bits).
        /* verilator lint_off UNUSEDSIGNAL */
        logic [63:0] word;
        /* verilator lint_on UNUSEDSIGNAL */
        for (int i = 0; i < DEPTH; i++) begin
            mem0[i] = '0;
            mem1[i] = '0;
        end
        if ($value$plusargs("PARAMS_DIR=%s", dir)) begin
            fname = $sformatf("%0s/%0d-%0d-thres.hex", dir, LAYER, PE_INDEX);
            fd = $fopen(fname, "r");
            if (fd == 0) $fatal(1, "mvau layer %0d PE %0d: cannot open threshold file %0s",
                                LAYER, PE_INDEX, fname);
            n = 0;
            while ($fscanf(fd, "%h", word) == 1) begin
                if (n < 2 * DEPTH) begin
                    if (n % 2 == 0) mem0[n / 2] = word[WIDTH-1:0];
                    else            mem1[n / 2] = word[WIDTH-1:0];
                end
                n++;
            end
            $fclose(fd);
            if (n != 2 * DEPTH)
                $fatal(1, "mvau layer %0d: %0s holds %0d words, expected 2 x TMEM=%0d",
                       LAYER, fname, n, 2 * DEPTH);
        end else if (PE_INDEX == 0) begin
            $display("note: mvau layer %0d: no +PARAMS_DIR, thresholds start at zero (load them through the write port)",
                     LAYER);
        end
    end
endmodule
