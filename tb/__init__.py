"""cocotb testbenches, bus helpers and the simulator runner for bnnsplit-tb."""
