"""The strict second SystemVerilog front end of `make lint` (slang, through pyslang, in
tb/jobs/lint.py): every rtl/ module and every generated kernel elaborates with no error, and
the check does fail on code that slang rejects but Verilator builds (an identifier used
before its declaration, as the generator once wrote for the kernels' arlock1/awlock1)."""

from __future__ import annotations

import re

import pytest

from tb.jobs import lint
from tb.jobs.runner import RTL

USE_BEFORE_DECL = """module ubd (input logic a, output logic y);
    assign y = b;
    logic b;
    assign b = a;
endmodule
"""


@pytest.mark.parametrize("path", sorted(RTL.glob("*.sv")), ids=lambda p: p.name)
def test_slang_rtl_module(path):
    ok, out, runs = lint.slang_file(path)
    assert runs >= 1
    assert ok, f"slang rejects {path.name}:\n{out}"


@pytest.mark.parametrize("path", lint.kernel_tops(), ids=lambda p: p.parent.name)
def test_slang_generated_kernel(path):
    ok, out = lint.slang_kernel(path)
    assert ok, f"slang rejects the generated kernel {path.name}:\n{out}"


def test_there_are_kernels_to_check():
    assert {p.stem for p in lint.kernel_tops()} >= {"cnv_full", "cnv_part1", "cnv_part2"}


def test_slang_reports_use_before_declaration(tmp_path, capsys):
    src = tmp_path / "ubd.sv"
    src.write_text(USE_BEFORE_DECL)
    rep = lint.slang(["--top", "ubd", str(src)])
    assert rep.errors >= 1 and "used before its declaration" in rep.text, rep.text
    # and `python -m tb.jobs.lint` says so and fails
    assert lint.main(["--only", "slang", str(src)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^FAIL slang\s+ubd\.sv", out, re.M) and "ubd.sv:2:" in out, out


def test_slang_kernel_check_fails_on_late_declaration(tmp_path):
    """A kernel with the lock wires declared after the memory reader that uses them."""
    good = lint.kernel_tops()[0]
    text = good.read_text()
    decl = "    logic arlock1, awlock1;\n"
    assert decl in text
    late = text.replace(decl, "").replace("endmodule", decl + "endmodule")
    bad = tmp_path / good.parent.name / good.name
    bad.parent.mkdir()
    bad.write_text(late)
    (bad.parent / "kernel.json").write_text("{}")
    ok, out = lint.slang_kernel(bad)
    assert not ok and "'arlock1' used before its declaration" in out, out
