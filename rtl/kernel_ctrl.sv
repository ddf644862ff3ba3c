// Kernel sequencer: turns one ap_start of the HLS control block into either one parameter
// write (doInit = 1, BlackBoxJam's DoMemInit) or one batch of numReps images (DoCompute):
// start the memory reader and writer, wait for the writer's last response, report done.
module kernel_ctrl #(
    parameter int IN_WORDS  = 384,  // 64-bit words read per image
    parameter int OUT_WORDS = 16    // 64-bit words written per image
) (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    // from / to axilite_ctrl
    input  logic        ap_start,
    output logic        ap_done,
    output logic        ap_idle,
    output logic        ap_ready,
    input  logic [63:0] in_addr,
    input  logic [63:0] out_addr,
    input  logic [31:0] num_reps,
    input  logic        do_init,
    input  logic [31:0] target_layer,
    input  logic [31:0] target_mem,
    input  logic [31:0] target_ind,
    input  logic [31:0] target_thresh,
    input  logic [63:0] init_val,
    // memory reader / writer command ports
    output logic        rd_start,
    output logic [63:0] rd_addr,
    output logic [31:0] rd_words,
    input  logic        rd_done,
    output logic        wr_start,
    output logic [63:0] wr_addr,
    output logic [31:0] wr_words,
    input  logic        wr_done,
    // parameter write (decoded per layer in the kernel top)
    output logic        cfg_we,
    output logic [31:0] cfg_layer,   // global target layer: 2L weights, 2L+1 thresholds of layer L
    output logic [31:0] cfg_pe,
    output logic [31:0] cfg_addr,
    output logic [31:0] cfg_sel,
    output logic [63:0] cfg_data,
    // status for the testbench watchdog
    output logic [1:0]  state_o
);
    typedef enum logic [1:0] {IDLE, RUN, DONE} state_t;
    state_t state;
    logic rd_pending, wr_pending;

    assign ap_idle  = (state == IDLE);
    // Done and ready during the DONE state itself, as an HLS FSM does: the control block
    // drops ap_start on this edge, so IDLE never sees a stale start and runs twice.
    assign ap_done  = (state == DONE);
    assign ap_ready = (state == DONE);
    assign state_o  = state;
    assign rd_addr  = in_addr;
    assign wr_addr  = out_addr;
    assign rd_words = num_reps * IN_WORDS;
    assign wr_words = num_reps * OUT_WORDS;
    assign cfg_layer = target_layer;
    assign cfg_pe    = target_mem;
    assign cfg_addr  = target_ind;
    assign cfg_sel   = target_thresh;
    assign cfg_data  = init_val;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            state      <= IDLE;
            rd_start   <= 1'b0;
            wr_start   <= 1'b0;
            cfg_we     <= 1'b0;
            rd_pending <= 1'b0;
            wr_pending <= 1'b0;
        end else begin
            rd_start <= 1'b0;
            wr_start <= 1'b0;
            cfg_we   <= 1'b0;
            case (state)
                IDLE: if (ap_start) begin
                    if (do_init) begin
                        cfg_we <= 1'b1;
                        state  <= DONE;
                    end else if (num_reps == 0) begin
                        state <= DONE;             // nothing to move
                    end else begin
                        rd_start   <= 1'b1;
                        wr_start   <= 1'b1;
                        rd_pending <= 1'b1;
                        wr_pending <= 1'b1;
                        state      <= RUN;
                    end
                end
                RUN: begin
                    if (rd_done) rd_pending <= 1'b0;
                    if (wr_done) wr_pending <= 1'b0;
                    if ((!rd_pending || rd_done) && (!wr_pending || wr_done)) state <= DONE;
                end
                default: state <= IDLE;            // DONE: one cycle of done + ready

            endcase
        end
    end
endmodule
