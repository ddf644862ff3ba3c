"""The memory reader: AXI4 bursts from the host buffer into the kernel's first stream
(rtl/axi_mm2s.sv, the `Mem2Stream_Batch` of the HLS top)."""

from __future__ import annotations

from dataclasses import dataclass

from golden.stages.base import Stage


@dataclass(frozen=True, kw_only=True)
class MemoryReader(Stage):
    kind = "memory_reader"
    module = "axi_mm2s"

    words: int          # memory words per image
    word_bits: int      # the memory word (the platform's)

    @property
    def in_width(self) -> int:
        return self.word_bits

    @property
    def out_width(self) -> int:
        return self.word_bits

    def words_per_image(self) -> tuple[int, int]:
        return self.words, self.words

    def signals(self) -> dict[str, str]:
        return super().signals() | {"busy": "rd_busy", "error": "rd_error"}
