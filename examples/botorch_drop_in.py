"""A BoTorch Bayesian-optimization loop with GENNES as the acquisition optimizer.

The only change from a textbook BoTorch loop is the call `optimize_acqf_gennes(...)` where one would write
`optimize_acqf(...)`: same arguments, same return value. Here: maximize the (negated) Branin function with a
SingleTaskGP and qLogEI, q = 2 candidates per iteration.

    python examples/botorch_drop_in.py                    # 8 iterations, well under a minute on a laptop CPU
    python examples/botorch_drop_in.py --iterations 20 --seed 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from botorch.acquisition import qLogExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Normalize, Standardize
from botorch.sampling import SobolQMCNormalSampler
from botorch.test_functions import Branin
from gpytorch.mlls import ExactMarginalLogLikelihood

from gennes_bo import optimize_acqf_gennes


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=8, help="BO iterations (default 8)")
    parser.add_argument("--n-init", type=int, default=6, help="random initial points (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial design and the optimizer")
    args = parser.parse_args(argv)

    function = Branin(negate=True)  # BoTorch maximizes; the optimum of -Branin is -0.397887
    bounds = function.bounds.to(torch.float64)
    d, q = bounds.shape[1], 2
    rng = torch.Generator().manual_seed(args.seed)
    train_X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(args.n_init, d, generator=rng, dtype=torch.float64)
    train_Y = function(train_X).unsqueeze(-1)
    print(f"Branin (negated, optimum {function.optimal_value:.6f}); {args.n_init} initial points, "
          f"best {train_Y.max():.6f}")

    for iteration in range(args.iterations):
        model = SingleTaskGP(train_X, train_Y, input_transform=Normalize(d, bounds=bounds),
                             outcome_transform=Standardize(1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # occasional fitting warnings on tiny data sets
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([128]), seed=args.seed + iteration)
        acqf = qLogExpectedImprovement(model, best_f=train_Y.max(), sampler=sampler)

        start = time.monotonic()
        # The drop-in: every argument of botorch.optim.optimize_acqf (num_restarts, raw_samples, ... left out take
        # recommended_restarts(q): per greedy step for q > 1), plus a seed.
        candidates, acq_value = optimize_acqf_gennes(acqf, bounds=bounds, q=q, seed=args.seed * 1000 + iteration)
        elapsed = time.monotonic() - start

        new_Y = function(candidates).unsqueeze(-1)
        train_X, train_Y = torch.cat([train_X, candidates]), torch.cat([train_Y, new_Y])
        print(f"iteration {iteration + 1:3d}: best value {train_Y.max():.6f}  (qLogEI {acq_value:.3f}, "
              f"optimizer {elapsed:.1f} s)")

    best = int(train_Y.argmax())
    point = ", ".join(f"{v:.4f}" for v in train_X[best].tolist())
    print(f"best value {train_Y[best].item():.6f} at [{point}] after {len(train_Y)} evaluations")
    return float(train_Y[best])


if __name__ == "__main__":
    main()
