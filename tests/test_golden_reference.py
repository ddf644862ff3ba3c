"""The golden model against BNN-PYNQ's published results and files."""

import numpy as np
import pytest

from golden.images import predict, read_cifar
from golden.model import classify
from golden.params import load_params, save_params

# Published by BNN-PYNQ for deer.bin with cnvW2A2 (DESIGN.md), classes 0-9.
DEER_SCORES = [-22, -27, -16, -10, 239, 1, -9, -17, -15, -27]


def test_deer_scores_exact(trained_params, deer_file):
    images, _ = read_cifar(deer_file)
    scores = classify(trained_params, images)
    assert scores[0, :10].tolist() == DEER_SCORES
    assert predict(scores).tolist() == [4]


def test_accuracy_on_shared_images(trained_params, cifar_file):
    images, labels = read_cifar(cifar_file)
    pred = predict(classify(trained_params, images))
    acc = float((pred == labels).mean())
    print(f"accuracy on {len(labels)} images: {100 * acc:.2f}%")
    assert len(labels) == 932
    assert acc >= 0.84


def test_padding_rows_score_zero(trained_params, cifar_file):
    images, _ = read_cifar(cifar_file, limit=16)
    scores = classify(trained_params, images)
    assert not scores[:, 10:].any(), "layer 8 rows 10-63 are zero padding and must score 0"


def test_write_back_byte_identical(params_dir, tmp_path):
    params = load_params(params_dir)
    written = save_params(params, tmp_path)
    originals = sorted(p.name for p in params_dir.glob("*.bin"))
    assert sorted(p.name for p in written) == originals
    for path in written:
        assert path.read_bytes() == (params_dir / path.name).read_bytes(), path.name


def test_workers_do_not_change_results(trained_params, cifar_file):
    images, _ = read_cifar(cifar_file, limit=40)
    assert np.array_equal(classify(trained_params, images, workers=1),
                          classify(trained_params, images, workers=2))
