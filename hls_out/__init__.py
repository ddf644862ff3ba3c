"""Generated kernels (one folder each) and their generator, `python -m hls_out.generate`.

Each kernel folder holds a top-level SystemVerilog file with the port list of a Vivado HLS
export of BNN-PYNQ's BlackBoxJam, wiring the rtl/ stream library for a range of layers of
the network with the folding of its config, and `kernel.json` describing it.
"""
