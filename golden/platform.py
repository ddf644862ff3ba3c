"""The board a kernel runs on, as one object: every fact of the hardware platform that the
model, the generator, netsim's timing, the planner and the testbench read.

    from golden.platform import platform
    p = platform()                  # the default board (PYNQ-Z1)
    p = platform("pynq-z1")         # by name; an unknown name is a BnnInputError listing the known ones
    p.clock_hz, p.period_ps, p.mem_word_bits, p.hls_top, p.bram_tiles, p.link_bps, ...

A :class:`Platform` holds the fabric clock, the width of the memory words a kernel reads and
writes (the AXI4 master's data width), the HLS top every kernel exports (whose ports and
AXI4-Lite register map are hls_out/interface.py: the interface is the top's, one table with
its renderers, named here by the top), the FPGA's capacity (the partition planner's fit
check, hls_out/resources.py), the Ethernet port's line rate and the host software's cost per
message (netsim.config.LinkConfig's defaults) and what the host spends around each kernel start
inside its timer (`host_timing`: copies, register accesses, polling; golden/host_timing.py).

Where the platform is chosen: `Planner(board=...)` / `python -m netsim plan --board NAME`,
the `board` field of a co-simulation or kernel job (`python -m tb.jobs.cosim --board NAME`,
`python -m tb.jobs.kernel_job --board NAME`), which puts the clock period into the job file
(tb/jobs/job_file.py) for the simulator; `golden cycles --clock-mhz` for the cycle table. A
new board is an entry in PLATFORMS; a test may register one for its duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from golden.errors import BnnInputError, known
from golden.host_timing import HostTiming


@dataclass(frozen=True, kw_only=True)
class Platform:
    name: str
    part: str                     # the FPGA
    clock_hz: float               # the fabric clock the kernels run at
    mem_word_bits: int            # a memory word: the AXI4 master's data width (m_axi_hostmem)
    hls_top: str                  # the HLS top every kernel exports (hls_out/interface.py)
    # Capacity of the FPGA (what the planner's fit check compares a stage's resources with).
    lut: int
    lut_mem: int                  # LUTs usable as memory
    ff: int
    bram_tiles: int               # RAMB36 tiles (each two RAMB18)
    dsp: int
    link_bps: float               # the board's Ethernet port
    # The host's software cost per message (netsim: every node spends it per message).
    host_send_overhead_ps: int
    host_recv_overhead_ps: int
    # What the host spends around each kernel start inside its timer (golden/host_timing.py).
    host_timing: HostTiming

    def __post_init__(self) -> None:
        c = self.clock_hz
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0:
            raise BnnInputError(f"platform {self.name}: clock_hz: expected a finite clock frequency > 0 Hz, "
                                f"got {c!r}")
        if self.mem_word_bits != 64:
            raise BnnInputError(f"platform {self.name}: mem_word_bits={self.mem_word_bits!r}; the golden model "
                                f"and the testbench hold memory words as numpy uint64 (64 bits)")

    @property
    def period_ps(self) -> int:
        """One clock period in whole picoseconds (the simulator's time unit)."""
        return round(1e12 / self.clock_hz)

    @property
    def mem_word_bytes(self) -> int:
        return self.mem_word_bits // 8


PLATFORMS: dict[str, Platform] = {p.name: p for p in (
    # Digilent PYNQ-Z1 (Zynq-7020) as BNN-PYNQ and the BNNsplit paper use it: kernels at 100 MHz,
    # 64-bit memory words, Gigabit Ethernet; 10 us of host software per message each way.
    Platform(name="pynq-z1", part="xc7z020", clock_hz=100e6, mem_word_bits=64, hls_top="BlackBoxJam",
             lut=53200, lut_mem=17400, ff=106400, bram_tiles=140, dsp=220, link_bps=1e9,
             host_send_overhead_ps=10_000_000, host_recv_overhead_ps=10_000_000,
             # usleep(1) as BNN-PYNQ's ExecAccel asks; a GP-port register access assumed at 200 ns;
             # the copy rate calibrated on Table I's CNV-W2A2 part 1 row (348,023 cycles measured,
             # 325,592 cycles of RTL, 3,072 bytes in and 64 out): golden.host_timing.calibrate_copy_rate.
             host_timing=HostTiming(copy_ps_per_byte=71_055, reg_access_ps=200_000, poll_sleep_ps=1_000_000)),
)}
DEFAULT_PLATFORM = "pynq-z1"


def platform(name: str | Platform | None = None) -> Platform:
    """The platform called `name` (None: the default; a Platform is returned as it is)."""
    return name if isinstance(name, Platform) else known(PLATFORMS, name, DEFAULT_PLATFORM, "board")
