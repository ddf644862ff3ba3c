"""Functional coverage (tb/jobs/functional_coverage.py, tb/jobs/coverage.py): the bins come
from the design's descriptions, sampling hits exactly what was seen, exported databases merge
by adding hits, and the coverage report writes the functional section with every bin never
hit either open (with its reason) or a gap. No simulation: the FIFO monitor is tested on
rtl/stream_fifo.sv by tb/units/tb_stream_fifo.py, and `make coverage` runs it all."""

from __future__ import annotations

import json
import re
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from cocotb_coverage.coverage import coverage_db

from golden import networks
from golden.synthetic import synthetic_params
from golden.words import tensor_words
from hls_out import interface, kernel as kernels
from netsim import topology
from netsim.config import TopologyConfig
from netsim.faults import FAULT_COUNTERS, GilbertElliott
from netsim.transport import LinkFailure
from tb.jobs import coverage
from tb.jobs import functional_coverage as fc


@pytest.fixture
def db():
    """An empty coverage database for the test; the process's own (which `make coverage`
    exports) is put back afterwards, untouched."""
    saved, state = dict(coverage_db), dict(fc._STATE)
    observers = list(topology.RESULT_OBSERVERS)
    coverage_db.clear()
    fc._STATE.update(installed=False, path=None)
    yield coverage_db
    coverage_db.clear()
    coverage_db.update(saved)
    fc._STATE.clear()
    fc._STATE.update(state)
    topology.RESULT_OBSERVERS[:] = observers


def hits(name: str) -> dict[str, int]:
    return dict(coverage_db[f"{fc.ROOT}.{name}"].detailed_coverage)


def only(name: str, *seen: str) -> None:
    """Exactly the bins `seen` of point `name` were hit, once each."""
    got = hits(name)
    assert got == {b: int(b in seen) for b in got}, f"{name}: {got}"


# ----------------------------------------------------------------------------- the model
def test_activation_bins_are_the_levels_each_layer_can_output():
    for net in networks.NETWORKS.values():
        points = fc.activation_points(net)
        thresholded = [s for s in net if s.thresholds]
        assert sorted(points) == sorted(f"activation.{net.name}.layer{s.index}" for s in thresholded)
        for s in thresholded:
            levels = points[f"activation.{net.name}.layer{s.index}"]
            assert len(levels) == s.num_thresholds + 1 and levels[0] == str(s.act_offset)
    scores = networks.get("cnvW2A2").layer(networks.get("cnvW2A2").last)
    with pytest.raises(ValueError, match="no thresholds"):
        fc.activation_bins(scores)


@pytest.mark.parametrize("network", ["lfcW1A1", "lfcW1A2"])
def test_the_synthetic_network_outputs_exactly_the_levels_of_the_bins(network):
    """golden/ on the seeded synthetic network (thresholds spread so every level occurs):
    the levels of every layer are the bins, no more, no fewer."""
    from golden.images import network_images
    from golden.model import layer_name, network_input, run

    p = synthetic_params(1, network=network)
    taps = run(p, network_input(p.network, network_images(p.network, 4, seed=2)), taps=True).taps
    for point, bins in fc.activation_points(p.network).items():
        index = int(point.rsplit("layer", 1)[1])
        seen = {str(int(v)) for v in np.unique(taps[layer_name(p.network.layer(index))])}
        assert seen == set(bins), f"{point}: golden gives {sorted(seen)}, bins {bins}"


def test_register_bus_and_fault_bins_come_from_their_tables():
    from tb.bus.axi_signals import AXI4_CHANNELS, AXIL_CHANNELS

    static = fc.static_points()
    names = [r.name for r in interface.REGISTERS]
    assert static["registers.read"] == names and static["registers.write"] == names
    assert static["axi.hostmem.backpressure"] == list(AXI4_CHANNELS)
    assert static["axilite.control.backpressure"] == list(AXIL_CHANNELS)
    assert static["faults.recovered"] == list(FAULT_COUNTERS) + [fc.BOARD_FAILURE]
    assert static["axi.hostmem.ar_beats"] == ["1", "2-15", "16-255", "256"]
    assert [fc.burst_bin(b) for b in (1, 2, 15, 16, 255, 256)] == ["1", "2-15", "2-15", "16-255", "16-255", "256"]
    for bad in (0, 257):
        with pytest.raises(ValueError, match="1..256 beats"):
            fc.burst_bin(bad)


@pytest.mark.parametrize("name", ["cnv_part1", "cnv_part2", "lfc_w1a2_full"])
def test_fifo_points_are_the_kernels_stream_fifos_and_their_ports(name):
    """One point per stream_fifo instance of the generated top, and the ports the coverage
    watches (the signals its kernel.json stage names: tb/benches/kernel_probe.py) are the ones
    the instance is wired to."""
    from tb.benches.kernel_probe import kernel_fifos

    info = kernels.load(name)
    sv = info.sv.read_text()
    points = fc.fifo_points(info.data)
    assert len(points) == len(re.findall(r"\bstream_fifo\s*#", sv)) > 0
    scope = SimpleNamespace(**{n: n for n in re.findall(r"\b\w+\b", sv)})   # handle = its name
    watched = kernel_fifos(scope, info.data)
    assert [f"fifo.{name}.{f.name}" for f in watched] == list(points)
    for f in watched:
        inst = re.search(rf"\bu_{f.name}\s*\((.*?)\);", sv, re.S).group(1)
        assert f".s_axis_tready({f.in_ready})" in inst and f".m_axis_tvalid({f.out_valid})" in inst
        assert f".count({f.count})" in inst


