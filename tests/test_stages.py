"""The stage kinds (golden/stages): each class owns its module, parameters, widths, cycles,
cost, golden execution, parameter words and watched signals, and everything else reads them.
Checked against what this project did not write where there is something: the SV modules'
own parameter lists in rtl/ and BNN-PYNQ's trained `.bin` files."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from golden import networks
from golden.stages import KINDS, MVAU, SlidingWindow, StreamFifo, kernel_chain, layer_stages
from hls_out import kernel as kernel_info

REPO = Path(__file__).resolve().parent.parent
STAGES = REPO / "golden" / "stages"


def _sv_parameters(module: str) -> set[str]:
    text = (REPO / "rtl" / f"{module}.sv").read_text()
    start = re.search(rf"^module\s+{module}\b", text, re.M).start()
    header = text[start:re.compile(r"^\s*\);", re.M).search(text, start).start()]
    return set(re.findall(r"parameter\s+(?:int\s+)?(\w+)", header))


def test_every_kind_file_is_registered_and_has_its_rtl():
    """One file per kind: every stage class defined in golden/stages that names its kind
    (`kind = ...`; shared bases such as MemoryEnd do not) is in KINDS, and its SV module
    exists in rtl/."""
    defined = set()
    for path in STAGES.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(x, ast.Assign) and any(getattr(t, "id", None) == "kind" for t in x.targets)
                    for x in node.body):
                defined.add(node.name)
    assert len(defined) >= 7
    assert defined == {cls.__name__ for cls in KINDS.values()}
    for cls in KINDS.values():
        assert (REPO / "rtl" / f"{cls.module}.sv").is_file(), cls


@pytest.mark.parametrize("name", kernel_info.known())
def test_generated_kernels_are_their_stage_objects(name):
    """kernel.json serialises the chain; rebuilding the chain from the kernel's network,
    range and folding gives the same stages, and every parameter a stage sets is one its SV
    module declares."""
    info = kernel_info.load(name)
    chain = info.chain
    assert [s.kind for s in chain][0] == "memory_reader" and [s.kind for s in chain][-1] == "memory_writer"
    top = info.sv.read_text()
    for st in chain:
        assert set(st.params) <= _sv_parameters(st.module), st.name
        for role, signal in st.signals().items():
            assert re.search(rf"\b{re.escape(signal)}\b", top), (st.name, role, signal)
    # streams join: stage k writes the stream stage k+1 reads, at one width
    for a, b in zip(chain.stages, chain.stages[1:]):
        assert a.out_stream == b.in_stream and a.out_width == b.in_width


def test_a_tampered_kernel_json_is_caught(tmp_path):
    src = kernel_info.load("lfc_w1a1_part1")
    data = json.loads((src.folder / "kernel.json").read_text())
    mvau = next(s for s in data["stages"] if s["kind"] == "mvau")
    mvau["params"]["PE"] = 1
    (tmp_path / "kernel.json").write_text(json.dumps(data))
    from golden.errors import BnnInputError
    with pytest.raises(BnnInputError, match="regenerate"):
        kernel_info.load(tmp_path).chain


@pytest.mark.parametrize("net_name", list(networks.NETWORKS))
def test_layer_cycles_are_the_slowest_stage_and_the_mvau_sets_them(net_name):
    net = networks.get(net_name)
    f = net.folding
    for spec in net:
        stages = layer_stages(f, spec.index)
        mvau = next(s for s in stages if isinstance(s, MVAU))
        assert mvau.cycles() == spec.ofm_dim ** 2 * (spec.mw // f.simd(spec.index)) * (spec.mh // f.pe(spec.index))
        assert max(s.cycles() for s in stages) == mvau.cycles()
    chain = kernel_chain(f, 0, net.last)
    # a FIFO or converter never limits a BNN-PYNQ kernel
    assert max(s.cycles() for s in chain) == max(m.cycles() for m in chain.mvaus)


@pytest.mark.parametrize("net_name", list(networks.NETWORKS))
def test_init_words_are_the_bnn_pynq_files_word_for_word(net_name, family_params_dir, family_trained_params):
    """The MVAU's parameter words (targetLayer, targetMem, targetInd, targetThresh, val) carry
    exactly BNN-PYNQ's `.bin` words, PE by PE, weights then thresholds."""
    net = networks.get(net_name)
    folder = family_params_dir(net_name)
    params = family_trained_params(net_name)
    for spec in (net[0], net[net.last]):
        (mvau,) = [s for s in layer_stages(net.folding, spec.index) if isinstance(s, MVAU)]
        words = list(mvau.init_words(params[spec.index]))
        i = spec.index
        for p in range(mvau.pe):
            file = np.fromfile(folder / f"{i}-{p}-weights.bin", dtype="<u8")
            got = [w for t, m, _, _, w in words if t == 2 * i and m == p]
            assert got == [int(v) for v in file]
            if spec.thresholds:
                file = np.fromfile(folder / f"{i}-{p}-thres.bin", dtype="<u8")
                got = [w for t, m, _, _, w in words if t == 2 * i + 1 and m == p]
                assert got == [int(v) for v in file]
        assert set(t for t, *_ in words) == set(mvau.init_targets())


def test_stage_resources_add_up_to_the_layer_estimate():
    from hls_out.resources import layer_estimate

    net = networks.get("cnvW2A2")
    for spec in net:
        stages = layer_stages(net.folding, spec.index)
        e = layer_estimate(net, spec.index)
        assert e.ramb18 == sum(s.resources().ramb18 for s in stages)
        assert e.lutram_bits == sum(s.resources().lutram_bits for s in stages)
        swg = [s for s in stages if isinstance(s, SlidingWindow)]
        assert bool(swg) == (spec.kind == "conv")
    # CNV's layer 1 line buffers: K+1 = 4 lines of 32 x 64 / 32 words of 32 x 2 bits... in BRAM
    swg = layer_stages(net.folding, 1)[0]
    assert swg.resources().ramb18 + swg.resources().lutram_bits > 0


def test_golden_execution_runs_through_the_stages():
    """A conv layer is its window generator then its MVAU: im2col's columns reach the MVAU
    in the order (ky*K + kx)*C + ch, checked on a hand-made 4x4 image."""
    net = networks.get("cnvW2A2")
    spec = net[1]
    swg, mvau = layer_stages(net.folding, 1)[:2]
    x = np.zeros((1, spec.ifm_dim, spec.ifm_dim, spec.ifm_ch), dtype=np.int8)
    x[0, 2, 1, 5] = 1
    cols = swg.execute(x)
    assert cols.shape == (1, spec.ofm_dim, spec.ofm_dim, spec.mw)
    # output pixel (0, 0) sees input (2, 1) at ky=2, kx=1
    assert cols[0, 0, 0, (2 * 3 + 1) * spec.ifm_ch + 5] == 1 and cols[0, 0, 0].sum() == 1
    w = np.zeros((spec.mh, spec.mw), dtype=np.int8)
    w[7, (2 * 3 + 1) * spec.ifm_ch + 5] = -1
    acc = mvau.accumulate(w, cols)
    assert acc[0, 0, 0, 7] == -1 and np.count_nonzero(acc) == 1


def test_fifos_name_their_count_signal():
    chain = kernel_chain(networks.get("lfcW1A1").folding, 0, 3)
    for f in chain.fifos:
        assert isinstance(f, StreamFifo) and f.signals()["count"] == f"fifo_count_{f.tag}"
