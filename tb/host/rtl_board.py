"""A board of the co-simulation: netsim's kernel server backed by the kernel's RTL.

Inputs that arrive over the link are queued and batched exactly as netsim's timed model
does (same `KernelServer` logic); a batch is then written into the board's AxiRam, run by
the board's host driver (program registers, start, wait for the interrupt) and the outputs
read back go out over the link. Busy intervals are recorded for the report and timeline.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import cocotb

from netsim.kernel import KernelServer, KernelTiming
from tb.host.driver import Buffer, KernelBusError, KernelTimeout, PynqHost


class RtlBoard(KernelServer):
    def __init__(self, sched, name: str, host: PynqHost, batch: int, expected: int,
                 in_words: int, out_words: int, on_done: Callable[[int, bytes], None],
                 check_input: Callable[[int, bytes], None] | None = None,
                 timeout_cycles: int = 5_000_000,
                 on_failure: Callable[[str], None] | None = None):
        # The timing is the RTL's own; the placeholder only satisfies the base class checks.
        super().__init__(sched, name, KernelTiming(1, 1), batch, expected, lambda i, p: b"", on_done)
        self.host = host
        self.in_words, self.out_words = in_words, out_words
        self.check_input = check_input
        self.timeout_cycles = timeout_cycles
        self.on_failure = on_failure
        self.in_buf = host.alloc(8 * in_words * batch, f"{name}.in", item_bytes=8 * in_words)
        self.out_buf = host.alloc(8 * out_words * batch, f"{name}.out", item_bytes=8 * out_words)
        self.intervals: list[tuple[int, int, list[int]]] = []   # (start ps, end ps, image ids)
        self.cycles: list[int] = []

    def submit(self, image_id: int, payload: bytes) -> None:
        if len(payload) != 8 * self.in_words:
            raise ValueError(f"{self.name}: image {image_id} payload has {len(payload)} bytes, "
                             f"the kernel reads {8 * self.in_words}")
        if self.check_input is not None:
            self.check_input(image_id, payload)
        super().submit(image_id, payload)

    def _launch(self, jobs: list[tuple[int, bytes]]) -> None:
        cocotb.start_soon(self._run(jobs))

    async def _run(self, jobs: list[tuple[int, bytes]]) -> None:
        n = len(jobs)
        self.host.mem.write(self.in_buf.addr, b"".join(p for _, p in jobs))
        t0 = self.sched.now()
        try:
            cycles = await self.host.run_batch(Buffer(self.in_buf.addr, 8 * self.in_words * n, self.in_buf.name),
                                               Buffer(self.out_buf.addr, 8 * self.out_words * n, self.out_buf.name),
                                               n, self.timeout_cycles * n)
        except (KernelTimeout, KernelBusError) as exc:
            if self.on_failure is None:
                raise
            self.on_failure(f"{self.name}, images {[i for i, _ in jobs]}: {exc}")
            return
        t1 = self.sched.now()
        self.busy_ps += t1 - t0
        self.cycles.append(cycles)
        self.intervals.append((t0, t1, [i for i, _ in jobs]))
        raw = self.host.mem.read(self.out_buf.addr, 8 * self.out_words * n)
        size = 8 * self.out_words
        self._finish(jobs, [bytes(raw[k * size:(k + 1) * size]) for k in range(n)])
