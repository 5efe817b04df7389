"""The BoTorch boundary: GENNES as an `optimize_acqf` drop-in and as a `gen_candidates` hook, and as an
`optimize_acqf_mixed_alternating` drop-in for integer and categorical dimensions.

Public: the optimizers, their info and error types (`InfeasibleConstraintsError` for linear constraints that no
point satisfies), `default_acqf_config` / `recommended_restarts` (what the defaults resolve to), and
`count_acqf_evals` / `AcqfEvalCounter`, which count any acquisition optimizer's points for comparisons. Tuned
constants stay in `gennes_bo.acquisition.options`, with their rationale in docs/design.md.
"""

from gennes_bo.acquisition.constraints import InfeasibleConstraintsError
from gennes_bo.acquisition.counting import AcqfEvalCounter, count_acqf_evals
from gennes_bo.acquisition.gen_candidates import gen_candidates_gennes
from gennes_bo.acquisition.mixed import optimize_acqf_mixed_gennes
from gennes_bo.acquisition.optimize import AcqfOptimizationInfo, optimize_acqf_gennes, optimize_acqf_greedy
from gennes_bo.acquisition.options import (
    GennesOptionError,
    UnsupportedAcqfArgumentError,
    default_acqf_config,
    recommended_restarts,
)
from gennes_bo.acquisition.settings import AcqfSettings
from gennes_bo.acquisition.warm_start import GeneratorCarry

__all__ = [
    "AcqfEvalCounter",
    "AcqfOptimizationInfo",
    "AcqfSettings",
    "GennesOptionError",
    "GeneratorCarry",
    "InfeasibleConstraintsError",
    "UnsupportedAcqfArgumentError",
    "count_acqf_evals",
    "default_acqf_config",
    "gen_candidates_gennes",
    "optimize_acqf_gennes",
    "optimize_acqf_greedy",
    "optimize_acqf_mixed_gennes",
    "recommended_restarts",
]
