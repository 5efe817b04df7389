"""The comparison harness: run acquisition optimizers side by side, at equal budgets, on the same landscapes.

One registry of acquisition optimizers (:mod:`~gennes_bo.compare.registry`: names, :func:`register`, or any
`package.module:function` import path), one timed and counted call (:func:`run_acqf_optimizer`), one BO loop
(:func:`run_bo_loop`), GP states frozen from real BO runs (:mod:`~gennes_bo.compare.frozen_states`), one runner
of resumable grids (:mod:`~gennes_bo.compare.runner`, local processes or a Dask cluster), one record format
(:mod:`~gennes_bo.compare.records`) and one report writer (:mod:`~gennes_bo.compare.report`), behind the
`gennes-bo compare-acqf` command (:mod:`~gennes_bo.compare.compare_acqf`).
"""

from gennes_bo.compare.bo_loop import BOTrace, build_acquisition, run_bo_loop
from gennes_bo.compare.registry import (
    ACQF_OPTIMIZERS,
    AcqfOptimizerEntry,
    AcqfRun,
    AcqfTask,
    UnknownAcqfOptimizerError,
    describe_acqf_optimizers,
    get_acqf_optimizer,
    register,
    run_acqf_optimizer,
)

__all__ = [
    "ACQF_OPTIMIZERS",
    "AcqfOptimizerEntry",
    "AcqfRun",
    "AcqfTask",
    "BOTrace",
    "UnknownAcqfOptimizerError",
    "build_acquisition",
    "describe_acqf_optimizers",
    "get_acqf_optimizer",
    "register",
    "run_acqf_optimizer",
    "run_bo_loop",
]
