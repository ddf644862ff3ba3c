"""Every make variable reaches the program as one argument: a value holding `;`, `$(...)`,
backquotes, spaces and quotes runs nothing but the program, and the program's failure is
make's failure."""

from __future__ import annotations

import os
import subprocess

import pytest

from tb.jobs.runner import REPO

HOSTILE = ["x;touch {p}1;#", "$(touch {p}2)", "`touch {p}3`", "a b' \"c;touch {p}4", "'; touch {p}5; echo '"]


@pytest.mark.parametrize("target,var", [("sim-kernel", "KERNEL_DIR"), ("sim", "PLAN"), ("sim", "STAGE_DIR"),
                                        ("sim-kernel", "NETWORK"), ("sim", "IMAGES"), ("regress", "BATCH")])
def test_a_hostile_variable_is_one_argument(tmp_path, target, var):
    marker = tmp_path / "pwned"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    for value in HOSTILE:
        value = value.format(p=marker)
        extra = ["KERNEL_DIR=/nonexistent"] if target == "sim-kernel" and var != "KERNEL_DIR" else []
        proc = subprocess.run(["make", "-s", "-C", str(REPO), target, f"{var}={value}", *extra],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode != 0, f"{target} {var}={value!r} exited 0:\n{proc.stdout}\n{proc.stderr}"
        assert "error" in proc.stderr.lower(), proc.stderr
        assert not list(tmp_path.glob("pwned*")), f"{var}={value!r} ran a shell command"


def test_a_blank_plan_is_an_error_not_the_default_system():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(["make", "-s", "-C", str(REPO), "sim", "PLAN= "], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode != 0 and "PLAN is blank" in proc.stderr, proc.stderr


def test_cosim_command_line_reaches_the_job_by_name(monkeypatch, tmp_path):
    """`python -m tb.jobs.cosim --ppm 200` once put 200.0 into `faults` (positional fields)."""
    from tb.jobs import cosim

    seen = {}

    def fake_run(job, show_progress=False):
        seen["job"] = job
        raise cosim.BnnInputError("stop here")

    monkeypatch.setattr(cosim, "run", fake_run)
    monkeypatch.setattr(cosim.CosimJob, "folder", property(lambda self: tmp_path))
    assert cosim.main(["--ppm", "200", "--latency-us", "3", "--loss", "0.01", "--images", "2", "--synthetic"]) == 2
    job = seen["job"]
    assert (job.ppm, job.latency_us, job.loss, job.faults, job.images) == (200.0, 3.0, 0.01, None, 2)
