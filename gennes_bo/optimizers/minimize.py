"""`minimize`: one entry point for every registered standalone optimizer."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import torch
from torch import Tensor

from gennes_bo.gennes.search import NonFiniteObjectiveError
from gennes_bo.optimizers.base import OptimizeResult, UnsupportedError, check_options, check_positive_int
from gennes_bo.optimizers.evaluation import Evaluator, OnError
from gennes_bo.optimizers.registry import get_optimizer_class

FAILED_SHARE_WARNING = 0.25  # a quarter of the budget lost to failures is worth telling the user


def minimize(
    fun: Callable[[Tensor], Any],
    bounds: Tensor | Any,
    method: str = "gennes",
    *,
    max_evals: int,
    seed: int | None = None,
    maximize: bool = False,
    executor: Executor | None = None,
    callback: Callable[[OptimizeResult], bool | None] | None = None,
    progress: bool = False,
    on_error: OnError = "raise",
    **options: Any,
) -> OptimizeResult:
    """Minimize (or maximize) a batched black-box function over a box.

    Example:
        >>> bounds = torch.tensor([[-3.0] * 10, [3.0] * 10], dtype=torch.float64)
        >>> result = minimize(lambda x: (x**2).sum(-1), bounds, "es", max_evals=2000, seed=0)

    Args:
        fun: Maps an `n x d` tensor to `n` values (a tensor, numpy array or sequence). Gradient-based methods
            (`gennes`, `lbfgs`) need it differentiable by torch autograd and say so when it is not; zero-order
            methods accept any function, numpy included. NaN counts as +inf (the worst value).
        bounds: `2 x d` lower and upper bounds (tensor or nested sequence; float64 unless a tensor says else).
        method: A name of :data:`~gennes_bo.optimizers.OPTIMIZERS`.
        max_evals: Exact budget: `result.nfev <= max_evals` (one value-and-gradient query counts once).
        seed: Integer seed; same seed, same result.
        maximize: Maximize `fun` instead; `result.fun` and `result.history` then hold maxima.
        executor: Optional `concurrent.futures.Executor` (process pool, `dask.distributed.Client.get_executor()`)
            evaluating each point of a population as its own task; zero-order methods only.
        callback: Optional `callback(result_so_far)` called after every evaluated batch; return True to stop.
        progress: Show a tqdm bar over evaluations.
        on_error: `"raise"` (default): an exception of `fun` propagates as `ObjectiveError` naming the point;
            `"inf"`: the point counts as +inf (worst) and the run goes on.
        **options: The method's options (fields of `OPTIMIZERS[method].config_class`); unknown names raise
            `TypeError` listing the known ones.

    Returns:
        An :class:`OptimizeResult` (`x`, `fun`, `nfev`, `nit`, `success`, `message`, history, failures).

    Raises:
        NonFiniteObjectiveError: If no evaluation gave a finite value (a warning is issued instead when more than
            a quarter of them failed).
    """
    cls = get_optimizer_class(method)
    check_positive_int("max_evals", max_evals)
    if not isinstance(bounds, Tensor):
        bounds = torch.as_tensor(bounds, dtype=torch.float64)
    if executor is not None and cls.needs_gradient:
        raise UnsupportedError(f"`executor` cannot be used with gradient-based method {method!r}: autograd graphs "
                               "do not cross process boundaries; use a zero-order method")
    config = check_options(cls.config_class, {**cls.default_options, **options}, method)
    optimizer = cls(bounds, config, max_evals=max_evals, seed=seed)
    evaluator = Evaluator(fun, bounds, max_evals, sign=-1.0 if maximize else 1.0, executor=executor,
                          on_error=on_error, callback=callback, progress=progress, method=method)
    evaluator.generations = lambda: optimizer.n_generations
    try:
        message = optimizer.run(evaluator)
    finally:
        evaluator.close()
    result = evaluator.result(message, optimizer.n_generations, converged=optimizer.converged)
    check_failures(result, method)
    return result


def check_failures(result: OptimizeResult, method: str) -> None:
    """Raise when every evaluation failed; warn when more than `FAILED_SHARE_WARNING` of them did.

    Raises:
        NonFiniteObjectiveError: If no evaluation of `fun` gave a finite value.
    """
    if result.nfev and result.n_failed == result.nfev:
        raise NonFiniteObjectiveError(
            f"`fun` gave no finite value in {result.nfev} evaluations (method {method!r}): every point returned "
            "NaN/inf or raised; check `fun` and `bounds`"
        )
    if result.n_failed > FAILED_SHARE_WARNING * result.nfev:
        warnings.warn(
            f"{result.n_failed} of {result.nfev} evaluations of `fun` failed (NaN/inf or raised) with method "
            f"{method!r}; the result only reflects the points where `fun` is defined", RuntimeWarning, stacklevel=3,
        )
