"""`optimize_acqf_mixed_gennes`: GENNES over integer, categorical and continuous dimensions.

A drop-in for BoTorch's `optimize_acqf_mixed_alternating` (same arguments, same order, same return). Each point
of a q-batch is found by one search, with the points already chosen pending (greedy, as BoTorch does):

1. a screen of `raw_samples` valid points, among which `num_restarts` starts are drawn (BoTorch's
   `initialize_q_batch`);
2. a GENNES stage on the relaxed space (:class:`MixedSpace`): generators map noise to relaxed points, which are
   decoded to valid ones (discrete values rounded with a straight-through gradient, categories sampled with a
   score-function gradient), so every evaluated point is valid; the best sample of the `n_polish` best generators
   joins the starts;
3. the alternating polish (:func:`alternate`): discrete local search and L-BFGS-B on the continuous dimensions.

A q-batch ends with one L-BFGS-B run on the continuous dimensions of the whole batch, its discrete values fixed.
Linear constraints (:class:`MixedConstraints`) hold at every step: the screen and the generators sample the
polytope with the discrete dimensions relaxed and keep the points that stay feasible once decoded, the discrete
moves keep to feasible neighbours, and the continuous steps run SLSQP with the discrete values substituted.
Design and measurements: docs/design.md#mixed-spaces.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.generation.gen import gen_candidates_scipy
from botorch.optim.initializers import initialize_q_batch
from botorch.optim.utils.acquisition_utils import get_X_baseline
from botorch.utils.sampling import manual_seed
from torch import Tensor

from gennes_bo.acquisition.counting import count_acqf_evals
from gennes_bo.acquisition.mixed_constraints import MixedConstraints
from gennes_bo.acquisition.mixed_polish import AlternatingSettings, alternate, evaluate
from gennes_bo.acquisition.mixed_space import MixedSpace
from gennes_bo.acquisition.optimize import AcqfOptimizationInfo
from gennes_bo.acquisition.options import (
    MAX_AVOID_RINGS,
    MIXED_CONFIG,
    MIXED_RESTARTS,
    MIXED_TEMPERATURE,
    GennesOptionError,
    UnsupportedAcqfArgumentError,
    merge_options,
    split_options,
)
from gennes_bo.acquisition.settings import SETTINGS_KEY, AcqfSettings
from gennes_bo.gennes.config import GennesConfig
from gennes_bo.gennes.search import GennesSearch


def optimize_acqf_mixed_gennes(
    acq_function: AcquisitionFunction,
    bounds: Tensor,
    discrete_dims: Mapping[int, Sequence[float]] | None = None,
    cat_dims: Mapping[int, Sequence[float]] | None = None,
    options: dict[str, Any] | None = None,
    q: int = 1,
    raw_samples: int = MIXED_RESTARTS[1],
    num_restarts: int = MIXED_RESTARTS[0],
    post_processing_func: Callable[[Tensor], Tensor] | None = None,
    sequential: bool = True,
    fixed_features: dict[int, float] | None = None,
    inequality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
    equality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
    return_acq_values: bool = True,
    *,
    config: GennesConfig | None = None,
    seed: int | None = None,
    return_info: bool = False,
) -> tuple[Tensor, Tensor | None] | tuple[Tensor, Tensor | None, AcqfOptimizationInfo]:
    """Optimize an acquisition function over a mixed space with GENNES; a drop-in for
    `botorch.optim.optimize_acqf_mixed_alternating`.

    Every candidate is valid: each discrete dimension takes one of its allowed values, each categorical dimension
    one of its categories, continuous dimensions lie in `bounds`, and fixed features hold their values exactly;
    and it satisfies the linear constraints within half of BoTorch's tolerance (5e-9 in float64, 5e-7 in float32).
    A candidate never repeats a point already evaluated (the acquisition's `X_baseline`), pending or chosen earlier
    in the batch while an unevaluated discrete neighbour exists (:func:`off_known`).

    Args:
        acq_function: The acquisition function to maximize (LogEI / qLogEI recommended); q > 1 needs
            `set_X_pending`.
        bounds: `2 x d` bounds; continuous dimensions that are not fixed need finite ones. Candidates follow its
            dtype and device.
        discrete_dims: Discrete (ordinal, integer or binary) dimension -> allowed values, inside the bounds (unlike
            BoTorch, the values need not reach both bounds).
        cat_dims: Categorical dimension -> allowed values (their encodings), inside the bounds.
        options: The polish settings under BoTorch's names (`tol`, `maxiter_alternating`, `maxiter_discrete`,
            `maxiter_continuous`, `batch_limit`, `init_batch_limit`; see :class:`AlternatingSettings`), and
            `"gennes_settings"`: an `AcqfSettings` whose config (its fields applied to `MIXED_CONFIG`) and seed
            this call takes (how the `gen_candidates` route and Ax pass settings). BoTorch's initialization options
            raise.
        q: Number of candidates, chosen greedily one after the other.
        raw_samples: Valid points screened for the starts of each point's polish (default 1024, as BoTorch's).
        num_restarts: Starts drawn from the screen for each point's polish, besides the `n_polish` generators'
            (default 4; BoTorch's 20 starts all come from its screen).
        post_processing_func: Applied to the candidates, as in BoTorch.
        sequential: Must be True (BoTorch's mixed optimizer is sequential only).
        fixed_features: `{dimension: value}` features held fixed; a discrete or categorical dimension must be fixed
            to one of its values.
        inequality_constraints: `(indices, coefficients, rhs)` tuples meaning `sum_i coefficients[i] *
            x[indices[i]] >= rhs` for every point, over any dimensions (BoTorch's format; intra-point only, 1-d
            `indices`).
        equality_constraints: The same format, meaning `== rhs`; continuous or fixed dimensions only, as in
            BoTorch.
        return_acq_values: If False, the second return value is None.
        config: GENNES settings; default `MIXED_CONFIG` (`gennes_bo.acquisition.options`).
        seed: Seeds the screens, the starts, the generators and the category samples: same seed, same result (the
            global torch RNG is restored afterwards).
        return_info: Also return an :class:`AcqfOptimizationInfo` (acquisition points evaluated, time).

    Returns:
        `q x d` candidates and their joint acquisition value `acq_function(candidates)` (None if
        `return_acq_values=False`), as BoTorch returns them; plus the info object if `return_info=True`.

    Raises:
        UnsupportedAcqfArgumentError: For nonlinear or inter-point constraints, an equality on a discrete or
            categorical dimension, `sequential=False`, or an unsupported option.
        InfeasibleConstraintsError: If no point of the relaxed space satisfies the constraints with the fixed
            features, or no feasible discrete assignment is found (see :meth:`MixedConstraints.sample`).
        ValueError: For an invalid space (see :meth:`MixedSpace.build`), malformed constraints, or counts below 1.
        GennesOptionError: For unknown or invalid `gennes_*` options.
    """
    if not sequential:
        raise UnsupportedAcqfArgumentError("`sequential=False` is not supported: q-batches are built greedily, "
                                           "one point after the other, as in optimize_acqf_mixed_alternating")
    for name, value in (("q", q), ("raw_samples", raw_samples), ("num_restarts", num_restarts)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}")
    space = MixedSpace.build(bounds, discrete_dims, cat_dims, fixed_features)
    constraints = MixedConstraints.build(space, inequality_constraints, equality_constraints)
    config, seed, botorch_options = _gennes_settings(options, config, seed)
    settings = AlternatingSettings.from_options(botorch_options)
    if q > 1 and not callable(getattr(acq_function, "set_X_pending", None)):
        raise UnsupportedAcqfArgumentError("q > 1 needs an acquisition function with `set_X_pending` (e.g. qLogEI)")

    start = time.monotonic()
    with count_acqf_evals(acq_function) as counter, manual_seed(seed):
        candidates = _greedy_batch(acq_function, space, q, raw_samples, num_restarts, config, settings, seed,
                                   constraints)
        if post_processing_func is not None:
            candidates = post_processing_func(candidates)
        value = None
        if return_acq_values:
            with torch.no_grad():
                value = acq_function(candidates)
    if not return_info:
        return candidates, value
    return candidates, value, AcqfOptimizationInfo(counter.n_evals, counter.n_calls, time.monotonic() - start)


def _gennes_settings(options: dict[str, Any] | None, config: GennesConfig | None, seed: int | None
                     ) -> tuple[GennesConfig, int | None, dict[str, Any]]:
    """The GENNES config, the seed and BoTorch's options of a call: from `config` and `seed`, and from the options'
    `gennes_settings` (an `AcqfSettings`, whose config fields apply to `MIXED_CONFIG`) or `gennes_*` keys."""
    options = dict(options or {})
    carried = options.pop(SETTINGS_KEY, None)
    if carried is None:
        parsed = split_options(merge_options(options, config, None), default=MIXED_CONFIG)
        return parsed.config, parsed.seed if seed is None else seed, parsed.botorch_options
    if not isinstance(carried, AcqfSettings):
        raise GennesOptionError(f"options[{SETTINGS_KEY!r}] must be an AcqfSettings, got {type(carried).__name__}")
    if config is not None and carried.config is not None:
        raise GennesOptionError(f"give the GENNES config either as `config=` or in options[{SETTINGS_KEY!r}]")
    if config is None:
        config = carried.config if isinstance(carried.config, GennesConfig) else MIXED_CONFIG.replace(
            **dict(carried.config or {}))
    parsed = split_options(options, default=config)  # any remaining gennes_* keys, as before
    return parsed.config, seed if seed is not None else carried.seed, parsed.botorch_options


def _greedy_batch(acq_function: AcquisitionFunction, space: MixedSpace, q: int, raw_samples: int,
                  num_restarts: int, config: GennesConfig, settings: AlternatingSettings,
                  seed: int | None, constraints: MixedConstraints | None) -> Tensor:
    """`q x d` candidates, each searched with the earlier ones pending, then polished jointly."""
    base_pending = acq_function.X_pending if q > 1 else None
    chosen: list[Tensor] = []
    try:
        for step in range(q):
            if step:
                pending = torch.stack(chosen)
                acq_function.set_X_pending(pending if base_pending is None else torch.cat([base_pending, pending]))
            point = search_point(acq_function, space, raw_samples, num_restarts, config, settings,
                                 seed=None if seed is None else seed + step, constraints=constraints)
            known = [x for x in (get_X_baseline(acq_function), base_pending, *(p.unsqueeze(0) for p in chosen))
                     if x is not None]
            chosen.append(off_known(acq_function, space, point, torch.cat(known) if known else None, constraints))
    finally:
        if q > 1:
            acq_function.set_X_pending(base_pending)
    candidates = torch.stack(chosen)
    if q == 1 or not space.continuous:
        return candidates
    return _joint_polish(acq_function, space, candidates, config.polish_maxiter, constraints)


def off_known(acq_function: AcquisitionFunction, space: MixedSpace, point: Tensor, known: Tensor | None,
              constraints: MixedConstraints | None = None) -> Tensor:
    """`point` (`d`), or, when it repeats a known point (`n x d`: evaluated, pending or already in the batch), the
    unknown point of highest acquisition value among its discrete neighbours, widening ring by ring up to
    `MAX_AVOID_RINGS` moves, as BoTorch's discrete optimizers avoid `X_avoid`; `point` itself when every one is
    known or there is no discrete dimension. Two points are the same when every dimension is equal (continuous
    ones within 1e-9 of the box width)."""
    if known is None or not len(known):
        return point
    tolerance = 1e-9 * (space.bounds[1] - space.bounds[0]).clamp_min(1.0)

    def is_known(X: Tensor) -> Tensor:
        return ((X.unsqueeze(-2) - known.to(X)).abs() <= tolerance).all(-1).any(-1)

    if not bool(is_known(point.unsqueeze(0))[0]):
        return point
    ring, seen = point.unsqueeze(0), point.unsqueeze(0)
    for _ in range(MAX_AVOID_RINGS):
        neighbours, _ = space.neighbours(ring)
        neighbours = neighbours.unique(dim=0)
        neighbours = neighbours[~((neighbours.unsqueeze(-2) - seen).abs() <= tolerance).all(-1).any(-1)]
        if constraints is not None and len(neighbours):
            neighbours = neighbours[constraints.is_feasible(neighbours)]
        if not len(neighbours):
            return point
        unknown = neighbours[~is_known(neighbours)]
        if len(unknown):
            with torch.no_grad():
                return unknown[acq_function(unknown.unsqueeze(-2)).argmax()]
        ring, seen = neighbours, torch.cat([seen, neighbours])
    return point


def search_point(acq_function: AcquisitionFunction, space: MixedSpace, raw_samples: int, num_restarts: int,
                 config: GennesConfig, settings: AlternatingSettings, seed: int | None = None,
                 constraints: MixedConstraints | None = None) -> Tensor:
    """One valid (and feasible) point maximizing `acq_function` (a `d` tensor): screen, GENNES, alternating polish.

    Args:
        acq_function: The acquisition function, with any pending points already set.
        space: The mixed space.
        raw_samples: Valid points screened for the starts.
        num_restarts: Starts drawn from the screen.
        config: GENNES settings (`n_polish` of its generators join the starts; 0 skips the GENNES stage).
        settings: The polish settings.
        seed: Seed of the generators (the global RNG, seeded by the caller, draws the rest).
        constraints: Linear constraints (None: none).
    """
    if not space.searched:  # every dimension fixed (MixedConstraints.build checked the point)
        return space.project(space.bounds[0])
    sampler = space if constraints is None else constraints
    screen = sampler.sample(raw_samples, seed=int(torch.randint(2**31 - 1, ())))
    screen_values = evaluate(acq_function, screen, settings.init_batch_limit)
    starts, _ = initialize_q_batch(screen, screen_values, n=min(num_restarts, len(screen)))
    if config.n_polish > 0 and (constraints is None or constraints.region.dim > 0):
        generator_x, generator_values = gennes_stage(acq_function, space, config, seed=seed, constraints=constraints)
        best = generator_values.argsort(descending=True)[: config.n_polish]
        starts = torch.cat([starts, generator_x[best[generator_values[best].isfinite()]]])
    X, values = alternate(acq_function, space, starts, settings, constraints)
    return X[values.argmax()]


def gennes_stage(acq_function: AcquisitionFunction, space: MixedSpace, config: GennesConfig,
                 seed: int | None = None, temperature: float = MIXED_TEMPERATURE,
                 constraints: MixedConstraints | None = None) -> tuple[Tensor, Tensor]:
    """GENNES on the relaxed space; every evaluated point is decoded to a valid one (:meth:`MixedSpace.decode`).

    Under linear constraints the generators search the cube that :meth:`MixedConstraints.relaxed` maps onto the
    relaxed polytope; decoded points that rounding moved out of the constraints are not evaluated (valued NaN).

    The generators are trained on the acquisition values of the decoded points: through the straight-through
    gradient of discrete and continuous dimensions, and through the score-function gradient of the sampled
    categories (:func:`score_function_term`), whose temperature follows the noise schedule.

    Args:
        acq_function: The acquisition function (`n x 1 x d` -> `n`).
        space: The mixed space (with at least one searched dimension).
        config: GENNES settings.
        seed: Seed of the generators' initialization and noise.
        temperature: Initial temperature of the category sampling, in cells.
        constraints: Linear constraints (None: none; else with `constraints.region.dim >= 1`).

    Returns:
        `K x d` best valid sample of each generator and its `K` values (`-inf` where none was finite).
    """
    search = GennesSearch(space.relaxed_bounds() if constraints is None else constraints.cube_bounds, config,
                          seed=seed)
    K, N = config.n_generators, config.population_size
    best_x = torch.zeros(K, space.dim, dtype=space.bounds.dtype, device=space.bounds.device)
    best_values = torch.full((K,), -torch.inf, dtype=space.bounds.dtype, device=space.bounds.device)
    while not search.done:
        asked = search.ask()
        relaxed = asked if constraints is None else constraints.relaxed(asked)
        X, log_prob = space.decode(relaxed, tau=temperature * search.noise_ratio)
        if constraints is None:
            values = acq_function(X.unsqueeze(-2))
        else:
            values = constraints.evaluate(acq_function, X)
            if not values.isfinite().any():  # nothing feasible to learn from (GennesSearch.tell would raise)
                break
        owners = torch.arange(len(values), device=values.device) // N
        search.tell(values + score_function_term(values.detach(), log_prob, owners, K))
        with torch.no_grad():
            padded = torch.full((K * N,), -torch.inf, dtype=values.dtype, device=values.device)
            padded[: len(values)] = values.nan_to_num(nan=-torch.inf, posinf=-torch.inf)
            step_best, step_index = padded.view(K, N).max(-1)
            improved = step_best > best_values
            best_x[improved] = X.detach()[(torch.arange(K, device=X.device) * N + step_index)[improved]]
            best_values = torch.where(improved, step_best, best_values)
    return best_x, best_values


def score_function_term(values: Tensor, log_prob: Tensor, owners: Tensor, n_generators: int) -> Tensor:
    """Zero-valued terms whose gradient is the score-function (REINFORCE) estimate for the sampled categories.

    `(f_i - b_i) * grad log p_i`, with `b_i` the mean finite value of the other samples of the same generator
    (a leave-one-out baseline: no bias, less variance); 0 for non-finite values and lone samples.

    Args:
        values: `n` detached acquisition values.
        log_prob: `n` log-probabilities of the samples' categories, attached to the generators' graph.
        owners: `n` generator index of each sample.
        n_generators: Number of generators `K`.

    Returns:
        `n` zeros attached to `log_prob`.
    """
    finite = values.isfinite()
    clean = torch.where(finite, values, torch.zeros_like(values))
    sums = torch.zeros(n_generators, dtype=values.dtype, device=values.device).index_add(0, owners, clean)
    counts = torch.zeros(n_generators, dtype=values.dtype, device=values.device).index_add(0, owners, finite.to(
        values.dtype))
    others = counts[owners] - 1
    baseline = (sums[owners] - clean) / others.clamp_min(1)
    advantage = torch.where(finite & (others > 0), clean - baseline, torch.zeros_like(values))
    return advantage * (log_prob - log_prob.detach())


def _joint_polish(acq_function: AcquisitionFunction, space: MixedSpace, candidates: Tensor, maxiter: int,
                  constraints: MixedConstraints | None = None) -> Tensor:
    """L-BFGS-B (SLSQP under constraints) on the continuous dimensions of the whole `q x d` batch; the better of
    the two batches."""
    held = [*space.ordinal, *space.categorical]
    fixed = {**{dim: candidates[:, dim].unsqueeze(0) for dim in held}, **space.fixed}
    substituted = {}
    if constraints is not None and constraints.on_continuous:
        # The rows name (point, feature), the discrete values substituted; SLSQP takes per-point fixed values as
        # equalities (BoTorch's fixed features are one value per batch under constraints), projected back after.
        substituted = constraints.with_held(candidates)
        pins = [(torch.tensor([[point, dim]], device=candidates.device), candidates.new_ones(1),
                 float(candidates[point, dim])) for point in range(len(candidates)) for dim in held]
        substituted["equality_constraints"] = (substituted["equality_constraints"] or []) + pins or None
        fixed = dict(space.fixed)
    polished, _ = gen_candidates_scipy(
        initial_conditions=candidates.unsqueeze(0), acquisition_function=acq_function,
        lower_bounds=space.bounds[0], upper_bounds=space.bounds[1], options={"maxiter": maxiter},
        fixed_features=fixed or None, **substituted,
    )
    polished = space.project(polished)
    if constraints is not None:
        polished = constraints.pull_back(candidates.unsqueeze(0), polished)
    with torch.no_grad():
        polished_value, greedy_value = acq_function(polished), acq_function(candidates.unsqueeze(0))
    return polished[0] if polished_value.reshape(-1)[0] > greedy_value.reshape(-1)[0] else candidates
