"""Shared fixtures: reference data (from $BNNSPLIT_DATA) and the synthetic network."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from golden import data  # noqa: E402


def _need(path: Path | None, what: str) -> Path:
    if path is None:
        pytest.skip(f"{what} needs BNNSPLIT_DATA (reference data folder); it is not set")
    return path


@pytest.fixture(scope="session")
def params_dir() -> Path:
    return _need(data.params_dir(), "trained cnvW2A2 parameters")


@pytest.fixture(scope="session")
def cifar_file() -> Path:
    return _need(data.cifar_file(), "CIFAR-10 test images")


@pytest.fixture(scope="session")
def deer_file() -> Path:
    return _need(data.deer_file(), "deer.bin")


@pytest.fixture(scope="session")
def trained_params(params_dir):
    from golden.params import load_params

    return load_params(params_dir)


@pytest.fixture(scope="session")
def synth_params():
    from golden.synthetic import synthetic_params

    return synthetic_params(seed=1)


def pytest_report_header(config):
    return f"BNNSPLIT_DATA={os.environ.get('BNNSPLIT_DATA', '(not set: synthetic network only)')}"
