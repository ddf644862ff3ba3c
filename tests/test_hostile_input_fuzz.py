"""Fuzzing everything a user types or hands over (hypothesis): partition plans, fail
schedules, kernel.json fields, parameter .bin files, words-in arrays and .npy files.

Every generated case is either accepted and correct (a plan covers the network's layers
contiguously and round-trips, a fail time is the exact number of picoseconds, a parameter
folder writes back byte-identical, words are the same values as uint64) or refused with a
BnnInputError carrying a message — never another exception. About 1,800 cases, well under a
minute on one core.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from golden.errors import BnnInputError
from golden.networks import NETWORKS, get
from golden.params import load_params, save_params
from golden.synthetic import synthetic_params
from golden.words import check_words, load_words, run_words
from hls_out import kernel as kernels
from netsim.config import ConfigError, TopologyConfig, parse_failures
from netsim.plan import MAX_BOARDS, MAX_CONNECTIONS, Plan, PlanError, Stage, connections

REPO = Path(__file__).resolve().parent.parent
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _refused(exc: BaseException, kind: type = BnnInputError) -> None:
    assert isinstance(exc, kind), f"{type(exc).__name__}: {exc}"
    assert str(exc).strip(), "an error without a message"
    event("refused")


def _accepted() -> None:
    event("accepted")


# ---------------------------------------------------------------- partition plans

def _plan_ok(stages: list[tuple[int, int, int]], net) -> bool:
    """The oracle: what a plan must be."""
    if not stages or len(stages) > len(net):
        return False
    expect = 0
    for first, last, reps in stages:
        if first != expect or last < first or last > net.last or not 1 <= reps:
            return False
        expect = last + 1
    reps = [r for _, _, r in stages]
    return expect == net.last + 1 and sum(reps) <= MAX_BOARDS and connections(reps) <= MAX_CONNECTIONS


@st.composite
def intended_plans(draw):
    """(text, stages) of a plan as a user might write it: mostly near-valid cuts, with random
    slips (a gap, an overlap, 0 or huge replicas, spaces, a missing xR)."""
    name = draw(st.sampled_from(list(NETWORKS)))
    net = get(name)
    cuts = sorted(draw(st.sets(st.integers(0, net.last - 1), max_size=net.last)))
    bounds = [0] + [c + 1 for c in cuts] + [net.last + 1]
    stages = []
    for a, b in zip(bounds, bounds[1:]):
        first = a + draw(st.sampled_from([0, 0, 0, 0, 1, -1]))
        last = b - 1 + draw(st.sampled_from([0, 0, 0, 0, 1, -1, 5]))
        reps = draw(st.one_of(st.integers(1, 4), st.integers(0, 300), st.integers(0, 10**12)))
        stages.append((max(first, 0), max(last, 0), reps))
    parts = []
    for first, last, reps in stages:
        sp = draw(st.sampled_from(["", " ", "\t"]))
        rep = "" if reps == 1 and draw(st.booleans()) else f"{sp}x{sp}{reps}"
        parts.append(f"{sp}{first}{sp}-{sp}{last}{rep}{sp}")
    return name, ",".join(parts), stages


@settings(FUZZ, max_examples=250)
@given(intended_plans())
def test_plans_as_written_parse_exactly_or_are_refused(case):
    name, text, stages = case
    net = get(name)
    try:
        plan = Plan.parse(text, name)
    except Exception as exc:   # noqa: BLE001 - the property: only BnnInputError
        _refused(exc, PlanError)
        assert not _plan_ok(stages, net), f"{text!r} is a good plan, refused: {exc}"
        return
    assert _plan_ok(stages, net), f"{text!r} accepted: {plan}"
    assert plan.stages == tuple(Stage(*s) for s in stages)
    assert Plan.parse(str(plan), name) == plan
    _accepted()


@settings(FUZZ, max_examples=250)
@given(st.sampled_from(list(NETWORKS)),
       st.one_of(st.text(alphabet="0123456789-x, \t", max_size=30),
                 st.text(alphabet="0123456789-xX,:;. \u0660\u0663\uff15", max_size=15),
                 st.text(max_size=20)))
def test_any_plan_text_is_a_plan_or_a_clear_error(name, text):
    net = get(name)
    try:
        plan = Plan.parse(text, name)
    except Exception as exc:   # noqa: BLE001
        _refused(exc, PlanError)
        return
    # accepted: the layers covered contiguously, within the bounds, and it round-trips
    assert plan.stages[0].first == 0 and plan.stages[-1].last == net.last
    assert all(b.first == a.last + 1 for a, b in zip(plan.stages, plan.stages[1:]))
    assert all(1 <= s.replicas <= MAX_BOARDS for s in plan.stages) and plan.boards <= MAX_BOARDS
    assert Plan.parse(str(plan), name) == plan
    assert re.fullmatch(r"[0-9x\-,\s]+", text)
    _accepted()


@settings(FUZZ, max_examples=60)
@given(st.one_of(st.text(alphabet="0123456789-x, ", max_size=16), st.none(), st.integers(), st.booleans()),
       st.one_of(st.sampled_from(["full", "split", "split-3", "full-2", "split-1", "full-0", "mesh"]),
                 st.text(max_size=8)))
def test_topology_configs_of_any_plan(plan, topology):
    try:
        cfg = TopologyConfig(plan=plan, topology=topology).validate()
    except Exception as exc:   # noqa: BLE001
        _refused(exc, ConfigError)
        return
    stages = cfg.stages
    assert stages[0].first == 0 and stages[-1].last == get(cfg.network).last
    assert len(cfg.boards) == sum(s.replicas for s in stages) <= MAX_BOARDS
    _accepted()


# ---------------------------------------------------------------- fail schedules

UNITS = {"": 10**6, "s": 10**12, "ms": 10**9, "us": 10**6, "ns": 10**3, "ps": 1}


@st.composite
def fail_entries(draw):
    stage, replica = draw(st.integers(0, 30)), draw(st.integers(0, 30))
    value = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                           st.integers(-10, 10**15), st.decimals(allow_nan=True, allow_infinity=True)))
    fmt = draw(st.sampled_from(["{}", "{:e}", "{:.3f}", "{:E}", "{!r}"]))
    try:
        number = fmt.format(value)
    except (ValueError, TypeError):
        number = str(value)
    unit = draw(st.sampled_from(list(UNITS) + ["h", "min", "US"]))
    sp = draw(st.sampled_from(["", " "]))
    return f"{sp}{stage}{sp}:{sp}{replica}{sp}@{sp}{number}{sp}{unit}{sp}", (stage, replica, number, unit)


@settings(FUZZ, max_examples=250)
@given(st.lists(fail_entries(), min_size=1, max_size=3))
def test_fail_schedules_give_exact_times_or_clear_errors(entries):
    text = ",".join(t for t, _ in entries)
    expected = []
    for _, (stage, replica, number, unit) in entries:
        ok = unit in UNITS and re.fullmatch(r"\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", number) \
            and abs(float(number)) != float("inf")
        if ok and float(number) * UNITS[unit] < 0.4:
            ps = 0          # below half a picosecond (and no huge Fraction for 1e-999999)
        elif ok:
            ps = round(Fraction(number) * UNITS[unit])     # round half to even, as parse_duration
        expected.append((stage, replica, ps) if ok else None)
    try:
        got = parse_failures(text)
    except Exception as exc:   # noqa: BLE001
        _refused(exc, ConfigError)
        assert None in expected, f"{text!r} refused: {exc}"
        return
    assert None not in expected, f"{text!r} accepted as {got}"
    assert got == tuple(expected)
    _accepted()


@settings(FUZZ, max_examples=200)
@given(st.text(alphabet="0123456789:@.,eE+-naifsmupx ", max_size=25))
def test_any_fail_text_is_a_schedule_or_a_clear_error(text):
    try:
        got = parse_failures(text)
    except Exception as exc:   # noqa: BLE001
        _refused(exc, ConfigError)
        return
    assert got and all(isinstance(v, int) and v >= 0 for f in got for v in f)
    try:
        TopologyConfig(plan="0-5x2,6-8x1", fail=text).validate()
        _accepted()
    except Exception as exc:   # noqa: BLE001 - a stage or replica the plan lacks
        _refused(exc, ConfigError)


# ---------------------------------------------------------------- kernel.json

@lru_cache(maxsize=None)
def _committed(name: str) -> str:
    return (REPO / "hls_out" / name / "kernel.json").read_text()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 20) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)
FIELDS = ["name", "top", "network", "first", "last", "role", "words_per_image", "layers", "stages",
          "expected_cycles", "fifo_depths"]


@st.composite
def kernel_jsons(draw):
    data = json.loads(_committed(draw(st.sampled_from(kernels.known()))))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(FIELDS))
        how = draw(st.sampled_from(["any", "int", "drop", "nested", "same-network"]))
        if how == "any":
            data[field] = draw(json_values)
        elif how == "int":
            data[field] = draw(st.integers(-2, 12))
        elif how == "drop":
            data.pop(field, None)
        elif how == "same-network":
            data["network"] = draw(st.sampled_from(list(NETWORKS)))
        elif isinstance(data.get(field), dict) and data[field]:
            key = draw(st.sampled_from(sorted(data[field])))
            data[field][key] = draw(st.one_of(st.integers(-2, 2000), json_values))
        elif isinstance(data.get(field), list) and data[field]:
            k = draw(st.integers(0, len(data[field]) - 1))
            entry = data[field][k]
            if isinstance(entry, dict) and entry:
                key = draw(st.sampled_from(sorted(entry)))
                entry[key] = draw(st.one_of(st.integers(-2, 12), json_values))
            else:
                data[field][k] = draw(json_values)
    return data


def _consistent(data: dict) -> None:
    """What an accepted kernel.json must say."""
    net = get(data["network"])
    first, last = data["first"], data["last"]
    assert type(first) is int and type(last) is int and 0 <= first <= last <= net.last
    assert data["role"] == net.role(first, last)
    assert data["words_per_image"] == {"in": net.words_per_image(first - 1), "out": net.words_per_image(last)}
    if "layers" in data:
        assert [e["index"] for e in data["layers"]] == list(range(first, last + 1))
    if "stages" in data and data["stages"]:
        mvaus = [s["params"]["LAYER"] for s in data["stages"] if s["module"] == "mvau"]
        assert mvaus == list(range(first, last + 1))
        for f in kernels.fifos(data):
            assert f.depth >= 1


@settings(FUZZ, max_examples=250)
@given(kernel_jsons())
def test_kernel_json_fields_are_checked(data):
    try:
        kernels.check(data, "fuzz/kernel.json")
    except Exception as exc:   # noqa: BLE001
        _refused(exc)
        assert str(exc).startswith("fuzz/kernel.json"), exc
        return
    _consistent(data)
    _accepted()


@settings(FUZZ, max_examples=40)
@given(kernel_jsons(), st.sampled_from(["json", "text", "bytes"]), st.binary(max_size=20))
def test_kernel_folders_load_or_are_refused(data, how, junk):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kernel.json"
        if how == "json":
            path.write_text(json.dumps(data))
        elif how == "text":
            path.write_text(json.dumps(data)[:len(junk) * 7])
        else:
            path.write_bytes(junk)
        try:
            info = kernels.load(tmp)
        except Exception as exc:   # noqa: BLE001
            _refused(exc)
            return
        _consistent(info.data)
        assert (info.first, info.last, info.words_in, info.words_out) == (
            data["first"], data["last"], data["words_per_image"]["in"], data["words_per_image"]["out"])
        _accepted()


# ---------------------------------------------------------------- parameter .bin files

PARAM_LAYERS = [("cnvW2A2", 0), ("cnvW1A1", 0)]   # ternary, 2 thresholds; binary, 1 threshold


@st.composite
def param_folders(draw):
    name, index = draw(st.sampled_from(PARAM_LAYERS))
    net = get(name)
    spec, f = net.layer(index), net.folding
    simd, pe, wmem, tmem = f.simd(index), f.pe(index), f.wmem(index), f.tmem(index)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    used = simd * spec.weight_bits
    files = {}
    # most files as they should be, a few of them (maybe none) broken in some way
    broken = draw(st.sets(st.integers(0, 2 * pe - 1), max_size=3))
    for p in range(pe):
        mode = draw(st.sampled_from(["flip", "flip", "random", "length", "missing", "dir"])) \
            if 2 * p in broken else "valid"
        if spec.weight_bits == 2:
            codes = rng.choice(np.array([0, 1, 3], np.uint64), size=(wmem, simd))
            words = np.bitwise_or.reduce(codes << (2 * np.arange(simd, dtype=np.uint64)), axis=1)
        else:
            words = rng.integers(0, 1 << used, size=wmem, dtype=np.uint64)
        if mode == "flip":
            k = int(rng.integers(wmem))
            words[k] ^= np.uint64(1) << np.uint64(draw(st.integers(0, 63)))
        raw = words.astype("<u8").tobytes()
        if mode == "random":
            raw = rng.bytes(len(raw))
        elif mode == "length":
            raw = rng.bytes(draw(st.integers(0, 2 * len(raw))))
        files[f"{index}-{p}-weights.bin"] = None if mode == "missing" else ("dir" if mode == "dir" else raw)
        n = spec.num_thresholds
        mode = draw(st.sampled_from(["random", "equal", "length", "missing"])) if 2 * p + 1 in broken else "valid"
        t = np.sort(rng.integers(-2**40, 2**40, size=(tmem, n)), axis=1)
        if n == 2:
            t[:, 1] += 1 + (t[:, 0] == t[:, 1])      # t0 < t1
            if mode == "equal":
                r = int(rng.integers(tmem))
                t[r, 1] = t[r, 0]
        raw = t.astype("<i8").tobytes()
        if mode == "random":
            raw = rng.bytes(len(raw))
        elif mode == "length":
            raw = rng.bytes(draw(st.integers(0, 2 * len(raw))))
        files[f"{index}-{p}-thres.bin"] = None if mode == "missing" else raw
    stray = draw(st.sampled_from([None, None, None, "9-0-weights.bin", f"{index}-{pe}-thres.bin",
                                  "notes.txt", f"{index}-0-weights.bin.bak", "99-0-thres.bin"]))
    if stray:
        files[stray] = rng.bytes(8)
    return name, index, files


@settings(FUZZ, max_examples=150)
@given(param_folders())
def test_parameter_files_load_exactly_or_are_refused(case):
    name, index, files = case
    net = get(name)
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as back:
        folder = Path(tmp)
        for fname, content in files.items():
            if content == "dir":
                (folder / fname).mkdir()
            elif content is not None:
                (folder / fname).write_bytes(content)
        try:
            params = load_params(folder, network=name, layers=[index])
        except Exception as exc:   # noqa: BLE001
            _refused(exc)
            return
        lp = params[index]
        assert set(np.unique(lp.weights)) <= ({-1, 0, 1} if net.layer(index).weight_bits == 2 else {-1, 1})
        # accepted: writing it back gives the very same bytes
        for path in save_params(params, back, net.folding):
            assert path.read_bytes() == (folder / path.name).read_bytes(), path.name
        _accepted()


# ---------------------------------------------------------------- words-in arrays and files

KERNELS = [("lfcW1A1", 0, 0), ("lfcW1A1", 1, 2), ("lfcW1A1", 3, 3)]


@lru_cache(maxsize=None)
def _params(name: str):
    return synthetic_params(1, get(name).folding)


dtypes = st.one_of(hnp.unsigned_integer_dtypes(), hnp.integer_dtypes(), hnp.floating_dtypes(),
                   hnp.boolean_dtypes(), hnp.complex_number_dtypes(), hnp.datetime64_dtypes(),
                   st.sampled_from([np.dtype("U2"), np.dtype("S3"), np.dtype([("a", "<u8")])]))


@st.composite
def word_arrays(draw):
    name, first, last = draw(st.sampled_from(KERNELS))
    width = get(name).words_per_image(first - 1)
    shape = draw(st.one_of(st.tuples(st.integers(0, 3), st.just(width)),
                           st.tuples(st.integers(0, 3), st.sampled_from([width - 1, width + 1, 8 * width])),
                           hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)))
    dtype = draw(dtypes)
    arr = draw(hnp.arrays(dtype, shape))
    return name, first, last, arr


@settings(FUZZ, max_examples=200)
@given(word_arrays())
def test_words_in_arrays_are_words_or_refused(case):
    name, first, last, arr = case
    net = get(name)
    width = net.words_per_image(first - 1)
    good = (arr.dtype.kind in "ui" and arr.ndim == 2 and arr.shape[1] == width and len(arr) >= 1
            and (arr.dtype.kind == "u" or bool((arr >= 0).all())))
    try:
        words = check_words(net, first, last, arr, "--words-in fuzz.npy")
    except Exception as exc:   # noqa: BLE001
        _refused(exc)
        assert str(exc).startswith("--words-in fuzz.npy"), exc
        assert not good, f"refused {arr.dtype} {arr.shape}: {exc}"
        return
    assert good, f"accepted {arr.dtype} {arr.shape}"
    assert words.dtype == np.uint64 and words.shape == arr.shape
    assert [int(v) for v in words.ravel()] == [int(v) for v in arr.ravel()]   # the same values
    out = run_words(_params(name), arr, first, last)
    assert out.dtype == np.uint64 and out.shape == (len(arr), net.words_per_image(last))
    assert np.array_equal(out, run_words(_params(name), words, first, last))
    _accepted()


def _npy_header(shape, descr: str) -> bytes:
    """A well-formed .npy header announcing `shape` (maybe far more data than follows)."""
    header = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def _mutated_npy(case) -> bytes:
    """The .npy bytes of an array, with one byte (of the header or the data) maybe replaced."""
    arr, where, byte = case
    buf = io.BytesIO()
    np.save(buf, arr)
    b = buf.getvalue()
    if where is None:
        return b
    k = where % (len(b) + 1)
    return b[:k] + bytes([byte]) + b[k + 1:]


@settings(FUZZ, max_examples=150)
@given(st.one_of(
    st.binary(max_size=200),
    st.tuples(hnp.arrays(hnp.unsigned_integer_dtypes() | hnp.integer_dtypes(),
                         st.tuples(st.integers(0, 3), st.just(16)) | hnp.array_shapes(max_dims=3, max_side=4)),
              st.none() | st.integers(0, 300), st.integers(0, 255)).map(_mutated_npy),
    st.tuples(st.integers(0, 10**15), st.integers(0, 20), st.sampled_from(["<u8", "<i8", "|u1", "<f4", "|O"]),
              st.integers(0, 64)).map(lambda t: _npy_header((t[0], t[1]), t[2]) + bytes(t[3])),
))
def test_words_files_are_arrays_or_refused(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.npy"
        path.write_bytes(content)
        try:
            arr = load_words(path, "--words-in")
            check_words(get("lfcW1A1"), 3, 3, arr, f"--words-in {path}")
        except Exception as exc:   # noqa: BLE001
            _refused(exc)
            assert f"--words-in {path}" in str(exc), exc
            return
        assert isinstance(arr, np.ndarray) and arr.shape[1:] == (16,) and len(arr) >= 1
        _accepted()
