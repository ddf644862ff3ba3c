"""Functional coverage of the regression: what the testbench saw the design do, next to
Verilator's line and toggle coverage of which RTL ran (`make coverage`, tb/jobs/coverage.py).

The model, on cocotb-coverage (coverpoints with bins in its `coverage_db`, YAML export and
merge). Every bin comes from the design's own description, none is copied here:

- ``activation.<network>.layer<L>``: every output level of every thresholded layer (golden/
  networks/: levels act_offset .. act_offset + num_thresholds: -1, 0, +1 for two thresholds,
  0 and 1 for one), seen in images the RTL computed right. A kernel's last layer is sampled
  from the words the RTL wrote (the kernel-output scoreboard's), the layers inside it from
  golden/'s taps of the words the RTL read (the RTL has no port for them); in a system, from
  golden/'s taps of the images that came back right, whose cut tensors the checkpoint
  scoreboards compared word by word.
- ``axi.hostmem.ar_beats`` / ``aw_beats``: the lengths of the read and write bursts the
  kernels' AXI4 master issued (1, 2-15, 16-255, 256 beats);
  ``axi.hostmem.backpressure`` / ``axilite.control.backpressure``: VALID high with READY low
  seen on each channel (AW, W, B, AR, R) of the AXI4 master and of the AXI4-Lite control port.
  From the counters of tb/bus/axi_checker.py's checkers, kept at handshakes.
- ``registers.read`` / ``registers.write``: every register of hls_out/interface.py's table,
  read and written on s_axi_control (the AXI4-Lite checker's accepted addresses).
- ``fifo.<kernel>.<fifo>``: every stream FIFO of a generated kernel (kernel.json's
  stream_fifo stages) seen full and drained empty (tb/bus/fifo_monitor.py, on value changes).
- ``faults.recovered``: every fault kind of netsim/faults.py (FAULT_COUNTERS), and a board
  failure, injected in a netsim run (pure Python or co-simulated) that then delivered every
  image exactly once and right.

A hit counts one kernel in one run (every board of a system counts; in the register
testbench one cocotb test) or one netsim job, in which the bin was seen.

Collection: with BNNSPLIT_COVERAGE=1 (`make coverage`; nothing is collected otherwise) every
simulation and every pytest process writes its coverage database to
build/coverage/func/<label>-<pid>-<start>.yml (the whole database, rewritten at each export,
so a process never counts twice); `python -m tb.jobs.coverage` merges them. Bins the
regression cannot hit are listed in :data:`OPEN` with the reason.
"""

from __future__ import annotations

import os
import time
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from cocotb_coverage.coverage import CoverPoint, coverage_db

from tb.jobs.runner import BUILD, coverage_enabled as enabled

__all__ = ["enabled", "install", "export", "sample", "declare", "points", "KernelCoverage",
           "sample_activations", "observe_run", "activation_bins", "burst_bin", "open_reason",
           "OPEN", "FUNC_DIR", "ROOT"]

FUNC_DIR = BUILD / "coverage" / "func"
ROOT = "bnnsplit"                      # the coverage_db node every point of the model is under

# Burst lengths in beats: a single beat, short, long, and AXI4's longest INCR burst.
BURST_BINS: tuple[tuple[int, int], ...] = ((1, 1), (2, 15), (16, 255), (256, 256))
BOARD_FAILURE = "board-failure"        # a board that dies mid-run (netsim's TopologyConfig.fail)

