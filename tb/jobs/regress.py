"""Whole-test-set regressions of a split design in RTL, sharded on dask.distributed.

    python -m tb.jobs.regress --images 932 [--network NET] [--plan P | --boards N]
                              [--workers W] [--shard-images S] [--scheduler tls://host:8786]
                              [--allow-large]

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

Everything is checked here before anything goes to dask (a bad value is one line `error: ...`,
exit status 2): the plan or --boards, --images, --batch, --workers, the data, and bounds of
what this machine runs in reasonable time (at most MAX_BOARDS boards, MAX_REPLICAS replicas of a
stage, MAX_IMAGES images, MAX_WORKERS_PER_CORE LocalCluster workers per core; --allow-large or
BNNSPLIT_ALLOW_LARGE=1 lifts them). The scheduler address must be tcp://host:port or
tls://host:port and must answer within CONNECT_TIMEOUT_S. tls:// connects with mutual TLS
(dask.distributed.Security, require_encryption=True): $BNNSPLIT_DASK_TLS_CA (the CA that signed
the cluster's certificates), $BNNSPLIT_DASK_TLS_CERT and $BNNSPLIT_DASK_TLS_KEY (this client's
certificate and key), PEM files. tcp:// still works, with a warning: anyone who reaches such a
scheduler can run code on its workers, and the shards and results travel in clear.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import ssl
import sys
import time
from dataclasses import dataclass
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

# What this machine (2 cores) runs in reasonable time; --allow-large (BNNSPLIT_ALLOW_LARGE=1 for
# make) lifts these. Every board is one more kernel RTL in the single-threaded simulator of a
# shard (two boards simulate about 200k cycles per second here), every replica of a stage one
# more copy of that kernel; 932 images take about 6 minutes on 2 workers, so MAX_IMAGES (the
# CIFAR-10 test set) is about an hour; a LocalCluster worker is one simulator process, and
# more than MAX_WORKERS_PER_CORE of them per core only share the cores and multiply the memory.
MAX_BOARDS = 8
MAX_REPLICAS = 4
MAX_IMAGES = 10000
MAX_WORKERS_PER_CORE = 2
ALLOW_LARGE_ENV = "BNNSPLIT_ALLOW_LARGE"

# The scheduler: tcp://host:port or tls://host:port; it must answer within this many seconds
# (dask retries the connection until then), so that a wrong or dead address ends the command
# within 10 s: imports, checks and the client take another 3 s on this machine.
SCHEDULER_ENV = "DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 5.0
TLS_CA_ENV = "BNNSPLIT_DASK_TLS_CA"
TLS_CERT_ENV = "BNNSPLIT_DASK_TLS_CERT"
TLS_KEY_ENV = "BNNSPLIT_DASK_TLS_KEY"
_TLS_ROLES = {TLS_CA_ENV: "the CA certificate that signed the cluster's certificates",
              TLS_CERT_ENV: "this client's certificate", TLS_KEY_ENV: "its private key"}
_EXPECTED_ADDRESS = "expected tcp://host:8786 or tls://host:8786"


@dataclass(kw_only=True)
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
    allow_large: bool = False     # --allow-large: the co-simulation's own bounds are lifted too
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
                   first_image=shard.first, stall_seed=None, allow_large=shard.allow_large,
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
        out.append(Shard(index=k, first=first, images=min(shard_images, images - first), **common))
        k += 1
    return out


def _one_line(text: object, limit: int = 300) -> str:
    """An exception's message as one short line."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


@dataclass(frozen=True)
class SchedulerAddress:
    """A dask scheduler's address, checked: tcp:// or tls://, a host, a port 1-65535.
    `source` is what the user set (DASK_SCHEDULER or --scheduler), for the messages."""
    scheme: str
    host: str
    port: int
    source: str = SCHEDULER_ENV

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.address


_ADDRESS = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:\[(?P<v6>[^\]]*)\]|(?P<host>[^:/\[\]]*))"
                      r"(?::(?P<port>[^/]*))?/?")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


def parse_scheduler(text: str, source: str = SCHEDULER_ENV) -> SchedulerAddress:
    """`text` as a scheduler address, or BnnInputError (one line naming `source`, the value
    and what was expected)."""
    value = str(text).strip()

    def bad(why: str) -> BnnInputError:
        return BnnInputError(f"{source}={text!r}: {why}; {_EXPECTED_ADDRESS}")

    m = _ADDRESS.fullmatch(value)
    if not m:
        raise bad("no scheme://" if "://" not in value else "not of the form scheme://host:port")
    scheme = m["scheme"].lower()
    if scheme not in ("tcp", "tls"):
        raise bad(f"unsupported scheme {m['scheme']}://")
    host = m["v6"] if m["v6"] is not None else m["host"]
    if not host:
        raise bad("no host")
    if m["v6"] is not None:
        import ipaddress
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(f"[{host}] is not an IPv6 address") from None
    elif not _HOST.match(host):
        raise bad(f"{host!r} is not a host name or IP address")
    if m["port"] is None or m["port"] == "":
        raise bad("no port")
    if not m["port"].isdigit() or not 1 <= int(m["port"]) <= 65535:
        raise bad(f"port {m['port']!r} is not a number 1-65535")
    return SchedulerAddress(scheme, host, int(m["port"]), source)


