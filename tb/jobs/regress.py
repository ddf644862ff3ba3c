"""Whole-test-set regressions of a split design in RTL, sharded on dask.distributed.

    python -m tb.jobs.regress --images 932 [--network NET] [--plan P | --boards N]
                              [--workers W] [--shard-images S] [--scheduler tcp://host:8786]

The images are cut into shards of consecutive images; each shard is one co-simulation
(tb.jobs.cosim: every board's kernel RTL, the Ethernet link, scoreboards at every cut and at
the host) run by a dask worker. Without --scheduler (or $DASK_SCHEDULER) a LocalCluster with
one single-threaded worker process per core runs them here; with it, the shards go to an
existing cluster (workers started on Slurm/LSF/PBS with dask-jobqueue, or with `dask worker`
on plain machines; they need this repository and its venv at the same path). Each worker
builds the system once: builds are cached by digest under build/sim_build/, shared by the
workers of a machine. A worker that dies has its shard re-run elsewhere (the scheduler's
retries); a shard that raises is reported with its images, never swallowed.

The shards' results merge into build/regress/summary.json (images, mismatches, lost,
duplicated, wall_s, workers, per shard its images, simulated cycles and img/s) and one JUnit
XML file with a test case per image (build/regress/junit.xml); a failing image is reported
with its id, the checkpoint and board where it went wrong and the first wrong word.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from golden import networks
from golden.errors import BnnInputError
from tb.jobs import runner
from tb.jobs.stimulus import add_source_args, source_paths

OUT = runner.BUILD / "regress"
# A regression is about throughput: each kernel start runs a batch of this many images
# (numReps), so a conv board works at its pipelined interval (116k cycles per image on
# cnv_part1) instead of its single-image latency (326k), and a batch is small enough that
# the next board's batch overlaps it.
DEFAULT_BATCH = 16


@dataclass
class Shard:
    index: int
    first: int
    images: int
    network: str
    plan: str | None
    topology: str
    params: str | None
    cifar: str | None
    seed: int = 1
    batch: int = 1
    out_root: str = str(OUT)
    # Test hook: the first attempt of this shard kills its worker process (a dying worker).
    die_once_flag: str | None = None
    raise_error: bool = False


def run_shard(shard: Shard) -> dict:
    """One co-simulation of images first..first+images-1 (in a dask worker, or here)."""
    from tb.jobs.cosim import CosimJob, run

    if shard.die_once_flag and not Path(shard.die_once_flag).exists():
        Path(shard.die_once_flag).write_text(f"shard {shard.index} killed its worker (pid {os.getpid()})\n")
        os._exit(17)
    if shard.raise_error:
        raise RuntimeError(f"shard {shard.index} (images {shard.first}..{shard.first + shard.images - 1}): "
                           f"raised on purpose")
    t0, c0 = time.perf_counter(), _cpu_s()
    job = CosimJob(topology=shard.topology, images=shard.images, params=shard.params, cifar=shard.cifar,
                   seed=shard.seed, batch=shard.batch, network=shard.network, plan=shard.plan,
                   first_image=shard.first, stall_seed=None,
                   out_dir=str(Path(shard.out_root) / f"shard-{shard.index:04d}"))
    r = run(job)
    d = r.to_json()
    return {"shard": shard.index, "first": shard.first, "wall_s": time.perf_counter() - t0,
            "cpu_s": _cpu_s() - c0, "host": os.uname().nodename, "pid": os.getpid(), "result": d}


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the simulator)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def shards_of(images: int, shard_images: int, **common) -> list[Shard]:
    out, k = [], 0
    for first in range(0, images, shard_images):
        out.append(Shard(k, first, min(shard_images, images - first), **common))
        k += 1
    return out


def client_for(workers: int, scheduler: str | None):
    """A dask client: the given scheduler, or a LocalCluster of `workers` single-threaded
    worker processes (each co-simulation is one single-threaded simulator)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    return Client(cluster), cluster


def regress(shards: list[Shard], workers: int, scheduler: str | None = None, retries: int = 2,
            progress: bool = True) -> dict:
    """Run every shard, merge what came back; shards that failed are reported by image."""
    from distributed import as_completed

    total = sum(s.images for s in shards)
    t0 = time.perf_counter()
    client, cluster = client_for(workers, scheduler)
    done_images, outcomes = 0, []
    try:
        n_workers = len(client.scheduler_info()["workers"])
        futures = {client.submit(run_shard, s, retries=retries, pure=False, key=f"shard-{s.index}"): s
                   for s in shards}
        for fut in as_completed(futures):
            s = futures[fut]
            try:
                outcomes.append(fut.result())
            except Exception as exc:      # reported, never swallowed
                outcomes.append({"shard": s.index, "first": s.first, "images_in_shard": s.images,
                                 "error": f"{type(exc).__name__}: {exc}"})
            done_images += s.images
            if progress:
                el = time.perf_counter() - t0
                rate = done_images / el if el else 0.0
                eta = (total - done_images) / rate if rate else 0.0
                bar = int(30 * done_images / total)
                print(f"\r[{'#' * bar}{'.' * (30 - bar)}] {done_images}/{total} images, {rate:.2f} img/s, "
                      f"ETA {eta:.0f} s", end="", flush=True)
        if progress:
            print()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return merge(shards, outcomes, time.perf_counter() - t0, n_workers)


