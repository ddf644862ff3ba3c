// 2x2, stride-2 max pool of either kind of the BNN-PYNQ networks:
//  - OR_POOL = 0: signed max of BITS-bit codes starting from -1 (the 2-bit activations of
//    CNV-W2A2 / W1A2; finn-hlslib StreamingMaxPool_Precision with min_value -1);
//  - OR_POOL = 1: OR of the bits (1-bit activations, BITS = 1, CNV-W1A1; finn-hlslib's binary
//    StreamingMaxPool, whose row buffer starts from 0).
//
// Input: IFM_DIM x IFM_DIM images back to back, pixels row-major, each pixel's CH channels in
// CF = CH/PE words of PE elements (element i at bits [i*BITS +: BITS]). Output: the same
// format at IFM_DIM/2: out(y, x, c) = max(-1, in(2y.., 2x.., c) over the 2x2 block), signed,
// or the OR over the block.
//
// One row buffer holds a running max per (output column, channel word): OFM_DIM*CF words.
// An input row pair is consumed in order, so the buffer word of (x/2, cf) is updated by the
// even pixel, then the odd one, of the even row, then the even pixel of the odd row; the odd
// pixel of the odd row completes it and the result goes to a 2-word output FIFO instead.
// IFM_DIM is even, so row and column parity alone place every input word, across images too.
//
// One input word per cycle. s_axis_tready and m_axis_tvalid come from registers: an input
// word that completes an output is accepted only while the output FIFO has room.
//
// HLS_TIMING = 1 follows the loops of finn-hlslib's StreamingMaxPool_Precision (BNN-PYNQ):
// per output row, one loop reads the two input rows (one word per cycle, no output), then
// another writes the pooled row from the row buffer (one word per cycle, no input). So a
// pooled row leaves only after the last word of its second input row, all at once, and
// no input is taken while it leaves.
// lint-params: IFM_DIM=10 CH=128 PE=8
// lint-params: IFM_DIM=28 CH=64 PE=32
// lint-params: IFM_DIM=10 CH=128 PE=64
// lint-params: IFM_DIM=2 CH=3 PE=1
// lint-params: IFM_DIM=28 CH=64 PE=32 HLS_TIMING=1
// lint-params: IFM_DIM=2 CH=3 PE=1 HLS_TIMING=1
// lint-params: IFM_DIM=10 CH=128 PE=64 HLS_TIMING=1
// lint-params: IFM_DIM=28 CH=64 PE=64 BITS=1 OR_POOL=1
// lint-params: IFM_DIM=28 CH=64 PE=64 BITS=1 OR_POOL=1 HLS_TIMING=1
// lint-params: IFM_DIM=10 CH=128 PE=128 BITS=1 OR_POOL=1 HLS_TIMING=1
// lint-params: IFM_DIM=4 CH=6 PE=2 BITS=1 OR_POOL=1 HLS_TIMING=1
// lint-params: IFM_DIM=8 CH=8 PE=2 BITS=3 SIGNED=0 FLOOR=0 HLS_TIMING=1
// lint-params: IFM_DIM=8 CH=8 PE=4 BITS=2 FLOOR=-2 HLS_TIMING=1
module maxpool #(
    parameter int IFM_DIM = 28,
    parameter int CH      = 64,
    parameter int PE      = 16,
    parameter int BITS    = 2,
    parameter int HLS_TIMING = 0,
    parameter int OR_POOL = 0,
    parameter int SIGNED  = 1,      // max over two's complement codes, or unsigned ones
    parameter int FLOOR   = -1      // the smallest code: where a block's max starts
) (
    input  logic               ap_clk,
    input  logic               ap_rst_n,
    input  logic [PE*BITS-1:0] s_axis_tdata,
    input  logic               s_axis_tvalid,
    output logic               s_axis_tready,
    output logic [PE*BITS-1:0] m_axis_tdata,
    output logic               m_axis_tvalid,
    input  logic               m_axis_tready
);
    localparam int W       = PE * BITS;
    localparam int CF      = CH / PE;
    localparam int OFM_DIM = IFM_DIM / 2;
    localparam int DEPTH   = OFM_DIM * CF;
    localparam int AW      = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam int CFW     = (CF > 1) ? $clog2(CF) : 1;
    localparam int XW      = (OFM_DIM > 1) ? $clog2(OFM_DIM) : 1;
    localparam logic [BITS-1:0] FLOOR_CODE = BITS'(FLOOR);
    // What a block's running value starts from: FLOOR, the activation's smallest code (-1 for
    // BNN-PYNQ's 2-bit codes), or 0 (OR).
    localparam logic [PE*BITS-1:0] INIT = (OR_POOL != 0) ? '0 : {PE{FLOOR_CODE}};

    initial begin
        if (IFM_DIM % 2 != 0) $fatal(1, "maxpool: IFM_DIM=%0d must be even", IFM_DIM);
        if (CH % PE != 0) $fatal(1, "maxpool: CH=%0d not a multiple of PE=%0d", CH, PE);
    end

    // Lane-wise signed max, or the OR of the bits.
    function automatic logic [W-1:0] vmax(input logic [W-1:0] a, input logic [W-1:0] b);
        if (OR_POOL != 0) vmax = a | b;
        else
            for (int i = 0; i < PE; i++)
                if (SIGNED != 0)
                    vmax[i*BITS +: BITS] = ($signed(a[i*BITS +: BITS]) > $signed(b[i*BITS +: BITS]))
                                         ? a[i*BITS +: BITS] : b[i*BITS +: BITS];
                else
                    vmax[i*BITS +: BITS] = (a[i*BITS +: BITS] > b[i*BITS +: BITS]) ? a[i*BITS +: BITS] : b[i*BITS +: BITS];
    endfunction

    logic [W-1:0]   rowbuf [DEPTH];
    logic [CFW-1:0] cf;
    logic [XW-1:0]  px;           // output column = input column / 2
    logic [AW-1:0]  base;         // px * CF
    logic           xo, yo;       // odd input column / row
    logic           in_fire, out_beat, push;
    logic [AW-1:0]  addr;
    logic [W-1:0]   prev, merged;
    logic [W-1:0]   push_data;
    logic           out_room;     // the 2-word output FIFO can take a word

    assign addr     = base + AW'(cf);
    assign out_beat = xo && yo;
    assign in_fire  = s_axis_tvalid && s_axis_tready;
    // The first word of a block starts from INIT instead of the stale buffer word.
    assign prev     = (!xo && !yo) ? INIT : rowbuf[addr];
    assign merged   = vmax(prev, s_axis_tdata);

    if (HLS_TIMING == 0) begin : g_dec
        // A block's last word goes straight to the output FIFO.
        assign s_axis_tready = !out_beat || out_room;
        assign push      = in_fire && out_beat;
        assign push_data = merged;
        always_ff @(posedge ap_clk) if (in_fire && !out_beat) rowbuf[addr] <= merged;
    end else begin : g_hls
        // Read loop: every word updates the row buffer. Write loop (`wphase`): the row
        // buffer leaves word by word (`widx`), blocking on the output FIFO.
        logic          wphase;
        logic [AW-1:0] widx;
        logic          row_end;
        assign s_axis_tready = !wphase;
        assign push      = wphase && out_room;
        assign push_data = rowbuf[widx];
        assign row_end   = in_fire && out_beat && (px == XW'(OFM_DIM - 1)) && (cf == CFW'(CF - 1));
        always_ff @(posedge ap_clk) if (in_fire) rowbuf[addr] <= merged;
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                wphase <= 1'b0;
                widx   <= '0;
            end else if (row_end) begin
                wphase <= 1'b1;
            end else if (push) begin
                widx <= (widx == AW'(DEPTH - 1)) ? '0 : widx + 1'b1;
                if (widx == AW'(DEPTH - 1)) wphase <= 1'b0;
            end
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            cf <= '0;
            px <= '0;
            base <= '0;
            xo <= 1'b0;
            yo <= 1'b0;
        end else begin
            if (in_fire) begin
                cf <= (cf == CFW'(CF - 1)) ? '0 : cf + 1'b1;
                if (cf == CFW'(CF - 1)) begin
                    xo <= ~xo;
                    if (xo) begin
                        if (px == XW'(OFM_DIM - 1)) begin
                            px <= '0;
                            base <= '0;
                            yo <= ~yo;
                        end else begin
                            px <= px + 1'b1;
                            base <= base + AW'(CF);
                        end
                    end
                end
            end
        end
    end

    // Output FIFO, 2 words: `push` only ever fires with room, so the FIFO's ready is the room.
    logic [1:0] ocount;
    stream_fifo #(.WIDTH(W), .DEPTH(2)) u_out (
        .ap_clk, .ap_rst_n,
        .s_axis_tdata(push_data), .s_axis_tvalid(push), .s_axis_tready(out_room),
        .m_axis_tdata, .m_axis_tvalid, .m_axis_tready,
        .count(ocount)
    );
    /* verilator lint_off UNUSED */
    logic unused;
    assign unused = ^ocount;
    /* verilator lint_on UNUSED */
endmodule
