// Test-only AXI4 master that breaks one protocol rule on purpose (tests/test_axi_checker.py).
//
// A `start` pulse runs one write burst of len+1 64-bit beats at `addr` (AW, then the W beats,
// then wait for B) followed by one read burst of the same shape (AR, then the R beats). The
// `bug` input (sampled at start) selects the rule to break; `mark` is high in the cycle in
// which the broken rule shows on the bus, so the test knows the cycle a checker must report.
//   0 none                     5 AWSIZE = 2 (4-byte beats on the 8-byte bus)
//   1 drop AWVALID before AWREADY   6 AWBURST = FIXED
//   2 change AWADDR while waiting   7 drop WVALID before WREADY (first beat)
//   3 WLAST one beat early          8 change ARLEN while waiting
//   4 WLAST missing on the last beat
// Addresses are used as given (never split at 4 KiB), so a crossing address is a bug too.
module bad_axi_master (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    input  logic        start,
    input  logic [3:0]  bug,
    input  logic [63:0] addr,
    input  logic [7:0]  len,
    output logic        busy,
    output logic        done,
    output logic        mark,
    // AXI4 master, HLS-style port names
    output logic        m_axi_AWVALID,
    input  logic        m_axi_AWREADY,
    output logic [63:0] m_axi_AWADDR,
    output logic [7:0]  m_axi_AWLEN,
    output logic [2:0]  m_axi_AWSIZE,
    output logic [1:0]  m_axi_AWBURST,
    output logic [1:0]  m_axi_AWLOCK,
    output logic        m_axi_WVALID,
    input  logic        m_axi_WREADY,
    output logic [63:0] m_axi_WDATA,
    output logic [7:0]  m_axi_WSTRB,
    output logic        m_axi_WLAST,
    input  logic        m_axi_BVALID,
    output logic        m_axi_BREADY,
    /* verilator lint_off UNUSEDSIGNAL */   // responses are only there for the checker
    input  logic [1:0]  m_axi_BRESP,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic        m_axi_ARVALID,
    input  logic        m_axi_ARREADY,
    output logic [63:0] m_axi_ARADDR,
    output logic [7:0]  m_axi_ARLEN,
    output logic [2:0]  m_axi_ARSIZE,
    output logic [1:0]  m_axi_ARBURST,
    output logic [1:0]  m_axi_ARLOCK,
    input  logic        m_axi_RVALID,
    output logic        m_axi_RREADY,
    /* verilator lint_off UNUSEDSIGNAL */   // read data are only there for the checker
    input  logic [63:0] m_axi_RDATA,
    input  logic [1:0]  m_axi_RRESP,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic        m_axi_RLAST
);
    typedef enum logic [2:0] {IDLE, AW, W, B, AR, R} state_t;
    state_t      state;
    logic [3:0]  mode;
    logic [7:0]  beat;
    logic        tricked;      // the one-shot bug (drop / change) has been done
    logic        drop_mark, change_mark;

    assign busy          = (state != IDLE);
    assign m_axi_AWSIZE  = (mode == 4'd5) ? 3'd2 : 3'd3;
    assign m_axi_AWBURST = (mode == 4'd6) ? 2'b00 : 2'b01;
    assign m_axi_AWLOCK  = 2'b00;
    assign m_axi_ARSIZE  = 3'd3;
    assign m_axi_ARBURST = 2'b01;
    assign m_axi_ARLOCK  = 2'b00;
    assign m_axi_WDATA   = {56'h0, beat};
    assign m_axi_WSTRB   = 8'hFF;
    assign m_axi_WLAST   = m_axi_WVALID && (mode == 4'd3 ? (beat == m_axi_AWLEN - 8'd1) :
                                            mode == 4'd4 ? 1'b0 : (beat == m_axi_AWLEN));
    assign m_axi_BREADY  = (state == B);
    assign m_axi_RREADY  = (state == R);
    always_comb begin
        mark = drop_mark || change_mark;
        unique case (mode)
            4'd3: mark = mark || (m_axi_WVALID && m_axi_WREADY && m_axi_WLAST);
            4'd4: mark = mark || (m_axi_WVALID && m_axi_WREADY && beat == m_axi_AWLEN);
            4'd5, 4'd6: mark = mark || m_axi_AWVALID;
            default: ;
        endcase
    end

    always_ff @(posedge ap_clk) begin
        done <= 1'b0;
        drop_mark <= 1'b0;
        change_mark <= 1'b0;
        if (!ap_rst_n) begin
            state <= IDLE;
            mode <= '0;
            beat <= '0;
            tricked <= 1'b0;
            m_axi_AWVALID <= 1'b0;
            m_axi_WVALID <= 1'b0;
            m_axi_ARVALID <= 1'b0;
            m_axi_AWADDR <= '0;
            m_axi_AWLEN <= '0;
            m_axi_ARADDR <= '0;
            m_axi_ARLEN <= '0;
        end else begin
            unique case (state)
                IDLE: if (start) begin
                    mode <= bug;
                    tricked <= 1'b0;
                    beat <= '0;
                    m_axi_AWADDR <= addr;
                    m_axi_AWLEN <= len;
                    m_axi_ARADDR <= addr;
                    m_axi_ARLEN <= len;
                    m_axi_AWVALID <= 1'b1;
                    state <= AW;
                end
                AW: if (m_axi_AWVALID && m_axi_AWREADY) begin
                    m_axi_AWVALID <= 1'b0;
                    m_axi_WVALID <= 1'b1;
                    state <= W;
                end else if (!tricked && mode == 4'd1) begin
                    m_axi_AWVALID <= 1'b0;          // dropped without a handshake
                    drop_mark <= 1'b1;
                    tricked <= 1'b1;
                end else if (!tricked && mode == 4'd2 && m_axi_AWVALID) begin
                    m_axi_AWADDR <= m_axi_AWADDR + 64'd8;
                    change_mark <= 1'b1;
                    tricked <= 1'b1;
                end else begin
                    m_axi_AWVALID <= 1'b1;
                end
                W: if (m_axi_WVALID && m_axi_WREADY) begin
                    beat <= beat + 8'd1;
                    if (beat == m_axi_AWLEN) begin
                        m_axi_WVALID <= 1'b0;
                        state <= B;
                    end
                end else if (!tricked && mode == 4'd7) begin
                    m_axi_WVALID <= 1'b0;
                    drop_mark <= 1'b1;
                    tricked <= 1'b1;
                end else begin
                    m_axi_WVALID <= 1'b1;
                end
                B: if (m_axi_BVALID) begin
                    m_axi_ARVALID <= 1'b1;
                    state <= AR;
                end
                AR: if (m_axi_ARVALID && m_axi_ARREADY) begin
                    m_axi_ARVALID <= 1'b0;
                    beat <= '0;
                    state <= R;
                end else if (!tricked && mode == 4'd8) begin
                    m_axi_ARLEN <= m_axi_ARLEN + 8'd1;
                    change_mark <= 1'b1;
                    tricked <= 1'b1;
                end
                R: if (m_axi_RVALID) begin
                    beat <= beat + 8'd1;
                    if (m_axi_RLAST || beat == m_axi_ARLEN) begin
                        state <= IDLE;
                        done <= 1'b1;
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
