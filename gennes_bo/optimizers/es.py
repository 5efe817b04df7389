"""Evolution strategy (OpenAI-ES style): isotropic Gaussian perturbations of a mean, antithetic sampling,
fitness shaping, and Adam or SGD on the mean.

The search runs in the unit cube. With `eps_i ~ N(0, I)` and step size `sigma`, the gradient of
`E[f(mu + sigma eps)]` is estimated by `(1 / (n sigma)) sum_i s_i eps_i` (score-function estimate), where `s_i`
are shaped values: centered ranks in [-0.5, 0.5] or standardized values. Samples `mu +/- sigma eps_i` are
mirrored (antithetic), which cancels the estimate's even-order noise. Box handling: samples are clipped to the
box for evaluation (the estimate keeps the unclipped noise) and the mean is clamped into the box after each step.
`sigma` decays geometrically to `final_sigma` over the budget, and the mean's learning rate follows it
(`lr * sigma_t / sigma_0`): Adam's step has size ~`lr` whatever the gradient, so with a fixed `lr` the mean keeps
jumping by ~`lr` around the optimum once `sigma` has shrunk below it, and the final precision is that of the
best lucky sample. Measured (d = 10, 1e4 evaluations, seeds 0-2, fixed -> following `lr`): Ackley regret 2.41 ->
0.048, Rastrigin 24 -> 18.7, Alpine1 2.28 -> 0.52; on the 1-D wave, once on the right peak, |x - argmax| ~1e-4
-> ~1e-7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from gennes_bo.gennes.schedules import decay_to
from gennes_bo.optimizers.base import (
    Optimizer,
    check_bool,
    check_fraction,
    check_positive,
    check_positive_int,
    finite_or_worst,
    nan_to_worst,
)

Shaping = Literal["rank", "normalize"]


@dataclass(frozen=True)
class ESConfig:
    """Options of the evolution strategy.

    Attributes:
        population_size: Samples per generation (even: `population_size / 2` mirrored pairs when antithetic).
        sigma: Initial perturbation standard deviation, as a fraction of the box width.
        final_sigma: Standard deviation at the end of the budget (geometric decay); equal to `sigma` disables it.
        lr: Learning rate on the mean (unit-cube coordinates) at the initial `sigma`.
        lr_follows_sigma: Scale the mean's learning rate by `sigma_t / sigma` (the current over the initial
            sampling scale, averaged over coordinates), so that steps shrink with the search; False keeps `lr`.
        optimizer: `"adam"` or `"sgd"` on the mean.
        shaping: `"rank"` (centered ranks) or `"normalize"` (zero mean, unit variance) fitness shaping.
        antithetic: Mirrored sampling `mu +/- sigma eps`.
        n_init: Uniform random points evaluated first; the mean starts at the best of them (0: the mean starts at
            one uniform random point). The ES is a local method: on the 1-D wave, a mean started in the basin of
            a secondary peak converges there whatever the other options, and 100 initial points avoid it.
    """

    population_size: int = 20
    sigma: float = 0.15
    final_sigma: float = 1e-3
    lr: float = 0.05
    lr_follows_sigma: bool = True
    optimizer: Literal["adam", "sgd"] = "adam"
    shaping: Shaping = "rank"
    antithetic: bool = True
    n_init: int = 0

    def __post_init__(self) -> None:
        check_positive_int("population_size", self.population_size, 2)
        check_positive_int("n_init", self.n_init, 0)
        if self.antithetic and self.population_size % 2:
            raise ValueError(f"`population_size` must be even with antithetic sampling, got {self.population_size}")
        check_fraction("sigma", self.sigma)
        check_fraction("final_sigma", self.final_sigma)
        if self.final_sigma > self.sigma:
            raise ValueError(f"`final_sigma` must be <= `sigma`, got {self.final_sigma}")
        check_positive("lr", self.lr)
        check_bool("lr_follows_sigma", self.lr_follows_sigma)
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"`optimizer` must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.shaping not in ("rank", "normalize"):
            raise ValueError(f"`shaping` must be 'rank' or 'normalize', got {self.shaping!r}")


def shape_fitness(values: Tensor, shaping: Shaping) -> Tensor:
    """Shaped values of a population (minimization: lower value, lower shaped value).

    Args:
        values: `n` objective values (NaN/inf are treated as the worst finite value).
        shaping: `"rank"`: centered ranks in [-0.5, 0.5]; `"normalize"`: zero mean, unit variance.

    Returns:
        `n` shaped values.
    """
    values = finite_or_worst(nan_to_worst(values))
    n = values.numel()
    if shaping == "rank":
        ranks = torch.empty_like(values)
        ranks[torch.argsort(values)] = torch.arange(n, dtype=values.dtype)
        return ranks / max(n - 1, 1) - 0.5
    std = values.std(unbiased=False)
    return (values - values.mean()) / std.clamp_min(1e-12) if std > 0 else torch.zeros_like(values)


def sample_perturbations(n: int, d: int, antithetic: bool, rng: torch.Generator, dtype: torch.dtype) -> Tensor:
    """`n x d` standard normal perturbations; mirrored pairs `(eps, -eps)` stacked when `antithetic`."""
    if not antithetic:
        return torch.randn(n, d, generator=rng, dtype=dtype)
    half = torch.randn(n // 2, d, generator=rng, dtype=dtype)
    return torch.cat([half, -half])


class EvolutionStrategy(Optimizer):
    """Isotropic-Gaussian evolution strategy with a learned mean."""

    name = "es"
    description = "evolution strategy: antithetic Gaussian perturbations, rank shaping, Adam on the mean"
    config_class = ESConfig

    def __init__(self, bounds: Tensor, config: ESConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        cfg = self.config
        self.mean = torch.nn.Parameter(self.uniform(1)[0])  # d, unit cube
        self.log_sigma = torch.nn.Parameter(torch.full((self.dim,), math.log(cfg.sigma), dtype=self.dtype))
        self.n_steps = max(1, math.ceil(max(max_evals - cfg.n_init, 1) / cfg.population_size))
        self._decay = decay_to(cfg.final_sigma / cfg.sigma, self.n_steps) if cfg.final_sigma < cfg.sigma \
            else (lambda step: 1.0)
        self.optimizer = self._make_optimizer(self.parameters())
        self._eps: Tensor | None = None
        self._initializing = cfg.n_init > 0
        self.n_updates = 0  # steps taken on the mean (generations after the initial points): drives the schedule

    def parameters(self) -> list[torch.nn.Parameter]:
        """Parameters trained by the optimizer (the mean)."""
        return [self.mean]

    def _make_optimizer(self, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
        if self.config.optimizer == "adam":
            return torch.optim.Adam(params, lr=self.config.lr)
        return torch.optim.SGD(params, lr=self.config.lr)

    @property
    def sigma(self) -> Tensor:
        """`d` current standard deviations (unit-cube coordinates)."""
        return self.log_sigma.detach().exp() * self._decay(self.n_updates)

    def ask(self) -> Tensor:
        if self._initializing:
            return self.to_box(self.uniform(self.config.n_init))
        self._eps = sample_perturbations(self.config.population_size, self.dim, self.config.antithetic, self.rng,
                                         self.dtype)
        return self.to_box((self.mean.detach() + self.sigma * self._eps).clamp(0.0, 1.0))

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        if self._initializing:
            self._start_at_best(x, y)
            return
        if self._eps is None or self._eps.shape[0] != y.shape[0]:
            raise ValueError(f"`tell` expects the {self.config.population_size} points of the last `ask`")
        shaped = shape_fitness(y.to(self.dtype), self.config.shaping)
        self.optimizer.zero_grad(set_to_none=True)
        self.set_gradients(self._eps, shaped)
        if self.config.lr_follows_sigma:
            self.optimizer.param_groups[0]["lr"] = self.config.lr * float(self.sigma.mean()) / self.config.sigma
        self.optimizer.step()
        self.n_updates += 1
        with torch.no_grad():
            self.mean.clamp_(0.0, 1.0)

    def _start_at_best(self, x: Tensor, y: Tensor) -> None:
        """Put the mean on the best of the initial uniform points."""
        with torch.no_grad():
            self.mean.copy_(self.to_unit(x[int(nan_to_worst(y.to(self.dtype)).argmin())].unsqueeze(0))[0])
        self._initializing = False

    def set_gradients(self, eps: Tensor, shaped: Tensor) -> None:
        """Score-function estimate of the gradient of `E[f(mu + sigma eps)]` w.r.t. the mean.

        Args:
            eps: `n x d` standard normal perturbations.
            shaped: `n` shaped values.
        """
        n = shaped.numel()
        self.mean.grad = (shaped @ eps) / (n * self.sigma)
