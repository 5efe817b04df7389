"""Standalone black-box optimizers behind one ask/tell interface and one `minimize` entry point."""

from gennes_bo.optimizers.actor_critic import ActorCritic, ActorCriticConfig
from gennes_bo.optimizers.base import Optimizer, OptimizeResult, UnsupportedError
from gennes_bo.optimizers.baselines import (
    ACMAES,
    BIPOPACMAES,
    SNES,
    ACMAConfig,
    BIPOPConfig,
    LBFGSConfig,
    RandomSearch,
    RandomSearchConfig,
    RepeatedLBFGS,
    SNESConfig,
)
from gennes_bo.optimizers.es import ESConfig, EvolutionStrategy
from gennes_bo.optimizers.evaluation import Evaluator, NotDifferentiableError, ObjectiveError, ObjectiveValueError
from gennes_bo.optimizers.ga import GAConfig, GeneticAlgorithm
from gennes_bo.optimizers.gennes import GennesOptimizer, GennesOptimizerConfig
from gennes_bo.optimizers.minimize import minimize
from gennes_bo.optimizers.neurogenetic import Neurogenetic, NeurogeneticConfig
from gennes_bo.optimizers.registry import OPTIMIZERS, describe_optimizers, register
from gennes_bo.optimizers.variational import VariationalConfig, VariationalOptimizer

__all__ = [
    "ACMAES",
    "ACMAConfig",
    "BIPOPACMAES",
    "BIPOPConfig",
    "ActorCritic",
    "ActorCriticConfig",
    "ESConfig",
    "Evaluator",
    "EvolutionStrategy",
    "GAConfig",
    "GeneticAlgorithm",
    "GennesOptimizer",
    "GennesOptimizerConfig",
    "LBFGSConfig",
    "NotDifferentiableError",
    "Neurogenetic",
    "NeurogeneticConfig",
    "OPTIMIZERS",
    "ObjectiveError",
    "ObjectiveValueError",
    "OptimizeResult",
    "Optimizer",
    "RandomSearch",
    "RandomSearchConfig",
    "RepeatedLBFGS",
    "SNES",
    "SNESConfig",
    "UnsupportedError",
    "VariationalConfig",
    "VariationalOptimizer",
    "describe_optimizers",
    "minimize",
    "register",
]
