"""Code coverage: the merge of Verilator coverage files and the per-module report."""

import json

import pytest

from tb.jobs import coverage


def _point(f, line, page, o, count, h="top.u"):
    fields = {"f": f, "l": str(line), "n": "1", "t": "", "page": page, "o": o, "h": h}
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in fields.items()) + f"\x01' {count}\n"


def test_merge_counts_a_point_covered_by_any_run_or_instance(tmp_path):
    dat = tmp_path / "dat"
    dat.mkdir()
    f = "/x/rtl/fifo.sv"
    (dat / "a.dat").write_text("# SystemC::Coverage-3\n" + _point(f, 10, "v_line/fifo", "block", 0)
                               + _point(f, 11, "v_line/fifo", "block", 0)
                               + _point(f, 12, "v_toggle/fifo", "d[0]", 3))
    (dat / "b.dat").write_text("# SystemC::Coverage-3\n" + _point(f, 10, "v_line/fifo", "block", 5, h="top.v")
                               + _point(f, 11, "v_line/fifo", "block", 0)
                               + _point(f, 12, "v_toggle/fifo", "d[1]", 0))
    s = coverage.report(dat, tmp_path / "out")
    m = s["generated_kernels"]["fifo (/x/rtl/fifo.sv)"]      # not this repository's rtl/
    assert m["line"] == 50.0 and m["toggle"] == 50.0
    assert m["lines_never_hit"] == ["fifo.sv:11"]
    info = (tmp_path / "out" / "coverage.info").read_text()
    assert "DA:10,5" in info and "DA:11,0" in info
    assert json.loads((tmp_path / "out" / "coverage.json").read_text())["runs"] == 2


def test_parameter_variants_and_copies(tmp_path):
    """Variants of an rtl/ module (Verilator's <module>__<suffix>) count as one module: a line
    is hit when any variant hits it; the same module compiled from a copy elsewhere (an
    exported kernel's folder) is reported apart and does not count for rtl/."""
    dat = tmp_path / "dat"
    dat.mkdir()
    f = str(coverage.REPO / "rtl" / "stream_fifo.sv")
    copy = "/tmp/export/src/stream_fifo.sv"
    (dat / "a.dat").write_text("# SystemC::Coverage-3\n"
                               + _point(f, 10, "v_line/stream_fifo__W8", "block", 2)
                               + _point(f, 11, "v_line/stream_fifo__W8", "block", 0)
                               + _point(f, 12, "v_branch/stream_fifo__W8", "if", 0)
                               + _point(copy, 11, "v_line/stream_fifo", "block", 0))
    (dat / "b.dat").write_text("# SystemC::Coverage-3\n"
                               + _point(f, 11, "v_line/stream_fifo__W16", "block", 4)
                               + _point(f, 12, "v_branch/stream_fifo__W16", "if", 0))
    s = coverage.report(dat, tmp_path / "out")
    m = s["modules"]["stream_fifo"]
    assert (m["line"], m["branch"], m["lines_never_hit"], m["branches_never_taken"]) == \
        (100.0, 0.0, [], ["stream_fifo.sv:12"])
    assert s["total"]["line"] == 100.0
    assert s["generated_kernels"][f"stream_fifo ({copy})"]["line"] == 0.0


def test_no_data_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no coverage data"):
        coverage.report(tmp_path, tmp_path / "out")
