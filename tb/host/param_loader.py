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
from typing import Callable, Iterable, Iterator

import numpy as np
from cocotb.triggers import First, RisingEdge, Timer

from golden.network import Network
from golden.params import Params, fold_thresholds, fold_weights
from tb.host.driver import AP_START, REG, KernelTimeout, PynqHost

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
    order BNN-PYNQ's host loads them: weights PE by PE, then thresholds."""
    f, lp = params.folding, params[index]
    return folded_words(index, lp.weights, lp.thresholds, f.simd(index), f.pe(index),
                        network.layer(index).weight_bits)


def folded_words(index: int, weights: np.ndarray, thresholds: np.ndarray | None, simd: int, pe: int,
                 weight_bits: int = 2) -> Iterator[tuple[int, int, int, int, int]]:
    """The init-mode words of one layer given as arrays (see layer_words)."""
    words = fold_weights(weights, simd, pe, weight_bits)
    for p in range(pe):
        for i, w in enumerate(words[p]):
            yield 2 * index, p, i, 0, int(w)
    if thresholds is not None:
        per_pe = fold_thresholds(np.asarray(thresholds, dtype=np.int64), pe)
        for p in range(per_pe.shape[0]):
            for nf in range(per_pe.shape[1]):
                for t in range(per_pe.shape[2]):
                    yield 2 * index + 1, p, nf, t, int(per_pe[p, nf, t]) & (2**64 - 1)


def count_words(network: Network, params: Params, first: int, last: int) -> int:
    return sum(1 for i in range(first, last + 1) for _ in layer_words(network, params, i))


async def load_words(host: PynqHost, words: Iterable[tuple[int, int, int, int, int]], total: int,
                     progress: Callable[[int, int], None] | None = None, timeout_cycles: int = 2000) -> LoadStats:
    """Write every word through init mode; returns words, simulated cycles and wall time."""
    ctrl = host.ctrl
    shadow: dict[str, int] = {}
    t0, c0 = time.perf_counter(), host.now_cycles()

    def put(name: str, value: int) -> None:
        if shadow.get(name) != value:
            ctrl.init_write(REG[name], int(value & 0xFFFFFFFF).to_bytes(4, "little"))
            shadow[name] = value

    n = 0
    step = max(1, total // 100)
    for layer, mem, ind, thresh, val in words:
        put("doInit", 1)
        put("targetLayer", layer)
        put("targetMem", mem)
        put("targetInd", ind)
        put("targetThresh", thresh)
        put("val", val & 0xFFFFFFFF)
        put("val_hi", val >> 32)
        started = ctrl.init_write(REG["CTRL"], AP_START.to_bytes(4, "little"))
        await started.wait()
        if not int(host.irq.value):
            await First(RisingEdge(host.irq), Timer(timeout_cycles * host.period_ns, "ns"))
            if not int(host.irq.value):
                raise KernelTimeout(f"{host.name}: parameter word {n} (targetLayer {layer}, targetMem {mem}, "
                                    f"targetInd {ind}, targetThresh {thresh}): no interrupt within "
                                    f"{timeout_cycles} cycles of ap_start: the kernel did not take it")
        ctrl.init_write(REG["IP_ISR"], _ISR_DONE.to_bytes(4, "little"))
        shadow.pop("IP_ISR", None)
        n += 1
        if progress is not None and (n % step == 0 or n == total):
            progress(n, total)
    await host.write_reg("doInit", 0)
    return LoadStats(n, host.now_cycles() - c0, time.perf_counter() - t0)


async def load_layers(host: PynqHost, network: Network, params: Params, first: int, last: int,
                      progress: Callable[[int, int], None] | None = None) -> LoadStats:
    """Every parameter word of layers first..last."""
    total = count_words(network, params, first, last)
    words = (w for i in range(first, last + 1) for w in layer_words(network, params, i))
    return await load_words(host, words, total, progress)


async def load_job_parameters(log, host: PynqHost, network: str, params_dir: str | None, seed: int,
                              first: int, last: int) -> LoadStats:
    """For a kernel whose memories start empty (a folder's export): every parameter word of
    its layers, of the trained network in `params_dir` or the seeded synthetic one, with the
    progress in the log."""
    from tb.jobs.stimulus import job_params

    params = job_params(network, params_dir, seed)
    net = params.network
    total = count_words(net, params, first, last)
    log.info("%s: loading %d parameter words of layers %d-%d through doInit", host.name, total, first, last)

    def progress(done: int, total: int) -> None:
        if done % max(1, total // 10) == 0 or done == total:
            log.info("%s: parameters %d/%d words (%.0f%%)", host.name, done, total, 100 * done / total)
    stats = await load_layers(host, net, params, first, last, progress)
    log.info("%s: parameters loaded: %d words in %d cycles, %.1f s wall (%.0f words/s)",
             host.name, stats.words, stats.cycles, stats.wall_s, stats.words_per_s)
    return stats
