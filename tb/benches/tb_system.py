"""cocotb testbench of a whole BNNsplit system: every board's kernel in one Verilator run,
joined by netsim's Ethernet link model in simulation time. Configured by the job that
tb/jobs/cosim.py writes (tb/jobs/job_file.py): the (board, kernel) pairs, the topology and
the stimulus. Scoreboards check every cut tensor as it reaches the next board and the scores
as they reach the host; the run's Result goes to summary.json, the timeline data to trace.json.
"""

from __future__ import annotations

import gc
import json
import sys

import numpy as np
import cocotb
from cocotb.triggers import Event, First, Timer

from netsim.config import TopologyConfig
from netsim.pcap import PcapRecorder
from netsim.topology import BnnSystem
from tb.benches.tb_kernel import WATCHDOG_CYCLES
from tb.benches.kernel_probe import kernel_checkers, kernel_watchdog
from tb.bus.scoreboard import Scoreboard
from tb.host.cocotb_scheduler import CocotbScheduler
from tb.host.driver import PynqHost
from tb.host.rtl_board import RtlBoard
from tb.jobs import functional_coverage, job_file
from tb.jobs.clocking import start_clock
from tb.host.param_loader import load_job_parameters
from tb.jobs.progress import report as progress_report
from tb.jobs.result import ImageResult, Result
from tb.jobs.stimulus import job_params, words_key


