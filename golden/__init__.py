"""Bit-exact NumPy model of the BNN-PYNQ networks (golden/networks/: one module per network:
CNV-W1A1, CNV-W1A2, CNV-W2A2 on CIFAR-10, LFC-W1A1, LFC-W1A2 on MNIST).

The model is what every RTL kernel of bnnsplit-tb is checked against: parameter I/O in the
folded BNN-PYNQ `.bin` format (2-bit ternary and 1-bit binary/XNOR weights, one or two
thresholds per neuron), host input packing (pixel codes, binarized MNIST pixels) and output
decoding (scores, output bits), each layer kind as a function, taps of every intermediate
tensor (also in hardware stream order), split-point analysis and the analytic cycle model.
"""

from golden.errors import BnnInputError
from golden.network import Folding, LayerSpec, Network

__all__ = ["BnnInputError", "Folding", "LayerSpec", "Network"]
