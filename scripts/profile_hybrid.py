"""Where `optimize_acqf_gennes`'s time goes at q = 16 (or `--q`; qLogNEI on `bo-batch`'s middle-iteration stand-in GP
of a main problem): process CPU seconds of the GENNES stages, the per-step L-BFGS-B polishes and the final joint
polish.

    PYTHONPATH=. python scripts/profile_hybrid.py hartmann6 griewank10 michalewicz10 [--q 32]
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

import gennes_bo.acquisition.gen_candidates as gen_candidates_module
import gennes_bo.acquisition.optimize as optimize_module
from benchmarks.bo_batch import initial_design, translated_problem
from gennes_bo import optimize_acqf_gennes
from gennes_bo.compare.bo_loop import build_acquisition, warm_up
from gennes_bo.compare.runner import limit_threads
from gennes_bo.models import fit_gp

SECONDS: dict[str, float] = {}


def timed(module, name: str, key: str) -> None:
    """Replace `module.name` by a wrapper that adds its process CPU seconds to `SECONDS[key]`."""
    function = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            SECONDS[key] = SECONDS.get(key, 0.0) + time.process_time() - start

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problems", nargs="*", default=["hartmann6"])
    parser.add_argument("--q", type=int, default=16)
    args = parser.parse_args()
    q = args.q
    limit_threads()
    warnings.simplefilter("ignore")
    timed(gen_candidates_module, "gennes_maximize", "GENNES stages")
    timed(gen_candidates_module, "gen_candidates_scipy", "step polishes")
    timed(optimize_module, "gen_candidates_scipy", "joint polish")
    warm_up("gennes-hybrid", "qlognei", q)
    for name in args.problems:
        problem = translated_problem({"problem": name, "seed": 0})
        bounds = problem.bounds.double()
        X = torch.cat([initial_design(bounds, 2 * q, 0), initial_design(bounds, 5 * q, 1)])
        model = fit_gp(X, -problem(X), bounds)
        acq_function = build_acquisition(model, None, "qlognei", q, seed=0, X_baseline=X)
        SECONDS.clear()
        start = time.process_time()
        _, value = optimize_acqf_gennes(acq_function, bounds, q, seed=0)
        total = time.process_time() - start
        parts = ", ".join(f"{key} {seconds:.2f} s ({seconds / total:.0%})" for key, seconds in SECONDS.items())
        print(f"{name}: {total:.2f} s in all; {parts}; value {float(value):.4f}", flush=True)


if __name__ == "__main__":
    main()
