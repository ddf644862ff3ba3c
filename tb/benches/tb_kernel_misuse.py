"""Register programming errors on a generated kernel: what the driver refuses, and what the
RTL itself does when it is programmed badly anyway (it must never hang or write stray data).
Configured like tb_kernel (tb/jobs/job_file.py)."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from tb.jobs import job_file
from tb.jobs.clocking import start_clock
from tb.jobs.stimulus import words_key
from tb.host.driver import AP_IDLE, Buffer, KernelBusy, PynqHost, ProgrammingError

CANARY = 0xDEADBEEFDEADBEEF


async def setup(dut):
    cfg = job_file.read(job_file.KernelJobSpec)
    npz = np.load(cfg.npz)
    arrays = {"in_words": npz[words_key("in", cfg.first, cfg.last)],
              "expected": npz[words_key("out", cfg.first, cfg.last)]}
    start_clock(dut, cfg.period_ps)
    host = PynqHost(dut, clock_period_ns=cfg.period_ps / 1000)
    await host.reset()
    wi, wo = arrays["in_words"].shape[1], arrays["expected"].shape[1]
    inb = host.alloc(8 * wi * 2, "in", item_bytes=8 * wi)
    outb = host.alloc(8 * wo * 2, "out", item_bytes=8 * wo)
    host.write_words(inb, arrays["in_words"][:2])
    host.write_words(outb, np.full(2 * wo, CANARY, dtype=np.uint64))
    return host, arrays, inb, outb, wi, wo


@cocotb.test()
async def driver_refuses_bad_programming(dut):
    host, arrays, inb, outb, wi, wo = await setup(dut)
    cases = [
        (dict(num_reps=0), "numReps (0x5C) must be at least 1"),
        (dict(in_buf=Buffer(0, inb.size, "in")), "null address"),
        (dict(out_buf=Buffer(outb.addr + 4, outb.size, "out")), "not 8-byte aligned"),
        (dict(num_reps=3), "holds"),
    ]
    for kw, text in cases:
        args = dict(in_buf=inb, out_buf=outb, num_reps=1) | kw
        try:
            await host.run_batch(args["in_buf"], args["out_buf"], args["num_reps"], 10**6,
                                 in_bytes=8 * wi, out_bytes=8 * wo)
        except ProgrammingError as exc:
            assert text in str(exc), f"{kw}: unexpected message {exc}"
            dut._log.info("refused as expected: %s", exc)
        else:
            raise AssertionError(f"driver accepted {kw}")
    # Nothing reached the kernel: the output buffer still holds the canary.
    assert (host.read_words(outb, 2 * wo) == CANARY).all()


@cocotb.test()
async def start_while_busy(dut):
    host, arrays, inb, outb, wi, wo = await setup(dut)
    await host.write_reg("doInit", 0)
    await host.write_reg64("in", inb.addr)
    await host.write_reg64("out", outb.addr)
    await host.write_reg("numReps", 1)
    await host.write_reg("CTRL", 1)
    await ClockCycles(host.clk, 200)
    assert not (await host.read_reg("CTRL")) & AP_IDLE, "kernel should be busy"
    try:
        await host.start_and_wait(10**6, "second start")
    except KernelBusy as exc:
        assert "busy" in str(exc)
    else:
        raise AssertionError("driver started a busy kernel")
    # The first run still completes and is correct.
    if not int(host.irq.value):
        await RisingEdge(host.irq)
    got = host.read_words(outb, wo)
    assert np.array_equal(got, arrays["expected"][0]), "first run corrupted by the refused start"


@cocotb.test()
async def rtl_num_reps_zero(dut):
    """Bypassing the driver: numReps = 0 completes at once and touches no memory."""
    host, arrays, inb, outb, wi, wo = await setup(dut)
    await host.write_reg64("in", inb.addr)
    await host.write_reg64("out", outb.addr)
    await host.write_reg("numReps", 0)
    cycles = await host.start_and_wait(1000, "numReps=0")
    assert cycles < 100, f"numReps=0 took {cycles} cycles"
    assert (host.read_words(outb, 2 * wo) == CANARY).all(), "numReps=0 wrote to memory"
    # and the kernel works normally afterwards
    cycles = await host.run_batch(inb, outb, 1, 10**6)
    assert np.array_equal(host.read_words(outb, wo), arrays["expected"][0])
