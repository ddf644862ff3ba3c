"""The Ethernet network joining the host and the PYNQ-Z1 boards.

A :class:`Network` holds :class:`Node` objects (the host PC and each board's ARM side with its
single Gigabit port), the cables between them (two :class:`~netsim.wire.Wire` objects per
cable, one per direction) and optionally one store-and-forward :class:`~netsim.switch.Switch`.
:meth:`Network.connect` opens a reliable connection (:mod:`netsim.transport`) between two
nodes and returns its two :class:`~netsim.transport.Endpoint` objects.

Addressing: node ``i`` (in order of creation) gets MAC ``02:00:00:00:00:<i+1>`` (locally
administered) and IP ``10.0.0.<i+1>``; connection ``k`` uses ports ``49152 + 2k`` and
``49153 + 2k``.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Optional

from .config import LinkConfig
from .events import Scheduler
from .faults import FaultConfig, FaultInjector
from .frames import (ETH_HEADER_BYTES, FCS_BYTES, MIN_FRAME_BYTES, Address, fcs_ok,
                     max_segment_payload, parse_frame, wire_bytes)
from .simtime import bits_to_ps
from .switch import Switch
from .transport import Endpoint, TransportConfig
from .wire import Tap, Wire


class Cpu:
    """The node's software side: per-message work runs one item at a time, in order."""

    def __init__(self, sched: Scheduler):
        self.sched = sched
        self.free_at = 0
        self.busy_ps = 0

    def run(self, duration_ps: int, callback: Callable, *args) -> None:
        start = max(self.sched.now(), self.free_at)
        self.free_at = start + duration_ps
        self.busy_ps += duration_ps
        self.sched.call_at(self.free_at, callback, *args)


class Node:
    """A host or board with one Ethernet port (or one per peer when there is no switch)."""

    def __init__(self, network: "Network", name: str, index: int):
        self.network = network
        self.sched = network.sched
        self.name = name
        self.mac = f"02:00:00:00:00:{index + 1:02x}"
        self.ip = f"10.0.0.{index + 1}"
        self.cpu = Cpu(self.sched)
        self.counters: Counter[str] = Counter()
        self.uplink: Optional[Wire] = None  # to the switch
        self.direct: dict[str, Wire] = {}  # peer MAC -> cable, when there is no switch
        self._endpoints: dict[tuple[int, str, int], Endpoint] = {}
        self._ip_id = 0

    def next_ip_id(self) -> int:
        self._ip_id = (self._ip_id + 1) & 0xFFFF
        return self._ip_id

    def transmit(self, frame: bytes, dst_mac: str) -> int:
        """Send a frame towards ``dst_mac``; returns when it will start on the wire."""
        wire = self.uplink if self.uplink is not None else self.direct.get(dst_mac)
        if wire is None:
            raise RuntimeError(f"{self.name}: no route to {dst_mac}")
        self.counters["tx_frames"] += 1
        return wire.send(frame)

    def receive(self, frame: bytes) -> None:
        """Sink of every wire ending at this node."""
        c = self.counters
        c["rx_frames"] += 1
        if not fcs_ok(frame):
            c["fcs_errors"] += 1  # corrupted on the wire: dropped by the MAC
            return
        decoded = parse_frame(frame[:-FCS_BYTES], has_fcs=False)
        if decoded is None:
            c["malformed"] += 1
            return
        if decoded.dst.mac != self.mac or decoded.dst.ip != self.ip:
            c["not_for_me"] += 1
            return
        ep = self._endpoints.get((decoded.dst.port, decoded.src.ip, decoded.src.port))
        if ep is None or ep.protocol != decoded.protocol:
            c["no_listener"] += 1
            return
        ep.receive(decoded.segment)

    def register(self, ep: Endpoint) -> None:
        self._endpoints[(ep.local.port, ep.remote.ip, ep.remote.port)] = ep

    @property
    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints.values())

    def __repr__(self) -> str:
        return f"Node({self.name}, {self.ip})"


