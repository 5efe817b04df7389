"""The BoTorch boundary: GENNES as an `optimize_acqf` drop-in and as a `gen_candidates` hook."""

from gennes_bo.acquisition.counting import AcqfEvalCounter, count_acqf_evals
from gennes_bo.acquisition.gen_candidates import gen_candidates_gennes
from gennes_bo.acquisition.optimize import AcqfOptimizationInfo, optimize_acqf_gennes, optimize_acqf_greedy
from gennes_bo.acquisition.options import (
    ACQF_DEFAULT_CONFIG,
    ACQF_SINGLE_CONFIG,
    BATCH_STRATEGIES,
    GREEDY_RESCREEN,
    PAPER_BO_CONFIG,
    GennesOptionError,
    UnsupportedAcqfArgumentError,
    default_acqf_config,
    recommended_restarts,
)

__all__ = [
    "ACQF_DEFAULT_CONFIG",
    "ACQF_SINGLE_CONFIG",
    "BATCH_STRATEGIES",
    "GREEDY_RESCREEN",
    "PAPER_BO_CONFIG",
    "AcqfEvalCounter",
    "AcqfOptimizationInfo",
    "GennesOptionError",
    "UnsupportedAcqfArgumentError",
    "count_acqf_evals",
    "default_acqf_config",
    "gen_candidates_gennes",
    "optimize_acqf_gennes",
    "optimize_acqf_greedy",
    "recommended_restarts",
]
