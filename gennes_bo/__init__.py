"""gennes-bo: GENNES (neural generative models for global optimization) for BoTorch, and standalone optimizers.

The public names below load on first use (PEP 562), so `import gennes_bo` and the `gennes-bo` command line stay
fast: torch and BoTorch are imported when a name that needs them is first looked up.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public API, in one place: public name -> the subpackage that defines it. Tuned constants and instrumentation
# live in their modules (gennes_bo.acquisition.options, gennes_bo.acquisition.counting), not here.
_EXPORTS = {
    # GENNES as a BoTorch acquisition optimizer
    "optimize_acqf_gennes": "gennes_bo.acquisition",
    "optimize_acqf_greedy": "gennes_bo.acquisition",
    "optimize_acqf_mixed_gennes": "gennes_bo.acquisition",
    "gen_candidates_gennes": "gennes_bo.acquisition",
    "recommended_restarts": "gennes_bo.acquisition",
    "AcqfOptimizationInfo": "gennes_bo.acquisition",
    "AcqfSettings": "gennes_bo.acquisition",
    "GennesOptionError": "gennes_bo.acquisition",
    "InfeasibleConstraintsError": "gennes_bo.acquisition",
    "GeneratorCarry": "gennes_bo.acquisition",
    "UnsupportedAcqfArgumentError": "gennes_bo.acquisition",
    # the method: a search state with ask / tell, and a loop over it
    "GennesConfig": "gennes_bo.gennes",
    "GennesSearch": "gennes_bo.gennes",
    "GennesResult": "gennes_bo.gennes",
    "gennes_maximize": "gennes_bo.gennes",
    "NonFiniteObjectiveError": "gennes_bo.gennes",
    # standalone optimizers
    "minimize": "gennes_bo.optimizers",
    "OptimizeResult": "gennes_bo.optimizers",
    "OPTIMIZERS": "gennes_bo.optimizers",
    "Optimizer": "gennes_bo.optimizers",
    "ObjectiveError": "gennes_bo.optimizers",
    "NotDifferentiableError": "gennes_bo.optimizers",
    "UnsupportedError": "gennes_bo.optimizers",
}
_MOVED = {"count_acqf_evals": "gennes_bo.acquisition"}  # former top-level names, still read with a warning
_SUBPACKAGES = ("acquisition", "compare", "gennes", "optimizers", "test_functions")

__all__ = [
    "AcqfOptimizationInfo",
    "AcqfSettings",
    "GeneratorCarry",
    "GennesConfig",
    "GennesOptionError",
    "GennesResult",
    "GennesSearch",
    "InfeasibleConstraintsError",
    "NonFiniteObjectiveError",
    "NotDifferentiableError",
    "OPTIMIZERS",
    "ObjectiveError",
    "OptimizeResult",
    "Optimizer",
    "UnsupportedAcqfArgumentError",
    "UnsupportedError",
    "gen_candidates_gennes",
    "gennes_maximize",
    "minimize",
    "optimize_acqf_gennes",
    "optimize_acqf_greedy",
    "optimize_acqf_mixed_gennes",
    "recommended_restarts",
]  # the keys of _EXPORTS (a test checks)

if TYPE_CHECKING:  # what type checkers and documentation tools see
    from gennes_bo.acquisition import (
        AcqfOptimizationInfo,
        AcqfSettings,
        GeneratorCarry,
        GennesOptionError,
        InfeasibleConstraintsError,
        UnsupportedAcqfArgumentError,
        gen_candidates_gennes,
        optimize_acqf_gennes,
        optimize_acqf_greedy,
        optimize_acqf_mixed_gennes,
        recommended_restarts,
    )
    from gennes_bo.gennes import GennesConfig, GennesResult, GennesSearch, NonFiniteObjectiveError, gennes_maximize
    from gennes_bo.optimizers import (
        OPTIMIZERS,
        NotDifferentiableError,
        ObjectiveError,
        Optimizer,
        OptimizeResult,
        UnsupportedError,
        minimize,
    )


def __getattr__(name: str) -> Any:
    """Import a public name (or a subpackage) on first access and keep it in the module's namespace."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _MOVED:
        warnings.warn(f"`gennes_bo.{name}` is now `{_MOVED[name]}.{name}`", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(_MOVED[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBPACKAGES))
