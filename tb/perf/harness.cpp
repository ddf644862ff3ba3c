// Minimal C++ Verilator harness for one generated kernel (hls_out/<name>): no Python, no VPI.
//
// The yardstick of `make bench` (tb/perf/bench.py): the same Verilated kernel that the cocotb
// testbench drives, run through the same host sequence as tb/host/driver.py's PynqHost (reset,
// GIER/IER, image 0 alone, then the rest as one numReps batch; each run: check idle, doInit = 0,
// in/out addresses, numReps, ap_start, wait for the interrupt, clear ISR, read CTRL), with an
// AXI4 memory slave on m_axi_hostmem and an AXI4-Lite master on s_axi_control written in C++.
// Parameters are preloaded by the RTL itself from +PARAMS_DIR=<dir> ($readmemh), exactly as
// under cocotb. The output words are compared with the expected words so that the speed
// reported is that of a correct run.
//
// Build (tb/perf/bench.py does it):
//   verilator --cc --exe --build --prefix Vkernel --top-module <kernel> <VERILATOR_ARGS> \
//       -CFLAGS -I<repo>/tb/perf tb/perf/harness.cpp rtl/*.sv hls_out/<kernel>/<kernel>.sv
// Run:
//   Vkernel_bench +PARAMS_DIR=<dir> --in in.bin --expected expected.bin --images N \
//       --words-in WI --words-out WO [--budget CYCLES] [--json out.json]
// in.bin / expected.bin: little-endian uint64 words, image after image (N*WI and N*WO words).
// Prints one JSON object: cycles, simulated wall time (after reset to the last image), and
// the number of mismatching images. Exit status 0 only for a correct run.

#include <chrono>
#include <ctime>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "Vkernel.h"
#include "blackboxjam_regs.h"   // generated from hls_out/interface.py (make hls)
#include "verilated.h"

double sc_time_stamp() { return 0; }

namespace {

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

using namespace blackboxjam;   // REG_* offsets and the CTRL_* / IP_IER_* / IP_ISR_* bits

struct Burst {
    uint64_t addr;
    unsigned beats;
    uint8_t id;
};

// One AXI4 memory slave (INCR bursts of 8-byte beats; the kernel only issues those) plus the
// clock. All handshakes are sampled on the settled values just before the rising edge, and the
// slave's outputs change right after it, as a registered slave would.
class Bench {
public:
    Bench(VerilatedContext* ctx, size_t mem_bytes) : ctx_(ctx), top_(new Vkernel{ctx, "top"}), mem_(mem_bytes, 0) {
        top_->ap_clk = 0;
        top_->ap_rst_n = 0;
        top_->m_axi_hostmem_AWREADY = 1;
        top_->m_axi_hostmem_WREADY = 1;
        top_->m_axi_hostmem_ARREADY = 1;
        top_->m_axi_hostmem_RVALID = 0;
        top_->m_axi_hostmem_BVALID = 0;
        top_->s_axi_control_AWVALID = 0;
        top_->s_axi_control_WVALID = 0;
        top_->s_axi_control_ARVALID = 0;
        top_->s_axi_control_RREADY = 0;
        top_->s_axi_control_BREADY = 0;
        top_->eval();
    }
    ~Bench() { top_->final(); }

    uint64_t cycles = 0;

