"""Evaluation of a user objective for the standalone optimizers: exact budget, best-so-far, errors, executors.

An :class:`Evaluator` is the only place where the user's `fun` is called. It enforces the budget (a request
for more points than are left is cut to the budget), tracks the best point and the history, maps NaN to +inf,
turns exceptions into either an :class:`ObjectiveError` naming the offending point or a +inf value, and
spreads a population over a `concurrent.futures.Executor` (one task per point) when one is given.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from gennes_bo.optimizers.base import OptimizeResult, nan_to_worst

OnError = Literal["raise", "inf"]


class ObjectiveError(RuntimeError):
    """The objective raised; the message names the offending point and the original error is chained."""


class NotDifferentiableError(TypeError):
    """A gradient-based method got an objective that is not differentiable by torch autograd."""


class ObjectiveValueError(TypeError):
    """The objective returned something that is not `n` numbers (a string, an object, a ragged sequence)."""


def format_point(x: Tensor, max_items: int = 8) -> str:
    """Short text of a point for error messages."""
    items = [f"{v:.6g}" for v in x.detach().reshape(-1).tolist()]
    if len(items) > max_items:
        items = items[:max_items] + [f"... ({len(items)} values)"]
    return "[" + ", ".join(items) + "]"


class Evaluator:
    """Counts, guards and records every evaluation of `fun` for one run.

    Values are handled internally in the minimization sign (`sign * fun(x)`, `sign = -1` when maximizing).

    Args:
        fun: Maps an `n x d` tensor to `n` values (tensor, numpy array or sequence).
        bounds: `2 x d` bounds (dtype of the values).
        max_evals: Exact evaluation budget.
        sign: `1.0` to minimize `fun`, `-1.0` to maximize it.
        executor: Optional executor; each point of a population is submitted as its own `fun(x[i:i+1])` task.
        on_error: `"raise"` re-raises an exception of `fun` as :class:`ObjectiveError` naming the point;
            `"inf"` counts the point as +inf (worst) and goes on.
        callback: Optional `callback(result_so_far: OptimizeResult) -> bool | None`, called after every batch;
            returning True stops the run.
        progress: Show a tqdm bar over evaluations.
        method: Method name, for messages.
    """

    def __init__(
        self, fun: Callable[[Tensor], Any], bounds: Tensor, max_evals: int, *, sign: float = 1.0,
        executor: Executor | None = None, on_error: OnError = "raise",
        callback: Callable[[OptimizeResult], bool | None] | None = None, progress: bool = False, method: str = "",
    ) -> None:
        if on_error not in ("raise", "inf"):
            raise ValueError(f"`on_error` must be 'raise' or 'inf', got {on_error!r}")
        if executor is not None and not isinstance(executor, Executor):
            raise TypeError(f"`executor` must be a concurrent.futures.Executor, got {type(executor).__name__}")
        self.fun, self.bounds, self.max_evals, self.sign = fun, bounds, max_evals, sign
        self.executor, self.on_error, self.callback, self.method = executor, on_error, callback, method
        self.n_evals = 0
        self.n_failed = 0
        self.best_value = math.inf  # internal (minimization) sign
        self.best_x = torch.full((bounds.shape[1],), math.nan, dtype=bounds.dtype)
        self.history: list[tuple[int, float]] = []
        self.stop_requested = False
        self.generations: Callable[[], int] = lambda: 0  # set by minimize() to the optimizer's counter
        self.start = time.monotonic()
        self._bar = tqdm(total=max_evals, desc=method or "minimize", disable=not progress, leave=False)

    @property
    def remaining(self) -> int:
        """Evaluations left in the budget."""
        return self.max_evals - self.n_evals

    @property
    def exhausted(self) -> bool:
        """True when the budget is spent or a stop was requested."""
        return self.remaining <= 0 or self.stop_requested

    # -- public entry points -------------------------------------------------------------------------------------
    def evaluate(self, x: Tensor) -> Tensor:
        """Evaluate (at most the remaining budget of) a population, without gradients.

        Args:
            x: `n x d` points in the box.

        Returns:
            `k` values in the minimization sign, `k = min(n, remaining)`; NaN and failures are +inf.
        """
        x = x.detach()[: max(self.remaining, 0)]
        if x.shape[0] == 0:
            return x.new_zeros(0)
        with torch.no_grad():
            if self.executor is not None:
                values = self._evaluate_pointwise(x, submit=self.executor.submit)
            else:
                values = self._evaluate_batch(x)
        values = nan_to_worst(self.sign * values)
        self._record(x, values)
        return values

    def evaluate_with_grad(self, x: Tensor) -> Tensor:
        """Evaluate a population keeping the autograd graph (gradient-based methods).

        A value-and-gradient query of one point counts as one evaluation. Non-finite gradients flowing back
        into `x` are replaced by 0 so that a NaN never reaches the optimizer's parameters.

        Args:
            x: `n x d` points in the box, part of an autograd graph; `n` must not exceed the remaining budget.

        Returns:
            `n` differentiable values in the minimization sign (NaN kept; failures are constant +inf).

        Raises:
            NotDifferentiableError: If `fun` does not return a torch tensor attached to the graph of `x`.
        """
        if x.shape[0] > self.remaining:
            raise RuntimeError(f"asked for {x.shape[0]} evaluations with {self.remaining} left in the budget")
        if x.requires_grad:
            x.register_hook(lambda grad: torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0))
        values = self._evaluate_batch(x, differentiable=True)
        values = self.sign * values
        self._record(x.detach(), nan_to_worst(values.detach()))
        return values

    def result(self, message: str, n_generations: int, converged: bool = False) -> OptimizeResult:
        """The :class:`OptimizeResult` so far (values in the user's sign).

        `success` has scipy's meaning: the method's own convergence test ended the run (`converged`) and a finite
        value was found; a run that ends by its budget or a callback is not a success.
        """
        fun = self.sign * self.best_value
        history = list(self.history)
        if not history or history[-1][0] != self.n_evals:
            history.append((self.n_evals, fun))
        return OptimizeResult(
            x=self.best_x.clone(), fun=fun, nfev=self.n_evals, nit=n_generations,
            success=converged and math.isfinite(self.best_value) and not self.stop_requested, message=message,
            history=history, n_failed=self.n_failed, wall_time=time.monotonic() - self.start,
        )

    def close(self) -> None:
        """Close the progress bar."""
        self._bar.close()

    # -- internals ----------------------------------------------------------------------------------------------
    def _evaluate_batch(self, x: Tensor, differentiable: bool = False) -> Tensor:
        try:
            raw = self.fun(x)
        except Exception:  # noqa: BLE001 - located point by point below, then re-raised or counted
            return self._evaluate_pointwise(x, submit=None, differentiable=differentiable)
        return self._as_values(raw, x, differentiable)

    def _evaluate_pointwise(self, x: Tensor, submit: Callable | None, differentiable: bool = False) -> Tensor:
        """One call per point, so that a failure is attributed to its point."""
        n = x.shape[0]
        values: list[Tensor] = []
        if submit is not None:
            futures = [submit(self.fun, x[i : i + 1]) for i in range(n)]
            calls: list[Callable[[], Any]] = [future.result for future in futures]
        else:
            calls = [lambda i=i: self.fun(x[i : i + 1]) for i in range(n)]
        for i, call in enumerate(calls):
            try:
                values.append(self._as_values(call(), x[i : i + 1], differentiable)[0])
            except (NotDifferentiableError, ObjectiveValueError):
                raise
            except Exception as err:  # noqa: BLE001 - the objective may raise anything
                if self.on_error == "raise":
                    raise ObjectiveError(
                        f"`fun` raised {type(err).__name__} at x = {format_point(x[i])}: {err}"
                    ) from err
                values.append(torch.tensor(math.inf if self.sign > 0 else -math.inf, dtype=x.dtype))
        return torch.stack(values)

    def _as_values(self, raw: Any, x: Tensor, differentiable: bool) -> Tensor:
        n = x.shape[0]
        if differentiable:
            if not isinstance(raw, Tensor) or (x.requires_grad and raw.grad_fn is None and not raw.requires_grad):
                got = type(raw).__name__ if not isinstance(raw, Tensor) else "a tensor detached from the input"
                raise NotDifferentiableError(
                    f"method {self.method!r} uses gradients and needs `fun` differentiable by torch autograd (torch "
                    f"operations on the input tensor, no .numpy()/.item()/detach()), but `fun` returned {got}; "
                    "use a zero-order method instead (e.g. 'acma', 'snes', 'es', 'ga', 'random')"
                )
            values = raw.to(x.dtype)
        elif isinstance(raw, Tensor):
            values = raw.detach().to(dtype=x.dtype, device="cpu")
        else:
            try:
                values = torch.as_tensor(np.asarray(raw, dtype=np.float64), dtype=x.dtype)
            except (TypeError, ValueError) as err:
                shown = repr(raw) if len(repr(raw)) <= 60 else repr(raw)[:57] + "..."
                raise ObjectiveValueError(
                    f"`fun` must return {n} number(s) for an ({n}, d) input (a tensor, array or sequence of floats), "
                    f"but returned {type(raw).__name__} {shown}: {err}"
                ) from err
        if values.numel() != n:
            raise ValueError(
                f"`fun` must map an (n, d) tensor to (n,) values; for n={n} it returned shape {tuple(values.shape)}"
            )
        return values.reshape(n)

    def _record(self, x: Tensor, values: Tensor) -> None:
        k = values.shape[0]
        self.n_evals += k
        self.n_failed += int((~torch.isfinite(values)).sum())
        self._bar.update(k)
        if k and torch.isfinite(values).any():
            i = int(values.argmin())
            if float(values[i]) < self.best_value:
                self.best_value = float(values[i])
                self.best_x = x[i].detach().to(self.bounds).clone()
                self.history.append((self.n_evals, self.sign * self.best_value))
        if self.callback is not None and self.callback(self.result("running", self.generations())):
            self.stop_requested = True
