"""mvau: small corner shapes plus the CNV-W2A2 layers (full images of the big ones are slow).

Each case is built in both schedules (HLS_TIMING = 0: double-buffered input read ahead;
1: the HLS loop, input read only in the first neuron fold) and runs twice on one build: with +PARAMS_DIR (memories from $readmemh files; full rate
with the exact cycle count, then random stalls) and without (memories written through the
run-time cfg port).
"""

import pytest

from golden.cycles import layer_cycles
from golden.networks import get

CNV_W2A2 = get("cnvW2A2")
from tb.jobs.runner import rtl_sources, run
from tb.bus.streams import env_config
from tb.units.tb_mvau import make_case

SOURCES = ("mvau", "mvau_weight_mem", "mvau_thresh_mem")


def small(mw, mh, simd, pe, in_bits=2, use_thresh=1, vectors=6, **extra):
    return {**extra, "MW": mw, "MH": mh, "SIMD": simd, "PE": pe, "IN_BITS": in_bits, "USE_THRESH": use_thresh,
            "ACC_BITS": 16, "THRESH_FIXED": 0, "THRESH_BITS": 16, "LAYER": 9, "images": vectors}


def cnv(index, images=2, rows=None):
    """Layer `index` of CNV-W2A2 with the default folding; conv layers take images (optionally
    only their first `rows` output rows)."""
    s, f = CNV_W2A2[index], CNV_W2A2.folding
    cfg = {"MW": s.mw, "MH": s.mh, "SIMD": f.simd(index), "PE": f.pe(index), "IN_BITS": s.in_bits,
           "USE_THRESH": int(s.thresholds), "ACC_BITS": 16, "THRESH_FIXED": int(s.in_bits == 8),
           "THRESH_BITS": 24 if s.in_bits == 8 else 16, "LAYER": index, "images": images,
           "formula": layer_cycles(index, f)}
    if s.kind == "conv":
        cfg.update(ifm_dim=s.ifm_dim, ifm_ch=s.ifm_ch)
        if rows is not None:
            cfg["rows"] = rows
    return cfg


CASES = [
    pytest.param(small(8, 8, 4, 2), id="small"),
    pytest.param(small(4, 8, 4, 4, vectors=8), id="sf1"),            # every step ends a fold
    pytest.param(small(8, 4, 2, 4), id="nf1"),                       # one fold per vector
    pytest.param(small(512, 8, 16, 4, in_bits=8, use_thresh=0, vectors=4, skew=1), id="wrap16"),
    pytest.param(cnv(0, rows=4), id="l0-4rows"),
    pytest.param(cnv(2, rows=2), id="l2-2rows"),
    pytest.param(cnv(4, rows=1), id="l4-1row"),
    pytest.param(cnv(6), id="l6"),
    pytest.param(cnv(8), id="l8"),
    pytest.param(cnv(0), id="l0", marks=pytest.mark.slow),
    pytest.param(cnv(1), id="l1", marks=pytest.mark.slow),
    pytest.param(cnv(2), id="l2", marks=pytest.mark.slow),
    pytest.param(cnv(3), id="l3", marks=pytest.mark.slow),
    pytest.param(cnv(4), id="l4", marks=pytest.mark.slow),
    pytest.param(cnv(5), id="l5", marks=pytest.mark.slow),
    pytest.param(cnv(7), id="l7", marks=pytest.mark.slow),
]

BUILD_KEYS = ("MW", "MH", "SIMD", "PE", "IN_BITS", "USE_THRESH", "ACC_BITS", "THRESH_FIXED",
              "THRESH_BITS", "LAYER", "HLS_TIMING",
              # number formats of the BNN-PYNQ family (absent: CNV-W2A2's, the RTL defaults)
              "WEIGHT_BITS", "XNOR", "NUM_THRESH", "ACT_OFFSET", "ACT_BITS",
              "VECTORS",    # HLS: input vectors per image (the pipeline drains per image)
              "MAC")        # products as multiplications (the DSP48 variant)


