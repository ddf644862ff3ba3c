"""tb/jobs/job_file.py: the typed contract between the host side (kernel_job, cosim) and the
cocotb benches. Each job kind round-trips through its JSON file; an unknown field, a missing
one or a value of the wrong type is an error naming the file and the field; the host side's
job dataclasses are keyword-only."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tb.jobs import job_file
from tb.jobs.job_file import (BoardEntry, InitLayer, InjectedBusError, JobFileError, KernelJobSpec,
                              SystemJobSpec)

INFO = {"name": "k", "expected_cycles": {"sum": 10, "initiation_interval": 5}}


def kernel_spec(**kw) -> KernelJobSpec:
    return KernelJobSpec(**{
        "kernel": "lfc_w1a1_part2", "network": "lfcW1A1", "first": 2, "last": 3, "info": INFO,
        "board": "pynq-z1", "period_ps": 10000, "npz": "/x/stimulus.npz", "init_npz": None,
        "report": "/x/report.json", "progress": "/x/progress.json", "params": None,
        "params_source": "synthetic(seed=2)", "seed": 2, "stall_seed": None, "hold_writes": 0, "host_timing": True,
        "fill_fifos": False, "init_layers": (InitLayer(layer=2, simd=32, pe=64, weight_bits=1),),
        "bus_errors": (InjectedBusError(buffer="in", image=1, resp="SLVERR"),), "reps": (1, 8),
        "init_all": False, "loader": None, "paper_latency_cycles": None} | kw)


def board(name: str, **kw) -> BoardEntry:
    return BoardEntry(**{
        "name": name, "kernel": "lfc_w1a1_part1", "role": "part1", "first": 0, "last": 1,
        "sources": ("/r/lfc_w1a1_part1.sv",), "export": False, "ports": None, "wrapper": None,
        "words_in": 13, "words_out": 16, "info": INFO, "period_ps": 10002} | kw)


def system_spec(**kw) -> SystemJobSpec:
    return SystemJobSpec(**{
        "network": "lfcW1A1", "last_layer": 3, "board": "pynq-z1",
        "boards": (board("s0b0"), board("s1b0", kernel="BlackBoxJam", export=True, ports=("ap_clk", "ap_rst_n"),
                                        wrapper="/w/BlackBoxJam_host.sv", period_ps=9998)),
        "topology": {"topology": "split", "plan": "0-1x1,2-3x1"}, "npz": "/x/stimulus.npz",
        "summary": "/x/summary.json", "trace": "/x/trace.json", "progress": "/x/progress.json",
        "pcap": "/x/link.pcap", "params": "/p", "params_source": "/p", "seed": 1, "stall_seed": 7, "host_timing": True,
        "timeout_ms": 90.0, "warnings": ("stage 0-5 does not fit",)} | kw)


@pytest.mark.parametrize("spec", [kernel_spec(), system_spec()], ids=["kernel", "system"])
def test_round_trip(spec, tmp_path):
    path = job_file.write(tmp_path / "job.json", spec)
    assert job_file.load(path) == spec
    assert job_file.load(path, type(spec)) == spec
    data = json.loads(path.read_text())
    assert data["kind"] == ("kernel" if isinstance(spec, KernelJobSpec) else "system")
    assert set(data) == {"kind"} | {f.name for f in dataclasses.fields(spec)}     # JSON by field name


def test_the_bench_reads_the_job_named_by_the_environment(tmp_path, monkeypatch):
    path = job_file.write(tmp_path / "job.json", kernel_spec())
    monkeypatch.setenv(*next(iter(job_file.env(path).items())))
    assert job_file.read(KernelJobSpec) == kernel_spec()
    with pytest.raises(JobFileError, match="a kernel job; this bench runs SystemJobSpec jobs"):
        job_file.read(SystemJobSpec)


def _edited(spec, tmp_path, edit) -> str:
    data = job_file.to_json(spec)
    edit(data)
    path = tmp_path / "job.json"
    path.write_text(json.dumps(data))
    with pytest.raises(JobFileError) as exc:
        job_file.load(path)
    assert str(path) in str(exc.value)
    return str(exc.value)


def test_unknown_field_is_named(tmp_path):
    assert "unknown field 'watchdog_cycles' (KernelJobSpec has kernel, network," in \
        _edited(kernel_spec(), tmp_path, lambda d: d.update(watchdog_cycles=5))
    assert "unknown field 'boards[1].load'" in \
        _edited(system_spec(), tmp_path, lambda d: d["boards"][1].update(load={}))


def test_missing_field_is_named(tmp_path):
    assert "missing field 'period_ps' (KernelJobSpec)" in \
        _edited(kernel_spec(), tmp_path, lambda d: d.pop("period_ps"))
    assert "missing field 'boards[0].words_out' (BoardEntry)" in \
        _edited(system_spec(), tmp_path, lambda d: d["boards"][0].pop("words_out"))
    assert "missing field 'init_layers[0].weight_bits'" in \
        _edited(kernel_spec(), tmp_path, lambda d: d["init_layers"][0].pop("weight_bits"))


def test_wrong_type_and_kind_are_named(tmp_path):
    assert "field 'boards[1].period_ps': expected int, got '9998'" in \
        _edited(system_spec(), tmp_path, lambda d: d["boards"][1].update(period_ps="9998"))
    assert "field 'stall_seed': expected int, got True" in \
        _edited(kernel_spec(), tmp_path, lambda d: d.update(stall_seed=True))
    assert "field 'reps': expected a list of int, got 8" in \
        _edited(kernel_spec(), tmp_path, lambda d: d.update(reps=8))
    assert "field 'kind' is 'cosim'; expected one of kernel, system" in \
        _edited(kernel_spec(), tmp_path, lambda d: d.update(kind="cosim"))


def test_the_host_side_writes_what_the_benches_read(tmp_path):
    """kernel_job.prepare and cosim.prepare write specs that load back (nothing simulated)."""
    from tb.jobs import cosim, kernel_job

    k = job_file.load(kernel_job.prepare(kernel_job.KernelJob(kernel="lfc_w1a1_part2", images=2, seed=2,
                                                              init_layers=[3], out_dir=str(tmp_path / "k"))),
                      KernelJobSpec)
    assert (k.kernel, k.first, k.last, k.period_ps, k.board) == ("lfc_w1a1_part2", 2, 3, 10000, "pynq-z1")
    assert [il.layer for il in k.init_layers] == [3] and k.init_npz is not None
    s = job_file.load(cosim.prepare(cosim.CosimJob(images=1, network="lfcW1A1", plan="0-1x1,2-3x1", ppm=100,
                                                   stall_seed=None, out_dir=str(tmp_path / "s"))),
                      SystemJobSpec)
    assert [(b.name, b.first, b.last, b.period_ps) for b in s.boards] == [("s0b0", 0, 1, 10001), ("s1b0", 2, 3, 9999)]
    assert s.topology["plan"] == "0-1x1,2-3x1" and s.last_layer == 3


def test_many_field_job_dataclasses_are_keyword_only():
    """`python -m tb.jobs.cosim --ppm 200` once put 200.0 into CosimJob.faults (positional
    construction); every job dataclass with many fields is keyword-only now."""
    from netsim.config import LinkConfig, TopologyConfig
    from tb.jobs.cosim import CosimJob
    from tb.jobs.kernel_job import KernelJob
    from tb.jobs.regress import Shard
    from tb.jobs.result import Result

    for cls, args in ((CosimJob, ("split", 2)), (KernelJob, ("cnv_part2", 2)), (Shard, (0, 0, 2)),
                      (Result, ("kernel", "cnvW2A2", "k", "p")), (TopologyConfig, ("split",)),
                      (LinkConfig, (1e9,)), (KernelJobSpec, ("k",)), (SystemJobSpec, ("n",)), (BoardEntry, ("b",))):
        with pytest.raises(TypeError, match="positional"):
            cls(*args)
