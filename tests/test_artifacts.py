"""CI artifacts: a failing kernel test (a mutated weight) is re-run once with waves, and its
waves, log and report are kept under the artifacts folder."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _provable_flip(seed: int) -> dict:
    """A weight of the last layer (raw scores) whose input is non-zero for image 0: flipping
    it changes that image's scores, so the mutated kernel must fail (chosen with golden/)."""
    import numpy as np

    from golden.model import run as golden_run
    from golden.images import network_images, pixel_codes
    from golden.networks import get
    from golden.synthetic import synthetic_params

    net = get("cnvW2A2")
    params = synthetic_params(seed, network=net)
    x = golden_run(params, pixel_codes(network_images(net, 1, seed=seed + 1)), 0, 7).output[0]
    col, row = int(np.flatnonzero(x != 0)[0]), 3
    pe, f = net.folding.pe(8), net.folding
    w = int(params[8].weights[row, col])
    return {"file": f"8-{row % pe}-weights.hex", "line": (row // pe) * f.sf(8) + col,
            "xor": 0b10 if w != 0 else 0b01}      # +1 <-> -1, or 0 -> +1


def test_failing_kernel_test_leaves_waves_log_and_report(tmp_path):
    patch = _provable_flip(3)
    test = tmp_path / "test_mutant.py"
    test.write_text(textwrap.dedent(f"""
        from tb.jobs.kernel_job import KernelJob, run

        def test_mutated_weight_is_caught():
            job = KernelJob(kernel="cnv_part2", images=1, seed=3, out_dir={str(tmp_path / 'run')!r},
                            param_patches=[{patch!r}])
            assert run(job).ok
    """))
    art = tmp_path / "artifacts"
    env = dict(os.environ, BNNSPLIT_ARTIFACTS=str(art), PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tb.jobs.artifacts", str(test),
                        "-o", "addopts=", "--rootdir", str(tmp_path)],
                       capture_output=True, text=True, env=env, cwd=REPO)
    assert r.returncode == 1, r.stdout[-2000:]
    kept = list(art.glob("*/0"))
    assert len(kept) == 1, r.stdout[-2000:]
    files = {p.name for p in kept[0].iterdir()}
    assert files & {"waves.fst", "waves.vcd"}, files
    assert {"sim.log", "report.json"} <= files, files
    assert "re-run with waves" in r.stdout