def family(net_name, index, images=2, rows=None):
    """Layer `index` of another network of the family with its BNN-PYNQ folding and number
    formats (the MVAU parameters the generator gives it, hls_out/generate.py)."""
    from golden.stages.mvau import number_params as _number_params
    net = get(net_name)
    s, f = net[index], net.folding
    cfg = {"MW": s.mw, "MH": s.mh, "SIMD": f.simd(index), "PE": f.pe(index), "IN_BITS": s.in_bits,
           "USE_THRESH": int(s.thresholds), "ACC_BITS": 16, "THRESH_FIXED": int(s.in_bits == 8),
           "THRESH_BITS": 24 if s.in_bits == 8 else 16, "LAYER": index, "images": images,
           "formula": layer_cycles(index, f)} | _number_params(s)
    if s.kind == "conv":
        cfg.update(ifm_dim=s.ifm_dim, ifm_ch=s.ifm_ch)
        if rows is not None:
            cfg["rows"] = rows
    return cfg


ONE_BIT = {"NUM_THRESH": 1, "ACT_OFFSET": 0, "ACT_BITS": 1}
# Every weight x input x activation combination of the family, small and as the real layers.
FAMILY_CASES = [
    pytest.param(small(64, 16, 32, 8, in_bits=1, WEIGHT_BITS=1, XNOR=1, **ONE_BIT), id="xnor-bit"),
    pytest.param(small(64, 8, 16, 4, in_bits=1, use_thresh=0, WEIGHT_BITS=1, XNOR=1), id="xnor-scores"),
    pytest.param(small(128, 16, 64, 8, in_bits=1, WEIGHT_BITS=1), id="binary-bits-ternary-out"),
    pytest.param(small(64, 16, 32, 4, WEIGHT_BITS=1), id="binary-2bit"),
    pytest.param(small(64, 16, 8, 16, WEIGHT_BITS=1, **ONE_BIT), id="binary-2bit-bit-out"),
    pytest.param(family("cnvW1A1", 0, rows=3), id="cnvW1A1-l0-3rows"),     # binary x pixels, 1 threshold
    pytest.param(family("cnvW1A2", 0, rows=2), id="cnvW1A2-l0-2rows"),     # binary x pixels, 2 thresholds
    pytest.param(family("cnvW1A1", 4, rows=1), id="cnvW1A1-l4-1row"),
    pytest.param(family("cnvW1A1", 8), id="cnvW1A1-l8"),                   # XNOR popcount scores
    pytest.param(family("lfcW1A1", 0), id="lfcW1A1-l0"),
    pytest.param(family("lfcW1A2", 0), id="lfcW1A2-l0"),                   # binary x bits (+-1)
    pytest.param(family("lfcW1A2", 3), id="lfcW1A2-l3"),                   # 2-bit in, 1-bit out
    # the DSP48 variant: products as multiplications, same results
    pytest.param(small(512, 8, 16, 4, in_bits=8, use_thresh=0, vectors=4, MAC=1), id="mac-pixels-ternary"),
    pytest.param(small(64, 16, 32, 4, WEIGHT_BITS=1, MAC=1), id="mac-binary-2bit"),
    pytest.param(dict(family("cnvW1A1", 0, rows=2), MAC=1), id="mac-cnvW1A1-l0-2rows"),
    pytest.param(family("cnvW1A2", 5), id="cnvW1A2-l5", marks=pytest.mark.slow),
    pytest.param(family("lfcW1A1", 1), id="lfcW1A1-l1", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("cfg", FAMILY_CASES)
def test_mvau_family(cfg, tmp_path, request):
    """The number formats of the other networks, in the HLS schedule the kernels use (the data
    path is the same in both schedules; `xnor-bit` also runs decoupled)."""
    _run_case(cfg, 1, tmp_path, request)
    if request.node.callspec.id == "xnor-bit":
        _run_case(cfg, 0, tmp_path / "decoupled", request)


def _run_case(cfg, hls, tmp_path, request):
    cfg = dict(cfg, HLS_TIMING=hls, seed=sum(map(ord, request.node.callspec.id)))
    params = {k: cfg[k] for k in BUILD_KEYS if k in cfg}
    cfg["data"] = str(make_case(cfg, tmp_path))
    env = env_config(**cfg)
    run("mvau", rtl_sources(*SOURCES), "tb.units.tb_mvau", parameters=params,
        extra_env=dict(env, MVAU_RUN="preload"),
        plusargs=[f"+PARAMS_DIR={tmp_path}"], testcase="test_full_rate,test_stalls")
    run("mvau", rtl_sources(*SOURCES), "tb.units.tb_mvau", parameters=params,
        extra_env=dict(env, MVAU_RUN="cfg-port"), testcase="test_cfg_port")


@pytest.mark.parametrize("hls", [0, 1], ids=["decoupled", "hls"])
@pytest.mark.parametrize("cfg", CASES)
def test_mvau(cfg, hls, tmp_path, request):
    # The same data in both schedules: the seed comes from the case id alone.
    cfg = dict(cfg, HLS_TIMING=hls, seed=sum(map(ord, request.node.callspec.id.rsplit("-", 1)[0])))
    params = {k: cfg[k] for k in BUILD_KEYS if k in cfg}
    cfg["data"] = str(make_case(cfg, tmp_path))
    env = env_config(**cfg)
    # MVAU_RUN only tells the two runs apart (WAVES=1 names one wave file per distinct env).
    run("mvau", rtl_sources(*SOURCES), "tb.units.tb_mvau", parameters=params,
        extra_env=dict(env, MVAU_RUN="preload"),
        plusargs=[f"+PARAMS_DIR={tmp_path}"], testcase="test_full_rate,test_stalls")
    run("mvau", rtl_sources(*SOURCES), "tb.units.tb_mvau", parameters=params,
        extra_env=dict(env, MVAU_RUN="cfg-port"), testcase="test_cfg_port")


def test_mvau_missing_file(tmp_path, capfd):
    """A +PARAMS_DIR without the layer's files stops the simulation, naming the missing file."""
    cfg = dict(small(8, 8, 4, 2), HLS_TIMING=0, seed=5)
    params = {k: cfg[k] for k in BUILD_KEYS if k in cfg}
    cfg["data"] = str(make_case(cfg, tmp_path / "case"))
    (tmp_path / "empty").mkdir()
    with pytest.raises((SystemExit, AssertionError, RuntimeError)) as info:
        run("mvau", rtl_sources(*SOURCES), "tb.units.tb_mvau", parameters=params,
            extra_env=dict(env_config(**cfg), MVAU_RUN="missing"),
            plusargs=[f"+PARAMS_DIR={tmp_path / 'empty'}"], testcase="test_full_rate")
    print("simulation stopped:", info.type.__name__)
    out = capfd.readouterr()
    assert f"cannot open weight file {tmp_path / 'empty'}/9-0-weights.hex" in out.out + out.err


def test_mvau_hls_hold(tmp_path):
    """HLS schedule with VECTORS = 3 per image, batches of 4 images: the exact full-rate cycle
    count is unchanged, and under input gaps the last result of a vector waits for the next
    vector's first word, across images too, except at a batch's end (tb_mvau.test_hls_hold)."""
    cfg = dict(small(16, 8, 4, 2, vectors=60, VECTORS=3), HLS_TIMING=1, seed=77, num_reps=4)
    params = {k: cfg[k] for k in BUILD_KEYS if k in cfg}
    cfg["data"] = str(make_case(cfg, tmp_path))
    run("mvau", rtl_sources(*SOURCES), "tb.units.tb_mvau", parameters=params,
        extra_env=dict(env_config(**cfg), MVAU_RUN="hold"), plusargs=[f"+PARAMS_DIR={tmp_path}"],
        testcase="test_full_rate,test_hls_hold")
