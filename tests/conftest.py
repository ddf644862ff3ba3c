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

# Plans and fit checks in tests use the resource estimate, not whatever `make resources` left
# in this working tree's build/ (tests/test_synthesis.py covers the corrected figures).
os.environ.setdefault("BNNSPLIT_RESOURCES", "none")

# Failing simulation tests are re-run once with waves into build/artifacts/<test id>/.
pytest_plugins = ["tb.jobs.artifacts"]


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


# `make coverage` (BNNSPLIT_COVERAGE=1): the netsim runs of this process count in the
# functional coverage (tb/jobs/functional_coverage.py); each process (every xdist worker)
# exports its database when its session ends. The simulations export their own.
def pytest_configure(config):
    from tb.jobs import functional_coverage
    if functional_coverage.enabled():
        functional_coverage.install()


def pytest_sessionfinish(session, exitstatus):
    from tb.jobs import functional_coverage
    if functional_coverage.enabled():
        functional_coverage.export("pytest")


# ---------------------------------------------------------------- the BNN-PYNQ network family

@pytest.fixture(scope="session")
def family_params_dir():
    """`family_params_dir(name)`: trained parameters of any network of the family."""
    def get(name: str) -> Path:
        return _need(data.params_dir(name), f"trained {name} parameters")
    return get


@pytest.fixture(scope="session")
def family_trained_params(family_params_dir):
    """`family_trained_params(name)`: the loaded trained parameters (cached per network)."""
    from golden.params import load_params

    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = load_params(family_params_dir(name), network=name)
        return cache[name]
    return get


@pytest.fixture(scope="session")
def family_synth_params():
    """`family_synth_params(name)`: the seeded synthetic network of any network (cached)."""
    from golden.synthetic import synthetic_params

    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = synthetic_params(seed=1, network=name)
        return cache[name]
    return get


@pytest.fixture(scope="session")
def mnist_three_file() -> Path:
    return _need(data.mnist_three_file(), "3.image-idx3-ubyte")


@pytest.fixture(scope="session")
def bnn_image_file():
    """`bnn_image_file(name)`: one of BNN-PYNQ's test images (deer.jpg, 6.png, ...)."""
    def get(name: str) -> Path:
        return _need(data.image_file(name), name)
    return get


def hls_export(name: str) -> Path:
    """A real HLS export under $BNNSPLIT_DATA/hls-exports/, or a skip that says why."""
    root = data.data_root()
    if root is None or not (root / "hls-exports" / name).is_dir():
        pytest.skip(f"the real HLS export {name} needs $BNNSPLIT_DATA/hls-exports/{name} "
                    f"(BNNSPLIT_DATA={root}); it is absent")
    return root / "hls-exports" / name