def scheduler_security(addr: SchedulerAddress, environ=None):
    """The dask Security of a tls:// address (mutual TLS, encryption required) from
    $BNNSPLIT_DASK_TLS_CA/_CERT/_KEY, checked here: every variable set, every file there and a
    PEM file that loads. None for tcp:// (unauthenticated and unencrypted)."""
    if addr.scheme != "tls":
        return None
    environ = os.environ if environ is None else environ
    missing = [v for v in _TLS_ROLES if not str(environ.get(v) or "").strip()]
    if missing:
        raise BnnInputError(f"{addr.source}={addr.address}: a tls:// scheduler needs "
                            + ", ".join(f"{v} ({_TLS_ROLES[v]})" for v in missing) + " set to PEM files")
    files = {v: str(environ[v]).strip() for v in _TLS_ROLES}
    for v, f in files.items():
        if not Path(f).is_file():
            why = "is a folder" if Path(f).is_dir() else "no such file"
            raise BnnInputError(f"{v}={f!r}: {why} ({_TLS_ROLES[v]}, for {addr.source}={addr.address})")
        if not os.access(f, os.R_OK):
            raise BnnInputError(f"{v}={f!r}: not readable ({_TLS_ROLES[v]}, for {addr.source}={addr.address})")
    ca, cert, key = files[TLS_CA_ENV], files[TLS_CERT_ENV], files[TLS_KEY_ENV]
    try:
        ssl.create_default_context(cafile=ca)
    except (ssl.SSLError, ValueError) as exc:
        raise BnnInputError(f"{TLS_CA_ENV}={ca!r}: not a PEM CA certificate ({_one_line(exc)})") from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key)
    except (ssl.SSLError, ValueError) as exc:
        raise BnnInputError(f"{TLS_CERT_ENV}={cert!r}, {TLS_KEY_ENV}={key!r}: not a PEM certificate and its "
                            f"private key ({_one_line(exc)})") from None
    from distributed import Security
    return Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True)


def client_for(workers: int, scheduler: str | SchedulerAddress | None, timeout: float = CONNECT_TIMEOUT_S,
               environ=None):
    """A dask client: the given scheduler (tcp:// with a warning, tls:// with the
    BNNSPLIT_DASK_TLS_* certificates; it must answer within `timeout` s, else one line
    BnnInputError), or a LocalCluster of `workers` single-threaded worker processes (each
    co-simulation is one single-threaded simulator)."""
    from distributed import Client, LocalCluster

    if scheduler:
        addr = scheduler if isinstance(scheduler, SchedulerAddress) else parse_scheduler(scheduler)
        security = scheduler_security(addr, environ)
        if security is None:
            print(f"warning: {addr.source}={addr.address} is unauthenticated and unencrypted (anyone who can "
                  f"reach it can run code on its workers; shards and results travel in clear): use tls:// "
                  f"with {TLS_CA_ENV}, {TLS_CERT_ENV}, {TLS_KEY_ENV}", file=sys.stderr, flush=True)
        try:
            return Client(addr.address, timeout=timeout, security=security), None
        except (OSError, TimeoutError) as exc:
            signed = f" whose certificate the CA in {TLS_CA_ENV} signed" if security is not None else ""
            raise BnnInputError(f"{addr.source}={addr.address}: could not connect to a dask scheduler within "
                                f"{timeout:g} s ({_one_line(exc)}); {_EXPECTED_ADDRESS} of a running "
                                f"`dask scheduler`{signed}") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    return Client(cluster), cluster


def regress(shards: list[Shard], workers: int, scheduler: str | SchedulerAddress | None = None,
            retries: int = 2, progress: bool = True, connect_timeout: float = CONNECT_TIMEOUT_S,
            environ=None) -> dict:
    """Run every shard, merge what came back; shards that failed are reported by image.
    A scheduler that does not answer, or a bad address or TLS setup, is a BnnInputError
    before any shard is sent."""
    from distributed import as_completed

    total = sum(s.images for s in shards)
    t0 = time.perf_counter()
    client, cluster = client_for(workers, scheduler, timeout=connect_timeout, environ=environ)
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
    simulated = sum(p["images"] for p in per_shard if "error" not in p)   # failed shards ran no images
    return {"kind": "regression", "network": shards[0].network, "plan": shards[0].plan,
            "topology": shards[0].topology, "images": n, "mismatches": mismatches, "lost": lost,
            "duplicated": duplicated, "failed_shards": sum("error" in p for p in per_shard),
            "errors": errors, "error": errors[0] if errors else None,
            "wall_s": wall_s, "workers": workers, "simulated_images": simulated,
            "img_per_wall_s": simulated / wall_s if wall_s else None,
            "img_per_cpu_s": simulated / cpu_s if cpu_s else None, "shards": per_shard, "per_image": per_image}


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


