"""The host side of a board as cocotb sees it: the PYNQ-style driver of a BlackBoxJam kernel,
a co-simulated board (kernel RTL behind netsim's kernel server) and netsim's scheduler on
cocotb time."""
