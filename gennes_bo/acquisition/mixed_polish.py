"""The polish of mixed-space candidates: discrete local search alternating with L-BFGS-B on the continuous dimensions.

The scheme of BoTorch's `optimize_acqf_mixed_alternating` (its `discrete_step` / `continuous_step`), run on every
start at once: a discrete step moves each point to its best neighbour (:meth:`MixedSpace.neighbours`) while that
improves it, up to `maxiter_discrete` moves; a continuous step runs `gen_candidates_scipy` with the discrete and
categorical values held fixed (`fixed_features`, one value per start). A start stops once a discrete step and a
continuous step together improve it by less than `tol`. Under linear constraints (:class:`MixedConstraints`), as in
BoTorch, the discrete step keeps the feasible neighbours only and the continuous step runs SLSQP with the discrete
values substituted into the constraints, start by start. The neighbourhoods are BoTorch's; its step functions are
not called, as they take `optimize_acqf`'s whole input object (`OptimizeAcqfInputs`) and run through its private
`_optimize_acqf`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.generation.gen import gen_candidates_scipy
from botorch.optim.optimize_mixed import CONVERGENCE_TOL, MAX_BATCH_SIZE, MAX_ITER_ALTER, MAX_ITER_DISCRETE
from torch import Tensor

from gennes_bo.acquisition.mixed_constraints import MixedConstraints
from gennes_bo.acquisition.mixed_space import MixedSpace
from gennes_bo.acquisition.options import MIXED_MAXITER_CONTINUOUS, UnsupportedAcqfArgumentError


@dataclass(frozen=True)
class AlternatingSettings:
    """Settings of the alternating polish, under the names of `optimize_acqf_mixed_alternating`'s `options`.

    The defaults are BoTorch's but for `maxiter_continuous` (100, BoTorch: 8): L-BFGS-B ends its own run rather
    than restarting every 8 iterations, which takes fewer alternations (docs/design.md#mixed-spaces).

    Attributes:
        tol: A start stops when one discrete and one continuous step improve it by less than this.
        maxiter_alternating: Most discrete-then-continuous rounds.
        maxiter_discrete: Most moves of a discrete step.
        maxiter_continuous: L-BFGS-B iterations of a continuous step.
        batch_limit: Most starts in one L-BFGS-B run.
        init_batch_limit: Most points in one acquisition call without gradient (screens, neighbours).
    """

    tol: float = CONVERGENCE_TOL
    maxiter_alternating: int = MAX_ITER_ALTER
    maxiter_discrete: int = MAX_ITER_DISCRETE
    maxiter_continuous: int = MIXED_MAXITER_CONTINUOUS
    batch_limit: int = MAX_BATCH_SIZE
    init_batch_limit: int = MAX_BATCH_SIZE

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "tol":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                    raise ValueError(f"options['tol'] must be a number >= 0, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"options[{field.name!r}] must be an integer >= 1, got {value!r}")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> AlternatingSettings:
        """Settings from BoTorch-style `options` (the `gennes_*` keys already taken out).

        Raises:
            UnsupportedAcqfArgumentError: For a key that is not a field, e.g. one of BoTorch's initialization
                options, which do not apply here.
        """
        known = [field.name for field in fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise UnsupportedAcqfArgumentError(
                f"unsupported option(s) {unknown} for optimize_acqf_mixed_gennes; supported: {known} and the "
                "gennes_* keys (BoTorch's initialization options do not apply: GENNES and a screen give the starts)"
            )
        settings = dict(options)
        if "batch_limit" in settings:
            settings.setdefault("init_batch_limit", settings["batch_limit"])
        return cls(**settings)


def evaluate(acq_function: AcquisitionFunction, X: Tensor, batch_limit: int) -> Tensor:
    """Acquisition values of `n x d` points, each as a one-point batch, without gradient (shape `n`)."""
    with torch.no_grad():
        return torch.cat([acq_function(chunk.unsqueeze(-2)).reshape(-1) for chunk in X.split(batch_limit)])


def discrete_step(acq_function: AcquisitionFunction, space: MixedSpace, X: Tensor, values: Tensor,
                  settings: AlternatingSettings,
                  constraints: MixedConstraints | None = None) -> tuple[Tensor, Tensor]:
    """Move each point to its best (feasible) neighbour while that improves it (at most `maxiter_discrete` moves).

    Args:
        acq_function: The acquisition function.
        space: The mixed space.
        X: `b x d` valid points.
        values: Their `b` acquisition values.
        settings: The polish settings.
        constraints: Linear constraints the neighbours must satisfy (None: none).

    Returns:
        The `b x d` points after the moves and their `b` values (new tensors).
    """
    X, values = X.clone(), values.clone()
    moving = torch.arange(len(X), device=X.device)
    for _ in range(settings.maxiter_discrete):
        neighbours, owners = space.neighbours(X[moving])
        if constraints is not None:
            feasible = constraints.is_feasible(neighbours)
            neighbours, owners = neighbours[feasible], owners[feasible]
        if not len(neighbours):
            break
        neighbour_values = evaluate(acq_function, neighbours, settings.init_batch_limit)
        best = torch.full((len(moving),), -torch.inf, dtype=values.dtype, device=values.device)
        best = best.scatter_reduce(0, owners, neighbour_values, reduce="amax")
        best_index = torch.zeros(len(moving), dtype=torch.long, device=X.device)
        hits = (neighbour_values == best[owners]).nonzero().squeeze(-1)
        best_index[owners[hits]] = hits
        improvement = best - values[moving]
        improved = improvement > 0
        X[moving[improved]] = neighbours[best_index[improved]]
        values[moving[improved]] = best[improved]
        moving = moving[improvement > settings.tol]
        if not len(moving):
            break
    return X, values


def continuous_step(acq_function: AcquisitionFunction, space: MixedSpace, X: Tensor, values: Tensor,
                    settings: AlternatingSettings,
                    constraints: MixedConstraints | None = None) -> tuple[Tensor, Tensor]:
    """L-BFGS-B (SLSQP under constraints) on the continuous dimensions of each point, its discrete and categorical
    values held fixed.

    Args:
        acq_function: The acquisition function.
        space: The mixed space.
        X: `b x d` valid (and feasible) points.
        values: Their `b` acquisition values.
        settings: The polish settings (`maxiter_continuous`, `batch_limit`).
        constraints: Linear constraints (None: none); a polished point that ends outside them is pulled back
            toward its start (:meth:`MixedConstraints.pull_back`).

    Returns:
        The better of each point and its polished version (`b x d`), and the `b` values.
    """
    if not space.continuous:
        return X, values
    held = [*space.ordinal, *space.categorical]
    options = {"maxiter": settings.maxiter_continuous}
    polished, polished_values = [], []
    if constraints is None or not constraints.on_continuous:
        for chunk in X.split(settings.batch_limit):
            fixed = {**{dim: chunk[:, dim] for dim in held}, **space.fixed}
            candidates, chunk_values = gen_candidates_scipy(
                initial_conditions=chunk.unsqueeze(1), acquisition_function=acq_function,
                lower_bounds=space.bounds[0], upper_bounds=space.bounds[1], options=options, fixed_features=fixed,
            )
            polished.append(space.project(candidates.squeeze(1)))
            polished_values.append(chunk_values.reshape(-1))
        polished, polished_values = torch.cat(polished), torch.cat(polished_values)
    else:  # the substituted constraints differ from start to start: one SLSQP problem each, as BoTorch
        for x in X:
            candidates, _ = gen_candidates_scipy(
                initial_conditions=x.reshape(1, 1, -1), acquisition_function=acq_function,
                lower_bounds=space.bounds[0], upper_bounds=space.bounds[1], options=options,
                fixed_features={**{dim: float(x[dim]) for dim in held}, **space.fixed}, **constraints.with_held(x),
            )
            polished.append(space.project(candidates.reshape(1, -1)))
        polished = constraints.pull_back(X, torch.cat(polished))
        polished_values = evaluate(acq_function, polished, settings.init_batch_limit)
    # L-BFGS-B does not end lower on a deterministic acquisition, but a failed line search (or SLSQP) can
    better = polished_values > values
    return torch.where(better.unsqueeze(-1), polished, X), torch.where(better, polished_values, values)


def alternate(acq_function: AcquisitionFunction, space: MixedSpace, X: Tensor, settings: AlternatingSettings,
              constraints: MixedConstraints | None = None) -> tuple[Tensor, Tensor]:
    """Alternate discrete and continuous steps from every start until each stops improving.

    Args:
        acq_function: The acquisition function.
        space: The mixed space.
        X: `b x d` valid (and feasible) starting points.
        settings: The polish settings.
        constraints: Linear constraints every point keeps satisfying (None: none).

    Returns:
        `b x d` valid (and feasible) local optima and their `b` acquisition values.
    """
    X = X.detach().clone()
    values = evaluate(acq_function, X, settings.init_batch_limit)
    active = torch.ones(len(X), dtype=torch.bool, device=X.device)
    for _ in range(settings.maxiter_alternating):
        rows = active.nonzero().squeeze(-1)
        before = values[rows]
        points, point_values = discrete_step(acq_function, space, X[rows], before, settings, constraints)
        points, point_values = continuous_step(acq_function, space, points, point_values, settings, constraints)
        X[rows], values[rows] = points, point_values
        active[rows] = point_values - before >= settings.tol
        if not active.any():
            break
    return X, values