def _allow_large_env(environ=None) -> bool:
    """$BNNSPLIT_ALLOW_LARGE: 1/yes/true lifts the bounds (for make), 0/no/false/unset does not."""
    environ = os.environ if environ is None else environ
    v = str(environ.get(ALLOW_LARGE_ENV, "")).strip().lower()
    if v in ("", "0", "no", "false", "off"):
        return False
    if v in ("1", "yes", "true", "on"):
        return True
    raise BnnInputError(f"{ALLOW_LARGE_ENV}={environ.get(ALLOW_LARGE_ENV)!r}: expected 1 or 0")


@dataclass(kw_only=True)
class Job:
    """A regression as asked for, checked on this host before anything goes to dask."""
    network: str
    topology: str
    plan: str | None
    images: int
    batch: int
    workers: int
    shard_images: int
    boards: int
    replicas: int


def check_job(*, network: str | None, plan: str | None, boards: int, images: int, batch: int, workers: int,
              shard_images: int | None = None, retries: int = 0, params: str | None = None,
              cifar: str | None = None, local: bool = True, allow_large: bool = False) -> Job:
    """The regression's values checked here (BnnInputError: one line naming the option, the
    value and what was expected), so that no bad job reaches the dask workers, where it
    would fail once per shard and be retried. `local`: the shards run on a LocalCluster of
    `workers` processes on this machine (else --workers only sizes the shards)."""
    from netsim.config import ConfigError, TopologyConfig

    net = networks.get(network)
    lift = "pass --allow-large (make: BNNSPLIT_ALLOW_LARGE=1) to run it anyway"
    for flag, v, least in (("--images", images, 1), ("--batch", batch, 1), ("--workers", workers, 1),
                           ("--shard-images", shard_images, 1), ("--retries", retries, 0)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < least):
            raise BnnInputError(f"{flag} {v}: expected a whole number >= {least}")
    if plan is None:
        if isinstance(boards, bool) or not isinstance(boards, int) or boards < 1:
            raise BnnInputError(f"--boards {boards} (BOARDS={boards} with make): expected 1 (one full board) or B >= 2 "
                                f"(B - 1 conv boards + one FC board)")
        if boards > MAX_BOARDS and not allow_large:     # before the plan is built for so many boards
            raise BnnInputError(f"--boards {boards}: more than the {MAX_BOARDS} boards this machine "
                                f"co-simulates in reasonable time; {lift}")
    topology = "full" if boards == 1 else f"split-{boards}"
    what = f"--plan {plan!r}" if plan is not None else f"--boards {boards}"
    try:
        cfg = TopologyConfig.from_dict({"topology": topology, "plan": plan, "images": images, "batch": batch,
                                        "network": net.name}).validate()
        stages = cfg.stages
    except ConfigError as exc:
        raise BnnInputError(f"{what}: {_one_line(exc)}") from None
    n_boards = sum(st.replicas for st in stages)
    widest = max(stages, key=lambda st: st.replicas)
    if not allow_large:
        if n_boards > MAX_BOARDS:
            raise BnnInputError(f"{what}: {n_boards} boards, more than the {MAX_BOARDS} this machine "
                                f"co-simulates in reasonable time; {lift}")
        if widest.replicas > MAX_REPLICAS:
            raise BnnInputError(f"{what}: {widest.replicas} replicas of layers {widest.first}-{widest.last}, more "
                                f"than the {MAX_REPLICAS} per stage this machine co-simulates in reasonable "
                                f"time; {lift}")
        if images > MAX_IMAGES:
            raise BnnInputError(f"--images {images}: more than the {MAX_IMAGES} this machine runs in about an "
                                f"hour; {lift}")
        cores = os.cpu_count() or 1
        if local and workers > MAX_WORKERS_PER_CORE * cores:
            raise BnnInputError(f"--workers {workers}: more than {MAX_WORKERS_PER_CORE} LocalCluster worker "
                                f"processes per core ({cores} core(s) here); {lift}")
    if params:
        if not Path(params).is_dir():
            raise BnnInputError(f"--params {params}: no such folder (BNN-PYNQ's .bin files of {net.name})")
        from tb.jobs.stimulus import job_params
        job_params(net, params, 1)        # the files there, and their shapes
    if cifar:
        if not Path(cifar).is_file():
            raise BnnInputError(f"--cifar {cifar}: no such file")
        if net.dataset == "CIFAR-10":     # (the MNIST networks' images are padded with synthetic ones)
            from golden.images import CIFAR_RECORD, read_cifar
            read_cifar(cifar, 1)          # its size is whole records
            held = Path(cifar).stat().st_size // CIFAR_RECORD
            if images > held:
                raise BnnInputError(f"--images {images}: {cifar} holds {held} images (expected --images <= "
                                    f"{held}, or --synthetic)")
    shard = shard_images or max(4, -(-images // (4 * workers)))
    return Job(network=net.name, topology=topology, plan=plan, images=images, batch=batch, workers=workers,
               shard_images=shard, boards=n_boards, replicas=widest.replicas)


class _Parser(argparse.ArgumentParser):
    """A bad option is one line too (`error: ...`, exit status 2), as every other bad value."""

    def error(self, message: str):
        print(f"error: {_one_line(message)} (python -m tb.jobs.regress --help)", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None, environ=None) -> int:
    environ = os.environ if environ is None else environ
    ap = _Parser(prog="python -m tb.jobs.regress", description=__doc__,
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=932)
    ap.add_argument("--network", default=networks.DEFAULT_NETWORK)
    ap.add_argument("--plan")
    ap.add_argument("--boards", type=int, default=2, help="the paper's shorthand when no --plan (default 2)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--shard-images", type=int, help="images per shard (default: images / (4 x workers), >= 4)")
    ap.add_argument("--scheduler", help=f"an existing dask scheduler, tcp://host:8786 or tls://host:8786 "
                    f"(default ${SCHEDULER_ENV}; none: a LocalCluster); tls:// needs ${TLS_CA_ENV}, "
                    f"${TLS_CERT_ENV}, ${TLS_KEY_ENV}")
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                    help=f"numReps of each kernel start (default {DEFAULT_BATCH}: the boards run at their "
                         f"pipelined interval; 1: one image per start, latency-bound)")
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--allow-large", action="store_true",
                    help=f"lift the bounds of this machine (boards {MAX_BOARDS}, replicas per stage "
                         f"{MAX_REPLICAS}, images {MAX_IMAGES}, {MAX_WORKERS_PER_CORE} LocalCluster workers per "
                         f"core; default ${ALLOW_LARGE_ENV}=1)")
    add_source_args(ap)
    args = ap.parse_args(argv)
    try:
        source, text = ("--scheduler", args.scheduler) if args.scheduler is not None else \
            (SCHEDULER_ENV, environ.get(SCHEDULER_ENV))
        scheduler = parse_scheduler(text, source) if text and text.strip() else None
        if scheduler is not None:
            scheduler_security(scheduler, environ)      # the TLS files, before anything else
        net = networks.get(args.network)
        params, cifar = source_paths(args, net.name)
        allow_large = args.allow_large or _allow_large_env(environ)
        job = check_job(network=net.name, plan=args.plan, boards=args.boards, images=args.images,
                        batch=args.batch, workers=args.workers, shard_images=args.shard_images,
                        retries=args.retries, params=params, cifar=cifar, local=scheduler is None,
                        allow_large=allow_large)
        shards = shards_of(job.images, job.shard_images, network=job.network, plan=job.plan,
                           topology=job.topology, params=params, cifar=cifar, batch=job.batch,
                           out_root=str(args.out), allow_large=allow_large)
        print(f"{job.images} images of {job.network} ({job.plan or job.topology}, {job.boards} boards) in "
              f"{len(shards)} shards on {scheduler or f'a LocalCluster of {job.workers} worker(s)'}", flush=True)
        summary = regress(shards, job.workers, scheduler, args.retries, environ=environ)
    except BnnInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    junit = write_junit(summary, args.out / "junit.xml")
    print(f"images {summary['images']}, mismatches {summary['mismatches']}, lost {summary['lost']}, "
          f"duplicated {summary['duplicated']}, failed shards {summary['failed_shards']}")
    print(f"wall {summary['wall_s']:.1f} s on {summary['workers']} worker(s): {summary['img_per_wall_s']:.2f} img/s, "
          f"{(summary['img_per_cpu_s'] or 0):.2f} img per CPU-second"
          + (f" (over the {summary['simulated_images']} images of the shards that ran)"
             if summary["failed_shards"] else ""))
    for e in summary["errors"][:10]:
        print(f"error: {e}")
    print(f"written: {args.out / 'summary.json'}, {junit}")
    ok = not (summary["mismatches"] or summary["lost"] or summary["duplicated"] or summary["errors"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
