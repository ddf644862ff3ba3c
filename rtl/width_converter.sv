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
// Also linted (tb/jobs/lint.py) with:
// lint-params: IN_W=64 OUT_W=192
// lint-params: IN_W=192 OUT_W=24
// lint-params: IN_W=4 OUT_W=2
// lint-params: IN_W=2 OUT_W=64
// lint-params: IN_W=24 OUT_W=64
// lint-params: IN_W=64 OUT_W=24
module width_converter #(
    parameter int IN_W  = 64,
    parameter int OUT_W = 64
) (
    input  logic             ap_clk,
    input  logic             ap_rst_n,
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
        return x;
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
        assign unused_clk_rst = ap_clk ^ ap_rst_n;
        /* verilator lint_on UNUSED */
    end else begin : g_conv
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
                    acc <= acc_pop | (BUF_W'(s_axis_tdata) << (G * int'(cnt_pop)));
                    cnt <= cnt_pop + IN_CC;
                end else begin
                    acc <= acc_pop;
                    cnt <= cnt_pop;
                end
            end
        end
    end
endmodule
