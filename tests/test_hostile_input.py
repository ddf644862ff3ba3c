"""What a hostile user types gets one clear error (golden.errors.BnnInputError: the field or
file, the value, what was expected), checked before any expensive work; the CLI prints
`error: ...` and exits 2. One test per finding of the hostile-input review."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from golden import __main__ as golden_cli
from golden.errors import BnnInputError
from golden.networks import get
from golden.synthetic import synthetic_params
from golden.words import check_words, run_words
from hls_out import kernel as kernels
from netsim.config import ConfigError, TopologyConfig, parse_failures
from netsim.plan import MAX_BOARDS, MAX_CONNECTIONS, Plan, PlanError

REPO = Path(__file__).resolve().parent.parent


def _golden(capsys, *argv):
    """Run `python -m golden ARGV` in this process: (exit code, stdout, stderr). Any exception
    but BnnInputError escapes and fails the test (that would be a traceback)."""
    code = golden_cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _error(capsys, *argv) -> str:
    code, out, err = _golden(capsys, *argv)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


# ---------------------------------------------------------------- golden run --words-in / --words-out

def test_signed_words_with_negative_values_are_refused(tmp_path, capsys):
    np.save(tmp_path / "in.npy", -np.ones((2, 16), np.int8))
    err = _error(capsys, "run", "--network", "lfcW1A1", "--first", "3", "--words-in", str(tmp_path / "in.npy"),
                 "--words-out", str(tmp_path / "out.npy"))
    assert f"--words-in {tmp_path / 'in.npy'}" in err
    assert "dtype int8" in err and "negative" in err and "-1 at image 0 word 0" in err and "uint64" in err
    assert not (tmp_path / "out.npy").exists()


def test_non_negative_signed_and_narrow_unsigned_words_are_the_same_words():
    params = synthetic_params(1, get("lfcW1A1").folding)
    words = np.random.default_rng(3).integers(0, 127, size=(2, 16))
    ref = run_words(params, words.astype(np.uint64), 3, 3)
    for dtype in (np.int8, np.int64, np.uint8, np.uint16, np.uint32, ">u8"):
        assert np.array_equal(run_words(params, words.astype(dtype), 3, 3), ref), dtype


@pytest.mark.parametrize("dtype", [np.float64, np.bool_, np.complex64, "U3"])
def test_non_integer_words_are_refused(dtype):
    with pytest.raises(BnnInputError, match=r"words: dtype .*; expected unsigned 64-bit words \(dtype uint64"):
        check_words(get("lfcW1A1"), 3, 3, np.zeros((2, 16), dtype=dtype))


def test_no_images_is_refused(tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.zeros((0, 8), np.uint64))
    err = _error(capsys, "run", "--first", "6", "--words-in", str(tmp_path / "in.npy"),
                 "--words-out", str(tmp_path / "out.npy"))
    assert "--words-in" in err and "no images in shape (0, 8)" in err
    assert "expected words of shape (N, 8)" in err and "N >= 1 images" in err


def test_words_of_bytes_get_a_hint():
    with pytest.raises(BnnInputError, match=r"got shape \(2, 128\); these look like the words' bytes"):
        check_words(get("lfcW1A1"), 3, 3, np.zeros((2, 128), np.uint8))


@pytest.mark.parametrize("content,message", [
    (b"", "not a NumPy .npy array"),
    (b"\x93NUMPY garbage", "not a NumPy .npy array"),
    (b"PK\x03\x04 not really a zip", "not a NumPy .npy array"),
    # found by the fuzz: np.load raised tokenize.TokenError / SyntaxError on mangled headers
    (b"\x93NUMPY\x01\x00\x06\x00\x00\x00\x00" + b"'" * 3, "not a NumPy .npy array (TokenError"),
    (b"\x93NUMPY\x01\x00\n\x00" + bytes(10) + b"[", "not a NumPy .npy array"),
])
def test_words_file_that_is_no_array(tmp_path, capsys, content, message):
    (tmp_path / "in.npy").write_bytes(content)
    err = _error(capsys, "run", "--words-in", str(tmp_path / "in.npy"), "--words-out", str(tmp_path / "o.npy"))
    assert f"--words-in {tmp_path / 'in.npy'}: {message}" in err


def test_words_file_npz_and_folder(tmp_path, capsys):
    np.savez(tmp_path / "in.npz", a=np.zeros((1, 384), np.uint64))
    err = _error(capsys, "run", "--words-in", str(tmp_path / "in.npz"), "--words-out", str(tmp_path / "o.npy"))
    assert "a .npz archive; expected one .npy array" in err
    err = _error(capsys, "run", "--words-in", str(tmp_path), "--words-out", str(tmp_path / "o.npy"))
    assert "is a folder; expected a .npy file" in err


def test_words_out_into_a_missing_folder_fails_before_any_work(tmp_path, capsys, monkeypatch):
    import golden.words

    def no_work(*args, **kwargs):
        raise AssertionError("the network ran before the output folder was checked")
    monkeypatch.setattr(golden.words, "run_words", no_work)
    monkeypatch.setattr(golden.words, "load_words", no_work)
    missing = tmp_path / "missing" / "out.npy"
    err = _error(capsys, "run", "--words-in", str(tmp_path / "in.npy"), "--words-out", str(missing))
    assert f"--words-out {missing}: the folder {missing.parent} does not exist" in err
    assert not missing.parent.exists()
    err = _error(capsys, "run", "--words-in", str(tmp_path / "in.npy"), "--words-out", str(tmp_path))
    assert "--words-out" in err and "is a folder" in err


def test_classify_outputs_are_checked_first(tmp_path, capsys, monkeypatch):
    import golden.model

    monkeypatch.setattr(golden.model, "classify", lambda *a, **k: pytest.fail("classified before the check"))
    err = _error(capsys, "classify", "--limit", "2", "--scores-out", str(tmp_path / "no" / "s.npy"))
    assert "--scores-out" in err and "does not exist" in err


@pytest.mark.parametrize("argv,message", [
    (["classify", "--limit", "0"], "--limit 0: expected a whole number of images >= 1"),
    (["classify", "--limit", "-1"], "--limit -1: expected a whole number of images >= 1"),
    (["classify", "--seed", "-1"], "--seed -1: expected a whole number >= 0"),
    (["run", "--seed", "-2", "--words-in", "x.npy", "--words-out", "y.npy"], "--seed -2: expected a whole number >= 0"),
])
def test_limit_and_seed(capsys, argv, message):
    assert _error(capsys, *argv) == f"error: {message}\n"


def test_cli_exit_code_and_no_traceback(tmp_path):
    """The same, as a user sees it: a real process, exit code 2, one line, no traceback."""
    np.save(tmp_path / "in.npy", -np.ones((1, 8), np.int64))
    r = subprocess.run([sys.executable, "-m", "golden", "run", "--first", "6", "--words-in", str(tmp_path / "in.npy"),
                        "--words-out", str(tmp_path / "o.npy")], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: --words-in") and "negative" in r.stderr


# ---------------------------------------------------------------- golden cycles --clock-mhz

@pytest.mark.parametrize("mhz", ["-100", "0", "nan", "inf", "-inf", "-0"])
def test_clock_must_be_finite_and_positive(capsys, mhz):
    err = _error(capsys, "cycles", f"--clock-mhz={mhz}")
    assert err.startswith("error: --clock-mhz: expected a finite clock frequency > 0 MHz, got ")
    assert repr(float(mhz)) in err


def test_clock_too_large_for_hz(capsys):
    err = _error(capsys, "cycles", "--clock-mhz", "1e308")
    assert "--clock-mhz 1e+308 (in Hz)" in err and "finite" in err


def test_a_valid_clock_is_used(capsys):
    code, out, _ = _golden(capsys, "cycles", "--clock-mhz", "200")
    assert code == 0 and "us@200MHz" in out and "-" not in out.split("img/s")[0].split("(")[-1]


def test_cycles_table_refuses_a_zero_clock():
    from golden.cycles import cycles_table, kernel_cycles
    with pytest.raises(BnnInputError, match="clock_hz: expected a finite clock frequency > 0 Hz, got 0"):
        cycles_table(get().folding, 0)
    with pytest.raises(BnnInputError, match="got -1"):
        kernel_cycles(0, 8, get().folding).images_per_second(-1)


# ---------------------------------------------------------------- golden splits --plot

def test_plot_folder_must_exist(tmp_path, capsys):
    target = tmp_path / "nonexistent" / "x.png"
    code, out, err = _golden(capsys, "splits", "--plot", str(target))
    assert code == 2 and out == ""          # checked before the table is printed
    assert f"--plot {target}: the folder {target.parent} does not exist; create it first" in err
    assert not target.parent.exists()


def test_plot_needs_an_image_format(tmp_path, capsys):
    err = _error(capsys, "splits", "--plot", str(tmp_path / "x.foo"))
    assert ".foo is no image format" in err and ".png" in err
    err = _error(capsys, "splits", "--plot", str(tmp_path / "x"))
    assert "no file extension" in err


def test_plot_library_call_does_not_create_folders(tmp_path):
    from golden.splits import plot_splits
    with pytest.raises(BnnInputError, match="does not exist"):
        plot_splits(tmp_path / "a" / "b" / "p.png", get())
    assert not (tmp_path / "a").exists()


# ---------------------------------------------------------------- plans

@pytest.mark.parametrize("blank", [" ", "", "\t", " \n "])
def test_a_blank_plan_is_an_error_not_the_default(blank):
    with pytest.raises(PlanError, match=r"is blank; expected stages FIRST-LAST\[xREPLICAS\]"):
        Plan.parse(blank, "cnvW2A2")
    with pytest.raises(ConfigError, match=r"^plan: '.*' is blank; .*or no plan: the default split"):
        TopologyConfig(plan=blank).validate()
    assert issubclass(ConfigError, BnnInputError) and issubclass(PlanError, BnnInputError)


def test_netsim_cli_blank_plan(capsys):
    from netsim.cli import main
    assert main(["run", "--plan", " ", "--images", "1"]) == 1
    assert "error: plan: ' ' is blank" in capsys.readouterr().err


def test_cosim_job_blank_plan():
    from tb.jobs.cosim import CosimJob
    job = CosimJob(topology="split", images=2, plan=" ")
    with pytest.raises(BnnInputError, match="plan: ' ' is blank"):
        job.topology_config()


def test_replicas_are_bounded_early():
    t = time.perf_counter()
    with pytest.raises(ConfigError) as e:
        TopologyConfig(plan="0-5x99999,6-8x1").validate()
    assert time.perf_counter() - t < 1.0
    msg = str(e.value)
    assert "stage 0 '0-5x99999': replicas 99999 is out of range" in msg
    assert f"at most {MAX_BOARDS} boards" in msg and "10.0.0.0/24" in msg
    with pytest.raises(PlanError, match=r"replicas 99999999999999999\.\.\. is out of range"):
        Plan.parse("0-8x" + "9" * 10_000, "cnvW2A2")


def test_boards_in_all_and_connections_are_bounded():
    with pytest.raises(PlanError, match=f"300 boards in stages 0-1; a plan has at most {MAX_BOARDS} boards"):
        Plan.parse("0-5x200,6-8x100", "cnvW2A2")
    with pytest.raises(PlanError, match=f"200 boards need 10200 connections.*at most {MAX_CONNECTIONS}: "
                                        r"each connection takes a pair of the ports 49152-65535"):
        Plan.parse("0-5x100,6-8x100", "cnvW2A2")
    assert Plan.parse(f"0-8x{MAX_BOARDS}", "cnvW2A2").boards == MAX_BOARDS
    with pytest.raises(PlanError, match="BOARDS=254: at most 253 boards"):
        Plan.paper("cnvW2A2", 254)


def test_more_stages_than_layers_and_foreign_digits():
    with pytest.raises(PlanError, match="has 21 stages; cnvW2A2 has 9 layers"):
        Plan.parse("," * 20, "cnvW2A2")
    with pytest.raises(PlanError, match="expected FIRST-LAST or FIRST-LASTxREPLICAS"):
        Plan.parse("\u0660-\u0668", "cnvW2A2")     # Arabic-Indic digits: int() would read them


# ---------------------------------------------------------------- fail schedules

@pytest.mark.parametrize("text,ps", [
    ("0:0@1e12", 10**18), ("0:1@2000", 2 * 10**9), ("0:1@1.5ms", 15 * 10**8), ("0:0@2.5E-3", 2500),
    ("0:0@.5", 500_000), ("0:0@5.", 5 * 10**6), ("0:0@+3us", 3 * 10**6), ("0:0@1e-400", 0), ("0:0@0", 0),
])
def test_fail_times_take_standard_float_syntax(text, ps):
    assert parse_failures(text) == ((0, int(text[2]), ps),)


@pytest.mark.parametrize("text,message", [
    ("0:0@nan", "time 'nan' is not a finite number; expected a time >= 0 in us"),
    ("0:0@inf", "time 'inf' is not a finite number"),
    ("0:0@-Infinity", "time '-Infinity' is not a finite number"),
    ("0:0@1e400", "time 1e400 us is too large"),
    ("0:0@-5", "time '-5' is negative"),
    ("0:0@5h", "unknown time unit 'h'; expected s, ms, us (the default), ns or ps"),
    ("0:0@", "time '' is not a number"),
    (" ", "fail ' ' is blank"),
    ("0:0@1,", "entry 1 '': expected STAGE:REPLICA@TIME_US"),
])
def test_bad_fail_times(text, message):
    with pytest.raises(ConfigError) as e:
        parse_failures(text)
    assert message in str(e.value)
    with pytest.raises(BnnInputError, match="fail"):
        TopologyConfig(plan="0-5x2,6-8x1", fail=text).validate()


def test_a_fail_time_in_exponent_form_runs():
    cfg = TopologyConfig(plan="0-5x2,6-8x1", fail="0:1@1e12").validate()
    assert cfg.fail == ((0, 1, 10**18),) and cfg.failover


# ---------------------------------------------------------------- kernel.json

def _kernel_folder(tmp_path, **changes):
    data = json.loads((REPO / "hls_out" / "cnv_part2" / "kernel.json").read_text())
    data.update(changes)
    folder = tmp_path / "k"
    folder.mkdir(exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(data))
    return folder


def test_committed_kernels_load_unchanged():
    for name in kernels.known():
        path = REPO / "hls_out" / name / "kernel.json"
        assert kernels.load(name).data == json.loads(path.read_text())
        assert kernels.load(path.parent).data == json.loads(path.read_text())


def test_a_kernel_json_file_is_not_a_kernel():
    path = REPO / "hls_out" / "cnv_part2" / "kernel.json"
    with pytest.raises(BnnInputError) as e:
        kernels.load(path)
    msg = str(e.value)
    assert f"kernel '{path}' is a file; expected a kernel's folder (its folder: {path.parent})" in msg
    assert "cnv_part2" in msg


def test_kernel_job_cli_with_a_kernel_json(capsys):
    from tb.jobs import kernel_job
    assert kernel_job.main(["--kernel", str(REPO / "hls_out" / "cnv_part2" / "kernel.json")]) == 2
    assert "is a file; expected a kernel's folder" in capsys.readouterr().err


def test_first_as_a_word(tmp_path):
    with pytest.raises(BnnInputError) as e:
        kernels.load(_kernel_folder(tmp_path, first="six"))
    assert str(e.value) == (f"{tmp_path / 'k' / 'kernel.json'}: field 'first' is 'six'; expected a whole "
                            f"number, a layer of cnvW2A2 (0-8)")


def test_last_changed_while_the_word_counts_agree(tmp_path):
    # layers 6-7 write 16 words per image, as 6-8 do: only the layer list tells
    with pytest.raises(BnnInputError, match=r"'first'..'last' say layers 6-7, but field 'layers' lists layers "
                                            r"\[6, 7, 8\]; they must agree"):
        kernels.load(_kernel_folder(tmp_path, last=7))
    data = json.loads((REPO / "hls_out" / "cnv_part2" / "kernel.json").read_text())
    bare = {k: v for k, v in data.items() if k not in ("layers", "stages")}
    with pytest.raises(BnnInputError, match=r"field 'role' is 'part2'; expected 'middle', the role of layers 6-7"):
        kernels.check(bare | {"last": 7}, "k.json")


@pytest.mark.parametrize("changes,message", [
    ({"first": 9}, "field 'first' is 9; expected a whole number, a layer of cnvW2A2 (0-8)"),
    ({"last": True}, "field 'last' is True"),
    ({"first": 8}, "'first'..'last' say layers 8-8, but field 'layers' lists layers [6, 7, 8]"),
    ({"first": 7, "last": 6}, "field 'first' is 7; expected a layer before or equal to 'last' (6)"),
    ({"network": "cnvW9"}, "field 'network' is 'cnvW9'; expected one of cnvW2A2"),
    ({"words_per_image": {"in": 9, "out": 16}}, "field 'words_per_image.in' is 9; expected 8: layers 6-8"),
    ({"words_per_image": [8, 16]}, "field 'words_per_image' is [8, 16]"),
    ({"top": "my top"}, "field 'top' is 'my top'; expected the top module's name"),
    ({"name": ""}, "field 'name' is ''; expected a non-empty string"),
    ({"expected_cycles": {"sum": -1}}, "field 'expected_cycles'"),
    ({"fifo_depths": {"L6": 0}}, "field 'fifo_depths'"),
])
def test_kernel_json_fields(tmp_path, changes, message):
    with pytest.raises(BnnInputError) as e:
        kernels.load(_kernel_folder(tmp_path, **changes))
    assert str(e.value).startswith(str(tmp_path / "k" / "kernel.json") + ": ")
    assert message in str(e.value)


def test_kernel_json_not_an_object(tmp_path):
    folder = _kernel_folder(tmp_path)
    (folder / "kernel.json").write_text("[1, 2]")
    with pytest.raises(BnnInputError, match="a list; expected a JSON object"):
        kernels.load(folder)
    (folder / "kernel.json").write_bytes(b"\xff\xfe")
    with pytest.raises(BnnInputError, match="not valid JSON"):
        kernels.load(folder)


# ---------------------------------------------------------------- parameter files and folding

def test_weight_words_with_bits_above_the_weights(tmp_path):
    from golden.params import load_params, save_params
    net = get("cnvW2A2")
    save_params(synthetic_params(1, net.folding), tmp_path)
    f = tmp_path / "0-2-weights.bin"
    words = np.fromfile(f, "<u8")
    words[4] |= np.uint64(1 << 40)
    words.tofile(f)
    with pytest.raises(BnnInputError, match=r"0-2-weights\.bin: word 4 is 0x0000010000.*bits set above bit 5; "
                                            r"layer 0 holds SIMD=3 x 2-bit weights"):
        load_params(tmp_path, network=net, layers=[0])


def test_folding_values_must_be_whole_numbers(tmp_path):
    from golden.network import Folding
    obj = get().folding.to_json()
    obj["layers"][2]["pe"] = 8.9
    (tmp_path / "f.json").write_text(json.dumps(obj))
    with pytest.raises(BnnInputError, match="pe must be a whole number, got 8.9"):
        Folding.load(tmp_path / "f.json", get())
    with pytest.raises(BnnInputError, match="is a folder"):
        Folding.load(tmp_path, get())
