"""GENNES as a black-box minimizer: `gennes_maximize` (the project's one implementation) on `-fun`.

The objective must be differentiable by torch autograd: GENNES back-propagates `grad_x f` through the generator
(paper, Algorithm 1); every value-and-gradient query of one point counts as one evaluation, and the budget is
exact because `GennesConfig.max_evals` is set to what is left of it. Defaults are the black-box settings of the
paper where they are cheap: population `N = 20`, noise decay `alpha = 0.99` per step (the paper's value in all
experiments; ~0.999 suits very multimodal functions), uniform noise of dimension `p = d` (capped at 32), and
the Appendix-B initialization so that the first samples cover the box. The network is the foundation's default
(2 hidden leaky-ReLU layers of 64) rather than the original 5 x 128, which keeps the overhead per generation
near 1-2 ms at `d = 30` (docs/benchmarks/standalone.md); Adam's learning rate is 3e-3 (on the five translated
paper functions at d = 10 it beat 1e-2, which drives the tanh output into saturation, 1e-3 and 3e-4).

Polish (`polish_fraction`): annealed GENNES ends as gradient descent on its best particle (paper, Section 3), but
with a finite budget it stops short of it: Adam's steps stay ~`lr` in parameter space and the best point is
often a sample of the exploration phase that no generator converged onto (on the 1-D wave the generators end on
other peaks or saturated at the box edges; the best sample is 5e-3 to 2e-2 from the maximum). The last
`polish_fraction` of the budget therefore runs scipy L-BFGS-B (the `lbfgs` baseline's
:func:`~gennes_bo.optimizers.baselines.lbfgs_runs`, capped at `polish_maxiter` iterations a run) from the
generators' best points, best first, then from uniform random points if budget is still left, every query
counted by the same evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from gennes_bo.gennes import GennesConfig, GennesResult, NonFiniteObjectiveError, gennes_maximize
from gennes_bo.optimizers.base import Optimizer, UnsupportedError, check_fraction
from gennes_bo.optimizers.baselines import LBFGSConfig, lbfgs_runs
from gennes_bo.optimizers.evaluation import Evaluator

# Mean regret, paper functions at d = 10, 1e4 evaluations, seeds 0-2, polish_fraction 0 / 0.05 / 0.1 / 0.2:
# rastrigin 8.95 / 7.96 / 8.33 / 8.29, ackley 0.0375 / 7e-13 / 7e-13 / 7e-13, styblinski_tang 29 / 18.8 / 14.1 /
# 9.42, schwefel 2140 / 1690 / 1380 / 1580, alpine1 5.6e-3 / 1.5e-4 / 1.5e-4 / 7.4e-4.
POLISH_FRACTION = 0.1
# Restart once the noise support alpha^t has shrunk 1000x: the generator is then a point, and the remaining budget
# explores better as a fresh generator (Table 1 d = 10, folds 0-2, 1e5 evaluations, lr 1e-3, no restart / 1e-2 /
# 1e-3: Rastrigin 2.32 / 1.33 / 0.995, Schwefel 893 / 767 / 838, Styblinski-Tang 9.42 in all three, Ackley 0).
RESTART_NOISE = 1e-3


@dataclass(frozen=True)
class GennesOptimizerConfig(GennesConfig):
    """:class:`~gennes_bo.gennes.GennesConfig` plus the standalone polish stage.

    Attributes:
        polish_fraction: Share of the budget, in [0, 1), kept for L-BFGS-B runs from the generators' best points
            after GENNES (0 disables the polish). `polish_maxiter` caps the iterations of one run; `n_polish`
            (the BoTorch layer's setting) is not used here.
        restart_noise: Restart GENNES with freshly initialized generators each time the noise support
            `alpha^t` falls below this fraction of its initial value (`steps_per_run()` steps), until the
            budget before the polish is spent; the polish then starts from the best points of all runs. None:
            one run for the whole budget. Needs the exponential schedule (no custom `schedule`).
    """

    polish_fraction: float = POLISH_FRACTION
    restart_noise: float | None = RESTART_NOISE

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("polish_fraction", self.polish_fraction, low_open=False, high_open=True)
        if self.restart_noise is not None:
            check_fraction("restart_noise", self.restart_noise, low_open=True, high_open=True)
            if self.schedule is not None:
                raise ValueError("`restart_noise` needs the exponential schedule (alpha); got a custom `schedule`")

    def steps_per_run(self) -> int | None:
        """Adam steps after which the noise support `alpha^t` falls below `restart_noise` (None: no restarts)."""
        if self.restart_noise is None:
            return None
        return max(1, math.ceil(math.log(self.restart_noise) / math.log(self.alpha)))


class GennesOptimizer(Optimizer):
    """GENNES (generator network trained by back-propagated objective gradients) behind the `minimize` API.

    Options are the fields of :class:`GennesOptimizerConfig` (those of :class:`~gennes_bo.gennes.GennesConfig`
    plus `polish_fraction`) except `max_evals` and `n_iterations`, which follow from `minimize`'s `max_evals`.
    """

    name = "gennes"
    description = "GENNES: generator network trained on autograd gradients of fun (paper, Algorithm 1)"
    config_class = GennesOptimizerConfig
    needs_gradient = True
    default_options = {"lr": 3e-3}  # the foundation's 1e-2 saturates the tanh output on black-box problems

    def __init__(self, bounds: Tensor, config: GennesOptimizerConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        if self.config.max_evals is not None:
            raise ValueError("`max_evals` is set by minimize(max_evals=...); do not pass it as a GENNES option")

    def ask(self) -> Tensor:
        raise UnsupportedError("method 'gennes' needs gradients of `fun`; run it through minimize() (it drives "
                               "the evaluations itself) rather than ask/tell")

    def tell(self, x: Tensor, y: Tensor) -> None:
        raise UnsupportedError("method 'gennes' needs gradients of `fun`; run it through minimize()")

    def run(self, evaluator: Evaluator) -> str:
        per_step = self.config.n_generators * self.config.population_size
        polish_budget = math.floor(self.config.polish_fraction * evaluator.remaining)
        gennes_budget = max(evaluator.remaining - polish_budget, 1)
        steps_per_run = self.config.steps_per_run()
        results = []

        def objective(x: Tensor) -> Tensor:
            return -evaluator.evaluate_with_grad(x)  # gennes_maximize maximizes

        try:
            while gennes_budget > 0 and not (evaluator.exhausted or evaluator.stop_requested):
                budget = gennes_budget if steps_per_run is None else min(gennes_budget, steps_per_run * per_step)
                config = self.config.replace(max_evals=budget, n_iterations=max(1, math.ceil(budget / per_step)))
                before = evaluator.n_evals
                results.append(gennes_maximize(objective, self.bounds, config, seed=self.rng,
                                               callback=lambda *_: evaluator.stop_requested))
                if evaluator.n_evals == before:  # nothing evaluated (cannot happen with a budget >= 1): no loop
                    break
                gennes_budget -= evaluator.n_evals - before
        except NonFiniteObjectiveError as err:
            if not results:
                return f"stopped: {err}"
        finally:
            self.n_generations = math.ceil(evaluator.n_evals / per_step)
        if evaluator.exhausted:
            return "stopped by callback" if evaluator.stop_requested else results[-1].message
        n_runs = lbfgs_runs(evaluator, self.bounds, self.polish_starts(results),
                            LBFGSConfig(maxiter=self.config.polish_maxiter))
        if evaluator.stop_requested:
            return "stopped by callback"
        return f"reached max_evals={evaluator.max_evals} ({n_runs} L-BFGS-B polish runs)"

    def polish_starts(self, results: list[GennesResult]) -> Iterator[Tensor]:
        """Unit-cube starts of the polish: each generator's best point over all runs (best first), then uniform
        points."""
        points = torch.cat([result.generator_x for result in results])
        values = torch.cat([result.generator_values for result in results])
        finite = torch.isfinite(values)
        order = torch.argsort(values.masked_fill(~finite, -math.inf), descending=True)
        for k in order[: int(finite.sum())].tolist():
            yield self.to_unit(points[k].unsqueeze(0))[0]
        while True:
            yield self.uniform(1)[0]


def gennes_overhead_ms(dim: int = 30, population_size: int = 20, n_steps: int = 300, seed: int = 0) -> float:
    """Milliseconds per GENNES generation spent outside the objective (sphere function, float64, CPU).

    The objective `sum(x^2)` costs microseconds, so this measures the generator forward/backward, Adam and the
    bookkeeping of `gennes_maximize` plus the standalone wrapper (without the L-BFGS-B polish stage).
    """
    from gennes_bo.optimizers.minimize import minimize

    bounds = torch.tensor([[-1.0] * dim, [1.0] * dim], dtype=torch.float64)
    budget = n_steps * population_size
    minimize(lambda x: (x**2).sum(-1), bounds, "gennes", max_evals=10 * population_size, seed=seed,
             polish_fraction=0.0)  # warm-up
    result = minimize(lambda x: (x**2).sum(-1), bounds, "gennes", max_evals=budget, seed=seed,
                      population_size=population_size, polish_fraction=0.0)
    return 1000.0 * result.wall_time / result.n_generations
