"""The memory writer: the kernel's last stream as AXI4 bursts into the host buffer
(rtl/axi_s2mm.sv, the `Stream2Mem_Batch` of the HLS top)."""

from __future__ import annotations

from dataclasses import dataclass

from golden.stages.base import Stage


@dataclass(frozen=True, kw_only=True)
class MemoryWriter(Stage):
    kind = "memory_writer"
    module = "axi_s2mm"

    words: int          # memory words per image
    word_bits: int

    @property
    def in_width(self) -> int:
        return self.word_bits

    @property
    def out_width(self) -> int:
        return self.word_bits

    def words_per_image(self) -> tuple[int, int]:
        return self.words, self.words

    def signals(self) -> dict[str, str]:
        return super().signals() | {"busy": "wr_busy", "error": "wr_error"}
