"""Warm starts at the acquisition level: `optimize_acqf_gennes` with and without a `GeneratorCarry`, q = 16.

For each problem of `gennes-bo bo-batch`'s main grid and each seed: a GP (the `bo-batch --estimate` stand-in: the
2q-point initial design plus 5q Sobol points, i.e. the middle iteration's data size) and its qLogNEI; call 1
optimizes it; the batch of the fresh call is evaluated and added to the data, the GP refitted, and call 2
optimizes the new acquisition, the same for both variants. `fresh` starts every GENNES stage from new generators;
`warm` carries them through the 16 greedy steps of call 1 and on into call 2. Prints, per problem, seed and call,
both acquisition values and process CPU seconds (one thread), then W/T/L (tie: 1e-3 relative) and time ratios.

    python scripts/warm_start_probe.py [--seeds 2] [--problems hartmann6 ackley10 ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from benchmarks.bo_batch import MAIN_PROBLEMS, initial_design, translated_problem
from gennes_bo.acquisition import GeneratorCarry, optimize_acqf_gennes
from gennes_bo.compare.bo_loop import build_acquisition, warm_up
from gennes_bo.compare.runner import limit_threads
from gennes_bo.models import fit_gp

Q = 16


def call(acq, bounds, seed, carry):
    start = time.process_time()
    candidates, value = optimize_acqf_gennes(acq, bounds, Q, seed=seed, warm_start=carry)
    return candidates, float(value), time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--problems", nargs="+", default=list(MAIN_PROBLEMS))
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    warm_up("gennes-hybrid", "qlognei", Q)
    rows = []
    print(f"{'problem':14s} {'seed':>4s} {'call':>4s} {'fresh value':>12s} {'warm value':>12s} {'fresh s':>8s} "
          f"{'warm s':>8s}", flush=True)
    for problem_name in args.problems:
        for seed in range(args.seeds):
            problem = translated_problem({"problem": problem_name, "seed": seed})
            bounds = problem.bounds.double()
            X = torch.cat([initial_design(bounds, 2 * Q, seed), initial_design(bounds, 5 * Q, seed + 1000)])
            carry = GeneratorCarry()
            for number in (1, 2):
                model = fit_gp(X, -problem(X), bounds)
                acq = build_acquisition(model, None, "qlognei", Q, seed=seed, X_baseline=X)
                fresh_x, fresh, fresh_s = call(acq, bounds, seed, None)
                _, warm, warm_s = call(acq, bounds, seed, carry)
                rows.append((problem_name, seed, number, fresh, warm, fresh_s, warm_s))
                print(f"{problem_name:14s} {seed:4d} {number:4d} {fresh:12.5g} {warm:12.5g} {fresh_s:8.2f} "
                      f"{warm_s:8.2f}", flush=True)
                X = torch.cat([X, fresh_x])
    for number in (1, 2):
        mine = [r for r in rows if r[2] == number]
        scores = [(warm - fresh) / max(abs(fresh), abs(warm), 1e-12) for _, _, _, fresh, warm, _, _ in mine]
        wins = sum(s > 1e-3 for s in scores)
        losses = sum(s < -1e-3 for s in scores)
        ratio = statistics.median(r[6] / r[5] for r in mine)
        print(f"call {number}: warm vs fresh W/T/L {wins}/{len(scores) - wins - losses}/{losses}, "
              f"median time ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
