"""Discrete-event model of a whole BNNsplit system: host, boards, network, no RTL.

Builds the topology of a :class:`~netsim.config.TopologyConfig` on a :class:`Network`:

* ``full-N``: host <-> full board i (image in, scores back on the same connection);
* ``split-B`` (B - 1 conv replicas + 1 FC board): host -> conv board i (images), conv i -> FC board (64-byte split tensors),
  FC board -> host (scores). The FC board re-orders its results by image id before sending
  them, so the host receives scores in image order.

The host submits image ``k`` at ``k * image_interval_ps`` to board ``k mod N`` (round robin).
Each board's accelerator is a :class:`~netsim.kernel.KernelServer`; what it computes is a
pluggable function (default: deterministic hash stubs, so the host can check every result
came back for the right image; pass the golden model's functions to carry real data). The
per-image cycle counts come from the config (analytic defaults or numbers measured on RTL).

:func:`run` runs the system on a pure-Python :class:`~netsim.events.EventLoop` and returns a
:class:`RunResult`: per-image latency, throughput, board busy %, link utilisation, frame and
retransmission counts.
"""

from __future__ import annotations

import hashlib
import random
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence

from .config import TopologyConfig
from .events import EventLoop, Scheduler
from .kernel import Compute, KernelServer
from .failover import Dispatcher, StageMembers
from .messages import Message, MessageType, done_message, image_message, tensor_message
from .network import Network
from .simtime import PS_PER_S, format_duration
from .transport import Endpoint
from .wire import Tap


class ProtocolError(RuntimeError):
    """A board received a message it has no business receiving."""


# ---- placeholder computations (deterministic, so results can be checked end to end) ------

def synthetic_image(image_id: int, size: int, seed: int = 0) -> bytes:
    return random.Random(f"{seed}/image/{image_id}").randbytes(size)


# ---- results ---------------------------------------------------------------------------

