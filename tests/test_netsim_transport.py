"""Reliable transport under seeded faults: everything arrives exactly once, in order."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsim.config import LinkConfig
from netsim.events import EventLoop
from netsim.faults import FaultConfig, GilbertElliott
from netsim.messages import image_message, tensor_message
from netsim.network import Network
from netsim.pcap import PcapRecorder
from netsim.transport import LinkFailure, TransportConfig

US = 10**6  # ps
MS = 10**9


def workload(n=24):
    """Split tensors (one frame) and images (three frames) interleaved."""
    return [image_message(i, bytes([i]) * 3072) if i % 3 == 0 else tensor_message(i, bytes([i]) * 64)
            for i in range(n)]


def exchange(faults, msgs=None, protocol="tcp", switch=True, seed=1, transport=TransportConfig(),
             send_at=None):
    loop = EventLoop()
    rec = PcapRecorder(keep=True)
    net = Network(loop, LinkConfig(protocol=protocol, switch=switch, faults=faults), transport,
                  seed=seed, tap=rec.record)
    a, b = net.add_node("conv0"), net.add_node("fc")
    ea, eb = net.connect(a, b)
    got = []
    eb.on_message = lambda m: got.append((loop.now(), m))
    msgs = workload() if msgs is None else msgs
    for k, msg in enumerate(msgs):
        loop.call_at(send_at(k) if send_at else 0, ea.send, msg)
    loop.run()
    return got, net.counters(), rec, ea, eb


def delivered(got):
    return [m for _, m in got]


def test_fault_free_baseline_has_no_recovery_activity():
    got, c, *_ = exchange(FaultConfig())
    assert delivered(got) == workload()
    assert c["transport"]["retransmissions"] == 0 and c["transport"]["duplicates_discarded"] == 0


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_loss_is_repaired_by_retransmission(protocol):
    got, c, *_ = exchange(FaultConfig(loss=0.2), protocol=protocol)
    assert delivered(got) == workload()
    assert c["wire"]["lost"] > 0
    assert c["transport"]["retransmissions"] >= 1
    assert c["transport"]["messages_delivered"] == len(workload())


def test_reordered_frames_are_delivered_in_order():
    got, c, rec, *_ = exchange(FaultConfig(reorder=0.3, reorder_delay_ps=40 * US))
    assert delivered(got) == workload()
    assert c["wire"]["reordered"] > 0
    assert c["transport"]["out_of_order"] > 0


def test_duplicates_are_discarded():
    got, c, *_ = exchange(FaultConfig(duplicate=0.3))
    assert delivered(got) == workload()
    assert c["wire"]["duplicated"] > 0
    assert c["transport"]["duplicates_discarded"] > 0


def test_corruption_is_caught_by_the_fcs():
    got, c, rec, ea, _ = exchange(FaultConfig(corrupt=0.3, corrupt_bits=3))
    assert delivered(got) == workload()  # payloads intact: no corrupted byte got through
    corrupted = [t for t in rec.frames if t.corrupted]
    assert corrupted and c["wire"]["corrupted"] == len(corrupted)
    # Each damaged frame dies at its next hop: the switch or the receiving board's MAC.
    assert c["switch"]["fcs_dropped"] + c["node"]["fcs_errors"] == len(corrupted)
    stats = ea.node.network.stats()
    assert stats["corrupted_dropped"] == stats["corrupted"] == len(corrupted)


def test_burst_loss_loses_consecutive_frames_and_recovers():
    burst = GilbertElliott(p_enter_bad=0.08, p_leave_bad=0.4, loss_good=0.0, loss_bad=1.0)
    got, c, rec, *_ = exchange(FaultConfig(burst=burst), seed=3)
    assert delivered(got) == workload()
    assert c["wire"]["burst_lost"] > 0 and c["wire"]["lost"] == 0
    run, longest = 0, 0
    for t in (t for t in rec.frames if t.wire == "conv0->switch"):
        run = run + 1 if t.dropped == "burst" else 0
        longest = max(longest, run)
    assert longest >= 2


def test_jitter_never_reorders_a_wire():
    loop_got, c, rec, *_ = exchange(FaultConfig(jitter_ps=5 * US), msgs=workload(12))
    assert delivered(loop_got) == workload(12)
    assert c["wire"]["jittered"] > 0
    assert c["transport"]["out_of_order"] == 0


def test_link_down_then_up():
    down = (1 * MS, 4 * MS)
    msgs = workload(12)
    # One message every 0.5 ms: some before, some during, some after the outage.
    got, c, *_ = exchange(FaultConfig(down=(down,)), msgs=msgs, send_at=lambda k: k * MS // 2)
    assert delivered(got) == msgs
    assert c["wire"]["down_dropped"] > 0
    times = {m.image_id: t for t, m in got}
    sent_during = [k for k in range(len(msgs)) if down[0] <= k * MS // 2 < down[1]]
    assert sent_during and all(times[k] >= down[1] for k in sent_during)
    assert times[0] < down[0]  # before the outage traffic flowed normally


def test_permanent_failure_raises_a_clear_error_after_the_retry_limit():
    cfg = TransportConfig(rto_ps=1 * MS, rto_max_ps=4 * MS, max_retries=4)
    loop = EventLoop()
    net = Network(loop, LinkConfig(host_send_overhead_ps=0, faults=FaultConfig(down=((0, None),))), cfg)
    ea, _ = net.connect(net.add_node("host"), net.add_node("conv0"))
    ea.send(image_message(17, bytes(3072)))
    with pytest.raises(LinkFailure, match=r"IMAGE, image_id=17.*4 retransmissions") as err:
        loop.run()
    assert err.value.retries == 4 and err.value.message.image_id == 17
    # RTO doubles after every timeout up to the cap; the fifth expiry gives up.
    backoff = [min(1 * MS * 2**k, 4 * MS) for k in range(4 + 1)]
    assert loop.now() == sum(backoff)
    assert ea.counters["timeouts"] == 4


@given(seed=st.integers(0, 10**6), loss=st.floats(0, 0.1), dup=st.floats(0, 0.2),
       reorder=st.floats(0, 0.2), corrupt=st.floats(0, 0.1))
@settings(max_examples=8, deadline=None, derandomize=True)
def test_exactly_once_in_order_under_any_mix(seed, loss, dup, reorder, corrupt):
    msgs = workload(9)
    faults = FaultConfig(loss=loss, duplicate=dup, reorder=reorder, corrupt=corrupt)
    # Generous retry limit: up to ~40% of round trips fail here, and giving up is not the point.
    got, c, *_ = exchange(faults, msgs=msgs, seed=seed, switch=seed % 2 == 0,
                          transport=TransportConfig(max_retries=40))
    assert delivered(got) == msgs


@pytest.mark.parametrize("rate", [1e7, 1e8, 1e9])
def test_no_spurious_retransmissions_on_a_clean_link_at_any_rate(rate):
    """A queue on a slow link is not loss: timers count from when a frame leaves the port."""
    loop = EventLoop()
    net = Network(loop, LinkConfig(rate_bps=rate))
    ea, eb = net.connect(net.add_node("host"), net.add_node("conv0"))
    got = []
    eb.on_message = got.append
    for msg in workload(30):
        ea.send(msg)
    loop.run()
    assert got == workload(30)
    assert ea.counters["retransmissions"] == 0


def test_rtt_estimate_matches_the_wire_round_trip():
    loop = EventLoop()
    prop = 25_000
    net = Network(loop, LinkConfig(switch=False, propagation_ps=prop))
    ea, _ = net.connect(net.add_node("conv0"), net.add_node("fc"))
    for k in range(5):  # one tensor per ms: no queueing, every sample is the same
        loop.call_at(k * MS, ea.send, tensor_message(k, bytes(64)))
    loop.run()
    data_frame = 14 + 20 + 20 + 16 + 64 + 4
    ack_frame = 64
    # Data frame's last bit arrives, the ACK goes straight back (ACKs cost no CPU time).
    assert ea.srtt_ps == (8 + data_frame) * 8000 + prop + (8 + ack_frame) * 8000 + prop
    assert ea.counters["rtt_samples"] == 5
