"""How a job reaches the cocotb side: one JSON file, named by one environment variable, holding
one typed record per job kind.

The host side (tb.jobs.kernel_job, tb.jobs.cosim, tb.perf.bench) builds a
:class:`KernelJobSpec` (one kernel run: tb/benches/tb_kernel.py and the benches configured
like it) or a :class:`SystemJobSpec` (a co-simulation, one :class:`BoardEntry` per board:
tb/benches/tb_system.py), writes it with :func:`write` and passes :func:`env` to the runner;
the bench inside the simulator reads it back with :func:`read` and uses its attributes.

The file is JSON by field name plus ``"kind"`` (``kernel`` or ``system``). Reading it back is
strict: an unknown field, a missing one, or a value of the wrong type is a
:class:`JobFileError` naming the file and the field (``boards[1].period_ps``), so the two
sides cannot drift apart silently. Paths in the job are absolute, so the simulation may run
anywhere. Two fields hold another module's own serialisation, as it writes and reads it:
``info`` (a kernel's kernel.json, hls_out/kernel.py) and ``topology``
(netsim.config.TopologyConfig.to_dict / from_dict).
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from golden.errors import BnnInputError

JOB_ENV = "BNNSPLIT_JOB"


class JobFileError(BnnInputError):
    """A job file that does not hold the job kind it should (names the file and the field)."""


# ---------------------------------------------------------------------------- kernel runs
@dataclass(frozen=True, kw_only=True)
class InitLayer:
    """A layer the bench loads through init mode (doInit) instead of the preload, with the
    folding its words are laid out by."""
    layer: int
    simd: int
    pe: int
    weight_bits: int


@dataclass(frozen=True, kw_only=True)
class InjectedBusError:
    """An error response of host memory on one image's part of a buffer."""
    buffer: str                   # "in" or "out"
    image: int
    resp: str                     # "SLVERR" or "DECERR"


@dataclass(frozen=True, kw_only=True)
class KernelJobSpec:
    """One kernel run (tb/jobs/kernel_job.py -> tb/benches/tb_kernel.py)."""
    kernel: str                   # the kernel's name (a generated kernel, or a folder's top)
    network: str
    first: int
    last: int
    info: dict                    # the kernel's kernel.json (hls_out/kernel.py)
    board: str                    # its platform (golden/platform.py)
    period_ps: int                # the platform's clock period
    npz: str                      # stimulus.npz (tb/jobs/stimulus.py)
    init_npz: str | None          # the weights and thresholds of `init_layers`
    report: str                   # where the bench writes the run's Result
    progress: str                 # the progress file (tb/jobs/progress.py)
    params: str | None            # folder of .bin files; None = the synthetic network of `seed`
    params_source: str            # what the report says the parameters were
    seed: int
    stall_seed: int | None        # random pauses on every AXI channel
    hold_writes: int              # cycles the host takes no write data in the batches
    host_timing: bool             # the host spends its timed region's costs (golden/host_timing.py)
    fill_fifos: bool              # ... until every FIFO of the kernel has been seen full
    init_layers: tuple[InitLayer, ...]
    bus_errors: tuple[InjectedBusError, ...]
    reps: tuple[int, ...]         # batch sizes (numReps) after the single image; () = the rest
    init_all: bool                # a folder's kernel: every parameter word through doInit
    loader: str | None            # with init_all: "fast" (the wrapper's SV loader) or "python"
    paper_latency_cycles: int | None


# ---------------------------------------------------------------------------- systems
@dataclass(frozen=True, kw_only=True)
class BoardEntry:
    """One board of a co-simulation and the kernel it runs."""
    name: str                     # the board's label (conv0, fc, s0b1, ...): its ports' prefix
    kernel: str
    role: str
    first: int
    last: int
    sources: tuple[str, ...]      # the kernel's source files
    export: bool                  # a folder's HLS export (its parameters loaded through doInit)
    ports: tuple[str, ...] | None  # an export's ports
    wrapper: str | None           # an export's host wrapper (tb/jobs/export_wrapper.py)
    words_in: int                 # memory words per image in and out
    words_out: int
    info: dict                    # the kernel's kernel.json (hls_out/kernel.py)
    period_ps: int                # its clock (the platform's, +-ppm)


