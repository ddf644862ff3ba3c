// Test-only pipeline for tests/test_watchdog.py, wired with the names hls_out/generate.py
// gives a kernel (streams s<k>_*, instances u_<stage>, FIFO occupancy fifo_count_<tag>,
// ap_idle) so Watchdog.for_kernel can discover it:
//   s0 (input port) -> u_fifo_a (depth 4) -> s1 -> u_worker -> s2 -> u_fifo_c (depth 2) -> s3 (output port)
// `freeze` injects a stall at one stage's output: while freeze[k] is high, stage k (0 fifo_a,
// 1 worker, 2 fifo_c) offers nothing on its output stream (VALID tied low) and sees its
// output as never taken, so it keeps the words it holds.
module wd_pipeline (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    /* verilator lint_off UNUSEDSIGNAL */   // read by the watchdog only (VPI)
    input  logic        ap_idle,      // driven by the test (held high = nothing expected)
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic        hang,         // freezes the worker stage
    input  logic [2:0]  freeze,       // ties a stage's output valid low (see above)
    input  logic [15:0] s0_tdata,
    input  logic        s0_tvalid,
    output logic        s0_tready,
    output logic [15:0] s3_tdata,
    output logic        s3_tvalid,
    input  logic        s3_tready
);
    logic [15:0] s1_tdata, s2_tdata;
    logic s1_tvalid, s1_tready, s2_tvalid, s2_tready;
    // each stage's own output handshake, before `freeze`
    logic a_tvalid, a_tready, w_tvalid, w_tready, c_tvalid, c_tready;
    assign s1_tvalid = a_tvalid && !freeze[0];
    assign a_tready  = s1_tready && !freeze[0];
    assign s2_tvalid = w_tvalid && !freeze[1];
    assign w_tready  = s2_tready && !freeze[1];
    assign s3_tvalid = c_tvalid && !freeze[2];
    assign c_tready  = s3_tready && !freeze[2];
    /* verilator lint_off UNUSEDSIGNAL */   // occupancies, read by the watchdog only (VPI)
    logic [$clog2(4 + 1)-1:0] fifo_count_a;
    logic [$clog2(2 + 1)-1:0] fifo_count_c;
    /* verilator lint_on UNUSEDSIGNAL */

    stream_fifo #(.WIDTH(16), .DEPTH(4)) u_fifo_a (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(s0_tdata), .s_axis_tvalid(s0_tvalid), .s_axis_tready(s0_tready),
        .m_axis_tdata(s1_tdata), .m_axis_tvalid(a_tvalid), .m_axis_tready(a_tready),
        .count(fifo_count_a)
    );
    wd_worker #(.WIDTH(16), .LATENCY(20)) u_worker (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .hang(hang),
        .s_axis_tdata(s1_tdata), .s_axis_tvalid(s1_tvalid), .s_axis_tready(s1_tready),
        .m_axis_tdata(s2_tdata), .m_axis_tvalid(w_tvalid), .m_axis_tready(w_tready)
    );
    stream_fifo #(.WIDTH(16), .DEPTH(2)) u_fifo_c (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(s2_tdata), .s_axis_tvalid(s2_tvalid), .s_axis_tready(s2_tready),
        .m_axis_tdata(s3_tdata), .m_axis_tvalid(c_tvalid), .m_axis_tready(c_tready),
        .count(fifo_count_c)
    );
endmodule
