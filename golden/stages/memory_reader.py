"""The memory reader: AXI4 bursts from the host buffer into the kernel's first stream
(rtl/axi_mm2s.sv, the `Mem2Stream_Batch` of the HLS top)."""

from __future__ import annotations

from dataclasses import dataclass

from golden.stages.memory_end import MemoryEnd


@dataclass(frozen=True, kw_only=True)
class MemoryReader(MemoryEnd):
    kind = "memory_reader"
    module = "axi_mm2s"
    side = "rd"
