"""An inter-stage stream FIFO (rtl/stream_fifo.sv, an `hls::stream` of the HLS top with its
depth); the generated top brings its occupancy out as fifo_count_<tag>."""

from __future__ import annotations

from dataclasses import dataclass

from golden.stages import cost
from golden.stages.base import Stage, StageCost

SRL_MAX = 32   # rtl/stream_fifo.sv: deeper FIFOs keep their words in a RAM


@dataclass(frozen=True, kw_only=True)
class StreamFifo(Stage):
    kind = "stream_fifo"
    module = "stream_fifo"

    width: int
    depth: int
    image_words: int          # words of one image in its stream (how many images it can hold)

    @property
    def in_width(self) -> int:
        return self.width

    @property
    def out_width(self) -> int:
        return self.width

    @property
    def tag(self) -> str:
        return self.name.removeprefix("fifo_")

    @property
    def count_signal(self) -> str:
        return f"fifo_count_{self.tag}"

    @property
    def params(self) -> dict[str, int]:
        return {"WIDTH": self.width, "DEPTH": self.depth}

    def resources(self) -> StageCost:
        # rtl/stream_fifo.sv: registers up to SRL_MAX (32) words, a RAM beyond
        if self.depth <= SRL_MAX:
            return StageCost()
        ramb18, lutram = cost.memory(self.depth, self.width)
        return StageCost(ramb18=ramb18, lutram_bits=lutram)

    def words_per_image(self) -> tuple[int, int]:
        return self.image_words, self.image_words

    def signals(self) -> dict[str, str]:
        return super().signals() | {"count": self.count_signal}

    def extra_json(self) -> dict:
        return {"image_words": self.image_words}
