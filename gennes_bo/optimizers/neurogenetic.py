"""Neurogenetic optimization (blog post): GA generations and actor-critic steps alternate on one shared archive.

Every evaluated point goes to the actor-critic's archive (the critic's training data); the actor's samples are
also offered to the GA population, replacing its worst members when they are better. Generations alternate as
`ga_generations` GA generations, then `actor_critic_generations` actor-critic generations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from gennes_bo.optimizers.actor_critic import ActorCritic, ActorCriticConfig
from gennes_bo.optimizers.base import Optimizer, check_positive_int
from gennes_bo.optimizers.ga import GAConfig, GeneticAlgorithm


@dataclass(frozen=True)
class NeurogeneticConfig:
    """Options of the neurogenetic optimizer.

    Attributes:
        ga: Options of the GA part.
        actor_critic: Options of the actor-critic part (its `n_init` random points are skipped: the GA's first
            population fills the archive).
        ga_generations: GA generations per cycle.
        actor_critic_generations: Actor-critic generations per cycle.
    """

    ga: GAConfig = field(default_factory=GAConfig)
    actor_critic: ActorCriticConfig = field(default_factory=lambda: ActorCriticConfig(n_init=1, batch_size=25))
    ga_generations: int = 1
    actor_critic_generations: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.ga, GAConfig):
            raise ValueError(f"`ga` must be a GAConfig, got {type(self.ga).__name__}")
        if not isinstance(self.actor_critic, ActorCriticConfig):
            raise ValueError(f"`actor_critic` must be an ActorCriticConfig, got {type(self.actor_critic).__name__}")
        check_positive_int("ga_generations", self.ga_generations)
        check_positive_int("actor_critic_generations", self.actor_critic_generations)


class Neurogenetic(Optimizer):
    """Alternating genetic algorithm and actor-critic on a shared archive."""

    name = "neurogenetic"
    description = "neurogenetic: alternates GA generations and actor-critic steps on one shared archive"
    config_class = NeurogeneticConfig

    def __init__(self, bounds: Tensor, config: NeurogeneticConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        cfg = self.config
        # Each part's budget-aware schedules (mutation, exploration) see the share of the budget it spends.
        ga_per_cycle = cfg.ga_generations * (cfg.ga.population_size - cfg.ga.n_elite)
        ac_per_cycle = cfg.actor_critic_generations * cfg.actor_critic.batch_size
        ga_evals = max(1, round(max_evals * ga_per_cycle / (ga_per_cycle + ac_per_cycle)))
        self.ga = GeneticAlgorithm(bounds, cfg.ga, max_evals=ga_evals, seed=seed)
        ac_seed = int(torch.randint(2**31 - 1, (1,), generator=self.rng))
        self.actor_critic = ActorCritic(bounds, cfg.actor_critic, max_evals=max(1, max_evals - ga_evals), seed=ac_seed)
        self._phase = "ga"

    def _next_phase(self) -> str:
        cycle = self.config.ga_generations + self.config.actor_critic_generations
        position = self.n_generations % cycle
        return "ga" if position < self.config.ga_generations or self.ga.population is None else "actor_critic"

    def ask(self) -> Tensor:
        self._phase = self._next_phase()
        return self.ga.ask() if self._phase == "ga" else self.actor_critic.ask()

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        self.actor_critic.tell(x, y)
        if self._phase == "ga":
            self.ga.tell(x, y)
            self.ga.n_generations += 1
        else:
            self.ga.inject(x, y)
