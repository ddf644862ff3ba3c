"""``python -m netsim run|sweep``: option parsing, tables, errors."""

import json
import subprocess
import sys

import pytest

from netsim.cli import expand, main, parse_rate
from netsim.simtime import parse_duration


def test_value_parsers():
    assert expand("1..4", int) == [1, 2, 3, 4]
    assert expand("0,0.05", float) == [0.0, 0.05]
    assert expand("1,3..4", int) == [1, 3, 4]
    assert parse_rate("100M") == 1e8 and parse_rate("1G") == 1e9 and parse_rate("1e9") == 1e9
    assert parse_duration("50us") == 50 * 10**6 and parse_duration("1.5ms") == 15 * 10**8
    assert parse_duration("0") == 0 and parse_duration(2e-6) == 2 * 10**6
    with pytest.raises(ValueError):
        expand("4..1", int)
    with pytest.raises(ValueError):
        parse_duration("fast")


def test_run_prints_a_summary_and_writes_a_pcap(tmp_path, capsys):
    pcap = tmp_path / "run.pcap"
    assert main(["run", "--topology", "split-3", "--images", "4", "--loss", "0.05",
                 "--pcap", str(pcap)]) == 0
    out = capsys.readouterr().out
    assert "throughput" in out and "4 scores, 0 mismatches" in out
    assert pcap.stat().st_size > 24  # more than the pcap file header


def test_sweep_prints_one_row_per_replica_count(capsys):
    assert main(["sweep", "--topology", "split", "--boards", "1..3", "--images", "6", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["replicas"] for r in rows] == [1, 2, 3]
    assert rows[1]["throughput"] > rows[0]["throughput"]
    assert main(["sweep", "--topology", "split", "--boards", "1,2", "--images", "4",
                 "--host-overhead", "0,1ms"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "img/s" in table[0] and len(table) == 2 + 4  # header, rule, 2 x 2 points


@pytest.mark.parametrize("argv,msg", [
    (["run", "--topology", "ring"], "unknown topology"),
    (["run", "--boards", "1..3"], "lists and ranges are for 'sweep'"),
    (["run", "--loss", "2"], "probability"),
    (["run", "--rate", "-5"], "rate"),
    (["sweep", "--boards", "0"], "N >= 1"),
])
def test_errors_are_reported_not_raised(argv, msg, capsys):
    assert main(argv + ["--images", "2"]) == 1
    assert msg in capsys.readouterr().err


def test_dead_link_is_a_clean_failure(capsys):
    assert main(["run", "--images", "1", "--down", "0-", "--rto", "100us", "--max-retries", "2"]) == 2
    assert "not acknowledged after 2 retransmissions" in capsys.readouterr().err


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "netsim", "run", "--topology", "full", "--images", "2"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "response time" in out.stdout
