"""What a BO run of an experiment costs, measured without running it: the `--estimate` of `bo`, `bo-batch` and
`bench-mixed`'s BO part.

A run's iterations cost more as its data grows, so the GP is fitted twice in this process: to the first
iteration's data (the initial design) and to the last one's (the initial design plus points standing for the BO
points); each optimizer maximizes the acquisition of each once. A run then costs `iterations x` the mean of the
two (GP fit + call), the trapezoid rule over its iterations, plus the objective's time on every point it evaluates.
Times are CPU seconds of this process; run it under `gennes_bo.compare.runner.limit_threads()`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The columns of a cell's lines (`gennes_bo.compare.runner.print_estimate` adds the runs and CPU hours).
TIMING_HEADER = f"{'cell':38s} {'optimizer':20s} {'first (s)':>9s} {'last (s)':>9s} {'points':>8s}"


@dataclass(frozen=True)
class LoopTiming:
    """The measured unit costs of the BO runs of one cell (CPU seconds).

    Attributes:
        fit: The GP fit on the first and on the last iteration's data.
        objective: One objective evaluation (per point).
        calls: Per optimizer, one acquisition call on the first and on the last iteration's acquisition.
        points: Per optimizer, the acquisition points of its call on the last iteration's acquisition.
        sizes: Points of the first and of the last iteration's data.
    """

    fit: tuple[float, float]
    objective: float
    calls: dict[str, tuple[float, float]]
    points: dict[str, int]
    sizes: tuple[int, int]

    def run_hours(self, optimizer: str, iterations: int, n_points: int) -> float:
        """CPU hours of a run of `optimizer`: `iterations` BO iterations, `n_points` objective evaluations."""
        per_iteration = (sum(self.calls[optimizer]) + sum(self.fit)) / 2
        return (iterations * per_iteration + n_points * self.objective) / 3600


def time_bo_iterations(objective: Callable[[Any], Any], bounds: Any, X_first: Any, X_last: Any,
                       optimizers: Mapping[str, Callable[..., Any]], *, acquisition: str, q: int,
                       beta: float | None = None, fit_model: Callable[[Any, Any, Any], Any] | None = None,
                       warm_up: Callable[[str], None] | None = None) -> LoopTiming:
    """Time a cell's GP fits and one acquisition call per optimizer at its first and last iteration's data size.

    Args:
        objective: Maps `n x d` points to `n` values to maximize (as `run_bo_loop`'s).
        bounds: `2 x d` search box.
        X_first: The first iteration's data, `n_init x d`.
        X_last: The last iteration's, `X_first` followed by the points standing for the BO points.
        optimizers: `optimize_acqf`-shaped callables by name (their randomness from torch's global RNG).
        acquisition: As `run_bo_loop`'s (`"logei"`, `"ei"`, `"qlognei"`, `"qucb"`).
        q: Candidates per iteration.
        beta: qUCB's exploration weight (default `run_bo_loop`'s).
        fit_model: `(X, Y, bounds) -> fitted model` (default :func:`gennes_bo.models.fit_gp`).
        warm_up: Called with each optimizer's name before its first timed call (one-time costs are not a run's).
    """
    from gennes_bo.compare.bo_loop import UCB_BETA, build_acquisition
    from gennes_bo.compare.registry import run_acqf_optimizer
    from gennes_bo.models import fit_gp

    fit_model = fit_model or fit_gp
    start = time.process_time()
    Y_last = objective(X_last)
    per_point = (time.process_time() - start) / len(X_last)
    fits, acquisitions = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch's retries and jitter: timed, not reported
        for X in (X_first, X_last):
            Y = Y_last[: len(X)]
            start = time.process_time()
            model = fit_model(X, Y, bounds)
            fits.append(time.process_time() - start)
            acquisitions.append(build_acquisition(model, Y.max(), acquisition, q, seed=0, X_baseline=X,
                                                  beta=UCB_BETA if beta is None else beta, bounds=bounds))
        calls, points = {}, {}
        for name, optimizer in optimizers.items():
            if warm_up is not None:
                warm_up(name)
            runs = [run_acqf_optimizer(optimizer, acq_function, bounds, q, seed=0) for acq_function in acquisitions]
            calls[name] = (runs[0].cpu_time, runs[1].cpu_time)
            points[name] = runs[1].n_evals
    return LoopTiming((fits[0], fits[1]), per_point, calls, points, (len(X_first), len(X_last)))


def optimizer_line(cell: str, timing: LoopTiming, optimizer: str) -> str:
    """The line of one optimizer of a cell: its call's CPU seconds at the first and the last data size and its
    points (the columns of :data:`TIMING_HEADER`)."""
    first, last = timing.calls[optimizer]
    return f"{cell:38s} {optimizer:20s} {first:9.2f} {last:9.2f} {timing.points[optimizer]:8d}"


def fit_line(cell: str, timing: LoopTiming) -> str:
    """The line of a cell's GP fits and objective, after its optimizers'."""
    return (f"{cell:38s} {'(GP fit)':20s} {timing.fit[0]:9.2f} {timing.fit[1]:9.2f}  ({timing.sizes[0]} and "
            f"{timing.sizes[1]} points; objective {timing.objective:.2g} s per point)")