@dataclass(frozen=True, kw_only=True)
class SystemJobSpec:
    """One co-simulation (tb/jobs/cosim.py -> tb/benches/tb_system.py)."""
    network: str
    last_layer: int
    board: str                    # the boards' platform (golden/platform.py)
    boards: tuple[BoardEntry, ...]
    topology: dict                # netsim.config.TopologyConfig.to_dict()
    npz: str
    summary: str
    trace: str
    progress: str
    pcap: str
    params: str | None
    params_source: str
    seed: int
    stall_seed: int | None
    host_timing: bool             # each board's host spends its timed region's costs
    timeout_ms: float
    warnings: tuple[str, ...]     # the fit check's, carried into the summary


KINDS: dict[str, type] = {"kernel": KernelJobSpec, "system": SystemJobSpec}


# ---------------------------------------------------------------------------- JSON
def to_json(spec) -> dict:
    """{"kind": ..., field: value, ...} of a job spec."""
    kind = next((k for k, c in KINDS.items() if isinstance(spec, c)), None)
    if kind is None:
        raise TypeError(f"not a job spec: {type(spec).__name__} (expected one of "
                        f"{', '.join(c.__name__ for c in KINDS.values())})")
    return {"kind": kind} | asdict(spec)


def from_json(data: Any, expect: type | None = None, where: str = "job") -> KernelJobSpec | SystemJobSpec:
    """The job spec a to_json() dict holds (of class `expect`, if given)."""
    if not isinstance(data, Mapping):
        raise JobFileError(f"{where}: expected a JSON object, got {type(data).__name__}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise JobFileError(f"{where}: field 'kind' is {kind!r}; expected one of {', '.join(KINDS)}")
    cls = KINDS[kind]
    if expect is not None and cls is not expect:
        raise JobFileError(f"{where}: a {kind} job; this bench runs {expect.__name__} jobs")
    return _build(cls, {k: v for k, v in data.items() if k != "kind"}, where, "")


def _build(cls, data: Any, where: str, path: str):
    if not isinstance(data, Mapping):
        raise JobFileError(f"{where}: field '{path}': expected an object ({cls.__name__}), got {data!r}")
    fields = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise JobFileError(f"{where}: unknown field '{path}{unknown[0]}' ({cls.__name__} has "
                           f"{', '.join(fields)})")
    missing = [k for k in fields if k not in data]
    if missing:
        raise JobFileError(f"{where}: missing field '{path}{missing[0]}' ({cls.__name__})")
    hints = typing.get_type_hints(cls)
    return cls(**{k: _value(hints[k], data[k], where, f"{path}{k}") for k in fields})


def _value(tp, v: Any, where: str, path: str):
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if v is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _value(inner[0], v, where, path)
    elif dataclasses.is_dataclass(tp):
        return _build(tp, v, where, f"{path}.")
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if isinstance(v, (list, tuple)):
            return tuple(_value(args[0], x, where, f"{path}[{i}]") for i, x in enumerate(v))
    elif tp is dict:
        if isinstance(v, Mapping):
            return dict(v)
    elif tp is bool:
        if isinstance(v, bool):
            return v
    elif tp is int:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    elif tp is float:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    elif tp is str:
        if isinstance(v, str):
            return v
    else:
        raise TypeError(f"job_file: no reader for field {path} of type {tp!r}")
    raise JobFileError(f"{where}: field '{path}': expected {_type_name(tp)}, got {v!r}"[:400])


def _type_name(tp) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is tuple:
        return f"a list of {_type_name(args[0])}"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


# ---------------------------------------------------------------------------- file and environment
def write(path: Path, spec: KernelJobSpec | SystemJobSpec) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(spec), indent=2))
    return path


def load(path: str | Path, expect: type | None = None) -> KernelJobSpec | SystemJobSpec:
    """The job spec in file `path` (of class `expect`, if given)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise JobFileError(f"job file {path}: cannot be read ({exc})") from None
    return from_json(data, expect, str(path))


def env(path: Path) -> dict[str, str]:
    return {JOB_ENV: str(path)}


def read(expect: type | None = None) -> KernelJobSpec | SystemJobSpec:
    """The job of the running simulation (inside cocotb), of class `expect` if given."""
    value = os.environ.get(JOB_ENV)
    if not value:
        raise RuntimeError(f"${JOB_ENV} is not set: this cocotb module runs jobs written by tb.jobs")
    return load(value, expect)
