"""Bad input gives a clear error naming the file and what was expected."""

import json
import shutil

import numpy as np
import pytest

from golden.errors import BnnInputError
from golden.images import read_cifar
from golden.network import Folding, layer
from golden.networks import default
from golden.params import load_params, save_params


@pytest.fixture
def param_copy(synth_params, tmp_path):
    save_params(synth_params, tmp_path)
    return tmp_path


def test_missing_file(param_copy):
    (param_copy / "3-5-weights.bin").unlink()
    with pytest.raises(BnnInputError, match=r"3-5-weights\.bin is missing"):
        load_params(param_copy)


def test_wrong_size(param_copy):
    f = param_copy / "2-1-thres.bin"
    f.write_bytes(f.read_bytes()[:-8])
    with pytest.raises(BnnInputError, match=r"2-1-thres\.bin has 248 bytes; expected 256"):
        load_params(param_copy)


def test_unknown_layer_file(param_copy):
    shutil.copy(param_copy / "8-0-weights.bin", param_copy / "9-0-weights.bin")
    with pytest.raises(BnnInputError, match=r"9-0-weights\.bin: unknown layer 9; the network has layers 0-8"):
        load_params(param_copy)


def test_unknown_layer_index():
    with pytest.raises(BnnInputError, match="unknown layer 12"):
        layer(12, default())


def test_pe_out_of_range(param_copy):
    shutil.copy(param_copy / "5-0-weights.bin", param_copy / "5-1-weights.bin")
    with pytest.raises(BnnInputError, match=r"5-1-weights\.bin: PE 1 out of range; layer 5 has PE=1"):
        load_params(param_copy)


def test_weight_code_minus_two(param_copy):
    f = param_copy / "1-3-weights.bin"
    words = np.fromfile(f, "<u8")
    words[7] = (words[7] & ~np.uint64(0b1100)) | np.uint64(0b1000)   # bits 3:2 = 10
    words.tofile(f)
    with pytest.raises(BnnInputError, match=r"1-3-weights\.bin: word 7 bits 3:2 hold weight code 10 \(-2\)"):
        load_params(param_copy)


def test_thresholds_not_ordered(param_copy):
    f = param_copy / "4-2-thres.bin"
    t = np.fromfile(f, "<i8").reshape(-1, 2)
    t[5] = [30, 30]
    t.tofile(f)
    with pytest.raises(BnnInputError, match=r"4-2-thres\.bin: row 5 has thresholds t0=30 >= t1=30"):
        load_params(param_copy)


def test_missing_folder(tmp_path):
    with pytest.raises(BnnInputError, match="does not exist"):
        load_params(tmp_path / "nope")


def test_cifar_size(tmp_path):
    f = tmp_path / "imgs.bin"
    f.write_bytes(bytes(3073 * 2 + 5))
    with pytest.raises(BnnInputError, match=r"imgs\.bin has 6151 bytes; expected a non-zero multiple of 3073"):
        read_cifar(f)


def test_cifar_bad_label(tmp_path):
    f = tmp_path / "imgs.bin"
    f.write_bytes(bytes([12]) + bytes(3072))
    with pytest.raises(BnnInputError, match="record 0 has label 12"):
        read_cifar(f)


def test_folding_not_a_divisor(tmp_path):
    from golden.networks import default
    obj = default().folding.to_json()
    obj["layers"][2]["pe"] = 7
    f = tmp_path / "fold.json"
    f.write_text(json.dumps(obj))
    with pytest.raises(BnnInputError, match="layer 2: PE=7 must be a positive divisor of MH=128"):
        Folding.load(f, default())


def test_folding_bad_json(tmp_path):
    f = tmp_path / "fold.json"
    f.write_text("{not json")
    with pytest.raises(BnnInputError, match=r"fold\.json: not valid JSON"):
        Folding.load(f, default())
