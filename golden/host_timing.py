"""The PYNQ host's timed region around one kernel start, as BNN-PYNQ's host code spends it.

A kernel's cycles (ap_start to ap_done) and what a host's timer measures are different
quantities. BNN-PYNQ's host library (bnn/src/library/host/foldedmv-offload.cpp) times one
kernel start of a batch of n images in `FoldedMVOffloadBinarized`, built with
`INCLUDE_TRANSFER_TIMES_IN_BENCHMARK`:

1. `copyBufferHostToAccel`: the packed input batch into the accelerator's buffer;
2. `writeJamRegAddr(0x54, n)`: numReps, one AXI4-Lite write over the PS's GP port;
3. `ExecAccel()`: write ap_start, then read CTRL until ap_done is set, `usleep(1)` between
   two reads;
4. `copyBufferAccelToHost`: the results back.

Without that flag (BNN-PYNQ's default build, and its CNV test functions) the timer holds
step 3 only (`exec_accel_ps`). The paper's Table I is matched by the region with the
transfers (`timed_ps`): its gap to the kernel's cycles grows with the bytes a kernel reads
and writes.

The constants (one :class:`HostTiming` per board, golden/platform.py):

- `poll_sleep_ps`: the `usleep(1)` of ExecAccel's loop (BNN-PYNQ's code: 1 us);
- `reg_access_ps`: one register access from the ARM core through the GP port and the
  kernel's AXI4-Lite slave. Assumed (no datasheet figure states it); a run holds three of them
  plus one per poll period, so any value below 1 us moves a Table I row by under 0.1%;
- `copy_ps_per_byte`: the host's copy into and out of the accelerator's buffers, calibrated on
  ONE row of Table I, the CNV-W2A2 part 1 kernel (:func:`calibrate_copy_rate`), and checked
  on the other two (tests/test_host_timing.py).

The co-simulation's host (tb/host/driver.py) spends exactly these times in simulated time
around the RTL's own cycles; the planner adds them to every kernel start (netsim/planner.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class TimedRegion:
    """One kernel start as the host's timer sees it (picoseconds)."""
    copy_in_ps: float
    reg_writes_ps: float        # numReps and ap_start
    kernel_ps: float            # ap_start to ap_done: the kernel's own cycles
    poll_ps: float              # ap_done to the CTRL read that sees it returning
    copy_out_ps: float

    @property
    def exec_accel_ps(self) -> float:
        """ExecAccel() alone: the ap_start write, the kernel, the polling that sees ap_done."""
        return self.reg_writes_ps / 2 + self.kernel_ps + self.poll_ps

    @property
    def timed_ps(self) -> float:
        """The whole timed region, transfers included."""
        return self.copy_in_ps + self.reg_writes_ps + self.kernel_ps + self.poll_ps + self.copy_out_ps


@dataclass(frozen=True, kw_only=True)
class HostTiming:
    copy_ps_per_byte: float
    reg_access_ps: int
    poll_sleep_ps: int

    def __post_init__(self) -> None:
        for name in ("copy_ps_per_byte", "reg_access_ps", "poll_sleep_ps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"host timing: {name}: expected a finite time >= 0 ps, got {v!r}")

    @property
    def poll_period_ps(self) -> int:
        """One turn of ExecAccel's loop: a CTRL read, then usleep(1)."""
        return self.reg_access_ps + self.poll_sleep_ps

    def polls_until_done(self, kernel_ps: float) -> int:
        """How many poll periods after ap_start's write the CTRL read that sees ap_done starts:
        reads start at 0, P, 2P, ... and see the state at their end (start + one access)."""
        return max(0, math.ceil((kernel_ps - self.reg_access_ps) / self.poll_period_ps))

    def region(self, kernel_ps: float, in_bytes: int, out_bytes: int) -> TimedRegion:
        """The timed region of one kernel start that reads `in_bytes` and writes `out_bytes`
        and runs `kernel_ps` from ap_start to ap_done."""
        seen = self.polls_until_done(kernel_ps) * self.poll_period_ps + self.reg_access_ps
        return TimedRegion(copy_in_ps=in_bytes * self.copy_ps_per_byte, reg_writes_ps=2 * self.reg_access_ps,
                           kernel_ps=kernel_ps, poll_ps=seen - kernel_ps,
                           copy_out_ps=out_bytes * self.copy_ps_per_byte)


def calibrate_copy_rate(timing: HostTiming, measured_ps: float, kernel_ps: float, in_bytes: int,
                        out_bytes: int) -> float:
    """The copy rate (ps per byte) that makes the timed region of a kernel start equal a
    measured time: what is left of it after the kernel, the register accesses and the polling,
    over the bytes copied in and out."""
    fixed = timing.region(kernel_ps, 0, 0).timed_ps
    if measured_ps <= fixed or in_bytes + out_bytes <= 0:
        raise ValueError(f"a measured {measured_ps / 1e6:.2f} us leaves no time for copies after the kernel "
                         f"and the register accesses ({fixed / 1e6:.2f} us)")
    return (measured_ps - fixed) / (in_bytes + out_bytes)
