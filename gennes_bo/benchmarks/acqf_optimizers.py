"""The acquisition optimizers the BO experiments compare, by name or by import path, and one timed, counted call.

Built-in names (the paper's Section 4.2 settings take `paper_starts` / `paper_iterations` from the task):

===================  =====================================================================================
`gennes`             GENNES alone, the paper's BO settings (N = 10, alpha = 0.99, `paper_iterations` steps)
`gennes-hybrid`      `optimize_acqf_gennes` with its defaults (this library's recommended optimizer)
`lbfgs-paper`        L-BFGS-B from `paper_starts` uniform random starts, scipy's convergence test
`botorch-default`    `optimize_acqf` with 20 restarts and 1024 raw samples
`cma`                CMA-ES (pycma) on the acquisition, 2048 acquisition points
`lbfgs-same-starts`  the ablation: `gennes-hybrid`'s pipeline (restarts, raw samples, greedy q-batch steps and
                     joint polish) with BoTorch's L-BFGS-B alone, which isolates what the generators add
===================  =====================================================================================

Anything else of the form `package.module:function` is imported and called like `optimize_acqf`:
`function(acq_function, bounds, q, num_restarts=20, raw_samples=1024)`, returning `(candidates, values)`.

:func:`optimizer_settings` spells out what a built-in name resolves to; the grid commands record it with every
run and refuse to resume a cell whose records were run with other settings (a default changed since).
"""

from __future__ import annotations

import importlib
import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch
from botorch.optim import optimize_acqf
from botorch.utils.sampling import manual_seed
from torch import Tensor, nn

from gennes_bo.acquisition import PAPER_BO_CONFIG, count_acqf_evals, optimize_acqf_gennes
from gennes_bo.acquisition.baselines import (
    PAPER_LBFGS_OPTIONS,
    optimize_acqf_cma,
    optimize_acqf_gennes_paper,
    optimize_acqf_lbfgs_same_starts,
    optimize_acqf_random_lbfgs,
)
from gennes_bo.acquisition.options import GREEDY_RESCREEN, default_acqf_config, recommended_restarts

AcqfOptimizer = Callable[[nn.Module, Tensor, int], tuple[Tensor, Tensor]]

BUILTIN_ACQF_OPTIMIZERS = ("gennes", "gennes-hybrid", "lbfgs-paper", "botorch-default", "cma", "lbfgs-same-starts")
BOTORCH_DEFAULT = {"num_restarts": 20, "raw_samples": 1024}  # `botorch-default`, and the call of import paths


def resolve_acqf_optimizer(name: str, *, paper_starts: int = 20, paper_iterations: int = 20) -> AcqfOptimizer:
    """The optimizer called `name` (a built-in name or `package.module:function`) as `(acqf, bounds, q) -> ...`.

    Args:
        name: One of `BUILTIN_ACQF_OPTIMIZERS` or an import path `package.module:function`.
        paper_starts: Random starts of `lbfgs-paper` (the paper: 20 for digits, 100 for Alpine1).
        paper_iterations: Iterations of `gennes` (the paper: 20 for digits, 30 for Alpine1).

    Raises:
        ValueError: For an unknown name or an import path that does not resolve to a callable.
    """
    if name == "gennes":
        return partial(optimize_acqf_gennes_paper, config=PAPER_BO_CONFIG.replace(n_iterations=paper_iterations))
    if name == "gennes-hybrid":
        return optimize_acqf_gennes
    if name == "lbfgs-paper":
        return partial(optimize_acqf_random_lbfgs, num_restarts=paper_starts)
    if name == "botorch-default":
        return partial(optimize_acqf, **BOTORCH_DEFAULT)
    if name == "cma":
        return optimize_acqf_cma
    if name == "lbfgs-same-starts":
        return optimize_acqf_lbfgs_same_starts
    module_name, _, attribute = name.partition(":")
    if not (module_name and attribute):
        raise ValueError(
            f"unknown acquisition optimizer {name!r}: use one of {', '.join(BUILTIN_ACQF_OPTIMIZERS)} or an import "
            "path 'package.module:function'"
        )
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot import acquisition optimizer {name!r}: {err}") from err
    if not callable(function):
        raise ValueError(f"acquisition optimizer {name!r} is not callable")
    return partial(function, **BOTORCH_DEFAULT)


