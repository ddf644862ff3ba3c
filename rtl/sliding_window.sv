// Sliding-window (im2col) generator: K x K windows, stride 1, no padding.
//
// Input: an IFM_DIM x IFM_DIM image, pixels row-major, each pixel as CF = IFM_CH/SIMD words of
// SIMD elements of BITS bits. Output: for every output pixel (row-major) its K*K*IFM_CH column
// in the order (ky*K + kx)*IFM_CH + ch, in words of SIMD elements; each column is emitted once.
// Images follow each other back to back (any number, no framing).
//
// Storage is a ring of R = 2K line slots of ROW_W = IFM_DIM*CF words that the writer fills
// linearly (so its address simply wraps at DEPTH). `occ` counts the complete rows held from the
// reader's base row on. The reader emits output row oy of an image once the K rows oy..oy+K-1
// are complete (occ >= K); when it finishes that output row it releases one row, or K rows
// at the end of an image (the next image starts K rows further on). The writer may fill the
// row after the last complete one whenever its slot is free (occ < R). With R = 2K the first
// K rows of the next image fit beside the K rows the last output row of the current image
// reads, and since writing a row (IFM_DIM*CF cycles) never takes longer than emitting an
// output row (OFM_DIM*K*K*CF cycles), they are in by the time they are needed: a batch
// streams with a single initial fill (K rows) and then one word per cycle.
//
// Latency: the first output word is valid one cycle after the K-th row is complete (the
// read is registered). s_axis_tready comes from a register; m_axis_tready only steers the
// read enable (no combinational path from one port to another).
//
// HLS_TIMING = 1 keeps the data path but schedules reads and writes exactly like the loop of
// finn-hlslib's ConvolutionInputGenerator (BNN-PYNQ), one loop iteration per cycle at most:
//   per image, FILL = K*ROW_W iterations that only read (the first K rows; repeated for every
//   image, not overlapped with the previous one), then OFM_DIM*M iterations with
//   M = max(WBLK, ROW_W), WBLK = OFM_DIM*K*K*CF (words of one output row), driven by a
//   counter c that restarts at 0 every M-1 iterations (the source's `max_cycles-1`); an
//   iteration writes one window word if c < WBLK-1 and reads one input word if c < ROW_W-1
//   and rows remain (IFM_DIM per image). With WBLK >= ROW_W (always, for stride 1) every
//   iteration writes, and during output row r the loop reads input row r+K (needed by row
//   r+1), its last word in the last iteration of row r. Read and write of one iteration block together:
//   an iteration fires only when its read has data and its write has room, so a slow
//   producer also holds the writes back and a slow consumer the reads. At full rate an
//   image takes FILL + OFM_DIM*M + HLS_LAG cycles: like the HLS pipeline, an iteration
//   writes HLS_LAG stages after it reads, the pipeline advances as a whole (a read that
//   waits for data also holds the writes of the HLS_LAG iterations before it, e.g. the last
//   words of an output row while the next row's first word is awaited). The loops over the
//   images are flattened into the pipelined one (cnvW1A1-vitis-hls-2023.2:
//   ConvolutionInputGenerator_Pipeline_VITIS_LOOP_104_1_VITIS_LOOP_105_2), so the pipeline
//   drains (HLS_LAG empty iterations) only after the batch's last image: the last HLS_LAG
//   window words of image k leave with the first reads of image k+1's fill. num_reps images
//   per batch (counted; num_reps = 0 or 1: every image is the last, the pipeline drains
//   after each). The output goes through a 2-word FIFO so
//   that both ready signals still come from registers (the HLS source keeps K+1 row blocks;
//   the 2K-slot ring above serves both schedules).
// HLS_TIMING = 0 (decoupled, the default): reads and writes independent, as described above.
// lint-params: IFM_DIM=30 IFM_CH=64 SIMD=16 BITS=2
// lint-params: IFM_DIM=14 IFM_CH=64 SIMD=16 BITS=2
// lint-params: IFM_DIM=12 IFM_CH=128 SIMD=16 BITS=2
// lint-params: IFM_DIM=5 IFM_CH=128 SIMD=8 BITS=2
// lint-params: IFM_DIM=3 IFM_CH=256 SIMD=8 BITS=2
// lint-params: IFM_DIM=4 IFM_CH=2 SIMD=1 BITS=3
// lint-params: IFM_DIM=30 IFM_CH=64 SIMD=16 BITS=2 HLS_TIMING=1
// lint-params: IFM_DIM=32 IFM_CH=3 SIMD=3 BITS=8 HLS_TIMING=1
// lint-params: IFM_DIM=3 IFM_CH=256 SIMD=8 BITS=2 HLS_TIMING=1
// lint-params: IFM_DIM=4 IFM_CH=2 SIMD=1 BITS=3 HLS_TIMING=1
// lint-params: IFM_DIM=5 IFM_CH=128 SIMD=8 BITS=2 HLS_TIMING=1 HLS_LAG=0
// lint-params: IFM_DIM=5 IFM_CH=128 SIMD=8 BITS=2 HLS_TIMING=1 HLS_LAG=1
module sliding_window #(
    parameter int K       = 3,
    parameter int IFM_DIM = 32,
    parameter int IFM_CH  = 3,
    parameter int SIMD    = 3,
    parameter int BITS    = 8,
    parameter int HLS_TIMING = 0,
    parameter int HLS_LAG    = 2
) (
    input  logic                 ap_clk,
    input  logic                 ap_rst_n,
    input  logic [31:0]          num_reps,      // HLS_TIMING: images per batch (numReps)
    input  logic [SIMD*BITS-1:0] s_axis_tdata,
    input  logic                 s_axis_tvalid,
    output logic                 s_axis_tready,
    output logic [SIMD*BITS-1:0] m_axis_tdata,
    output logic                 m_axis_tvalid,
    input  logic                 m_axis_tready
);
    localparam int W       = SIMD * BITS;
    localparam int CF      = IFM_CH / SIMD;        // words per pixel
    localparam int OFM_DIM = IFM_DIM - K + 1;
    localparam int ROW_W   = IFM_DIM * CF;         // words per image row
    localparam int R       = 2 * K;                // line slots in the ring
    localparam int DEPTH   = R * ROW_W;
    localparam int AW      = $clog2(DEPTH);
    localparam int KCF     = K * CF;               // words of one window row (kx, cf)
    localparam int OW      = $clog2(R + 1);
    // Counter widths, at least 1 bit.
    localparam int JW  = (KCF > 1) ? $clog2(KCF) : 1;
    localparam int KW  = (K > 1) ? $clog2(K) : 1;
    localparam int XW  = (OFM_DIM > 1) ? $clog2(OFM_DIM) : 1;
    localparam int CW  = (ROW_W > 1) ? $clog2(ROW_W) : 1;

    localparam logic [AW-1:0] LAST_A   = AW'(DEPTH - 1);
    localparam logic [AW:0]   DEPTH_X  = (AW+1)'(DEPTH);
    localparam logic [AW:0]   ROW_X    = (AW+1)'(ROW_W);
    localparam logic [AW:0]   KROW_X   = (AW+1)'(K * ROW_W);

    // HLS loop constants (cycles_write_block, cycles_read_block, max_cycles of the source).
    localparam int WBLK = OFM_DIM * K * K * CF;
    localparam int MBLK = (WBLK > ROW_W) ? WBLK : ROW_W;

    initial begin
        if (IFM_CH % SIMD != 0) $fatal(1, "sliding_window: IFM_CH=%0d not a multiple of SIMD=%0d", IFM_CH, SIMD);
        if (IFM_DIM < K) $fatal(1, "sliding_window: IFM_DIM=%0d smaller than K=%0d", IFM_DIM, K);
        if (HLS_TIMING != 0 && (WBLK < ROW_W || MBLK < 2))
            $fatal(1, "sliding_window: HLS_TIMING needs OFM_DIM*K*K*CF (%0d) >= IFM_DIM*CF (%0d) and >= 2", WBLK, ROW_W);
    end

    logic [W-1:0] mem [DEPTH];

    // ---------------------------------------------------------------- writer (input side)
    logic [AW-1:0] wr_addr;
    logic [CW-1:0] wr_col;      // word within the row being written
    logic          wr_fire, row_done;

    assign row_done = wr_fire && (wr_col == CW'(ROW_W - 1));

    always_ff @(posedge ap_clk) if (wr_fire) mem[wr_addr] <= s_axis_tdata;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr_addr <= '0;
            wr_col  <= '0;
        end else if (wr_fire) begin
            wr_addr <= (wr_addr == LAST_A) ? '0 : wr_addr + 1'b1;
            wr_col  <= row_done ? '0 : wr_col + 1'b1;
        end
    end

    // ---------------------------------------------------------------- reader (output side)
    // Loop nest per image: oy, ox, ky, j (= kx*CF + cf). Read address = start of row slot
    // (base + ky) + ox*CF + j; it never wraps inside a slot.
    logic [XW-1:0] oy, ox;
    logic [KW-1:0] ky;
    logic [JW-1:0] j;
    logic [AW-1:0] base_addr;   // slot start of the base row (oy of the current image)
    logic [AW-1:0] row_addr;    // slot start of row oy + ky
    logic [AW-1:0] col_off;     // ox*CF
    logic [AW-1:0] rd_addr;
    logic          rd_fire, last_j, last_ky, last_ox, last_oy, rel;

    assign last_j  = (j  == JW'(KCF - 1));
    assign last_ky = (ky == KW'(K - 1));
    assign last_ox = (ox == XW'(OFM_DIM - 1));
    assign last_oy = (oy == XW'(OFM_DIM - 1));
    assign rel     = rd_fire && last_j && last_ky && last_ox;   // output row finished
    assign rd_addr = row_addr + col_off + AW'(j);

    // Ring arithmetic on slot starts: a + step mod DEPTH, step < DEPTH.
    function automatic logic [AW-1:0] ring_add(input logic [AW-1:0] a, input logic [AW:0] step);
        logic [AW:0] s;
        s = {1'b0, a} + step;
        ring_add = (s >= DEPTH_X) ? AW'(s - DEPTH_X) : AW'(s);
    endfunction

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            oy <= '0;
            ox <= '0;
            ky <= '0;
            j  <= '0;
            base_addr <= '0;
            row_addr  <= '0;
            col_off   <= '0;
        end else if (rd_fire) begin
            j <= last_j ? '0 : j + 1'b1;
            if (last_j) begin
                ky <= last_ky ? '0 : ky + 1'b1;
                if (!last_ky) begin
                    row_addr <= ring_add(row_addr, ROW_X);
                end else begin
                    ox <= last_ox ? '0 : ox + 1'b1;
                    col_off <= last_ox ? '0 : col_off + AW'(CF);
                    if (!last_ox) begin
                        row_addr <= base_addr;
                    end else begin
                        oy <= last_oy ? '0 : oy + 1'b1;
                        base_addr <= ring_add(base_addr, last_oy ? KROW_X : ROW_X);
                        row_addr  <= ring_add(base_addr, last_oy ? KROW_X : ROW_X);
                    end
                end
            end
        end
    end

    // ---------------------------------------------------------------- scheduling
    if (HLS_TIMING == 0) begin : g_dec
        // Decoupled: complete rows held from the reader's base row; +1 when the writer
        // finishes a row, -1 or -K when the reader releases rows.
        localparam logic [OW-1:0] R_O = OW'(R);
        localparam logic [OW-1:0] K_O = OW'(K);
        logic [OW-1:0] occ;
        logic [OW-1:0] rel_rows;

        assign s_axis_tready = (occ < R_O);
        assign wr_fire  = s_axis_tvalid && s_axis_tready;
        assign rd_fire  = (occ >= K_O) && (!m_axis_tvalid || m_axis_tready);
        assign rel_rows = rel ? (last_oy ? K_O : OW'(1)) : '0;

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) occ <= '0;
            else occ <= occ + OW'(row_done) - rel_rows;
        end

        /* verilator lint_off UNUSED */
        logic unused_reps;
        assign unused_reps = ^num_reps;
        /* verilator lint_on UNUSED */

        // Registered read straight into the output register.
        always_ff @(posedge ap_clk) if (rd_fire) m_axis_tdata <= mem[rd_addr];
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) m_axis_tvalid <= 1'b0;
            else if (rd_fire) m_axis_tvalid <= 1'b1;
            else if (m_axis_tready) m_axis_tvalid <= 1'b0;
        end
    end else begin : g_hls
        // The HLS loop: `rows` = input rows complete in this image (read_block), `cib` =
        // counter_internal_block. Fill while rows < K; the image ends with its last write.
        // Pipeline: an iteration reads the stream in stage 0 and writes its window word
        // HLS_LAG stages later; the whole pipeline advances together or not at all (`adv`),
        // and drains (HLS_LAG empty iterations) after the batch's last image.
        localparam int RBW = $clog2(IFM_DIM + 1);
        localparam int CBW = $clog2(MBLK);
        localparam int DW  = (HLS_LAG > 0) ? $clog2(HLS_LAG + 1) : 1;
        logic [RBW-1:0] rows;
        logic [CBW-1:0] cib;
        logic [DW-1:0]  drain;       // empty iterations left before the next batch's loop
        logic [31:0]    img;         // image of the batch
        logic           last_img;
        logic           fill, need_rd, need_wr, s0_rd, s0_wr, out_room, adv, img_end;
        logic           wr_v;        // the iteration in the last stage writes...
        logic [AW-1:0]  wr_a;        // ... the word at this address
        logic           push;
        logic [1:0]     ocount;

        assign fill     = (rows < RBW'(K));
        assign need_rd  = fill || ((cib < CBW'(ROW_W - 1)) && (rows < RBW'(IFM_DIM)));
        assign need_wr  = !fill && (cib < CBW'(WBLK - 1));
        assign s0_rd    = (drain == '0) && need_rd;
        assign s0_wr    = (drain == '0) && need_wr;
        // Both from registers: no combinational path from a port.
        assign s_axis_tready = s0_rd && (!wr_v || out_room);
        assign adv      = (!s0_rd || s_axis_tvalid) && (!wr_v || out_room);
        assign wr_fire  = adv && s0_rd;
        assign rd_fire  = adv && s0_wr;          // window address generator steps
        assign img_end  = rel && last_oy;
        assign push     = adv && wr_v;
        assign last_img = (img + 32'd1 >= num_reps);

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                rows  <= '0;
                cib   <= '0;
                drain <= '0;
                img   <= '0;
            end else if (adv) begin
                if (drain != '0) begin
                    drain <= drain - 1'b1;
                end else begin
                    if (img_end) rows <= '0;
                    else if (row_done) rows <= rows + 1'b1;
                    if (img_end && last_img) drain <= DW'(HLS_LAG);
                    if (img_end) img <= last_img ? '0 : img + 32'd1;
                    if (fill) begin
                        if (row_done) cib <= '0;
                    end else begin
                        cib <= (cib == CBW'(MBLK - 2)) ? '0 : cib + 1'b1;
                    end
                end
            end
        end

        if (HLS_LAG == 0) begin : g_lag0
            assign wr_v = s0_wr;
            assign wr_a = rd_addr;
        end else begin : g_lag
            logic          pv [HLS_LAG];
            logic [AW-1:0] pa [HLS_LAG];
            always_ff @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    for (int k = 0; k < HLS_LAG; k++) pv[k] <= 1'b0;
                end else if (adv) begin
                    pv[0] <= s0_wr;
                    for (int k = 1; k < HLS_LAG; k++) pv[k] <= pv[k-1];
                end
            end
            always_ff @(posedge ap_clk) begin
                if (adv) begin
                    pa[0] <= rd_addr;
                    for (int k = 1; k < HLS_LAG; k++) pa[k] <= pa[k-1];
                end
            end
            assign wr_v = pv[HLS_LAG-1];
            assign wr_a = pa[HLS_LAG-1];
        end

        // Output FIFO of 2 words, so that the write stage's room is a registered condition
        // (`push` only fires with room, so the FIFO's ready is that room).
        stream_fifo #(.WIDTH(W), .DEPTH(2)) u_out (
            .ap_clk, .ap_rst_n,
            .s_axis_tdata(mem[wr_a]), .s_axis_tvalid(push), .s_axis_tready(out_room),
            .m_axis_tdata, .m_axis_tvalid, .m_axis_tready,
            .count(ocount)
        );
        /* verilator lint_off UNUSED */
        logic unused_ocount;
        assign unused_ocount = ^ocount;
        /* verilator lint_on UNUSED */
    end
endmodule