@cocotb.test()
async def run_system(dut):
    job = job_file.read(job_file.SystemJobSpec)
    arrays = np.load(job.npz)
    last = job.last_layer
    boards_by_name = {b.name: b for b in job.boards}
    images = arrays[words_key("in", 0, last)]
    scores = arrays[words_key("out", 0, last)]
    n_images = len(images)
    config = TopologyConfig.from_dict(job.topology)
    failures: list[str] = []
    finished = Event()

    def on_error_text(text: str) -> None:
        failures.append(text)
        finished.set()

    def on_error(exc: BaseException) -> None:
        on_error_text(f"{type(exc).__name__}: {exc}")

    sched = CocotbScheduler(on_error)

    hosts: dict[str, PynqHost] = {}
    checkers = []
    buses: dict[str, tuple] = {}
    watchdogs: dict = {}
    for board in job.boards:
        name, period_ps = board.name, board.period_ps
        start_clock(dut, period_ps, f"{name}_ap_clk")   # the main loop's, or cocotb's
        host = hosts[name] = PynqHost(dut, prefix=f"{name}_", clock_period_ns=period_ps / 1000,
                                      host_timing=job.host_timing)
        hostmem, control = kernel_checkers(dut, name, fail_fast=False)
        control.requests_from(host.ctrl)
        checkers += [hostmem, control]
        buses[name] = (hostmem, control)
        if board.export:     # its host wrapper: loader idle; nothing inside is visible
            getattr(dut, f"{name}_bnnsplit_load_start").value = 0
        wd = kernel_watchdog(dut, board.info, WATCHDOG_CYCLES, prefix=name,
                             buses=[hostmem, control], fail=False,
                             # an export: nothing inside is visible; its wrapper brings out ap_idle
                             **({"scope": dut, "idle": getattr(dut, f"{name}_bnnsplit_ap_idle")}
                                if board.export else {}))
        watchdogs[name] = wd
        wd.on_timeout = lambda d, h=host, lim=wd.limit: h.abort(f"no progress for {lim} cycles (watchdog)\n{d}")
    for h in hosts.values():
        await h.reset()
        if job.stall_seed is not None:
            h.set_stalls(job.stall_seed)
    if job.stall_seed is not None:
        dut._log.info("random pauses on every AXI channel of every board, seed %d", job.stall_seed)
    # `make coverage`: every board's FIFOs, buses and registers, the link's faults
    # (tb/jobs/functional_coverage.py).
    coverages = ([functional_coverage.KernelCoverage(getattr(dut, f"u_{b.name}"), b.info, *buses[b.name],
                                                     dut._log) for b in job.boards]
                 if functional_coverage.enabled() else [])
    # A board running a folder's export starts with empty memories: the host loads them first.
    # Every export board's loader replays the writes at once (tb/hdl/axilite_loader.sv).
    param_loads = {}
    loading = {b.name: cocotb.start_soon(load_job_parameters(dut._log, hosts[b.name], job.network,
                                                             job.params, job.seed, b.first, b.last, dut=dut,
                                                             progress_file=job.progress,
                                                             kick=watchdogs[b.name].kick))
               for b in job.boards if b.export}
    for name, task in loading.items():
        stats = await task
        param_loads[name] = {"words": stats.words, "cycles": stats.cycles, "wall_s": stats.wall_s,
                             "words_per_s": stats.words_per_s}

    # One scoreboard per checkpoint: the tensor entering each stage that does not start at
    # the input (what crossed a link, whichever replica got it), and the scores at the host.
    stage_in: dict[int, Scoreboard] = {}
    for b in config.boards:
        if b.first > 0 and b.stage not in stage_in:
            stage_in[b.stage] = Scoreboard(f"tensor into stage {b.stage} (after layer {b.first - 1})",
                                           arrays[words_key("in", b.first, b.last)], repeats_ok=config.failover)
    boards_in = {b.name: stage_in[b.stage] for b in config.boards if b.stage in stage_in}
    at_host = Scoreboard("scores at host", scores)

    boards: dict[str, RtlBoard] = {}
    progress = {"done": 0}

    def factory(name: str, role: str, expected: int, on_done):
        b = boards_by_name[name]
        board_in = boards_in.get(name)
        check = (lambda k, payload, sb=board_in, n=name: sb.check(k, payload, where=n)) if board_in else None
        rtl = RtlBoard(sched, name, hosts[name], config.batch, expected, b.words_in, b.words_out,
                       on_done, check, on_failure=on_error_text)
        boards[name] = rtl
        return rtl

    # The timed model's own check of each result uses golden/'s words of every stage.
    def golden_out(first: int, last: int):
        out = arrays[words_key("out", first, last)]
        return lambda k, payload: out[k].tobytes()

    ranges = {(b.first, b.last) for b in job.boards}
    recorder = PcapRecorder(job.pcap, keep=True)
    system = BnnSystem(config, sched, [im.tobytes() for im in images],
                       {f"{a}-{b}": golden_out(a, b) for a, b in ranges}, recorder.record, factory)

    def completed(image_id: int) -> None:
        at_host.check(image_id, system.scores[image_id])
        progress["done"] += 1
        progress_report(job.progress, progress["done"], n_images, sched.now())
        dut._log.info("image %d back at the host at %.1f us (%d/%d)", image_id, sched.now() / 1e6,
                      progress["done"], n_images)
        if system.done:
            finished.set()

    def given_up(image_id: int) -> None:
        if system.done:
            finished.set()

    system.on_complete = completed
    system.on_lost = given_up
    gc.freeze()          # the setup's objects live to the end: kept out of the collector's walks
    system.start()
    limit_ps = int(job.timeout_ms * 1e9)
    await First(finished.wait(), Timer(limit_ps, "ps"))
    recorder.close()

    lost = [k for k, t in enumerate(system.completed) if t is None]
    lost_where = {k: system.lost.get(k, f"not back within {job.timeout_ms} ms") for k in lost}
    violations = [str(v) for chk in checkers for v in chk.violations]
    errors = list(failures)
    if violations:
        errors.append(f"{len(violations)} AXI protocol violation(s): {violations[0]}")
    boards_checks = list(stage_in.values()) + [at_host]
    for sb in boards_checks:
        errors += sb.errors()
    if lost and not failures:
        first = lost[0]
        errors.append(f"{len(lost)} image(s) lost: {lost[:10]}; image {first}: {lost_where[first]}")
    figures: dict = {"boards": [{"name": b.name, "kernel": b.kernel, "role": b.role, "first": b.first, "last": b.last}
                                for b in job.boards],
                     "protocol_violations": violations, "warnings": list(job.warnings),
                     "param_loads": param_loads,
                     "timed_out": not failures and any(k not in system.lost for k in lost),
                     "lost_where": {str(k): v for k, v in lost_where.items()},
                     "killed": system.killed,
                     "failovers": len([e for m in system.members for e in m.failovers]),
                     "resent": sum(len(e["resent"]) for m in system.members for e in m.failovers),
                     "failover_log": [e for m in system.members for e in m.failovers],
                     "kernel_cycles": {name: b.cycles for name, b in boards.items()},
                     # each run as the board's host timer sees it (golden/host_timing.py)
                     "host_timed_us": {name: [g["host_timed_us"] for g in h.regions] for name, h in hosts.items()},
                     "host_regions": {name: h.regions for name, h in hosts.items()}}
    plan = config.partition()
    stages = []
    for s, st in enumerate(plan.stages):
        members = [b for b in config.boards if b.stage == s]
        runs = sorted(iv for b in members for iv in boards[b.name].intervals) if all(b.name in boards for b in members) else []
        ends = [e for _, e, _ in runs]
        stages.append({
            "stage": s, "first": st.first, "last": st.last, "replicas": st.replicas, "role": plan.role(s),
            "boards": [b.name for b in members],
            "bytes_in_per_image": config.payload_bytes(st.first - 1),
            "bytes_out_per_image": config.payload_bytes(st.last),
            "kernel_cycles_mean": (sum(c for b in members for c in boards[b.name].cycles)
                                   / max(1, sum(len(boards[b.name].cycles) for b in members))) if runs else None,
            # Measured interval of the stage: time between its successive completions.
            "interval_us": (ends[-1] - ends[0]) / 1e6 / (len(ends) - 1) if len(ends) > 1 else None,
        })
    figures["plan"] = str(plan)
    figures["batch"] = config.batch
    figures["stages"] = stages
    latency = [None] * n_images
    if system.done:
        r = system.result()
        latency = [None if c is None else (c - s) / 1e6 for s, c in zip(r.submitted_ps, r.completed_ps)]
        figures |= {
            "throughput_img_s": r.throughput, "response_time_s": r.makespan_ps / 1e12,
            "board_busy": r.board_busy, "link_utilisation": r.link_utilisation,
            "frames": r.frames, "retransmissions": r.retransmissions,
            "counters": {k: dict(v) for k, v in r.counters.items()},
            "stage_busy": [sum(r.board_busy[n] for n in st["boards"]) / len(st["boards"]) for st in stages],
            # Image 0 crosses an empty pipeline: the single-image latency. The steady state is
            # taken from the end of the first wave of results (one per replica of the widest
            # stage) to the last one, so the pipeline's fill does not count.
            "single_image_latency_us": (r.completed_ps[0] - r.submitted_ps[0]) / 1e6
            if r.completed_ps[0] is not None else None,
            "steady_state_img_s": _steady_state(r.completed_ps, max(st.replicas for st in plan.stages)),
            "netsim_summary": r.summary(),
        }
    figures["latency_us"] = latency
    classes = arrays["classes"]
    labels = arrays["labels"] if "labels" in arrays else None
    per_image = []
    for k in range(n_images):
        wrong = [sb.mismatches[k] for sb in boards_checks if k in sb.mismatches]
        per_image.append(ImageResult(k, k not in lost and not wrong, int(classes[k]),
                                     None if labels is None else int(labels[k]), latency_us=latency[k],
                                     error=wrong[0] if wrong else ("lost" if k in lost else None)))
    result = Result(kind="system", network=job.network, name=config.label, params=job.params_source,
                    per_image=per_image, lost=lost,
                    duplicated=len(at_host.duplicated),
                    checkpoints={sb.name: sb.summary() for sb in boards_checks}, errors=errors, figures=figures)
    result.write(job.summary)
    if coverages:
        for c in coverages:
            c.finish()
        right = [im.image for im in per_image if im.match]
        if right:
            scores_rtl = np.stack([np.frombuffer(system.scores[k], dtype="<u8") for k in right])
            functional_coverage.sample_activations(job_params(job.network, job.params, job.seed),
                                                   0, last, images[right], scores_rtl)
        functional_coverage.export("system")
    trace = {"boards": {name: {"intervals": b.intervals, "cycles": b.cycles} for name, b in boards.items()},
             "frames_log": [(f.time_ps, f.wire, len(f.frame), f.corrupted, f.dropped) for f in recorder.frames]}
    with open(job.trace, "w") as fh:
        json.dump(trace, fh)
    assert result.error is None, f"the system failed: {result.error}"


def _steady_state(completed_ps: list, wave: int) -> float | None:
    done = sorted(c for c in completed_ps if c is not None)
    if len(done) <= wave or done[-1] <= done[wave - 1]:
        return None
    return (len(done) - wave) * 1e12 / (done[-1] - done[wave - 1])
