"""tb/bus/lean_streams.py: the lean bus models are subclasses a testbench instantiates;
importing tb.bus changes nothing in cocotbext-axi, and the library's version is pinned in
pyproject.toml only. (That the models register fewer simulator callbacks, and that an idle
control bus registers none, is checked in simulation: tests/test_axi_checker.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# A fresh interpreter: every attribute of every class and module of cocotbext-axi, before and
# after importing every module of tb/bus.
_SNAPSHOT = r"""
import importlib, inspect, pkgutil, sys
import cocotbext.axi as axi

def snapshot():
    out = {}
    for info in pkgutil.iter_modules(axi.__path__):
        mod = importlib.import_module(f"cocotbext.axi.{info.name}")
        for name, value in vars(mod).items():
            out[(info.name, name)] = id(value)
            if inspect.isclass(value):
                for attr, member in vars(value).items():
                    out[(info.name, f"{name}.{attr}")] = id(member)
    return out

before = snapshot()
import tb.bus
for info in pkgutil.iter_modules(tb.bus.__path__):
    importlib.import_module(f"tb.bus.{info.name}")
after = snapshot()
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(len(before), changed)
sys.exit(1 if changed else 0)
"""


def test_importing_tb_bus_changes_nothing_in_cocotbext_axi():
    done = subprocess.run([sys.executable, "-c", _SNAPSHOT], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, f"importing tb.bus changed cocotbext-axi: {done.stdout}{done.stderr}"
    assert int(done.stdout.split()[0]) > 500       # the snapshot saw the library


def test_the_version_is_pinned_in_pyproject_only():
    pins = re.findall(r'"cocotbext-axi==([0-9.]+)"', (REPO / "pyproject.toml").read_text())
    assert len(pins) == 1, "pyproject.toml pins cocotbext-axi exactly once"
    source = (REPO / "tb" / "bus" / "lean_streams.py").read_text()
    assert "__version__" not in source and pins[0] not in source


def test_the_models_are_subclasses_built_on_lean_endpoints():
    from cocotbext.axi import AxiLiteMaster, AxiStreamSink, AxiStreamSource
    from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
    from cocotbext.axi.axil_master import AxiLiteMasterWrite

    from tb.bus import lean_streams as ls

    assert issubclass(ls.QuietAxiLiteMaster, ls.LeanAxiLiteMaster)
    assert issubclass(ls.LeanAxiLiteMaster, AxiLiteMaster)
    assert issubclass(ls.LeanAxiRamRead, AxiRamRead) and issubclass(ls.LeanAxiRamWrite, AxiRamWrite)
    assert issubclass(ls.LeanAxiStreamSource, AxiStreamSource) and issubclass(ls.LeanAxiStreamSink, AxiStreamSink)
    # each constructor creates the lean endpoints; the library's own still creates its own
    made = {
        ls.LeanAxiLiteMaster: {"AxiLiteMasterWrite": ls.LeanAxiLiteMasterWrite,
                               "AxiLiteMasterRead": ls.LeanAxiLiteMasterRead},
        ls.QuietAxiLiteMaster: {"AxiLiteMasterWrite": ls.QuietAxiLiteMasterWrite,
                                "AxiLiteMasterRead": ls.QuietAxiLiteMasterRead},
        ls.LeanAxiLiteMasterWrite: {"AxiLiteAWSource": ls.LeanAxiLiteAWSource,
                                    "AxiLiteWSource": ls.LeanAxiLiteWSource, "AxiLiteBSink": ls.LeanAxiLiteBSink},
        ls.QuietAxiLiteMasterWrite: {"AxiLiteBSink": ls.GatedAxiLiteBSink},
        ls.QuietAxiLiteMasterRead: {"AxiLiteRSink": ls.GatedAxiLiteRSink},
        ls.LeanAxiSlaveWrite: {"AxiAWSink": ls.LeanAxiAWSink, "AxiWSink": ls.LeanAxiWSink,
                               "AxiBSource": ls.LeanAxiBSource},
        ls.LeanAxiSlaveRead: {"AxiARSink": ls.LeanAxiARSink, "AxiRSource": ls.LeanAxiRSource},
    }
    for cls, names in made.items():
        for name, lean in names.items():
            assert cls.__init__.__globals__[name] is lean, (cls.__name__, name)
    assert AxiLiteMasterWrite.__init__.__globals__["AxiLiteBSink"].__module__ == "cocotbext.axi.stream"
    # the RAM sides run the rebuilt AxiSlave constructors
    assert ls.LeanAxiRamRead.__mro__.index(ls.LeanAxiSlaveRead) < ls.LeanAxiRamRead.__mro__.index(AxiRamRead.__mro__[1])
    for sink in (ls.LeanAxiLiteBSink, ls.LeanAxiAWSink, ls.LeanAxiWSink, ls.LeanAxiARSink, ls.GatedAxiLiteRSink):
        assert sink._run_ready_monitor is ls.LeanSink._run_ready_monitor
    for model in (ls.LeanAxiLiteAWSource, ls.LeanAxiRSource, ls.LeanAxiStreamSource, ls.LeanAxiLiteMasterWrite,
                  ls.LeanAxiRamWrite):
        assert model._run_reset is ls.LeanReset._run_reset


def test_building_refuses_a_name_the_constructor_does_not_create():
    from cocotbext.axi.axil_master import AxiLiteMasterWrite

    from tb.bus.lean_streams import LeanAxiLiteBSink, building

    with pytest.raises(ImportError, match="creates no AxiBSink.*pyproject.toml"):
        building(AxiLiteMasterWrite.__init__, AxiBSink=LeanAxiLiteBSink)
