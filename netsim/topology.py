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
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence

from .config import TopologyConfig
from .events import EventLoop, Scheduler
from .kernel import Compute, KernelServer
from .messages import Message, MessageType, \
    image_message, tensor_message
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

@dataclass
class RunResult:
    config: TopologyConfig
    submitted_ps: list[int]
    completed_ps: list[int]
    arrival_order: list[int]  # image ids in the order their scores reached the host
    scores: dict[int, bytes]
    mismatches: list[int]  # image ids whose scores differ from the reference computation
    end_ps: int  # when the simulation went idle (trailing ACKs included)
    board_busy_ps: dict[str, int]
    cpu_busy_ps: dict[str, int]
    wire_busy_ps: dict[str, int]
    counters: dict[str, Counter]

    @property
    def images(self) -> int:
        return len(self.completed_ps)

    @property
    def makespan_ps(self) -> int:
        """First image submitted -> last scores delivered to the host (the job's response time)."""
        return max(self.completed_ps) - min(self.submitted_ps)

    @property
    def latencies_ps(self) -> list[int]:
        return [c - s for s, c in zip(self.submitted_ps, self.completed_ps)]

    @property
    def throughput(self) -> float:
        """Images per second over the whole job."""
        return self.images * PS_PER_S / self.makespan_ps

    @property
    def board_busy(self) -> dict[str, float]:
        return {k: v / self.makespan_ps for k, v in self.board_busy_ps.items()}

    @property
    def link_utilisation(self) -> dict[str, float]:
        """Share of the simulated time (until the network went idle) each cable direction was
        busy; frames queued behind the last result still count, so this never exceeds 1."""
        span = max(self.end_ps, self.makespan_ps)
        return {k: v / span for k, v in self.wire_busy_ps.items()}

    @property
    def frames(self) -> int:
        """Frames put on a cable (a frame crossing a switch counts once per cable)."""
        return self.counters["wire"]["frames"]

    @property
    def retransmissions(self) -> int:
        return self.counters["transport"]["retransmissions"]

    def latency_stats_s(self) -> dict[str, float]:
        lat = sorted(self.latencies_ps)
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
            "host/board CPU busy: " + ", ".join(f"{k} {v / self.makespan_ps:.1%}"
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
        return "\n".join(lines)


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
        self._to_board: list[Endpoint] = []
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
        boards = self.config.boards
        stages = self.plan.stages
        nodes = {b.name: self.net.add_node(b.name) for b in boards}
        by_stage = [[b for b in boards if b.stage == s] for s in range(len(stages))]
        # Links into each board: from the host (stage 0) or from every board of the stage before.
        inbound: dict[tuple[str, str], Endpoint] = {}
        for s, group in enumerate(by_stage):
            senders = ["host"] if s == 0 else [b.name for b in by_stage[s - 1]]
            mtype = MessageType.IMAGE if s == 0 else MessageType.TENSOR
            size = self.config.payload_bytes(stages[s].first - 1)
            for b in group:
                for src in senders:
                    out_ep, in_ep = self.net.connect(self.host if src == "host" else nodes[src], nodes[b.name])
                    inbound[(src, b.name)] = out_ep
                    in_ep.on_message = self._accept(b.name, mtype, size)
        last = len(stages) - 1
        for b in boards:
            if b.stage == last:
                to_host, at_host = self.net.connect(nodes[b.name], self.host)
                at_host.on_message = self._on_scores
                on_done = self._in_order(b, lambda iid, out, ep=to_host: ep.send(scores_message_raw(iid, out)))
            else:
                nxt = by_stage[b.stage + 1]
                eps = [inbound[(b.name, n.name)] for n in nxt]
                on_done = lambda iid, out, eps=eps: eps[iid % len(eps)].send(tensor_message(iid, out))  # noqa: E731
            self._kernel(b.name, b.stage, self._expected(b.stage, b.replica), on_done)
        for b in by_stage[0]:
            self._to_board.append(inbound[("host", b.name)])

    def _in_order(self, board, send: Callable[[int, bytes], None]) -> Callable[[int, bytes], None]:
        """Results leave a last-stage board in image order, whichever board before it was faster."""
        ids = list(range(board.replica, self.config.images, self.plan.stages[board.stage].replicas))
        pending: dict[int, bytes] = {}
        nxt = [0]

        def done(image_id: int, out: bytes) -> None:
            pending[image_id] = out
            while nxt[0] < len(ids) and ids[nxt[0]] in pending:
                k = ids[nxt[0]]
                send(k, pending.pop(k))
                nxt[0] += 1
        return done

    def _accept(self, board: str, mtype: MessageType, size: int) -> Callable[[Message], None]:
        def on_message(msg: Message) -> None:
            if msg.type != mtype:
                raise ProtocolError(f"{board} expects {mtype.name} messages, got {msg!r}")
            if len(msg.payload) != size:
                raise ProtocolError(f"{board} reads {size}-byte {mtype.name} payloads, got {len(msg.payload)} "
                                    f"bytes for image {msg.image_id}")
            self.kernels[board].submit(msg.image_id, msg.payload)
        return on_message

    # -- host --

    def start(self) -> None:
        """Schedule the job's image submissions (call once, before running the scheduler)."""
        now = self.sched.now()
        for k in range(self.config.images):
            self.sched.call_at(now + k * self.config.image_interval_ps, self._submit, k)

    def _submit(self, k: int) -> None:
        self.submitted[k] = self.sched.now()
        self._to_board[k % len(self._to_board)].send(image_message(k, self.images[k]))

    def _on_scores(self, msg: Message) -> None:
        if msg.type != MessageType.SCORES:
            raise ProtocolError(f"host expects SCORES messages, got {msg!r}")
        k = msg.image_id
        if not 0 <= k < self.config.images or self.completed[k] is not None:
            raise ProtocolError(f"host got unexpected or repeated scores for image {k}")
        if len(msg.payload) != self.sizes["scores"]:
            raise ProtocolError(f"host reads {self.sizes['scores']}-byte scores, got {len(msg.payload)} "
                                f"bytes for image {k}")
        self.completed[k] = self.sched.now()
        self.scores[k] = msg.payload
        self.arrival_order.append(k)
        if self.on_complete is not None:
            self.on_complete(k)

    @property
    def done(self) -> bool:
        return len(self.scores) == self.config.images

    def reference(self, image_id: int) -> bytes:
        """What the host must receive for an image: every stage's computation in turn."""
        x = self.images[image_id]
        for s in range(len(self.plan.stages)):
            x = self.stage_compute(s)(image_id, x)
        return x

    def result(self) -> RunResult:
        missing = [k for k, t in enumerate(self.completed) if t is None]
        if missing:
            raise RuntimeError(f"{len(missing)} images never completed (first: {missing[:10]})")
        mismatches = [k for k in range(self.config.images) if self.scores[k] != self.reference(k)]
        return RunResult(
            config=self.config, submitted_ps=list(self.submitted), completed_ps=list(self.completed),
            arrival_order=list(self.arrival_order), scores=dict(self.scores), mismatches=mismatches,
            end_ps=self.sched.now(),
            board_busy_ps={name: k.busy_ps for name, k in self.kernels.items()},
            cpu_busy_ps={name: node.cpu.busy_ps for name, node in self.net.nodes.items()},
            wire_busy_ps={w.name: w.busy_ps for w in self.net.wires},
            counters=self.net.counters(),
        )


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
