// AXI4 burst reader: memory -> 64-bit stream.
//
// A `start` pulse (ignored while busy) latches `addr` (byte address, 8-byte aligned: the low
// three bits are ignored) and `words` (64-bit beats to read). The block issues INCR bursts of
// at most MAX_BURST beats that never cross a 4 KiB boundary, with up to MAX_OUTSTANDING
// bursts in flight. R data go through an internal FIFO_DEPTH-word FIFO to m_axis. A burst is
// only requested when the FIFO has room reserved for all of its beats (credit count), so
// RREADY never has to drop and a slow consumer never stalls the R channel of the bus.
// `done` pulses once every word has been delivered on m_axis; `busy` is high from the start
// to the done. `error` is set by any RRESP other than OKAY and stays set until the next start.
// Also linted (tb/jobs/lint.py) with:
// lint-params: MAX_BURST=16 MAX_OUTSTANDING=2 FIFO_DEPTH=40
// lint-params: MAX_BURST=256 MAX_OUTSTANDING=1 FIFO_DEPTH=100
module axi_mm2s #(
    parameter int ID_W            = 1,
    parameter int MAX_BURST       = 256,  // 1..256
    parameter int MAX_OUTSTANDING = 4,
    parameter int FIFO_DEPTH      = 512   // >= MAX_BURST for full-length bursts
) (
    input  logic            ap_clk,
    input  logic            ap_rst_n,
    // command
    input  logic            start,
    input  logic [63:0]     addr,
    input  logic [31:0]     words,
    output logic            busy,
    output logic            done,
    output logic            error,
    // AXI4 read address channel
    output logic [63:0]     m_axi_araddr,
    output logic [7:0]      m_axi_arlen,
    output logic [2:0]      m_axi_arsize,
    output logic [1:0]      m_axi_arburst,
    output logic            m_axi_arvalid,
    input  logic            m_axi_arready,
    output logic [ID_W-1:0] m_axi_arid,
    output logic            m_axi_arlock,
    output logic [3:0]      m_axi_arcache,
    output logic [2:0]      m_axi_arprot,
    output logic [3:0]      m_axi_arqos,
    output logic [3:0]      m_axi_arregion,
    // AXI4 read data channel
    input  logic [63:0]     m_axi_rdata,
    input  logic [1:0]      m_axi_rresp,
    input  logic            m_axi_rlast,
    input  logic [ID_W-1:0] m_axi_rid,
    input  logic            m_axi_rvalid,
    output logic            m_axi_rready,
    // output stream
    output logic [63:0]     m_axis_tdata,
    output logic            m_axis_tvalid,
    input  logic            m_axis_tready
);
    localparam int CRW = $clog2(FIFO_DEPTH + 1);
    localparam int OBW = $clog2(MAX_OUTSTANDING + 1);
    localparam logic [CRW-1:0] CREDITS_INIT = CRW'(FIFO_DEPTH);
    localparam logic [OBW-1:0] OB_MAX = OBW'(MAX_OUTSTANDING);
    localparam logic [31:0] MAX_BURST_32 = 32'(MAX_BURST);
    localparam logic [31:0] FIFO_DEPTH_32 = 32'(FIFO_DEPTH);

    // Fixed AXI attributes: 8-byte beats, INCR, normal non-cacheable bufferable (what Vivado
    // HLS m_axi masters drive), single ID.
    assign m_axi_arsize   = 3'd3;
    assign m_axi_arburst  = 2'b01;
    assign m_axi_arid     = '0;
    assign m_axi_arlock   = 1'b0;
    assign m_axi_arcache  = 4'b0011;
    assign m_axi_arprot   = 3'b000;
    assign m_axi_arqos    = 4'b0000;
    assign m_axi_arregion = 4'b0000;

    logic [63:0]    cur_addr;    // byte address of the next burst
    logic [31:0]    rem;         // beats not yet requested
    logic [CRW-1:0] credits;     // FIFO slots neither filled nor reserved by a burst
    logic [OBW-1:0] obursts;     // bursts requested whose RLAST has not arrived
    logic [31:0]    burst;       // length of the next burst in beats (1..256 when rem != 0)
    logic [31:0]    to_4k;       // beats left before the next 4 KiB boundary (1..512)
    logic           issue;

    logic           fifo_in_ready;
    logic [CRW-1:0] fifo_count;
    logic           r_hs, out_hs;

    assign to_4k = 32'd512 - {23'd0, cur_addr[11:3]};
    // A burst never exceeds what the FIFO can ever grant, so a FIFO_DEPTH below MAX_BURST
    // only shortens bursts instead of deadlocking.
    always_comb begin
        burst = rem;
        if (burst > MAX_BURST_32) burst = MAX_BURST_32;
        if (burst > FIFO_DEPTH_32) burst = FIFO_DEPTH_32;
        if (burst > to_4k) burst = to_4k;
    end

    assign issue = busy && (rem != 0) && (!m_axi_arvalid || m_axi_arready) &&
                   (obursts != OB_MAX) && ({{(32 - CRW){1'b0}}, credits} >= burst);
    assign r_hs   = m_axi_rvalid && m_axi_rready;
    assign out_hs = m_axis_tvalid && m_axis_tready;
    assign m_axi_rready = fifo_in_ready;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            busy          <= 1'b0;
            done          <= 1'b0;
            error         <= 1'b0;
            cur_addr      <= '0;
            rem           <= '0;
            credits       <= CREDITS_INIT;
            obursts       <= '0;
            m_axi_arvalid <= 1'b0;
            m_axi_araddr  <= '0;
            m_axi_arlen   <= '0;
        end else begin
            done <= 1'b0;
            if (start && !busy) begin
                busy     <= 1'b1;
                error    <= 1'b0;
                cur_addr <= {addr[63:3], 3'b000};
                rem      <= words;
            end else if (busy && rem == 0 && !m_axi_arvalid && obursts == 0 &&
                         fifo_count == 0) begin
                busy <= 1'b0;
                done <= 1'b1;
            end

            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
            if (issue) begin
                m_axi_arvalid <= 1'b1;
                m_axi_araddr  <= cur_addr;
                m_axi_arlen   <= 8'(burst - 1);
                cur_addr      <= cur_addr + {29'd0, burst, 3'b000};
                rem           <= rem - burst;
            end

            credits <= credits - (issue ? CRW'(burst) : '0) + (out_hs ? CRW'(1) : '0);
            obursts <= obursts + (issue ? OBW'(1) : '0) - ((r_hs && m_axi_rlast) ? OBW'(1) : '0);

            if (r_hs && m_axi_rresp != 2'b00) error <= 1'b1;
        end
    end

    stream_fifo #(.WIDTH(64), .DEPTH(FIFO_DEPTH)) u_fifo (
        .ap_clk        (ap_clk),
        .ap_rst_n      (ap_rst_n),
        .s_axis_tdata  (m_axi_rdata),
        .s_axis_tvalid (m_axi_rvalid),
        .s_axis_tready (fifo_in_ready),
        .m_axis_tdata  (m_axis_tdata),
        .m_axis_tvalid (m_axis_tvalid),
        .m_axis_tready (m_axis_tready),
        .count         (fifo_count)
    );

    // Single-ID master: responses come back in order, so RID carries no information; the
    // address is 8-byte aligned by contract.
    /* verilator lint_off UNUSED */
    logic unused;
    assign unused = ^{m_axi_rid, addr[2:0]};
    /* verilator lint_on UNUSED */
endmodule
