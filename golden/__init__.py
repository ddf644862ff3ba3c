"""Bit-exact NumPy model of the BNN-PYNQ networks (golden/networks/: one module per network).

The model is what every RTL kernel of bnnsplit-tb is checked against: parameter I/O in the
folded BNN-PYNQ `.bin` format, pixel codes and host packing, each layer as a function, taps
of every intermediate tensor (also in hardware stream order), split-point analysis and the
analytic cycle model.
"""

from golden.errors import BnnInputError
from golden.network import Folding, LayerSpec, Network

__all__ = ["BnnInputError", "Folding", "LayerSpec", "Network"]
