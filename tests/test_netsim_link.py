"""Link timing from first principles: serialisation, propagation, switch, host overhead."""

import pytest

from netsim.config import LinkConfig
from netsim.events import EventLoop
from netsim.frames import Address, build_udp_datagram
from netsim.messages import image_message, tensor_message
from netsim.network import Network
from netsim.pcap import PcapRecorder
from netsim.wire import Wire

NS = 1000  # ps
PROP = 25 * NS
SEND, RECV = 3_000 * NS, 5_000 * NS  # distinct, so swapping them would show


def byte_time(rate_bps: float) -> int:
    """Picoseconds per byte on the line."""
    return round(8 * 10**12 / rate_bps)


def test_two_udp_datagrams_back_to_back_on_one_wire():
    loop = EventLoop()
    arrivals = []
    wire = Wire(loop, "a->b", 1e9, PROP, sink=lambda fr: arrivals.append((loop.now(), fr)))
    a = Address("02:00:00:00:00:01", "10.0.0.1", 1)
    b = Address("02:00:00:00:00:02", "10.0.0.2", 2)
    frame = build_udp_datagram(a, b, tensor_message(0, bytes(64)).encode())
    frame_bytes = 14 + 20 + 8 + 16 + 64 + 4
    wire.send(frame)
    wire.send(frame)
    loop.run()
    # The first frame's last bit: preamble + frame at 8 ns/byte, then the cable.
    assert arrivals[0][0] == (8 + frame_bytes) * 8 * NS + PROP
    # The next one follows after a whole slot: preamble + frame + inter-frame gap.
    assert arrivals[1][0] - arrivals[0][0] == (8 + frame_bytes + 12) * 8 * NS
    assert wire.busy_ps == 2 * (8 + frame_bytes + 12) * 8 * NS
    assert arrivals[0][1] == frame


def make_pair(**link):
    loop = EventLoop()
    cfg = LinkConfig(propagation_ps=PROP, host_send_overhead_ps=SEND, host_recv_overhead_ps=RECV,
                     **link)
    rec = PcapRecorder(keep=True)
    net = Network(loop, cfg, tap=rec.record)
    ea, eb = net.connect(net.add_node("conv0"), net.add_node("fc"))
    got = []
    eb.on_message = lambda msg: got.append((loop.now(), msg))
    return loop, net, ea, eb, got, rec


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
@pytest.mark.parametrize("rate", [1e9, 1e8])
def test_64_byte_tensor_direct_cable(protocol, rate):
    loop, net, ea, _, got, rec = make_pair(switch=False, protocol=protocol, rate_bps=rate)
    msg = tensor_message(42, bytes(range(64)))
    ea.send(msg)
    loop.run()
    l4 = 20 if protocol == "tcp" else 8 + 12  # TCP header, or UDP header + reliability shim
    frame = 14 + 20 + l4 + 16 + 64 + 4
    assert [len(t.frame) for t in rec.frames if t.wire == "conv0->fc"] == [frame]
    assert got == [(SEND + (8 + frame) * byte_time(rate) + PROP + RECV, msg)]


def test_64_byte_tensor_through_store_and_forward_switch():
    sw = 700 * NS
    loop, net, ea, _, got, _ = make_pair(switch=True, switch_latency_ps=sw)
    ea.send(tensor_message(1, bytes(64)))
    loop.run()
    hop = (8 + 14 + 20 + 20 + 16 + 64 + 4) * 8 * NS + PROP  # whole frame in before forwarding
    assert got[0][0] == SEND + hop + sw + hop + RECV


def test_image_is_fragmented_into_mtu_sized_frames():
    loop, net, ea, _, got, rec = make_pair(switch=False)
    img = image_message(3, bytes(range(256)) * 12)
    ea.send(img)
    loop.run()
    stream = 16 + 3072
    mss = 1500 - 20 - 20
    sizes = [mss, mss, stream - 2 * mss]
    data = [t for t in rec.frames if t.wire == "conv0->fc"]
    assert [len(t.frame) for t in data] == [14 + 40 + s + 4 for s in sizes]
    # Frames leave back to back, one slot (preamble + frame + IFG) apart.
    starts = [t.time_ps for t in data]
    assert starts[0] == SEND
    assert [b - a for a, b in zip(starts, starts[1:])] == [(8 + 14 + 40 + mss + 4 + 12) * 8 * NS] * 2
    last = 8 + 14 + 40 + sizes[-1] + 4
    assert got == [(starts[-1] + last * 8 * NS + PROP + RECV, img)]
    # One ACK per data segment came back on the reverse wire.
    assert sum(t.wire == "fc->conv0" for t in rec.frames) == 3


def test_host_overhead_serialises_messages_on_the_cpu():
    loop, net, ea, _, got, _ = make_pair(switch=False)
    for i in range(3):
        ea.send(tensor_message(i, bytes(64)))
    loop.run()
    flight = (8 + 14 + 40 + 80 + 4) * 8 * NS + PROP
    # Sender CPU: message i is ready at (i+1)*SEND; receiver CPU: RECV each, in order.
    expect, free = [], 0
    for i in range(3):
        arrive = (i + 1) * SEND + flight
        free = max(arrive, free) + RECV
        expect.append(free)
    assert [t for t, _ in got] == expect
    assert [msg.image_id for _, msg in got] == [0, 1, 2]
