"""`optimize_acqf_gennes`: a drop-in for `botorch.optim.optimize_acqf` that searches with GENNES.

The drop-in keeps every argument of `optimize_acqf`, in the same order, and its return value. It runs BoTorch's
own machinery (raw-sample initialization, batching, sequential greedy q-batches, post-processing, fixed
features, `return_best_only`) with :func:`gen_candidates_gennes` as the candidate generator, so the two differ
only where they should: how each restart is improved.

q-batches (`q > 1`, `sequential=False`) are searched greedily by default (`AcqfSettings.batch_strategy`; the
policy builds qUCB batches below d = 30 at q = 2-32 in BoTorch's sequential scheme): q single-point GENNES searches,
each with the points already chosen pending (BoTorch's sequential greedy scheme), then one joint L-BFGS-B polish of
the whole `q x d` batch. Only the first step screens `raw_samples`
points; later steps re-screen the best of them (`AcqfSettings.rescreen`). :func:`optimize_acqf_greedy` is the same
scheme around any `gen_candidates`. Why greedy, and what it gains on GP states frozen from real BO runs:
docs/design.md#greedy-q-batches.

Acquisition functions: use `LogExpectedImprovement` / `qLogExpectedImprovement` (or qLogNEI, qUCB). Legacy
analytic `ExpectedImprovement` has vanishing values and gradients far from the data, so a generator trained
on it gets no signal (docs/design.md#why-logei); LogEI has the same maximizer and informative gradients
everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction, OneShotAcquisitionFunction
from botorch.exceptions.errors import CandidateGenerationError
from botorch.generation.gen import gen_candidates_scipy
from botorch.optim import optimize_acqf
from botorch.optim.initializers import gen_batch_initial_conditions
from botorch.optim.optimize import INIT_OPTION_KEYS
from botorch.utils.sampling import draw_sobol_samples, manual_seed
from torch import Tensor

from gennes_bo.acquisition.checks import check_bounds, check_count
from gennes_bo.acquisition.constraints import FeasibleRegion, check_linear_constraints, is_inter_point
from gennes_bo.acquisition.counting import count_acqf_evals
from gennes_bo.acquisition.gen_candidates import gen_candidates_gennes
from gennes_bo.acquisition.options import GREEDY_RESCREEN, UnsupportedAcqfArgumentError
from gennes_bo.acquisition.policy import acquisition_family
from gennes_bo.acquisition.settings import (
    DEPRECATED_ARGUMENTS,
    SETTINGS_KEY,
    AcqfSettings,
    check_rescreen,
    settings_from_call,
    settings_from_options,
)
from gennes_bo.acquisition.warm_start import GeneratorCarry


@dataclass(frozen=True)
class AcqfOptimizationInfo:
    """What an acquisition optimization cost.

    Attributes:
        n_acqf_evals: Acquisition points evaluated (one per `q x d` batch, value-and-gradient counted once),
            raw-sample initialization and polish included.
        n_acqf_calls: Forward calls of the acquisition function.
        wall_time: Seconds spent in the optimizer.
        settings: The settings the call resolved to (`settings.to_dict()` describes the call in records).
    """

    n_acqf_evals: int
    n_acqf_calls: int
    wall_time: float
    settings: AcqfSettings | None = None


def optimize_acqf_gennes(
    acq_function: AcquisitionFunction | None,
    bounds: Tensor,
    q: int,
    num_restarts: int | None = None,
    raw_samples: int | None = None,
    options: dict[str, Any] | None = None,
    inequality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
    equality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
    nonlinear_inequality_constraints: list[tuple[Callable, bool]] | None = None,
    fixed_features: Mapping[int, float | Tensor] | None = None,
    post_processing_func: Callable[[Tensor], Tensor] | None = None,
    batch_initial_conditions: Tensor | None = None,
    return_best_only: bool = True,
    gen_candidates: Callable | None = None,
    sequential: bool = False,
    acq_function_sequence: list[AcquisitionFunction] | None = None,
    *,
    ic_generator: Callable | None = None,
    timeout_sec: float | None = None,
    return_acq_values: bool = True,
    return_full_tree: bool = False,
    retry_on_optimization_warning: bool = True,
    settings: AcqfSettings | None = None,
    seed: int | None = None,
    return_info: bool = False,
    warm_start: GeneratorCarry | None = None,
    **ic_gen_kwargs: Any,
) -> tuple[Tensor, Tensor | None] | tuple[Tensor, Tensor | None, AcqfOptimizationInfo]:
    """Optimize an acquisition function with GENNES + L-BFGS-B polish; a drop-in for `optimize_acqf`.

    Every argument of `botorch.optim.optimize_acqf` keeps its meaning for the L-BFGS-B polish stage:
    `raw_samples` Sobol points are drawn and `num_restarts` initial conditions chosen among them, exactly as
    BoTorch does. Before the polish, GENNES generators (one batched network) search the whole box; L-BFGS-B then
    starts from every initial condition and from the best samples of the best generators. Everything else --
    GENNES settings, the batch strategy, the pipeline, the seed -- comes as one :class:`AcqfSettings`, resolved
    once per call and returned in the info (`return_info=True`). `options` keep BoTorch's meaning and go to its
    initializer and to the polish. Keep `options["batch_limit"]` (if set) >= `num_restarts`: each batch runs its
    own GENNES stage.

    Linear constraints (BoTorch's format) are honored throughout: the raw samples are drawn in the feasible polytope
    (BoTorch's hit-and-run sampler), the generators sample through a map onto it, the polish runs SLSQP with the
    constraints (as BoTorch does), and every returned candidate satisfies the bounds and constraints within
    BoTorch's tolerance (1e-8 in float64, 1e-6 in float32); see `gennes_bo.acquisition.constraints`.

    Args:
        acq_function: The acquisition function to maximize (LogEI / qLogEI recommended, see module doc).
        bounds: `2 x d` finite bounds, of the model's dtype; candidates follow its dtype and device.
        q: Number of candidates, a positive integer (see `AcqfSettings.batch_strategy` for q > 1).
        num_restarts: Number of initial conditions (L-BFGS-B polish starts besides the generators'), per greedy
            step for a greedy q-batch (and per point with `sequential=True`). None (an extension: BoTorch requires
            it) takes the settings' value, else `recommended_restarts(q, strategy)[0]`.
        raw_samples: Sobol samples for the initial conditions (per greedy step). None takes the settings' value,
            else `recommended_restarts(q, strategy)[1]`, unless `batch_initial_conditions` is given (then, as in
            BoTorch, no raw samples are drawn).
        options: BoTorch's options. (The `gennes_*` keys of earlier versions still work and warn.)
        inequality_constraints: `(indices, coefficients, rhs)` tuples meaning `sum_i coefficients[i] *
            x[indices[i]] >= rhs`, as in `optimize_acqf`: 1-d `indices` constrain every point of the batch,
            `k x 2` `indices` (rows `(point, feature)`) link points of the batch (inter-point constraints: the
            batch is then searched jointly; `sequential=True` raises).
        equality_constraints: The same format, meaning `== rhs`.
        nonlinear_inequality_constraints: Not supported: raises `UnsupportedAcqfArgumentError` (use
            `botorch.optim.optimize_acqf`).
        fixed_features: `{index: value}` features held fixed (exactly honored; the constraints hold with them).
        post_processing_func: Applied to the candidates, as in `optimize_acqf`.
        batch_initial_conditions: `b x q x d` (or `q x d`) initial conditions, as in `optimize_acqf`.
        return_best_only: If False, return every restart's candidate (`b x q x d`) and values (`b`).
        gen_candidates: Must be None or `gen_candidates_gennes` (GENNES is the candidate generator here).
        sequential: Greedy one-at-a-time q-batches, as in `optimize_acqf`.
        acq_function_sequence: As in `optimize_acqf` (requires `sequential=True`).
        ic_generator: Custom initial-condition generator, as in `optimize_acqf`.
        timeout_sec: Wall-time limit, as in `optimize_acqf`.
        return_acq_values: If False, the second return value is None.
        return_full_tree: As in `optimize_acqf` (one-shot acquisitions).
        retry_on_optimization_warning: As in `optimize_acqf`.
        settings: How the acquisition is searched (:class:`AcqfSettings`); None takes every default. A q-batch is
            built greedily when its `batch_strategy` is "greedy" and the call allows it (what BoTorch's
            sequential mode needs: `return_best_only=True`, no `batch_initial_conditions`, an acquisition with
            `set_X_pending` that is not one-shot, one `acq_function`, no inter-point constraints); otherwise
            jointly. Its `pipeline` says whether a GENNES stage runs.
        seed: Seeds the raw samples, the choice of restarts among them and the generators (each greedy step its
            own): same seed, same result (the global torch RNG is restored afterwards). The same as
            `settings.seed`; give it once.
        return_info: Also return an :class:`AcqfOptimizationInfo` (acquisition points evaluated, time and the
            resolved settings).
        warm_start: A :class:`~gennes_bo.acquisition.warm_start.GeneratorCarry` held across the calls of a BO
            loop: each GENNES stage (each greedy step) starts from the generators the previous stage trained, in
            this call or the last one, and leaves its own (docs/design.md#warm-starts). None: fresh generators.
            With a warm start, `pipeline="auto"` runs the GENNES stage.
        **ic_gen_kwargs: Passed to the initial-condition generator, as in `optimize_acqf`. The keywords `config`,
            `batch_strategy` and `greedy_rescreen` of earlier versions still work and warn: they are fields of
            `settings` now.

    Returns:
        `(candidates, acq_values)` exactly as `optimize_acqf` returns them (`q x d` and a scalar by default;
        `b x q x d` and `b` with `return_best_only=False`), plus the info object if `return_info=True`.

    Raises:
        UnsupportedAcqfArgumentError: For nonlinear constraints, inter-point constraints with `sequential=True`,
            infinite bounds, or a foreign `gen_candidates`.
        InfeasibleConstraintsError: If no point of the box satisfies the linear constraints with the fixed
            features (or only a flat set does: write implied equalities as `equality_constraints`).
        TypeError: For a `q`, `num_restarts` or `raw_samples` that is not an integer, or `settings` of another type.
        ValueError: For bounds of the wrong shape or of another dtype than the model, `fixed_features` outside the
            dimensions, malformed constraints, invalid settings or a setting given twice.
        GennesOptionError: For unknown or invalid `gennes_*` options.
    """
    if nonlinear_inequality_constraints:
        raise UnsupportedAcqfArgumentError(
            "`nonlinear_inequality_constraints` are not supported by optimize_acqf_gennes (its generators sample a "
            "polytope of linear constraints); use botorch.optim.optimize_acqf for nonlinear constraints"
        )
    if gen_candidates is not None and gen_candidates is not gen_candidates_gennes:
        raise UnsupportedAcqfArgumentError(
            "`gen_candidates` must be None or gen_candidates_gennes in optimize_acqf_gennes; to use another "
            "candidate generator call botorch.optim.optimize_acqf directly"
        )
    q = check_count(q, "q")
    num_restarts = None if num_restarts is None else check_count(num_restarts, "num_restarts")
    raw_samples = None if raw_samples is None else check_count(raw_samples, "raw_samples")
    deprecated = {name: ic_gen_kwargs.pop(name) for name in DEPRECATED_ARGUMENTS if name in ic_gen_kwargs}
    settings, botorch_options = settings_from_call(settings, seed=seed, num_restarts=num_restarts,
                                                   raw_samples=raw_samples, options=options, deprecated=deprecated)
    check_bounds(bounds, acq_function if acq_function is not None else acq_function_sequence[0], fixed_features)
    inequality_constraints, equality_constraints = inequality_constraints or None, equality_constraints or None
    _check_constraints(bounds, q, inequality_constraints, equality_constraints, fixed_features, sequential)
    inter_point = is_inter_point(inequality_constraints, equality_constraints)
    n_free = bounds.shape[1] - len(fixed_features or {})
    # The policy's batch strategy (sequential=True has its own; a warm start carries greedy steps' generators).
    if not sequential and warm_start is None and acq_function is not None:
        settings = settings.with_strategy(q, n_free, acquisition_family(acq_function))
    one_at_a_time = (q > 1 and not sequential and return_best_only and batch_initial_conditions is None
                     and acq_function_sequence is None and not return_full_tree and not inter_point
                     and _takes_pending_points(acq_function))
    greedy = one_at_a_time and settings.batch_strategy in ("greedy", "auto")
    # batch_strategy="sequential" is BoTorch's sequential=True with ours' steps (fresh screens, no joint polish).
    sequential = sequential or (one_at_a_time and settings.batch_strategy == "sequential")
    # sequential=True builds the batch one point at a time as the greedy strategy does: the same per-step budget
    # Warm starts carry trained generators: with them, "auto" keeps the GENNES stage whatever the policy says.
    settings = settings.resolve(q, n_free, greedy=greedy or (sequential and q > 1),
                                screens=batch_initial_conditions is None and ic_generator is None,
                                policy=warm_start is None)
    botorch_options = {**botorch_options, SETTINGS_KEY: settings}
    if settings.seed is not None:
        botorch_options.setdefault("seed", settings.seed)

    generate = gen_candidates_gennes if warm_start is None else partial(gen_candidates_gennes, warm_start=warm_start)
    start = time.monotonic()
    counted = acq_function if acq_function is not None else acq_function_sequence[0]
    # BoTorch's initializer seeds its raw samples but draws the restarts from them with the global RNG.
    with count_acqf_evals(counted) as counter, manual_seed(settings.seed):
        if greedy:
            candidates, values = optimize_acqf_greedy(
                acq_function, bounds, q, settings.num_restarts, settings.raw_samples, botorch_options,
                inequality_constraints=inequality_constraints, equality_constraints=equality_constraints,
                fixed_features=fixed_features, post_processing_func=post_processing_func,
                gen_candidates=generate,
                ic_generator=ic_generator, timeout_sec=timeout_sec, return_acq_values=return_acq_values,
                retry_on_optimization_warning=retry_on_optimization_warning, rescreen=settings.rescreen,
                **ic_gen_kwargs,
            )
        else:
            candidates, values = optimize_acqf(
                acq_function, bounds, q, settings.num_restarts, settings.raw_samples, botorch_options,
                inequality_constraints=inequality_constraints, equality_constraints=equality_constraints,
                fixed_features=fixed_features, post_processing_func=post_processing_func,
                batch_initial_conditions=batch_initial_conditions, return_best_only=return_best_only,
                gen_candidates=generate, sequential=sequential,
                acq_function_sequence=acq_function_sequence, ic_generator=ic_generator, timeout_sec=timeout_sec,
                return_acq_values=return_acq_values, return_full_tree=return_full_tree,
                retry_on_optimization_warning=retry_on_optimization_warning, **ic_gen_kwargs,
            )
    if not return_info:
        return candidates, values
    info = AcqfOptimizationInfo(counter.n_evals, counter.n_calls, time.monotonic() - start, settings)
    return candidates, values, info


def _check_constraints(
    bounds: Tensor, q: int, inequality_constraints: list | None, equality_constraints: list | None,
    fixed_features: Mapping[int, float | Tensor] | None, sequential: bool,
) -> FeasibleRegion | None:
    """Validate linear constraints before any acquisition evaluation; return their feasible region (or None)."""
    for name, constraints in (("inequality_constraints", inequality_constraints),
                              ("equality_constraints", equality_constraints)):
        check_linear_constraints(constraints, name, bounds.shape[1], q)
    if not (inequality_constraints or equality_constraints):
        return None
    if sequential and is_inter_point(inequality_constraints, equality_constraints):
        raise UnsupportedAcqfArgumentError(
            "inter-point constraints (2-d `indices`) link the points of a q-batch, so they need a joint search: "
            "use sequential=False (the default batch_strategy then searches jointly)"
        )
    return FeasibleRegion.from_constraints(bounds, q, inequality_constraints, equality_constraints, fixed_features)


def _takes_pending_points(acq_function: AcquisitionFunction | None) -> bool:
    """Whether BoTorch's sequential greedy mode can run on `acq_function` (pending points, not one-shot)."""
    return (acq_function is not None and callable(getattr(acq_function, "set_X_pending", None))
            and not isinstance(acq_function, OneShotAcquisitionFunction))


def optimize_acqf_greedy(
    acq_function: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    num_restarts: int,
    raw_samples: int | None = None,
    options: dict[str, Any] | None = None,
    *,
    inequality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
    equality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
    fixed_features: Mapping[int, float | Tensor] | None = None,
    post_processing_func: Callable[[Tensor], Tensor] | None = None,
    gen_candidates: Callable | None = None,
    ic_generator: Callable | None = None,
    timeout_sec: float | None = None,
    return_acq_values: bool = True,
    retry_on_optimization_warning: bool = True,
    rescreen: float | None = GREEDY_RESCREEN,
    **ic_gen_kwargs: Any,
) -> tuple[Tensor, Tensor | None]:
    """A q-batch by sequential greedy selection, then one joint L-BFGS-B polish of the whole batch.

    Step i maximizes the acquisition of one point with the `i` points already chosen pending
    (`optimize_acqf(..., sequential=True)`, each step with `num_restarts` restarts and `gen_candidates`). The
    first step screens `raw_samples` Sobol points for its restarts, as BoTorch does; with `rescreen`, later
    steps screen only `rescreen * raw_samples` points: the best of the first screen (three quarters), whose
    values change mostly near the pending points, re-evaluated, and fresh Sobol points (a quarter). The
    greedy batch then starts one L-BFGS-B run on the joint `q x d` problem (`gen_candidates_scipy`,
    `polish_maxiter` steps of the GENNES settings in `options`), which moves every point knowing all the
    others. The better of the greedy and the polished batch is returned.

    Under linear constraints every step and the polish are constrained (SLSQP, as in BoTorch), the steps' fresh
    points are drawn in the feasible polytope, and a polished batch that leaves it is not taken.

    Args:
        acq_function: A q-batch acquisition that takes pending points (`set_X_pending`), e.g. qLogEI.
        bounds: `2 x d` bounds.
        q: Batch size.
        num_restarts: Initial conditions per greedy step.
        raw_samples: Raw samples per greedy step.
        options: BoTorch options (and `"gennes_settings"`, read by `gen_candidates_gennes` and for the polish's
            iteration cap).
        inequality_constraints: As in `optimize_acqf`, intra-point only (1-d `indices`): a greedy step places one
            point.
        equality_constraints: As in `optimize_acqf`, intra-point only.
        fixed_features: As in `optimize_acqf`, honored in every step and in the polish.
        post_processing_func: Applied to the returned batch, whose value is then re-evaluated; a batch it moves
            out of the constraints is restored into them and post-processed again.
        gen_candidates: The candidate generator of each greedy step (default BoTorch's `gen_candidates_scipy`;
            `optimize_acqf_gennes` passes `gen_candidates_gennes`).
        ic_generator: As in `optimize_acqf`.
        timeout_sec: Wall-time limit: 80 % for the greedy steps, the rest for the polish.
        return_acq_values: If False, the second return value is None.
        retry_on_optimization_warning: As in `optimize_acqf`.
        rescreen: Share of `raw_samples` screened by the steps after the first (in (0, 1]); None, or a custom
            `ic_generator`, screens `raw_samples` fresh points every step (BoTorch's sequential mode).
        **ic_gen_kwargs: As in `optimize_acqf`.

    Returns:
        `q x d` candidates and their joint acquisition value (a scalar tensor), as `optimize_acqf` returns them.

    Raises:
        ValueError: If `rescreen` is not in (0, 1], or for malformed constraints.
        UnsupportedAcqfArgumentError: For inter-point constraints.
        InfeasibleConstraintsError: If no point satisfies the constraints.
        CandidateGenerationError: If `post_processing_func` keeps moving the batch out of the constraints.
    """
    check_rescreen(rescreen, "rescreen")
    region = None
    if inequality_constraints or equality_constraints:
        if is_inter_point(inequality_constraints, equality_constraints):
            raise UnsupportedAcqfArgumentError(
                "optimize_acqf_greedy places one point at a time, so it cannot honor inter-point constraints (2-d "
                "`indices`); use optimize_acqf_gennes(..., settings=AcqfSettings(batch_strategy='joint'))"
            )
        region = _check_constraints(bounds, q, inequality_constraints, equality_constraints, fixed_features, True)
    constraints = {"inequality_constraints": inequality_constraints or None,
                   "equality_constraints": equality_constraints or None}
    free = [i for i in range(bounds.shape[1]) if i not in (fixed_features or {})]
    # BoTorch's own initializer with a custom `generator` of raw points does not take these
    custom_points = "generator" in ic_gen_kwargs or (options or {}).get("sample_around_best", False)
    if rescreen is not None and ic_generator is None and raw_samples is not None and not custom_points:
        ic_generator = _Rescreen(max(1, round(rescreen * raw_samples)), region, free)
    start = time.monotonic()
    greedy, _ = optimize_acqf(
        acq_function, bounds, q, num_restarts, raw_samples, options, **constraints, fixed_features=fixed_features,
        gen_candidates=gen_candidates, sequential=True, ic_generator=ic_generator,
        timeout_sec=None if timeout_sec is None else 0.8 * timeout_sec,
        retry_on_optimization_warning=retry_on_optimization_warning, **ic_gen_kwargs,
    )
    settings, botorch_options = settings_from_options(options)
    remaining = None if timeout_sec is None else max(timeout_sec - (time.monotonic() - start), 1e-3)
    polished, polished_value = gen_candidates_scipy(
        initial_conditions=greedy.unsqueeze(0), acquisition_function=acq_function, lower_bounds=bounds[0],
        upper_bounds=bounds[1],
        options={"maxiter": settings.step_config(1).polish_maxiter,
                 **{k: v for k, v in botorch_options.items() if k not in INIT_OPTION_KEYS}},
        fixed_features=fixed_features, timeout_sec=remaining, **constraints,
    )
    with torch.no_grad():
        greedy_value = acq_function(greedy.unsqueeze(0))
    # L-BFGS-B from the greedy batch does not end lower on a deterministic acquisition, but a failed line search can
    polished_feasible = region is None or bool(region.is_feasible(polished[..., free]).all())
    candidates = polished[0] if polished_feasible and polished_value[0] > greedy_value[0] else greedy
    if post_processing_func is not None:
        candidates = post_processing_func(candidates)
        if region is not None and not bool(region.is_feasible(candidates[..., free].unsqueeze(0))):
            # As optimize_acqf does: restore, post-process again, and give up if that leaves the constraints.
            candidates = candidates.clone()
            candidates[..., free] = region.restore(candidates[..., free].unsqueeze(0))[0]
            candidates = post_processing_func(candidates)
            if not bool(region.is_feasible(candidates[..., free].unsqueeze(0))):
                raise CandidateGenerationError(
                    "`post_processing_func` moves the batch out of the linear constraints, even after the batch "
                    "was restored into them; make it keep them"
                )
    candidates = candidates.detach()
    if not return_acq_values:
        return candidates, None
    with torch.no_grad():
        value = acq_function(candidates.unsqueeze(0))
    return candidates, value.reshape(())


class _Rescreen:
    """Initial conditions of greedy steps: the first screens as BoTorch does and keeps its best points; later
    steps screen `n_points`: the best kept points (re-evaluated: the pending points changed the acquisition) and
    a quarter of fresh Sobol points, then choose their restarts among them as BoTorch does."""

    def __init__(self, n_points: int, region: FeasibleRegion | None = None, free: list[int] | None = None) -> None:
        self.n_fresh = n_points // 4
        self.n_kept = n_points - self.n_fresh
        self.kept: Tensor | None = None
        self.step = 0
        self.region, self.free = region, free

    def __call__(self, acq_function: AcquisitionFunction, bounds: Tensor, q: int, num_restarts: int,
                 raw_samples: int, **kwargs: Any) -> Tensor:
        self.step += 1
        if self.kept is None:
            screened: list[tuple[Tensor, Tensor]] = []
            handle = acq_function.register_forward_hook(
                lambda _module, args, output: screened.append((args[0].detach(), output.detach())))
            try:
                initial_conditions = gen_batch_initial_conditions(acq_function, bounds, q, num_restarts,
                                                                  raw_samples, **kwargs)
            finally:
                handle.remove()
            points = torch.cat([x.cpu() for x, _ in screened])
            values = torch.cat([value.reshape(-1).cpu() for _, value in screened])
            self.kept = points[values.topk(min(self.n_kept, len(values))).indices]
            return initial_conditions

        def generator(_n: int, q: int, seed: int | None) -> Tensor:
            if not self.n_fresh:
                return self.kept
            seed = None if seed is None else seed + self.step
            if self.region is None:
                fresh = draw_sobol_samples(bounds=bounds.cpu(), n=self.n_fresh, q=q, seed=seed)
            else:  # Sobol points of the cube mapped into the polytope (fixed features are set by the caller)
                cube = torch.stack([-torch.ones(self.region.dim), torch.ones(self.region.dim)]).to(bounds)
                fresh = bounds.new_zeros(self.n_fresh, q, bounds.shape[1])
                fresh[..., self.free] = self.region.from_cube(draw_sobol_samples(cube, self.n_fresh, q, seed=seed))
                fresh = fresh.cpu()
            return torch.cat([self.kept.to(fresh), fresh])

        return gen_batch_initial_conditions(acq_function, bounds, q, num_restarts, raw_samples,
                                            generator=generator, **kwargs)
