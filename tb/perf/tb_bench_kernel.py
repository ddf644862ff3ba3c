"""cocotb side of `make bench` (tb/perf/bench.py): one kernel run, timed inside the simulator.

Two tests, run one at a time (`testcase`):

- ``bench_tb_kernel``: the real testbench, tb/benches/tb_kernel.py's ``run_images`` (PYNQ host on
  cocotbext-axi, AXI protocol checkers, watchdog, report), started 1 ns into the simulation
  so that the time-0 evaluation, which runs the $readmemh preload of the parameters, is
  not counted. Its result (mismatches, latency) comes from the report it writes.
- ``bench_lean``: the PYNQ host alone (tb/host/driver.py), same images and sequence (reset, image 0
  alone, the rest as one numReps batch), timed from the end of reset to the last interrupt:
  the cost of the bus models and the clock without checkers and watchdog.

Both record wall time, process CPU time and simulated cycles of the timed part only (not
Python start-up, not the build) in $BNNSPLIT_BENCH_OUT. Configured by the job file of
tb/jobs/kernel_job.prepare (tb/jobs/job_file.py).

"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import Timer

from tb.jobs import job_file
from tb.jobs.result import Result
from tb.jobs.stimulus import words_key
import tb.benches.tb_kernel as kernel_tb   # a module object: its test is not collected here
from tb.jobs.clocking import start_clock
from tb.host.driver import Buffer, PynqHost

class _Stopwatch:
    def __init__(self, period_ps: int):
        self.period_ps = period_ps
        self.ps0 = get_sim_time("ps")
        self.t0, self.p0 = time.perf_counter(), time.process_time()

    def result(self, **extra) -> dict:
        wall, cpu = time.perf_counter() - self.t0, time.process_time() - self.p0
        cycles = int((get_sim_time("ps") - self.ps0) / self.period_ps)
        return {"sim_cycles": cycles, "sim_wall_s": wall, "sim_cpu_s": cpu,
                "cycles_per_s": cycles / wall if wall else 0.0,
                "cycles_per_cpu_s": cycles / cpu if cpu else 0.0, **extra}


def _write(result: dict) -> None:
    Path(os.environ["BNNSPLIT_BENCH_OUT"]).write_text(json.dumps(result))


@cocotb.test()
async def bench_tb_kernel(dut):
    cfg = job_file.read(job_file.KernelJobSpec)
    await Timer(1, "ns")          # past the time-0 evaluation ($readmemh preload)
    watch = _Stopwatch(cfg.period_ps)
    error = None
    try:
        await kernel_tb.run_images.func(dut)
    except AssertionError as exc:
        error = str(exc)
    report = Result.read(cfg.report) if Path(cfg.report).exists() else None
    _write(watch.result(testbench="tb.benches.tb_kernel", images=report.images if report else 0,
                        mismatches=report.mismatches if report else None,
                        latency_cycles=report.figures.get("latency_cycles") if report else None,
                        batch_cycles=report.figures.get("batch_cycles") if report else None, error=error))
    assert error is None, error


@cocotb.test()
async def bench_lean(dut):
    cfg = job_file.read(job_file.KernelJobSpec)
    arrays = np.load(cfg.npz)
    in_words = arrays[words_key("in", cfg.first, cfg.last)]
    expected = arrays[words_key("out", cfg.first, cfg.last)]
    n, wi, wo = len(in_words), in_words.shape[1], expected.shape[1]
    exp_cycles = cfg.info["expected_cycles"]

    start_clock(dut, cfg.period_ps)
    host = PynqHost(dut, clock_period_ns=cfg.period_ps / 1000)
    await host.reset()
    in_buf = host.alloc(8 * wi * n, "in", item_bytes=8 * wi)
    out_buf = host.alloc(8 * wo * n, "out", item_bytes=8 * wo)
    host.write_words(in_buf, in_words)
    host.write_words(out_buf, np.full(wo * n, 0xDEADBEEFDEADBEEF, dtype=np.uint64))
    budget = 3 * exp_cycles["sum"] + 20000

    watch = _Stopwatch(cfg.period_ps)
    lat = await host.run_batch(in_buf, out_buf, 1, budget)
    batch = 0
    if n > 1:
        rest_in = Buffer(in_buf.addr + 8 * wi, 8 * wi * (n - 1), "in[1:]")
        rest_out = Buffer(out_buf.addr + 8 * wo, 8 * wo * (n - 1), "out[1:]")
        batch = await host.run_batch(rest_in, rest_out, n - 1,
                                     budget + (n - 1) * 2 * exp_cycles["initiation_interval"])
    result = watch.result(testbench="lean (tb.host.driver only)", images=n, latency_cycles=lat,
                          batch_cycles=batch)
    got = host.read_words(out_buf, wo * n).reshape(n, wo)
    result["mismatches"] = int(sum(not np.array_equal(got[k], expected[k]) for k in range(n)))
    _write(result)
    assert result["mismatches"] == 0, f"{result['mismatches']} of {n} image(s) differ from golden/"
