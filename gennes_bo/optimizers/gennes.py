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
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gennes_bo.gennes import GennesConfig, NonFiniteObjectiveError, gennes_maximize
from gennes_bo.optimizers.base import Optimizer, UnsupportedError
from gennes_bo.optimizers.evaluation import Evaluator


class GennesOptimizer(Optimizer):
    """GENNES (generator network trained by back-propagated objective gradients) behind the `minimize` API.

    Options are the fields of :class:`~gennes_bo.gennes.GennesConfig` except `max_evals` and `n_iterations`,
    which follow from `minimize`'s `max_evals`.
    """

    name = "gennes"
    description = "GENNES: generator network trained on autograd gradients of fun (paper, Algorithm 1)"
    config_class = GennesConfig
    needs_gradient = True
    default_options = {"lr": 3e-3}  # the foundation's 1e-2 saturates the tanh output on black-box problems

    def __init__(self, bounds: Tensor, config: GennesConfig | None = None, *, max_evals: int,
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
        config = self.config.replace(max_evals=evaluator.remaining,
                                     n_iterations=max(1, math.ceil(evaluator.remaining / per_step)))

        def objective(x: Tensor) -> Tensor:
            return -evaluator.evaluate_with_grad(x)  # gennes_maximize maximizes

        try:
            result = gennes_maximize(objective, self.bounds, config, seed=self.rng,
                                     callback=lambda *_: evaluator.stop_requested)
        except NonFiniteObjectiveError as err:
            return f"stopped: {err}"
        finally:
            self.n_generations = math.ceil(evaluator.n_evals / per_step)
        return result.message


def gennes_overhead_ms(dim: int = 30, population_size: int = 20, n_steps: int = 300, seed: int = 0) -> float:
    """Milliseconds per GENNES generation spent outside the objective (sphere function, float64, CPU).

    The objective `sum(x^2)` costs microseconds, so this measures the generator forward/backward, Adam and the
    bookkeeping of `gennes_maximize` plus the standalone wrapper.
    """
    from gennes_bo.optimizers.minimize import minimize

    bounds = torch.tensor([[-1.0] * dim, [1.0] * dim], dtype=torch.float64)
    budget = n_steps * population_size
    minimize(lambda x: (x**2).sum(-1), bounds, "gennes", max_evals=10 * population_size, seed=seed)  # warm-up
    result = minimize(lambda x: (x**2).sum(-1), bounds, "gennes", max_evals=budget, seed=seed,
                      population_size=population_size)
    return 1000.0 * result.wall_time / result.n_generations
