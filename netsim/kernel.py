"""A board's accelerator kernel as a discrete-event server (no RTL needed).

Each PYNQ-Z1 board runs one FINN-style dataflow kernel (the full network, its part 1 or its
part 2, by role). The host driver starts it with ``numReps = B`` images; a batch of
``B`` images then takes ``latency + (B - 1) * interval`` cycles: ``latency`` is the time one
image needs to flow through the whole pipeline, ``interval`` the steady-state initiation
interval set by the slowest layer. Results are read back when the batch is done (``ap_done``).

The cycle counts come from the caller: analytic ones (the defaults below) or ones measured on
the RTL in Verilator. Defaults, at the clock of the board (golden/platform.py; the PYNQ-Z1's
100 MHz unless another platform's clock is given):

* latency = the paper's single-image execution times (Table I, in the network's module under
  golden/networks/), e.g. cnvW2A2's part 1 3480.23 us -> 348023 cycles;
* interval = the slowest layer's MVAU cycles per image (golden.cycles).

The server never looks at clock edges: it schedules the end of each batch.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable

from golden.platform import platform

from .events import Scheduler
from .simtime import cycles_to_ps


class KernelConfigError(ValueError):
    pass


@dataclass(frozen=True)
class KernelTiming:
    latency_cycles: int
    interval_cycles: int
    clock_hz: float = field(default_factory=lambda: platform().clock_hz)
    invoke_overhead_ps: int = 0  # driver cost per kernel start (register writes, buffer sync)

    def validate(self, name: str = "kernel") -> None:
        if self.latency_cycles <= 0 or self.interval_cycles <= 0:
            raise KernelConfigError(f"{name}: latency and interval cycles must be > 0, "
                                    f"got {self.latency_cycles}, {self.interval_cycles}")
        if self.clock_hz <= 0:
            raise KernelConfigError(f"{name}: clock must be > 0 Hz, got {self.clock_hz}")
        if self.invoke_overhead_ps < 0:
            raise KernelConfigError(f"{name}: invoke overhead must be >= 0")

    def batch_ps(self, images: int) -> int:
        """Duration of one kernel run over ``images`` images."""
        if images < 1:
            raise ValueError("a batch has at least one image")
        cycles = self.latency_cycles + (images - 1) * self.interval_cycles
        return self.invoke_overhead_ps + cycles_to_ps(cycles, self.clock_hz)


def default_timings(network=None, clock_hz: float | None = None) -> dict[str, KernelTiming]:
    """Timing of each kernel role (full, part1, part2) of a network's natural split: the
    paper's measured single-image latency (Table I) where the paper has the kernel, else the
    analytic sum of the layers' cycles (an upper bound: no overlap between layers); the
    interval is always the slowest layer's cycles (golden.cycles). At `clock_hz` (default:
    the default platform's clock)."""
    from golden import networks

    net = networks.get(network)
    return {role: stage_timing(net, first, last, clock_hz) for role, (first, last) in net.natural_ranges().items()}


def stage_timing(net, first: int, last: int, clock_hz: float | None = None, folding=None) -> KernelTiming:
    """Default timing of a kernel of layers first..last of `net` (a Network): Table I's
    latency where the paper measured that kernel, else the analytic sum of its layers in
    `folding` (default: the network's); at `clock_hz` (default: the default platform's clock)."""
    from golden.cycles import kernel_cycles
    from golden.folding import refolded

    folding = folding or net.folding
    cycles = kernel_cycles(first, last, folding)
    paper = None if refolded(folding, first, last) else net.paper_kernel(first, last)
    latency = paper.latency_cycles if paper else cycles.total
    return KernelTiming(latency, cycles.ii, platform().clock_hz if clock_hz is None else clock_hz)


DEFAULT_KERNELS: dict[str, KernelTiming] = default_timings()

Compute = Callable[[int, bytes], bytes]  # (image id, input payload) -> output payload
Done = Callable[[int, bytes], None]  # (image id, output payload)


class KernelServer:
    """Batches inputs and runs them through the kernel one batch at a time.

    A batch starts when the kernel is idle and ``min(batch, inputs still expected)`` inputs
    are queued, so the last batch of a job may be short. ``expected`` is the number of inputs
    this board will see in the job (the host dispatches round-robin, so it is known).
    """

    def __init__(self, sched: Scheduler, name: str, timing: KernelTiming, batch: int,
                 expected: int, compute: Compute, on_done: Done):
        timing.validate(name)
        if batch < 1:
            raise KernelConfigError(f"{name}: batch must be >= 1, got {batch}")
        self.sched = sched
        self.name = name
        self.timing = timing
        self.batch = batch
        self.expected = expected
        self.compute = compute
        self.on_done = on_done
        self.counters: Counter[str] = Counter()
        self.busy_ps = 0
        self._queue: deque[tuple[int, bytes]] = deque()
        self._started = 0
        self._running = False
        self._seen: set[int] = set()
        self.dead = False

    def submit(self, image_id: int, payload: bytes) -> None:
        if self.dead:
            self.counters["dropped_dead"] += 1
            return
        if image_id in self._seen:
            self.counters["duplicate_inputs"] += 1   # re-sent after a failover that was not one
            return
        self._seen.add(image_id)
        self.counters["inputs"] += 1
        self._queue.append((image_id, payload))
        self._maybe_start()

    def kill(self) -> None:
        """The board dies: queued inputs are lost, a running batch never completes."""
        self.dead = True
        self.counters["lost_in_queue"] += len(self._queue)
        self._queue.clear()

    def add_expected(self, n: int) -> None:
        """More inputs will come than planned (images re-sent here after a failover)."""
        self.expected += n
        self._maybe_start()

    def _maybe_start(self) -> None:
        if self._running or not self._queue:
            return
        want = min(self.batch, max(self.expected - self._started, 1))
        if len(self._queue) < want:
            return
        jobs = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
        self._started += len(jobs)
        self._running = True
        self.counters["invocations"] += 1
        self._launch(jobs)

    def _launch(self, jobs: list[tuple[int, bytes]]) -> None:
        """Run one batch; the model schedules its end (an RTL board runs the kernel instead)."""
        duration = self.timing.batch_ps(len(jobs))
        self.busy_ps += duration
        self.sched.call_later(duration, self._finish, jobs)

    def _finish(self, jobs: list[tuple[int, bytes]], outputs: list[bytes] | None = None) -> None:
        if self.dead:
            return
        self._running = False
        for k, (image_id, payload) in enumerate(jobs):
            self.counters["images"] += 1
            self.on_done(image_id, outputs[k] if outputs is not None else self.compute(image_id, payload))
        self._maybe_start()
