// Matrix-vector-activation unit (FINN style), folded SIMD x PE.
//
// Input: vectors of MW elements of IN_BITS bits, SF = MW/SIMD words of SIMD elements each,
// element i of a word at bits [i*IN_BITS +: IN_BITS]: signed two's complement codes for
// IN_BITS >= 2 (2-bit activations, 8-bit pixel codes), bits read as +1 (1) / -1 (0) for
// IN_BITS = 1. For each vector the unit computes the MH = NF*PE dot products with the weight
// matrix in NF neuron folds of PE rows; each fold takes SF cycles (one SIMD x PE step per
// cycle) and yields one output word: lane pe (OUT_BITS bits at [pe*OUT_BITS +: OUT_BITS]) =
// row nf*PE + pe. The products (finn-hlslib's interpretation of the weight words):
//  - WEIGHT_BITS = 2: ternary weights, 2-bit two's complement codes (00 = 0, 01 = +1,
//    11 = -1) times the input value (FixedPointWeights<ap_int<2>>);
//  - WEIGHT_BITS = 1, XNOR = 0: binary weights, bit 1 = +1, bit 0 = -1, times the input value
//    (`Recast<Binary>`; on 1-bit inputs the product is +1 when the bits are equal, else -1);
//  - WEIGHT_BITS = 1, XNOR = 1 (1-bit inputs only): 1 when weight and input bit are equal,
//    else 0 (`Recast<XnorMul>`), so the accumulator is a popcount;
//  - INT_WEIGHTS = 1: WEIGHT_BITS-bit (2..8) two's complement integers times the input value
//    (imported networks).
// IN_SIGNED = 0 reads the inputs as unsigned codes instead (1-bit: the values 0 and 1).
// The activation:
//  - USE_THRESH = 1: lane = ACT_OFFSET + sum_k [t_k < a] (NUM_THRESH = 1..15) as an
//    ACT_BITS-bit two's complement code (finn-hlslib ThresholdsActivation<.., NumTH, .., ActVal>:
//    NUM_THRESH = 2, ACT_OFFSET = -1, ACT_BITS = 2 for 2-bit activations; 1, 0, 1 for 1-bit
//    ones), with a = acc (THRESH_FIXED = 0; signed ACC_BITS accumulator that wraps,
//    thresholds the low THRESH_BITS of the int64 values, signed) or a = 2*acc (THRESH_FIXED =
//    1, CNV layer 0: the threshold has one more fractional bit than the sum of w x pixel code).
//  - USE_THRESH = 0: lane = the ACC_BITS accumulator, wrapping (the last CNV layer's scores;
//    popcounts for XNOR).
//
// Dataflow (HLS_TIMING = 0, decoupled): the input vector goes into one half of a double
// buffer (2 x SF words) and is read back NF times, while the next vector is loaded into the
// other half; computing may trail the loading of the same half word by word, so the first
// fold need not wait for the whole vector. At full rate a vector takes exactly SF*NF cycles,
// back to back.
//
// HLS_TIMING = 1 instead follows the loop of finn-hlslib's Matrix_Vector_Activate_Batch: one
// pipelined loop of NF*SF steps per vector in which every step of the first neuron fold
// (nf = 0) reads the next input word from the stream (blocking: no word, no step) and keeps
// it in a single SF-word buffer that the later folds read. So the next vector is read only
// after all NF folds of the current one, one word per step, interleaved with computing. The
// output FIFO then only reserves as many slots as full rate needs (one result when SF >= 4),
// like the one result a stalled HLS pipeline holds in its write stage. At full rate the
// cycle count is the same; the first step issues in the cycle its word arrives (one cycle
// earlier than decoupled). And, as in a Vivado HLS pipeline (which does not flush), while a
// step of the first fold waits for its input word the steps already issued wait too: the
// last result of a vector leaves only when the next vector's first word arrives. The HLS
// loop runs over the whole batch (reps x NF x SF iterations) and drains only at its end, so
// this holds across image boundaries too (the last result of image k leaves when image
// k+1's first word is read), for every MVAU including the fc layers (VECTORS = 1), except
// after the batch's last image: VECTORS input vectors per image (OFM_DIM^2 for a conv
// layer), num_reps images per batch (counted; num_reps = 0 or 1: every image is the last).
// Source: the exports' own RTL, where the MVAU loop's trip count is the batch's and the
// stall freezes every stage (lfcW1A1-vivado-hls-2016.3 Matrix_Vector_Activa_1.v: the counter
// compared with `reps << 9`, the stall on `out_V_V_full_n` / the read's condition;
// cnvW1A1-vitis-hls-2023.2: Matrix_Vector_Activate_Batch_* one pipelined loop per batch).
//
// Pipeline (one step per cycle): issue (read input word, weights) -> SIMD dot product per PE
// (and threshold read on the last step of a fold) -> accumulate + activation -> output FIFO
// (ODEPTH words, first-word fall-through). A step that ends a fold is issued only when the
// FIFO has a slot reserved for its result, so back-pressure just holds the issue stage and
// the pipeline never needs a stall signal. s_axis_tready and m_axis_tvalid come from
// registers (no combinational path between the ports).
//
// Parameters: weight memories (WMEM = SF*NF words of SIMD*WEIGHT_BITS bits; block RAM, or LUT
// RAM with WEIGHT_LUTRAM = 1 where the HLS top binds them there) and threshold
// memories (TMEM = NF entries of NUM_THRESH thresholds) per PE, preloaded from
// <PARAMS_DIR>/<LAYER>-<pe>-{weights,thres}.hex with +PARAMS_DIR=<dir>, or written at run time
// through the cfg_* port: cfg_thresh = 0 writes weight word cfg_addr (low SIMD*WEIGHT_BITS
// bits of cfg_data) of PE cfg_pe; cfg_thresh = 1 writes threshold cfg_sel (targetThresh: 0 =
// t0, 1 = t1, ...) of neuron fold cfg_addr (low THRESH_BITS of cfg_data). Out-of-range PE /
// addresses / thresholds are ignored. Writes are meant for the idle (init) phase.
// lint-params: MW=576 MH=64 SIMD=16 PE=16 IN_BITS=2 THRESH_BITS=16 LAYER=1
// lint-params: MW=1152 MH=256 SIMD=8 PE=4 IN_BITS=2 THRESH_BITS=16 LAYER=4
// lint-params: MW=2304 MH=256 SIMD=8 PE=1 IN_BITS=2 THRESH_BITS=16 LAYER=5
// lint-params: MW=256 MH=512 SIMD=2 PE=1 IN_BITS=2 THRESH_BITS=16 LAYER=6
// lint-params: MW=512 MH=64 SIMD=1 PE=4 IN_BITS=2 USE_THRESH=0 LAYER=8
// lint-params: MW=27 MH=64 SIMD=3 PE=8 IN_BITS=8 THRESH_FIXED=1 THRESH_BITS=24 LAYER=0
// lint-params: MW=4 MH=8 SIMD=4 PE=4 IN_BITS=2 THRESH_BITS=64
// lint-params: MW=576 MH=64 SIMD=16 PE=16 IN_BITS=2 THRESH_BITS=16 LAYER=1 HLS_TIMING=1
// lint-params: MW=27 MH=64 SIMD=3 PE=8 IN_BITS=8 THRESH_FIXED=1 THRESH_BITS=24 LAYER=0 HLS_TIMING=1
// lint-params: MW=512 MH=64 SIMD=1 PE=4 IN_BITS=2 USE_THRESH=0 LAYER=8 HLS_TIMING=1
// lint-params: MW=27 MH=64 SIMD=3 PE=8 IN_BITS=8 THRESH_FIXED=1 THRESH_BITS=24 LAYER=0 MAC=1
// lint-params: MW=64 MH=16 SIMD=32 PE=4 IN_BITS=2 WEIGHT_BITS=1 MAC=1
// lint-params: MW=4 MH=8 SIMD=4 PE=4 IN_BITS=2 THRESH_BITS=64 HLS_TIMING=1
// lint-params: MW=8 MH=4 SIMD=2 PE=4 IN_BITS=2 HLS_TIMING=1
// lint-params: MW=27 MH=64 SIMD=3 PE=16 IN_BITS=8 WEIGHT_BITS=1 THRESH_FIXED=1 THRESH_BITS=24 NUM_THRESH=1 ACT_OFFSET=0 ACT_BITS=1 HLS_TIMING=1
// lint-params: MW=27 MH=64 SIMD=3 PE=16 IN_BITS=8 WEIGHT_BITS=1 THRESH_FIXED=1 THRESH_BITS=24 HLS_TIMING=1
// lint-params: MW=576 MH=64 SIMD=32 PE=32 IN_BITS=1 WEIGHT_BITS=1 XNOR=1 NUM_THRESH=1 ACT_OFFSET=0 ACT_BITS=1 HLS_TIMING=1
// lint-params: MW=576 MH=64 SIMD=32 PE=32 IN_BITS=2 WEIGHT_BITS=1 HLS_TIMING=1
// lint-params: MW=512 MH=64 SIMD=1 PE=4 IN_BITS=1 WEIGHT_BITS=1 XNOR=1 USE_THRESH=0 HLS_TIMING=1
// lint-params: MW=832 MH=1024 SIMD=64 PE=32 IN_BITS=1 WEIGHT_BITS=1 XNOR=1 NUM_THRESH=1 ACT_OFFSET=0 ACT_BITS=1 HLS_TIMING=1
// lint-params: MW=832 MH=1024 SIMD=64 PE=32 IN_BITS=1 WEIGHT_BITS=1 HLS_TIMING=1
// lint-params: MW=1024 MH=64 SIMD=8 PE=16 IN_BITS=2 WEIGHT_BITS=1 NUM_THRESH=1 ACT_OFFSET=0 ACT_BITS=1
// lint-params: MW=8 MH=4 SIMD=8 PE=1 IN_BITS=1 WEIGHT_BITS=1 XNOR=1 NUM_THRESH=1 ACT_OFFSET=0 ACT_BITS=1
// lint-params: MW=576 MH=128 SIMD=16 PE=8 IN_BITS=2 THRESH_BITS=16 LAYER=2 HLS_TIMING=1 VECTORS=144
// lint-params: MW=18 MH=4 SIMD=2 PE=2 IN_BITS=2 HLS_TIMING=1 VECTORS=2
// lint-params: MW=512 MH=64 SIMD=1 PE=4 IN_BITS=2 USE_THRESH=0 LAYER=8 HLS_TIMING=1 VECTORS=3
// lint-params: MW=72 MH=8 SIMD=8 PE=2 IN_BITS=2 IN_SIGNED=0 INT_WEIGHTS=1 WEIGHT_BITS=4 NUM_THRESH=7 ACT_OFFSET=0 ACT_BITS=3 ACC_BITS=9 THRESH_BITS=9 HLS_TIMING=1 VECTORS=4
// lint-params: MW=27 MH=8 SIMD=3 PE=8 IN_BITS=8 IN_SIGNED=0 INT_WEIGHTS=1 WEIGHT_BITS=3 NUM_THRESH=3 ACT_OFFSET=-2 ACC_BITS=14 THRESH_BITS=14 HLS_TIMING=1
// lint-params: MW=32 MH=4 SIMD=4 PE=4 IN_BITS=1 IN_SIGNED=0 WEIGHT_BITS=1 NUM_THRESH=1 ACT_OFFSET=0 ACT_BITS=1
// lint-params: MW=576 MH=64 SIMD=16 PE=16 IN_BITS=2 THRESH_BITS=16 LAYER=1 HLS_TIMING=1 VECTORS=784 WEIGHT_LUTRAM=1
module mvau #(
    parameter int MW           = 27,
    parameter int MH           = 64,
    parameter int SIMD         = 3,
    parameter int PE           = 8,
    parameter int IN_BITS      = 8,
    parameter int USE_THRESH   = 1,
    parameter int ACC_BITS     = 16,
    parameter int THRESH_FIXED = 0,
    parameter int THRESH_BITS  = 16,
    parameter int LAYER        = 0,
    parameter int HLS_TIMING   = 0,
    parameter int WEIGHT_BITS  = 2,
    parameter int XNOR         = 0,
    parameter int NUM_THRESH   = 2,
    parameter int ACT_OFFSET   = -1,
    parameter int ACT_BITS     = 2,
    parameter int VECTORS      = 1,     // HLS_TIMING: input vectors per image
    parameter int MAC          = 0,     // products: 0 = LUT selections (Mul_LUT), 1 = multiplications for DSP48E1
    parameter int IN_SIGNED    = 1,     // inputs: two's complement codes (1-bit: +-1), or unsigned (0)
    parameter int INT_WEIGHTS  = 0,     // weights: WEIGHT_BITS-bit two's complement integers
    parameter int WEIGHT_LUTRAM = 0,    // weight memories in LUT RAM instead of block RAM
    localparam int OUT_BITS    = (USE_THRESH != 0) ? ACT_BITS : ACC_BITS
) (
    input  logic                    ap_clk,
    input  logic                    ap_rst_n,
    input  logic [31:0]             num_reps,     // HLS_TIMING: images per batch (numReps)
    input  logic [SIMD*IN_BITS-1:0] s_axis_tdata,
    input  logic                    s_axis_tvalid,
    output logic                    s_axis_tready,
    output logic [PE*OUT_BITS-1:0]  m_axis_tdata,
    output logic                    m_axis_tvalid,
    input  logic                    m_axis_tready,
    input  logic                    cfg_we,
    input  logic                    cfg_thresh,
    input  logic [31:0]             cfg_pe,
    input  logic [31:0]             cfg_addr,
    input  logic [3:0]              cfg_sel,
    input  logic [63:0]             cfg_data
);
    localparam int SF    = MW / SIMD;
    localparam int NF    = MH / PE;
    localparam int WMEM  = SF * NF;
    localparam int TMEM  = NF;
    localparam int IN_W  = SIMD * IN_BITS;
    localparam int WW    = SIMD * WEIGHT_BITS;
    localparam int SFW   = (SF > 1) ? $clog2(SF) : 1;
    localparam int NFW   = (NF > 1) ? $clog2(NF) : 1;
    localparam int WAW   = (WMEM > 1) ? $clog2(WMEM) : 1;
    localparam int TAW   = (TMEM > 1) ? $clog2(TMEM) : 1;
    localparam int CNTW  = $clog2(SF + 1);
    localparam int IBW   = $clog2(2 * SF);
    // One SIMD dot product: |w*x| <= 2^(WB-1) * 2^(IN_BITS-1) (twice that for unsigned inputs),
    // with WB = max(WEIGHT_BITS, 2); SIMD of them.
    localparam int DOT_W = IN_BITS + ((WEIGHT_BITS > 2) ? WEIGHT_BITS : 2) + ((IN_SIGNED != 0) ? 0 : 1)
                         + $clog2(SIMD);
    // Threshold comparison width: both sides sign-extended, room for 2*acc.
    localparam int CMP_W = ((THRESH_BITS > ACC_BITS + 1) ? THRESH_BITS : ACC_BITS + 1) + 1;
    localparam int ODEPTH = 4;   // issue-to-FIFO latency is 3 cycles: 4 slots keep full rate
    localparam int OCW    = $clog2(ODEPTH + 1);
    // Results that may be issued and not yet delivered: ODEPTH when decoupled; in HLS mode
    // just enough for full rate (issue to pop takes ODEPTH cycles, one result per SF steps).
    localparam int OLIMIT = (HLS_TIMING == 0) ? ODEPTH : (ODEPTH + SF - 1) / SF;

    localparam logic [CNTW-1:0] SF_C   = CNTW'(SF);
    localparam logic [SFW-1:0]  SF_L   = SFW'(SF - 1);
    localparam logic [NFW-1:0]  NF_L   = NFW'(NF - 1);
    localparam logic [WAW-1:0]  WMEM_L = WAW'(WMEM - 1);
    localparam logic [OCW-1:0]  OLIMIT_C = OCW'(OLIMIT);

    initial begin
        if (MW % SIMD != 0) $fatal(1, "mvau layer %0d: MW=%0d not a multiple of SIMD=%0d", LAYER, MW, SIMD);
        if (MH % PE != 0)   $fatal(1, "mvau layer %0d: MH=%0d not a multiple of PE=%0d", LAYER, MH, PE);
        if (WW > 64)        $fatal(1, "mvau layer %0d: SIMD=%0d weights do not fit a 64-bit word", LAYER, SIMD);
        if (THRESH_BITS > 64) $fatal(1, "mvau layer %0d: THRESH_BITS=%0d > 64", LAYER, THRESH_BITS);
        if (INT_WEIGHTS == 0 && WEIGHT_BITS != 1 && WEIGHT_BITS != 2)
            $fatal(1, "mvau layer %0d: WEIGHT_BITS=%0d, expected 1 (binary/XNOR) or 2 (ternary)", LAYER, WEIGHT_BITS);
        if (INT_WEIGHTS != 0 && (WEIGHT_BITS < 2 || WEIGHT_BITS > 8))
            $fatal(1, "mvau layer %0d: INT_WEIGHTS with WEIGHT_BITS=%0d, expected 2..8", LAYER, WEIGHT_BITS);
        if (XNOR != 0 && (WEIGHT_BITS != 1 || IN_BITS != 1 || IN_SIGNED == 0))
            $fatal(1, "mvau layer %0d: XNOR needs 1-bit weights and 1-bit +-1 inputs", LAYER);
        if (USE_THRESH != 0 && (NUM_THRESH < 1 || NUM_THRESH > 15))
            $fatal(1, "mvau layer %0d: NUM_THRESH=%0d, expected 1..15", LAYER, NUM_THRESH);
        if (USE_THRESH != 0 && (ACT_BITS < 1 || ACT_BITS > 8))
            $fatal(1, "mvau layer %0d: ACT_BITS=%0d, expected 1..8", LAYER, ACT_BITS);
    end

    // ---------------------------------------------------------------- input
    logic            wr_fire, issue, in_ok, out_ok;
    logic [SFW-1:0]  sf;
    logic [NFW-1:0]  nf;
    logic [WAW-1:0]  widx;         // nf*SF + sf
    logic            last_sf, last_nf;
    logic [IN_W-1:0] x_issue;      // input word of the step being issued

    if (HLS_TIMING == 0) begin : g_in_dec
        // Double buffer (2 x SF words): one half loaded while the other is computed on.
        logic [IN_W-1:0] ibuf [2*SF];
        logic [CNTW-1:0] wcnt [2];     // words loaded in each half; SF = full, 0 = free
        logic            wb, cb;       // half being loaded / being computed on
        logic            vec_done;

        function automatic logic [IBW-1:0] ib_addr(input logic half, input logic [CNTW-1:0] pos);
            ib_addr = IBW'(half ? SF : 0) + IBW'(pos);
        endfunction

        assign s_axis_tready = (wcnt[wb] != SF_C);
        assign wr_fire  = s_axis_tvalid && s_axis_tready;
        assign in_ok    = (wcnt[cb] > CNTW'(sf));
        assign vec_done = issue && last_sf && last_nf;
        assign x_issue  = ibuf[ib_addr(cb, CNTW'(sf))];

        always_ff @(posedge ap_clk) if (wr_fire) ibuf[ib_addr(wb, wcnt[wb])] <= s_axis_tdata;

        // The half being loaded and the half being released are never the same one: a half
        // is released after its last step, which needs it full, and a full half is no longer
        // loaded.
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                wcnt[0] <= '0;
                wcnt[1] <= '0;
                wb <= 1'b0;
                cb <= 1'b0;
            end else begin
                for (int b = 0; b < 2; b++) begin
                    if (vec_done && cb == b[0]) wcnt[b] <= '0;
                    else if (wr_fire && wb == b[0]) wcnt[b] <= wcnt[b] + 1'b1;
                end
                if (wr_fire && wcnt[wb] == SF_C - 1'b1) wb <= ~wb;
                if (vec_done) cb <= ~cb;
            end
        end
    end else begin : g_in_hls
        // The HLS loop: steps of fold 0 read the stream (and keep the word), later folds
        // read the buffer. s_axis_tready depends on registers only. The buffer is SF
        // registers and an SF-way selection, not a RAM: finn-hlslib partitions inputBuf
        // completely (ARRAY_PARTITION complete dim=1), so the HLS export holds it in
        // flip-flops and synthesis must count it that way.
        (* ram_style = "registers" *) logic [IN_W-1:0] ibuf [SF];

        assign s_axis_tready = (nf == '0) && out_ok;
        assign wr_fire = s_axis_tvalid && s_axis_tready;
        assign in_ok   = (nf != '0) || s_axis_tvalid;
        assign x_issue = (nf == '0) ? s_axis_tdata : ibuf[sf];

        always_ff @(posedge ap_clk) if (wr_fire) ibuf[sf] <= s_axis_tdata;
    end

    // ---------------------------------------------------------------- issue
    logic [OCW-1:0] reserved;      // results issued and not yet delivered
    logic           pop;
    logic           hold;          // HLS: the issued steps wait with the starved first fold

    if (HLS_TIMING != 0) begin : g_hold
        localparam int VW = (VECTORS > 1) ? $clog2(VECTORS) : 1;
        logic [VW-1:0] vec;        // vector of the image being issued
        logic [31:0]   img;        // image of the batch being issued
        logic          last_vec, last_img;
        logic          drained;    // the batch's last step has issued: the pipeline may drain
        assign last_vec = (vec == VW'(VECTORS - 1));
        assign last_img = (img + 32'd1 >= num_reps);
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                vec <= '0;
                img <= '0;
                drained <= 1'b0;
            end else if (issue) begin
                drained <= last_sf && last_nf && last_vec && last_img;
                if (last_sf && last_nf) begin
                    vec <= last_vec ? '0 : vec + 1'b1;
                    if (last_vec) img <= last_img ? '0 : img + 32'd1;
                end
            end
        end
        assign hold = !in_ok && !drained;
    end else begin : g_nohold
        assign hold = 1'b0;
        /* verilator lint_off UNUSED */
        logic unused_reps;
        assign unused_reps = ^num_reps;
        /* verilator lint_on UNUSED */
    end

    assign last_sf  = (sf == SF_L);
    assign last_nf  = (nf == NF_L);
    assign out_ok   = !last_sf || reserved != OLIMIT_C;
    assign issue    = in_ok && out_ok;
    assign pop      = m_axis_tvalid && m_axis_tready;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sf <= '0;
            nf <= '0;
            widx <= '0;
            reserved <= '0;
        end else begin
            if (issue) begin
                sf <= last_sf ? '0 : sf + 1'b1;
                if (last_sf) nf <= last_nf ? '0 : nf + 1'b1;
                widx <= (widx == WMEM_L) ? '0 : widx + 1'b1;
            end
            reserved <= reserved + OCW'(issue && last_sf) - OCW'(pop);
        end
    end

    // ---------------------------------------------------------------- stage 1: operands
    logic            s1_v, s1_first, s1_last;
    logic [NFW-1:0]  s1_nf;
    logic [IN_W-1:0] x1;
    logic [WW-1:0]   w1 [PE];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) s1_v <= 1'b0;
        else if (!hold) s1_v <= issue;
        if (issue) begin
            x1 <= x_issue;
            s1_first <= (sf == '0);
            s1_last <= last_sf;
            s1_nf <= nf;
        end
    end

    // ---------------------------------------------------------------- stage 2: dot products
    // Written as one sum of per-lane terms (s = s + term), never as a choice between sums:
    // synthesis then sees a single multi-operand addition and builds one compressor tree per
    // PE (Yosys: alumacc -> $macc -> carry-save adders), as HLS does, instead of SIMD
    // chained adders behind multiplexers.
    function automatic logic signed [DOT_W-1:0] dot(input logic [IN_W-1:0] x, input logic [WW-1:0] w);
        logic signed [DOT_W-1:0] s, xe, term;
        logic [1:0] wc;
        logic       eq;
        s = '0;
        for (int i = 0; i < SIMD; i++) begin
            wc = 2'(w[i*WEIGHT_BITS +: WEIGHT_BITS]);
            if (IN_BITS == 1 && IN_SIGNED != 0) xe = x[i*IN_BITS] ? DOT_W'(1) : -DOT_W'(1);   // bit 1 = +1, 0 = -1
            else if (IN_SIGNED != 0) xe = DOT_W'($signed(x[i*IN_BITS +: IN_BITS]));
            else xe = DOT_W'(x[i*IN_BITS +: IN_BITS]);                       // unsigned codes
            eq = wc[0] ~^ x[i*IN_BITS];      // 1-bit: a cast would widen the operands first
            if (XNOR != 0)
                term = DOT_W'(eq);                                             // popcount of XNOR
            else if (INT_WEIGHTS != 0)
                term = xe * DOT_W'($signed(w[i*WEIGHT_BITS +: WEIGHT_BITS]));  // integer weights
            else if (MAC != 0)
                // a multiplication synthesis may bind to a DSP48E1 (the DSP48 variant)
                term = xe * ((WEIGHT_BITS == 1) ? (wc[0] ? DOT_W'(1) : -DOT_W'(1)) : DOT_W'($signed(wc)));
            else if (WEIGHT_BITS == 1)
                term = wc[0] ? xe : -xe;                                       // +-1 weights
            else
                case (wc)
                    2'b01:   term = xe;
                    2'b11:   term = -xe;
                    2'b10:   term = -(xe <<< 1);   // -2: never in a ternary net, kept exact
                    default: term = '0;
                endcase
            s = s + term;
        end
        dot = s;
    endfunction

    logic                    s2_v, s2_first, s2_last;
    logic signed [DOT_W-1:0] dot2 [PE];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) s2_v <= 1'b0;
        else if (!hold) s2_v <= s1_v;
        if (s1_v && !hold) begin
            s2_first <= s1_first;
            s2_last <= s1_last;
            for (int p = 0; p < PE; p++) dot2[p] <= dot(x1, w1[p]);
        end
    end

    // ---------------------------------------------------------------- stage 3: accumulate
    logic [ACC_BITS-1:0]    acc [PE];
    logic [ACC_BITS-1:0]    acc_new [PE];
    logic [PE*OUT_BITS-1:0] result;

    always_comb begin
        for (int p = 0; p < PE; p++)
            acc_new[p] = (s2_first ? '0 : acc[p]) + ACC_BITS'(dot2[p]);
    end

    always_ff @(posedge ap_clk) begin
        if (s2_v && !hold) for (int p = 0; p < PE; p++) acc[p] <= acc_new[p];
    end

    // ---------------------------------------------------------------- memories, activation
    logic           w_we, t_we;
    logic [WAW-1:0] w_waddr;
    logic [TAW-1:0] t_waddr;
    assign w_we    = cfg_we && !cfg_thresh && cfg_addr < 32'(WMEM);
    assign t_we    = cfg_we &&  cfg_thresh && cfg_addr < 32'(TMEM);
    assign w_waddr = WAW'(cfg_addr);
    assign t_waddr = TAW'(cfg_addr);

    for (genvar p = 0; p < PE; p++) begin : g_pe
        mvau_weight_mem #(.WIDTH(WW), .DEPTH(WMEM), .LAYER(LAYER), .PE_INDEX(p),
                          .RAM_STYLE((WEIGHT_LUTRAM != 0) ? "distributed" : "block")) u_wmem (
            .ap_clk  (ap_clk),
            .rd_en   (issue),
            .rd_addr (widx),
            .rd_data (w1[p]),
            .wr_en   (w_we && cfg_pe == 32'(p)),
            .wr_addr (w_waddr),
            .wr_data (cfg_data[WW-1:0])
        );

        if (USE_THRESH != 0) begin : g_thr
            logic [NUM_THRESH*THRESH_BITS-1:0] t;   // threshold k: bits k*THRESH_BITS +: THRESH_BITS
            logic signed [CMP_W-1:0] a;
            // Summed in 8 bits; the output code is its low ACT_BITS bits.
            /* verilator lint_off UNUSEDSIGNAL */
            logic [7:0] level;
            /* verilator lint_on UNUSEDSIGNAL */
            mvau_thresh_mem #(.WIDTH(THRESH_BITS), .DEPTH(TMEM), .NUM(NUM_THRESH), .LAYER(LAYER),
                              .PE_INDEX(p)) u_tmem (
                .ap_clk  (ap_clk),
                .rd_en   (s1_v && s1_last && !hold),
                .rd_addr (TAW'(s1_nf)),
                .rd_t    (t),
                .wr_en   (t_we && cfg_pe == 32'(p)),
                .wr_sel  (cfg_sel),
                .wr_addr (t_waddr),
                .wr_data (cfg_data[THRESH_BITS-1:0])
            );
            assign a = CMP_W'($signed(acc_new[p])) <<< ((THRESH_FIXED != 0) ? 1 : 0);
            // ACT_OFFSET + sum_k [t_k < a] as an ACT_BITS-bit two's complement code (2-bit:
            // -1 + c0 + c1 = 11, 00, 01; 1-bit: [t0 < a]).
            always_comb begin
                level = 8'(ACT_OFFSET);
                for (int k = 0; k < NUM_THRESH; k++)
                    level = level + 8'(CMP_W'($signed(t[k*THRESH_BITS +: THRESH_BITS])) < a);
            end
            assign result[p*OUT_BITS +: OUT_BITS] = level[OUT_BITS-1:0];
        end else begin : g_acc
            assign result[p*OUT_BITS +: OUT_BITS] = acc_new[p];
        end
    end

    // ---------------------------------------------------------------- output FIFO
    logic [PE*OUT_BITS-1:0] ofifo [ODEPTH];
    logic [1:0]             ohead, otail;   // ODEPTH = 4
    logic [OCW-1:0]         ocnt;
    logic                   push;
    assign push = s2_v && s2_last && !hold;

    always_ff @(posedge ap_clk) if (push) ofifo[otail] <= result;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            ohead <= '0;
            otail <= '0;
            ocnt  <= '0;
        end else begin
            if (push) otail <= otail + 1'b1;
            if (pop) ohead <= ohead + 1'b1;
            ocnt <= ocnt + OCW'(push) - OCW'(pop);
        end
    end
    assign m_axis_tvalid = (ocnt != '0);
    assign m_axis_tdata  = ofifo[ohead];

    // Unused inputs: bits of cfg_data above the widest field, and without thresholds the
    // threshold write/read controls. Collected here so that lint -Wall stays quiet about them.
    logic unused_cfg;
    if (USE_THRESH != 0) begin : g_unused_t
        assign unused_cfg = ^{1'b0, cfg_data};
    end else begin : g_unused_n
        assign unused_cfg = ^{cfg_sel, cfg_data, t_we, t_waddr, s1_nf, hold};
    end
endmodule