# Bins the regression leaves open, each with the reason: "<point>[<bin>]", where point and bin
# may be shell-style patterns (fnmatch); the report lists them apart from the gaps.
OPEN: dict[str, str] = {
    "axi.hostmem.backpressure[R]":
        "the kernel never holds RREADY low while RVALID is high: rtl/axi_mm2s.sv requests a "
        "burst only when its FIFO has room for every beat of it (credit count), so RREADY "
        "never has to drop",
    "axi.hostmem.backpressure[B]":
        "rtl/axi_s2mm.sv ties BREADY to 1 (write responses are only counted)",
    "axilite.control.backpressure[AR]":
        "rtl/axilite_ctrl.sv drops ARREADY only while RVALID holds the previous read's data, and "
        "the hosts (tb/host/driver.py, as PYNQ's blocking MMIO reads) issue a read only after the "
        "previous one's data arrived: no read is ever pipelined behind another",
    "axi.hostmem.ar_beats[1]":
        "not reached by the regression, exercised at unit level: a single-beat read needs a "
        "transfer starting one word before a 4 KiB boundary or ending one word after it; the "
        "hosts read whole images from 64-byte aligned buffers and no batch of the regression "
        "puts an end there. rtl/axi_mm2s.sv's single-beat bursts are run by "
        "tests/test_axi_mm2s.py (a read one word before a 4 KiB boundary)",
}


# ----------------------------------------------------------------------------- the model
def activation_bins(spec) -> list[str]:
    """The output levels of a thresholded layer (golden.network.LayerSpec), as bin names."""
    if not spec.thresholds:
        raise ValueError(f"layer {spec.index} has no thresholds: its outputs are scores, not levels")
    return [str(v) for v in range(spec.act_offset, spec.act_offset + spec.num_thresholds + 1)]


def burst_bin(beats: int) -> str:
    """The bin of a burst of `beats` beats ("1", "2-15", "16-255", "256")."""
    for lo, hi in BURST_BINS:
        if lo <= beats <= hi:
            return str(lo) if lo == hi else f"{lo}-{hi}"
    raise ValueError(f"an AXI4 burst has 1..256 beats, not {beats}")


def _burst_bins() -> list[str]:
    return [burst_bin(lo) for lo, _ in BURST_BINS]


def _fault_bins() -> list[str]:
    from netsim.faults import FAULT_COUNTERS
    return list(FAULT_COUNTERS) + [BOARD_FAILURE]


def static_points() -> dict[str, list[str]]:
    """The points whose bins do not depend on what runs: buses, registers, fault kinds."""
    from hls_out import interface
    from tb.bus.axi_signals import AXI4_CHANNELS, AXIL_CHANNELS

    regs = [r.name for r in interface.REGISTERS]
    return {"axi.hostmem.ar_beats": _burst_bins(), "axi.hostmem.aw_beats": _burst_bins(),
            "axi.hostmem.backpressure": list(AXI4_CHANNELS),
            "axilite.control.backpressure": list(AXIL_CHANNELS),
            "registers.read": regs, "registers.write": list(regs),
            "faults.recovered": _fault_bins()}


def activation_points(network) -> dict[str, list[str]]:
    """{point: bins} of every thresholded layer of a network (a name or golden Network)."""
    from golden import networks
    net = networks.get(network)
    return {f"activation.{net.name}.layer{s.index}": activation_bins(s) for s in net if s.thresholds}


def fifo_points(info: dict) -> dict[str, list[str]]:
    """{point: bins} of every stream FIFO of a generated kernel (its kernel.json as a dict)."""
    from hls_out.kernel import fifos
    from tb.bus.fifo_monitor import FIFO_EVENTS
    return {f"fifo.{info['name']}.{f.name}": list(FIFO_EVENTS) for f in fifos(info)}


def points() -> dict[str, list[str]]:
    """{point: bins} declared in this process so far (names without the root)."""
    out = {}
    for name, item in coverage_db.items():
        if name.startswith(ROOT + ".") and isinstance(item, CoverPoint):
            out[name[len(ROOT) + 1:]] = [str(b) for b in item.detailed_coverage]
    return out