class Network:
    def __init__(self, sched: Scheduler, link: LinkConfig = LinkConfig(),
                 transport: TransportConfig = TransportConfig(), seed: int = 0,
                 tap: Optional[Tap] = None):
        link.validate()
        transport.validate()
        self.sched = sched
        self.link = link
        self.transport = transport
        self.seed = seed
        self.tap = tap
        self.nodes: dict[str, Node] = {}
        self.wires: list[Wire] = []
        self.endpoints: list[Endpoint] = []
        self.switch = Switch(sched, latency_ps=link.switch_latency_ps) if link.switch else None
        self._connections = 0

    def _wire(self, name: str, sink) -> Wire:
        faults = FaultInjector(self.link.faults, self.seed, name) if self.link.faults.active else None
        w = Wire(self.sched, name, self.link.rate_bps, self.link.propagation_ps, sink, faults, self.tap)
        self.wires.append(w)
        return w

    def add_node(self, name: str) -> Node:
        if name in self.nodes:
            raise ValueError(f"duplicate node name {name!r}")
        if name == "switch":
            raise ValueError("'switch' is reserved")
        node = Node(self, name, len(self.nodes))
        self.nodes[name] = node
        if self.switch is not None:
            node.uplink = self._wire(f"{name}->switch", self.switch.receive)
            self.switch.attach(node.mac, self._wire(f"switch->{name}", node.receive))
        return node

    def connect(self, a: Node | str, b: Node | str) -> tuple[Endpoint, Endpoint]:
        """Open a reliable connection; returns (endpoint on a, endpoint on b)."""
        a = self.nodes[a] if isinstance(a, str) else a
        b = self.nodes[b] if isinstance(b, str) else b
        if a is b:
            raise ValueError(f"cannot connect {a.name} to itself")
        if self.switch is None and b.mac not in a.direct:
            a.direct[b.mac] = self._wire(f"{a.name}->{b.name}", b.receive)
            b.direct[a.mac] = self._wire(f"{b.name}->{a.name}", a.receive)
        k = self._connections
        self._connections += 1
        addr_a = Address(a.mac, a.ip, 49152 + 2 * k)
        addr_b = Address(b.mac, b.ip, 49153 + 2 * k)
        mss = max_segment_payload(self.link.mtu, self.link.protocol)
        # Before the first RTT sample the RTO must not be shorter than the path's unloaded round
        # trip (full-size frame out, minimum frame back) with a margin for queueing: at
        # 1 Gb/s rto_ps dominates, at 10 Mb/s a 1518-byte frame alone takes 1.2 ms per hop.
        hops = 2 if self.switch is not None else 1
        full, ack = wire_bytes(self.link.mtu + ETH_HEADER_BYTES + FCS_BYTES), wire_bytes(MIN_FRAME_BYTES)
        rtt0 = hops * (bits_to_ps((full + ack) * 8, self.link.rate_bps) + 2 * self.link.propagation_ps) \
            + 2 * (hops - 1) * self.link.switch_latency_ps
        eps = []
        for node, local, remote, peer in ((a, addr_a, addr_b, b), (b, addr_b, addr_a, a)):
            ep = Endpoint(node, local, remote, self.link.protocol, mss, self.transport,
                          f"{node.name}->{peer.name}", self.link.host_send_overhead_ps,
                          self.link.host_recv_overhead_ps, initial_rto_ps=4 * rtt0)
            node.register(ep)
            self.endpoints.append(ep)
            eps.append(ep)
        return eps[0], eps[1]

    def kill_node(self, name: str) -> None:
        """A board dies: its cables go dark from now on and its own connections stop."""
        now = self.sched.now()
        node = self.nodes[name]
        cables = [w.name for w in self.wires if w.name.startswith(f"{name}->") or w.name.endswith(f"->{name}")]
        self.set_faults(FaultConfig(down=((now, None),)), wires=cables)
        for ep in node.endpoints:
            ep.abort()

    def set_faults(self, faults: FaultConfig, wires: Optional[list[str]] = None) -> None:
        """Replace the fault model on the named wires (all wires when None)."""
        faults.validate()
        for w in self.wires:
            if wires is None or w.name in wires:
                w.faults = FaultInjector(faults, self.seed, w.name) if faults.active else None

    def stats(self) -> dict[str, int]:
        """The headline counters, flat: what happened to messages and frames network-wide."""
        c = self.counters()
        w, n, s, t = c["wire"], c["node"], c["switch"], c["transport"]
        return {
            "messages_sent": t["messages_sent"],
            "messages_delivered": t["messages_delivered"],
            "frames_sent": n["tx_frames"],  # by hosts and boards
            "frames_on_cables": w["frames"],  # a switched frame counts once per cable
            "retransmissions": t["retransmissions"],
            "timeouts": t["timeouts"],
            "fast_retransmits": t["fast_retransmits"],
            "duplicates_discarded": t["duplicates_discarded"],
            "out_of_order": t["out_of_order"],
            "lost": w["lost"],
            "burst_lost": w["burst_lost"],
            "down_dropped": w["down_dropped"],
            "corrupted": w["corrupted"],
            "corrupted_dropped": n["fcs_errors"] + s["fcs_dropped"],
            "duplicated": w["duplicated"],
            "reordered": w["reordered"],
            "jittered": w["jittered"],
        }

    def counters(self) -> dict[str, Counter]:
        """Summed counters: 'wire', 'node', 'switch', 'transport'."""
        out = {"wire": Counter(), "node": Counter(), "switch": Counter(), "transport": Counter()}
        for w in self.wires:
            out["wire"].update(w.counters)
        for n in self.nodes.values():
            out["node"].update(n.counters)
        if self.switch is not None:
            out["switch"].update(self.switch.counters)
        for ep in self.endpoints:
            out["transport"].update(ep.counters)
        return out
