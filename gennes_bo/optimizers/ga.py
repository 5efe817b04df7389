"""Genetic algorithm (neurogenetic blog post): softmax parent selection, children = mean of parents + noise.

Each generation draws every child's `n_parents` parents from the population with probability
`softmax(fitness / T)` (fitness = minus the objective, standardized over the population so that `T` does not
depend on the objective's scale), sets the child to the mean of its parents, adds Gaussian mutation noise whose
standard deviation (a fraction of the box width) decays over the budget, and clips it to the box. With elitism,
the best `n_elite` members survive unchanged (and are not re-evaluated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

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
class GAConfig:
    """Options of the genetic algorithm.

    Attributes:
        population_size: Members per generation.
        n_parents: Parents averaged into each child.
        temperature: Softmax temperature `T` of parent selection on standardized fitness.
        final_temperature: Temperature reached at the end of the budget (geometric annealing); `None` keeps
            `temperature` constant.
        mutation_std: Initial mutation standard deviation, as a fraction of the box width.
        final_mutation_std: Mutation standard deviation at the end of the budget (geometric decay).
        n_elite: Best members copied unchanged into the next generation (0 disables elitism).
        standardize_fitness: Standardize fitness over the population before the softmax.
    """

    population_size: int = 50
    n_parents: int = 2
    temperature: float = 0.5
    final_temperature: float | None = None
    mutation_std: float = 0.15
    final_mutation_std: float = 1e-4
    n_elite: int = 2
    standardize_fitness: bool = True

    def __post_init__(self) -> None:
        check_positive_int("population_size", self.population_size, 2)
        check_positive_int("n_parents", self.n_parents)
        check_positive("temperature", self.temperature)
        if self.final_temperature is not None:
            check_positive("final_temperature", self.final_temperature)
        check_fraction("mutation_std", self.mutation_std)
        check_fraction("final_mutation_std", self.final_mutation_std)
        if self.final_mutation_std > self.mutation_std:
            raise ValueError(f"`final_mutation_std` must be <= `mutation_std`, got {self.final_mutation_std}")
        check_positive_int("n_elite", self.n_elite, 0)
        if self.n_elite >= self.population_size:
            raise ValueError(f"`n_elite` must be < `population_size`, got {self.n_elite}")


def selection_probabilities(fitness: Tensor, temperature: float, standardize: bool = True) -> Tensor:
    """Parent-selection probabilities `softmax(fitness / T)` (higher fitness, more likely).

    Args:
        fitness: `n` fitness values (higher is better; -inf never selected).
        temperature: Softmax temperature `T > 0`.
        standardize: Standardize the finite fitness values first.

    Returns:
        `n` probabilities summing to 1.
    """
    finite = torch.isfinite(fitness)
    if not finite.any():
        return torch.full_like(fitness, 1.0 / fitness.numel())
    if standardize:
        mean, std = fitness[finite].mean(), fitness[finite].std(unbiased=False)
        fitness = (fitness - mean) / std.clamp_min(1e-12)
    return torch.softmax(torch.where(finite, fitness, -math.inf) / temperature, dim=0)


def make_children(
    population: Tensor, probabilities: Tensor, n_children: int, n_parents: int, mutation_std: float,
    rng: torch.Generator,
) -> Tensor:
    """Children in the unit cube: mean of `n_parents` parents drawn by `probabilities`, plus Gaussian noise.

    Args:
        population: `m x d` members in the unit cube.
        probabilities: `m` selection probabilities.
        n_children: Number of children.
        n_parents: Parents per child (drawn with replacement).
        mutation_std: Noise standard deviation in unit-cube coordinates.
        rng: Random generator.

    Returns:
        `n_children x d` children clipped to the unit cube.
    """
    parents = torch.multinomial(probabilities, n_children * n_parents, replacement=True, generator=rng)
    means = population[parents].view(n_children, n_parents, -1).mean(dim=1)
    noise = torch.randn(means.shape, generator=rng, dtype=means.dtype)
    return (means + mutation_std * noise).clamp(0.0, 1.0)


class GeneticAlgorithm(Optimizer):
    """Genetic algorithm with softmax (Boltzmann) parent selection and averaging crossover."""

    name = "ga"
    description = "genetic algorithm: softmax(fitness/T) parents, child = parent mean + annealed mutation, elitism"
    config_class = GAConfig

    def __init__(self, bounds: Tensor, config: GAConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        cfg = self.config
        n_steps = max(1, math.ceil(max_evals / max(cfg.population_size - cfg.n_elite, 1)))
        self._mutation = decay_to(cfg.final_mutation_std / cfg.mutation_std, n_steps) \
            if cfg.final_mutation_std < cfg.mutation_std else (lambda step: 1.0)
        final_t = cfg.final_temperature
        self._temperature = decay_to(final_t / cfg.temperature, n_steps) \
            if final_t is not None and final_t < cfg.temperature else (lambda step: 1.0)
        self.population: Tensor | None = None  # m x d, unit cube
        self.values: Tensor | None = None  # m objective values (minimization)

    @property
    def mutation_std(self) -> float:
        """Current mutation standard deviation (unit-cube coordinates)."""
        return self.config.mutation_std * self._mutation(self.n_generations)

    @property
    def temperature(self) -> float:
        """Current selection temperature."""
        return self.config.temperature * self._temperature(self.n_generations)

    def ask(self) -> Tensor:
        cfg = self.config
        if self.population is None:
            return self.to_box(self.uniform(cfg.population_size))
        probabilities = selection_probabilities(-self.values, self.temperature, cfg.standardize_fitness)
        children = make_children(self.population, probabilities, cfg.population_size - cfg.n_elite,
                                 cfg.n_parents, self.mutation_std, self.rng)
        return self.to_box(children)

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        unit, y = self.to_unit(x), nan_to_worst(y.to(self.dtype))
        if self.population is None or self.config.n_elite == 0:
            self.population, self.values = unit, y
            return
        elite = torch.argsort(finite_or_worst(self.values))[: self.config.n_elite]
        self.population = torch.cat([self.population[elite], unit])
        self.values = torch.cat([self.values[elite], y])

    def inject(self, x: Tensor, y: Tensor) -> None:
        """Replace the worst members by better outside points (the shared archive of `neurogenetic`).

        Args:
            x: `n x d` evaluated points in the box.
            y: `n` objective values.
        """
        if self.population is None:
            self.population, self.values = self.to_unit(x), nan_to_worst(y.to(self.dtype))
            return
        pool_x = torch.cat([self.population, self.to_unit(x)])
        pool_y = torch.cat([self.values, nan_to_worst(y.to(self.dtype))])
        keep = torch.argsort(finite_or_worst(pool_y))[: self.population.shape[0]]
        self.population, self.values = pool_x[keep], pool_y[keep]
