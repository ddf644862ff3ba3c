"""Loading a kernel's parameters through its register map, as BNN-PYNQ's host does
(FoldedMVLoadLayerMem: doInit = 1, one kernel start per 64-bit word), as fast as the bus
allows.

Per word only the registers that change are written (targetInd and val almost always,
targetLayer / targetMem / targetThresh when a new memory starts, val_hi when it changes),
then CTRL.ap_start. The writes are queued on the AXI4-Lite master without waiting for each
response; Python wakes up twice per word: when the start's write response is in, and when the
interrupt (ap_done) rises. The interrupt is acknowledged by a queued IP_ISR write (toggle on
write), which the bus completes before the next word's start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from cocotb.triggers import First, RisingEdge, Timer

from golden.network import Network
from golden.params import Params
from golden.stages import layer_stages
from golden.stages.mvau import folded_words
from tb.host.driver import AP_START, REG, KernelTimeout, PynqHost
from tb.jobs import progress as progress_report
from tb.jobs.export_wrapper import LOADER_ERRORS
from tb.jobs.stimulus import job_params

_ISR_DONE = 1


@dataclass
class LoadStats:
    words: int
    cycles: int
    wall_s: float

    @property
    def words_per_s(self) -> float:
        return self.words / self.wall_s if self.wall_s else 0.0


def layer_words(network: Network, params: Params, index: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(targetLayer, targetMem, targetInd, targetThresh, val) of every word of a layer, in the
    order BNN-PYNQ's host loads them: each of its stages' words (the MVAU's weights PE by PE,
    then its thresholds)."""
    for st in layer_stages(params.folding, index):
        yield from st.init_words(params[index])


def count_words(network: Network, params: Params, first: int, last: int) -> int:
    return sum(1 for i in range(first, last + 1) for _ in layer_words(network, params, i))


@dataclass(frozen=True)
class Write:
    """One AXI4-Lite register write of a parameter load; `start` marks a kernel start, after
    which the host waits for the write's response and the interrupt."""

    addr: int
    data: int
    start: bool = False
    word: int = -1          # the parameter word it belongs to (-1: the closing doInit = 0)


def init_writes(words: Iterable[tuple[int, int, int, int, int]]) -> Iterator[Write]:
    """The register writes that load `words` through init mode, in BNN-PYNQ's order
    (FoldedMVLoadLayerMem): per word only the registers that changed (doInit, targetLayer,
    targetMem, targetInd, targetThresh, val lo/hi), then CTRL.ap_start; after the interrupt
    an IP_ISR write acknowledges it (toggle on write); doInit = 0 at the end. Both loaders
    replay exactly this list."""
    shadow: dict[str, int] = {}
    n = -1
    for n, (layer, mem, ind, thresh, val) in enumerate(words):
        for name, value in (("doInit", 1), ("targetLayer", layer), ("targetMem", mem), ("targetInd", ind),
                            ("targetThresh", thresh), ("val", val & 0xFFFFFFFF), ("val_hi", (val >> 32) & 0xFFFFFFFF)):
            if shadow.get(name) != value:
                shadow[name] = value
                yield Write(REG[name], value & 0xFFFFFFFF, False, n)
        yield Write(REG["CTRL"], AP_START, True, n)
        yield Write(REG["IP_ISR"], _ISR_DONE, False, n)
    yield Write(REG["doInit"], 0, False, -1)


def write_list_file(writes: Iterable[Write], path: Path) -> int:
    """The list as tb/hdl/axilite_loader.sv reads it (`ADDR DATA START` in hex, one write a
    line); returns the number of lines."""
    lines = [f"{w.addr:x} {w.data:x} {int(w.start)}" for w in writes]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


