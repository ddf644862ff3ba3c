"""What every stage kind of a dataflow kernel has in common.

A kernel is a chain of stream stages (golden/stages/chain.py): a memory reader, width
converters, sliding-window generators, MVAUs, max pools, FIFOs and a memory writer. Each kind
is one class in its own file of this package and owns every fact about itself: the SV module
of rtl/ that implements it and that module's parameters, its stream widths, its cycles per
image, its resource estimate, its golden execution, its parameter words and the signals a
monitor may watch. The generator, `golden cycles`, the resource estimate, the parameter
loader, the watchdog and the FIFO monitors iterate over these objects; kernel.json holds
them serialised (:meth:`Stage.to_json`, :func:`golden.stages.from_json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterator

import numpy as np


@dataclass(frozen=True)
class StageCost:
    """A stage's share of a board: RAMB18 primitives, logic LUTs, bits held in LUT RAM, DSP48E1,
    and the LUTs its DSP48E1 products would take in logic (`dsp_lut`: what a tool builds in
    LUTs once a board's DSP48E1 slices run out)."""

    ramb18: int = 0
    lut: int = 0
    lutram_bits: int = 0
    dsp: int = 0
    dsp_lut: int = 0

    def __add__(self, other: "StageCost") -> "StageCost":
        return StageCost(self.ramb18 + other.ramb18, self.lut + other.lut,
                         self.lutram_bits + other.lutram_bits, self.dsp + other.dsp,
                         self.dsp_lut + other.dsp_lut)


def stream_signals(name: str, side: str) -> dict[str, str]:
    """The valid / ready / data signals of stream `name` (s<k> of the generated top) as seen
    from a stage's input ("in") or output ("out") side."""
    return {f"{side}_valid": f"{name}_tvalid", f"{side}_ready": f"{name}_tready", f"{side}_data": f"{name}_tdata"}


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One stage of a kernel's chain. `in_stream` / `out_stream` are the generated top's
    streams it reads and writes (s<k>; None at the memory ends)."""

    kind: ClassVar[str]        # the name kernel.json calls the kind by
    module: ClassVar[str]      # its SystemVerilog module in rtl/
    # Its module has the `num_reps` input (images per batch: the kernel's numReps register),
    # to count images and drain its pipeline only after the batch's last one.
    batch_port: ClassVar[bool] = False

    name: str                  # instance tag; the instance is u_<name>
    layer: int | None = None   # the network layer it belongs to (None: memory ends, FIFOs, converters)
    in_stream: str | None = None
    out_stream: str | None = None

    @property
    def instance(self) -> str:
        return f"u_{self.name}"

    @property
    def in_width(self) -> int:
        raise NotImplementedError

    @property
    def out_width(self) -> int:
        raise NotImplementedError

    @property
    def params(self) -> dict[str, int]:
        """The parameters of its SV module's instance, as the generated top lists them."""
        return {}

    # ---------------------------------------------------------------- timing
    def words_per_image(self) -> tuple[int, int]:
        """Words of one image it reads and writes."""
        raise NotImplementedError

    def cycles(self) -> int:
        """Cycles per image in the steady state: a stream stage moves one word per cycle on
        each side, so the side with more words sets its pace."""
        return max(self.words_per_image())

    # ---------------------------------------------------------------- cost
    def resources(self) -> StageCost:
        return StageCost()

    # ---------------------------------------------------------------- golden
    def execute(self, x: np.ndarray, layer_params=None, taps: dict | None = None) -> np.ndarray:
        """What the stage does to a batch of tensors (N, ...) as golden/model.py holds them:
        most stages only move words, so the tensor passes unchanged."""
        return x

    @property
    def computes(self) -> bool:
        """Whether :meth:`execute` changes the tensor (golden/model.py runs only these)."""
        return type(self).execute is not Stage.execute

    # ---------------------------------------------------------------- parameters
    def init_targets(self) -> dict[int, str]:
        """The doInit targetLayer values it answers to, and what each one writes."""
        return {}

    def init_words(self, layer_params) -> Iterator[tuple[int, int, int, int, int]]:
        """(targetLayer, targetMem, targetInd, targetThresh, val) of every parameter word, in
        the order BNN-PYNQ's host writes them."""
        return iter(())

    # ---------------------------------------------------------------- monitors
    def signals(self) -> dict[str, str]:
        """The generated top's signals that show this stage's work, by role."""
        out: dict[str, str] = {}
        if self.in_stream:
            out |= stream_signals(self.in_stream, "in")
        if self.out_stream:
            out |= stream_signals(self.out_stream, "out")
        return out

    # ---------------------------------------------------------------- kernel.json
    def extra_json(self) -> dict:
        return {}

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "module": self.module, "instance": self.instance,
                "params": dict(self.params), "in_width": self.in_width, "out_width": self.out_width} \
            | ({"layer": self.layer} if self.layer is not None else {}) | self.extra_json() \
            | {"signals": self.signals()}
