"""Why the greedy q-batch gets dear late in a BO run: acquisition cost and BoTorch's retries on a real late state.

Runs `bo-batch`'s loop with `gennes-hybrid` (seed 0 of the problem) up to `--iteration` and keeps that iteration's
data (cached in `--cache`), refits the GP on it and builds the iteration's qLogNEI (128 Sobol samples, baseline
pruned), then prints:

- the data size and the pruned baseline's size;
- milliseconds per acquisition element (64 one-point batches per call, values only) with that baseline and with a
  baseline of the 5 best points: what one greedy-step evaluation costs against the baseline it carries;
- for `gennes-hybrid`, `gennes-hybrid-noretry` and `botorch-default` (and `botorch-sequential` with
  `--sequential`): process CPU seconds (one thread), acquisition calls, how many L-BFGS-B polishes ran inside
  `gen_candidates_gennes` and how many of them warned (each warning makes BoTorch redo the step), the batch's
  qLogNEI on the optimizer's own 128 samples and on 2048 fresh Sobol samples (another seed): a batch that fits
  the 128 samples scores far lower on fresh ones.

    PYTHONPATH=. python scripts/late_state_probe.py hartmann6 --q 32 --iteration 9 [--sequential]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import torch
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.exceptions.warnings import OptimizationWarning
from botorch.sampling import SobolQMCNormalSampler

import gennes_bo.acquisition.gen_candidates as gen_candidates_module
from benchmarks.bo_batch import initial_design, translated_problem
from gennes_bo.acquisition.counting import count_acqf_evals
from gennes_bo.compare.bo_loop import MC_SAMPLES, build_acquisition, run_bo_loop, warm_up
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer
from gennes_bo.compare.runner import limit_threads
from gennes_bo.models import fit_gp

FRESH_SAMPLES, FRESH_SEED = 2048, 11
POLISHES = {"run": 0, "warned": 0}
_polish = gen_candidates_module.gen_candidates_scipy


def counted_polish(*args, **kwargs):
    """`gen_candidates_gennes`'s L-BFGS-B polish, counting the runs that warn; the warnings still reach BoTorch."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", category=OptimizationWarning)
        result = _polish(*args, **kwargs)
    POLISHES["run"] += 1
    POLISHES["warned"] += any(issubclass(w.category, OptimizationWarning) for w in caught)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


class _Stop(Exception):
    pass


def late_data(problem: str, q: int, iteration: int, cache: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The data the GP of `iteration` is fitted on, in `gennes-hybrid`'s BO run (seed 0), cached in `cache`."""
    if cache.exists():
        return torch.load(cache)
    spec = {"problem": problem, "seed": 0}
    translated = translated_problem(spec)
    bounds = translated.bounds.double()
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def fit(X, Y, fit_bounds):
        seen.append((X.clone(), Y.clone()))
        return fit_gp(X, Y, fit_bounds)

    def stop(at: int, _model, _acqf) -> None:
        if at == iteration:
            raise _Stop

    optimizer = get_acqf_optimizer("gennes-hybrid").make(AcqfTask(q=q))
    try:
        run_bo_loop(lambda X: -translated.evaluate_true(X), bounds, optimizer, n_iterations=iteration + 1, q=q,
                    acquisition="qlognei", seed=0, X_init=initial_design(bounds, 2 * q, 0), callback=stop,
                    fit_model=fit)
    except _Stop:
        pass
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(seen[-1], cache)
    return seen[-1]


def ms_per_element(acq_function, bounds: torch.Tensor, n: int = 64) -> float:
    X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(n, 1, bounds.shape[1], dtype=bounds.dtype)
    with torch.no_grad():
        acq_function(X)
        start = time.process_time()
        for _ in range(3):
            acq_function(X)
    return 1000 * (time.process_time() - start) / (3 * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem")
    parser.add_argument("--q", type=int, default=32)
    parser.add_argument("--iteration", type=int, default=9)
    parser.add_argument("--cache", type=Path, default=None, help="default: /tmp/late_state_<problem>_q<q>_<it>.pt")
    parser.add_argument("--sequential", action="store_true", help="also time optimize_acqf(sequential=True)")
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    cache = args.cache or Path(f"/tmp/late_state_{args.problem}_q{args.q}_{args.iteration}.pt")
    X, Y = late_data(args.problem, args.q, args.iteration, cache)
    bounds = translated_problem({"problem": args.problem, "seed": 0}).bounds.double()
    torch.manual_seed(0)
    model = fit_gp(X, Y, bounds)
    acq_function = build_acquisition(model, None, "qlognei", args.q, seed=0, X_baseline=X)
    sampler = SobolQMCNormalSampler(sample_shape=torch.Size([MC_SAMPLES]), seed=0)
    small = qLogNoisyExpectedImprovement(model, X[Y.topk(5).indices], sampler=sampler, prune_baseline=False)
    fresh = qLogNoisyExpectedImprovement(model, acq_function.X_baseline, prune_baseline=False,
                                         sampler=SobolQMCNormalSampler(torch.Size([FRESH_SAMPLES]), seed=FRESH_SEED))
    baseline = acq_function.X_baseline.shape[0]
    print(f"{args.problem} q = {args.q}, iteration {args.iteration}: {len(X)} points, pruned baseline {baseline}; "
          f"one-point evaluation {ms_per_element(acq_function, bounds):.3f} ms against that baseline, "
          f"{ms_per_element(small, bounds):.3f} ms against the 5 best points", flush=True)
    gen_candidates_module.gen_candidates_scipy = counted_polish
    names = ["gennes-hybrid", "gennes-hybrid-noretry", "botorch-default"]
    names += ["botorch-sequential"] if args.sequential else []
    for name in names:
        warm_up(name, "qlognei", args.q)
        optimizer = get_acqf_optimizer(name).make(AcqfTask(q=args.q))
        POLISHES.update(run=0, warned=0)
        torch.manual_seed(0)
        with count_acqf_evals(acq_function) as counter:
            start = time.process_time()
            candidates, _ = optimizer(acq_function, bounds, args.q)
            seconds = time.process_time() - start
        with torch.no_grad():
            own, other = (float(f(candidates.unsqueeze(0))) for f in (acq_function, fresh))
        print(f"{name:22s} {seconds:7.1f} s {counter.n_calls:6d} calls  polishes {POLISHES['run']:3d} "
              f"({POLISHES['warned']} warned)  qLogNEI {own:8.3f} (own samples) {other:8.3f} (fresh)", flush=True)


if __name__ == "__main__":
    main()
