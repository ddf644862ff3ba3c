"""Bit-exact NumPy model of BNN-PYNQ's CNV-W2A2 (2-bit weights and activations, CIFAR-10).

The model is what every RTL kernel of bnnsplit-tb is checked against: parameter I/O in the
folded BNN-PYNQ `.bin` format, pixel codes and host packing, each layer as a function, taps
of every intermediate tensor (also in hardware stream order), split-point analysis and the
analytic cycle model.
"""

from golden.errors import BnnInputError
from golden.network import CNV_W2A2, DEFAULT_FOLDING, Folding, LayerSpec

__all__ = ["BnnInputError", "CNV_W2A2", "DEFAULT_FOLDING", "Folding", "LayerSpec"]
