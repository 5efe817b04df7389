"""The GENNES method itself: generator, noise-annealing schedules, configuration and search loop (torch only)."""

from gennes_bo.gennes.config import GennesConfig
from gennes_bo.gennes.generator import Generator, last_layer_std
from gennes_bo.gennes.schedules import (
    StagnationDecay,
    constant,
    cosine_decay,
    decay_to,
    exponential_decay,
    stagnation_decay,
)
from gennes_bo.gennes.search import GennesResult, GennesSearch, NonFiniteObjectiveError, gennes_maximize

__all__ = [
    "GennesConfig",
    "GennesResult",
    "GennesSearch",
    "Generator",
    "NonFiniteObjectiveError",
    "StagnationDecay",
    "constant",
    "cosine_decay",
    "decay_to",
    "exponential_decay",
    "gennes_maximize",
    "last_layer_std",
    "stagnation_decay",
]