# ----------------------------------------------------------------------------- sampling
def declare(name: str, bins: Sequence[str]) -> CoverPoint:
    """The coverpoint `name` (under the root) with these bins, created on first use; declaring
    it again with other bins is an error (the model changed under a running process)."""
    full = f"{ROOT}.{name}"
    bins = [str(b) for b in bins]
    if not bins or len(set(bins)) != len(bins):
        raise ValueError(f"coverpoint {name}: bins must be distinct and at least one, got {bins}")
    item = coverage_db.get(full)
    if item is None:
        item = CoverPoint(full, bins=bins)
        item._bnnsplit_sample = item(_observe)      # the sampling function of the point
    elif not isinstance(item, CoverPoint) or list(item.detailed_coverage) != bins:
        raise ValueError(f"coverpoint {name} exists with bins {list(getattr(item, 'detailed_coverage', []))}, "
                         f"not {bins}")
    return item


def _observe(value: str) -> None:
    """What cocotb-coverage wraps: the coverpoint matches `value` against its bins."""


def sample(name: str, bins: Sequence[str], seen: Iterable[str]) -> None:
    """One run saw these bins of point `name` (declared with `bins`): one hit each."""
    point = declare(name, bins)
    known = set(point.detailed_coverage)
    for value in dict.fromkeys(str(v) for v in seen):
        if value not in known:
            raise ValueError(f"coverpoint {name} has no bin {value!r} (bins: {', '.join(known)})")
        point._bnnsplit_sample(value)


def sample_activations(params, first: int, last: int, words_in: np.ndarray, words_out: np.ndarray) -> None:
    """Activation levels of layers first..last of `params`' network on the images given: the
    last layer's from `words_out` (the words the RTL wrote, checked by a scoreboard) unless
    a pool follows it, every other thresholded layer's from golden/'s taps of `words_in`
    (the words the RTL read). Both are (images, words per image); no image, no sample."""
    from golden.model import layer_name, run
    from golden.words import words_tensor

    net = params.network
    net.check_range(first, last)
    words_in, words_out = np.asarray(words_in, dtype=np.uint64), np.asarray(words_out, dtype=np.uint64)
    if len(words_in) != len(words_out):
        raise ValueError(f"{len(words_in)} images in, {len(words_out)} out")
    if not len(words_in):
        return
    spec_last = net.layer(last)
    from_rtl = spec_last.thresholds and not spec_last.pool_after
    codes: dict[int, np.ndarray] = {}
    tapped_last = last - 1 if from_rtl else last
    if tapped_last >= first:
        taps = run(params, words_tensor(net, first - 1, words_in), first, tapped_last, taps=True).taps
        for i in range(first, tapped_last + 1):
            codes[i] = taps[layer_name(net.layer(i))]
    if from_rtl:
        codes[last] = words_tensor(net, last, words_out)
    declared = activation_points(net)
    for i, c in codes.items():
        name = f"activation.{net.name}.layer{i}"
        if name in declared:
            sample(name, declared[name], (str(int(v)) for v in np.unique(c)))


def observe_run(result) -> None:
    """A netsim run's result (netsim.topology.RunResult): every fault kind that hit a frame,
    and a board failure, count as recovered when every image came back exactly once and right."""
    from netsim.faults import FAULT_COUNTERS

    recovered = not result.mismatches and not result.lost and result.images == result.config.images
    if not recovered:
        return
    wire = result.counters["wire"]
    seen = [kind for kind, counter in FAULT_COUNTERS.items() if wire[counter]]
    if result.killed:
        seen.append(BOARD_FAILURE)
    sample("faults.recovered", _fault_bins(), seen)


