"""The per-step start budget at the acquisition level: `optimize_acqf_gennes` at q = 16 with more L-BFGS-B starts
per greedy step, against its defaults and `optimize_acqf(sequential=True)`.

On `bo-batch`'s middle-iteration stand-in GP of each problem (as `bo-batch --estimate` builds it) and each seed,
prints each variant's acquisition value and process CPU seconds (one thread), then W/T/L against the default (tie:
1e-3 relative) and the median time ratio.

    PYTHONPATH=. python scripts/step_budget_probe.py [--problems levy20] [--seeds 3]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from functools import partial

import torch
from botorch.optim import optimize_acqf
from probe_common import print_row, stand_in_acquisition, summarize

from gennes_bo import optimize_acqf_gennes
from gennes_bo.compare.bo_loop import warm_up
from gennes_bo.compare.runner import limit_threads

Q = 16


def variants(d: int) -> dict:
    half = max(4, math.ceil(d / 2))
    return {
        "default": optimize_acqf_gennes,
        f"restarts={half}": partial(optimize_acqf_gennes, num_restarts=half),
        f"restarts={half},fresh": partial(optimize_acqf_gennes, num_restarts=half, greedy_rescreen=None),
        "raw=1024,fresh": partial(optimize_acqf_gennes, raw_samples=1024, greedy_rescreen=None),
        "botorch-sequential": partial(optimize_acqf, num_restarts=20, raw_samples=1024, sequential=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["levy20"])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    warm_up("gennes-hybrid", "qlognei", Q)
    rows: list[list[tuple[float, float]]] = []
    labels: list[str] = []
    for name in args.problems:
        for seed in range(args.seeds):
            acq_function, bounds = stand_in_acquisition(name, seed, Q)
            table = variants(bounds.shape[1])
            labels = list(table)
            row = []
            for optimizer in table.values():
                torch.manual_seed(seed)
                start = time.process_time()
                candidates, _ = optimizer(acq_function, bounds, Q)
                elapsed = time.process_time() - start
                with torch.no_grad():
                    row.append((float(acq_function(candidates.unsqueeze(0))), elapsed))
            rows.append(row)
            print_row(name, seed, row)
    summarize(rows, labels)

if __name__ == "__main__":
    main()
