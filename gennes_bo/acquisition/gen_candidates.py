"""`gen_candidates_gennes`: GENNES as the `gen_candidates` hook of `botorch.optim.optimize_acqf`.

Two stages. (1) GENNES: `K` generators, trained side by side as one batched network, start by covering the
whole box (the paper's Appendix-B initialization) and are trained by Adam on the acquisition value of their
samples while the noise support is annealed; a population member is a whole `q x d` batch, evaluated jointly,
and all `K * N` members of a step are evaluated in one acquisition call. (2) Polish: BoTorch's L-BFGS-B
(`gen_candidates_scipy`) starts from every initial condition and from the best sample of every generator, in
one batched run. The annealed generator ends as gradient ascent on its best particle (paper, Section 3);
L-BFGS-B finishes it with curvature information, and starting it from the initial conditions as well means
GENNES only ever adds basins to what multi-start L-BFGS-B would find from the same initial conditions.

Under linear constraints the generators search the cube `[-1, 1]^m` that `FeasibleRegion.from_cube` maps onto the
feasible polytope, so every sample is feasible; the polish is BoTorch's SLSQP with the constraints, and a start or
polished point that misses them is moved into them (`FeasibleRegion.restore`) and valued again.
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

from gennes_bo.acquisition.constraints import FeasibleRegion, check_linear_constraints
from gennes_bo.acquisition.options import UnsupportedAcqfArgumentError
from gennes_bo.acquisition.settings import settings_from_options
from gennes_bo.acquisition.warm_start import GeneratorCarry
from gennes_bo.gennes.search import WarmStartMismatchError, gennes_maximize


def gen_candidates_gennes(
    initial_conditions: Tensor,
    acquisition_function: AcquisitionFunction,
    lower_bounds: float | Tensor | None = None,
    upper_bounds: float | Tensor | None = None,
    options: dict[str, Any] | None = None,
    fixed_features: Mapping[int, float | Tensor] | None = None,
    timeout_sec: float | None = None,
    warm_start: GeneratorCarry | None = None,
    **kwargs: Any,
) -> tuple[Tensor, Tensor]:
    """Generate candidates with GENNES followed by an L-BFGS-B polish.

    Usable as `optimize_acqf(..., gen_candidates=gen_candidates_gennes)`. Its settings come as one
    :class:`~gennes_bo.acquisition.settings.AcqfSettings` in `options["gennes_settings"]` (unset GENNES fields take
    `default_acqf_config(q)`; the generator seed is `settings.step_seed(acquisition_function)`, so that each step of
    a sequential q-batch gets its own); other options go to the polish (`gen_candidates_scipy`). With
    `settings.pipeline == "lbfgs"` no GENNES stage runs: this is `gen_candidates_scipy` with BoTorch's options.
    Settings that `optimize_acqf_gennes` did not resolve take the GENNES stage (`pipeline="auto"` here means
    "gennes": the policy chooses for `optimize_acqf_gennes`, a caller names this hook to get GENNES).

    Args:
        initial_conditions: `b x q x d` starting points (a 2-d `q x d` tensor is one restart, as in
            `gen_candidates_scipy`); each is a polish start, and slot `i` of the output is the best of
            the polished `initial_conditions[i]` and the generators `k` with `k mod b == i`.
        acquisition_function: The acquisition function to maximize; must be differentiable.
        lower_bounds: Lower bounds, a scalar or a `d` tensor; must be finite on the free features.
        upper_bounds: Upper bounds, a scalar or a `d` tensor; must be finite on the free features.
        options: BoTorch options plus `"gennes_settings"` (the `gennes_*` keys of earlier versions still work and
            warn).
        fixed_features: Map from feature index to a fixed value (float, or a `b` / `b x q` tensor); these
            features are excluded from the search and set exactly in the returned candidates.
        timeout_sec: Wall-time limit for generator training plus polish.
        warm_start: A :class:`~gennes_bo.acquisition.warm_start.GeneratorCarry`: the GENNES stage starts from its
            generators (when their shapes fit) and leaves its own trained generators in it.
        **kwargs: Other `gen_candidates` keywords: `inequality_constraints` and `equality_constraints` in
            BoTorch's format (see `optimize_acqf_gennes`; infeasible initial conditions are moved into them);
            `nonlinear_inequality_constraints` are not supported and raise.

    Returns:
        A two-element tuple with `b x q x d` detached candidates inside the bounds and the linear constraints and
        their `b` acquisition values (for a 2-d input, `q x d` and a one-element tensor, like
        `gen_candidates_scipy`).

    Raises:
        UnsupportedAcqfArgumentError: For nonlinear constraints, infinite bounds, or per-restart fixed values
            of a constrained feature.
        InfeasibleConstraintsError: If no point satisfies the linear constraints.
        ValueError: For malformed linear constraints.
    """
    start = time.monotonic()
    if kwargs.get("nonlinear_inequality_constraints"):
        raise UnsupportedAcqfArgumentError(
            "`nonlinear_inequality_constraints` are not supported by gen_candidates_gennes (its generators sample "
            "a polytope of linear constraints); use botorch's gen_candidates_scipy")
    inequality = kwargs.get("inequality_constraints") or None
    equality = kwargs.get("equality_constraints") or None
    squeeze = initial_conditions.dim() == 2
    ics = initial_conditions.unsqueeze(0) if squeeze else initial_conditions
    if ics.dim() != 3:
        raise ValueError(f"`initial_conditions` must be b x q x d or q x d, got {tuple(initial_conditions.shape)}")
    b, q, d = ics.shape
    settings, botorch_options = settings_from_options(options)
    settings = settings.resolve(q, d - len(fixed_features or {}), greedy=False, screens=False, policy=False)
    if settings.step_maxiter is not None and settings.batch_strategy in ("greedy", "sequential") and q == 1:
        botorch_options = {"maxiter": settings.step_maxiter, **botorch_options}  # a greedy step's cap
    if settings.pipeline == "lbfgs":  # no GENNES stage: BoTorch's own candidate generator, as optimize_acqf runs it
        return gen_candidates_scipy(initial_conditions, acquisition_function, lower_bounds=lower_bounds,
                                    upper_bounds=upper_bounds, options=botorch_options or None,
                                    fixed_features=fixed_features, timeout_sec=timeout_sec,
                                    inequality_constraints=inequality, equality_constraints=equality)
    config, seed = settings.config, settings.step_seed(acquisition_function)
    fixed = dict(fixed_features or {})
    free = [i for i in range(d) if i not in fixed]
    bounds = _box(lower_bounds, upper_bounds, d, free, ics)
    ics = columnwise_clamp(ics.detach(), bounds[0], bounds[1])
    space = _SearchSpace(bounds, q, free, fixed, inequality, equality)
    ics_free = space.restore(ics[..., free])

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

    rows = torch.arange(b, device=ics.device)
    if space.dim == 0:  # every feature fixed, or the equalities pin the point: nothing to search
        candidates = full_x(ics_free, rows)
        with torch.no_grad():
            values = acquisition_function(candidates)
        return _shape_output(candidates, values, squeeze)

    population = config.population_size
    n_generators = config.n_generators
    slot_of_generator = torch.arange(n_generators, device=ics.device) % b

    def objective(search_points: Tensor) -> Tensor:
        members = torch.arange(search_points.shape[0], device=search_points.device)
        return acquisition_function(full_x(space.to_free(search_points), slot_of_generator[members // population]))

    stage_timeout = None if timeout_sec is None else 0.5 * timeout_sec
    carried = None if warm_start is None else warm_start.generators
    try:
        result = gennes_maximize(objective, space.bounds, config, q=space.q, seed=seed,
                                 timeout_sec=stage_timeout, warm_start=carried)
    except WarmStartMismatchError:  # generators of another shape: this stage starts fresh and replaces them
        carried = None
        result = gennes_maximize(objective, space.bounds, config, q=space.q, seed=seed,
                                 timeout_sec=stage_timeout)
    if warm_start is not None:
        warm_start.update(result.generator_state, warm=carried is not None)
    with torch.no_grad():
        generator_x = space.restore(space.to_free(result.generator_x))
    # Polish starts: every initial condition (slot i) and the best sample of every generator (slot k mod b).
    ranked = result.generator_values.argsort(descending=True)
    chosen, unpolished = ranked[: config.n_polish], ranked[config.n_polish :]
    starts = torch.cat([ics_free, generator_x[chosen]])
    start_slots = torch.cat([rows, slot_of_generator[chosen]])
    start_values = torch.cat([torch.full((b,), -torch.inf).to(result.generator_values),
                              result.generator_values[chosen]])
    remaining = None if timeout_sec is None else max(timeout_sec - (time.monotonic() - start), 1e-3)
    polish_fixed = {k: (v[start_slots] if torch.is_tensor(v) and v.dim() > 0 else v) for k, v in fixed.items()}
    polish_options = {"maxiter": config.polish_maxiter, **botorch_options}
    if space.constrained and any(torch.is_tensor(v) and v.dim() > 0 for v in polish_fixed.values()):
        # SLSQP takes per-start fixed values only one start at a time.
        polish_options["max_optimization_problem_aggregation_size"] = 1
    polished, polished_values = gen_candidates_scipy(
        initial_conditions=full_x(starts, start_slots),
        acquisition_function=acquisition_function,
        lower_bounds=bounds[0],
        upper_bounds=bounds[1],
        options=polish_options,
        fixed_features=polish_fixed or None,
        timeout_sec=remaining,
        inequality_constraints=inequality,
        equality_constraints=equality,
    )
    polished_free = space.restore(polished[..., free])
    moved = (polished_free != polished[..., free]).flatten(1).any(-1)
    if moved.any():  # SLSQP ended outside the constraints: value the restored points
        with torch.no_grad():
            polished_values = polished_values.clone()
            polished_values[moved] = acquisition_function(full_x(polished_free[moved], start_slots[moved]))
    # L-BFGS-B does not return a worse point than a generator sample on a deterministic acquisition, but a failed
    # line search can; keep the better of the two.
    better = polished_values > start_values
    starts = torch.where(better.view(-1, 1, 1), polished_free, starts)
    start_values = torch.where(better, polished_values, start_values)
    # Generators beyond `n_polish` still offer their best sample as it is (with n_polish=0, GENNES alone).
    starts = torch.cat([starts, generator_x[unpolished]])
    start_slots = torch.cat([start_slots, slot_of_generator[unpolished]])
    start_values = torch.cat([start_values, result.generator_values[unpolished]])
    # Each slot returns the best of its own starts (slots differ only when fixed features are per-restart).
    best_free = torch.empty_like(ics_free)
    best_values = torch.empty(b, dtype=start_values.dtype, device=start_values.device)
    for slot in range(b):
        mine = (start_slots == slot).nonzero().squeeze(-1)
        top = mine[start_values[mine].argmax()]
        best_free[slot], best_values[slot] = starts[top], start_values[top]
    # Clamp the searched features only: a fixed value is honored even outside the box, as gen_candidates_scipy does.
    best_free = columnwise_clamp(best_free, bounds[0, free], bounds[1, free])
    candidates = full_x(best_free, rows).detach()
    return _shape_output(candidates, best_values.detach(), squeeze)


class _SearchSpace:
    """Where the generators search: the box of the free features, or, under linear constraints, the cube that
    :meth:`FeasibleRegion.from_cube` maps onto the feasible polytope."""

    def __init__(self, bounds: Tensor, q: int, free: list[int], fixed: dict, inequality: list | None,
                 equality: list | None) -> None:
        self.constrained = bool(inequality or equality)
        self.n_free = len(free)
        if not self.constrained:
            self.region = None
            self.bounds, self.q, self.dim = bounds[:, free], q, self.n_free
            return
        for name, constraints in (("inequality_constraints", inequality), ("equality_constraints", equality)):
            check_linear_constraints(constraints, name, bounds.shape[1], q)
        self.region = FeasibleRegion.from_constraints(bounds, q, inequality, equality, fixed)
        self.dim = self.region.dim
        self.q = q if len(self.region.search_shape) == 2 else None
        self.bounds = torch.stack([-torch.ones(self.dim), torch.ones(self.dim)]).to(bounds)

    def to_free(self, points: Tensor) -> Tensor:
        """Free features (`n x q x n_free`) of `n` search points."""
        return points if self.region is None else self.region.from_cube(points)

    def restore(self, x_free: Tensor) -> Tensor:
        """`x_free` (`n x q x n_free`) where it is feasible, feasible points near it elsewhere."""
        return x_free if self.region is None else self.region.restore(x_free)


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
    # gen_candidates_scipy returns `acqf(q x d)` for a 2-d input: BoTorch acquisitions give a `1` tensor there.
    return (candidates.squeeze(0), values) if squeeze else (candidates, values)