def optimizer_settings(name: str, q: int, *, paper_starts: int = 20,
                       paper_iterations: int = 20) -> dict[str, Any] | None:
    """What the built-in optimizer `name` runs with for `q` candidates, as JSON values; None for an import path.

    Recorded with every `bo` and `compare-acqf` run: `gennes-hybrid`'s defaults depend on `q`
    (:func:`~gennes_bo.acquisition.options.recommended_restarts`, :func:`~gennes_bo.acquisition.options.
    default_acqf_config`) and may be retuned, and a record must say what it measured. An import path's settings
    are its own code's, not known here.

    Args:
        name: As for :func:`resolve_acqf_optimizer`.
        q: Candidates per call.
        paper_starts: As for :func:`resolve_acqf_optimizer`.
        paper_iterations: As for :func:`resolve_acqf_optimizer`.
    """
    if name == "gennes":
        return {"config": PAPER_BO_CONFIG.replace(n_iterations=paper_iterations).to_dict()}
    if name == "gennes-hybrid":
        restarts, raw_samples = recommended_restarts(q)
        settings = {"num_restarts": restarts, "raw_samples": raw_samples, "config": default_acqf_config(1).to_dict()}
        # q > 1: q single-point GENNES steps (restarts and raw samples per step; later steps screen a share of the
        # raw samples), then a joint L-BFGS-B polish
        return settings if q == 1 else {"batch_strategy": "greedy", "greedy_rescreen": GREEDY_RESCREEN, **settings}
    if name == "lbfgs-paper":
        return {"num_restarts": paper_starts, "options": dict(PAPER_LBFGS_OPTIONS)}
    if name == "botorch-default":
        return dict(BOTORCH_DEFAULT)
    if name == "lbfgs-same-starts":  # the hybrid's restarts and strategy, without its GENNES configuration
        return {k: v for k, v in optimizer_settings("gennes-hybrid", q).items() if k != "config"}
    if name == "cma":
        return {key: parameter.default for key, parameter in inspect.signature(optimize_acqf_cma).parameters.items()
                if parameter.default is not inspect.Parameter.empty}
    return None


@dataclass
class AcqfRun:
    """One acquisition optimization, measured.

    Attributes:
        candidates: `q x d` candidates returned.
        value: Acquisition value of the candidates (re-evaluated, not the optimizer's claim).
        n_evals: Acquisition points evaluated (one per `q x d` batch; value-and-gradient counted once).
        wall_time: Seconds in the optimizer.
        trace: With `record=True`, `(n_evals, best value so far)` after each acquisition call.
    """

    candidates: Tensor
    value: float
    n_evals: int
    wall_time: float
    trace: list[tuple[int, float]] = field(default_factory=list)


def run_acqf_optimizer(optimizer: AcqfOptimizer, acq_function: nn.Module, bounds: Tensor, q: int, seed: int, *,
                       record: bool = False) -> AcqfRun:
    """Call `optimizer(acq_function, bounds, q)` under `manual_seed(seed)`, counting and timing it."""
    start = time.monotonic()
    with count_acqf_evals(acq_function, record=record) as counter, manual_seed(seed):
        candidates, _ = optimizer(acq_function, bounds, q)
    wall_time = time.monotonic() - start
    candidates = candidates.detach().reshape(q, bounds.shape[1])
    with torch.no_grad():
        value = float(acq_function(candidates.unsqueeze(0)).squeeze())
    return AcqfRun(candidates, value if math.isfinite(value) else -math.inf, counter.n_evals, wall_time,
                   counter.trace)
