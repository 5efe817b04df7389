"""`gen_candidates_gennes`: GENNES as the `gen_candidates` hook of `botorch.optim.optimize_acqf`.

For `b` initial conditions, `b` generators are trained side by side as one batched network, each centered at
its initial condition; a population member is a whole `q x d` batch, evaluated jointly by the acquisition
function (all `b * N` members in one call per step). Then the best member of each generator (or its initial
condition, if that is better) is polished by BoTorch's L-BFGS-B (`gen_candidates_scipy`): the annealed
generator already ends as gradient ascent on its best particle (paper, Section 3), and L-BFGS-B finishes it
with curvature information at a fraction of the cost.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.generation.gen import gen_candidates_scipy
from botorch.optim.utils import columnwise_clamp, fix_features
from torch import Tensor

from gennes_bo.acquisition.options import UnsupportedAcqfArgumentError, split_options
from gennes_bo.gennes.search import gennes_maximize

_CONSTRAINT_KWARGS = ("inequality_constraints", "equality_constraints", "nonlinear_inequality_constraints")


def gen_candidates_gennes(
    initial_conditions: Tensor,
    acquisition_function: AcquisitionFunction,
    lower_bounds: float | Tensor | None = None,
    upper_bounds: float | Tensor | None = None,
    options: dict[str, Any] | None = None,
    fixed_features: Mapping[int, float | Tensor] | None = None,
    timeout_sec: float | None = None,
    **kwargs: Any,
) -> tuple[Tensor, Tensor]:
    """Generate candidates with GENNES followed by an L-BFGS-B polish.

    Usable as `optimize_acqf(..., gen_candidates=gen_candidates_gennes)`. GENNES settings come through
    `options` (`gennes_config`, `gennes_<field>`, `gennes_seed`; see `gennes_bo.acquisition.options`); other
    options go to the polish (`gen_candidates_scipy`).

    Args:
        initial_conditions: `b x q x d` starting points (a 2-d `q x d` tensor is one restart, as in
            `gen_candidates_scipy`); generator `k` is centered at `initial_conditions[k]`.
        acquisition_function: The acquisition function to maximize; must be differentiable.
        lower_bounds: Lower bounds, a scalar or a `d` tensor; must be finite (GENNES samples in a box).
        upper_bounds: Upper bounds, a scalar or a `d` tensor; must be finite.
        options: BoTorch options plus `gennes_*` keys.
        fixed_features: Map from feature index to a fixed value (float, or a `b` / `b x q` tensor); these
            features are excluded from the search and set exactly in the returned candidates.
        timeout_sec: Wall-time limit for generator training plus polish.
        **kwargs: Other `gen_candidates` keywords; linear and nonlinear constraints are not supported and raise.

    Returns:
        A two-element tuple with `b x q x d` detached candidates inside the bounds and their `b` acquisition
        values (for a 2-d input, `q x d` and a scalar, like `gen_candidates_scipy`).

    Raises:
        UnsupportedAcqfArgumentError: For constraints or infinite bounds.
    """
    start = time.monotonic()
    for name in _CONSTRAINT_KWARGS:
        if kwargs.get(name):
            raise UnsupportedAcqfArgumentError(
                f"`{name}` is not supported by gen_candidates_gennes (GENNES samples a box); "
                "use botorch's gen_candidates_scipy for constrained problems"
            )
    parsed = split_options(options)
    config, botorch_options = parsed.config, parsed.botorch_options

    squeeze = initial_conditions.dim() == 2
    ics = initial_conditions.unsqueeze(0) if squeeze else initial_conditions
    if ics.dim() != 3:
        raise ValueError(f"`initial_conditions` must be b x q x d or q x d, got {tuple(initial_conditions.shape)}")
    b, q, d = ics.shape
    fixed = dict(fixed_features or {})
    free = [i for i in range(d) if i not in fixed]
    bounds = _box(lower_bounds, upper_bounds, d, free, ics)
    ics = columnwise_clamp(ics.detach(), bounds[0], bounds[1])

    if not free:  # every feature fixed: nothing to search
        candidates = fix_features(ics, fixed)
        with torch.no_grad():
            values = acquisition_function(candidates)
        return _shape_output(candidates, values, squeeze)

    population = config.population_size

    def full_x(x_free: Tensor, rows: Tensor | None = None) -> Tensor:
        """Insert the fixed features; `rows[i]` is the initial condition that member `i` belongs to."""
        if not fixed:
            return x_free
        values = {}
        for index, value in fixed.items():
            if torch.is_tensor(value) and value.dim() > 0:
                value = value if rows is None else value[rows]
            values[index] = value
        return fix_features(x_free, values, replace_current_value=False)

    def objective(x_free: Tensor) -> Tensor:
        rows = torch.arange(x_free.shape[0], device=x_free.device) // population
        return acquisition_function(full_x(x_free, rows))

    ics_free = ics[..., free]
    with torch.no_grad():
        ic_values = acquisition_function(full_x(ics_free))
    result = gennes_maximize(
        objective, bounds[:, free], config.replace(n_generators=b), q=q, initial_points=ics_free, seed=parsed.seed,
        timeout_sec=None if timeout_sec is None else 0.5 * timeout_sec,
    )
    # Keep the initial condition where no generator sample beat it.
    use_ic = ~(result.generator_values > ic_values)
    best_free = torch.where(use_ic.view(b, 1, 1), ics_free, result.generator_x)
    best_values = torch.where(use_ic, ic_values, result.generator_values)

    n_polish = min(config.n_polish, b)
    if n_polish > 0:
        order = best_values.argsort(descending=True)[:n_polish]
        remaining = None if timeout_sec is None else max(timeout_sec - (time.monotonic() - start), 1e-3)
        polish_fixed = {
            k: (v[order] if torch.is_tensor(v) and v.dim() > 0 else v) for k, v in fixed.items()
        } or None
        polished, polished_values = gen_candidates_scipy(
            initial_conditions=full_x(best_free[order], None if not fixed else order),
            acquisition_function=acquisition_function,
            lower_bounds=bounds[0],
            upper_bounds=bounds[1],
            options={"maxiter": config.polish_maxiter, **botorch_options},
            fixed_features=polish_fixed,
            timeout_sec=remaining,
        )
        # L-BFGS-B never returns a worse point than its start on a deterministic acquisition, but MC noise or
        # a failed line search can; keep the better of the two.
        better = polished_values > best_values[order]
        best_free[order] = torch.where(better.view(-1, 1, 1), polished[..., free], best_free[order])
        best_values[order] = torch.where(better, polished_values, best_values[order])
    rows = torch.arange(b, device=ics.device)
    candidates = columnwise_clamp(full_x(best_free, rows), bounds[0], bounds[1]).detach()
    return _shape_output(candidates, best_values.detach(), squeeze)


def _box(
    lower: float | Tensor | None, upper: float | Tensor | None, d: int, free: list[int], like: Tensor
) -> Tensor:
    """`2 x d` bounds from BoTorch's `lower_bounds` / `upper_bounds`, finite with lower < upper on `free`."""
    rows = []
    for name, value in (("lower_bounds", lower), ("upper_bounds", upper)):
        if value is None:
            raise UnsupportedAcqfArgumentError(f"`{name}` is required: GENNES samples inside a finite box")
        tensor = torch.as_tensor(value, dtype=like.dtype, device=like.device).expand(d)
        if not torch.isfinite(tensor[free]).all():
            raise UnsupportedAcqfArgumentError(f"`{name}` must be finite: GENNES samples inside a finite box")
        rows.append(tensor)
    bounds = torch.stack(rows)
    if not (bounds[0, free] < bounds[1, free]).all():
        raise ValueError("`lower_bounds` must be below `upper_bounds` in every feature that is not fixed")
    return bounds


def _shape_output(candidates: Tensor, values: Tensor, squeeze: bool) -> tuple[Tensor, Tensor]:
    if squeeze:
        return candidates.squeeze(0), values.squeeze(0)
    return candidates, values

