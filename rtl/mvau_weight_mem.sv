// Weight memory of one MVAU PE: DEPTH (= WMEM) words of WIDTH (= SIMD*2) bits, word
// nf*SF + sf holding in bits 2i+1:2i the weight of row nf*PE + PE_INDEX, column sf*SIMD + i.
//
// Loaded two ways:
//  - at simulation start from <PARAMS_DIR>/<LAYER>-<PE_INDEX>-weights.hex (one 64-bit word
//    per line, 16 hex digits, the BNN-PYNQ .bin words) when +PARAMS_DIR=<dir> is given; the
//    file must hold exactly DEPTH words whose bits above WIDTH are zero;
//  - at run time through the write port (HLS doInit path): the low WIDTH bits of wr_data.
// Without +PARAMS_DIR the memory starts at zero. Registered read (block RAM style).
// lint-params: WIDTH=32 DEPTH=144
// lint-params: WIDTH=64 DEPTH=7
module mvau_weight_mem #(
    parameter int WIDTH    = 2,
    parameter int DEPTH    = 1,
    parameter int LAYER    = 0,
    parameter int PE_INDEX = 0,
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
    logic [WIDTH-1:0] mem [DEPTH];

    always_ff @(posedge ap_clk) begin
        if (wr_en) mem[wr_addr] <= wr_data;
        if (rd_en) rd_data <= mem[rd_addr];
    end

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
                if ((word >> WIDTH) != 64'd0)
                    $fatal(1, "mvau layer %0d: %0s word %0d = %h has bits set above bit %0d (SIMD=%0d)",
                           LAYER, fname, n, word, WIDTH - 1, WIDTH / 2);
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
endmodule
