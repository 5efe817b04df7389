"""`GennesSampler`: Gaussian-process Bayesian optimization for Optuna studies, its acquisition maximized by GENNES.

    study = optuna.create_study(sampler=GennesSampler(seed=0))

After `n_startup_trials` random trials, each trial fits a surrogate to the completed trials (parameters encoded in
the unit cube by Optuna's own transform: log scale for log parameters, one-hot categoricals), builds its acquisition
with the running trials as pending points and the constraints as further model outputs, maximizes it with
`optimize_acqf_gennes` over the relaxed box, rounds the result to valid values and moves it to better discrete
neighbors while the acquisition value rises. Two extension points: `surrogate` (any `(X, Y, n_objectives) ->
fitted BoTorch model`; default :class:`~gennes_bo.models.GPSurrogate`) and `acquisition` (a
:class:`SamplerAcquisition`: the acquisition optimizer's settings, pending points, repeat avoidance). Why a native
sampler rather than optuna-integration's `BoTorchSampler`: docs/design.md#optuna-sampler.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gennes_bo.extras import require

require("optuna", "optuna", "The Optuna sampler (gennes_bo.integrations.optuna)")

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction, LogExpectedImprovement, qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import (
    qLogExpectedHypervolumeImprovement,
    qLogNoisyExpectedHypervolumeImprovement,
)
from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
from botorch.acquisition.objective import GenericMCObjective
from botorch.exceptions.errors import ModelFittingError
from botorch.models.model import Model
from botorch.sampling import SobolQMCNormalSampler
from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning
from botorch.utils.multi_objective.hypervolume import infer_reference_point
from botorch.utils.multi_objective.pareto import is_non_dominated
from botorch.utils.sampling import manual_seed
from optuna._transform import _SearchSpaceTransform
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.samplers._base import _process_constraints_after_trial
from optuna.search_space import IntersectionSearchSpace
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState
from torch import Tensor

from gennes_bo.acquisition.optimize import optimize_acqf_gennes
from gennes_bo.acquisition.settings import AcqfSettings
from gennes_bo.integrations.optuna_space import (
    best_unseen_neighbor,
    discrete_local_search,
    encode,
    in_search_space,
    param_key,
)
from gennes_bo.models import GPSurrogate

__all__ = ["GennesSampler", "SamplerAcquisition", "Surrogate"]

_logger = logging.getLogger(__name__)

REFERENCE_POINTS = ("worst", "pareto")  # SamplerAcquisition.reference_point's choices
HYPERVOLUME_ACQUISITIONS = ("qLogNEHVI", "qLogEHVI")  # SamplerAcquisition.hypervolume's choices
MC_SAMPLES = 128  # Sobol base samples of qLogNEI, as in the project's BO loops
CONSTRAINTS_KEY = "constraints"  # the system attribute where `constraints_func`'s values are kept (Optuna's key)
FAILED_FITS_WARNING = 3  # surrogate fits failed in a row before one warning reaches the user


class Surrogate(Protocol):
    """What `GennesSampler(surrogate=...)` takes: `n x d` unit-cube inputs and `n x m` outputs, the first
    `n_objectives` of them objectives to maximize and the rest constraint values (feasible when <= 0), to a fitted
    BoTorch model with `m` outputs."""

    def __call__(self, X: Tensor, Y: Tensor, n_objectives: int = 1) -> Model: ...


@dataclass(frozen=True)
class SamplerAcquisition:
    """How a trial's parameters are chosen from the surrogate: qLogNEI (qLogNEHVI in multi-objective studies),
    maximized by `optimize_acqf_gennes`.

    Attributes:
        settings: `optimize_acqf_gennes`'s settings (restarts, raw samples, GENNES config, pipeline); None: its
            defaults for one candidate. The seed is the trial's.
        optimizer: Replaces `optimize_acqf_gennes` (e.g. `functools.partial(botorch.optim.optimize_acqf,
            num_restarts=20, raw_samples=1024)` for an ablation); called as `optimizer(acq_function, bounds, q=1)`
            under the trial's torch seed, it owns its settings, so `settings` must be None with it.
        pending: Running trials' parameters are pending points, so that parallel workers (threads, processes
            sharing the storage) do not suggest the same point.
        avoid_repeats: Never suggest the parameters of a completed or running trial while an unevaluated discrete
            neighbor exists: take instead the unevaluated one of highest acquisition value among its discrete
            neighbors (widening up to `MAX_AVOID_RINGS` moves), as BoTorch's discrete optimizers do with `X_avoid`.
            Set False when repeating a configuration is informative (a noisy objective).
        mc_samples: Sobol base samples of the Monte-Carlo acquisition.
        analytic: Where a trial has one objective, no constraints and no pending points, use analytic LogEI
            (`best_f`: the largest posterior mean at the evaluated points) in place of Monte-Carlo qLogNEI; it needs
            no samples of the joint posterior at the baseline, so a trial costs less. Off by default: it scored
            lower on bayesmark's dev problems (docs/design.md, "What the dev rules gave").
        reference_point: The hypervolume's reference point in multi-objective studies, from the posterior means at
            the evaluated points: `"worst"`, each objective's worst mean less a tenth of its range over all evaluated
            points; `"pareto"`, BoTorch's `infer_reference_point` on the Pareto front of the means (its nadir less
            a tenth of the front's range).
        hypervolume: The acquisition of multi-objective studies: `"qLogNEHVI"`, which integrates over the posterior
            at the evaluated points (its Pareto front is sampled with the candidate), or `"qLogEHVI"`, the
            improvement over one front, the posterior means at the evaluated points whose constraint means are
            feasible; it samples the posterior at the candidate only, so a trial costs less.
    """

    settings: AcqfSettings | None = None
    optimizer: Callable[..., tuple[Tensor, Tensor]] | None = None
    pending: bool = True
    avoid_repeats: bool = True
    mc_samples: int = MC_SAMPLES
    analytic: bool = False
    reference_point: str = "worst"
    hypervolume: str = "qLogNEHVI"

    def __post_init__(self) -> None:
        if self.hypervolume not in HYPERVOLUME_ACQUISITIONS:
            raise ValueError(f"`hypervolume` must be one of {', '.join(map(repr, HYPERVOLUME_ACQUISITIONS))}, got "
                             f"{self.hypervolume!r}")
        if self.reference_point not in REFERENCE_POINTS:
            raise ValueError(f"`reference_point` must be one of {', '.join(map(repr, REFERENCE_POINTS))}, got "
                             f"{self.reference_point!r}")
        if self.settings is not None and not isinstance(self.settings, AcqfSettings):
            raise TypeError(f"`settings` must be an AcqfSettings or None, got {type(self.settings).__name__}")
        if self.optimizer is not None and self.settings is not None:
            raise ValueError("`settings` set optimize_acqf_gennes; with `optimizer` it must be None (pass the "
                             "optimizer's own settings in it, e.g. with functools.partial)")
        if not isinstance(self.mc_samples, int) or isinstance(self.mc_samples, bool) or self.mc_samples < 1:
            raise ValueError(f"`mc_samples` must be an integer >= 1, got {self.mc_samples!r}")

    def build(self, model: Model, X_baseline: Tensor, X_pending: Tensor | None, n_objectives: int,
              n_constraints: int, seed: int) -> AcquisitionFunction:
        """The acquisition over `X_baseline` (`n x d`), with pending points: qLogNEI of output 0 (or LogEI, see
        `analytic`) for one objective, qLogNEHVI (or qLogEHVI, see `hypervolume`) of outputs `0 .. n_objectives - 1`
        for several (reference point: see `reference_point`), the outputs after them constrained to <= 0."""
        if self.analytic and n_objectives == 1 and not n_constraints and X_pending is None:
            with torch.no_grad():
                best_f = model.posterior(X_baseline).mean[..., 0].max()
            return LogExpectedImprovement(model, best_f=best_f)
        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([self.mc_samples]), seed=seed)
        constraints = [_output(n_objectives + i) for i in range(n_constraints)] or None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pruning the baseline may warn about near-duplicate points
            if n_objectives == 1:
                objective = GenericMCObjective(_output(0)) if n_constraints else None
                return qLogNoisyExpectedImprovement(model, X_baseline, sampler=sampler, objective=objective,
                                                    constraints=constraints, X_pending=X_pending,
                                                    prune_baseline=True)
            with torch.no_grad():
                means = model.posterior(X_baseline).mean
            fitted = means[..., :n_objectives]
            if self.reference_point == "pareto":
                ref_point = infer_reference_point(fitted[is_non_dominated(fitted)])
            else:
                low, high = fitted.min(dim=0).values, fitted.max(dim=0).values
                ref_point = low - 0.1 * (high - low).clamp_min(1e-6)
            objective = IdentityMCMultiOutputObjective(outcomes=list(range(n_objectives))) if n_constraints else None
            if self.hypervolume == "qLogEHVI":
                feasible = (means[..., n_objectives:] <= 0).all(dim=-1)
                partitioning = FastNondominatedPartitioning(ref_point=ref_point, Y=fitted[feasible])
                return qLogExpectedHypervolumeImprovement(
                    model, ref_point.tolist(), partitioning, sampler=sampler, objective=objective,
                    constraints=constraints, X_pending=X_pending)
            return qLogNoisyExpectedHypervolumeImprovement(
                model, ref_point.tolist(), X_baseline, sampler=sampler, objective=objective, constraints=constraints,
                X_pending=X_pending, prune_baseline=True)

    def maximize(self, acq_function: AcquisitionFunction, bounds: Tensor, seed: int) -> Tensor:
        """The `1 x d` maximizer of `acq_function` in the `2 x d` box."""
        if self.optimizer is not None:
            candidate, _ = self.optimizer(acq_function, bounds, q=1)
            return candidate
        settings = (self.settings or AcqfSettings()).replace(seed=seed)
        candidate, _ = optimize_acqf_gennes(acq_function, bounds, q=1, settings=settings)
        return candidate

    def to_dict(self) -> dict[str, Any]:
        """The settings, for records (a custom optimizer by its name)."""
        optimizer = None if self.optimizer is None else getattr(self.optimizer, "__name__", None) or repr(
            self.optimizer)
        return {"acquisition": "qLogNEI (qLogNEHVI for several objectives)"
                + ("; LogEI with one objective, no constraints and no pending points" if self.analytic else ""),
                "settings": (self.settings or AcqfSettings()).to_dict(),
                "optimizer": optimizer or "optimize_acqf_gennes", "pending": self.pending,
                "avoid_repeats": self.avoid_repeats, "mc_samples": self.mc_samples,
                **({"reference_point": self.reference_point} if self.reference_point != "worst" else {}),
                **({"hypervolume": self.hypervolume} if self.hypervolume != "qLogNEHVI" else {})}


# Keyword arguments of earlier versions -> where they live now (each warns; docs/guides/optuna.md#settings).
_ACQUISITION_ARGUMENTS = {"consider_running_trials": "pending", "avoid_repeats": "avoid_repeats",
                          "acqf_optimizer": "optimizer"}
_SETTINGS_ARGUMENTS = ("num_restarts", "raw_samples", "config")
_SURROGATE_ARGUMENTS = {"warp_outputs": "warp_outputs", "warm_start_gp": "warm_start"}


class GennesSampler(BaseSampler):
    """Bayesian optimization for Optuna: a GP, qLogNEI and GENNES (`optimize_acqf_gennes`) as its optimizer.

    Float, log-float, stepped float, int, log-int and categorical parameters are supported. The sampler models the
    parameters that every completed trial shares (Optuna's `IntersectionSearchSpace`, parameters with one possible
    value left out) and draws any other parameter, and every parameter of the first `n_startup_trials` trials, from
    `independent_sampler`, as Optuna's `GPSampler` and `BoTorchSampler` do. Single- and multi-objective studies
    (qLogNEHVI over the Pareto front), with constraints in both.

    Each model-based trial:

    1. encodes the completed trials' parameters in the unit cube (log scale for log parameters, a half step of
       margin for discrete ones, one-hot categoricals) and fits `surrogate` to the objective, maximized, and to the
       constraint values if there are any;
    2. builds the acquisition of `acquisition` (qLogNEI over the completed trials, the running trials' parameters
       as pending points, the constraints as BoTorch outcome constraints, feasible when <= 0);
    3. maximizes it with `optimize_acqf_gennes` over the relaxed unit cube;
    4. rounds the result to valid values (Optuna's untransform: nearest step, argmax of the one-hot block) and
       moves to the best discrete neighbor (another category, or one step of an int) while that raises the
       acquisition value;
    5. steps off a parameter set already evaluated or running (`acquisition.avoid_repeats`).

    Constraints come from `constraints_func` (stored in the trial's system attributes after the trial, as Optuna's
    samplers do) or, with Optuna >= 5, from `trial.set_constraint`; a trial is feasible when all its values are
    <= 0. Running trials count as pending once they hold every parameter of the search space; a process that
    shares the study's storage sees them too.

    BoTorch's warnings during a suggestion (fit retries, jitter added to a covariance, a polish that ended
    ABNORMAL) go to this module's logger at DEBUG level, not to the console. A trial whose surrogate does not fit
    falls back on the independent sampler; after `FAILED_FITS_WARNING` such trials in a row, one warning says so.

    Args:
        seed: Combined with each trial's number (and a parameter's name), seeds that trial's random draws, GP
            fit, Monte-Carlo samples and GENNES search: a sequential study with the same seed suggests the same
            parameters, and workers that share a seed never repeat each other's random draws. None draws a seed.
        n_startup_trials: Completed trials before the GP takes over (default 10, as in Optuna's GP samplers).
        independent_sampler: Sampler of the startup trials and of parameters outside the search space; default
            None: uniform draws (Optuna's `RandomSampler`) seeded by `seed`, the trial number and the parameter.
        constraints_func: Optional `FrozenTrial -> sequence of floats`, called after each completed or pruned
            trial; a value > 0 is a violated constraint.
        warn_independent_sampling: Log a warning when a parameter is sampled independently after the startup
            trials (it lies outside the search space shared by the completed trials).
        surrogate: `(X, Y, n_objectives) -> fitted BoTorch model` (:class:`Surrogate`); default
            `GPSurrogate()`: a `SingleTaskGP` with warped objectives and warm-started fits of its hyperparameters on
            every fifth trial (:class:`gennes_bo.models.GPSurrogate`). A warm-started surrogate makes the
            suggestions depend on the sampler's history too: a study resumed with a new sampler suggests other
            parameters than one run without a break; `GPSurrogate(warm_start=False)` does not.
        acquisition: How a trial's parameters are chosen (:class:`SamplerAcquisition`); default
            `SamplerAcquisition()`.
        **deprecated: The keyword arguments of earlier versions (`num_restarts`, `raw_samples`, `config`,
            `acqf_optimizer`, `consider_running_trials`, `avoid_repeats`, `warp_outputs`, `warm_start_gp`) still
            work and warn; they set fields of `surrogate` and `acquisition`.

    Raises:
        ValueError: For a negative `n_startup_trials` or `seed`, invalid settings, or deprecated arguments given
            with the object they belong to.
        TypeError: For an unknown keyword argument.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        independent_sampler: BaseSampler | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        warn_independent_sampling: bool = True,
        surrogate: Surrogate | None = None,
        acquisition: SamplerAcquisition | None = None,
        **deprecated: Any,
    ) -> None:
        for name, value, minimum in (("seed", seed, 0), ("n_startup_trials", n_startup_trials, 0)):
            if value is None and name == "seed":
                continue
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}")
        if acquisition is not None and not isinstance(acquisition, SamplerAcquisition):
            raise TypeError(f"`acquisition` must be a SamplerAcquisition or None, got {type(acquisition).__name__}")
        if surrogate is not None and not callable(surrogate):
            raise TypeError(f"`surrogate` must be callable as surrogate(X, Y, n_objectives), got {surrogate!r}")
        surrogate, acquisition = _from_deprecated(deprecated, surrogate, acquisition)
        self._seed = int(seed) if seed is not None else _random_seed()
        self._n_startup_trials = n_startup_trials
        self._independent_sampler = independent_sampler
        self._constraints_func = constraints_func
        self._warn_independent_sampling = warn_independent_sampling
        self.surrogate: Surrogate = surrogate if surrogate is not None else GPSurrogate()
        self.acquisition = acquisition if acquisition is not None else SamplerAcquisition()
        self._search_space = IntersectionSearchSpace()
        self._failed_fits = 0  # trials in a row whose surrogate did not fit

    def reseed_rng(self) -> None:
        """Reseed a given `independent_sampler`; the sampler's own seed stays (its draws differ per trial)."""
        if self._independent_sampler is not None:
            self._independent_sampler.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        """The parameters every completed trial shares, less those with a single possible value."""
        return {name: distribution for name, distribution in self._search_space.calculate(study).items()
                if not distribution.single()}

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        """Parameters of `search_space` for `trial` from the GP (none during the startup trials)."""
        if not search_space:
            return {}
        completed = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                     if search_space.keys() <= t.params.keys()]
        if len(completed) < max(self._n_startup_trials, 1):
            return {}
        running = [t.params for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                   if t.number != trial.number and in_search_space(t.params, search_space)]
        avoid = {param_key(p, search_space) for p in [*(t.params for t in completed), *running]
                 } if self.acquisition.avoid_repeats else set()
        seed = _trial_seed(self._seed, trial.number)
        with manual_seed(seed), _one_torch_thread(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                params = self._suggest(study, completed, running if self.acquisition.pending else [],
                                       search_space, seed, avoid)
                self._failed_fits = 0
            except ModelFittingError as error:  # the trial falls back on the independent sampler
                params, self._failed_fits = {}, self._failed_fits + 1
                _logger.debug("Trial %d: the surrogate did not fit (%s)", trial.number, error)
        for warning in caught:  # BoTorch's retries, jitter and polish messages: details, not news
            _logger.debug("Trial %d: %s: %s", trial.number, warning.category.__name__, warning.message)
        if self._failed_fits == FAILED_FITS_WARNING:
            warnings.warn(f"GennesSampler: the surrogate failed to fit in {FAILED_FITS_WARNING} trials in a row, which "
                          "the independent sampler drew instead; details at DEBUG level of the logger "
                          f"{__name__!r}", RuntimeWarning, stacklevel=2)
        return params

    def _suggest(self, study: Study, completed: list[FrozenTrial], running: list[dict[str, Any]],
                 search_space: dict[str, BaseDistribution], seed: int, avoid: set[tuple]) -> dict[str, Any]:
        """Fit, build the acquisition, maximize it with GENNES, round to valid values, step off `avoid`."""
        transform = _SearchSpaceTransform(search_space, transform_0_1=True)
        X = encode(transform, [t.params for t in completed])
        Y = _objective_values(study.directions, completed)
        constraints = _constraint_values(completed)
        outputs = Y if constraints is None else torch.cat([Y, constraints], dim=-1)
        pending = encode(transform, running) if running else None
        model = self.surrogate(X, outputs, n_objectives=Y.shape[-1])
        acqf = self.acquisition.build(model, X, pending, Y.shape[-1], outputs.shape[-1] - Y.shape[-1], seed)
        bounds = torch.stack([torch.zeros(X.shape[-1]), torch.ones(X.shape[-1])]).to(X)
        candidate = self.acquisition.maximize(acqf, bounds, seed)
        params = transform.untransform(candidate[0].detach().cpu().numpy())
        params = discrete_local_search(acqf, params, search_space, transform)
        if param_key(params, search_space) in avoid:
            params = best_unseen_neighbor(acqf, params, search_space, transform, avoid)
        return params

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        """A parameter outside the search space (or of a startup trial), from the independent sampler."""
        if self._warn_independent_sampling and not param_distribution.single():
            n_completed = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
            if n_completed >= max(self._n_startup_trials, 1):
                _logger.warning("Trial %d: parameter %r is sampled independently, not by the GP: it is not in the "
                                "search space that every completed trial shares", trial.number, param_name)
        sampler = self._independent_sampler or RandomSampler(seed=_trial_seed(self._seed, trial.number, param_name))
        return sampler.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if self._independent_sampler is not None:
            self._independent_sampler.before_trial(study, trial)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        """Store `constraints_func`'s values in the trial's system attributes (completed and pruned trials)."""
        if self._constraints_func is not None:
            _process_constraints_after_trial(self._constraints_func, study, trial, state)
        if self._independent_sampler is not None:
            self._independent_sampler.after_trial(study, trial, state, values)


def _from_deprecated(deprecated: dict[str, Any], surrogate: Surrogate | None,
                     acquisition: SamplerAcquisition | None) -> tuple[Surrogate | None, SamplerAcquisition | None]:
    """Fold the keyword arguments of earlier versions into `surrogate` and `acquisition`, with a warning each."""
    known = {*_ACQUISITION_ARGUMENTS, *_SETTINGS_ARGUMENTS, *_SURROGATE_ARGUMENTS}
    unknown = sorted(set(deprecated) - known)
    if unknown:
        raise TypeError(f"GennesSampler got unexpected keyword argument(s) {unknown}")
    if not deprecated:
        return surrogate, acquisition
    for name in sorted(deprecated):
        target = "surrogate=GPSurrogate(...)" if name in _SURROGATE_ARGUMENTS else "acquisition=SamplerAcquisition(...)"
        warnings.warn(f"GennesSampler's `{name}` is deprecated: pass {target}", DeprecationWarning, stacklevel=3)
    for name in ("num_restarts", "raw_samples"):
        value = deprecated.get(name)
        if value is not None and (not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1):
            raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}")
    surrogate_fields = {_SURROGATE_ARGUMENTS[k]: v for k, v in deprecated.items() if k in _SURROGATE_ARGUMENTS}
    acquisition_fields = {_ACQUISITION_ARGUMENTS[k]: v for k, v in deprecated.items() if k in _ACQUISITION_ARGUMENTS}
    settings_fields = {k: v for k, v in deprecated.items() if k in _SETTINGS_ARGUMENTS and v is not None}
    if (surrogate_fields and surrogate is not None) or (
            (acquisition_fields or settings_fields) and acquisition is not None):
        raise ValueError(f"deprecated arguments {sorted(deprecated)} set the same things as the `surrogate` / "
                         "`acquisition` given with them: pass them in those objects")
    if settings_fields:
        if acquisition_fields.get("optimizer") is not None:
            raise ValueError("`num_restarts`, `raw_samples` and `config` set optimize_acqf_gennes; with "
                             "`acqf_optimizer` they must be None (pass its settings in it, e.g. with partial)")
        acquisition_fields["settings"] = AcqfSettings(**settings_fields)
    if surrogate_fields:
        surrogate = GPSurrogate(**surrogate_fields)
    if acquisition_fields:
        acquisition = SamplerAcquisition(**acquisition_fields)
    return surrogate, acquisition


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, then restore the setting (docs/design.md#optuna-sampler)."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n_threads)


def _random_seed() -> int:
    return int(np.random.SeedSequence().generate_state(1)[0])


def _trial_seed(seed: int, trial_number: int, param_name: str = "") -> int:
    """One seed per (sampler seed, trial number, parameter): the same in every run and every worker."""
    entropy = [seed, trial_number, zlib.crc32(param_name.encode())]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def _objective_values(directions: Sequence[StudyDirection], trials: list[FrozenTrial]) -> Tensor:
    """`n x k` values of the `k` objectives, each to maximize; infinite values become the most extreme finite ones
    of their objective."""
    signs = np.array([-1.0 if d == StudyDirection.MINIMIZE else 1.0 for d in directions])
    values = signs * np.array([t.values for t in trials], dtype=np.float64).reshape(len(trials), len(directions))
    columns = []
    for column in values.T:
        finite = column[np.isfinite(column)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        columns.append(np.clip(column, low, high))
    return torch.as_tensor(np.stack(columns, axis=-1))


def _constraint_values(trials: list[FrozenTrial]) -> Tensor | None:
    """`n x m` constraint values (feasible when <= 0), or None when no trial has any.

    Raises:
        ValueError: When some trials have constraint values and others have none or another number.
    """
    rows = [_trial_constraints(t) for t in trials]
    if not any(rows):
        return None
    if len({len(row) for row in rows}) > 1:
        counts = sorted({len(row) for row in rows})
        raise ValueError(f"every completed trial must have the same number of constraint values, got {counts}")
    return torch.tensor(rows, dtype=torch.float64)


def _trial_constraints(trial: FrozenTrial) -> tuple[float, ...]:
    """A trial's constraint values: `trial.constraints` (Optuna >= 5, by name) or the system attribute."""
    constraints = getattr(trial, "constraints", None)
    if constraints is None:
        return tuple(trial.system_attrs.get(CONSTRAINTS_KEY) or ())
    return tuple(constraints[name] for name in sorted(constraints))


def _output(index: int) -> Callable[..., Tensor]:
    """Output `index` of `sample_shape x batch x q x m` posterior samples."""
    return lambda samples, X=None: samples[..., index]
