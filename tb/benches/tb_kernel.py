"""cocotb testbench of a generated kernel (hls_out/<name>): the host driver runs images
through it and every output word is compared with golden/ by the kernel-output scoreboard.
Configured by the job that tb/jobs/kernel_job.py writes (tb/jobs/job_file.py); writes the
run's Result (tb/jobs/result.py) to report.json."""

from __future__ import annotations

import gc

import numpy as np
import cocotb
from cocotb.triggers import Timer

from tb.benches.kernel_probe import kernel_checkers, kernel_fifos, kernel_watchdog
from tb.bus.fifo_monitor import FifosSeenFull
from tb.bus.scoreboard import Scoreboard
from tb.host.driver import Buffer, KernelBusError, KernelTimeout, PynqHost
from tb.jobs import functional_coverage, job_file
from tb.jobs.clocking import kernel_handle, start_clock
from tb.jobs.result import ImageResult, Result
from tb.jobs.stimulus import job_params, words_key
from tb.host.param_loader import LoaderError, init_layer, load_job_parameters
from tb.jobs import progress as progress_report

# No stream or bus of a kernel is quiet this long while it runs (the slowest stage, layer 8,
# writes a word every 512 cycles); the watchdog holds while the kernel is idle.
WATCHDOG_CYCLES = 50_000


