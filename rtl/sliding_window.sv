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
// lint-params: IFM_DIM=30 IFM_CH=64 SIMD=16 BITS=2
// lint-params: IFM_DIM=14 IFM_CH=64 SIMD=16 BITS=2
// lint-params: IFM_DIM=12 IFM_CH=128 SIMD=16 BITS=2
// lint-params: IFM_DIM=5 IFM_CH=128 SIMD=8 BITS=2
// lint-params: IFM_DIM=3 IFM_CH=256 SIMD=8 BITS=2
// lint-params: IFM_DIM=4 IFM_CH=2 SIMD=1 BITS=3
module sliding_window #(
    parameter int K       = 3,
    parameter int IFM_DIM = 32,
    parameter int IFM_CH  = 3,
    parameter int SIMD    = 3,
    parameter int BITS    = 8
) (
    input  logic                 ap_clk,
    input  logic                 ap_rst_n,
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
    localparam logic [OW-1:0] R_O      = OW'(R);
    localparam logic [OW-1:0] K_O      = OW'(K);

    initial begin
        if (IFM_CH % SIMD != 0) $fatal(1, "sliding_window: IFM_CH=%0d not a multiple of SIMD=%0d", IFM_CH, SIMD);
        if (IFM_DIM < K) $fatal(1, "sliding_window: IFM_DIM=%0d smaller than K=%0d", IFM_DIM, K);
    end

    logic [W-1:0] mem [DEPTH];

    // ---------------------------------------------------------------- writer
    logic [AW-1:0] wr_addr;
    logic [CW-1:0] wr_col;      // word within the row being written
    logic [OW-1:0] occ;         // complete rows from the reader's base row
    logic          wr_fire, row_done;

    assign s_axis_tready = (occ < R_O);
    assign wr_fire  = s_axis_tvalid && s_axis_tready;
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

    // ---------------------------------------------------------------- reader
    // Loop nest per image: oy, ox, ky, j (= kx*CF + cf). Read address = start of row slot
    // (base + ky) + ox*CF + j; it never wraps inside a slot.
    logic [XW-1:0] oy, ox;
    logic [KW-1:0] ky;
    logic [JW-1:0] j;
    logic [AW-1:0] base_addr;   // slot start of the base row (oy of the current image)
    logic [AW-1:0] row_addr;    // slot start of row oy + ky
    logic [AW-1:0] col_off;     // ox*CF
    logic          rd_fire, last_j, last_ky, last_ox, last_oy, rel;
    logic [OW-1:0] rel_rows;

    assign rd_fire = (occ >= K_O) && (!m_axis_tvalid || m_axis_tready);
    assign last_j  = (j  == JW'(KCF - 1));
    assign last_ky = (ky == KW'(K - 1));
    assign last_ox = (ox == XW'(OFM_DIM - 1));
    assign last_oy = (oy == XW'(OFM_DIM - 1));
    assign rel     = rd_fire && last_j && last_ky && last_ox;   // output row finished
    assign rel_rows = rel ? (last_oy ? K_O : OW'(1)) : '0;

    // Ring arithmetic on slot starts: a + step mod DEPTH, step < DEPTH.
    function automatic logic [AW-1:0] ring_add(input logic [AW-1:0] a, input logic [AW:0] step);
        logic [AW:0] s;
        s = {1'b0, a} + step;
        return (s >= DEPTH_X) ? AW'(s - DEPTH_X) : AW'(s);
    endfunction

    always_ff @(posedge ap_clk) if (rd_fire) m_axis_tdata <= mem[row_addr + col_off + AW'(j)];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            m_axis_tvalid <= 1'b0;
            oy <= '0;
            ox <= '0;
            ky <= '0;
            j  <= '0;
            base_addr <= '0;
            row_addr  <= '0;
            col_off   <= '0;
        end else begin
            if (rd_fire) m_axis_tvalid <= 1'b1;
            else if (m_axis_tready) m_axis_tvalid <= 1'b0;

            if (rd_fire) begin
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
    end

    // Complete rows held: +1 when the writer finishes a row, -1 or -K on release.
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) occ <= '0;
        else occ <= occ + OW'(row_done) - rel_rows;
    end
endmodule