# ----------------------------------------------------------------------------- sampling
def test_a_known_bus_run_hits_exactly_its_bins(db):
    ch = lambda waited: SimpleNamespace(wait_cycles=waited)  # noqa: E731
    hostmem = SimpleNamespace(burst_beats={"read": Counter({1: 2, 16: 1, 200: 3}), "write": Counter({256: 1})},
                              channels={"AW": ch(0), "W": ch(5), "B": ch(0), "AR": ch(1), "R": ch(0)})
    off = interface.host_offsets()
    unmapped = next(a for a in range(0, 1 << interface.ADDR_WIDTH, 4) if a not in interface.BY_OFFSET)
    control = SimpleNamespace(channels={"AW": ch(0), "W": ch(2), "B": ch(0), "AR": ch(0), "R": ch(7)},
                              accesses={"read": Counter({off["CTRL"]: 3, off["IP_ISR"]: 1, unmapped: 1}),
                                        "write": Counter({off["in_hi"] + 1: 1, off["numReps"]: 2})})
    fc.KernelCoverage(None, {"name": "k", "stages": []}, hostmem, control).finish()
    only("axi.hostmem.ar_beats", "1", "16-255")
    only("axi.hostmem.aw_beats", "256")
    only("axi.hostmem.backpressure", "W", "AR")
    only("axilite.control.backpressure", "W", "R")
    only("registers.read", "CTRL", "IP_ISR")
    only("registers.write", "in_hi", "numReps")     # a byte inside in_hi's word is in_hi


def test_activation_levels_from_rtl_words_and_from_golden_taps(db):
    net = networks.get("lfcW1A2")
    p = synthetic_params(1, network=net)
    spec = next(s for s in net if s.thresholds and s.act_bits == 2 and not s.pool_after and s.index > 0)
    # The RTL wrote only -1 and +1 after this layer: 0 is not covered.
    codes = np.where(np.arange(2 * spec.ofm_ch).reshape(2, -1) % 2, 1, -1)
    words_out = tensor_words(net, spec.index, codes)
    words_in = np.zeros((2, net.words_per_image(spec.index - 1)), dtype=np.uint64)
    fc.sample_activations(p, spec.index, spec.index, words_in, words_out)
    only(f"activation.{net.name}.layer{spec.index}", "-1", "1")
    assert [n for n in fc.points() if n.startswith("activation.")] == [f"activation.{net.name}.layer{spec.index}"]
    # A code two thresholds cannot produce (binary 10 = -2) is an error, not a silent miss.
    with pytest.raises(ValueError, match="no bin '-2'"):
        fc.sample_activations(p, spec.index, spec.index, words_in, np.full_like(words_out, 0xAAAAAAAAAAAAAAAA))
    # A kernel of layers 0..1: layer 0 from golden/'s taps of the words read.
    from golden.images import network_images
    from golden.words import kernel_words
    w_in, w_out, _ = kernel_words(p, network_images(net, 3, seed=2), 0, 1)
    fc.sample_activations(p, 0, 1, w_in, w_out)
    assert all(hits(f"activation.{net.name}.layer0").values())
    with pytest.raises(ValueError, match="2 images in, 3 out"):
        fc.sample_activations(p, 0, 1, w_in[:2], w_out)


def test_declaring_other_bins_or_sampling_an_unknown_bin_is_an_error(db):
    fc.declare("registers.read", ["A", "B"])
    fc.declare("registers.read", ["A", "B"])          # the same again: fine
    with pytest.raises(ValueError, match="exists with bins"):
        fc.declare("registers.read", ["A", "C"])
    with pytest.raises(ValueError, match="no bin 'Z'"):
        fc.sample("registers.read", ["A", "B"], ["Z"])
    with pytest.raises(ValueError, match="distinct"):
        fc.declare("x.y", ["A", "A"])


FAULT_RUNS = {      # one injection of every fault kind, on a split system of 3 images
    "loss": dict(loss=0.3), "burst": dict(burst=GilbertElliott(0.05, 0.5)), "corrupt": dict(corrupt=0.3),
    "duplicate": dict(duplicate=0.3), "reorder": dict(reorder=0.3), "jitter": dict(jitter_ps=20_000_000),
    "down": dict(down=((2 * 10**9, 6 * 10**9),)),
}