@dataclass(kw_only=True)
class RunResult:
    config: TopologyConfig
    submitted_ps: list[int]
    completed_ps: list[int]
    arrival_order: list[int]  # image ids in the order their scores reached the host (any order)
    scores: dict[int, bytes]
    mismatches: list[int]  # image ids whose scores differ from the reference computation
    end_ps: int  # when the simulation went idle (trailing ACKs included)
    board_busy_ps: dict[str, int]
    cpu_busy_ps: dict[str, int]
    wire_busy_ps: dict[str, int]
    counters: dict[str, Counter]
    lost: dict[int, str] = field(default_factory=dict)       # image -> where it was given up
    failovers: list[dict] = field(default_factory=list)      # replicas declared dead, re-sent images
    killed: list[dict] = field(default_factory=list)         # the planned failures that happened
    duplicates: int = 0                                      # results that came back twice (ignored)
    delivered_order: list[int] = field(default_factory=list)  # as handed on by the host: image order

    @property
    def resent(self) -> int:
        return sum(len(e["resent"]) for e in self.failovers)

    @property
    def images(self) -> int:
        """Images whose scores came back (lost ones are in `lost`)."""
        return sum(c is not None for c in self.completed_ps)

    @property
    def makespan_ps(self) -> int:
        """First image submitted -> last scores delivered to the host (the job's response time)."""
        done = [c for c in self.completed_ps if c is not None]
        return max(done) - min(self.submitted_ps) if done else 0

    @property
    def latencies_ps(self) -> list[int]:
        return [c - s for s, c in zip(self.submitted_ps, self.completed_ps) if c is not None]

    @property
    def throughput(self) -> float:
        """Images per second over the whole job."""
        return self.images * PS_PER_S / self.makespan_ps if self.makespan_ps else 0.0

    @property
    def board_busy(self) -> dict[str, float]:
        span = self.makespan_ps or 1
        return {k: v / span for k, v in self.board_busy_ps.items()}

    @property
    def link_utilisation(self) -> dict[str, float]:
        """Share of the simulated time (until the network went idle) each cable direction was
        busy; frames queued behind the last result still count, so this never exceeds 1."""
        span = max(self.end_ps, self.makespan_ps, 1)
        return {k: v / span for k, v in self.wire_busy_ps.items()}

    @property
    def frames(self) -> int:
        """Frames put on a cable (a frame crossing a switch counts once per cable)."""
        return self.counters["wire"]["frames"]

    @property
    def retransmissions(self) -> int:
        return self.counters["transport"]["retransmissions"]

    def latency_stats_s(self) -> dict[str, float]:
        lat = sorted(self.latencies_ps) or [0]
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / PS_PER_S  # noqa: E731
        return {"mean": statistics.fmean(lat) / PS_PER_S, "min": lat[0] / PS_PER_S,
                "p50": pct(0.5), "p95": pct(0.95), "max": lat[-1] / PS_PER_S}

    def row(self) -> dict[str, float | int]:
        """Flat numbers for tables and sweeps."""
        lat = self.latency_stats_s()
        w, n, s, t = (self.counters[k] for k in ("wire", "node", "switch", "transport"))
        return {
            "throughput": self.throughput,
            "makespan_s": self.makespan_ps / PS_PER_S,
            "lat_mean_s": lat["mean"],
            "lat_max_s": lat["max"],
            "busy_max": max(self.board_busy.values()),
            "link_max": max(self.link_utilisation.values(), default=0.0),
            "frames": w["frames"],
            "retrans": t["retransmissions"],
            "lost": w["lost"] + w["burst_lost"] + w["down_dropped"],
            "corrupt_drop": n["fcs_errors"] + s["fcs_dropped"],
            "dup_discard": t["duplicates_discarded"],
        }

    def summary(self) -> str:
        c = self.config
        lk = c.link
        lat = self.latency_stats_s()
        w, n, s, t = (self.counters[k] for k in ("wire", "node", "switch", "transport"))
        if c.kind == "full":
            shape = f"{c.n} full board(s)"
        elif c.kind == "split":
            shape = f"{c.n} conv + 1 FC boards"
        else:
            shape = f"{len(c.stages)} stages on {c.partition().boards} boards"
        name = c.label if c.kind == "plan" else f"{c.kind}-{c.n if c.kind == 'full' else c.n + 1}"
        util = self.link_utilisation
        busiest = max(util, key=util.get) if util else "-"
        lines = [
            f"topology {name} ({shape}) of {c.network}, {self.images} images, batch {c.batch}, "
            f"{lk.rate_bps / 1e9:g} Gb/s {lk.protocol.upper()}, "
            f"{'switch' if lk.switch else 'direct cables'}",
            f"response time {self.makespan_ps / PS_PER_S:.6f} s, throughput {self.throughput:.1f} img/s",
            "latency per image: " + ", ".join(f"{k} {v * 1e3:.3f} ms" for k, v in lat.items()),
            "board busy: " + ", ".join(f"{k} {v:.1%}" for k, v in self.board_busy.items()),
            "host/board CPU busy: " + ", ".join(f"{k} {v / (self.makespan_ps or 1):.1%}"
                                                for k, v in self.cpu_busy_ps.items()),
            f"link utilisation: max {util.get(busiest, 0):.2%} on {busiest}",
            f"frames on cables {w['frames']} ({n['tx_frames']} sent by nodes, "
            f"{t['data_frames']} data incl. {t['retransmissions']} retransmissions "
            f"[{t['timeouts']} timeouts, {t['fast_retransmits']} fast, "
            f"{t['partial_ack_retransmits']} partial-ack], {t['acks_sent']} ACKs)",
            f"faults: lost {w['lost']}, burst-lost {w['burst_lost']}, link-down {w['down_dropped']}, "
            f"corrupted {w['corrupted']} (dropped by FCS: {n['fcs_errors'] + s['fcs_dropped']}), "
            f"duplicated {w['duplicated']}, reordered {w['reordered']}, jittered {w['jittered']}",
            f"transport: {t['messages_delivered']}/{t['messages_sent']} messages delivered, "
            f"{t['duplicates_discarded']} duplicate segments discarded, "
            f"{t['out_of_order']} out of order, {t['dup_acks']} dup ACKs",
            f"results: {len(self.scores)} scores, {len(self.mismatches)} mismatches, "
            f"simulation idle at {format_duration(self.end_ps)}",
        ]
        for k in self.killed:
            lines.append(f"failure: {k['board']} (stage {k['stage']}) died at {format_duration(k['at_ps'])}")
        for e in self.failovers:
            lines.append(f"failover: stage {e['stage']} replica {e['replica']} declared dead at "
                         f"{format_duration(e['detected_ps'])} by {e['by']}, re-sent {len(e['resent'])} image(s)")
        if self.lost:
            first = min(self.lost)
            lines.append(f"lost: {len(self.lost)} image(s), e.g. image {first}: {self.lost[first]}")
        return "\n".join(lines)


