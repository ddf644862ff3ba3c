"""Configuration of a simulated BNNsplit system: link, transport, kernels and topology.

A system is a partition plan (:mod:`netsim.plan`: stages of contiguous layers, each on
``replicas`` boards; ``plan`` field, e.g. ``"0-3x2,4-5x2,6-8x1"``), or one of the paper's
shorthands (``topology`` field, used when no plan is given):

* ``full``    host -> one board running the whole network -> host (``full-N``: N full boards in parallel,
  round-robin, a baseline to compare splitting against);
* ``split``   host -> conv board (part 1) -> FC board (part 2) -> host;
* ``split-B`` B boards: B - 1 conv replicas -> one FC board (``split`` = ``split-2``, the paper's
  "3-PYNQ" = ``split-3``): the host dispatches images round-robin, the FC board re-orders
  results by image id before sending them back to the host. ``replicas`` counts conv replicas.

All times are integer picoseconds (:mod:`netsim.simtime`); :meth:`TopologyConfig.from_dict`
also accepts strings such as ``"50us"`` for any ``*_ps`` field. Everything is validated with
clear :class:`ConfigError` messages.
"""

from __future__ import annotations

import dataclasses
import decimal
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .faults import FaultConfig, FaultConfigError, GilbertElliott
from .frames import DEFAULT_MTU, MIN_MTU, PROTOCOLS
from .kernel import KernelConfigError, KernelTiming, default_timings, stage_timing
from .plan import Plan, PlanError, Stage
from .simtime import parse_duration
from .transport import TransportConfig, TransportConfigError

from golden.errors import BnnInputError
from golden.networks import DEFAULT_NETWORK
from golden.platform import platform


class ConfigError(BnnInputError):
    """A configuration that cannot be (a BnnInputError, so a ValueError too)."""


