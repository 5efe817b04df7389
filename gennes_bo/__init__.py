"""gennes-bo: GENNES (neural generative models for global optimization) for BoTorch, and standalone optimizers.

The public names below load on first use (PEP 562), so `import gennes_bo` and the `gennes-bo` command line stay
fast: torch and BoTorch are imported when a name that needs them is first looked up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the subpackage that defines it.
_EXPORTS = {
    "AcqfOptimizationInfo": "gennes_bo.acquisition",
    "count_acqf_evals": "gennes_bo.acquisition",
    "gen_candidates_gennes": "gennes_bo.acquisition",
    "optimize_acqf_gennes": "gennes_bo.acquisition",
    "optimize_acqf_greedy": "gennes_bo.acquisition",
    "GennesConfig": "gennes_bo.gennes",
    "GennesResult": "gennes_bo.gennes",
    "gennes_maximize": "gennes_bo.gennes",
    "OPTIMIZERS": "gennes_bo.optimizers",
    "OptimizeResult": "gennes_bo.optimizers",
    "minimize": "gennes_bo.optimizers",
}
_SUBPACKAGES = ("acquisition", "benchmarks", "gennes", "optimizers", "test_functions")

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

if TYPE_CHECKING:  # what type checkers and documentation tools see
    from gennes_bo.acquisition import (
        AcqfOptimizationInfo,
        count_acqf_evals,
        gen_candidates_gennes,
        optimize_acqf_gennes,
        optimize_acqf_greedy,
    )
    from gennes_bo.gennes import GennesConfig, GennesResult, gennes_maximize
    from gennes_bo.optimizers import OPTIMIZERS, OptimizeResult, minimize


def __getattr__(name: str) -> Any:
    """Import a public name (or a subpackage) on first access and keep it in the module's namespace."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBPACKAGES))
