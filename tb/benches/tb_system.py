"""cocotb testbench of a whole BNNsplit system: every board's kernel in one Verilator run,
joined by netsim's Ethernet link model in simulation time. Configured by the job file that
tb/jobs/cosim.py writes ($BNNSPLIT_COSIM); writes the run's result next to it."""

from __future__ import annotations

import json
import os
from pathlib import Path
import sys

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Event, First, Timer

from netsim.config import TopologyConfig
from netsim.pcap import PcapRecorder
from netsim.topology import BnnSystem
from tb.bus.axi_checker import kernel_checkers
from tb.host.cocotb_scheduler import CocotbScheduler
from tb.jobs.kernel_job import kernel_info
from tb.benches.tb_kernel import WATCHDOG_CYCLES
from tb.bus.watchdog import Watchdog
from tb.host.driver import PynqHost
from tb.host.rtl_board import RtlBoard

@cocotb.test()
async def run_system(dut):
    job = json.loads(Path(os.environ["BNNSPLIT_COSIM"]).read_text())
    arrays = np.load(job["npz"])
    images, split, scores = arrays["images"], arrays["split"], arrays["scores"]
    n_images = len(images)
    config = TopologyConfig.from_dict(job["topology"])
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
    for board in job["boards"]:
        name, period_ps = board["name"], board["period_ps"]
        cocotb.start_soon(Clock(getattr(dut, f"{name}_ap_clk"), period_ps, unit="ps").start())
        host = hosts[name] = PynqHost(dut, prefix=f"{name}_", clock_period_ns=period_ps / 1000)
        hostmem, control = kernel_checkers(dut, name, fail_fast=False)
        checkers += [hostmem, control]
        Watchdog.for_kernel(dut, kernel_info(board["kernel"]), WATCHDOG_CYCLES, prefix=name,
                            buses=[hostmem, control], fail=False,
                            on_timeout=lambda d, h=host: h.abort(f"no progress for {WATCHDOG_CYCLES} cycles "
                                                                 f"(watchdog)\n{d}"))
    for h in hosts.values():
        await h.reset()
        if job.get("stall_seed") is not None:
            h.set_stalls(job["stall_seed"])
    if job.get("stall_seed") is not None:
        dut._log.info("random pauses on every AXI channel of every board, seed %d", job["stall_seed"])

    split_errors: list[str] = []

    def check_split(image_id: int, payload: bytes) -> None:
        if payload != split[image_id].tobytes():
            got = np.frombuffer(payload, np.uint8)
            k = int(np.flatnonzero(got != split[image_id])[0])
            split_errors.append(f"image {image_id}: split tensor differs from golden/ at byte {k} "
                                f"(got 0x{got[k]:02x}, expected 0x{split[image_id][k]:02x})")

    words = job["words"]
    boards: dict[str, RtlBoard] = {}
    progress = {"done": 0}

    def factory(name: str, kind: str, expected: int, on_done):
        b = RtlBoard(sched, name, hosts[name], config.batch, expected, words[kind]["in"],
                     words[kind]["out"], on_done, check_split if kind == "part2" else None,
                     on_failure=on_error_text)
        boards[name] = b
        return b

    golden = {"full": lambda k, img: scores[k].tobytes(), "part1": lambda k, img: split[k].tobytes(),
              "part2": lambda k, t: scores[k].tobytes()}
    recorder = PcapRecorder(job["pcap"], keep=True)
    system = BnnSystem(config, sched, [im.tobytes() for im in images], golden, recorder.record, factory)

    def completed(image_id: int) -> None:
        progress["done"] += 1
        bar = int(30 * progress["done"] / n_images)
        sys.stdout.write(f"\r[{'#' * bar}{'.' * (30 - bar)}] {progress['done']}/{n_images} images "
                         f"at {sched.now() / 1e6:.1f} us")
        sys.stdout.flush()
        if system.done:
            sys.stdout.write("\n")
            finished.set()

    system.on_complete = completed
    system.start()
    limit_ps = int(job["timeout_ms"] * 1e9)
    await First(finished.wait(), Timer(limit_ps, "ps"))
    recorder.close()
    lost = [k for k, t in enumerate(system.completed) if t is None]
    violations = [str(v) for chk in checkers for v in chk.violations]
    if violations:
        failures.append(f"{len(violations)} AXI protocol violation(s): {violations[0]}")
    result = {"lost": lost, "split_errors": split_errors, "failures": failures,
              "protocol_violations": violations,
              "timed_out": not failures and bool(lost)}
    if not lost:
        r = system.result()
        result |= {
            "submitted_ps": r.submitted_ps, "completed_ps": r.completed_ps,
            "arrival_order": r.arrival_order, "mismatches": r.mismatches,
            "scores": {str(k): np.frombuffer(v, "<i2").tolist() for k, v in r.scores.items()},
            "makespan_ps": r.makespan_ps, "throughput": r.throughput,
            "board_busy": r.board_busy, "link_utilisation": r.link_utilisation,
            "frames": r.frames, "retransmissions": r.retransmissions,
            "counters": {k: dict(v) for k, v in r.counters.items()},
            "summary": r.summary(),
        }
    result["boards"] = {name: {"intervals": b.intervals, "cycles": b.cycles} for name, b in boards.items()}
    result["frames_log"] = [(f.time_ps, f.wire, len(f.frame), f.corrupted, f.dropped)
                            for f in recorder.frames]
    with open(job["result"], "w") as fh:
        json.dump(result, fh)
    assert not failures, f"the system failed: {failures[0]}"
    assert not lost, f"{len(lost)} image(s) never completed within {job['timeout_ms']} ms: {lost[:10]}"
    assert not split_errors, "; ".join(split_errors[:5])
    assert not result["mismatches"], f"scores of images {result['mismatches']} differ from golden/"

