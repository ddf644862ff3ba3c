// The main loop of every cocotb simulation this project builds with Verilator (tb/jobs/runner.py
// compiles it in place of cocotb's generic one). Same scheduling as cocotb expects of a VPI
// simulator: evaluate a time step until it settles, ReadWrite then ReadOnly callbacks, advance
// to the earliest of cocotb's timers and the design's own timed events (--timing: the HDL clock
// of tb/jobs/clocking.py), NextSimTime callbacks, timers.
//
// What differs is cost: after every step where callbacks may have written signals, value-change
// callbacks must be re-checked, and Verilator checks every registered one (a compare per
// callback). The generic loop re-checks after each phase whether or not anything ran in it;
// here a phase that ran no callback (callCbs() says so) or no timer is not followed by a
// re-check, since nothing can have changed. A kernel simulation spends most of its steps with
// nothing but the clock moving, so this is most of its per-step overhead.
//
// Built with -DBNNSPLIT_CLOCK=<port>[,<port>...] (tb/jobs/clocking.py, the "loop clock"), the
// loop also toggles those input ports of the toplevel itself (a kernel's ap_clk, or one clock
// per board of a co-simulation), each high for the first half of its period from time 0, with
// the periods of the plusarg +bnnsplit_loop_clock=<port>:<period>[,<port>:<period>...] in time
// units (1 ps precision; a port the plusarg does not name runs at -DBNNSPLIT_CLOCK_PERIOD_PS,
// the default platform's period, which tb/jobs/clocking.py passes with the ports). Before a
// rising edge the value-change callbacks run before the design is evaluated, as when cocotb's
// Clock writes a clock: a testbench woken by RisingEdge sees the pre-edge values. No VPI
// write, no timer, no Python per edge: the port is written through its public variable.
//
// Options, as cocotb's runner passes them: --trace, --trace-file FILE, --trace-flush,
// --coverage-per-instance; plusargs reach the design and cocotb through commandArgs.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#include "verilated_syms.h"
#include "verilated_vpi.h"

#ifndef VM_TRACE_FST
#define VM_TRACE_FST 0
#endif
#if VM_TRACE
#if VM_TRACE_FST
#include <verilated_fst_c.h>
typedef VerilatedFstC TraceFile;
static const char *const kDefaultTrace = "dump.fst";
#else
#include <verilated_vcd_c.h>
typedef VerilatedVcdC TraceFile;
static const char *const kDefaultTrace = "dump.vcd";
#endif
static TraceFile *g_trace = nullptr;
#endif

static vluint64_t g_time = 0;
#if VM_COVERAGE
static bool g_cov_per_instance = false;
#endif

double sc_time_stamp() { return static_cast<double>(g_time); }

extern "C" void vlog_startup_routines_bootstrap(void);

// Run value-change callbacks until none fires (a callback may write what another watches).
static void settle() {
    while (VerilatedVpi::callValueCbs()) {
    }
}

// A callback phase: re-check value callbacks only if the phase ran any callback.
static void phase(uint32_t reason) {
    if (VerilatedVpi::callCbs(reason)) {
        VerilatedVpi::doInertialPuts();
        settle();
    }
}

#ifdef BNNSPLIT_CLOCK
#ifndef BNNSPLIT_CLOCK_PERIOD_PS
#error "a loop clock needs -DBNNSPLIT_CLOCK_PERIOD_PS=<default period in ps> (tb/jobs/clocking.py loop_clock_args)"
#endif
#define BNNSPLIT_TEXT(...) #__VA_ARGS__
#define BNNSPLIT_STRING(...) BNNSPLIT_TEXT(__VA_ARGS__)

// A clock the loop toggles: the port's storage, its half periods and its next toggle.
struct LoopClock {
    std::string port;
    CData *value;
    vluint64_t high, low, next;
};

