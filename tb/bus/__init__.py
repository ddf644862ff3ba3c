"""Code that runs inside the simulator and knows no DUT: AXI protocol checkers, the stream
watchdog, the fault-injecting AXI memory, stream handshake monitors and pause generators.

Importing the package makes cocotbext-axi's channel endpoints share the checkers' simulator
callbacks (tb/bus/lean_streams.py): every testbench of this project imports it."""

from tb.bus import lean_streams as _lean_streams

_lean_streams.install()
