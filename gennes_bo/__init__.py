"""gennes-bo: GENNES (neural generative models for global optimization) for BoTorch, and standalone optimizers."""

from gennes_bo.acquisition import (
    AcqfOptimizationInfo,
    count_acqf_evals,
    gen_candidates_gennes,
    optimize_acqf_gennes,
    optimize_acqf_greedy,
)
from gennes_bo.gennes import GennesConfig, GennesResult, gennes_maximize
from gennes_bo.optimizers import OPTIMIZERS, OptimizeResult, minimize

__version__ = "0.1.0"

__all__ = [
    "AcqfOptimizationInfo",
    "GennesConfig",
    "GennesResult",
    "OPTIMIZERS",
    "OptimizeResult",
    "count_acqf_evals",
    "gen_candidates_gennes",
    "gennes_maximize",
    "minimize",
    "optimize_acqf_gennes",
    "optimize_acqf_greedy",
]