    // One clock cycle: settle at clk = 0, sample handshakes, rising edge, update the slave.
    void tick() {
        Vkernel* t = top_.get();
        t->ap_clk = 0;
        t->eval();
        ctx_->timeInc(5);
        // sampled before the edge
        const bool ar = t->m_axi_hostmem_ARVALID && t->m_axi_hostmem_ARREADY;
        const bool r = t->m_axi_hostmem_RVALID && t->m_axi_hostmem_RREADY;
        const bool aw = t->m_axi_hostmem_AWVALID && t->m_axi_hostmem_AWREADY;
        const bool w = t->m_axi_hostmem_WVALID && t->m_axi_hostmem_WREADY;
        const bool b = t->m_axi_hostmem_BVALID && t->m_axi_hostmem_BREADY;
        const uint64_t araddr = t->m_axi_hostmem_ARADDR, awaddr = t->m_axi_hostmem_AWADDR;
        const unsigned arlen = t->m_axi_hostmem_ARLEN, awlen = t->m_axi_hostmem_AWLEN;
        const uint8_t arid = t->m_axi_hostmem_ARID, awid = t->m_axi_hostmem_AWID;
        const uint64_t wdata = t->m_axi_hostmem_WDATA;
        const unsigned wstrb = t->m_axi_hostmem_WSTRB;
        const bool wlast = t->m_axi_hostmem_WLAST;
        lite_aw_ok_ = t->s_axi_control_AWVALID && t->s_axi_control_AWREADY;
        lite_w_ok_ = t->s_axi_control_WVALID && t->s_axi_control_WREADY;
        lite_b_ok_ = t->s_axi_control_BVALID && t->s_axi_control_BREADY;
        lite_ar_ok_ = t->s_axi_control_ARVALID && t->s_axi_control_ARREADY;
        lite_r_ok_ = t->s_axi_control_RVALID && t->s_axi_control_RREADY;
        lite_rdata_ = t->s_axi_control_RDATA;

        t->ap_clk = 1;
        t->eval();
        ctx_->timeInc(5);
        ++cycles;

        // AXI4 slave state after the edge
        if (ar) reads_.push_back({araddr, arlen + 1u, arid});
        if (r) {
            Burst& cur = reads_.front();
            cur.addr += 8;
            if (--cur.beats == 0) reads_.pop_front();
        }
        if (aw) writes_.push_back({awaddr, awlen + 1u, awid});
        if (w) {
            if (writes_.empty()) fail("W beat before its AW");
            Burst& cur = writes_.front();
            store(cur.addr, wdata, wstrb);
            cur.addr += 8;
            --cur.beats;
            if (wlast != (cur.beats == 0)) fail("WLAST does not match AWLEN");
            if (cur.beats == 0) {
                bresp_.push_back(cur.id);
                writes_.pop_front();
            }
        }
        if (b) bresp_.pop_front();
        if (!reads_.empty()) {
            const Burst& cur = reads_.front();
            t->m_axi_hostmem_RVALID = 1;
            t->m_axi_hostmem_RDATA = load(cur.addr);
            t->m_axi_hostmem_RLAST = cur.beats == 1;
            t->m_axi_hostmem_RID = cur.id;
            t->m_axi_hostmem_RRESP = 0;
        } else {
            t->m_axi_hostmem_RVALID = 0;
            t->m_axi_hostmem_RLAST = 0;
        }
        t->m_axi_hostmem_BVALID = !bresp_.empty();
        t->m_axi_hostmem_BID = bresp_.empty() ? 0 : bresp_.front();
        t->m_axi_hostmem_BRESP = 0;
        if (ctx_->gotFinish()) fail("$finish from the design");
    }

    // ------------------------------------------------------------ AXI4-Lite master
    void write_reg(uint32_t addr, uint32_t value) {
        Vkernel* t = top_.get();
        t->s_axi_control_AWADDR = addr;
        t->s_axi_control_AWVALID = 1;
        t->s_axi_control_WDATA = value;
        t->s_axi_control_WSTRB = 0xF;
        t->s_axi_control_WVALID = 1;
        t->s_axi_control_BREADY = 1;
        bool aw_done = false, w_done = false, b_done = false;
        for (int guard = 0; !b_done; ++guard) {
            if (guard > 1000) fail("AXI4-Lite write not answered");
            tick();
            if (lite_aw_ok_) { aw_done = true; t->s_axi_control_AWVALID = 0; }
            if (lite_w_ok_) { w_done = true; t->s_axi_control_WVALID = 0; }
            if (lite_b_ok_) b_done = true;
        }
        if (!aw_done || !w_done) fail("AXI4-Lite B before AW/W");
        t->s_axi_control_BREADY = 0;
    }

