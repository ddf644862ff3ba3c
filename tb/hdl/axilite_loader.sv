// Host-side AXI4-Lite write master of the testbench: replays a prepared list of register
// writes (the doInit parameter load of tb/host/param_loader.py) into a kernel's s_axi_control
// port at bus speed, with no Python wake-up per word.
//
// The list is the text file <dir>/<NAME>.writes, <dir> from the plusarg +bnnsplit_loader=<dir>,
// one write per line: `ADDR DATA WAIT` in hex. WAIT = 1 marks a kernel start (CTRL.ap_start):
// the writes after it are issued only once its write response is in and the interrupt is
// high. Between such starts every write is issued at once, as the Python loader queues them.
//
// Timing follows the Python loader on cocotbext-axi's AxiLiteMaster exactly, so both take the
// same cycles (tests/test_param_loader.py): AW and W are two independent channels, each
// driving its next queued write at a clock edge when it is idle or its current write was
// taken (a stream source), BREADY always high. Writes issued when the interrupt rises are
// driven at the next edge (Python is woken by the interrupt itself); writes issued on a write
// response are driven one edge later (Python is woken by the response's edge).
//
// Checked on the way (error, with the list line at error_line, ends the replay):
//   1 the file cannot be opened or has a malformed line
//   2 a write response other than OKAY
//   3 a write response with no write outstanding
//   4 no interrupt within IRQ_TIMEOUT cycles of a start's response (the word was not taken)
//   5 no write response within RESP_TIMEOUT cycles of a write's last handshake
module axilite_loader #(
    parameter int    ADDR_W       = 7,
    parameter string NAME         = "board",
    parameter int    IRQ_TIMEOUT  = 2000,
    parameter int    RESP_TIMEOUT = 1000
) (
    input  logic              ap_clk,
    input  logic              ap_rst_n,
    input  logic              start,        // level: start a replay when idle (rising use)
    output logic              busy,
    output logic              done,         // high from the end of a replay until the next start
    output logic [31:0]       writes_done,  // write responses received
    output logic [31:0]       starts_done,  // kernel starts answered by the interrupt
    output logic [31:0]       cycles,       // from the start edge to the last write response
    output logic [3:0]        error,
    output logic [31:0]       error_line,   // 1-based line of the list
    // AXI4-Lite write channels (master side)
    output logic              awvalid,
    input  logic              awready,
    output logic [ADDR_W-1:0] awaddr,
    output logic              wvalid,
    input  logic              wready,
    output logic [31:0]       wdata,
    output logic [3:0]        wstrb,
    input  logic              bvalid,
    output logic              bready,
    input  logic [1:0]        bresp,
    input  logic              interrupt
);
`ifndef SYNTHESIS
    localparam int QD = 64;                   // writes issued and not yet on both channels
    localparam int QB = $clog2(QD);

    logic [31:0] q_addr [QD];
    logic [31:0] q_data [QD];
    logic        q_wait [QD];
    logic [31:0] q_line [QD];
    logic [31:0] issued, aw_next, w_next, b_count;  // counts of writes (mod 2^32)
    logic        waiting;       // a start was issued: issue nothing until its response + irq
    logic        wait_resp;     // ... its response is not in yet
    logic [31:0] wait_index;    // index of that start
    logic [31:0] wait_cycles;
    logic        eof, started;
    logic        prev_start;
    integer      fd;
    logic [31:0] line_no;
    string       dir;

    assign bready = busy;
    assign wstrb  = 4'hF;

    // Read lines up to and including the next start (or the end): one issue group.
    task automatic issue_group(output logic fail);
        logic [31:0] a, d, w;
        integer n;
        fail = 1'b0;
        forever begin
            n = $fscanf(fd, "%h %h %h\n", a, d, w);
            if (n == -1 || $feof(fd) && n == 0) begin
                eof = 1'b1;
                break;
            end
            line_no = line_no + 1;
            if (n != 3 || issued - aw_next >= QD - 1 || issued - w_next >= QD - 1) begin
                fail = 1'b1;
                break;
            end
            q_addr[issued[QB-1:0]] = a;
            q_data[issued[QB-1:0]] = d;
            q_wait[issued[QB-1:0]] = w[0];
            q_line[issued[QB-1:0]] = line_no;
            if (w[0]) begin
                waiting    = 1'b1;
                wait_resp  = 1'b1;
                wait_index = issued;
            end
            issued = issued + 1;
            if (w[0]) break;
        end
    endtask

    logic        stop;          // this edge ends the replay (an error, or all responses in)
    logic [3:0]  stop_code;
    logic [31:0] stop_line;

    task automatic fail_with(input logic [3:0] code, input logic [31:0] line);
        if (!stop) begin
            stop      = 1'b1;
            stop_code = code;
            stop_line = line;
        end
    endtask

    always @(posedge ap_clk) begin : replay
        logic aw_taken, w_taken, b_taken, fail, group_now, group_late;
        if (!ap_rst_n) begin
            busy <= 1'b0; done <= 1'b0; error <= '0; error_line <= '0;
            writes_done <= '0; starts_done <= '0; cycles <= '0;
            awvalid <= 1'b0; wvalid <= 1'b0; awaddr <= '0; wdata <= '0;
            issued = '0; aw_next = '0; w_next = '0; b_count = '0;
            waiting = 1'b0; wait_resp = 1'b0; wait_index = '0; wait_cycles = '0;
            eof = 1'b0; started = 1'b0; prev_start <= 1'b0; line_no = '0;
            if (fd != 0) $fclose(fd);
            fd = 0;
        end else begin
            stop = 1'b0;
            stop_code = '0;
            stop_line = '0;
            prev_start <= start;
            if (!busy && start && !prev_start) begin
                if (!$value$plusargs("bnnsplit_loader=%s", dir)) dir = ".";
                fd = $fopen({dir, "/", NAME, ".writes"}, "r");
                busy <= 1'b1; done <= 1'b0; error <= '0; error_line <= '0;
                writes_done <= '0; starts_done <= '0; cycles <= '0;
                issued = '0; aw_next = '0; w_next = '0; b_count = '0;
                waiting = 1'b0; wait_resp = 1'b0; eof = 1'b0; line_no = '0;
                if (fd == 0) begin
                    fail_with(4'd1, 32'd0);
                end else begin
                    issue_group(fail);
                    if (fail) fail_with(4'd1, line_no);
                    else started = 1'b1;
                end
            end else if (busy) begin
                cycles <= cycles + 1;
                aw_taken = awvalid && awready;
                w_taken  = wvalid && wready;
                b_taken  = bvalid;
                group_now = 1'b0;
                group_late = 1'b0;
                if (aw_taken) aw_next = aw_next + 1;
                if (w_taken) w_next = w_next + 1;
                if (b_taken) begin
                    if (bresp != 2'b00) begin
                        fail_with(4'd2, q_line[b_count[QB-1:0]]);
                    end else if (b_count == aw_next || b_count == w_next) begin
                        fail_with(4'd3, line_no);
                    end else begin
                        writes_done <= writes_done + 1;
                        if (waiting && wait_resp && b_count == wait_index) begin
                            wait_resp   = 1'b0;
                            wait_cycles = '0;
                            // Python sees the response at this edge and reads the interrupt
                            // as it was before the edge.
                            if (interrupt) begin
                                waiting = 1'b0;
                                group_late = 1'b1;
                            end
                        end
                        b_count = b_count + 1;
                    end
                end else if (waiting && wait_resp && b_count != aw_next && b_count != w_next) begin
                    wait_cycles = wait_cycles + 1;
                    if (wait_cycles > RESP_TIMEOUT) fail_with(4'd5, q_line[b_count[QB-1:0]]);
                end
                if (busy && waiting && !wait_resp && !group_late) begin
                    if (interrupt) begin      // rose at the previous edge
                        waiting = 1'b0;
                        group_now = 1'b1;
                    end else begin
                        wait_cycles = wait_cycles + 1;
                        if (wait_cycles > IRQ_TIMEOUT) fail_with(4'd4, q_line[wait_index[QB-1:0]]);
                    end
                end
                if ((group_now || group_late) && !waiting) starts_done <= starts_done + 1;
                if (group_now && !eof && !stop) begin
                    issue_group(fail);
                    if (fail) fail_with(4'd1, line_no);
                end
                // The channels: drive the next issued write when idle or just taken.
                if (!awvalid || aw_taken) begin
                    awvalid <= aw_next != issued;
                    if (aw_next != issued) awaddr <= q_addr[aw_next[QB-1:0]][ADDR_W-1:0];
                end
                if (!wvalid || w_taken) begin
                    wvalid <= w_next != issued;
                    if (w_next != issued) wdata <= q_data[w_next[QB-1:0]];
                end
                if (group_late && !eof && !stop) begin      // driven from the next edge on
                    issue_group(fail);
                    if (fail) fail_with(4'd1, line_no);
                end
                if (eof && !waiting && b_count == issued && (b_taken || issued == 0)) stop = 1'b1;
            end
            if (stop) begin
                busy       <= 1'b0;
                done       <= 1'b1;
                error      <= stop_code;
                error_line <= stop_line;
                awvalid    <= 1'b0;
                wvalid     <= 1'b0;
                if (fd != 0) $fclose(fd);
                fd = 0;
            end
        end
    end
`else
    assign busy = 1'b0;
    assign done = 1'b0;
    assign writes_done = '0;
    assign starts_done = '0;
    assign cycles = '0;
    assign error = '0;
    assign error_line = '0;
    assign awvalid = 1'b0;
    assign awaddr = '0;
    assign wvalid = 1'b0;
    assign wdata = '0;
    assign wstrb = '0;
    assign bready = 1'b0;
`endif
endmodule
