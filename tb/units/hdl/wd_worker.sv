// Test-only stream stage for tests/test_watchdog.py: takes one word, "computes" for LATENCY
// cycles, offers the result (word + 1) until taken. While `hang` is high it stops accepting
// input (a stuck stage: input valid, not ready, no output).
module wd_worker #(
    parameter int WIDTH   = 16,
    parameter int LATENCY = 20
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
    input  logic             hang,
    input  logic [WIDTH-1:0] s_axis_tdata,
    input  logic             s_axis_tvalid,
    output logic             s_axis_tready,
    output logic [WIDTH-1:0] m_axis_tdata,
    output logic             m_axis_tvalid,
    input  logic             m_axis_tready
);
    typedef enum logic [1:0] {IDLE, BUSY, OUT} state_t;
    state_t state;
    logic [$clog2(LATENCY + 1)-1:0] left;

    assign s_axis_tready = (state == IDLE) && !hang;
    assign m_axis_tvalid = (state == OUT);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            state <= IDLE;
            left <= '0;
            m_axis_tdata <= '0;
        end else begin
            unique case (state)
                IDLE: if (s_axis_tvalid && s_axis_tready) begin
                    m_axis_tdata <= s_axis_tdata + 1'b1;
                    left <= ($clog2(LATENCY + 1))'(LATENCY);
                    state <= BUSY;
                end
                BUSY: begin
                    left <= left - 1'b1;
                    if (left == 1) state <= OUT;
                end
                OUT: if (m_axis_tready) state <= IDLE;
                default: state <= IDLE;
            endcase
        end
    end
endmodule