class KernelCoverage:
    """The coverage of one generated kernel in a running simulation (the DUT of a kernel
    bench, or one board of a system): its FIFOs watched from now on (start it out of reset),
    its buses through its AXI checkers; :meth:`finish` samples what they counted.

    Args:
        scope: the kernel instance (holding the FIFO signals its kernel.json's stages name).
        info: its kernel.json as a dict.
        hostmem, control: the AxiChecker on m_axi_hostmem and AxiLiteChecker on s_axi_control.
        log: where missing FIFO signals are reported (a real HLS export has none).
    """

    def __init__(self, scope, info: dict, hostmem, control, log=None):
        from tb.benches.kernel_probe import kernel_fifos
        from tb.bus.fifo_monitor import FifoMonitor

        install()
        self.kernel = info["name"]
        self.hostmem, self.control = hostmem, control
        self.fifos: list = []
        declared = fifo_points(info)
        for f in kernel_fifos(scope, info, log):     # a FIFO whose ports are not found is logged
            point = f"fifo.{self.kernel}.{f.name}"
            if point not in declared:
                continue
            declare(point, declared[point])
            self.fifos.append(FifoMonitor(point, f.in_ready, f.out_valid, f.count, on_event=self._fifo_event))

    @staticmethod
    def _fifo_event(point: str, event: str) -> None:
        from tb.bus.fifo_monitor import FIFO_EVENTS
        sample(point, FIFO_EVENTS, [event])

    def finish(self) -> None:
        """Sample what the bus checkers counted, stop watching the FIFOs."""
        static = static_points()
        for direction, ch in (("read", "ar"), ("write", "aw")):
            name = f"axi.hostmem.{ch}_beats"
            sample(name, static[name], (burst_bin(b) for b in self.hostmem.burst_beats[direction]))
        for name, checker in (("axi.hostmem.backpressure", self.hostmem),
                              ("axilite.control.backpressure", self.control)):
            sample(name, static[name], (ch for ch, c in checker.channels.items() if c.wait_cycles))
        sample_registers(self.control)
        for f in self.fifos:
            f.stop()


def sample_registers(control) -> None:
    """The registers an AxiLiteChecker on s_axi_control saw read and written (accesses to
    unmapped words are not registers and are left out)."""
    from hls_out import interface

    static = static_points()
    # The slave decodes the word address (ADDR[ADDR_WIDTH-1:WORD_LSB]): a byte address
    # inside a register's word is that register.
    word = ((1 << interface.ADDR_WIDTH) - 1) & ~((1 << interface.WORD_LSB) - 1)
    for kind in ("read", "write"):
        name = f"registers.{kind}"
        offsets = {a & word for a in control.accesses[kind]}
        sample(name, static[name], (interface.BY_OFFSET[a].name for a in sorted(offsets)
                                    if a in interface.BY_OFFSET))


# ----------------------------------------------------------------------------- collection
_STATE: dict = {"installed": False, "path": None}


def install() -> None:
    """Collect in this process (once): declare the points every run shares, listen to
    netsim's run results. Call it only when :func:`enabled`."""
    if _STATE["installed"]:
        return
    from netsim import topology

    for name, bins in static_points().items():
        declare(name, bins)
    if observe_run not in topology.RESULT_OBSERVERS:
        topology.RESULT_OBSERVERS.append(observe_run)
    _STATE["installed"] = True


def hits() -> int:
    """Bins with at least one hit in this process."""
    return sum(1 for item in coverage_db.values() if isinstance(item, CoverPoint)
               for n in item.detailed_coverage.values() if n)


def export(label: str = "run", folder: Path = FUNC_DIR) -> Path | None:
    """Write this process's coverage database (all of it, replacing its previous export) to
    `folder`/<label>-<pid>-<start>.yml; nothing when no bin was hit."""
    if not hits():
        return None
    path = _STATE["path"]
    if path is None or Path(path).parent != Path(folder):
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:60]
        path = _STATE["path"] = Path(folder) / f"{safe}-{os.getpid()}-{time.time_ns()}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    coverage_db.export_to_yaml(str(tmp))
    tmp.replace(path)
    return path


def _split(bin_name: str) -> tuple[str, str]:
    point, sep, rest = bin_name.rpartition("[")
    if not sep or not rest.endswith("]"):
        raise ValueError(f"{bin_name!r} is not a bin name of the form point[bin]")
    return point, rest[:-1]


def open_reason(bin_name: str) -> str | None:
    """Why "<point>[<bin>]" is left open (OPEN: shell-style patterns on the point and on
    the bin), or None if it is a gap."""
    point, b = _split(bin_name)
    for pattern, reason in OPEN.items():
        p_point, p_bin = _split(pattern)
        if fnmatchcase(point, p_point) and fnmatchcase(b, p_bin):
            return reason
    return None
