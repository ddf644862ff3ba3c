"""Code that runs inside the simulator and knows no DUT: AXI protocol checkers, the stream
watchdog, the fault-injecting AXI memory, stream handshake monitors and pause generators."""