# Called with every RunResult a system produces (BnnSystem.result), e.g. by the functional
# coverage of the fault kinds (tb/jobs/functional_coverage.py). Empty unless someone listens.
RESULT_OBSERVERS: list[Callable[[RunResult], None]] = []


# ---- the system ------------------------------------------------------------------------

class BnnSystem:
    """Host + boards + network for one config; drive it with any scheduler.

    Every stage of the plan runs on its replicas; image k goes to replica k mod n of each
    stage (round robin, so every board knows how many images it will see). Stage s sends the
    tensor of its cut to the board of stage s+1 that serves the image; the last stage sends
    the scores to the host. Each last-stage board sends its results in image order, and the
    host delivers them in image order (``on_complete``), however the replicas interleave.
    """

    def __init__(self, config: TopologyConfig, sched: Scheduler,
                 images: Optional[Sequence[bytes]] = None,
                 compute: Optional[Mapping[str, Compute]] = None, tap: Optional[Tap] = None,
                 kernel_factory: Optional[Callable[..., KernelServer]] = None):
        self.config = config.validate()
        self.sched = sched
        m = config.images
        self.plan = config.partition()
        self.sizes = config.payload_bytes()
        self.images = list(images) if images is not None else [
            synthetic_image(i, self.sizes["image"], config.seed) for i in range(m)]
        if len(self.images) != m:
            raise ValueError(f"config.images = {m} but {len(self.images)} images given")
        self.compute = dict(compute or {})
        # (board name, kernel role, images expected, on_done) -> server; default: timed model.
        self.kernel_factory = kernel_factory
        self.on_complete: Optional[Callable[[int], None]] = None  # called with each finished image id
        self.net = Network(sched, config.link, config.transport, config.seed, tap)
        self.host = self.net.add_node("host")
        self.submitted: list[Optional[int]] = [None] * m
        self.completed: list[Optional[int]] = [None] * m
        self.scores: dict[int, bytes] = {}
        self.arrival_order: list[int] = []
        self.kernels: dict[str, KernelServer] = {}
        self.killed: list[dict] = []
        self.on_lost: Optional[Callable[[int], None]] = None   # called with each image given up
        self._next_delivery = 0
        self.delivered_order: list[int] = []   # image ids as the host hands them on (in order)
        self._build()

    # -- wiring --

    def stage_compute(self, stage: int) -> Compute:
        """What stage `stage` computes: compute["first-last"], else compute[role], else a
        deterministic stand-in producing payloads of the right size."""
        st = self.plan.stages[stage]
        role = self.plan.role(stage)
        for key in (f"{st.first}-{st.last}", role):
            if key in self.compute:
                return self.compute[key]
        # A stand-in per layer, composed over the stage: every plan of the same network
        # then computes the same scores, so full, split and any other plan must agree.
        sizes = {layer: self.config.payload_bytes(layer) for layer in range(st.first, st.last + 1)}

        def stand_in(image_id: int, payload: bytes) -> bytes:
            for layer, size in sizes.items():
                payload = hashlib.shake_128(b"L%d" % layer + payload).digest(size)
            return payload
        return stand_in

    def _kernel(self, name: str, stage: int, expected: int,
                on_done: Callable[[int, bytes], None]) -> KernelServer:
        st = self.plan.stages[stage]
        if self.kernel_factory is not None:
            k = self.kernel_factory(name, self.plan.role(stage), expected, on_done)
        else:
            k = KernelServer(self.sched, name, self.config.timing(st.first, st.last), self.config.batch,
                             expected, self.stage_compute(stage), on_done)
        self.kernels[name] = k
        return k

    def _expected(self, stage: int, replica: int) -> int:
        return len(range(replica, self.config.images, self.plan.stages[stage].replicas))

    def _build(self) -> None:
        cfg = self.config
        boards = cfg.boards
        stages = self.plan.stages
        nodes = {b.name: self.net.add_node(b.name) for b in boards}
        by_stage = [[b for b in boards if b.stage == s] for s in range(len(stages))]
        self.members = [StageMembers(s, st.replicas) for s, st in enumerate(stages)]
        for s, m in enumerate(self.members):
            m.on_dead = lambda r, s=s: self._cut_off(by_stage[s][r].name)
        self.dispatchers: dict[str, Dispatcher] = {}
        self.lost: dict[int, str] = {}
        self.duplicates = 0
        origin: dict[tuple[str, int], Endpoint] = {}      # (board, image) -> where its input came from

        def dispatcher(sender: str, s: int) -> Dispatcher:
            """Links from `sender` to every replica of stage s, and its dispatcher."""
            src = self.host if sender == "host" else nodes[sender]
            mtype = MessageType.IMAGE if s == 0 else MessageType.TENSOR
            size = cfg.payload_bytes(stages[s].first - 1)
            eps = []
            for b in by_stage[s]:
                out_ep, in_ep = self.net.connect(src, nodes[b.name])
                in_ep.on_message = self._accept(b.name, mtype, size, in_ep, origin)
                eps.append(out_ep)
            d = Dispatcher(self.sched, f"{sender}->stage{s}", self.members[s], eps,
                           image_message if s == 0 else tensor_message, cfg.failover,
                           cfg.failover_timeout(stages[s].first, stages[s].last),
                           lambda r, k, s=s: self.kernels[by_stage[s][r].name].add_expected(1),
                           self._on_lost)
            for r, ep in enumerate(eps):
                ep.on_message = self._on_done_message(d, r)
            return d

        self.dispatchers["host"] = dispatcher("host", 0)
        if cfg.failover:
            # A connection that gives up (no ACK after every retransmission) means its peer is
            # dead: declare it so, instead of failing the run.
            by_mac = {nodes[b.name].mac: b for b in boards}

            def peer_dead(failure, ep_name: str, mac: str) -> None:
                b = by_mac.get(mac)
                if b is None:
                    raise failure          # the host itself is unreachable: nothing to fail over to
                self.members[b.stage].declare_dead(b.replica, self.sched.now(), f"{ep_name} (transport)")
            self._peer_dead = peer_dead
        last = len(stages) - 1
        for b in boards:
            if b.stage == last:
                to_host, at_host = self.net.connect(nodes[b.name], self.host)
                at_host.on_message = self._on_scores
                forward = lambda iid, out, ep=to_host: ep.send(scores_message_raw(iid, out))  # noqa: E731
            else:
                d = self.dispatchers[b.name] = dispatcher(b.name, b.stage + 1)
                forward = d.send

            def on_done(iid: int, out: bytes, name=b.name, forward=forward) -> None:
                if cfg.failover:
                    origin.pop((name, iid)).send(done_message(iid))
                forward(iid, out)
            self._kernel(b.name, b.stage, self._expected(b.stage, b.replica), on_done)
        if cfg.failover:
            for ep in self.net.endpoints:
                ep.on_failure = lambda f, ep=ep: self._peer_dead(f, ep.name, ep.remote.mac)

    def _accept(self, board: str, mtype: MessageType, size: int, endpoint: Endpoint,
                origin: dict) -> Callable[[Message], None]:
        def on_message(msg: Message) -> None:
            if msg.type != mtype:
                raise ProtocolError(f"{board} expects {mtype.name} messages, got {msg!r}")
            if len(msg.payload) != size:
                raise ProtocolError(f"{board} reads {size}-byte {mtype.name} payloads, got {len(msg.payload)} "
                                    f"bytes for image {msg.image_id}")
            origin.setdefault((board, msg.image_id), endpoint)
            self.kernels[board].submit(msg.image_id, msg.payload)
        return on_message

    @staticmethod
    def _on_done_message(d: Dispatcher, replica: int) -> Callable[[Message], None]:
        def on_message(msg: Message) -> None:
            if msg.type != MessageType.DONE:
                raise ProtocolError(f"{d.name} expects DONE messages from its replicas, got {msg!r}")
            d.done(replica, msg.image_id)
        return on_message

    def _on_lost(self, stage: int, image_id: int, why: str) -> None:
        self.lost.setdefault(image_id, f"stage {stage} ({self.plan.stages[stage]}): {why}")
        if self.on_lost is not None:
            self.on_lost(image_id)

    def _cut_off(self, board: str) -> None:
        """A board declared dead: every connection to it is given up (no retransmissions to a
        board that will never answer, on any side)."""
        mac = self.net.nodes[board].mac
        for ep in self.net.endpoints:
            if ep.remote.mac == mac:
                ep.abort()

    def _kill(self, stage: int, replica: int) -> None:
        board = next(b for b in self.config.boards if b.stage == stage and b.replica == replica)
        self.kernels[board.name].kill()
        if board.name in self.dispatchers:
            self.dispatchers[board.name].stop()
        self.net.kill_node(board.name)
        self.killed.append({"board": board.name, "stage": stage, "replica": replica, "at_ps": self.sched.now()})

    # -- host --

    def start(self) -> None:
        """Schedule the job's image submissions and the planned failures (call once, before
        running the scheduler)."""
        now = self.sched.now()
        for k in range(self.config.images):
            self.sched.call_at(now + k * self.config.image_interval_ps, self._submit, k)
        for stage, replica, at_ps in self.config.fail:
            self.sched.call_at(now + at_ps, self._kill, stage, replica)

    def _submit(self, k: int) -> None:
        self.submitted[k] = self.sched.now()
        self.dispatchers["host"].send(k, self.images[k])

    def _on_scores(self, msg: Message) -> None:
        if msg.type != MessageType.SCORES:
            raise ProtocolError(f"host expects SCORES messages, got {msg!r}")
        k = msg.image_id
        if not 0 <= k < self.config.images:
            raise ProtocolError(f"host got scores for unknown image {k}")
        if self.completed[k] is not None:
            self.duplicates += 1          # a re-sent image whose first copy came through after all
            return
        if len(msg.payload) != self.sizes["scores"]:
            raise ProtocolError(f"host reads {self.sizes['scores']}-byte scores, got {len(msg.payload)} "
                                f"bytes for image {k}")
        self.completed[k] = self.sched.now()
        self.scores[k] = msg.payload
        self.arrival_order.append(k)
        self._deliver()

    def _deliver(self) -> None:
        """Results reach the application in image order, whichever board was faster."""
        while self._next_delivery < self.config.images and (
                self.completed[self._next_delivery] is not None or self._next_delivery in self.lost):
            if self._next_delivery not in self.lost:
                self.delivered_order.append(self._next_delivery)
                if self.on_complete is not None:
                    self.on_complete(self._next_delivery)
            self._next_delivery += 1

    @property
    def done(self) -> bool:
        """Every image came back or is reported lost."""
        return all(c is not None or k in self.lost for k, c in enumerate(self.completed))

    def reference(self, image_id: int) -> bytes:
        """What the host must receive for an image: every stage's computation in turn."""
        x = self.images[image_id]
        for s in range(len(self.plan.stages)):
            x = self.stage_compute(s)(image_id, x)
        return x

    def result(self) -> RunResult:
        missing = [k for k, t in enumerate(self.completed) if t is None and k not in self.lost]
        if missing:
            raise RuntimeError(f"{len(missing)} images never completed (first: {missing[:10]})")
        mismatches = [k for k in self.scores if self.scores[k] != self.reference(k)]
        result = RunResult(
            config=self.config, submitted_ps=list(self.submitted), completed_ps=list(self.completed),
            arrival_order=list(self.arrival_order), scores=dict(self.scores), mismatches=mismatches,
            end_ps=self.sched.now(),
            board_busy_ps={name: k.busy_ps for name, k in self.kernels.items()},
            cpu_busy_ps={name: node.cpu.busy_ps for name, node in self.net.nodes.items()},
            wire_busy_ps={w.name: w.busy_ps for w in self.net.wires},
            counters=self.net.counters(),
            lost={k: v for k, v in self.lost.items() if k not in self.scores},
            failovers=[e for m in self.members for e in m.failovers],
            killed=list(self.killed), duplicates=self.duplicates, delivered_order=list(self.delivered_order),
        )
        for observe in RESULT_OBSERVERS:
            observe(result)
        return result


def scores_message_raw(image_id: int, payload: bytes) -> Message:
    """SCORES message from the kernel's raw output buffer."""
    return Message(MessageType.SCORES, image_id, payload)


def run(config: TopologyConfig, images: Optional[Sequence[bytes]] = None,
        compute: Optional[Mapping[str, Compute]] = None, pcap: Optional[str] = None,
        pcap_hops: str = "all", tap: Optional[Tap] = None) -> RunResult:
    """Run one job of ``config.images`` images on a fresh :class:`EventLoop`.

    ``pcap``: write every frame to this file (``pcap_hops="first"``: skip the switch's copies).
    """
    from .pcap import PcapRecorder

    loop = EventLoop()
    recorder = PcapRecorder(pcap, hops=pcap_hops) if pcap is not None else None
    if recorder is not None and tap is not None:
        raise ValueError("give either pcap or tap, not both")
    try:
        system = BnnSystem(config, loop, images, compute, recorder.record if recorder else tap)
        system.start()
        loop.run()
    finally:
        if recorder is not None:
            recorder.close()
    return system.result()