def merge(shards: list[Shard], outcomes: list[dict], wall_s: float, workers: int) -> dict:
    by_shard = {o["shard"]: o for o in outcomes}
    per_image, per_shard, errors = [], [], []
    mismatches = lost = duplicated = 0
    cpu_s = 0.0
    for s in shards:
        o = by_shard.get(s.index, {"error": "no result"})
        if "error" in o:
            errors.append(f"shard {s.index} (images {s.first}..{s.first + s.images - 1}): {o['error']}")
            per_image += [{"image": s.first + k, "match": False, "error": f"shard {s.index} failed: {o['error']}"}
                          for k in range(s.images)]
            per_shard.append({"shard": s.index, "first": s.first, "images": s.images, "error": o["error"]})
            continue
        r = o["result"]
        mismatches += r["mismatches"]
        lost += r["lost"]
        duplicated += r["duplicated"]
        cpu_s += o["cpu_s"]
        errors += [f"shard {s.index}: {e}" for e in r["errors"]]
        for im in r["per_image"]:
            per_image.append(im | {"image": s.first + im["image"]})
        cycles = {b: sum(c) for b, c in (r.get("kernel_cycles") or {}).items()}
        per_shard.append({"shard": s.index, "first": s.first, "images": r["images"], "wall_s": o["wall_s"],
                          "cpu_s": o["cpu_s"], "host": o["host"], "kernel_cycles": cycles,
                          "sim_img_s": r.get("throughput_img_s"), "wall_img_s": r["images"] / o["wall_s"]})
    n = sum(s.images for s in shards)
    return {"kind": "regression", "network": shards[0].network, "plan": shards[0].plan,
            "topology": shards[0].topology, "images": n, "mismatches": mismatches, "lost": lost,
            "duplicated": duplicated, "failed_shards": sum("error" in p for p in per_shard),
            "errors": errors, "error": errors[0] if errors else None,
            "wall_s": wall_s, "workers": workers, "img_per_wall_s": n / wall_s if wall_s else None,
            "img_per_cpu_s": n / cpu_s if cpu_s else None, "shards": per_shard, "per_image": per_image}


def write_junit(summary: dict, path: Path) -> Path:
    """One JUnit test case per image (classname: the design, name: image id)."""
    cases = []
    suite = f"regress.{summary['network']}.{summary['plan'] or summary['topology']}".replace(",", "_")
    failures = 0
    for im in sorted(summary["per_image"], key=lambda i: i["image"]):
        name = f"image_{im['image']:05d}"
        if im.get("match"):
            cases.append(f'  <testcase classname={quoteattr(suite)} name="{name}"/>')
        else:
            failures += 1
            msg = im.get("error") or "differs from golden/"
            cases.append(f'  <testcase classname={quoteattr(suite)} name="{name}">'
                         f'<failure message={quoteattr(msg)}/></testcase>')
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuite name={quoteattr(suite)} '
           f'tests="{len(cases)}" failures="{failures}" time="{summary["wall_s"]:.1f}">\n'
           + "\n".join(cases) + "\n</testsuite>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(xml)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.jobs.regress", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=932)
    ap.add_argument("--network", default=networks.DEFAULT_NETWORK)
    ap.add_argument("--plan")
    ap.add_argument("--boards", type=int, default=2, help="the paper's shorthand when no --plan (default 2)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--shard-images", type=int, help="images per shard (default: images / (4 x workers), >= 4)")
    ap.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER"),
                    help="an existing dask scheduler (default $DASK_SCHEDULER; none: a LocalCluster)")
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                    help=f"numReps of each kernel start (default {DEFAULT_BATCH}: the boards run at their "
                         f"pipelined interval; 1: one image per start, latency-bound)")
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    add_source_args(ap)
    args = ap.parse_args(argv)
    try:
        net = networks.get(args.network)
        if args.images < 1 or args.workers < 1:
            raise BnnInputError("--images and --workers must be at least 1")
        params, cifar = source_paths(args, net.name)
        shard_images = args.shard_images or max(4, -(-args.images // (4 * args.workers)))
        topology = "full" if args.boards == 1 else f"split-{args.boards}"
        shards = shards_of(args.images, shard_images, network=net.name, plan=args.plan, topology=topology,
                           params=params, cifar=cifar, batch=args.batch, out_root=str(args.out))
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.images} images of {net.name} ({args.plan or topology}) in {len(shards)} shards on "
          f"{args.scheduler or f'a LocalCluster of {args.workers} worker(s)'}", flush=True)
    summary = regress(shards, args.workers, args.scheduler, args.retries)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    junit = write_junit(summary, args.out / "junit.xml")
    print(f"images {summary['images']}, mismatches {summary['mismatches']}, lost {summary['lost']}, "
          f"duplicated {summary['duplicated']}, failed shards {summary['failed_shards']}")
    print(f"wall {summary['wall_s']:.1f} s on {summary['workers']} worker(s): {summary['img_per_wall_s']:.2f} img/s, "
          f"{(summary['img_per_cpu_s'] or 0):.2f} img per CPU-second")
    for e in summary["errors"][:10]:
        print(f"error: {e}")
    print(f"written: {args.out / 'summary.json'}, {junit}")
    ok = not (summary["mismatches"] or summary["lost"] or summary["duplicated"] or summary["errors"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
