"""The ask/tell `Optimizer` base class, the typed `OptimizeResult`, and the option-validation helpers.

Every standalone optimizer searches the unit cube `[0, 1]^d` internally and maps points to the user's box only
at the boundary (`ask` returns points in the box, `tell` receives them back). Zero-order methods implement
`ask`/`tell` and inherit the generic loop :meth:`Optimizer.run`; gradient-based methods (`gennes`, `lbfgs`)
need values *and* gradients of the objective, so they override :meth:`Optimizer.run` and drive the evaluation
themselves through the same :class:`~gennes_bo.optimizers.evaluation.Evaluator`, which counts every point.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from gennes_bo.gennes.search import renamed

if TYPE_CHECKING:
    from gennes_bo.optimizers.evaluation import Evaluator


class UnsupportedError(ValueError):
    """Raised when an optimizer is asked for something it cannot do (e.g. `ask` on a gradient method)."""


@dataclass
class OptimizeResult:
    """Outcome of :func:`~gennes_bo.optimizers.minimize`, with `scipy.optimize.OptimizeResult`'s names.

    Attributes:
        x: `d` best point found (in the box).
        fun: Objective value at `x` (in the user's sign: the maximum when `maximize=True`).
        nfev: Objective evaluations (points); a value-and-gradient query of one point counts once.
        nit: Generations (`tell` calls) of a population method; Adam steps of `gennes`; L-BFGS runs started by
            `lbfgs`.
        success: scipy's meaning: whether the method's own convergence test ended the run with a finite value. A
            run that ends by `max_evals` (most methods here have no convergence test) or by a callback is not a
            success; `message` says which.
        message: Why the run stopped.
        history: `(nfev, best fun so far)` at every improvement and at the end (a step function).
        n_failed: Evaluations that raised (with `on_error="inf"`) or returned NaN/inf.
        wall_time: Seconds spent.
    """

    x: Tensor
    fun: float
    nfev: int
    nit: int
    success: bool = True
    message: str = ""
    history: list[tuple[int, float]] = field(default_factory=list)
    n_failed: int = 0
    wall_time: float = 0.0

    # Former names, kept readable for code written against them.
    n_evals = property(lambda self: renamed(self, "n_evals", "nfev"))
    n_generations = property(lambda self: renamed(self, "n_generations", "nit"))


def check_options(config_class: type, options: dict[str, Any], method: str) -> Any:
    """Build `config_class(**options)`, naming the method and the known options when a name is unknown."""
    known = {f.name for f in fields(config_class)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for method {method!r}; known options: {sorted(known)}")
    return config_class(**options)


def option_defaults(config_class: type) -> dict[str, Any]:
    """`{name: default}` of a config dataclass (for documentation and the CLI)."""
    return {f.name: f.default for f in fields(config_class) if f.default is not MISSING}


def check_positive_int(name: str, value: Any, minimum: int = 1) -> None:
    """Raise `ValueError` naming `name` unless `value` is an integer >= `minimum`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}")


def check_positive(name: str, value: Any) -> None:
    """Raise `ValueError` naming `name` unless `value` is a finite number > 0."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be a finite number > 0, got {value!r}")


def check_bool(name: str, value: Any) -> None:
    """Raise `ValueError` naming `name` unless `value` is a bool."""
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {value!r}")


def check_fraction(name: str, value: Any, *, low_open: bool = True, high_open: bool = False) -> None:
    """Raise `ValueError` naming `name` unless `value` lies in the interval from 0 to 1 (ends as given)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > 0 if low_open else value >= 0) and (value < 1 if high_open else value <= 1)
    if not ok:
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(f"`{name}` must be in {interval}, got {value!r}")


def make_rng(seed: int | None) -> torch.Generator:
    """A CPU `torch.Generator` seeded with `seed` (or from fresh entropy when `seed` is None)."""
    rng = torch.Generator()
    if seed is None:
        rng.seed()
    else:
        rng.manual_seed(seed)
    return rng


def nan_to_worst(values: Tensor) -> Tensor:
    """Replace NaN by +inf (the worst value of a minimization), keeping +-inf as they are."""
    return torch.where(torch.isnan(values), torch.full_like(values, math.inf), values)


