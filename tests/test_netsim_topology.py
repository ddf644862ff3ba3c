"""Topology configs and the discrete-event model of full / split / split-N systems."""

import pytest

from netsim.config import ConfigError, TopologyConfig
from netsim.events import EventLoop
from netsim.faults import FaultConfig
from netsim.kernel import KernelTiming
from netsim.topology import BnnSystem, run
from netsim.transport import LinkFailure

CLK_PS = 10_000  # one 100 MHz cycle
# Paper, Table I: single-image execution time at 100 MHz, in cycles.
FULL, PART1, PART2 = 486777, 348023, 138970


# ---- config validation ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(topology="ring"), "unknown topology"),
    (dict(topology="split-1"), "at least 2 boards"),
    (dict(topology="split", replicas=0), "N >= 1"),
    (dict(topology="full", replicas=-2), "N >= 1"),
    (dict(topology="split-3", replicas=3), "3 boards .2 conv replicas. but replicas=3"),
    (dict(images=0), "images"),
    (dict(batch=0), "batch"),
    (dict(image_interval_ps=-1), "image_interval_ps"),
])
def test_bad_topology_configs(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TopologyConfig(**kwargs).validate()


@pytest.mark.parametrize("override,match", [
    (dict(rate_bps=-1e9), "rate"),
    (dict(rate_bps=0), "rate"),
    (dict(loss=1.5), "probability"),
    (dict(corrupt=-0.1), "probability"),
    (dict(propagation_ps=-5), "propagation_ps"),
    (dict(host_overhead_ps=-1), "overhead"),
    (dict(protocol="sctp"), "protocol"),
    (dict(mtu=100), "MTU"),
    (dict(max_retries=-1), "max_retries"),
    (dict(colour="blue"), "unknown config field"),
])
def test_bad_link_and_transport_values(override, match):
    with pytest.raises(ConfigError, match=match):
        TopologyConfig().replace(**override)


def test_from_dict_parses_nested_values_and_rejects_unknown_keys():
    cfg = TopologyConfig.from_dict({
        "topology": "split-3", "images": 4,
        "link": {"rate_bps": 1e8, "host_send_overhead_ps": "50us",
                 "faults": {"loss": 0.01, "down": [["1ms", "2ms"]],
                            "burst": {"p_enter_bad": 0.1, "p_leave_bad": 0.5}}},
        "kernels": {"part1": {"latency_cycles": 1000, "interval_cycles": 500}},
    })
    assert cfg.n == 2 and cfg.kind == "split" and cfg.board_names == ["conv0", "conv1", "fc"]
    assert cfg.link.host_send_overhead_ps == 50 * 10**6
    assert cfg.link.faults.down == ((10**9, 2 * 10**9),)
    assert cfg.link.faults.burst.p_leave_bad == 0.5
    assert cfg.kernels["part1"].latency_cycles == 1000 and cfg.kernels["part2"].latency_cycles == PART2
    with pytest.raises(ConfigError, match="unknown field"):
        TopologyConfig.from_dict({"link": {"speed": 1}})
    with pytest.raises(ConfigError, match="latency"):
        TopologyConfig.from_dict({"kernels": {"part2": {"latency_cycles": 0, "interval_cycles": 1}}})
    with pytest.raises(ConfigError, match="down"):
        TopologyConfig.from_dict({"link": {"faults": {"down": [["5ms", "1ms"]]}}})


def test_config_survives_a_json_round_trip():
    import json

    from netsim.faults import GilbertElliott
    cfg = TopologyConfig(topology="split-4", images=7, batch=2).replace(
        loss=0.01, down=((10**9, None),), burst=GilbertElliott(0.05, 0.5), rto_ps=2 * 10**9)
    again = TopologyConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


# ---- discrete-event runs ------------------------------------------------------------------

def test_split_kernel_bound_and_exact_busy_time():
    m = 8
    r = run(TopologyConfig(topology="split", images=m))
    assert r.mismatches == [] and r.arrival_order == list(range(m))
    # The conv board runs m single-image invocations back to back; the FC board then needs
    # one more part-2 run for the last image. Everything else is network and host overhead.
    kernel_only = (m * PART1 + PART2) * CLK_PS
    assert kernel_only < r.makespan_ps < kernel_only + 500 * 10**6  # < 0.5 ms of network
    assert r.board_busy_ps == {"conv0": m * PART1 * CLK_PS, "fc": m * PART2 * CLK_PS}
    assert min(r.latencies_ps) > (PART1 + PART2) * CLK_PS


def test_frame_counts_and_host_link_utilisation_from_first_principles():
    m = 5
    r = run(TopologyConfig(topology="split", images=m))
    # Per image: host sends 3 image frames + 1 ACK for the scores; conv sends 1 tensor frame
    # + 3 ACKs; FC sends 1 scores frame + 1 ACK for the tensor.
    assert r.counters["node"]["tx_frames"] == m * (4 + 4 + 2)
    assert r.frames == 2 * r.counters["node"]["tx_frames"]  # every frame crosses the switch
    slot = lambda frame: (8 + frame + 12) * 8 * 1000  # noqa: E731 - ps at 1 Gb/s
    image_frames = [14 + 40 + 1460 + 4] * 2 + [14 + 40 + (3088 - 2 * 1460) + 4]
    host_tx = m * (sum(slot(f) for f in image_frames) + slot(64))
    assert r.wire_busy_ps["host->switch"] == host_tx
    assert r.link_utilisation["host->switch"] == pytest.approx(host_tx / r.end_ps)


def test_paper_estimates_follow_from_the_kernel_cycle_counts():
    """Makespans of a 24-image job, from the kernel cycle counts alone (single-image
    invocations, all images queued at t=0), plus at most 0.5 ms of network and host time."""
    m = 24
    slack = 500 * 10**6
    expected = {
        "full": m * FULL,
        "split": m * PART1 + PART2,  # the conv board paces; FC finishes the last image
        # Two conv boards finish an image each at the same moment; FC (2 x PART2 < PART1)
        # keeps up but must run both of the last pair.
        "split-3": (m // 2) * PART1 + 2 * PART2,
        # Three or more replicas outrun the FC board (3 x PART2 > PART1): it runs back to back
        # from the first tensor on.
        "split-4": PART1 + m * PART2,
        "split-5": PART1 + m * PART2,
    }
    got = {t: run(TopologyConfig(topology=t, images=m)) for t in expected}
    for t, cycles in expected.items():
        assert cycles * CLK_PS < got[t].makespan_ps < cycles * CLK_PS + slack, t
    thr = {t: r.throughput for t, r in got.items()}
    assert thr["split-3"] > thr["split"] > thr["full"]
    # The paper's "+40%" for two boards: the conv part is FULL / PART1 times faster.
    assert thr["split"] / thr["full"] == pytest.approx(FULL / PART1, rel=0.03)
    # And the FC board caps any number of replicas at 1e8 / PART2 images per second.
    assert max(thr.values()) <= 1e8 / PART2


def test_batches_trade_latency_for_throughput():
    m, b = 8, 4
    one = run(TopologyConfig(topology="split", images=m, batch=1))
    four = run(TopologyConfig(topology="split", images=m, batch=b))
    ii1, ii2 = 115200, 65536  # slowest-layer cycles of part 1 and part 2
    conv_batches = (m // b) * (PART1 + (b - 1) * ii1)
    assert four.board_busy_ps["conv0"] == conv_batches * CLK_PS
    assert four.board_busy_ps["fc"] == (m // b) * (PART2 + (b - 1) * ii2) * CLK_PS
    assert four.throughput > 1.5 * one.throughput
    assert four.latency_stats_s()["min"] > one.latency_stats_s()["min"]


def test_results_are_delivered_in_image_order():
    """Make conv0's uplink lossy so its tensors reach the FC board late: the FC board then
    computes out of order, but the host still hands the scores on in image order."""
    loop = EventLoop()
    order = []

    cfg = TopologyConfig(topology="split-3", images=10, seed=4)

    def part2(image_id, tensor):
        order.append(image_id)
        return bytes(reversed(tensor)) * (cfg.payload_bytes()["scores"] // len(tensor))

    system = BnnSystem(cfg, loop, compute={"part2": part2})
    system.net.set_faults(FaultConfig(loss=0.5), wires=["conv0->switch"])
    system.start()
    loop.run()
    r = system.result()
    assert order != sorted(order)  # the FC board really saw them out of order
    assert sorted(r.arrival_order) == list(range(10)) and r.delivered_order == list(range(10))
    assert r.mismatches == [] and r.retransmissions > 0


def test_full_and_split_systems_agree_and_survive_faults():
    faults = dict(loss=0.05, corrupt=0.05, duplicate=0.05, reorder=0.05)
    full = run(TopologyConfig(topology="full-2", images=6).replace(**faults))
    split = run(TopologyConfig(topology="split-3", images=6).replace(**faults))
    assert full.mismatches == [] and split.mismatches == []
    assert full.scores == split.scores
    assert split.counters["transport"]["messages_delivered"] == 3 * 6


def test_measured_kernel_cycles_can_replace_the_defaults():
    fast = {"part1": KernelTiming(100_000, 50_000), "part2": KernelTiming(20_000, 10_000)}
    r = run(TopologyConfig(topology="split", images=4, kernels=fast))
    assert r.board_busy_ps["conv0"] == 4 * 100_000 * CLK_PS


def test_dead_link_ends_the_run_with_link_failure():
    cfg = TopologyConfig(topology="split", images=2).replace(down=((0, None),), rto_ps=10**8,
                                                               max_retries=3)
    with pytest.raises(LinkFailure, match="IMAGE, image_id=0"):
        run(cfg)


@pytest.mark.parametrize("topology", ["split", "split-3"])
@pytest.mark.parametrize("faults", [
    {"loss": 0.2},
    {"burst": {"p_enter_bad": 0.02, "p_leave_bad": 0.3}},
    {"corrupt": 0.05, "duplicate": 0.05, "reorder": 0.05},
    {"down": [["2ms", "12ms"]]},
    {"jitter_ps": 20_000_000},
], ids=["loss20", "burst", "corrupt-dup-reorder", "down10ms", "jitter20us"])
def test_faults_lose_nothing(topology, faults):
    """Up to 20% loss, burst loss, corruption, duplication, reordering, a 10 ms outage and
    up to 20 us of jitter: every image's scores arrive exactly once and are right; the
    latency cost is printed."""
    base = TopologyConfig(topology=topology, images=60, seed=5)
    clean = run(base)
    faulty = run(TopologyConfig.from_dict(base.to_dict() | {"link": {"faults": faults}}))
    assert faulty.mismatches == [] and sorted(faulty.scores) == list(range(60))
    assert sorted(faulty.arrival_order) == list(range(60)) and faulty.delivered_order == list(range(60))
    print(f"{topology} {faults}: mean latency {faulty.latency_stats_s()['mean'] * 1e3:.1f} ms vs "
          f"{clean.latency_stats_s()['mean'] * 1e3:.1f} ms, {faulty.retransmissions} retransmissions")
