// Valid/ready stream width converter, IN_W bits in, OUT_W bits out, little-endian: the
// first input word ends up in the least significant bits of the output (gather), and the
// least significant bits of an input word leave first (split). Any ratio, including
// non-integer ones (24 -> 64, 64 -> 24): the data flow through a bit accumulator kept in
// units of G = gcd(IN_W, OUT_W) bits ("chunks"), so the shifters only have BUF_C positions.
//
// The accumulator holds `cnt` valid chunks, oldest at the LSBs. The output is valid while
// cnt >= OUT_C; an input is accepted while cnt + IN_C <= BUF_C (registered condition, no
// combinational ready path). BUF_C = IN_C + OUT_C + min(IN_C, OUT_C) - 1 is the smallest
// size for which the narrow side still moves one word every cycle:
//   gather: cnt <= OUT_C + IN_C - 1 whenever the output is valid, and the input must still
//           be accepted then;
//   split:  an input must be accepted whenever cnt <= 2*OUT_C - 1 (the next output word
//           would otherwise be short of data).
// IN_W == OUT_W is a plain wire pass-through.
//
// HLS_TIMING = 1 instead follows the loop of finn-hlslib's StreamingDataWidthConverter_Batch
// (integer ratios only, R = IN_W/OUT_W or OUT_W/IN_W): one pipelined loop, one iteration per
// cycle at most; a split iteration writes one OUT_W piece and reads a new input word every R
// iterations, a gather iteration reads one input word and writes a word every R iterations.
// The loop runs over the whole batch (NumInWords x numReps iterations) and, as a Vivado HLS
// pipeline does not flush, drains only after the batch's last image. Where the HLS tool puts
// the write decides what a stalled read holds back (HOLD):
//   HOLD = 1: the write is one stage after the read, so while a read waits for data the write
//     of the iteration before it waits too: the last piece of a split word stays until the
//     next input word arrives, across image boundaries as well (the last piece of image k
//     leaves when image k+1's first word is read), except after the batch's last image
//     (num_reps images, counted; num_reps = 0 or 1: every image is the last). Vitis HLS 2023.2
//     schedules the split converters so (cnvW1A1-vitis-hls-2023.2:
//     StreamingDataWidthConverter_Batch_192u_24u_128u_Pipeline_* and the split
//     DoCompute_Loop_VITIS_LOOP_268_1_proc*_Pipeline_*: `in_V_read` in ap_enable_reg_pp0_iter2,
//     `out_V_write` in iter3), and so, by its published batch totals, does Vivado HLS 2018.2.
//   HOLD = 0: the write is in the read's stage: nothing waits for a later read; a word leaves
//     as soon as its last piece is in. Both exports' gather converters (Vitis 2023.2
//     DoCompute_Loop_VITIS_LOOP_300_3_proc*: read and write in iter2) and both converters of
//     the Vivado HLS 2016.3 LFC (lfcW1A1-vivado-hls-2016.3: StreamingDataWidthCo.v, _1.v:
//     in_V_V_read and out_V_V_write in iter1) are scheduled so.
// A write that has no room holds the reads either way. The write stage here is a register
// one cycle after the read in both cases (HOLD = 0 only lets it leave on a stalled read), and
// the output goes through a 2-word FIFO so that both ready signals come from registers.
// Also linted (tb/jobs/lint.py) with:
// lint-params: IN_W=64 OUT_W=192
// lint-params: IN_W=192 OUT_W=24
// lint-params: IN_W=4 OUT_W=2
// lint-params: IN_W=2 OUT_W=64
// lint-params: IN_W=24 OUT_W=64
// lint-params: IN_W=64 OUT_W=24
// lint-params: IN_W=64 OUT_W=192 HLS_TIMING=1 IMAGE_WORDS=384
// lint-params: IN_W=192 OUT_W=24 HLS_TIMING=1 IMAGE_WORDS=128
// lint-params: IN_W=2 OUT_W=256 HLS_TIMING=1 IMAGE_WORDS=256
// lint-params: IN_W=256 OUT_W=4 HLS_TIMING=1 IMAGE_WORDS=2
// lint-params: IN_W=64 OUT_W=1 HLS_TIMING=1 IMAGE_WORDS=8
// lint-params: IN_W=1 OUT_W=64 HLS_TIMING=1 IMAGE_WORDS=512
// lint-params: IN_W=128 OUT_W=64 HLS_TIMING=1 IMAGE_WORDS=1
// lint-params: IN_W=32 OUT_W=8 HLS_TIMING=1 IMAGE_WORDS=32 HOLD=0
// lint-params: IN_W=16 OUT_W=64 HLS_TIMING=1 IMAGE_WORDS=4 HOLD=1
module width_converter #(
    parameter int IN_W  = 64,
    parameter int OUT_W = 64,
    parameter int HLS_TIMING  = 0,
    parameter int IMAGE_WORDS = 1,    // HLS_TIMING: input words per image
    parameter int HOLD        = 1     // HLS_TIMING: a stalled read holds the write before it (above)
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic [31:0]      num_reps,    // HLS_TIMING, HOLD = 1: images per batch (numReps)
    input  logic [IN_W-1:0]  s_axis_tdata,
    input  logic             s_axis_tvalid,
    output logic             s_axis_tready,
    output logic [OUT_W-1:0] m_axis_tdata,
    output logic             m_axis_tvalid,
    input  logic             m_axis_tready
);
    function automatic int gcd(input int a, input int b);
        int x, y, t;
        x = a;
        y = b;
        while (y != 0) begin
            t = x % y;
            x = y;
            y = t;
        end
        gcd = x;
    endfunction

    localparam int G     = gcd(IN_W, OUT_W);
    localparam int IN_C  = IN_W / G;
    localparam int OUT_C = OUT_W / G;
    localparam int MIN_C = (IN_C < OUT_C) ? IN_C : OUT_C;
    localparam int BUF_C = IN_C + OUT_C + MIN_C - 1;
    localparam int BUF_W = BUF_C * G;
    localparam int CNT_W = $clog2(BUF_C + 1);

    if (IN_W == OUT_W) begin : g_pass
        assign m_axis_tdata  = s_axis_tdata;
        assign m_axis_tvalid = s_axis_tvalid;
        assign s_axis_tready = m_axis_tready;
        // Pure wires: the clock and reset are deliberately unused.
        /* verilator lint_off UNUSED */
        logic unused_clk_rst;
        assign unused_clk_rst = ap_clk ^ ap_rst_n ^ (^num_reps);
        /* verilator lint_on UNUSED */
    end else if (HLS_TIMING != 0) begin : g_hls
        localparam bit SPLIT = IN_W > OUT_W;
        localparam int R     = SPLIT ? IN_W / OUT_W : OUT_W / IN_W;
        localparam int ITERS = SPLIT ? IMAGE_WORDS * R : IMAGE_WORDS;   // loop iterations per image
        localparam int RW    = (R > 1) ? $clog2(R) : 1;
        localparam int IW    = (ITERS > 1) ? $clog2(ITERS) : 1;
        localparam logic [RW-1:0] R_L     = RW'(R - 1);
        localparam logic [IW-1:0] ITERS_L = IW'(ITERS - 1);

        initial begin
            if ((SPLIT ? IN_W % OUT_W : OUT_W % IN_W) != 0)
                $fatal(1, "width_converter: HLS_TIMING needs an integer ratio, not %0d -> %0d", IN_W, OUT_W);
            if (IMAGE_WORDS < 1 || (!SPLIT && IMAGE_WORDS % R != 0))
                $fatal(1, "width_converter: IMAGE_WORDS=%0d input words must make whole %0d-bit words",
                       IMAGE_WORDS, OUT_W);
        end

        logic [RW-1:0]    o;          // iteration within a word (split: piece, gather: input word)
        logic [IW-1:0]    it;         // iteration within the image
        logic             flush;      // the batch's last iteration has issued: the write stage drains
        logic             last_img;   // the image being issued is the batch's last
        logic             need_rd, adv, bubble, push, out_room;
        logic             s1_v;       // the iteration in the write stage writes ...
        logic [OUT_W-1:0] s1_d;       // ... this word
        logic [OUT_W-1:0] piece;      // what the issuing iteration writes
        logic             writes;
        logic [1:0]       ocount;

        assign need_rd = SPLIT ? (o == '0) : 1'b1;
        // An iteration issues when its read (if any) has data and its write stage can move on;
        // once the image's loop has ended the write stage drains by itself.
        assign s_axis_tready = need_rd && (!s1_v || out_room);
        assign adv    = (!need_rd || s_axis_tvalid) && (!s1_v || out_room);
        assign bubble = !adv && (flush || HOLD == 0) && s1_v && out_room;
        assign push   = (adv || bubble) && s1_v;

        if (SPLIT) begin : g_split
            logic [IN_W-1:0] cur, src;   // the input word, shifted by one piece per iteration
            assign src    = (o == '0) ? s_axis_tdata : cur;
            assign piece  = src[OUT_W-1:0];
            assign writes = 1'b1;
            always_ff @(posedge ap_clk) if (adv) cur <= src >> OUT_W;
        end else begin : g_gather
            logic [OUT_W-1:0] acc;       // input words shift in from the top, the first ends lowest
            assign piece  = (OUT_W'(s_axis_tdata) << (OUT_W - IN_W)) | (acc >> IN_W);
            assign writes = (o == R_L);
            always_ff @(posedge ap_clk) if (adv) acc <= piece;
        end

        always_ff @(posedge ap_clk) if (adv) s1_d <= piece;

        if (HOLD != 0) begin : g_batch
            logic [31:0] img;        // image of the batch being issued
            assign last_img = (img + 32'd1 >= num_reps);
            always_ff @(posedge ap_clk) begin
                if (!ap_rst_n) img <= '0;
                else if (adv && it == ITERS_L) img <= last_img ? '0 : img + 32'd1;
            end
        end else begin : g_nobatch
            assign last_img = 1'b1;
            /* verilator lint_off UNUSED */
            logic unused_reps;
            assign unused_reps = ^num_reps;
            /* verilator lint_on UNUSED */
        end

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                o     <= '0;
                it    <= '0;
                flush <= 1'b0;
                s1_v  <= 1'b0;
            end else if (adv) begin
                o     <= (o == R_L) ? '0 : o + 1'b1;
                it    <= (it == ITERS_L) ? '0 : it + 1'b1;
                flush <= (it == ITERS_L) && last_img;
                s1_v  <= writes;
            end else if (bubble) begin
                s1_v  <= 1'b0;
            end
        end

        stream_fifo #(.WIDTH(OUT_W), .DEPTH(2)) u_out (
            .ap_clk, .ap_rst_n,
            .s_axis_tdata(s1_d), .s_axis_tvalid(push), .s_axis_tready(out_room),
            .m_axis_tdata, .m_axis_tvalid, .m_axis_tready,
            .count(ocount)
        );
        /* verilator lint_off UNUSED */
        logic unused_ocount;
        assign unused_ocount = ^ocount;
        /* verilator lint_on UNUSED */
    end else begin : g_conv
        /* verilator lint_off UNUSED */
        logic unused_reps;
        assign unused_reps = ^num_reps;
        /* verilator lint_on UNUSED */
        localparam logic [CNT_W-1:0] IN_CC  = CNT_W'(IN_C);
        localparam logic [CNT_W-1:0] OUT_CC = CNT_W'(OUT_C);
        localparam logic [CNT_W-1:0] SPACE  = CNT_W'(BUF_C - IN_C);

        logic [BUF_W-1:0] acc;       // bits above cnt*G are kept zero
        logic [CNT_W-1:0] cnt;
        logic             push, pop;
        logic [CNT_W-1:0] cnt_pop;   // count after this cycle's pop
        logic [BUF_W-1:0] acc_pop;

        assign m_axis_tvalid = (cnt >= OUT_CC);
        assign s_axis_tready = (cnt <= SPACE);
        assign m_axis_tdata  = acc[OUT_W-1:0];
        assign push = s_axis_tvalid && s_axis_tready;
        assign pop  = m_axis_tvalid && m_axis_tready;

        assign cnt_pop = pop ? cnt - OUT_CC : cnt;
        assign acc_pop = pop ? (acc >> OUT_W) : acc;

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                acc <= '0;
                cnt <= '0;
            end else begin
                if (push) begin
                    // Shift in chunk units; the product is at most (BUF_C - IN_C) * G.
                    acc <= acc_pop | (BUF_W'(s_axis_tdata) << (G * 32'(cnt_pop)));
                    cnt <= cnt_pop + IN_CC;
                end else begin
                    acc <= acc_pop;
                    cnt <= cnt_pop;
                end
            end
        end
    end
endmodule
