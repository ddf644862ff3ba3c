"""`make bench`: speed of the golden model, the kernel simulations (cocotb vs a C++ harness)
and the co-simulation."""
