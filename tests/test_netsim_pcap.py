"""pcap capture with simulation timestamps, and reading it back into messages."""

from scapy.utils import rdpcap

from netsim.config import LinkConfig, TopologyConfig
from netsim.events import EventLoop
from netsim.faults import FaultConfig
from netsim.messages import MessageType, image_message, tensor_message
from netsim.network import Network
from netsim.pcap import CaptureStats, PcapRecorder, read_messages
from netsim.topology import run


def test_round_trip_with_faults(tmp_path):
    path = tmp_path / "link.pcap"
    loop = EventLoop()
    faults = FaultConfig(loss=0.1, corrupt=0.1, duplicate=0.1)
    with PcapRecorder(path, keep=True) as rec:
        net = Network(loop, LinkConfig(faults=faults), seed=5, tap=rec.record)
        ea, eb = net.connect(net.add_node("host"), net.add_node("conv0"))
        sent = [image_message(i, bytes([i]) * 3072) if i % 2 else tensor_message(i, bytes([i]) * 64)
                for i in range(10)]
        for msg in sent:
            ea.send(msg)
        loop.run()
    c = net.counters()
    assert c["wire"]["corrupted"] > 0 and c["transport"]["retransmissions"] > 0

    pkts = rdpcap(str(path))
    assert len(pkts) == len(rec.frames) == c["wire"]["frames"]
    for pkt, tapped in zip(pkts, rec.frames):
        assert bytes(pkt) == tapped.frame[:-4]  # stored as on the cable, minus the FCS
        assert int(pkt.time * 10**9) == tapped.time_ps // 1000  # ns resolution
    times = [t.time_ps for t in rec.frames]
    assert times == sorted(times)

    stats = CaptureStats()
    got = read_messages(path, stats)
    assert [m.message for m in got] == sent
    assert {(m.src, m.dst) for m in got} == {((ea.local.ip, ea.local.port), (eb.local.ip, eb.local.port))}
    assert stats.bad_checksum_or_foreign > 0  # the corrupted frames are in the file...
    assert stats.duplicate_segments > 0  # ...and so are retransmissions and switch copies


def test_full_system_capture_contains_every_message(tmp_path):
    path = tmp_path / "split2.pcap"
    cfg = TopologyConfig(topology="split-3", images=6)
    result = run(cfg, pcap=str(path), pcap_hops="first")
    got = read_messages(path)
    by_type = {t: sorted((m.message.image_id, m.message.payload) for m in got if m.message.type == t)
               for t in MessageType}
    assert [i for i, _ in by_type[MessageType.IMAGE]] == list(range(6))
    assert [i for i, _ in by_type[MessageType.TENSOR]] == list(range(6))
    assert by_type[MessageType.SCORES] == sorted(result.scores.items())
    # "first" hops: each frame once, so the capture holds exactly what the nodes sent.
    assert len(rdpcap(str(path))) == result.counters["node"]["tx_frames"]