static std::vector<std::string> split(const std::string &text, char sep) {
    std::vector<std::string> out;
    std::string::size_type at = 0;
    while (at <= text.size()) {
        const std::string::size_type end = std::min(text.find(sep, at), text.size());
        if (end > at) out.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// The storage of toplevel input `port`: its public variable (ports are public in every build
// of tb/jobs/runner.py), found in the outermost scope that has it.
static CData *port_storage(const std::string &port) {
    const VerilatedScopeNameMap *scopes = Verilated::threadContextp()->scopeNameMap();
    const char *best = nullptr;
    VerilatedVar *found = nullptr;
    if (scopes) {
        for (const auto &entry : *scopes) {
            VerilatedVar *var = entry.second->varFind(port.c_str());
            if (var && (!best || std::strlen(entry.first) < std::strlen(best))) {
                best = entry.first;
                found = var;
            }
        }
    }
    if (!found || found->vltype() != VLVT_UINT8) {
        std::fprintf(stderr, "loop clock: the toplevel has no public 1-bit port %s\n", port.c_str());
        std::exit(2);
    }
    return static_cast<CData *>(found->datap());
}

// The clocks compiled in, with their periods from the plusarg (BNNSPLIT_CLOCK_PERIOD_PS when not given).
static std::vector<LoopClock> loop_clocks() {
    const std::string arg = Verilated::commandArgsPlusMatch("bnnsplit_loop_clock=");
    const std::string given = arg.empty() ? "" : arg.substr(arg.find('=') + 1);
    std::vector<LoopClock> clocks;
    for (const std::string &port : split(BNNSPLIT_STRING(BNNSPLIT_CLOCK), ',')) {
        vluint64_t period = BNNSPLIT_CLOCK_PERIOD_PS;
        for (const std::string &item : split(given, ',')) {
            const std::string::size_type colon = item.rfind(':');
            if (colon != std::string::npos && item.substr(0, colon) == port)
                period = std::strtoull(item.c_str() + colon + 1, nullptr, 10);
        }
        if (period < 2) {
            std::fprintf(stderr, "bad loop clock %s: the period of %s must be at least 2 time units\n",
                         arg.c_str(), port.c_str());
            std::exit(2);
        }
        clocks.push_back({port, port_storage(port), period / 2, period - period / 2, period / 2});
    }
    return clocks;
}
#endif

static bool g_finished = false;

static void finish() {
    if (g_finished) return;
    g_finished = true;
    VerilatedVpi::callCbs(cbEndOfSimulation);
#if VM_TRACE
    if (g_trace) g_trace->close();
#endif
#if VM_COVERAGE
    if (g_cov_per_instance) Verilated::threadContextp()->coveragep()->forcePerInstance(true);
    VerilatedCov::write();
#endif
}

int main(int argc, char **argv) {
    bool trace = false, trace_flush = false;
    std::string trace_file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--trace") {
            trace = true;
        } else if (a == "--trace-flush") {
            trace_flush = true;
        } else if (a == "--trace-file" && i + 1 < argc) {
            trace_file = argv[++i];
        } else if (a == "--coverage-per-instance") {
#if VM_COVERAGE
            g_cov_per_instance = true;
#else
            std::fprintf(stderr, "%s: --coverage-per-instance needs a build with coverage\n", argv[0]);
            return 2;
#endif
        }
    }
#if !VM_TRACE
    if (trace) {
        std::fprintf(stderr, "%s: --trace needs a build with tracing (waves)\n", argv[0]);
        return 2;
    }
#endif
    (void)trace_flush;

    Verilated::commandArgs(argc, argv);
    std::unique_ptr<Vtop> top(new Vtop(""));
    Verilated::fatalOnVpiError(false);  // cocotb reports VPI errors itself

#if VM_TRACE
    Verilated::traceEverOn(true);
    if (trace) {
        g_trace = new TraceFile;
        top->trace(g_trace, 99);
        g_trace->open(trace_file.empty() ? kDefaultTrace : trace_file.c_str());
    }
#endif

#ifdef BNNSPLIT_CLOCK
    std::vector<LoopClock> clocks = loop_clocks();
    for (LoopClock &c : clocks) *c.value = 1;  // the next toggle: falling at high, rising at period, ...
#endif

    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void *) { finish(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle();

    const vluint64_t kNever = ~static_cast<vluint64_t>(0);
    while (!Verilated::gotFinish()) {
        // This time step: evaluate until neither the design nor a callback changes anything.
        do {
            do {
                top->eval_step();
                VerilatedVpi::clearEvalNeeded();
                VerilatedVpi::doInertialPuts();
                settle();
            } while (VerilatedVpi::evalNeeded());
            phase(cbReadWriteSynch);
        } while (VerilatedVpi::evalNeeded());
        top->eval_end_step();
        VerilatedVpi::callCbs(cbReadOnlySynch);
#if VM_TRACE
        if (g_trace) {
            g_trace->dump(g_time);
            if (trace_flush) g_trace->flush();
        }
#endif
        // The next time anything is due: a cocotb timer or a timed event of the design.
        const vluint64_t cocotb_due = VerilatedVpi::cbNextDeadline();
        const vluint64_t design_due = top->eventsPending() ? top->nextTimeSlot() : kNever;
        vluint64_t next = cocotb_due < design_due ? cocotb_due : design_due;
#ifdef BNNSPLIT_CLOCK
        for (const LoopClock &c : clocks)
            if (c.next < next) next = c.next;
#endif
        if (next == kNever) break;
        g_time = next;
        phase(cbNextSimTime);
        bool changed = false;
#ifdef BNNSPLIT_CLOCK
        for (LoopClock &c : clocks) {
            if (c.next != g_time) continue;  // the clocks move first, as clock timers would
            *c.value = !*c.value;
            c.next += *c.value ? c.high : c.low;
            // Before a rising edge the callbacks run on the pre-edge values (what a testbench
            // samples at RisingEdge). A falling edge changes nothing in a design clocked on
            // rising edges, so its callbacks run once, after the evaluation: one compare
            // pass of every value callback fewer per cycle.
            changed = changed || *c.value;
        }
#endif
        if (cocotb_due <= g_time) {  // writes of timers are applied with the next evaluation
            VerilatedVpi::callTimedCbs();
            changed = true;
        }
        if (changed) settle();
    }

    top->final();
    finish();
#if VM_TRACE
    delete g_trace;
    g_trace = nullptr;
#endif
    return Verilated::threadContextp()->errorCount() > 0 ? 1 : 0;
}