def _require(name: str, value: Any, kind: type | tuple[type, ...]) -> None:
    # bool is an int subclass; "images": true is a config mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{name} must be {names}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class LinkConfig:
    """Every cable in the system (host and boards all at the same Ethernet speed)."""

    rate_bps: float = field(default_factory=lambda: platform().link_bps)  # the board's Ethernet port
    mtu: int = DEFAULT_MTU
    protocol: str = "tcp"  # "tcp" or "udp" (UDP + 12-byte reliability shim)
    propagation_ps: int = 25_000  # ~5 m of cable at ~2e8 m/s
    switch: bool = True  # one store-and-forward switch; False = a direct cable per pair
    switch_latency_ps: int = 1_000_000  # 1 us forwarding latency beyond receiving the frame
    # The host software's cost per message sent / received (the platform's: 10 us each on PYNQ-Z1).
    host_send_overhead_ps: int = field(default_factory=lambda: platform().host_send_overhead_ps)
    host_recv_overhead_ps: int = field(default_factory=lambda: platform().host_recv_overhead_ps)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def validate(self) -> None:
        _require("rate_bps", self.rate_bps, (int, float))
        _require("mtu", self.mtu, int)
        for name in ("propagation_ps", "switch_latency_ps", "host_send_overhead_ps",
                     "host_recv_overhead_ps"):
            _require(name, getattr(self, name), int)
        if not self.rate_bps > 0:
            raise ConfigError(f"link rate must be > 0 b/s, got {self.rate_bps!r}")
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"unknown protocol {self.protocol!r}, expected one of {PROTOCOLS}")
        if not MIN_MTU <= self.mtu <= 9000:
            raise ConfigError(f"MTU must be in {MIN_MTU}..9000, got {self.mtu}")
        for name in ("propagation_ps", "switch_latency_ps", "host_send_overhead_ps",
                     "host_recv_overhead_ps"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        try:
            self.faults.validate()
        except FaultConfigError as e:
            raise ConfigError(f"faults: {e}") from None


@dataclass(frozen=True)
class Board:
    name: str
    stage: int
    replica: int
    first: int
    last: int
    role: str


_TOPOLOGY = re.compile(r"^(full|split)(?:-(-?\d+))?$")


@dataclass(frozen=True, kw_only=True)
class TopologyConfig:
    topology: str = "split"
    replicas: Optional[int] = None  # None: from the name ("split-3") or 1
    images: int = 20  # images in the job
    batch: int = 1  # images per kernel invocation (numReps)
    image_interval_ps: int = 0  # host submits image i at i * interval (0: whole job at t=0)
    seed: int = 0
    link: LinkConfig = field(default_factory=LinkConfig)
    transport: TransportConfig = field(default_factory=TransportConfig)
    # Timing per kernel role; None: the network's defaults (netsim.kernel.default_timings).
    kernels: Optional[Mapping[str, KernelTiming]] = None
    network: str = DEFAULT_NETWORK  # which network of the BNN-PYNQ family the boards run
    plan: Optional[str] = None  # stages "FIRST-LASTxREPLICAS,..."; overrides `topology`
    # Planned failures: (stage, replica, time_ps) — that board's kernel stops answering and
    # its cables go dark at that time. Any failure turns failover mode on.
    fail: tuple = ()
    failover: bool = False      # boards acknowledge processed inputs; dispatchers time out and re-send
    failover_timeout_ps: Optional[int] = None   # default: 3 batches of the stage + 1 ms

    def __post_init__(self) -> None:
        if self.kernels is None:
            object.__setattr__(self, "kernels", default_timings(self._network()))
        if isinstance(self.fail, str):
            object.__setattr__(self, "fail", parse_failures(self.fail))
        try:
            object.__setattr__(self, "fail", tuple(tuple(f) for f in self.fail))
        except TypeError:
            raise ConfigError(f"fail: expected 'STAGE:REPLICA@TIME_US,...' or (stage, replica, time_ps) "
                              f"triples, got {self.fail!r}") from None
        if self.fail and not self.failover:
            object.__setattr__(self, "failover", True)

    def failover_timeout(self, first: int, last: int) -> int:
        """How long a replica of a stage may hold inputs without finishing one before its
        dispatchers declare it dead."""
        if self.failover_timeout_ps is not None:
            return self.failover_timeout_ps
        return 3 * self.timing(first, last).batch_ps(self.batch) + 1_000_000_000

    # ---- derived ----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``"full"`` or ``"split"`` (the shorthands), ``"plan"`` for any other plan."""
        return "plan" if self.plan is not None else self._parse()[0]

    @property
    def n(self) -> int:
        """Replicas of the first stage (conv replicas of a split, full boards of full-N)."""
        return self.stages[0].replicas

    @property
    def label(self) -> str:
        """How the system is called in reports: the plan, or the shorthand's name."""
        return self.plan if self.plan is not None else self.topology

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.partition().stages

    def partition(self) -> Plan:
        """The plan of this system (the shorthands expand to the paper's plans)."""
        try:
            if self.plan is not None:
                _require("plan", self.plan, str)
                return Plan.parse(self.plan, self.network)
            kind, n = self._parse()
            if kind == "full":
                net = self._network()
                return Plan(self.network, (Stage(0, net.last, n),))
            return Plan.paper(self.network, n + 1)
        except PlanError as e:
            # "plan '0-2x1,4-8x1': stage 1 ..." -> "plan: '0-2x1,4-8x1': stage 1 ..."
            text = str(e)
            raise ConfigError(f"plan: {text[5:] if text.startswith('plan ') else text}") from None

    @property
    def boards(self) -> list[Board]:
        """Every board: its stage, replica index, layer range and the role of its kernel
        (full, part1, middle, part2). Names are labels: the paper's (full<i>, conv<i>, fc)
        for its shorthands, s<stage>b<replica> otherwise."""
        plan = self.partition()
        out = []
        for s, st in enumerate(plan.stages):
            role = plan.role(s)
            for r in range(st.replicas):
                if self.plan is None:
                    name = {"full": f"full{r}", "part1": f"conv{r}", "part2": "fc"}[role]
                else:
                    name = f"s{s}b{r}"
                out.append(Board(name, s, r, st.first, st.last, role))
        return out

    @property
    def board_names(self) -> list[str]:
        return [b.name for b in self.boards]

    def timing(self, first: int, last: int) -> KernelTiming:
        """Timing of a kernel of layers first..last: `kernels["first-last"]`, or the entry of
        its role when the range is that role's natural one, or the network's default."""
        net = self._network()
        key = f"{first}-{last}"
        if key in self.kernels:
            return self.kernels[key]
        role = net.role(first, last)
        if role in self.kernels and net.natural_ranges().get(role) == (first, last):
            return self.kernels[role]
        return stage_timing(net, first, last)

    def _network(self):
        from golden import networks
        from golden.errors import BnnInputError
        try:
            return networks.get(self.network)
        except BnnInputError as e:
            raise ConfigError(str(e)) from None

    def payload_bytes(self, after_layer: int | None = None) -> dict[str, int] | int:
        """Bytes per image leaving `after_layer` (-1: the input image); without it, those of
        the input image, the tensor of the network's natural cut and the scores."""
        net = self._network()
        if after_layer is not None:
            return 8 * net.words_per_image(after_layer)
        return {"image": 8 * net.words_per_image(-1), "tensor": 8 * net.words_per_image(net.natural_cut),
                "scores": 8 * net.words_per_image(net.last)}

    def _parse(self) -> tuple[str, int]:
        _require("topology", self.topology, str)
        if self.replicas is not None:
            _require("replicas", self.replicas, int)
        m = _TOPOLOGY.match(str(self.topology).strip().lower())
        if not m:
            raise ConfigError(f"unknown topology {self.topology!r}; expected full, split, "
                              f"split-B (B boards) or full-N")
        kind, num = m.group(1), m.group(2)
        n_name = int(num) if num is not None else None
        if kind == "split" and n_name is not None:
            # split-B counts boards, as the paper's "3-PYNQ": B - 1 conv replicas + 1 FC board.
            if n_name < 2:
                raise ConfigError(f"topology {self.topology!r}: a split system has at least 2 boards "
                                  f"(1 conv + 1 FC)")
            n_name -= 1
            if self.replicas is not None and n_name != self.replicas:
                raise ConfigError(f"topology {self.topology!r} says {n_name + 1} boards ({n_name} conv "
                                  f"replicas) but replicas={self.replicas}")
        elif n_name is not None and self.replicas is not None and n_name != self.replicas:
            raise ConfigError(f"topology {self.topology!r} says {n_name} replicas but "
                              f"replicas={self.replicas}")
        n = n_name if n_name is not None else (self.replicas if self.replicas is not None else 1)
        if n < 1:
            raise ConfigError(f"{kind} needs N >= 1 replicas, got {n}")
        return kind, n

    def validate(self) -> "TopologyConfig":
        self._network()
        plan = self.partition()
        for name in ("images", "batch", "image_interval_ps", "seed"):
            _require(name, getattr(self, name), int)
        if self.images < 1:
            raise ConfigError(f"images must be >= 1, got {self.images}")
        if self.batch < 1:
            raise ConfigError(f"batch must be >= 1, got {self.batch}")
        if self.image_interval_ps < 0:
            raise ConfigError(f"image_interval_ps must be >= 0, got {self.image_interval_ps}")
        self.link.validate()
        try:
            self.transport.validate()
        except TransportConfigError as e:
            raise ConfigError(f"transport: {e}") from None
        for name, k in self.kernels.items():
            try:
                k.validate(name)
            except KernelConfigError as e:
                raise ConfigError(str(e)) from None
        for st in plan.stages:
            try:
                self.timing(st.first, st.last).validate(str(st))
            except KernelConfigError as e:
                raise ConfigError(str(e)) from None
        for f in self.fail:
            if len(f) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in f):
                raise ConfigError(f"fail: expected (stage, replica, time_ps) integers, got {f!r}")
            stage, replica, at_ps = f
            if not 0 <= stage < len(plan.stages):
                raise ConfigError(f"fail {stage}:{replica}: the plan has stages 0-{len(plan.stages) - 1}")
            if not 0 <= replica < plan.stages[stage].replicas:
                raise ConfigError(f"fail {stage}:{replica}: stage {stage} ({plan.stages[stage]}) has replicas "
                                  f"0-{plan.stages[stage].replicas - 1}")
            if at_ps < 0:
                raise ConfigError(f"fail {stage}:{replica}: time must be >= 0, got {at_ps} ps")
        return self

    # ---- dict / JSON ------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TopologyConfig":
        """Build from nested dicts (e.g. parsed JSON); unknown keys are errors."""
        d = dict(d)
        link = dict(d.pop("link", {}) or {})
        faults = dict(link.pop("faults", {}) or {})
        burst = faults.pop("burst", None)
        if burst is not None:
            faults["burst"] = _build(GilbertElliott, burst, "link.faults.burst")
        if "down" in faults:
            faults["down"] = tuple(tuple(_ps(v, "down") if v is not None else None for v in iv)
                                   for iv in faults["down"])
        link["faults"] = _build(FaultConfig, faults, "link.faults")
        d["link"] = _build(LinkConfig, link, "link")
        d["transport"] = _build(TransportConfig, d.pop("transport", {}) or {}, "transport")
        network = d.get("network", DEFAULT_NETWORK)
        if not isinstance(network, str):
            raise ConfigError(f"network must be a name such as {DEFAULT_NETWORK!r}, got {network!r}")
        kernels = default_timings(network) if _known(network) else {}
        for name, k in (d.pop("kernels", {}) or {}).items():
            kernels[name] = k if isinstance(k, KernelTiming) else _build(KernelTiming, k, f"kernels.{name}")
        d["kernels"] = kernels
        return _build(cls, d, "config").validate()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **overrides: Any) -> "TopologyConfig":
        """Copy with fields changed by flat name, searched in this config, ``link``,
        ``link.faults`` and ``transport`` (e.g. ``replace(replicas=2, loss=0.05, rate_bps=1e8)``).
        ``host_overhead_ps`` sets both host overheads, ``invoke_overhead_ps`` every kernel's
        per-invocation driver cost."""
        top, link, faults, transport = {}, {}, {}, {}
        names = {f.name for f in dataclasses.fields(self)}
        for key, value in overrides.items():
            if key == "host_overhead_ps":
                link["host_send_overhead_ps"] = link["host_recv_overhead_ps"] = value
            elif key == "invoke_overhead_ps":
                top["kernels"] = {name: dataclasses.replace(k, invoke_overhead_ps=value)
                                  for name, k in self.kernels.items()}
            elif key in names:
                top[key] = value
            elif key in _field_names(LinkConfig):
                link[key] = value
            elif key in _field_names(FaultConfig):
                faults[key] = value
            elif key in _field_names(TransportConfig):
                transport[key] = value
            else:
                raise ConfigError(f"unknown config field {key!r}")
        new_link = dataclasses.replace(self.link, faults=dataclasses.replace(self.link.faults, **faults),
                                       **link)
        return dataclasses.replace(self, link=new_link,
                                   transport=dataclasses.replace(self.transport, **transport),
                                   **top).validate()


