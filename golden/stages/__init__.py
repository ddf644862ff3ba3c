"""The stage kinds of a dataflow kernel, one class per file (see golden/stages/base.py), and
the chain a kernel makes of them (golden/stages/chain.py)."""

from golden.stages.base import Stage, StageCost
from golden.stages.chain import Chain, inter_width, kernel_chain, layer_stages
from golden.stages.maxpool import MaxPool
from golden.stages.memory_reader import MemoryReader
from golden.stages.memory_writer import MemoryWriter
from golden.stages.mvau import MVAU
from golden.stages.sliding_window import SlidingWindow
from golden.stages.stream_fifo import StreamFifo
from golden.stages.width_converter import WidthConverter

KINDS: dict[str, type[Stage]] = {cls.kind: cls for cls in (MemoryReader, WidthConverter, StreamFifo, SlidingWindow,
                                                           MVAU, MaxPool, MemoryWriter)}

__all__ = ["KINDS", "Chain", "MVAU", "MaxPool", "MemoryReader", "MemoryWriter", "SlidingWindow", "Stage",
           "StageCost", "StreamFifo", "WidthConverter", "inter_width", "kernel_chain", "layer_stages"]
