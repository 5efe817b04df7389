"""Mixed-space acquisition optimization: `optimize_acqf_mixed_gennes` against BoTorch's
`optimize_acqf_mixed_alternating` (its defaults), at the acquisition level.

For each problem and seed, a GP is fitted to random valid points; both optimizers maximize the same acquisition
(LogEI for q = 1, qLogEI with a fixed QMC sampler for q > 1), one thread, in the same process. Printed: each run's
values and times, then per problem and q the wins / ties / losses of GENNES (tie: within `--tie` relative) and the
ratios of its wall and CPU time to BoTorch's; `--ablation` adds the same optimizer without its GENNES stage.

Problems:
- `hartmann6-disc`: Hartmann6 with dimensions 0-2 restricted to 5 levels (0, 0.25, ..., 1);
- `ackley-binary`: an Ackley function of 10 binary and 6 continuous dimensions;
- `categorical`: a synthetic function of 8 categorical dimensions with 4 levels and 4 continuous ones (a GP with
  BoTorch's categorical kernel, `MixedSingleTaskGP`).

    python examples/mixed_acqf.py --seeds 5 --q 1 4
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import MixedSingleTaskGP, SingleTaskGP
from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating
from botorch.sampling import SobolQMCNormalSampler
from gpytorch.mlls import ExactMarginalLogLikelihood
from scipy.stats import wilcoxon

from gennes_bo.acquisition import optimize_acqf_mixed_gennes
from gennes_bo.acquisition.options import MIXED_CONFIG
from gennes_bo.test_functions.mixed import SpaceProblem, get_space_problem

DTYPE = torch.float64
ABLATION_RESTARTS = 8  # the GENNES stage's 4 starts given to the screen instead


# The problems are defined in gennes_bo.test_functions.mixed (shared with `gennes-bo bench-mixed`).
MIXED_PROBLEMS = ("hartmann6-disc", "ackley-binary", "categorical")
PROBLEMS = {name: get_space_problem(name) for name in MIXED_PROBLEMS}


def acquisition(problem: SpaceProblem, seed: int, q: int):
    X = problem.sample(problem.n_train, seed)
    Y = problem.f(X).unsqueeze(-1)
    if problem.cat_dims:
        model = MixedSingleTaskGP(X, Y, cat_dims=list(problem.cat_dims))
    else:
        model = SingleTaskGP(X, Y)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    if q == 1:
        return LogExpectedImprovement(model, best_f=Y.max())
    return qLogExpectedImprovement(model, best_f=Y.max(),
                                   sampler=SobolQMCNormalSampler(torch.Size([128]), seed=seed))


def run(optimizer: str, problem: SpaceProblem, acqf, q: int, seed: int,
        **kwargs) -> tuple[float, float, float, torch.Tensor]:
    """The joint acquisition value of the optimizer's candidates, its wall and CPU seconds, and the candidates."""
    start, start_cpu = time.perf_counter(), time.process_time()
    if optimizer == "gennes":
        X, value = optimize_acqf_mixed_gennes(acqf, problem.bounds, problem.discrete_dims, problem.cat_dims, q=q,
                                              seed=seed, **kwargs)
    else:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            X, value = optimize_acqf_mixed_alternating(acqf, problem.bounds, problem.discrete_dims or None,
                                                       problem.cat_dims or None, q=q, **kwargs)
    elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    with torch.no_grad():
        value = acqf(X)  # the joint value, recomputed with the same acquisition for both
    return float(value), elapsed, elapsed_cpu, X


def check_valid(problem: SpaceProblem, X: torch.Tensor) -> None:
    low, high = problem.bounds
    assert ((X >= low) & (X <= high)).all(), X
    for dim, values in {**problem.discrete_dims, **problem.cat_dims}.items():
        assert torch.isin(X[:, dim], torch.tensor(values, dtype=DTYPE)).all(), (dim, X[:, dim])