async def load_words(host: PynqHost, writes: Iterable[Write], total: int,
                     progress: Callable[[int, int], None] | None = None, timeout_cycles: int = 2000) -> LoadStats:
    """The Python loader (V=1, and the reference the fast loader is tested against): the
    writes through the host's cocotbext-axi AXI4-Lite master, queued without waiting for each
    response; Python wakes twice per word (the start's response, the interrupt)."""
    ctrl = host.ctrl
    t0, c0 = time.perf_counter(), host.now_cycles()
    n = 0
    step = max(1, total // 100)
    last = None
    for w in writes:
        last = ctrl.init_write(w.addr, int(w.data).to_bytes(4, "little"))
        if not w.start:
            continue
        await last.wait()
        if not int(host.irq.value):
            await First(RisingEdge(host.irq), Timer(timeout_cycles * host.period_ns, "ns"))
            if not int(host.irq.value):
                raise KernelTimeout(f"{host.name}: parameter word {w.word}: no interrupt within "
                                    f"{timeout_cycles} cycles of ap_start: the kernel did not take it")
        n += 1
        if progress is not None and (n % step == 0 or n == total):
            progress(n, total)
    if last is not None:
        await last.wait()
    return LoadStats(n, host.now_cycles() - c0, time.perf_counter() - t0)


class LoaderError(AssertionError):
    """The fast loader stopped: the message names the list line, the word and the reason."""


async def load_fast(host: PynqHost, dut, writes: list[Write], total: int,
                    progress: Callable[[int, int], None] | None = None, poll_cycles: int = 20000,
                    kick: Callable[[], None] | None = None) -> LoadStats:
    """The fast loader: the writes (already in the list file the simulation was started with,
    see write_list_file) replayed by the wrapper's tb/hdl/axilite_loader.sv at bus speed.
    Python wakes every `poll_cycles` for the progress only, and `kick`s the watchdog when
    the load moved on (the host's own control bus is quiet meanwhile); a load that stops
    moving is ended by the loader itself, naming the word (LoaderError)."""
    def port(name: str):
        return getattr(dut, f"{host.prefix}bnnsplit_load_{name}")

    t0 = time.perf_counter()
    await RisingEdge(host.clk)
    port("start").value = 1
    await RisingEdge(host.clk)
    await RisingEdge(host.clk)
    seen = -1
    while not int(port("done").value):
        # A timer, not ClockCycles: that would wake Python on every clock edge.
        await First(RisingEdge(port("done")), Timer(poll_cycles * host.period_ns, "ns"))
        now = int(port("writes").value)
        if kick is not None and now != seen:
            kick()
        seen = now
        if progress is not None:
            progress(int(port("starts").value), total)
    port("start").value = 0
    err = int(port("error").value)
    if err:
        line = int(port("error_line").value)
        w = writes[line - 1] if 0 < line <= len(writes) else None
        what = f"list line {line}" + (f" (parameter word {w.word}, register 0x{w.addr:02x} = 0x{w.data:x})" if w else "")
        raise LoaderError(f"{host.name}: parameter load stopped at {what}: "
                          f"{LOADER_ERRORS.get(err, f'error {err}')}")
    starts = int(port("starts").value)
    if starts != total:
        raise LoaderError(f"{host.name}: the parameter load answered {starts} of {total} kernel starts")
    if progress is not None:
        progress(starts, total)
    return LoadStats(starts, int(port("cycles").value), time.perf_counter() - t0)


async def init_layer(host: PynqHost, index: int, weights: np.ndarray, thresholds: np.ndarray | None,
                     simd: int, pe: int, weight_bits: int = 2) -> int:
    """Load one layer given as arrays through AXI4-Lite init mode, as the PYNQ driver does;
    returns the words written. targetThresh selects the threshold of a neuron (one per neuron
    for 1-bit activations)."""
    words = list(folded_words(index, weights, thresholds, simd, pe, weight_bits))
    stats = await load_words(host, init_writes(words), len(words))
    host.forget_init_registers()
    return stats.words


async def load_layers(host: PynqHost, network: Network, params: Params, first: int, last: int,
                      progress: Callable[[int, int], None] | None = None) -> LoadStats:
    """Every parameter word of layers first..last."""
    total = count_words(network, params, first, last)
    return await load_words(host, layer_writes(network, params, first, last), total, progress)


def layer_writes(network: Network, params: Params, first: int, last: int) -> Iterator[Write]:
    """The register writes that load every parameter word of layers first..last."""
    return init_writes(w for i in range(first, last + 1) for w in layer_words(network, params, i))


def job_writes(network: str, params_dir: str | None, seed: int, first: int, last: int) -> tuple[list[Write], int]:
    """(writes, words) that load layers first..last of the job's parameters (the trained
    network in `params_dir` or the seeded synthetic one)."""
    params = job_params(network, params_dir, seed)
    net = params.network
    return list(layer_writes(net, params, first, last)), count_words(net, params, first, last)


async def load_job_parameters(log, host: PynqHost, network: str, params_dir: str | None, seed: int,
                              first: int, last: int, dut=None, progress_file: str | None = None,
                              kick: Callable[[], None] | None = None) -> LoadStats:
    """For a kernel whose memories start empty (a folder's export): every parameter word of
    its layers through doInit. With `dut` (a toplevel made by tb/jobs/export_wrapper.py and
    started with the list file) the fast loader replays them, else the Python loader; the
    progress goes to `progress_file` (the terminal's progress bar, tb/jobs/progress.py)."""
    writes, total = job_writes(network, params_dir, seed, first, last)
    how = "fast loader" if dut is not None else "Python loader"
    log.info("%s: loading %d parameter words of layers %d-%d through doInit (%s)", host.name, total, first,
             last, how)

    def progress(done: int, total: int) -> None:
        progress_report.report(progress_file, done, total, 0, unit="parameter words")
    if dut is not None:
        stats = await load_fast(host, dut, writes, total, progress, kick=kick)
    else:
        stats = await load_words(host, writes, total, progress)
    log.info("%s: parameters loaded (%s): %d words in %d cycles, %.1f s wall (%.0f words/s)",
             host.name, how, stats.words, stats.cycles, stats.wall_s, stats.words_per_s)
    return stats