@cocotb.test()
async def run_images(dut):
    cfg = job_file.read(job_file.KernelJobSpec)
    arrays = np.load(cfg.npz)
    first, last = cfg.first, cfg.last
    in_words, expected = arrays[words_key("in", first, last)], arrays[words_key("out", first, last)]
    classes = arrays["classes"]
    labels = arrays["labels"] if "labels" in arrays else None
    n, wi, wo = len(in_words), in_words.shape[1], expected.shape[1]
    exp_cycles = cfg.info["expected_cycles"]

    start_clock(dut, cfg.period_ps)     # the main loop's or the HDL wrapper's (tb/jobs/clocking.py)
    if hasattr(dut, "bnnsplit_load_start"):     # an export's host wrapper: its loader idle
        dut.bnnsplit_load_start.value = 0
    # a run that holds the output back measures the kernel alone (the hold counts from the start)
    host = PynqHost(dut, clock_period_ns=cfg.period_ps / 1000,
                    host_timing=cfg.host_timing and not (cfg.hold_writes or cfg.fill_fifos))
    # Passive AXI4 / AXI4-Lite protocol checkers on both ports, and a watchdog over every
    # stream of the kernel: a stall ends the run with a diagnostic of what each stage was doing.
    hostmem, control = kernel_checkers(dut, fail_fast=False)
    control.requests_from(host.ctrl)     # the host's own requests: no simulator callback while idle
    hold = cfg.hold_writes      # cycles the output is held back in the batch
    fill = cfg.fill_fifos       # ... until every FIFO has been seen full
    if fill and not hold:
        hold = 2 * (exp_cycles["sum"] + n * exp_cycles["initiation_interval"])
    watchdog = kernel_watchdog(dut, cfg.info, WATCHDOG_CYCLES + hold,
                               scope=kernel_handle(dut), buses=[hostmem, control], fail=False,
                               # an export's host wrapper brings out its ap_idle
                               **({"idle": dut.bnnsplit_ap_idle} if hasattr(dut, "bnnsplit_ap_idle") else {}),
                               on_timeout=lambda diag: host.abort(f"no progress for {watchdog.limit} cycles "
                                                                  f"(watchdog)\n{diag}"))
    await host.reset()
    # `make coverage`: the kernel's FIFOs, buses and registers (tb/jobs/functional_coverage.py).
    coverage = (functional_coverage.KernelCoverage(kernel_handle(dut), cfg.info, hostmem, control, dut._log)
                if functional_coverage.enabled() else None)
    fifos = FifosSeenFull(kernel_fifos(kernel_handle(dut), cfg.info, dut._log)) if fill else None
    if cfg.stall_seed is not None:
        host.set_stalls(cfg.stall_seed)
        dut._log.info("random pauses on every AXI channel, seed %d", cfg.stall_seed)
    init = np.load(cfg.init_npz) if cfg.init_npz else {}
    for il in cfg.init_layers:
        i = il.layer
        t = init[f"init{i}_thresholds"] if f"init{i}_thresholds" in init else None
        writes = await init_layer(host, i, init[f"init{i}_weights"], t, il.simd, il.pe, il.weight_bits)
        dut._log.info("layer %d loaded through init mode: %d AXI4-Lite words", i, writes)
    load = None
    if cfg.init_all:
        try:
            load = await load_job_parameters(dut._log, host, cfg.network, cfg.params, cfg.seed,
                                             cfg.first, cfg.last,
                                             dut=dut if cfg.loader == "fast" else None,
                                             progress_file=cfg.progress, kick=watchdog.kick)
        except (LoaderError, KernelTimeout) as exc:
            Result(kind="kernel", network=cfg.network, name=cfg.kernel, params=cfg.params_source,
                   errors=[str(exc)], figures={"input_error": str(exc)}).write(cfg.report)
            raise

    in_buf = host.alloc(8 * wi * n, "in", item_bytes=8 * wi)
    out_buf = host.alloc(8 * wo * n, "out", item_bytes=8 * wo)
    for e in cfg.bus_errors:     # injected error responses
        buf, size = (in_buf, 8 * wi) if e.buffer == "in" else (out_buf, 8 * wo)
        lo = buf.addr + e.image * size
        host.mem.add_error_range(lo, lo + size, "read" if e.buffer == "in" else "write", e.resp)
    host.write_words(in_buf, in_words)
    host.write_words(out_buf, np.full(wo * n, 0xDEADBEEFDEADBEEF, dtype=np.uint64))  # stale-data canary
    budget = 3 * exp_cycles["sum"] + 20000

    # What the setup made (the arrays, the bus models) lives to the end: out of the garbage
    # collector's sight, so its full collections do not walk it again and again (-0.08 CPU s
    # of 0.75 on cnv_part2's 20 images, `make bench`).
    gc.freeze()
    # Image 0 alone: single-image latency. Then each batch (numReps) of `reps` over images
    # 1..numReps (default: the rest as one batch): cycles per numReps, and the interval.
    bus_errors: list[str] = []
    timeouts: list[str] = []
    progress_report.report(cfg.progress, 0, 1 + sum(cfg.reps or [n - 1]), 0)
    try:
        lat = await host.run_batch(in_buf, out_buf, 1, budget)
    except KernelBusError as exc:
        bus_errors.append(str(exc))
        lat = None
    except KernelTimeout as exc:
        timeouts.append(str(exc))
        lat = None
    if cfg.init_all and lat is not None:
        # A folder's export: does it move the words per image the network says? (A wrong
        # NETWORK= or FIRST=/LAST= for the folder shows here, before any output is compared.)
        beats = hostmem.stats()["beats"]
        if (beats["read"], beats["write"]) != (wi, wo):
            text = (f"the export in {cfg.info.get('export_folder')} read {beats['read']} and wrote "
                    f"{beats['write']} 64-bit words for one image; layers {first}-{last} of {cfg.network} "
                    f"read {wi} and write {wo}: is NETWORK= (or FIRST=/LAST=) right for this export?")
            Result(kind="kernel", network=cfg.network, name=cfg.kernel, params=cfg.params_source, errors=[text],
                   figures={"input_error": text}).write(cfg.report)
            raise AssertionError(text)
    reps = list(cfg.reps or ([n - 1] if n > 1 else []))
    batches: dict[int, int] = {}
    batch_outputs: dict[int, np.ndarray] = {}
    runs_total = 1 + sum(reps)         # image runs of the whole job, for the progress bar
    runs_done = 1

    async def track(base: int, beats0: int) -> None:
        """Progress inside a long batch: the output words written so far (no per-cycle wake-up)."""
        while True:
            await Timer(20_000 * host.period_ns, "ns")
            written = hostmem.stats()["beats"]["write"] - beats0
            progress_report.report(cfg.progress, base + written // max(1, wo), runs_total,
                                   host.now_cycles() * cfg.period_ps)

    for r in reps:
        if timeouts:
            break
        rest_in = Buffer(in_buf.addr + 8 * wi, 8 * wi * r, "in[1:]")
        rest_out = Buffer(out_buf.addr + 8 * wo, 8 * wo * r, "out[1:]")
        if r != reps[0]:    # a later batch must write its outputs anew
            host.write_words(rest_out, np.full(wo * r, 0xDEADBEEFDEADBEEF, dtype=np.uint64))
        if hold:
            host.hold_writes(hold, until=fifos.all_full if fifos else None)
        tracker = cocotb.start_soon(track(runs_done, hostmem.stats()["beats"]["write"]))
        try:
            batches[r] = await host.run_batch(rest_in, rest_out, r,
                                              budget + hold + r * 2 * exp_cycles["initiation_interval"])
        except KernelBusError as exc:
            bus_errors.append(str(exc))
        except KernelTimeout as exc:
            timeouts.append(str(exc))
        tracker.cancel()
        batch_outputs[r] = host.read_words(rest_out, wo * r).reshape(r, wo)
        runs_done += r
        progress_report.report(cfg.progress, runs_done, runs_total, host.now_cycles() * cfg.period_ps)
    batch_cycles = batches.get(reps[-1]) if reps else None
    got = host.read_words(out_buf, wo * n).reshape(n, wo)
    longest = max(batch_outputs) if batch_outputs else 0
    if longest:
        got[1:1 + longest] = batch_outputs[longest]

    board = Scoreboard("kernel output", expected[:1 + longest])
    per_image = []
    for k in range(1 + longest):      # the images run: 0 alone, 1..numReps in the batches
        ok = board.check(k, got[k])
        per_image.append(ImageResult(k, ok, int(classes[k]), None if labels is None else int(labels[k]),
                                     cycles=lat if k == 0 else None, error=board.mismatches.get(k)))
        if not ok:
            dut._log.error("%s", board.mismatches[k])
    batch_errors = [f"batch of {r}: image {1 + k} differs from golden/"
                    for r, out in batch_outputs.items() if r != longest
                    for k in range(r) if not np.array_equal(out[k], expected[1 + k])]
    r_last = reps[-1] if reps else 0
    ii = (batch_cycles - lat) / (r_last - 1) if r_last > 1 and lat and batch_cycles else None
    # The steady state past the pipeline's fill: between the two largest batches.
    sizes = sorted(batches)
    steady = ((batches[sizes[-1]] - batches[sizes[-2]]) / (sizes[-1] - sizes[-2])
              if len(sizes) >= 2 else None)
    paper = cfg.paper_latency_cycles
    analytic_ii = exp_cycles["initiation_interval"]

    def region(num_reps: int) -> dict:
        """The host's timed region of the first run with this numReps (image 0's for 1)."""
        return next((g for g in host.regions if g["num_reps"] == num_reps), {})

    def model_batch(num_reps: int) -> int:
        from golden.cycles import batch_cycles
        from hls_out.kernel import kernel_folding
        return batch_cycles(first, last, kernel_folding(cfg.info), num_reps, cfg.info.get("hls_schedule"))

    violations = [str(v) for chk in (hostmem, control) for v in chk.violations]
    errors = []
    if violations:
        errors.append(f"{len(violations)} AXI protocol violation(s): {violations[0]}")
    errors += timeouts
    if bus_errors:
        errors.append(f"{len(bus_errors)} kernel run(s) saw memory error responses: {bus_errors[0]}")
    if board.mismatches:
        errors.append(f"{len(board.mismatches)} of {1 + longest} image(s) differ from golden/: "
                      + "; ".join(board.errors()))
    if batch_errors:
        errors.append(f"{len(batch_errors)} output(s) of smaller batches differ: {batch_errors[0]}")
    result = Result(kind="kernel", network=cfg.network, name=cfg.kernel, params=cfg.params_source,
                    per_image=per_image,
                    checkpoints={board.name: board.summary()}, errors=errors, figures={
                        "first": first, "last": last,
                        "latency_cycles": lat,
                        "analytic_sum_cycles": exp_cycles["sum"],
                        "analytic_interval_cycles": analytic_ii,
                        "paper_latency_cycles": paper,
                        "latency_vs_paper": (lat - paper) / paper if paper and lat else None,
                        "batch_images": r_last,
                        "batch_cycles": batch_cycles,
                        "batch_interval_cycles": ii,
                        "batches": [{"num_reps": r, "cycles": c, "model_cycles": model_batch(r),
                                     "host_timed_us": region(r).get("host_timed_us")}
                                    for r, c in sorted(batches.items())],
                        # image 0 alone, as the host's timer sees it (golden/host_timing.py)
                        "kernel_cycles": lat,
                        "host_timed_us": region(1).get("host_timed_us"),
                        "host_region": region(1),
                        "steady_interval_cycles": steady,
                        "interval_vs_analytic": (ii - analytic_ii) / analytic_ii if ii else None,
                        "stall_seed": cfg.stall_seed, "bus_errors": bus_errors,
                        "param_words_loaded": load.words if load else 0,
                        "param_load_cycles": load.cycles if load else 0,
                        "param_load_wall_s": load.wall_s if load else 0.0,
                        "param_words_per_s": load.words_per_s if load else None,
                        "param_loader": cfg.loader if load else None,
                        "protocol_violations": violations,
                        "bus_stats": {"hostmem": hostmem.stats(), "control": control.stats()}}
                    | ({"fifos_filled": fifos.filled, "fifos_not_filled": fifos.not_filled} if fifos else {}))
    result.write(cfg.report)
    if coverage is not None:
        coverage.finish()
        right = [im.image for im in per_image if im.match]
        functional_coverage.sample_activations(job_params(cfg.network, cfg.params, cfg.seed),
                                               first, last, in_words[right], got[right])
        functional_coverage.export(cfg.kernel)
    for e in bus_errors:
        dut._log.error("%s", e)
    assert result.error is None, result.error