def outcome(ours: float, theirs: float, tie: float) -> str:
    """"W", "T" or "L" of `ours` against `theirs`; a tie is within `tie` relative."""
    if abs(ours - theirs) <= tie * max(abs(ours), abs(theirs)):
        return "T"
    return "W" if ours > theirs else "L"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--q", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--tie", type=float, default=1e-3, help="relative tolerance of a tie")
    parser.add_argument("--ablation", action="store_true",
                        help=f"also run without the GENNES stage (n_polish=0, {ABLATION_RESTARTS} screen starts)")
    parser.add_argument("--raw-samples", type=int, help="both optimizers (default: each one's own)")
    parser.add_argument("--num-restarts", type=int, help="both optimizers (default: each one's own)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    budget = {k: v for k, v in (("raw_samples", args.raw_samples), ("num_restarts", args.num_restarts)) if v}
    variants = {"gennes": {}, **({"no-gennes": {"num_restarts": ABLATION_RESTARTS,
                                                 "config": MIXED_CONFIG.replace(n_polish=0)}} if args.ablation else {})}
    print(f"{'problem':15s} {'q':>2s} {'seed':>4s} {'botorch':>9s} {'t_wall':>7s} {'t_cpu':>7s}"
          + "".join(f" {name:>9s} {'t_wall':>7s} {'t_cpu':>7s}  " for name in variants))
    rows = []  # (problem, q, variant, outcome, value difference, wall, cpu, botorch wall, botorch cpu)
    for name in args.problems:
        problem = PROBLEMS[name]
        for q in args.q:
            for seed in range(args.seeds):
                acqf = acquisition(problem, seed, q)
                if seed == 0:  # untimed warm-up of both (first calls pay for lazy initializations)
                    run("botorch", problem, acqf, q, seed, **budget)
                    run("gennes", problem, acqf, q, seed, **budget)
                theirs, wall_theirs, cpu_theirs, _ = run("botorch", problem, acqf, q, seed, **budget)
                line = f"{name:15s} {q:2d} {seed:4d} {theirs:9.4f} {wall_theirs:7.2f} {cpu_theirs:7.2f}"
                for variant, kwargs in variants.items():
                    ours, wall, cpu, X = run("gennes", problem, acqf, q, seed, **{**budget, **kwargs})
                    check_valid(problem, X)
                    mark = outcome(ours, theirs, args.tie)
                    rows.append((name, q, variant, mark, ours - theirs, wall, cpu, wall_theirs, cpu_theirs))
                    line += f" {ours:9.4f} {wall:7.2f} {cpu:7.2f} {mark}"
                print(line, flush=True)
    for variant in variants:
        print(f"\n{variant} against optimize_acqf_mixed_alternating (time ratios: sums over seeds)")
        print(f"{'problem':15s} {'q':>2s} {'W/T/L':>8s} {'wall ratio':>10s} {'cpu ratio':>9s}")
        mine = [row for row in rows if row[2] == variant]
        for name, q in dict.fromkeys((row[0], row[1]) for row in mine):
            cell = [row for row in mine if row[:2] == (name, q)]
            counts = "/".join(str(sum(row[3] == mark for row in cell)) for mark in "WTL")
            wall = sum(row[5] for row in cell) / sum(row[7] for row in cell)
            cpu = sum(row[6] for row in cell) / sum(row[8] for row in cell)
            print(f"{name:15s} {q:2d} {counts:>8s} {wall:10.2f} {cpu:9.2f}")
        at_least = sum(row[3] != "L" for row in mine)
        differences = [row[4] if row[3] != "T" else 0.0 for row in mine]
        wall = sum(row[5] for row in mine) / sum(row[7] for row in mine)
        cpu = sum(row[6] for row in mine) / sum(row[8] for row in mine)
        line = (f"value at least BoTorch's in {at_least} of {len(mine)} runs ({100 * at_least / len(mine):.0f} %), "
                f"time ratio {wall:.2f} wall, {cpu:.2f} CPU")
        if any(differences):  # one-sided paired Wilcoxon signed-rank test, ties dropped
            line += f"; Wilcoxon p = {wilcoxon(differences, alternative='greater').pvalue:.2g} (ours > BoTorch's)"
        print(line)


if __name__ == "__main__":
    main()
