"""The paper's acquisition optimizers, with the `optimize_acqf` call shape, and their registration.

Each function takes `(acq_function, bounds, q, ...)` like `botorch.optim.optimize_acqf` and returns
`(candidates q x d, acquisition value)`; randomness comes from torch's global RNG (wrap calls in
`botorch.utils.sampling.manual_seed(seed)`), so a comparison seeds every method the same way.

* :func:`optimize_acqf_random_lbfgs` -- the paper's baseline: L-BFGS-B from uniformly random starts, each run to
  scipy's convergence test (projected-gradient max-norm <= 1e-5), as GPyOpt did.
* :func:`optimize_acqf_gennes_paper` -- GENNES alone with the paper's BO settings (one generator, N = 10,
  alpha = 0.99, 20-30 iterations, no L-BFGS polish), returning the best sample ever drawn.
* :func:`optimize_acqf_cma` -- CMA-ES (pycma) on the acquisition in the unit cube, the population evaluated as one
  batch without gradients.

Importing this module (the `benchmarks` package does) registers them in the comparison harness's registry with
`gennes_bo.compare.register`, as any plug-in would: `gennes` (the paper's GENNES), `lbfgs-paper` and `cma`, and
`botorch-10x-sequential` (BoTorch's sequential mode at ten times its budget, for the regime map's oracle).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction
from botorch.generation import gen_candidates_scipy
from botorch.optim import optimize_acqf
from torch import Tensor

from gennes_bo.compare.registry import BOTORCH_10X, AcqfTask, register
from gennes_bo.gennes.config import GennesConfig
from gennes_bo.gennes.search import gennes_maximize

# The paper's BO settings (Section 4.2): one generator of 5 hidden layers, N = 10, alpha = 0.99.
PAPER_BO_CONFIG = GennesConfig(
    n_generators=1, population_size=10, n_iterations=20, hidden_width=64, n_hidden=5, alpha=0.99, lr=1e-2,
    n_polish=1,
)

# scipy's `fmin_l_bfgs_b` defaults (pgtol 1e-5, factr 1e7) with GPyOpt's iteration cap: the paper's stopping rule.
PAPER_LBFGS_OPTIONS = {"pgtol": 1e-5, "factr": 1e7, "maxiter": 1000}


def check_bounds_and_q(bounds: Tensor, q: int) -> None:
    """Raise a ValueError naming the argument unless `bounds` is a finite `2 x d` tensor and `q >= 1`."""
    if not (bounds.dim() == 2 and bounds.shape[0] == 2):
        raise ValueError(f"`bounds` must be a 2 x d tensor, got shape {tuple(bounds.shape)}")
    if not bounds.isfinite().all():
        raise ValueError("`bounds` must be finite")
    if q < 1:
        raise ValueError(f"`q` must be >= 1, got {q}")


def _uniform(n: int, q: int, bounds: Tensor) -> Tensor:
    """`n x q x d` uniform points in the box, from the global torch RNG."""
    unit = torch.rand(n, q, bounds.shape[1], dtype=bounds.dtype).to(bounds.device)
    return bounds[0] + (bounds[1] - bounds[0]) * unit


def optimize_acqf_random_lbfgs(
    acq_function: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    num_restarts: int = 20,
    raw_samples: int | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Tensor, Tensor]:
    """Multi-start L-BFGS-B from `num_restarts` uniformly random starts (the paper's acquisition baseline).

    Unlike `optimize_acqf`, no raw samples are drawn: the starts are uniform in the box, and each start is its own
    L-BFGS-B run (BoTorch's batched L-BFGS-B), stopped by scipy's default test (projected-gradient max-norm
    <= 1e-5, or relative decrease <= factr * eps) or after 1000 iterations, as in GPyOpt.

    Args:
        acq_function: The acquisition function to maximize.
        bounds: `2 x d` finite bounds.
        q: Candidates; a start is a uniform `q x d` batch optimized jointly.
        num_restarts: Random starts (the paper: 20 for digits, 100 for Alpine1).
        raw_samples: Must be None (kept for the `optimize_acqf` call shape).
        options: L-BFGS-B options overriding `PAPER_LBFGS_OPTIONS`.

    Returns:
        `(candidates q x d, acquisition value)` of the best run.
    """
    check_bounds_and_q(bounds, q)
    if raw_samples is not None:
        raise ValueError("`raw_samples` must be None: the paper's baseline starts from uniform random points")
    if num_restarts < 1:
        raise ValueError(f"`num_restarts` must be >= 1, got {num_restarts}")
    starts = _uniform(num_restarts, q, bounds)
    # Parallel mode = one L-BFGS-B run per start with scipy's own stopping test; never the joint-problem fallback.
    return optimize_acqf(acq_function, bounds, q, num_restarts=num_restarts, batch_initial_conditions=starts,
                         options={**PAPER_LBFGS_OPTIONS, **(options or {})},
                         gen_candidates=partial(gen_candidates_scipy, use_parallel_mode=True))


def optimize_acqf_gennes_paper(
    acq_function: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    config: GennesConfig = PAPER_BO_CONFIG,
) -> tuple[Tensor, Tensor]:
    """GENNES alone on the acquisition, the paper's BO setting: returns the best sample ever drawn.

    The default `PAPER_BO_CONFIG` is the paper's generator for BO (5 leaky-ReLU hidden layers and a tanh output
    layer, N = 10, alpha = 0.99, 20 iterations; use `config.replace(n_iterations=30)` for Alpine1). The generator
    starts covering the box (Appendix B); there is no raw-sample initialization and no L-BFGS polish.

    Args:
        acq_function: The acquisition function to maximize (called on `N x q x d` batches).
        bounds: `2 x d` finite bounds.
        q: Candidates; a population member is a whole `q x d` batch.
        config: GENNES settings.

    Returns:
        `(candidates q x d, acquisition value)`.
    """
    check_bounds_and_q(bounds, q)
    seed = int(torch.randint(0, 2**31 - 1, ()).item())
    result = gennes_maximize(acq_function, bounds, config, q=q, seed=seed)
    return result.x.detach(), torch.as_tensor(result.fun, dtype=bounds.dtype, device=bounds.device)


def optimize_acqf_cma(
    acq_function: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    max_evals: int = 2048,
    population_size: int | None = None,
    sigma0: float = 0.2,
) -> tuple[Tensor, Tensor]:
    """CMA-ES (pycma) on the acquisition over the unit-scaled box; the population is one batched evaluation.

    The search runs in `[0, 1]^(q d)` (pycma's bound handling) from a uniformly random mean with step size
    `sigma0`, without gradients, until `max_evals` acquisition points or pycma's own stopping tests.

    Args:
        acq_function: The acquisition function to maximize.
        bounds: `2 x d` finite bounds.
        q: Candidates; a CMA-ES point is a whole `q x d` batch.
        max_evals: Budget of acquisition points.
        population_size: pycma's `popsize` (default `4 + 3 ln(q d)`).
        sigma0: Initial step size in the unit cube.

    Returns:
        `(candidates q x d, acquisition value)` of the best point evaluated.
    """
    import cma

    check_bounds_and_q(bounds, q)
    if max_evals < 1:
        raise ValueError(f"`max_evals` must be >= 1, got {max_evals}")
    if not sigma0 > 0:
        raise ValueError(f"`sigma0` must be > 0, got {sigma0}")
    d = bounds.shape[1]
    dim = q * d
    lower, width = bounds[0], bounds[1] - bounds[0]
    x0 = torch.rand(dim, dtype=torch.float64).numpy()
    seed = int(torch.randint(1, 2**31 - 1, ()).item())
    cma_options = {"bounds": [0.0, 1.0], "maxfevals": max_evals, "seed": seed, "verbose": -9}
    if population_size is not None:
        cma_options["popsize"] = population_size
    if dim == 1:  # pycma needs >= 2 dimensions; a duplicated coordinate is ignored below
        x0 = x0.repeat(2)
    es = cma.CMAEvolutionStrategy(x0, sigma0, cma_options)
    best_x, best_value = None, -math.inf
    while not es.stop():
        solutions = es.ask()
        unit = torch.as_tensor(np.asarray(solutions), dtype=bounds.dtype, device=bounds.device)[:, :dim]
        X = lower + width * unit.reshape(-1, q, d)
        with torch.no_grad():
            values = acq_function(X)
        finite = torch.where(values.isfinite(), values, torch.full_like(values, -math.inf))
        index = int(finite.argmax())
        if float(finite[index]) > best_value:
            best_x, best_value = X[index].clone(), float(finite[index])
        es.tell(solutions, (-finite).clamp_max(1e300).tolist())  # pycma minimizes; -inf values become 1e300
    if best_x is None:
        raise ValueError("the acquisition function returned no finite value")
    return best_x, torch.as_tensor(best_value, dtype=bounds.dtype, device=bounds.device)


def _paper_gennes_config(task: AcqfTask) -> GennesConfig:
    return PAPER_BO_CONFIG.replace(n_iterations=task.paper_iterations)


def _defaults(function: Callable) -> dict[str, Any]:
    return {key: parameter.default for key, parameter in inspect.signature(function).parameters.items()
            if parameter.default is not inspect.Parameter.empty}


register("gennes", lambda task: partial(optimize_acqf_gennes_paper, config=_paper_gennes_config(task)),
         lambda task: {"config": _paper_gennes_config(task).to_dict()},
         description="GENNES alone with the paper's BO settings (N = 10, alpha = 0.99, paper_iterations steps)")
register("lbfgs-paper", lambda task: partial(optimize_acqf_random_lbfgs, num_restarts=task.paper_starts),
         lambda task: {"num_restarts": task.paper_starts, "options": dict(PAPER_LBFGS_OPTIONS)},
         description="L-BFGS-B from paper_starts uniform random starts, scipy's convergence test (the paper's)")
register("cma", lambda task: optimize_acqf_cma, _defaults(optimize_acqf_cma),
         description="CMA-ES (pycma) on the acquisition in the unit cube, 2048 acquisition points")
# The regime map's oracle runs BoTorch's both modes at ten times their budget.
BOTORCH_10X_SEQUENTIAL = {**BOTORCH_10X, "sequential": True}
register("botorch-10x-sequential", lambda task: partial(optimize_acqf, **BOTORCH_10X_SEQUENTIAL),
         BOTORCH_10X_SEQUENTIAL,
         description="optimize_acqf with ten times the default budget, sequential=True (one point at a time)")
