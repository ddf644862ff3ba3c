// Valid/ready stream FIFO, first-word fall-through, capacity exactly DEPTH.
//
// s_axis_tready and m_axis_tvalid come from registers only (no combinational path from
// one side to the other), so FIFOs can be chained freely. Consequence: DEPTH = 1 passes
// at most one word every two cycles; DEPTH >= 2 sustains one word per cycle.
//
//  - DEPTH == 1            : a single holding register (DEPTH must be >= 1).
//  - 2 <= DEPTH <= SRL_MAX : circular buffer with an asynchronous read (LUTRAM/SRL).
//  - DEPTH >  SRL_MAX      : inferred RAM with a registered read feeding a two-entry output
//                            buffer; reads are issued ahead so the output can still take a
//                            word every cycle. Write-to-output latency is 3 cycles.
// `count` is the total occupancy (words accepted and not yet delivered), for diagnostics.
// Also linted (tb/jobs/lint.py) with:
// lint-params: WIDTH=24 DEPTH=1
// lint-params: WIDTH=2 DEPTH=3
// lint-params: WIDTH=24 DEPTH=81
// lint-params: WIDTH=64 DEPTH=128
module stream_fifo #(
    parameter int WIDTH   = 8,
    parameter int DEPTH   = 2,
    parameter int SRL_MAX = 32,
    localparam int CW     = $clog2(DEPTH + 1)
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic [WIDTH-1:0] s_axis_tdata,
    input  logic             s_axis_tvalid,
    output logic             s_axis_tready,
    output logic [WIDTH-1:0] m_axis_tdata,
    output logic             m_axis_tvalid,
    input  logic             m_axis_tready,
    output logic [CW-1:0]    count
);
    localparam logic [CW-1:0] DEPTH_C = CW'(DEPTH);

    logic push, pop;
    assign push = s_axis_tvalid && s_axis_tready;
    assign pop  = m_axis_tvalid && m_axis_tready;

    // Total occupancy, common to every implementation.
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) count <= '0;
        else if (push && !pop) count <= count + 1'b1;
        else if (pop && !push) count <= count - 1'b1;
    end
    assign s_axis_tready = (count != DEPTH_C);

    if (DEPTH <= 1) begin : g_reg
        logic [WIDTH-1:0] data_q;
        always_ff @(posedge ap_clk) if (push) data_q <= s_axis_tdata;
        assign m_axis_tdata  = data_q;
        assign m_axis_tvalid = (count != '0);
    end else if (DEPTH <= SRL_MAX) begin : g_srl
        localparam int AW = $clog2(DEPTH);
        localparam logic [AW-1:0] LAST = AW'(DEPTH - 1);
        logic [WIDTH-1:0] mem [DEPTH];
        logic [AW-1:0]    wr_ptr, rd_ptr;
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                wr_ptr <= '0;
                rd_ptr <= '0;
            end else begin
                // Explicit wrap: DEPTH need not be a power of two (e.g. 3).
                if (push) wr_ptr <= (wr_ptr == LAST) ? '0 : wr_ptr + 1'b1;
                if (pop)  rd_ptr <= (rd_ptr == LAST) ? '0 : rd_ptr + 1'b1;
            end
        end
        always_ff @(posedge ap_clk) if (push) mem[wr_ptr] <= s_axis_tdata;
        assign m_axis_tdata  = mem[rd_ptr];
        assign m_axis_tvalid = (count != '0);
    end else begin : g_ram
        localparam int AW = $clog2(DEPTH);
        localparam logic [AW-1:0] LAST = AW'(DEPTH - 1);
        // The RAM is sized DEPTH so it can never overflow, even though up to three words sit
        // outside it (one read in flight, two in the output buffer); the shared `count`
        // enforces the exact capacity.
        logic [WIDTH-1:0] mem [DEPTH];
        logic [AW-1:0]    wr_ptr, rd_ptr;
        logic [CW-1:0]    ram_cnt;          // words in the RAM not yet read
        logic             rd_inflight;      // a RAM read issued last cycle
        logic [WIDTH-1:0] rd_data;
        logic [WIDTH-1:0] ob [2];           // output buffer, FWFT
        logic             ob_head, ob_tail;
        logic [1:0]       ob_cnt;
        logic             rd_issue;

        // Issue a read when the output buffer will have room for the result, counting the
        // read already in flight and the word leaving this cycle.
        assign rd_issue = (ram_cnt != '0) &&
                          ({1'b0, ob_cnt} + {2'b0, rd_inflight} < 3'd2 + {2'b0, pop});

        always_ff @(posedge ap_clk) begin
            if (push) mem[wr_ptr] <= s_axis_tdata;
            if (rd_issue) rd_data <= mem[rd_ptr];
            if (rd_inflight) ob[ob_tail] <= rd_data;
        end

        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                wr_ptr      <= '0;
                rd_ptr      <= '0;
                ram_cnt     <= '0;
                rd_inflight <= 1'b0;
                ob_head     <= 1'b0;
                ob_tail     <= 1'b0;
                ob_cnt      <= '0;
            end else begin
                if (push) wr_ptr <= (wr_ptr == LAST) ? '0 : wr_ptr + 1'b1;
                if (rd_issue) rd_ptr <= (rd_ptr == LAST) ? '0 : rd_ptr + 1'b1;
                if (push && !rd_issue) ram_cnt <= ram_cnt + 1'b1;
                else if (rd_issue && !push) ram_cnt <= ram_cnt - 1'b1;
                rd_inflight <= rd_issue;
                if (rd_inflight) ob_tail <= ~ob_tail;
                if (pop) ob_head <= ~ob_head;
                if (rd_inflight && !pop) ob_cnt <= ob_cnt + 1'b1;
                else if (pop && !rd_inflight) ob_cnt <= ob_cnt - 1'b1;
            end
        end
        assign m_axis_tdata  = ob[ob_head];
        assign m_axis_tvalid = (ob_cnt != '0);
    end
endmodule
