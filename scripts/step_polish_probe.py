"""The per-step polish budget at the acquisition level: `optimize_acqf_gennes` at q = 16 (or `--q`) with the
L-BFGS-B polish of each greedy step capped at 200 (the default), 50 and 15 iterations, the final joint polish
unchanged; with `--botorch`, `optimize_acqf`'s joint default (`bo-batch`'s `botorch-default`) beside them.

On `bo-batch`'s middle-iteration stand-in GP of each main problem (as `bo-batch --estimate` builds it) and each
seed, prints the acquisition value and process CPU seconds (one thread) of each cap, then W/T/L against the
default (tie: 1e-3 relative) and the median time ratio.

    PYTHONPATH=. python scripts/step_polish_probe.py [--seeds 2] [--q 16] [--problems hartmann6 ...] [--botorch]
"""

from __future__ import annotations

import time

from probe_common import print_row, stand_in_acquisition, stand_in_arguments, summarize

import gennes_bo.acquisition.gen_candidates as gen_candidates_module
from gennes_bo import optimize_acqf_gennes
from gennes_bo.compare.bo_loop import warm_up
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, run_acqf_optimizer

CAPS = (None, 50, 15)  # None: the default (the config's polish_maxiter, 200)
_step_polish = gen_candidates_module.gen_candidates_scipy
_cap: dict[str, int | None] = {"maxiter": None}


def capped_step_polish(*args, **kwargs):
    """The greedy steps' polish (`gen_candidates_gennes` calls it) with `maxiter` capped; the joint polish is
    `optimize.py`'s own reference and stays as it is."""
    if _cap["maxiter"] is not None:
        kwargs["options"] = {**kwargs.get("options", {}), "maxiter": _cap["maxiter"]}
    return _step_polish(*args, **kwargs)


def main() -> None:
    args = stand_in_arguments(__doc__.splitlines()[0])
    q = args.q
    gen_candidates_module.gen_candidates_scipy = capped_step_polish
    warm_up("gennes-hybrid", "qlognei", q)
    botorch_default = get_acqf_optimizer("botorch-default").make(AcqfTask(q=q))
    rows = []
    for name in args.problems:
        for seed in range(args.seeds):
            acq_function, bounds = stand_in_acquisition(name, seed, q)
            row = []
            for cap in CAPS:
                _cap["maxiter"] = cap
                start = time.process_time()
                _, value = optimize_acqf_gennes(acq_function, bounds, q, seed=seed)
                row.append((float(value), time.process_time() - start))
            if args.botorch:
                run = run_acqf_optimizer(botorch_default, acq_function, bounds, q, seed)
                row.append((run.value, run.cpu_time))
            rows.append(row)
            print_row(name, seed, row)
    summarize(rows, [f"step polish capped at {cap or 200}" for cap in CAPS]
              + (["optimize_acqf's joint default"] if args.botorch else []))

if __name__ == "__main__":
    main()
