// AXI4-Lite control slave with the Vivado HLS `ap_ctrl_hs` register map of BlackBoxJam
// (see DESIGN.md), so a host driver written for the HLS export works unchanged.
//
//   0x00 CTRL   bit0 ap_start (W1 sets; cleared by the core's ap_ready unless auto_restart)
//               bit1 ap_done  (set by ap_done, clear on read)   bit2 ap_idle (from the core)
//               bit3 ap_ready (set by ap_ready, clear on read)   bit7 auto_restart (r/w)
//   0x04 GIER   bit0 global interrupt enable
//   0x08 IP_IER bit0 done, bit1 ready
//   0x0C IP_ISR bit0 done, bit1 ready: set by the event when enabled, toggled by writing 1
//   0x10/0x14 in address lo/hi     0x1C/0x20 out address lo/hi      0x28 doInit (bit0)
//   0x30 targetLayer  0x38 targetMem  0x40 targetInd  0x48 targetThresh
//   0x50/0x54 val lo/hi            0x5C numReps
// Registers are decoded on the word address (ADDR[6:2]); unmapped words read as 0 and
// ignore writes. WSTRB is honoured byte by byte. Responses are always OKAY.
// Like the HLS-generated slave, a write takes AW first, then W, then B; a read takes AR,
// then R; each channel handshake is registered (no combinational valid/ready paths).
module axilite_ctrl (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    // AXI4-Lite slave
    input  logic [6:0]  s_axi_control_awaddr,
    input  logic        s_axi_control_awvalid,
    output logic        s_axi_control_awready,
    input  logic [31:0] s_axi_control_wdata,
    input  logic [3:0]  s_axi_control_wstrb,
    input  logic        s_axi_control_wvalid,
    output logic        s_axi_control_wready,
    output logic [1:0]  s_axi_control_bresp,
    output logic        s_axi_control_bvalid,
    input  logic        s_axi_control_bready,
    input  logic [6:0]  s_axi_control_araddr,
    input  logic        s_axi_control_arvalid,
    output logic        s_axi_control_arready,
    output logic [31:0] s_axi_control_rdata,
    output logic [1:0]  s_axi_control_rresp,
    output logic        s_axi_control_rvalid,
    input  logic        s_axi_control_rready,
    // Named as in the HLS export; Verilator only notes that it is also a C++ word.
    /* verilator lint_off SYMRSVDWORD */
    output logic        interrupt,
    /* verilator lint_on SYMRSVDWORD */
    // to / from the core
    output logic        ap_start,
    input  logic        ap_done,
    input  logic        ap_idle,
    input  logic        ap_ready,
    output logic [63:0] in_addr,
    output logic [63:0] out_addr,
    output logic        do_init,
    output logic [31:0] target_layer,
    output logic [31:0] target_mem,
    output logic [31:0] target_ind,
    output logic [31:0] target_thresh,
    output logic [63:0] init_val,
    output logic [31:0] num_reps
);
    // word addresses (byte offset / 4)
    localparam logic [4:0] A_CTRL    = 5'h00;  // 0x00
    localparam logic [4:0] A_GIER    = 5'h01;  // 0x04
    localparam logic [4:0] A_IER     = 5'h02;  // 0x08
    localparam logic [4:0] A_ISR     = 5'h03;  // 0x0C
    localparam logic [4:0] A_IN_LO   = 5'h04;  // 0x10
    localparam logic [4:0] A_IN_HI   = 5'h05;  // 0x14
    localparam logic [4:0] A_OUT_LO  = 5'h07;  // 0x1C
    localparam logic [4:0] A_OUT_HI  = 5'h08;  // 0x20
    localparam logic [4:0] A_INIT    = 5'h0A;  // 0x28
    localparam logic [4:0] A_LAYER   = 5'h0C;  // 0x30
    localparam logic [4:0] A_MEM     = 5'h0E;  // 0x38
    localparam logic [4:0] A_IND     = 5'h10;  // 0x40
    localparam logic [4:0] A_THRESH  = 5'h12;  // 0x48
    localparam logic [4:0] A_VAL_LO  = 5'h14;  // 0x50
    localparam logic [4:0] A_VAL_HI  = 5'h15;  // 0x54
    localparam logic [4:0] A_REPS    = 5'h17;  // 0x5C

    // ---------------------------------------------------------------- write channel
    typedef enum logic [1:0] {W_IDLE, W_DATA, W_RESP} wstate_t;
    wstate_t    wstate;
    logic [4:0] waddr;
    logic       w_hs;
    logic [31:0] wmask;

    assign s_axi_control_awready = (wstate == W_IDLE);
    assign s_axi_control_wready  = (wstate == W_DATA);
    assign s_axi_control_bvalid  = (wstate == W_RESP);
    assign s_axi_control_bresp   = 2'b00;
    assign w_hs  = s_axi_control_wvalid && s_axi_control_wready;
    assign wmask = {{8{s_axi_control_wstrb[3]}}, {8{s_axi_control_wstrb[2]}},
                    {8{s_axi_control_wstrb[1]}}, {8{s_axi_control_wstrb[0]}}};

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wstate <= W_IDLE;
            waddr  <= '0;
        end else begin
            case (wstate)
                W_IDLE: if (s_axi_control_awvalid) begin
                    waddr  <= s_axi_control_awaddr[6:2];
                    wstate <= W_DATA;
                end
                W_DATA: if (s_axi_control_wvalid) wstate <= W_RESP;
                W_RESP: if (s_axi_control_bready) wstate <= W_IDLE;
                default: wstate <= W_IDLE;
            endcase
        end
    end

    // Masked update of a 32-bit register with the write data.
    function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] data,
                                          input logic [31:0] mask);
        return (old & ~mask) | (data & mask);
    endfunction

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            in_addr       <= '0;
            out_addr      <= '0;
            do_init       <= 1'b0;
            target_layer  <= '0;
            target_mem    <= '0;
            target_ind    <= '0;
            target_thresh <= '0;
            init_val      <= '0;
            num_reps      <= '0;
        end else if (w_hs) begin
            case (waddr)
                A_IN_LO:  in_addr[31:0]   <= merge(in_addr[31:0],   s_axi_control_wdata, wmask);
                A_IN_HI:  in_addr[63:32]  <= merge(in_addr[63:32],  s_axi_control_wdata, wmask);
                A_OUT_LO: out_addr[31:0]  <= merge(out_addr[31:0],  s_axi_control_wdata, wmask);
                A_OUT_HI: out_addr[63:32] <= merge(out_addr[63:32], s_axi_control_wdata, wmask);
                A_INIT:   if (s_axi_control_wstrb[0]) do_init <= s_axi_control_wdata[0];
                A_LAYER:  target_layer  <= merge(target_layer,  s_axi_control_wdata, wmask);
                A_MEM:    target_mem    <= merge(target_mem,    s_axi_control_wdata, wmask);
                A_IND:    target_ind    <= merge(target_ind,    s_axi_control_wdata, wmask);
                A_THRESH: target_thresh <= merge(target_thresh, s_axi_control_wdata, wmask);
                A_VAL_LO: init_val[31:0]  <= merge(init_val[31:0],  s_axi_control_wdata, wmask);
                A_VAL_HI: init_val[63:32] <= merge(init_val[63:32], s_axi_control_wdata, wmask);
                A_REPS:   num_reps      <= merge(num_reps,      s_axi_control_wdata, wmask);
                default: ;
            endcase
        end
    end

    // ---------------------------------------------------------------- control / interrupts
    logic       ar_hs;
    logic       rd_ctrl;      // this cycle's read hits CTRL (clear-on-read of done/ready)
    logic       wr_byte0;     // this cycle's write carries byte 0
    logic       int_done, int_idle, int_ready, auto_restart, gie;
    logic [1:0] ier, isr;

    assign ar_hs    = s_axi_control_arvalid && s_axi_control_arready;
    assign rd_ctrl  = ar_hs && (s_axi_control_araddr[6:2] == A_CTRL);
    assign wr_byte0 = w_hs && s_axi_control_wstrb[0];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            ap_start     <= 1'b0;
            int_done     <= 1'b0;
            int_idle     <= 1'b0;
            int_ready    <= 1'b0;
            auto_restart <= 1'b0;
            gie          <= 1'b0;
            ier          <= '0;
            isr          <= '0;
        end else begin
            if (wr_byte0 && waddr == A_CTRL && s_axi_control_wdata[0]) ap_start <= 1'b1;
            else if (ap_ready) ap_start <= auto_restart;

            // An event in the same cycle as the clearing read wins, so it is never lost.
            if (ap_done) int_done <= 1'b1;
            else if (rd_ctrl) int_done <= 1'b0;
            if (ap_ready) int_ready <= 1'b1;
            else if (rd_ctrl) int_ready <= 1'b0;
            int_idle <= ap_idle;

            if (wr_byte0 && waddr == A_CTRL) auto_restart <= s_axi_control_wdata[7];
            if (wr_byte0 && waddr == A_GIER) gie <= s_axi_control_wdata[0];
            if (wr_byte0 && waddr == A_IER)  ier <= s_axi_control_wdata[1:0];

            if (ier[0] && ap_done) isr[0] <= 1'b1;
            else if (wr_byte0 && waddr == A_ISR) isr[0] <= isr[0] ^ s_axi_control_wdata[0];
            if (ier[1] && ap_ready) isr[1] <= 1'b1;
            else if (wr_byte0 && waddr == A_ISR) isr[1] <= isr[1] ^ s_axi_control_wdata[1];
        end
    end

    assign interrupt = gie && (isr != 2'b00);

    // ---------------------------------------------------------------- read channel
    logic [31:0] rdata_mux;
    always_comb begin
        case (s_axi_control_araddr[6:2])
            A_CTRL:   rdata_mux = {24'd0, auto_restart, 3'd0, int_ready, int_idle, int_done,
                                   ap_start};
            A_GIER:   rdata_mux = {31'd0, gie};
            A_IER:    rdata_mux = {30'd0, ier};
            A_ISR:    rdata_mux = {30'd0, isr};
            A_IN_LO:  rdata_mux = in_addr[31:0];
            A_IN_HI:  rdata_mux = in_addr[63:32];
            A_OUT_LO: rdata_mux = out_addr[31:0];
            A_OUT_HI: rdata_mux = out_addr[63:32];
            A_INIT:   rdata_mux = {31'd0, do_init};
            A_LAYER:  rdata_mux = target_layer;
            A_MEM:    rdata_mux = target_mem;
            A_IND:    rdata_mux = target_ind;
            A_THRESH: rdata_mux = target_thresh;
            A_VAL_LO: rdata_mux = init_val[31:0];
            A_VAL_HI: rdata_mux = init_val[63:32];
            A_REPS:   rdata_mux = num_reps;
            default:  rdata_mux = 32'd0;
        endcase
    end

    assign s_axi_control_arready = !s_axi_control_rvalid;
    assign s_axi_control_rresp   = 2'b00;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            s_axi_control_rvalid <= 1'b0;
            s_axi_control_rdata  <= '0;
        end else if (ar_hs) begin
            s_axi_control_rvalid <= 1'b1;
            s_axi_control_rdata  <= rdata_mux;
        end else if (s_axi_control_rready) begin
            s_axi_control_rvalid <= 1'b0;
        end
    end

    // Only the word address is decoded.
    /* verilator lint_off UNUSED */
    logic unused;
    assign unused = ^{s_axi_control_awaddr[1:0], s_axi_control_araddr[1:0]};
    /* verilator lint_on UNUSED */
endmodule