def test_every_fault_kind_injected_and_recovered_is_covered(db):
    assert set(FAULT_RUNS) == set(FAULT_COUNTERS), "a fault kind of netsim/faults.py has no run here"
    fc.install()
    base = TopologyConfig(topology="split", images=3, seed=2)
    for kind, faults in FAULT_RUNS.items():
        r = topology.run(base.replace(**faults))
        assert r.counters["wire"][FAULT_COUNTERS[kind]] > 0 and not r.lost and not r.mismatches
        assert hits("faults.recovered")[kind] >= 1, kind
    before = hits("faults.recovered")
    # Not recovered: a permanent outage (the transport gives up) and a stage left without
    # a board (images lost) do not count.
    with pytest.raises(LinkFailure):
        topology.run(base.replace(down=((0, None),), rto_ps=10**8, max_retries=2))
    lost = topology.run(TopologyConfig(plan="0-5x2,6-8x1", images=8, seed=2, fail="1:0@6000"))
    assert lost.lost and hits("faults.recovered") == before
    failed_over = topology.run(TopologyConfig(plan="0-5x2,6-8x1", images=6, seed=2, fail="0:1@5000"))
    assert failed_over.killed and not failed_over.lost
    assert hits("faults.recovered")[fc.BOARD_FAILURE] == 1


# ----------------------------------------------------------------------------- merge and report
def _export(tmp_path, label, samples):
    """A database as another process would write it: `samples` {point: (bins, seen)}."""
    coverage_db.clear()
    fc._STATE["path"] = None
    for name, (bins, seen) in samples.items():
        fc.sample(name, bins, seen)
    return fc.export(label, tmp_path / "func")


def test_merging_two_exported_databases_adds_their_hits(db, tmp_path):
    regs = [r.name for r in interface.REGISTERS]
    a = _export(tmp_path, "a", {"registers.read": (regs, ["CTRL"])})
    b = _export(tmp_path, "b", {"registers.read": (regs, ["CTRL", "GIER"]),
                                "fifo.k.fifo_L0": (["full", "empty"], ["full"])})
    assert a != b and a.exists() and b.exists()
    merged = coverage._points_of(coverage.merge_functional([a, b], tmp_path / "merged.yml"))
    assert merged["registers.read"]["CTRL"] == 2 and merged["registers.read"]["GIER"] == 1
    assert merged["registers.read"]["IP_ISR"] == 0
    assert merged["fifo.k.fifo_L0"] == {"full": 1, "empty": 0}     # only b declared it
    stale = _export(tmp_path, "c", {"registers.read": (["CTRL", "other"], ["CTRL"])})
    with pytest.raises(SystemExit, match="two versions of the model"):
        coverage.merge_functional([a, stale], tmp_path / "merged.yml")


def test_nothing_seen_exports_nothing(db, tmp_path):
    fc.install()
    assert fc.export("quiet", tmp_path) is None and not list(tmp_path.iterdir())


def _dat(folder):
    folder.mkdir()
    fields = {"f": str(coverage.REPO / "rtl" / "fifo.sv"), "l": "3", "n": "1", "t": "", "page": "v_line/fifo", "o": "block", "h": "t.u"}
    (folder / "a.dat").write_text("# SystemC::Coverage-3\nC '" + "".join(f"\x01{k}\x02{v}" for k, v in fields.items())
                                  + "\x01' 1\n")


def test_the_report_has_the_functional_section_with_every_uncovered_bin(db, tmp_path, capsys):
    _dat(tmp_path / "dat")
    chans = list(fc.static_points()["axi.hostmem.backpressure"])
    _export(tmp_path, "run1", {"axi.hostmem.backpressure": (chans, ["AR", "W"]),
                               "registers.write": ([r.name for r in interface.REGISTERS], ["CTRL"])})
    _export(tmp_path, "run2", {"axi.hostmem.backpressure": (chans, ["AW"])})
    out = tmp_path / "out"
    assert coverage.main(["--dat", str(tmp_path / "dat"), "--out", str(out), "--func", str(tmp_path / "func")]) == 0
    s = json.loads((out / "coverage.json").read_text())
    assert s["total"]["line"] == 100.0                      # the code coverage contract is unchanged
    f = s["functional"]
    bp = f["groups"]["axi.hostmem.backpressure"]
    assert (bp["bins"], bp["hit"], sorted(bp["uncovered"])) == (5, 3, ["B", "R"])
    assert bp["coverage"] == 60.0 and f["runs"] == 2
    n = len(interface.REGISTERS)
    assert (f["bins"], f["hit"]) == (5 + n, 4) and f["total"] == round(100 * 4 / (5 + n), 2)
    # B and R are open with their reasons (OPEN), every other bin never hit is a gap.
    assert set(f["open"]) == {"axi.hostmem.backpressure[B]", "axi.hostmem.backpressure[R]"}
    assert all(f["open"].values())
    assert sorted(f["gaps"]) == sorted(f"registers.write[{r.name}]" for r in interface.REGISTERS if r.name != "CTRL")
    text = capsys.readouterr().out
    assert "open: axi.hostmem.backpressure[B]: " in text and "GAP:  registers.write[GIER]" in text
    assert (out / "functional.yml").exists()


def test_the_report_without_functional_data_keeps_the_code_coverage(tmp_path):
    _dat(tmp_path / "dat")
    s = coverage.report(tmp_path / "dat", tmp_path / "out", tmp_path / "none")
    assert "functional" not in s and s["total"]["line"] == 100.0
