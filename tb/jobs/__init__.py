"""Host-side tooling, outside the simulator: jobs (a kernel run, a co-simulation), the
Verilator/cocotb runner with its build cache, the toolchain set-up, the HDL clock wrapper and
the RTL lint."""
