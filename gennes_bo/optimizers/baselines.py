"""Baselines of the paper, wrapped (never re-implemented) behind the ask/tell interface: aCMA-ES (pycma),
BIPOP-aCMA-ES (pycma's `fmin2` restarts), sNES (evotorch), repeated L-BFGS-B (scipy, autograd gradients) and
uniform random search.

aCMA-ES and sNES start at a uniform random mean with a step size covering the domain (paper, Appendix A); they
search the unit cube, which the wrappers map to the box.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gennes_bo.optimizers.base import (
    Optimizer,
    UnsupportedError,
    check_fraction,
    check_positive,
    check_positive_int,
    finite_or_worst,
    nan_to_worst,
)
from gennes_bo.optimizers.evaluation import Evaluator


@dataclass(frozen=True)
class ACMAConfig:
    """Options of aCMA-ES.

    Attributes:
        population_size: CMA-ES `popsize` (the paper uses 20).
        sigma0: Initial step size as a fraction of the box width.
        active: Active covariance-matrix update (`CMA_active`).
        restarts: Restart from a new random mean when pycma's termination criteria fire before the budget; without
            restarts the run ends there, converged (`success=True`).
        cma_options: Extra pycma options passed as they are (pycma checks their names).
    """

    population_size: int = 20
    sigma0: float = 0.3
    active: bool = True
    restarts: bool = True
    cma_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_positive_int("population_size", self.population_size, 2)
        check_fraction("sigma0", self.sigma0)


class ACMAES(Optimizer):
    """aCMA-ES from `cma` (pycma), bounded to the box by pycma's boundary transformation."""

    name = "acma"
    description = "aCMA-ES (pycma, active covariance update, population 20), restarts at pycma termination"
    config_class = ACMAConfig

    def __init__(self, bounds: Tensor, config: ACMAConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        import cma  # optional dependency (extra "baselines")

        self._cma = cma
        self._np_state = np.random.RandomState(int(torch.randint(2**31 - 1, (1,), generator=self.rng))).get_state()
        self._solutions: list[np.ndarray] = []
        self.n_restarts = -1
        self._start()

    @contextmanager
    def _own_numpy_state(self) -> Iterator[None]:
        """pycma draws from numpy's global generator: give it a private state so runs are reproducible."""
        saved = np.random.get_state()
        np.random.set_state(self._np_state)
        try:
            yield
        finally:
            self._np_state = np.random.get_state()
            np.random.set_state(saved)

    def _start(self) -> None:
        cfg = self.config
        options = {"bounds": [0.0, 1.0], "CMA_active": cfg.active, "popsize": cfg.population_size,
                   "verbose": -9, "verb_log": 0, "verb_disp": 0, "maxfevals": math.inf,
                   "seed": int(torch.randint(1, 2**31 - 1, (1,), generator=self.rng)), **cfg.cma_options}
        # pycma fails on 1-D problems (its sigma_vec is never initialized): pad with a coordinate fun ignores.
        x0 = torch.rand(max(self.dim, 2), generator=self.rng, dtype=self.dtype).tolist()
        with self._own_numpy_state():
            self.es = self._cma.CMAEvolutionStrategy(x0, cfg.sigma0, options)
        self.n_restarts += 1

    def ask(self) -> Tensor:
        if self.config.restarts and self.es.stop():
            self._start()
        with self._own_numpy_state():
            self._solutions = self.es.ask()
        return self.to_box(torch.tensor(np.array(self._solutions)[:, : self.dim], dtype=self.dtype))

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        values = finite_or_worst(nan_to_worst(y.to(self.dtype))).tolist()
        with self._own_numpy_state():
            self.es.tell(self._solutions, values)

    def convergence(self) -> str | None:
        if self.config.restarts:
            return None
        stop = self.es.stop()
        return f"pycma termination: {', '.join(sorted(stop))}" if stop else None


@dataclass(frozen=True)
class BIPOPConfig:
    """Options of BIPOP-aCMA-ES.

    Attributes:
        population_size: Population of the first run (the default regime's `popsize`; the paper's 20).
        sigma0: Initial step size of the first run as a fraction of the box width.
        active: Active covariance-matrix update (`CMA_active`).
        max_restarts: pycma's `restarts`: the most large-population restarts (small-population runs of the
            BIPOP regime are not counted, as in pycma); the evaluation budget ends the run first in practice.
        cma_options: Extra pycma options passed as they are (pycma checks their names).
    """

    population_size: int = 20
    sigma0: float = 0.3
    active: bool = True
    max_restarts: int = 100
    cma_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_positive_int("population_size", self.population_size, 2)
        check_fraction("sigma0", self.sigma0)
        check_positive_int("max_restarts", self.max_restarts, 0)


class BIPOPACMAES(Optimizer):
    """BIPOP-aCMA-ES: pycma's `fmin2(..., restarts=..., bipop=True)` with the active update, started like the
    `acma` baseline (a uniform random mean at each restart, step size `sigma0` of the box width, population 20
    in the first run) and cut at exactly `max_evals` evaluations. pycma alternates restarts with a doubled
    population and restarts with a small random population and step size (Hansen, 2009).

    pycma drives the loop, so the method runs through `minimize()` only (no `ask` / `tell`).
    """

    name = "bipop-acma"
    description = "BIPOP-aCMA-ES (pycma fmin2 restarts with bipop=True, active update, first population 20)"
    config_class = BIPOPConfig

    def ask(self) -> Tensor:
        raise UnsupportedError("method 'bipop-acma' runs pycma's own restart loop; run it through minimize()")

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        raise UnsupportedError("method 'bipop-acma' runs pycma's own restart loop; run it through minimize()")

    def run(self, evaluator: Evaluator) -> str:
        import cma  # optional dependency (extra "baselines")

        cfg = self.config
        padded = max(self.dim, 2)  # pycma fails on 1-D problems: pad with a coordinate fun ignores (as `acma`)
        options = {"bounds": [0.0, 1.0], "CMA_active": cfg.active, "popsize": cfg.population_size,
                   "verbose": -9, "verb_log": 0, "verb_disp": 0, "maxfevals": evaluator.max_evals,
                   "seed": int(torch.randint(1, 2**31 - 1, (1,), generator=self.rng)), **cfg.cma_options}

        def start() -> np.ndarray:  # pycma calls it again at each restart: a fresh uniform mean
            return torch.rand(padded, generator=self.rng, dtype=self.dtype).numpy()

        def population_values(solutions: list[np.ndarray]) -> list[float]:
            if evaluator.exhausted:
                raise _BudgetSpent
            x = self.to_box(torch.tensor(np.array(solutions)[:, : self.dim], dtype=self.dtype))
            y = evaluator.evaluate(x)
            self.n_generations += 1
            if y.shape[0] < x.shape[0] or evaluator.exhausted:
                raise _BudgetSpent  # the budget ended inside this population: its points count, the run ends
            return finite_or_worst(y).tolist()

        saved = np.random.get_state()  # pycma draws from numpy's global generator: keep the caller's state
        try:
            cma.fmin2(None, start, cfg.sigma0, options, restarts=cfg.max_restarts, bipop=True,
                      parallel_objective=population_values)
        except _BudgetSpent:
            pass
        finally:
            np.random.set_state(saved)
        return "stopped by callback" if evaluator.stop_requested else f"reached max_evals={evaluator.max_evals}"


@dataclass(frozen=True)
class SNESConfig:
    """Options of sNES.

    Attributes:
        population_size: Samples per generation (the paper uses 20).
        stdev_init: Initial standard deviation as a fraction of the box width.
        center_learning_rate: Learning rate of the mean (evotorch's default is 1.0).
        stdev_learning_rate: Multiplier of the standard-deviation learning rate `(3 + ln d) / (5 sqrt(d))` of
            Schaul et al. (2011), as evotorch's `stdev_learning_rate` with `scale_learning_rate=True`
            (None: 1).
    """

    population_size: int = 20
    stdev_init: float = 0.3
    center_learning_rate: float = 1.0
    stdev_learning_rate: float | None = None

    def __post_init__(self) -> None:
        check_positive_int("population_size", self.population_size, 2)
        check_fraction("stdev_init", self.stdev_init)
        check_positive("center_learning_rate", self.center_learning_rate)
        if self.stdev_learning_rate is not None:
            check_positive("stdev_learning_rate", self.stdev_learning_rate)


def snes_stdev_learning_rate(dim: int) -> float:
    """The default standard-deviation learning rate of sNES, `(3 + ln d) / (5 sqrt(d))` (Schaul et al., 2011)."""
    return 0.2 * (3 + math.log(dim)) / math.sqrt(dim)


class SNES(Optimizer):
    """Separable NES on evotorch's public search distribution (`evotorch.distributions.ExpSeparableGaussian`,
    the one `evotorch.algorithms.SNES` uses), driven ask/tell: NES utilities ranking, exponential update of the
    standard deviations. Samples are clipped to the box for evaluation while the distribution is updated with
    the unclipped samples.

    Attributes:
        distribution: The current search distribution over the unit cube (`mu`, `sigma`: `d` tensors).
    """

    name = "snes"
    description = "sNES (evotorch's separable Gaussian, population 20), samples clipped to the box"
    config_class = SNESConfig

    def __init__(self, bounds: Tensor, config: SNESConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        from evotorch.distributions import ExpSeparableGaussian

        cfg = self.config
        self._sampler = torch.Generator().manual_seed(int(torch.randint(2**31 - 1, (1,), generator=self.rng)))
        center = self.uniform(1)[0]
        stdev = torch.full((self.dim,), cfg.stdev_init, dtype=self.dtype)
        self.distribution = ExpSeparableGaussian({"mu": center, "sigma": stdev}, dtype=self.dtype)
        stdev_scale = 1.0 if cfg.stdev_learning_rate is None else cfg.stdev_learning_rate
        self._learning_rates = {"mu": cfg.center_learning_rate,
                                "sigma": stdev_scale * snes_stdev_learning_rate(self.dim)}
        self._samples: Tensor | None = None

    def ask(self) -> Tensor:
        self._samples = self.distribution.sample(self.config.population_size, generator=self._sampler)
        return self.to_box(self._samples.clamp(0.0, 1.0))

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        if self._samples is None or self._samples.shape[0] != y.shape[0]:
            raise ValueError(f"`tell` expects the {self.config.population_size} points of the last `ask`")
        fitness = finite_or_worst(nan_to_worst(y.to(self.dtype)))
        gradients = self.distribution.compute_gradients(self._samples, fitness, objective_sense="min",
                                                        ranking_method="nes")
        self.distribution = self.distribution.update_parameters(gradients, learning_rates=self._learning_rates)
        self._samples = None


@dataclass(frozen=True)
class LBFGSConfig:
    """Options of repeated L-BFGS-B.

    Attributes:
        maxiter: Iteration cap of one L-BFGS-B run.
        gtol: Projected-gradient tolerance of one run (the paper's baseline stops at 1e-5).
        ftol: Relative function-decrease tolerance of one run.
    """

    maxiter: int = 1000
    gtol: float = 1e-5
    ftol: float = 1e-12

    def __post_init__(self) -> None:
        check_positive_int("maxiter", self.maxiter)
        check_positive("gtol", self.gtol)
        check_positive("ftol", self.ftol)


class _BudgetSpent(Exception):
    """Raised inside scipy's callback to end the current L-BFGS-B run when the budget is spent."""


def lbfgs_runs(evaluator: Evaluator, bounds: Tensor, starts: Iterable[Tensor], config: LBFGSConfig) -> int:
    """Run scipy L-BFGS-B (autograd gradients) from each start in turn until the starts or the budget run out.

    Every value-and-gradient query goes through `evaluator` (one evaluation per point), so the budget is exact;
    a run is cut when the budget is spent. Also used by the standalone `gennes` to polish its best points.

    Args:
        evaluator: The run's evaluator (minimization sign).
        bounds: `2 x d` bounds; the runs work in the unit cube mapped to them.
        starts: `d` unit-cube starting points (may be an endless iterator).
        config: Iteration cap and tolerances of one run.

    Returns:
        The number of runs started.
    """
    from scipy.optimize import minimize as scipy_minimize

    lower, width = bounds[0], bounds[1] - bounds[0]

    def value_and_grad(u: np.ndarray) -> tuple[float, np.ndarray]:
        if evaluator.exhausted:
            raise _BudgetSpent
        unit = torch.tensor(u, dtype=bounds.dtype, requires_grad=True)
        value = evaluator.evaluate_with_grad((lower + width * unit).unsqueeze(0))[0]
        if not torch.isfinite(value) or not value.requires_grad:
            return math.inf, np.zeros_like(u)
        (grad,) = torch.autograd.grad(value, unit)
        return float(value.detach()), torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0).numpy()

    n_runs = 0
    for start in starts:
        if evaluator.exhausted:
            break
        n_runs += 1
        try:
            scipy_minimize(value_and_grad, start.detach().to(bounds.dtype).numpy(), jac=True, method="L-BFGS-B",
                           bounds=[(0.0, 1.0)] * bounds.shape[1],
                           options={"maxiter": config.maxiter, "gtol": config.gtol, "ftol": config.ftol})
        except _BudgetSpent:
            break
    return n_runs


class RepeatedLBFGS(Optimizer):
    """scipy L-BFGS-B with autograd gradients, restarted from uniform random points until the budget is spent."""

    name = "lbfgs"
    description = "repeated L-BFGS-B (scipy, autograd gradients) from uniform random starts until the budget"
    config_class = LBFGSConfig
    needs_gradient = True

    def ask(self) -> Tensor:
        raise UnsupportedError("method 'lbfgs' needs gradients of `fun`; run it through minimize()")

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        raise UnsupportedError("method 'lbfgs' needs gradients of `fun`; run it through minimize()")

    def run(self, evaluator: Evaluator) -> str:
        self.n_generations += lbfgs_runs(evaluator, self.bounds, self.uniform_starts(), self.config)
        return "stopped by callback" if evaluator.stop_requested else f"reached max_evals={evaluator.max_evals}"

    def uniform_starts(self) -> Iterator[Tensor]:
        """Endless `d` uniform unit-cube points from the optimizer's generator."""
        while True:
            yield self.uniform(1)[0]


@dataclass(frozen=True)
class RandomSearchConfig:
    """Options of random search.

    Attributes:
        batch_size: Uniform points per generation.
    """

    batch_size: int = 100

    def __post_init__(self) -> None:
        check_positive_int("batch_size", self.batch_size)


class RandomSearch(Optimizer):
    """Uniform random search over the box."""

    name = "random"
    description = "uniform random search over the box"
    config_class = RandomSearchConfig

    def ask(self) -> Tensor:
        return self.to_box(self.uniform(self.config.batch_size))

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        """Random search learns nothing."""
