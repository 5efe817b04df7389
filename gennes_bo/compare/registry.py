"""The acquisition optimizers that the comparison commands run, in one registry, and one timed, counted call.

Every command that compares acquisition optimizers (`compare-acqf`, and the repository's experiments) names them
the same way: a name of :data:`ACQF_OPTIMIZERS` (the built-ins below, or one added with :func:`register`), or an
import path `package.module:function` of an `optimize_acqf`-compatible callable, called as
`function(acq_function, bounds, q, num_restarts=20, raw_samples=1024)`.

=========================  ===================================================================================
`gennes-hybrid`            `optimize_acqf_gennes` with its defaults (this library's recommended optimizer)
`botorch-default`          `optimize_acqf` with 20 restarts and 1024 raw samples (a q-batch optimized jointly)
`botorch-sequential`       the same, `sequential=True`: a q-batch built one point at a time, earlier points pending
`botorch-10x`              `optimize_acqf` with ten times that budget: 200 restarts and 10240 raw samples
`gennes-hybrid-fresh`      `gennes-hybrid` with every greedy step screening `raw_samples` fresh Sobol points, as
                           BoTorch's sequential mode does (`AcqfSettings(rescreen=None)`): the rescreen ablation
`gennes-sequential`        `optimize_acqf_gennes(sequential=True)` with `gennes-hybrid`'s per-step settings: its greedy
                           steps with fresh screens and no joint polish of the batch (the polish ablation)
`gennes-hybrid-noretry`    `gennes-hybrid` with `retry_on_optimization_warning=False`: a greedy step (or q = 1 search)
                           whose L-BFGS-B polish ends with an `OptimizationWarning` keeps its candidates instead of
                           BoTorch redoing the step from new initial conditions (the retry ablation)
`gennes-stage`             `optimize_acqf_gennes` with the GENNES stage on in every call (`pipeline="gennes"`),
                           whatever the pipeline policy would choose
`lbfgs-same-starts`        `gennes-hybrid`'s pipeline (restarts, raw samples, greedy q-batch steps and joint
                           polish) with BoTorch's L-BFGS-B alone (`pipeline="lbfgs"`): the ablation that isolates
                           what the generators add
`lbfgs-same-starts-joint`  the L-BFGS-only pipeline with the q-batch searched jointly
                           (`batch_strategy="joint"`: 12 restarts of the `q x d` problem, 512 raw samples)
`lbfgs-greedy-2starts`     the L-BFGS-only greedy pipeline with two restarts a step at every q, d and acquisition
                           (the default's count only below d = 30 at q = 2-32, `policy.greedy_step_restarts`)
`lbfgs-greedy-cap15`       `lbfgs-greedy-2starts` with each greedy step's L-BFGS-B capped at 15 iterations
                           (`step_maxiter=15`; the final joint polish keeps its budget)
`lbfgs-joint-20starts`     the L-BFGS-only joint search at BoTorch's budget (20 restarts, 1024 raw samples)
`lbfgs-seq-cap15-1start`   the L-BFGS-only sequential build (`batch_strategy="sequential"`) with one restart a step,
                           each capped at 15 L-BFGS-B iterations (a time lever for qUCB batches)
`lbfgs-seq-cap10-1start`   the same, capped at 10 iterations
`lbfgs-seq-8starts`        the L-BFGS-only sequential build with 8 restarts a step from 1024 raw samples
`lbfgs-seq-20starts`       the same with 20 restarts a step: BoTorch's `sequential=True` budget run through ours
`random`                   a floor: a uniformly random batch, not optimized (one acquisition evaluation, its value)
`sobol`                    a floor: a scrambled Sobol batch, not optimized (one acquisition evaluation, its value)
=========================  ===================================================================================

The repository's experiments register the paper's optimizers (`gennes`, `lbfgs-paper`, `cma`) with
:func:`register` when its `benchmarks` package is imported, as any plug-in would.

An entry makes its optimizer from an :class:`AcqfTask` (q, the dimension when known, and the paper's per-task
budgets) and says what it runs with (:meth:`AcqfOptimizerEntry.resolved_settings`; for `optimize_acqf_gennes`,
the `AcqfSettings.to_dict()` that its call resolves to); the grid commands record those settings with every run
and refuse to resume a cell whose records were run with other settings.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch
from botorch.optim import optimize_acqf
from botorch.utils.sampling import draw_sobol_samples, manual_seed
from torch import Tensor, nn

from gennes_bo.acquisition import AcqfSettings, count_acqf_evals, optimize_acqf_gennes
from gennes_bo.acquisition.policy import acquisition_family

AcqfOptimizer = Callable[[nn.Module, Tensor, int], tuple[Tensor, Tensor]]
BOTORCH_DEFAULT = {"num_restarts": 20, "raw_samples": 1024}  # `botorch-default`, and the call of import paths
BOTORCH_10X = {"num_restarts": 200, "raw_samples": 10240}
BOTORCH_SEQUENTIAL = {**BOTORCH_DEFAULT, "sequential": True}


class UnknownAcqfOptimizerError(ValueError):
    """A name that is neither registered nor an importable `package.module:function`."""


@dataclass(frozen=True)
class AcqfTask:
    """What an acquisition optimizer may depend on besides the acquisition function: the task's parameters.

    Attributes:
        q: Candidates per call.
        paper_starts: Random starts of `lbfgs-paper` (the paper: 20 for digits, 100 for Alpine1).
        paper_iterations: Iterations of `gennes` (the paper: 20 for digits, 30 for Alpine1).
        dim: Dimension of the search space, when the task fixes it: `optimize_acqf_gennes`'s recorded settings then
            name the pipeline its policy picks (None: "auto", the policy deciding per call).
        acquisition: The acquisition's name as the benchmarks spell it (`"qlognei"`, `"qucb"`, ...), when the task
            fixes it: with `dim`, the recorded settings then name the batch strategy the policy picks.
    """

    q: int = 1
    paper_starts: int = 20
    paper_iterations: int = 20
    dim: int | None = None
    acquisition: str | None = None

    def __post_init__(self) -> None:
        for name in ("q", "paper_starts", "paper_iterations"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1, got {getattr(self, name)}")
        if self.dim is not None and self.dim < 1:
            raise ValueError(f"`dim` must be None or >= 1, got {self.dim}")


@dataclass(frozen=True)
class AcqfOptimizerEntry:
    """One acquisition optimizer of the registry.

    Attributes:
        name: Its name in commands, records and reports.
        factory: `task -> optimizer`, the optimizer called as `optimizer(acq_function, bounds, q)` and returning
            `(candidates q x d, values)` like `optimize_acqf`, its randomness from torch's global RNG.
        settings: `task -> JSON dict` of what the optimizer runs with, or None when unknown (an import path's
            settings are its own code's).
        description: One line for listings.
    """

    name: str
    factory: Callable[[AcqfTask], AcqfOptimizer]
    settings: Callable[[AcqfTask], dict[str, Any] | None]
    description: str = ""

    def make(self, task: AcqfTask | None = None) -> AcqfOptimizer:
        """The optimizer for `task` (default: `AcqfTask()`, q = 1 and the paper's digits budgets)."""
        return self.factory(task or AcqfTask())

    def resolved_settings(self, task: AcqfTask | None = None) -> dict[str, Any] | None:
        """What the optimizer runs with for `task`, as recorded with every run (None: unknown)."""
        return self.settings(task or AcqfTask())


ACQF_OPTIMIZERS: dict[str, AcqfOptimizerEntry] = {}
"""Every acquisition optimizer by name, the built-ins first; add one with :func:`register`."""


def register(name: str, factory: Callable[[AcqfTask], AcqfOptimizer],
             settings: Mapping[str, Any] | Callable[[AcqfTask], Mapping[str, Any] | None] | None = None, *,
             description: str = "", replace: bool = False) -> AcqfOptimizerEntry:
    """Add an acquisition optimizer to :data:`ACQF_OPTIMIZERS`, so that every command accepts its name.

    Args:
        name: Its name: no whitespace and no `:` (import paths use it).
        factory: `task -> optimizer`: given an :class:`AcqfTask`, an `(acq_function, bounds, q) ->
            (candidates, values)` callable like `optimize_acqf`, drawing its randomness from torch's global RNG.
        settings: What it runs with, recorded with every run: a JSON-serializable dict, a `task -> dict`
            function when it depends on the task, or None (recorded as unknown).
        description: One line for listings.
        replace: Allow replacing an entry of the same name (its records then mix two settings under one name).

    Returns:
        The new entry.

    Raises:
        ValueError: For a malformed name, a non-callable `factory` or `settings`, or a name already registered
            without `replace`.
    """
    if not name or ":" in name or any(c.isspace() for c in name):
        raise ValueError(f"`name` must be non-empty, without whitespace or ':', got {name!r}")
    if name in ACQF_OPTIMIZERS and not replace:
        raise ValueError(f"`name` {name!r} is registered already; pass replace=True to replace it")
    if not callable(factory):
        raise ValueError(f"`factory` must be callable (task -> optimizer), got {type(factory).__name__}")
    if settings is not None and not isinstance(settings, Mapping) and not callable(settings):
        raise ValueError(f"`settings` must be a dict, a function of the task or None, got {type(settings).__name__}")
    entry = AcqfOptimizerEntry(name, factory, settings if callable(settings) else _constant(settings), description)
    ACQF_OPTIMIZERS[name] = entry
    return entry


def _constant(settings: Mapping[str, Any] | None) -> Callable[[AcqfTask], dict[str, Any] | None]:
    frozen = None if settings is None else dict(settings)
    return lambda task: None if frozen is None else dict(frozen)


def get_acqf_optimizer(name: str, plugins: Mapping[str, str] | None = None) -> AcqfOptimizerEntry:
    """The registry entry called `name`, or an entry for the import path `package.module:function`.

    Args:
        name: A registered name or an import path.
        plugins: `name -> module` registering it (:func:`plugin_modules` of the process that made the spec): a
            name not registered here is registered by importing its module first.

    Raises:
        UnknownAcqfOptimizerError: For a name not registered, an import path that does not import, or one that
            names something not callable; the message lists the registered names.
    """
    if name not in ACQF_OPTIMIZERS and name in (plugins or {}):
        importlib.import_module(plugins[name])
    if name in ACQF_OPTIMIZERS:
        return ACQF_OPTIMIZERS[name]
    module_name, _, attribute = name.partition(":")
    if not (module_name and attribute):
        raise UnknownAcqfOptimizerError(
            f"unknown acquisition optimizer {name!r}: use one of {', '.join(ACQF_OPTIMIZERS)}, a name added with "
            "register(), or an import path 'package.module:function'"
        )
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise UnknownAcqfOptimizerError(f"cannot import acquisition optimizer {name!r}: {err}") from err
    if not callable(function):
        raise UnknownAcqfOptimizerError(f"acquisition optimizer {name!r} is not callable")
    return AcqfOptimizerEntry(name, lambda task: partial(function, **BOTORCH_DEFAULT), lambda task: None,
                              f"{name}, called with {BOTORCH_DEFAULT}")


def plugin_modules() -> dict[str, str]:
    """Each registered name whose factory was defined outside this module and `__main__`, with that module.

    A worker process of another interpreter (a spawned process, a Dask worker) gets this mapping from the process
    that started it and passes it to :func:`get_acqf_optimizer`, which imports the module that registers a name the
    worker has not seen (the repository's `benchmarks.baselines` registers the paper's optimizers).
    """
    modules = {name: getattr(entry.factory, "__module__", None) for name, entry in ACQF_OPTIMIZERS.items()}
    return {name: module for name, module in modules.items()
            if module and module not in (__name__, "__main__", "__mp_main__")}


def describe_acqf_optimizers() -> list[tuple[str, str]]:
    """`(name, one-line description)` of every registered acquisition optimizer."""
    return [(name, entry.description) for name, entry in ACQF_OPTIMIZERS.items()]


def _gennes_settings(task: AcqfTask, *, sequential: bool = False, **fields: Any) -> dict[str, Any]:
    """The settings that `optimize_acqf_gennes(settings=AcqfSettings(**fields))` resolves to for `task`."""
    settings = AcqfSettings(**fields)
    if sequential:
        settings = settings.replace(batch_strategy="greedy")
    else:
        family = None if task.acquisition is None else acquisition_family(task.acquisition)
        settings = settings.with_strategy(task.q, task.dim, family)
    greedy = task.q > 1 and settings.batch_strategy in ("greedy", "auto", "sequential")
    record = settings.resolve(task.q, task.dim, greedy=greedy).to_dict()
    if settings.batch_strategy == "auto" and task.q > 1:
        record["batch_strategy"] = "auto"  # the task fixes no dimension or acquisition: each call's policy
    return {"sequential": True, **record} if sequential else record


def _gennes_entry(name: str, description: str, *, sequential: bool = False, retry: bool = True,
                  **fields: Any) -> None:
    """Register `optimize_acqf_gennes` with `AcqfSettings(**fields)` (and BoTorch's `sequential` / retry)."""
    extra = {"sequential": True} if sequential else {}
    if not retry:
        extra["retry_on_optimization_warning"] = False
    optimizer = partial(optimize_acqf_gennes, settings=AcqfSettings(**fields), **extra) if fields or extra else None
    register(name, lambda task: optimizer or optimize_acqf_gennes,
             lambda task: {**_gennes_settings(task, sequential=sequential, **fields),
                           **({} if retry else {"retry_on_optimization_warning": False})},
             description=description)


def random_batch(acq_function: nn.Module, bounds: Tensor, q: int) -> tuple[Tensor, Tensor]:
    """A floor, not an optimizer: `q` points drawn uniformly in the `2 x d` box (torch's global RNG), and their
    acquisition value (one evaluation), in `optimize_acqf`'s return shape `(q x d, value)`."""
    candidates = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(q, bounds.shape[1], dtype=bounds.dtype).to(bounds)
    return candidates, _batch_value(acq_function, candidates)


def sobol_batch(acq_function: nn.Module, bounds: Tensor, q: int) -> tuple[Tensor, Tensor]:
    """A floor, not an optimizer: the first `q` points of a scrambled Sobol sequence in the `2 x d` box (its
    scrambling seeded from torch's global RNG), and their acquisition value (one evaluation)."""
    seed = int(torch.randint(0, 2**31 - 1, ()).item())
    candidates = draw_sobol_samples(bounds, n=q, q=1, seed=seed).squeeze(1).to(bounds)
    return candidates, _batch_value(acq_function, candidates)


def _batch_value(acq_function: nn.Module, candidates: Tensor) -> Tensor:
    with torch.no_grad():
        return acq_function(candidates.unsqueeze(0)).squeeze(0)


_gennes_entry("gennes-hybrid", "optimize_acqf_gennes with its defaults (recommended restarts, GENNES settings and "
              "pipeline policy for q and d)")
_gennes_entry("gennes-hybrid-fresh", "optimize_acqf_gennes with a fresh raw-sample screen every greedy step "
              "(rescreen=None)", rescreen=None)
_gennes_entry("gennes-sequential", "optimize_acqf_gennes(sequential=True) with gennes-hybrid's per-step settings: no "
              "joint polish", sequential=True)
_gennes_entry("gennes-hybrid-noretry", "optimize_acqf_gennes without BoTorch's retry of a step whose polish warned",
              retry=False)
_gennes_entry("gennes-stage", "optimize_acqf_gennes with the GENNES stage in every call (pipeline='gennes')",
              pipeline="gennes")
register("botorch-default", lambda task: partial(optimize_acqf, **BOTORCH_DEFAULT), BOTORCH_DEFAULT,
         description="optimize_acqf with 20 restarts and 1024 raw samples")
register("botorch-sequential", lambda task: partial(optimize_acqf, **BOTORCH_SEQUENTIAL), BOTORCH_SEQUENTIAL,
         description="optimize_acqf with 20 restarts and 1024 raw samples, sequential=True (one point at a time)")
register("botorch-10x", lambda task: partial(optimize_acqf, **BOTORCH_10X), BOTORCH_10X,
         description="optimize_acqf with ten times the default budget: 200 restarts, 10240 raw samples")
_gennes_entry("lbfgs-same-starts", "gennes-hybrid's restarts and greedy q-batch pipeline with L-BFGS-B alone "
              "(pipeline='lbfgs', the ablation)", pipeline="lbfgs")
_gennes_entry("lbfgs-same-starts-joint", "the L-BFGS-only pipeline with the q-batch searched jointly "
              "(pipeline='lbfgs', batch_strategy='joint')", pipeline="lbfgs", batch_strategy="joint")
_gennes_entry("lbfgs-greedy-2starts", "the L-BFGS-only greedy pipeline with two restarts a step (pipeline='lbfgs', "
              "batch_strategy='greedy', num_restarts=2)", pipeline="lbfgs", batch_strategy="greedy", num_restarts=2)
_gennes_entry("lbfgs-greedy-cap15", "lbfgs-greedy-2starts with each greedy step's L-BFGS-B capped at 15 "
              "iterations (step_maxiter=15)", pipeline="lbfgs", batch_strategy="greedy", num_restarts=2,
              step_maxiter=15)
_gennes_entry("lbfgs-joint-20starts", "the L-BFGS-only joint search at BoTorch's budget (pipeline='lbfgs', "
              "batch_strategy='joint', 20 restarts, 1024 raw samples)", pipeline="lbfgs", batch_strategy="joint",
              num_restarts=20, raw_samples=1024)
_gennes_entry("lbfgs-seq-cap15-1start", "the L-BFGS-only sequential build with one restart a step, each capped at 15 "
              "L-BFGS-B iterations (pipeline='lbfgs', batch_strategy='sequential', num_restarts=1, step_maxiter=15)",
              pipeline="lbfgs", batch_strategy="sequential", num_restarts=1, step_maxiter=15)
_gennes_entry("lbfgs-seq-cap10-1start", "as lbfgs-seq-cap15-1start with each step capped at 10 iterations",
              pipeline="lbfgs", batch_strategy="sequential", num_restarts=1, step_maxiter=10)
_gennes_entry("lbfgs-seq-8starts", "the L-BFGS-only sequential build with 8 restarts a step from 1024 raw samples "
              "(pipeline='lbfgs', batch_strategy='sequential', num_restarts=8, raw_samples=1024)",
              pipeline="lbfgs", batch_strategy="sequential", num_restarts=8, raw_samples=1024)
_gennes_entry("lbfgs-seq-20starts", "the L-BFGS-only sequential build at BoTorch's per-step budget (pipeline='lbfgs', "
              "batch_strategy='sequential', num_restarts=20, raw_samples=1024)",
              pipeline="lbfgs", batch_strategy="sequential", num_restarts=20, raw_samples=1024)
register("random", lambda task: random_batch, {"batch": "uniform", "optimized": False},
         description="a floor: a uniformly random q-batch, not optimized (one acquisition evaluation)")
register("sobol", lambda task: sobol_batch, {"batch": "scrambled sobol", "optimized": False},
         description="a floor: a scrambled Sobol q-batch, not optimized (one acquisition evaluation)")


@dataclass
class AcqfRun:
    """One acquisition optimization, measured.

    Attributes:
        candidates: `q x d` candidates returned.
        value: Acquisition value of the candidates (re-evaluated, not the optimizer's claim).
        n_evals: Acquisition points evaluated (one per `q x d` batch; value-and-gradient counted once).
        wall_time: Seconds in the optimizer.
        trace: With `record=True`, `(n_evals, best value so far)` after each acquisition call.
        cpu_time: CPU seconds of this process in the optimizer (wall time is inflated on a busy machine).
    """

    candidates: Tensor
    value: float
    n_evals: int
    wall_time: float
    trace: list[tuple[int, float]] = field(default_factory=list)
    cpu_time: float = math.nan


def run_acqf_optimizer(optimizer: AcqfOptimizer, acq_function: nn.Module, bounds: Tensor, q: int, seed: int, *,
                       record: bool = False) -> AcqfRun:
    """Call `optimizer(acq_function, bounds, q)` under `manual_seed(seed)`, counting and timing it."""
    start, cpu_start = time.monotonic(), time.process_time()
    with count_acqf_evals(acq_function, record=record) as counter, manual_seed(seed):
        candidates, _ = optimizer(acq_function, bounds, q)
    wall_time, cpu_time = time.monotonic() - start, time.process_time() - cpu_start
    candidates = candidates.detach().reshape(q, bounds.shape[1])
    with torch.no_grad():
        value = float(acq_function(candidates.unsqueeze(0)).squeeze())
    return AcqfRun(candidates, value if math.isfinite(value) else -math.inf, counter.n_evals, wall_time,
                   counter.trace, cpu_time)