_FAIL_WHERE = re.compile(r"^\s*([0-9]+)\s*:\s*([0-9]+)\s*$")
# Standard decimal float syntax (Python's float() without nan/inf/underscores): 2000, 1.5,
# .5, 5., 1e12, 2.5E-3; then an optional unit.
_FAIL_TIME = re.compile(r"^\s*(\+?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_FAIL_UNITS = {"s": 10**12, "ms": 10**9, "us": 10**6, "ns": 10**3, "ps": 1}
_FAIL_FORMAT = "expected STAGE:REPLICA@TIME_US, e.g. 0:1@2000, 0:1@1.5ms or 0:1@2e3"


def _failure_time_ps(text: str, where: str) -> int:
    """'2000', '1.5ms', '1e12' -> picoseconds (bare numbers are us), or a clear ConfigError."""
    m = _FAIL_TIME.match(text)
    if not m:
        word = text.strip().lstrip("+-").lower()
        if re.fullmatch(r"(nan|inf|infinity)[a-z]*", word):
            raise ConfigError(f"{where}: time {text.strip()!r} is not a finite number; expected a time "
                              f">= 0 in us (or with a unit: s, ms, us, ns, ps)")
        if text.strip().startswith("-"):
            raise ConfigError(f"{where}: time {text.strip()!r} is negative; a failure happens at a time "
                              f">= 0 after the start")
        raise ConfigError(f"{where}: time {text.strip()!r} is not a number; {_FAIL_FORMAT}")
    number, unit = m.group(1), m.group(2) or "us"
    if unit not in _FAIL_UNITS:
        raise ConfigError(f"{where}: unknown time unit {unit!r}; expected s, ms, us (the default), ns or ps")
    if not math.isfinite(float(number)):
        raise ConfigError(f"{where}: time {number} {unit} is too large (beyond a finite float)")
    # Decimal keeps the decimal literal exact and copes with any exponent (1e-400 is 0 ps).
    with decimal.localcontext() as ctx:
        ctx.prec = max(28, len(number) + 20)
        ctx.Emin, ctx.Emax = decimal.MIN_EMIN, decimal.MAX_EMAX
        scaled = decimal.Decimal(number).scaleb(len(str(_FAIL_UNITS[unit])) - 1)
        return int(scaled.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def parse_failures(text: str) -> tuple:
    """'STAGE:REPLICA@TIME[,...]' (TIME in us, or with a unit: 1.5ms; any standard float
    syntax, finite and >= 0) -> ((stage, replica, ps), ...), or a ConfigError naming the
    entry, the value and what was expected."""
    text = str(text)
    if not text.strip():
        raise ConfigError(f"fail {text!r} is blank; {_FAIL_FORMAT}")
    out = []
    parts = text.split(",")
    for k, part in enumerate(parts):
        where = f"fail {part.strip()!r}" if len(parts) == 1 else \
            f"fail {text[:60]!r}{'...' if len(text) > 60 else ''}: entry {k} {part.strip()[:40]!r}"
        head, at, when = part.partition("@")
        m = _FAIL_WHERE.match(head)
        if not at or not m:
            raise ConfigError(f"{where}: {_FAIL_FORMAT}")
        stage, replica = m.groups()
        for name, digits in (("stage", stage), ("replica", replica)):
            if len(digits.lstrip("0")) > 9:
                raise ConfigError(f"{where}: {name} {digits[:20]}... is out of range; {_FAIL_FORMAT}")
        out.append((int(stage), int(replica), _failure_time_ps(when, where)))
    return tuple(out)


def _known(network: str) -> bool:
    from golden import networks
    return networks.is_known(network)


def _field_names(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _ps(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a duration, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as e:
            raise ConfigError(f"{name}: {e}") from None
    raise ConfigError(f"{name}: durations are int picoseconds or strings like '50us', got {value!r}")


def _build(cls, values: Any, where: str):
    if isinstance(values, cls):
        return values
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(values).__name__}")
    known = _field_names(cls)
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(known)}")
    kwargs = {k: (_ps(v, f"{where}.{k}") if k.endswith("_ps") and v is not None else v) for k, v in values.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}") from None
