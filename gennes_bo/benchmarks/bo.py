"""A compact BoTorch BO loop with a pluggable acquisition optimizer (used by `gennes-bo demo`)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from botorch.acquisition import qLogExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Normalize, Standardize
from botorch.optim import optimize_acqf
from gpytorch.mlls import ExactMarginalLogLikelihood
from torch import Tensor
from tqdm.auto import tqdm

from gennes_bo.acquisition import count_acqf_evals, optimize_acqf_gennes

AcqfOptimizer = Callable[..., tuple[Tensor, Tensor]]


@dataclass
class BOTrace:
    """Result of :func:`run_bo_loop` (maximization of the objective).

    Attributes:
        X: `n x d` evaluated points.
        Y: `n` objective values.
        best_x: `d` best point found.
        best_y: Best objective value.
        best_so_far: Best value after each evaluation.
        n_acqf_evals: Acquisition points evaluated by the optimizer, per BO iteration.
        acqf_time: Seconds in the acquisition optimizer, per BO iteration.
    """

    X: Tensor
    Y: Tensor
    best_x: Tensor
    best_y: float
    best_so_far: list[float] = field(default_factory=list)
    n_acqf_evals: list[int] = field(default_factory=list)
    acqf_time: list[float] = field(default_factory=list)


def gennes_acqf_optimizer(num_restarts: int | None = None, raw_samples: int | None = None) -> AcqfOptimizer:
    """`optimize_acqf_gennes`; None takes the recommended restart and raw-sample counts for q."""

    def optimize(acqf, bounds, q, seed):
        return optimize_acqf_gennes(acqf, bounds, q=q, num_restarts=num_restarts, raw_samples=raw_samples,
                                    seed=seed)

    return optimize


def botorch_acqf_optimizer(num_restarts: int = 20, raw_samples: int = 1024) -> AcqfOptimizer:
    """BoTorch's `optimize_acqf` (multi-start L-BFGS-B) with its usual defaults."""

    def optimize(acqf, bounds, q, seed):
        return optimize_acqf(acqf, bounds, q=q, num_restarts=num_restarts, raw_samples=raw_samples,
                             options={"seed": seed})

    return optimize


def run_bo_loop(
    objective: Callable[[Tensor], Tensor],
    bounds: Tensor,
    acqf_optimizer: AcqfOptimizer,
    *,
    n_init: int = 10,
    n_iterations: int = 10,
    q: int = 1,
    seed: int = 0,
    progress: bool = False,
    desc: str = "BO",
) -> BOTrace:
    """Maximize `objective` by BO: SingleTaskGP (inputs normalized, outputs standardized), qLogEI.

    Args:
        objective: Maps `n x d` points to `n` values (to maximize).
        bounds: `2 x d` search box.
        acqf_optimizer: `(acqf, bounds, q, seed) -> (candidates q x d, values)`.
        n_init: Uniformly random initial points (seeded).
        n_iterations: BO iterations.
        q: Candidates per iteration.
        seed: Seed of the initial design and of the optimizer.
        progress: Show a tqdm bar.
        desc: Progress-bar label.
    """
    rng = torch.Generator().manual_seed(seed)
    d = bounds.shape[1]
    X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(n_init, d, generator=rng, dtype=bounds.dtype).to(bounds)
    Y = objective(X)
    trace = BOTrace(X=X, Y=Y, best_x=X[Y.argmax()], best_y=float(Y.max()))
    trace.best_so_far = torch.cummax(Y, 0).values.tolist()
    for iteration in tqdm(range(n_iterations), desc=desc, disable=not progress, leave=False):
        model = SingleTaskGP(X, Y.unsqueeze(-1), input_transform=Normalize(d, bounds=bounds),
                             outcome_transform=Standardize(1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acqf = qLogExpectedImprovement(model, best_f=Y.max())
        start = time.monotonic()
        with count_acqf_evals(acqf) as counter:
            candidates, _ = acqf_optimizer(acqf, bounds, q, seed * 1000 + iteration)
        trace.acqf_time.append(time.monotonic() - start)
        trace.n_acqf_evals.append(counter.n_evals)
        new_y = objective(candidates)
        X, Y = torch.cat([X, candidates]), torch.cat([Y, new_y])
        trace.best_so_far.extend(torch.cummax(Y, 0).values[-q:].tolist())
    best = int(Y.argmax())
    trace.X, trace.Y, trace.best_x, trace.best_y = X, Y, X[best], float(Y[best])
    return trace
