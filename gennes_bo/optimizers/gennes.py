"""GENNES as a black-box minimizer: :class:`~gennes_bo.gennes.GennesSearch` on `-fun`, restarts, then a polish.

The objective must be differentiable by torch autograd: GENNES back-propagates `grad_x f` through the generator
(paper, Algorithm 1); every value-and-gradient query of one point counts as one evaluation, and the budget is
exact. A run restarts with fresh generators whenever the noise support has shrunk below `restart_noise` of its
initial size, and the last `polish_fraction` of the budget runs scipy L-BFGS-B from the generators' best points
(the `lbfgs` baseline's :func:`~gennes_bo.optimizers.baselines.lbfgs_runs`). Through `ask` / `tell` the
GENNES stage runs alone, and `tell` needs the gradients of the values. How the defaults were chosen:
docs/design.md#standalone-gennes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import ClassVar

import torch
from torch import Tensor

from gennes_bo.gennes import GennesConfig, GennesSearch, NonFiniteObjectiveError
from gennes_bo.optimizers.base import Optimizer, UnsupportedError, check_fraction
from gennes_bo.optimizers.baselines import LBFGSConfig, lbfgs_runs
from gennes_bo.optimizers.evaluation import Evaluator

POLISH_FRACTION = 0.1  # best of 0 / 0.05 / 0.1 / 0.2 on paper functions, d = 10 (docs/design.md#standalone-gennes)
RESTART_NOISE = 1e-3  # restart once the generator is nearly a point (docs/design.md#standalone-gennes)


@dataclass(frozen=True)
class GennesOptimizerConfig(GennesConfig):
    """:class:`~gennes_bo.gennes.GennesConfig` plus the standalone restarts and polish stage.

    `max_evals` follows from `minimize`'s budget, and `n_polish` belongs to the BoTorch layer: both must be left
    unset here.

    Attributes:
        lr: Adam learning rate (lower than the BoTorch layer's).
        n_iterations: Optional cap on the Adam steps of one GENNES run (a restart follows); None: runs end only
            by `restart_noise` or the budget.
        polish_fraction: Share of the budget, in [0, 1), kept for L-BFGS-B runs from the generators' best points
            after GENNES (0 disables the polish). `polish_maxiter` caps the iterations of one run.
        restart_noise: Restart GENNES with freshly initialized generators each time the noise support (the
            schedule's value) falls below this fraction of its initial value, until the budget before the polish
            is spent; the polish then starts from the best points of all runs. None: no such restarts.
        restart_slowdown: How many times more slowly each run anneals than the one before: run k (from 0)
            decays its noise by `alpha ** (1 / restart_slowdown ** k)` per step, so with `restart_noise` it lasts
            `restart_slowdown ** k` times as many steps, the way IPOP-CMA-ES grows its population at each restart.
            1 (default): every run at `alpha`. Needs the exponential schedule (`schedule` None).
    """

    n_iterations: int | None = None
    lr: float = 3e-3  # 1e-2 saturates the tanh output on black-box problems (docs/design.md#standalone-gennes)
    polish_fraction: float = POLISH_FRACTION
    restart_noise: float | None = RESTART_NOISE
    restart_slowdown: float = 1.0
    optional_counts: ClassVar[tuple[str, ...]] = ("noise_dim", "max_evals", "n_iterations")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_evals is not None:
            raise ValueError("`max_evals` is set by minimize(max_evals=...); do not pass it as a GENNES option")
        if self.n_polish != 0:
            raise ValueError(f"`n_polish` is a setting of the BoTorch layer, got {self.n_polish!r}; the standalone "
                             "polish is set by `polish_fraction` and `polish_maxiter`")
        check_fraction("polish_fraction", self.polish_fraction, low_open=False, high_open=True)
        if self.restart_noise is not None:
            check_fraction("restart_noise", self.restart_noise, low_open=True, high_open=True)
        slowdown = self.restart_slowdown
        if isinstance(slowdown, bool) or not isinstance(slowdown, (int, float)) or not 1.0 <= slowdown < math.inf:
            raise ValueError(f"`restart_slowdown` must be a finite number >= 1, got {slowdown!r}")
        if slowdown != 1.0 and self.schedule is not None:
            raise ValueError("`restart_slowdown` slows the exponential schedule's alpha; it cannot change a custom "
                             "`schedule`: leave one of them unset")


class GennesOptimizer(Optimizer):
    """GENNES (generator network trained by back-propagated objective gradients) behind the `minimize` API.

    Options are the fields of :class:`GennesOptimizerConfig`. With `minimize`, `fun` must be differentiable by
    torch autograd. With `ask` / `tell`, evaluate the asked points anywhere and tell their values and
    gradients: `tell(x, y, grad)`; the polish stage is then not run.
    """

    name = "gennes"
    description = "GENNES: generator network trained on autograd gradients of fun (paper, Algorithm 1)"
    config_class = GennesOptimizerConfig
    needs_gradient = True

    def __init__(self, bounds: Tensor, config: GennesOptimizerConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        self.searches: list[GennesSearch] = []
        self._asked: Tensor | None = None
        self._told = 0

    # -- ask / tell (the GENNES stage alone) -------------------------------------------------------------------
    def ask(self) -> Tensor:
        """The next population of the current GENNES run (a fresh run after a restart).

        Returns:
            `n x d` points inside the bounds.
        """
        search = self._current_search(self.max_evals - self._told)
        self._asked = search.ask().detach()
        return self._asked.clone()

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        """Report the values to minimize and their gradients at the asked points.

        Args:
            x: `n x d` points, as returned by the last :meth:`ask`.
            y: `n` values of `fun` at `x` (NaN/inf allowed).
            grad: `n x d` gradients of `fun` at `x`; GENNES trains on them, so they are required.
        """
        if grad is None:
            raise UnsupportedError("method 'gennes' trains on gradients: call tell(x, y, grad) with grad = d fun / "
                                   "dx at the asked points, or run it through minimize()")
        if self._asked is None or x.shape != self._asked.shape or not torch.equal(x.to(self._asked), self._asked):
            raise ValueError("`x` must be the points of the last ask()")
        y = torch.as_tensor(y, dtype=self.dtype)
        self.searches[-1].tell(-y, gradients=-torch.as_tensor(grad, dtype=self.dtype))
        self._told += x.shape[0]
        self._asked = None
        self.n_generations += 1

    # -- minimize() ---------------------------------------------------------------------------------------------
    def run(self, evaluator: Evaluator) -> str:
        polish_budget = math.floor(self.config.polish_fraction * evaluator.remaining)
        gennes_end = evaluator.n_evals + max(evaluator.remaining - polish_budget, 1)
        message = None
        while evaluator.n_evals < gennes_end and not evaluator.exhausted:
            search = self._current_search(gennes_end - evaluator.n_evals)
            try:
                search.tell(-evaluator.evaluate_with_grad(search.ask()))  # GENNES maximizes
            except NonFiniteObjectiveError as err:  # minimize() reports it for every method alike
                return f"stopped: {err}"
            self.n_generations += 1
            message = search.stop_reason()
        if evaluator.stop_requested:
            return "stopped by callback"
        if evaluator.exhausted:
            return message or f"reached max_evals={evaluator.max_evals}"
        n_runs = lbfgs_runs(evaluator, self.bounds, self.polish_starts(),
                            LBFGSConfig(maxiter=self.config.polish_maxiter))
        if evaluator.stop_requested:
            return "stopped by callback"
        return f"reached max_evals={evaluator.max_evals} ({n_runs} L-BFGS-B polish runs)"

    def polish_starts(self) -> Iterator[Tensor]:
        """Unit-cube starts of the polish: each generator's best point over all runs (best first), then uniform
        points."""
        points = torch.cat([search.generator_x for search in self.searches])
        values = torch.cat([search.generator_values for search in self.searches])
        finite = torch.isfinite(values)
        order = torch.argsort(values.masked_fill(~finite, -math.inf), descending=True)
        for k in order[: int(finite.sum())].tolist():
            yield self.to_unit(points[k].unsqueeze(0))[0]
        while True:
            yield self.uniform(1)[0]

    def _current_search(self, budget: int) -> GennesSearch:
        """The running search, or a fresh one (with `budget` evaluations at most) when it is over or restarts."""
        search = self.searches[-1] if self.searches else None
        restart = self.config.restart_noise
        if search is None or search.done or (restart is not None and search.noise_ratio < restart):
            per_step = self.config.n_generators * self.config.population_size
            steps = math.ceil(budget / per_step)
            if self.config.n_iterations is not None:
                steps = min(steps, self.config.n_iterations)
            alpha = self.config.alpha ** (1.0 / self.config.restart_slowdown ** len(self.searches))
            run_config = GennesConfig(**{**_base_fields(self.config), "max_evals": budget, "n_iterations": steps,
                                         "alpha": alpha})
            search = GennesSearch(self.bounds, run_config, seed=self.rng)
            self.searches.append(search)
        return search


def _base_fields(config: GennesOptimizerConfig) -> dict:
    """The :class:`~gennes_bo.gennes.GennesConfig` fields of a standalone configuration."""
    return {f.name: getattr(config, f.name) for f in fields(GennesConfig)}
