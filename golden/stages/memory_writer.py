"""The memory writer: the kernel's last stream as AXI4 bursts into the host buffer
(rtl/axi_s2mm.sv, the `Stream2Mem_Batch` of the HLS top)."""

from __future__ import annotations

from dataclasses import dataclass

from golden.stages.memory_end import MemoryEnd


@dataclass(frozen=True, kw_only=True)
class MemoryWriter(MemoryEnd):
    kind = "memory_writer"
    module = "axi_s2mm"
    side = "wr"
