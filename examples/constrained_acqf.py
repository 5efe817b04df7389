"""Acquisition optimization under linear constraints: `optimize_acqf_gennes` against BoTorch's `optimize_acqf`.

Two problems, each with a GP fitted to random feasible points: Hartmann6 under a budget constraint
(x0 + x1 + x2 <= 1, written as -x0 - x1 - x2 >= -1) and Hartmann4 as a mixture on the simplex (x >= 0,
sum x = 1). For each seed and q, both optimizers maximize the same acquisition (LogEI for q = 1, qLogEI for
q > 1) with the same constraints: `optimize_acqf_gennes` with its defaults, `optimize_acqf` with
num_restarts=20, raw_samples=1024 (its SLSQP path). The table gives the acquisition value's wins / ties / losses
of GENNES (a tie is within 1e-3 relative), the median ratio of wall times (GENNES / BoTorch) and medians of both,
and each optimizer's largest violation of the bounds and constraints.

    python examples/constrained_acqf.py                      # 5 seeds, q = 1 and 4: several minutes on one core
    python examples/constrained_acqf.py --seeds 1 --q 1 --problems budget
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Standardize
from botorch.optim import optimize_acqf
from botorch.sampling import SobolQMCNormalSampler
from botorch.utils.sampling import manual_seed
from gpytorch.mlls import ExactMarginalLogLikelihood

from gennes_bo import optimize_acqf_gennes
from gennes_bo.test_functions.mixed import SpaceProblem, hartmann4_simplex, hartmann6_budget

# The problems are defined in gennes_bo.test_functions.mixed (shared with `gennes-bo bench-mixed`).
PROBLEMS = {"budget": hartmann6_budget, "simplex": hartmann4_simplex}


def fitted_acquisition(problem: SpaceProblem, q: int, n_train: int, seed: int):
    """LogEI (q = 1) or qLogEI of a GP fitted to `n_train` random feasible points."""
    train_X = problem.sample(n_train, seed)
    train_Y = problem.f(train_X).unsqueeze(-1)
    model = SingleTaskGP(train_X, train_Y, outcome_transform=Standardize(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    if q == 1:
        return LogExpectedImprovement(model, best_f=train_Y.max())
    sampler = SobolQMCNormalSampler(sample_shape=torch.Size([128]), seed=seed)
    return qLogExpectedImprovement(model, best_f=train_Y.max(), sampler=sampler)


def run(problem: SpaceProblem, q: int, n_train: int, seed: int, num_restarts: int, raw_samples: int) -> dict:
    """One paired comparison: acquisition values, wall times and violations of both optimizers."""
    acqf = fitted_acquisition(problem, q, n_train, seed)
    bounds = problem.bounds
    constraints = {"inequality_constraints": problem.inequality_constraints,
                   "equality_constraints": problem.equality_constraints}
    with torch.no_grad():  # build the posterior caches before timing either optimizer
        acqf(bounds.mean(0).expand(1, q, -1))
    start = time.monotonic()
    with manual_seed(seed):  # BoTorch seeds its raw samples with options["seed"], its choice of restarts globally
        botorch_x, _ = optimize_acqf(acqf, bounds, q, num_restarts=num_restarts, raw_samples=raw_samples,
                                     options={"seed": seed}, **constraints)
    botorch_time = time.monotonic() - start
    start = time.monotonic()
    gennes_x, _ = optimize_acqf_gennes(acqf, bounds, q, seed=seed, **constraints)
    gennes_time = time.monotonic() - start
    with torch.no_grad():
        botorch_value, gennes_value = (float(acqf(x.unsqueeze(0))) for x in (botorch_x, gennes_x))
    return {"gennes": gennes_value, "botorch": botorch_value, "gennes_time": gennes_time,
            "botorch_time": botorch_time, "gennes_violation": problem.violation(gennes_x),
            "botorch_violation": problem.violation(botorch_x)}


def warm_up() -> None:
    """One tiny call of each optimizer, so that one-time imports (torch's optimizer module, scipy's SLSQP) are not
    timed."""
    problem = hartmann6_budget()
    acqf = fitted_acquisition(problem, 1, 6, seed=0)
    constraints = {"inequality_constraints": problem.inequality_constraints}
    optimize_acqf(acqf, problem.bounds, 1, num_restarts=1, raw_samples=4, options={"n_burnin": 10}, **constraints)
    optimize_acqf_gennes(acqf, problem.bounds, 1, num_restarts=1, raw_samples=4, options={"n_burnin": 10},
                         **constraints)


def verdict(gennes: float, botorch: float, tie: float = 1e-3) -> str:
    """W / T / L of GENNES's acquisition value against BoTorch's (T within `tie` relative)."""
    if abs(gennes - botorch) <= tie * max(abs(gennes), abs(botorch), 1e-12):
        return "T"
    return "W" if gennes > botorch else "L"


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=sorted(PROBLEMS))
    parser.add_argument("--q", nargs="+", type=int, default=[1, 4], help="batch sizes (default 1 4)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per problem and q (default 5)")
    parser.add_argument("--n-train", type=int, default=25, help="GP training points (default 25)")
    parser.add_argument("--num-restarts", type=int, default=20, help="BoTorch's restarts (default 20)")
    parser.add_argument("--raw-samples", type=int, default=1024, help="BoTorch's raw samples (default 1024)")
    parser.add_argument("--verbose", action="store_true", help="print every run")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # GP fitting and jitter warnings on small data sets
    warm_up()

    rows = []
    print(f"{'problem':8s} {'q':>2s}  {'W/T/L':7s} {'time ratio':>10s}  {'GENNES s':>8s} {'BoTorch s':>9s}  "
          f"{'violation GENNES':>16s} {'BoTorch':>8s}")
    for name in args.problems:
        problem = PROBLEMS[name]()
        for q in args.q:
            runs = [run(problem, q, args.n_train, seed, args.num_restarts, args.raw_samples)
                    for seed in range(args.seeds)]
            for seed, r in enumerate(runs) if args.verbose else ():
                print(f"  {name} q={q} seed {seed}: GENNES {r['gennes']:.6f} ({r['gennes_time']:.2f} s), BoTorch "
                      f"{r['botorch']:.6f} ({r['botorch_time']:.2f} s): {verdict(r['gennes'], r['botorch'])}")
            verdicts = [verdict(r["gennes"], r["botorch"]) for r in runs]
            ratio = statistics.median(r["gennes_time"] / r["botorch_time"] for r in runs)
            row = {"problem": name, "q": q, "runs": runs, "verdicts": verdicts, "time_ratio": ratio}
            rows.append(row)
            wtl = "/".join(str(verdicts.count(v)) for v in "WTL")
            print(f"{name:8s} {q:2d}  {wtl:7s} {ratio:10.2f}  {statistics.median(r['gennes_time'] for r in runs):8.2f} "
                  f"{statistics.median(r['botorch_time'] for r in runs):9.2f}  "
                  f"{max(r['gennes_violation'] for r in runs):16.1e} {max(r['botorch_violation'] for r in runs):8.1e}")
    verdicts = [v for row in rows for v in row["verdicts"]]
    at_least = sum(v != "L" for v in verdicts)
    ratios = [r["gennes_time"] / r["botorch_time"] for row in rows for r in row["runs"]]
    print(f"GENNES at least BoTorch's value in {at_least} of {len(verdicts)} runs; median time ratio "
          f"{statistics.median(ratios):.2f}")
    return rows


if __name__ == "__main__":
    main()