    uint32_t read_reg(uint32_t addr) {
        Vkernel* t = top_.get();
        t->s_axi_control_ARADDR = addr;
        t->s_axi_control_ARVALID = 1;
        t->s_axi_control_RREADY = 1;
        for (int guard = 0;; ++guard) {
            if (guard > 1000) fail("AXI4-Lite read not answered");
            tick();
            if (lite_ar_ok_) t->s_axi_control_ARVALID = 0;
            if (lite_r_ok_) break;
        }
        t->s_axi_control_RREADY = 0;
        return lite_rdata_;
    }

    void reset(int cycles_low = 10) {
        top_->ap_rst_n = 0;
        for (int i = 0; i < cycles_low; ++i) tick();
        top_->ap_rst_n = 1;
        tick();
        tick();
        write_reg(REG_GIER, GIER_ENABLE);
        write_reg(REG_IP_IER, IP_IER_DONE);     // interrupt on ap_done
    }

    // One kernel run over num_reps images; returns start -> interrupt cycles.
    uint64_t run_batch(uint64_t in_addr, uint64_t out_addr, uint32_t num_reps, uint64_t budget) {
        if (!(read_reg(REG_CTRL) & CTRL_AP_IDLE)) fail("ap_start while the kernel is busy");
        write_reg(REG_DO_INIT, 0);
        write_reg(REG_IN_LO, uint32_t(in_addr));
        write_reg(REG_IN_HI, uint32_t(in_addr >> 32));
        write_reg(REG_OUT_LO, uint32_t(out_addr));
        write_reg(REG_OUT_HI, uint32_t(out_addr >> 32));
        write_reg(REG_NUM_REPS, num_reps);
        write_reg(REG_CTRL, CTRL_AP_START);
        const uint64_t t0 = cycles;
        while (!top_->__SYM__interrupt) {
            if (cycles - t0 > budget) fail("no interrupt within the cycle budget");
            tick();
        }
        const uint64_t lat = cycles - t0;
        const uint32_t isr = read_reg(REG_IP_ISR);
        write_reg(REG_IP_ISR, isr);             // toggle-on-write clears it
        (void)read_reg(REG_CTRL);
        return lat;
    }

    void poke(uint64_t addr, const uint64_t* words, size_t n) {
        check_range(addr, 8 * n);
        std::memcpy(&mem_[addr], words, 8 * n);
    }
    void peek(uint64_t addr, uint64_t* words, size_t n) const {
        check_range(addr, 8 * n);
        std::memcpy(words, &mem_[addr], 8 * n);
    }

    [[noreturn]] static void fail(const char* what) {
        std::fprintf(stderr, "harness: error: %s\n", what);
        std::exit(3);
    }

private:
    void check_range(uint64_t addr, uint64_t n) const {
        if (addr + n > mem_.size() || addr + n < addr) fail("memory access out of range");
    }
    uint64_t load(uint64_t addr) const {
        addr &= ~uint64_t(7);
        check_range(addr, 8);
        uint64_t v;
        std::memcpy(&v, &mem_[addr], 8);
        return v;
    }
    void store(uint64_t addr, uint64_t data, unsigned strb) {
        addr &= ~uint64_t(7);
        check_range(addr, 8);
        for (int i = 0; i < 8; ++i)
            if (strb >> i & 1) mem_[addr + i] = uint8_t(data >> (8 * i));
    }

