"""A stream width converter (rtl/width_converter.sv, finn-hlslib's
StreamingDataWidthConverter_Batch): splits or packs words between two widths, one of which
divides the other."""

from __future__ import annotations

from dataclasses import dataclass

from golden.stages.base import Stage


@dataclass(frozen=True, kw_only=True)
class WidthConverter(Stage):
    kind = "width_converter"
    module = "width_converter"

    from_width: int
    to_width: int
    image_bits: int           # bits of one image in the stream
    hls_timing: bool = True   # one loop that reads, then writes a stage later (IMAGE_WORDS: where an image ends)

    @property
    def in_width(self) -> int:
        return self.from_width

    @property
    def out_width(self) -> int:
        return self.to_width

    @property
    def params(self) -> dict[str, int]:
        hls = {"HLS_TIMING": 1, "IMAGE_WORDS": self.image_bits // self.from_width} if self.hls_timing else {}
        return {"IN_W": self.from_width, "OUT_W": self.to_width} | hls

    def words_per_image(self) -> tuple[int, int]:
        return self.image_bits // self.from_width, self.image_bits // self.to_width
