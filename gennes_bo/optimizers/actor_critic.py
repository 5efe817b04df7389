"""Neural actor-critic optimizer (neurogenetic blog post).

A critic MLP regresses the archive of all evaluated `(x, f(x))`; an actor MLP maps `N(0, I)` noise to points
of the unit cube and is trained to minimize the critic (the critic is a differentiable surrogate of `f`, so the
actor follows its gradient); each generation evaluates a batch of actor samples, with a little Gaussian
exploration noise, and adds them to the archive. The critic regresses the archive's values after a rank
transform to [0, 1] (robust to a few huge values and to the objective's scale); both networks run in float32.

The actor finds the critic's minimum, which is only as precise as the critic's regression: the best points end
near a peak, not on it. The last `refine_fraction` of the budget refines the best point with a (1+lambda) ES:
Gaussian samples around the best point, with a step size doubled after a generation that improves it and halved
after one that does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gennes_bo.gennes.schedules import decay_to
from gennes_bo.optimizers.base import (
    Optimizer,
    check_fraction,
    check_positive,
    check_positive_int,
    finite_or_worst,
    nan_to_worst,
)


@dataclass(frozen=True)
class ActorCriticConfig:
    """Options of the actor-critic optimizer.

    Attributes:
        batch_size: Actor samples evaluated per generation.
        n_init: Uniform random points evaluated before the first training step.
        hidden_width: Width of the two hidden layers of both networks.
        noise_dim: Dimension of the actor's Gaussian input noise (`None`: the problem dimension).
        critic_steps: Adam steps on the critic per generation.
        actor_steps: Adam steps on the actor per generation.
        minibatch: Archive points per critic step.
        critic_lr: Critic learning rate.
        actor_lr: Actor learning rate.
        exploration_std: Gaussian noise added to actor samples (fraction of the box width) at the start.
        final_exploration_std: Exploration noise at the end of the actor-critic phase (geometric decay).
        refine_fraction: Last fraction of the budget spent refining the best point (0: none).
        refine_batch_size: Samples per refinement generation.
        refine_std: First step size of the refinement (fraction of the box width); never exceeded.
    """

    batch_size: int = 50
    n_init: int = 100
    hidden_width: int = 64
    noise_dim: int | None = None
    critic_steps: int = 10
    actor_steps: int = 5
    minibatch: int = 128
    critic_lr: float = 3e-3
    actor_lr: float = 3e-3
    exploration_std: float = 0.1
    final_exploration_std: float = 1e-4
    refine_fraction: float = 0.1
    refine_batch_size: int = 10
    refine_std: float = 0.01

    def __post_init__(self) -> None:
        for name in ("batch_size", "n_init", "hidden_width", "minibatch", "refine_batch_size"):
            check_positive_int(name, getattr(self, name))
        for name in ("critic_steps", "actor_steps"):
            check_positive_int(name, getattr(self, name), 0)
        if self.noise_dim is not None:
            check_positive_int("noise_dim", self.noise_dim)
        check_positive("critic_lr", self.critic_lr)
        check_positive("actor_lr", self.actor_lr)
        check_fraction("exploration_std", self.exploration_std, low_open=False)
        check_fraction("final_exploration_std", self.final_exploration_std, low_open=False)
        if self.final_exploration_std > self.exploration_std:
            raise ValueError(f"`final_exploration_std` must be <= `exploration_std`, got "
                             f"{self.final_exploration_std}")
        check_fraction("refine_fraction", self.refine_fraction, low_open=False, high_open=True)
        check_fraction("refine_std", self.refine_std)


def mlp(sizes: list[int], rng: torch.Generator, output: nn.Module | None = None) -> nn.Sequential:
    """A float32 MLP with leaky-ReLU hidden layers, initialized from `rng` (no global random state).

    Args:
        sizes: Layer widths `[input, hidden..., output]`.
        rng: Generator for the Glorot-uniform weights (biases 0).
        output: Optional output activation.
    """
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(fan_in, fan_out)
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        with torch.no_grad():
            linear.weight.copy_(torch.rand(fan_out, fan_in, generator=rng) * 2 * bound - bound)
            linear.bias.zero_()
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    if output is not None:
        layers.append(output)
    return nn.Sequential(*layers)


def rank_targets(values: Tensor) -> Tensor:
    """Ranks of `values` scaled to [0, 1] (lowest value 0); NaN/inf rank last."""
    values = finite_or_worst(nan_to_worst(values))
    ranks = torch.empty_like(values)
    ranks[torch.argsort(values)] = torch.arange(values.numel(), dtype=values.dtype)
    return ranks / max(values.numel() - 1, 1)


class ActorCritic(Optimizer):
    """Actor-critic search: critic regresses the archive, actor minimizes the critic; then a local refinement.

    Attributes:
        best_x: `d` best point told so far (unit cube, the optimizer's dtype; None before the first `tell`).
        best_y: Its value (+inf before the first `tell`).
        refine_std: Current step size of the refinement (fraction of the box width).
    """

    name = "actor_critic"
    description = ("actor-critic: critic MLP regresses the archive, actor maps N(0,I) noise to critic minimizers; "
                   "a (1+lambda) ES refines the best point at the end")
    config_class = ActorCriticConfig

    def __init__(self, bounds: Tensor, config: ActorCriticConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        cfg = self.config
        self.noise_dim = cfg.noise_dim or self.dim
        h = cfg.hidden_width
        self.critic = mlp([self.dim, h, h, 1], self.rng)
        self.actor = mlp([self.noise_dim, h, h, self.dim], self.rng, output=nn.Sigmoid())
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_lr)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=cfg.actor_lr)
        # The refinement starts after `refine_start` points asked by this optimizer (in `neurogenetic`, its share).
        self.refine_start = max_evals - round(cfg.refine_fraction * max_evals)
        n_steps = max(1, math.ceil(self.refine_start / cfg.batch_size))
        ratio = cfg.final_exploration_std / cfg.exploration_std if cfg.exploration_std > 0 else 1.0
        self._exploration = decay_to(ratio, n_steps) if 0 < ratio < 1 else (lambda step: 1.0)
        self.archive_x = torch.empty(0, self.dim)  # float32, unit cube
        self.archive_y = torch.empty(0, dtype=torch.float64)
        self.n_train_steps = 0
        self.n_asked = 0
        self.best_x: Tensor | None = None
        self.best_y = math.inf
        self.refine_std = cfg.refine_std
        self._refining = False

    @property
    def exploration_std(self) -> float:
        """Current exploration noise (unit-cube coordinates)."""
        return self.config.exploration_std * self._exploration(self.n_train_steps)

    def ask(self) -> Tensor:
        points = self._next_points()
        self.n_asked += points.shape[0]
        return self.to_box(points)

    def _next_points(self) -> Tensor:
        """`n x d` unit-cube points: uniform until `n_init`, then actor samples, then refinement samples."""
        cfg = self.config
        self._refining = False
        if self.archive_x.shape[0] < cfg.n_init:
            return self.uniform(cfg.n_init - self.archive_x.shape[0])
        if self.n_asked >= self.refine_start and self.best_x is not None:
            self._refining = True
            noise = torch.randn(cfg.refine_batch_size, self.dim, generator=self.rng, dtype=self.dtype)
            return (self.best_x + self.refine_std * noise).clamp(0.0, 1.0)
        self.train_step()
        with torch.no_grad():
            noise = torch.randn(cfg.batch_size, self.noise_dim, generator=self.rng)
            points = self.actor(noise).double()
            points = points + self.exploration_std * torch.randn(points.shape, generator=self.rng, dtype=points.dtype)
        return points.clamp(0.0, 1.0)

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        values = y.detach().double().cpu()
        self.archive_x = torch.cat([self.archive_x, self.to_unit(x).float()])
        self.archive_y = torch.cat([self.archive_y, values])
        best = int(nan_to_worst(values).argmin())
        improved = float(values[best]) < self.best_y
        if improved:
            self.best_x, self.best_y = self.to_unit(x[best : best + 1])[0], float(values[best])
        if self._refining:
            self.refine_std = min(2 * self.refine_std, self.config.refine_std) if improved else self.refine_std / 2
            self._refining = False  # in `neurogenetic`, the GA's populations are told too

    def train_step(self) -> None:
        """`critic_steps` regression steps on archive minibatches, then `actor_steps` steps against the critic."""
        cfg = self.config
        targets = rank_targets(self.archive_y).float()
        m = self.archive_x.shape[0]
        for _ in range(cfg.critic_steps):
            idx = torch.randint(m, (min(cfg.minibatch, m),), generator=self.rng)
            loss = (self.critic(self.archive_x[idx]).squeeze(-1) - targets[idx]).pow(2).mean()
            self.critic_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.critic_optimizer.step()
        for parameter in self.critic.parameters():
            parameter.requires_grad_(False)
        for _ in range(cfg.actor_steps):
            noise = torch.randn(cfg.minibatch, self.noise_dim, generator=self.rng)
            loss = self.critic(self.actor(noise)).mean()
            self.actor_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.actor_optimizer.step()
        for parameter in self.critic.parameters():
            parameter.requires_grad_(True)
        self.n_train_steps += 1
