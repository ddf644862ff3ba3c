"""What the two memory ends of a kernel share: they move whole memory words between the host
buffer and a stream, so their widths are the word and their words per image are the image's
(golden/stages/memory_reader.py, memory_writer.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from golden.stages.base import Stage


@dataclass(frozen=True, kw_only=True)
class MemoryEnd(Stage):
    side: ClassVar[str]       # prefix of its status signals in the generated top (rd_ / wr_)

    words: int                # memory words per image
    word_bits: int            # the memory word (the platform's)

    @property
    def in_width(self) -> int:
        return self.word_bits

    @property
    def out_width(self) -> int:
        return self.word_bits

    def words_per_image(self) -> tuple[int, int]:
        return self.words, self.words

    def signals(self) -> dict[str, str]:
        return super().signals() | {"busy": f"{self.side}_busy", "error": f"{self.side}_error"}
