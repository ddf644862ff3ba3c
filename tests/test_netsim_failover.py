"""Failover in the discrete-event model: a replica dies mid-run (its kernel stops answering,
its cables go dark); the dispatchers notice by a timeout, re-send its unfinished images to the
survivors, and every image still arrives exactly once. A stage with no survivor ends the run
with a report of which images were lost where."""

import pytest

from netsim.config import ConfigError, TopologyConfig
from netsim.topology import run
from netsim.simtime import parse_duration


def test_a_dead_conv_replica_is_failed_over():
    base = TopologyConfig(plan="0-5x2,6-8x1", images=12, seed=2)
    clean = run(base)
    # conv replica 1 dies while it holds images (the whole job is queued at time 0).
    r = run(TopologyConfig(plan="0-5x2,6-8x1", images=12, seed=2, fail="0:1@5000"))
    assert r.killed and r.killed[0]["board"] == "s0b1"
    assert sorted(r.scores) == list(range(12)) and r.mismatches == [] and not r.lost
    assert r.delivered_order == list(range(12)) and sorted(r.arrival_order) == list(range(12))
    assert r.duplicates == 0
    assert len(r.failovers) == 1 and r.failovers[0]["replica"] == 1 and r.resent >= 1
    detected = r.failovers[0]["detected_ps"] - parse_duration("5ms")
    timeout = base.failover_timeout(0, 5)
    assert 0 < detected <= 2 * timeout, "noticed by a timeout, within two of them"
    # One conv board for the rest of the job: slower than with both.
    assert r.makespan_ps > clean.makespan_ps
    print(f"failover: detected {detected / 1e9:.2f} ms after the failure, {r.resent} image(s) re-sent, "
          f"response time {clean.makespan_ps / 1e9:.1f} -> {r.makespan_ps / 1e9:.1f} ms")


def test_a_dead_middle_replica_is_failed_over_by_every_sender():
    r = run(TopologyConfig(plan="0-3x2,4-5x2,6-8x1", images=16, seed=3, fail="1:0@4000"))
    assert sorted(r.scores) == list(range(16)) and r.mismatches == [] and not r.lost
    assert [e["stage"] for e in r.failovers] == [1]


def test_a_stage_without_survivors_reports_what_was_lost_where():
    r = run(TopologyConfig(plan="0-5x2,6-8x1", images=8, seed=2, fail="1:0@6000"))
    assert r.lost, "the FC board was the only one of its stage"
    assert all("stage 1 (6-8x1)" in where for where in r.lost.values())
    assert sorted(list(r.scores) + list(r.lost)) == list(range(8))   # each image: scores or lost


def test_failover_mode_without_failures_changes_no_result():
    plain = run(TopologyConfig(plan="0-5x2,6-8x1", images=8, seed=4))
    acked = run(TopologyConfig(plan="0-5x2,6-8x1", images=8, seed=4, failover=True))
    assert acked.scores == plain.scores and not acked.failovers
    assert acked.frames > plain.frames        # the DONE messages


@pytest.mark.parametrize("fail,message", [
    ("2:0@10", "the plan has stages 0-1"),
    ("0:2@10", "has replicas 0-1"),
    ("0-1@10", "expected STAGE:REPLICA@TIME_US"),
])
def test_bad_failures_are_clear_errors(fail, message):
    with pytest.raises(ConfigError, match=message):
        TopologyConfig(plan="0-5x2,6-8x1", fail=fail).validate()


def test_failure_time_sweep_gives_recovery_and_throughput_drop():
    """The discrete-event model sweeps when the replica dies: recovery time (failure to
    detection) stays within the timeout bound, and the later it dies, the less is lost."""
    from netsim.sweep import sweep

    base = TopologyConfig(plan="0-5x2,6-8x1", images=16, seed=6)
    points = sweep(base, {"fail": ["0:1@2000", "0:1@10000", "0:1@30000"]})
    assert all(p.ok and sorted(p.result.scores) == list(range(16)) for p in points)
    thr = [p.result.throughput for p in points]
    assert thr[0] < thr[1] < thr[2] < run(base).throughput * 1.001
    for p in points:
        fo = p.result.failovers[0]
        recovery = fo["detected_ps"] - p.result.killed[0]["at_ps"]
        if fo["resent"]:
            # It held images: its dispatcher's timeout noticed.
            assert 0 < recovery <= 2 * base.failover_timeout(0, 5) and "transport" not in fo["by"]
        else:
            # It had finished its share: only the transport notices (a DONE never acknowledged).
            assert "transport" in fo["by"]
        print(f"fail at {p.result.killed[0]['at_ps'] / 1e9:.0f} ms: recovery {recovery / 1e9:.2f} ms "
              f"({fo['by']}), {len(fo['resent'])} re-sent, {p.result.throughput:.1f} img/s")