    VerilatedContext* ctx_;
    std::unique_ptr<Vkernel> top_;
    std::vector<uint8_t> mem_;
    std::deque<Burst> reads_, writes_;
    std::deque<uint8_t> bresp_;
    bool lite_aw_ok_ = false, lite_w_ok_ = false, lite_b_ok_ = false, lite_ar_ok_ = false, lite_r_ok_ = false;
    uint32_t lite_rdata_ = 0;
};

std::vector<uint64_t> read_words(const std::string& path, size_t expect) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "harness: cannot open %s\n", path.c_str());
        std::exit(2);
    }
    std::vector<uint64_t> v(expect);
    f.read(reinterpret_cast<char*>(v.data()), std::streamsize(8 * expect));
    if (size_t(f.gcount()) != 8 * expect) {
        std::fprintf(stderr, "harness: %s holds fewer than %zu words\n", path.c_str(), expect);
        std::exit(2);
    }
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    std::string in_path, exp_path, json_path;
    size_t n = 0, wi = 0, wo = 0;
    uint64_t budget_per_image = 2000000;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "harness: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--in") in_path = next();
        else if (a == "--expected") exp_path = next();
        else if (a == "--images") n = std::stoul(next());
        else if (a == "--words-in") wi = std::stoul(next());
        else if (a == "--words-out") wo = std::stoul(next());
        else if (a == "--budget") budget_per_image = std::stoull(next());
        else if (a == "--json") json_path = next();
        else if (a[0] == '+') continue;   // plusargs (+PARAMS_DIR=...) go to Verilated
        else {
            std::fprintf(stderr, "harness: unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    if (!n || !wi || !wo || in_path.empty() || exp_path.empty()) {
        std::fprintf(stderr, "usage: %s +PARAMS_DIR=DIR --in IN.bin --expected EXP.bin --images N "
                             "--words-in WI --words-out WO [--budget CYCLES] [--json OUT]\n", argv[0]);
        return 2;
    }
    const std::vector<uint64_t> in_words = read_words(in_path, n * wi);
    const std::vector<uint64_t> expected = read_words(exp_path, n * wo);

    const auto t_start = std::chrono::steady_clock::now();
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    ctx->timeunit(-9);
    ctx->timeprecision(-12);
    const uint64_t in_addr = 0x1000;
    const uint64_t out_addr = (in_addr + 8 * n * wi + 63) & ~uint64_t(63);
    const size_t mem_bytes = size_t(out_addr + 8 * n * wo + 4096);
    Bench bench(ctx.get(), mem_bytes);
    bench.poke(in_addr, in_words.data(), in_words.size());
    std::vector<uint64_t> canary(n * wo, 0xDEADBEEFDEADBEEFull);
    bench.poke(out_addr, canary.data(), canary.size());
    bench.reset();   // the first evaluations also run the $readmemh preload
    const auto t_sim = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds();
    const uint64_t c_sim = bench.cycles;

    const uint64_t lat = bench.run_batch(in_addr, out_addr, 1, budget_per_image);
    uint64_t batch = 0;
    if (n > 1) batch = bench.run_batch(in_addr + 8 * wi, out_addr + 8 * wo, uint32_t(n - 1), budget_per_image * n);
    const auto t_end = std::chrono::steady_clock::now();
    const double cpu = cpu_seconds() - cpu0;

    std::vector<uint64_t> got(n * wo);
    bench.peek(out_addr, got.data(), got.size());
    size_t mismatches = 0;
    for (size_t k = 0; k < n; ++k) {
        if (std::memcmp(&got[k * wo], &expected[k * wo], 8 * wo) != 0) {
            ++mismatches;
            for (size_t j = 0; j < wo; ++j) {
                if (got[k * wo + j] != expected[k * wo + j]) {
                    std::fprintf(stderr, "harness: image %zu word %zu: got 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n",
                                 k, j, got[k * wo + j], expected[k * wo + j]);
                    break;
                }
            }
        }
    }
    const double wall = std::chrono::duration<double>(t_end - t_sim).count();
    const double setup = std::chrono::duration<double>(t_sim - t_start).count();
    const uint64_t sim_cycles = bench.cycles - c_sim;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"images\": %zu, \"mismatches\": %zu, \"latency_cycles\": %" PRIu64 ", \"batch_cycles\": %" PRIu64
                  ", \"sim_cycles\": %" PRIu64 ", \"sim_wall_s\": %.6f, \"sim_cpu_s\": %.6f, \"setup_wall_s\": %.6f"
                  ", \"cycles_per_s\": %.1f, \"cycles_per_cpu_s\": %.1f}\n",
                  n, mismatches, lat, batch, sim_cycles, wall, cpu, setup, wall > 0 ? sim_cycles / wall : 0.0,
                  cpu > 0 ? sim_cycles / cpu : 0.0);
    std::fputs(buf, stdout);
    if (!json_path.empty()) {
        std::ofstream(json_path) << buf;
    }
    return mismatches ? 1 : 0;
}
