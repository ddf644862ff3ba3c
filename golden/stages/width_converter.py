"""A stream width converter (rtl/width_converter.sv, finn-hlslib's
StreamingDataWidthConverter_Batch): splits or packs words between two widths, one of which
divides the other.

Its HLS loop runs over the whole batch and, like every Vivado HLS pipeline, does not flush:
whether a stalled read holds the write before it (rtl/width_converter.sv HOLD) depends on the
stage the HLS tool schedules the write in, a property of the tool (HLS_SCHEDULES), read from
the exports' own RTL:
- "2018.2" (the default: Vivado HLS 2018.2, the tool of BNN-PYNQ's bitstreams and of the
  paper, and Vitis HLS 2023.2): a *split* converter writes one stage after its read, so the
  last piece of a word waits for the next word, across images too, until the batch's last
  image (cnvW1A1-vitis-hls-2023.2: StreamingDataWidthConverter_Batch_192u_24u_128u_Pipeline_*,
  DoCompute_Loop_VITIS_LOOP_268_1_proc*_Pipeline_*: read in iter2, write in iter3; 2018.2 by
  its published batch totals, equal to Vitis's + 26 cycles at every numReps); a *gather*
  converter writes in its read's stage and holds nothing (DoCompute_Loop_VITIS_LOOP_300_3_proc*:
  both in iter2);
- "2016.3" (Vivado HLS 2016.3): split and gather converters write in their read's stage and
  hold nothing (lfcW1A1-vivado-hls-2016.3: StreamingDataWidthCo.v, StreamingDataWidthCo_1.v:
  in_V_V_read and out_V_V_write both in ap_enable_reg_pp0_iter1).
"""

from __future__ import annotations

from dataclasses import dataclass

from golden.errors import BnnInputError
from golden.stages.base import Stage

# The HLS tool schedules the generator can follow (hls_out/generate.py --hls-schedule), the
# default first.
HLS_SCHEDULES = ("2018.2", "2016.3")
DEFAULT_HLS_SCHEDULE = HLS_SCHEDULES[0]


def check_schedule(schedule: str) -> str:
    if schedule not in HLS_SCHEDULES:
        raise BnnInputError(f"HLS schedule {schedule!r}: expected one of {', '.join(HLS_SCHEDULES)}")
    return schedule


def holds(from_width: int, to_width: int, schedule: str = DEFAULT_HLS_SCHEDULE) -> bool:
    """Whether a converter's stalled read holds its last write (module docstring): a split
    (from_width > to_width) under the 2018.2 schedule; never a gather, nothing under 2016.3."""
    return check_schedule(schedule) != "2016.3" and from_width > to_width


@dataclass(frozen=True, kw_only=True)
class WidthConverter(Stage):
    kind = "width_converter"
    module = "width_converter"
    batch_port = True

    from_width: int
    to_width: int
    image_bits: int           # bits of one image in the stream
    hls_timing: bool = True   # one loop that reads, then writes (IMAGE_WORDS: where an image ends)
    hls_schedule: str = DEFAULT_HLS_SCHEDULE   # which HLS tool's schedule (HLS_SCHEDULES)

    @property
    def in_width(self) -> int:
        return self.from_width

    @property
    def out_width(self) -> int:
        return self.to_width

    @property
    def hold(self) -> bool:
        """A stalled read holds the last write until the batch's last image (rtl HOLD = 1)."""
        return holds(self.from_width, self.to_width, self.hls_schedule)

    @property
    def params(self) -> dict[str, int]:
        hls = {"HLS_TIMING": 1, "IMAGE_WORDS": self.image_bits // self.from_width, "HOLD": int(self.hold)} \
            if self.hls_timing else {}
        return {"IN_W": self.from_width, "OUT_W": self.to_width} | hls

    def words_per_image(self) -> tuple[int, int]:
        return self.image_bits // self.from_width, self.image_bits // self.to_width