def finite_or_worst(values: Tensor) -> Tensor:
    """Replace NaN/inf values (minimization) by the worst finite value, or 0 when none is finite.

    Args:
        values: `n` objective values.

    Returns:
        `n` finite values, so that normalizations and regressions never see NaN.
    """
    finite = torch.isfinite(values)
    if finite.all():
        return values
    worst = values[finite].max() if finite.any() else values.new_zeros(())
    return torch.where(finite, values, worst)


class Optimizer(ABC):
    """Ask/tell base class of the standalone minimizers (pycma / nevergrad style).

    Subclasses set the class attributes `name`, `description` (one line, shown by `gennes-bo list`) and
    `config_class` (a frozen dataclass of the method's options), and implement :meth:`ask` and :meth:`tell`.

    Args:
        bounds: `2 x d` tensor of lower and upper bounds.
        config: The method's options (an instance of `config_class`); defaults to `config_class()`.
        max_evals: The evaluation budget of the run (methods use it to set budget-aware schedules).
        seed: Integer seed; same seed, same sequence of points.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    config_class: ClassVar[type]
    needs_gradient: ClassVar[bool] = False
    default_options: ClassVar[dict[str, Any]] = {}  # overrides of `config_class` defaults for this method

    def __init__(self, bounds: Tensor, config: Any = None, *, max_evals: int, seed: int | None = None) -> None:
        from gennes_bo.gennes.search import check_bounds

        check_bounds(bounds)
        check_positive_int("max_evals", max_evals)
        self.bounds = bounds
        self.dim = bounds.shape[1]
        self.dtype = bounds.dtype
        self.config = config if config is not None else self.config_class(**self.default_options)
        if not isinstance(self.config, self.config_class):
            raise TypeError(f"`config` must be a {self.config_class.__name__}, got {type(self.config).__name__}")
        self.max_evals = max_evals
        self.seed = seed
        self.rng = make_rng(seed)
        self.n_generations = 0
        self.converged = False  # set when the method's own convergence test ends the run (scipy's `success`)

    # -- coordinates -------------------------------------------------------------------------------------------
    def to_box(self, unit: Tensor) -> Tensor:
        """Map `n x d` unit-cube points into the box (clamped, so rounding never leaves it)."""
        lower, upper = self.bounds[0], self.bounds[1]
        return torch.minimum(torch.maximum(lower + (upper - lower) * unit.to(self.bounds), lower), upper)

    def to_unit(self, x: Tensor) -> Tensor:
        """Map `n x d` box points into the unit cube."""
        lower, upper = self.bounds[0], self.bounds[1]
        return ((x.to(self.bounds) - lower) / (upper - lower)).clamp(0.0, 1.0)

    def uniform(self, n: int) -> Tensor:
        """`n x d` uniform points of the unit cube from the optimizer's generator."""
        return torch.rand(n, self.dim, generator=self.rng, dtype=self.dtype)

    # -- ask / tell --------------------------------------------------------------------------------------------
    @abstractmethod
    def ask(self) -> Tensor:
        """Points to evaluate next.

        Returns:
            `n x d` points inside the bounds.
        """

    @abstractmethod
    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        """Report objective values (to be minimized; NaN/inf allowed and treated as worst).

        One protocol for every method: zero-order methods ignore `grad`; gradient methods (`gennes`) need it.

        Args:
            x: `n x d` points, as returned by the last :meth:`ask`.
            y: `n` objective values at `x`.
            grad: `n x d` gradients of the objective at `x`, or None.
        """

    def convergence(self) -> str | None:
        """Why the method has converged by its own test (then :meth:`run` stops), or None; default: never."""
        return None

    def run(self, evaluator: Evaluator) -> str:
        """Ask, evaluate, tell until the budget, a stop request or :meth:`convergence`; return the stop message.

        The last population may be cut to the remaining budget: its points are evaluated (and can be the best
        found) but not told, since the run ends there.
        """
        while not evaluator.exhausted:
            x = self.ask()
            y = evaluator.evaluate(x)
            if y.shape[0] == x.shape[0]:
                self.tell(x, y)
                self.n_generations += 1
            if evaluator.stop_requested:
                return "stopped by callback"
            reason = self.convergence()
            if reason is not None:
                self.converged = True
                return reason
        return f"reached max_evals={evaluator.max_evals}"
