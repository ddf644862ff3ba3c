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
// Built with -DBNNSPLIT_CLOCK=<port> (tb/jobs/clocking.py, the "loop clock"), the loop also
// toggles that input port of the toplevel itself, high for the first half period from time 0,
// with the period of the plusarg +bnnsplit_loop_clock=<port>:<period in time units> (default
// 10000 = 10 ns at 1 ps precision). At each toggle the value-change callbacks run before the
// design is evaluated, as when cocotb's Clock writes a clock: a testbench woken by RisingEdge
// sees the pre-edge values. No VPI write, no timer, no Python per edge.
//
// Options, as cocotb's runner passes them: --trace, --trace-file FILE, --trace-flush,
// --coverage-per-instance; plusargs reach the design and cocotb through commandArgs.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "Vtop.h"
#include "verilated.h"
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
// Period of the loop clock from its plusarg (the part after the last ':').
static vluint64_t loop_clock_period() {
    const std::string arg = Verilated::commandArgsPlusMatch("bnnsplit_loop_clock=");
    const std::string::size_type colon = arg.rfind(':');
    if (arg.empty() || colon == std::string::npos) return 10000;
    const vluint64_t period = std::strtoull(arg.c_str() + colon + 1, nullptr, 10);
    if (period < 2) {
        std::fprintf(stderr, "bad loop clock %s: the period must be at least 2 time units\n", arg.c_str());
        std::exit(2);
    }
    return period;
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
    const vluint64_t period = loop_clock_period();
    const vluint64_t high = period / 2, low = period - high;
    top->BNNSPLIT_CLOCK = 1;
    vluint64_t next_edge = high;  // the next toggle: falling at high, rising at period, ...
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
        if (next_edge < next) next = next_edge;
#endif
        if (next == kNever) break;
        g_time = next;
        phase(cbNextSimTime);
        bool changed = false;
#ifdef BNNSPLIT_CLOCK
        if (next_edge == g_time) {  // the clock moves first, as a clock timer would
            top->BNNSPLIT_CLOCK = !top->BNNSPLIT_CLOCK;
            next_edge += top->BNNSPLIT_CLOCK ? high : low;
            changed = true;
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
