"""`python -m netsim plan --verify K`: the planner's K best plans co-simulated in RTL, the
measured throughput against the prediction.

netsim/planner.py predicts; co-simulating a plan is the testbench's (tb/jobs/cosim.py), a
layer above netsim, which netsim does not import. So netsim's `plan` command hands a command
line with `--verify` over to this module (a child process), which runs the same command with
:func:`verify` as the planner's verifier:

    python -m tb.jobs.plan_verify plan --boards 4 --verify 2 [--verify-images N]
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Optional, Sequence

from golden.platform import DEFAULT_PLATFORM
from netsim import cli
from netsim.planner import PlanPrediction
from tb.jobs import cosim


def verify(preds: list[PlanPrediction], k: int, images: int, batch: int, out_root: Path,
           board: str = DEFAULT_PLATFORM) -> list[dict]:
    """Co-simulate the best k plans in RTL (the path of `make sim PLAN=`) on the planner's
    `board` (golden/platform.py) and compare the measured steady-state throughput with the
    prediction: the results after the first wave (as many as the largest stage has replicas)
    over the time from that wave to the last result at the host."""
    out = []
    for p in preds[:k]:
        job = cosim.CosimJob(images=images, batch=batch, network=p.plan.network, plan=str(p.plan),
                             board=board, out_dir=str(out_root / str(p.plan).replace(",", "_")))
        r = cosim.run(job)
        # Every image is submitted at time 0, so an image's latency is its completion time.
        completed = sorted(im.latency_us for im in r.per_image if im.latency_us is not None)
        # Replicas finish in waves: measure from the end of the first wave to the last result
        # (give a multiple of every stage's replicas as `images`).
        k = math.lcm(*(s.replicas for s in p.plan.stages))
        measured = ((len(completed) - k) / ((completed[-1] - completed[k - 1]) / 1e6)
                    if len(completed) > k and completed[-1] > completed[k - 1] else None)
        err = (p.predicted_img_s - measured) / measured if measured else None
        out.append({"plan": str(p.plan), "predicted_img_s": p.predicted_img_s, "measured_img_s": measured,
                    "error": err, "mismatches": r.mismatches, "lost": len(r.lost), "summary": str(job.folder)})
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    """netsim's command line (`plan ... --verify K`) with the RTL verifier."""
    return cli.main(argv, plan_verifier=verify)


if __name__ == "__main__":
    sys.exit(main())
