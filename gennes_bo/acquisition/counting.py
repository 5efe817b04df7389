"""Counting acquisition evaluations, so that acquisition optimizers can be compared at equal budget."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from torch import Tensor, nn


@dataclass
class AcqfEvalCounter:
    """Acquisition evaluations seen while a :func:`count_acqf_evals` block was open.

    Attributes:
        n_evals: Points evaluated: one per `q x d` batch passed to the acquisition function (a value-and-gradient
            query counts once), whatever optimizer made the call.
        n_calls: Forward calls of the acquisition function.
        wall_time: Seconds the block took.
        trace: With `record=True`, `(n_evals, best value so far)` after each call: an anytime curve.
    """

    n_evals: int = 0
    n_calls: int = 0
    wall_time: float = 0.0
    trace: list[tuple[int, float]] = field(default_factory=list)

    def evals_to_reach(self, value: float) -> int | None:
        """Evaluations after which the best value so far first reached `value` (None if never)."""
        for n_evals, best in self.trace:
            if best >= value:
                return n_evals
        return None


@contextmanager
def count_acqf_evals(acq_function: nn.Module, record: bool = False) -> Iterator[AcqfEvalCounter]:
    """Count every evaluation of `acq_function` inside the block (a forward hook, removed on exit).

    Args:
        acq_function: The acquisition function (any `nn.Module` called on `... x q x d` tensors).
        record: Also record the anytime curve `counter.trace` (costs one device sync per call).

    Example:
        >>> with count_acqf_evals(acqf) as counter:
        ...     optimize_acqf(acqf, bounds, q=1, num_restarts=20, raw_samples=1024)
        >>> counter.n_evals
    """
    counter = AcqfEvalCounter()

    def hook(_module: nn.Module, args: tuple, output: Tensor) -> None:
        X = args[0] if args else None
        if not isinstance(X, Tensor):
            return
        counter.n_calls += 1
        counter.n_evals += X.shape[:-2].numel() if X.dim() >= 2 else 1
        if record:
            values = output.detach()
            values = values[values.isfinite()]
            previous = counter.trace[-1][1] if counter.trace else -math.inf
            best = max(previous, float(values.max())) if values.numel() else previous
            counter.trace.append((counter.n_evals, best))

    handle = acq_function.register_forward_hook(hook)
    start = time.monotonic()
    try:
        yield counter
    finally:
        counter.wall_time = time.monotonic() - start
        handle.remove()
