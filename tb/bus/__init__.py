"""Code that runs inside the simulator and knows no DUT: AXI4 / AXI4-Lite protocol checkers,
the stream watchdog, the fault-injecting AXI memory, scoreboards, stream and FIFO monitors,
pause generators, and cocotbext-axi bus models with fewer simulator callbacks
(tb/bus/lean_streams.py). A testbench instantiates what it uses; importing the package does
nothing else. Its modules import only each other (and cocotb, cocotbext-axi)."""
