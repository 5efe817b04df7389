"""Noise-annealing schedules.

A schedule is a function `step -> scale` with `scale(0) == 1`; the noise support at step `t` is
`scale(t) * u_0` (paper, Appendix C, eq. (10) for the exponential rule). Stateful schedules (annealing on
stagnation) also expose `observe(best_value)`, which the search loop calls once per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol, runtime_checkable

Schedule = Callable[[int], float]


@runtime_checkable
class AdaptiveSchedule(Protocol):
    """A schedule that also reacts to the best value found so far."""

    def __call__(self, step: int) -> float: ...

    def observe(self, best_value: float) -> None: ...


def _check_rate(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"`{name}` must be in (0, 1), got {value}")


def exponential_decay(rate: float = 0.99, floor: float = 0.0) -> Schedule:
    """Paper schedule `u_t = rate^t u_0` (Appendix C, eq. (10)), optionally never below `floor`.

    Args:
        rate: Per-step factor alpha in (0, 1); the paper uses 0.99, 0.9 for few convex minima, 0.999 for very
            multimodal objectives.
        floor: Smallest scale returned, in [0, 1).
    """
    _check_rate("rate", rate)
    if not 0.0 <= floor < 1.0:
        raise ValueError(f"`floor` must be in [0, 1), got {floor}")
    return lambda step: max(rate**step, floor)


def decay_to(final_scale: float, n_steps: int) -> Schedule:
    """Exponential decay reaching `final_scale` after `n_steps`: alpha chosen from the budget.

    Useful when the number of steps is fixed (acquisition optimization): `rate = final_scale^(1/n_steps)`.

    Args:
        final_scale: Scale at step `n_steps`, in (0, 1).
        n_steps: Number of steps of the run, >= 1.
    """
    _check_rate("final_scale", final_scale)
    if n_steps < 1:
        raise ValueError(f"`n_steps` must be >= 1, got {n_steps}")
    return exponential_decay(final_scale ** (1.0 / n_steps))


def cosine_decay(n_steps: int, final_scale: float = 1e-3) -> Schedule:
    """Cosine annealing from 1 to `final_scale` over `n_steps`, then constant.

    Args:
        n_steps: Number of steps over which the scale decays, >= 1.
        final_scale: Scale reached at `n_steps`, in (0, 1).
    """
    _check_rate("final_scale", final_scale)
    if n_steps < 1:
        raise ValueError(f"`n_steps` must be >= 1, got {n_steps}")

    def schedule(step: int) -> float:
        progress = min(step, n_steps) / n_steps
        return final_scale + (1.0 - final_scale) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return schedule


def constant() -> Schedule:
    """No annealing: the noise support stays at `u_0` (the paper's ablation)."""
    return lambda step: 1.0


class StagnationDecay:
    """Anneal only while the search stagnates: multiply the scale by `rate` after `patience` steps without
    a relative improvement of at least `tol` of the best value.

    Args:
        rate: Factor applied on stagnation, in (0, 1).
        patience: Steps without improvement before a decay, >= 1.
        tol: Relative improvement that counts, >= 0.
        floor: Smallest scale, in [0, 1).
    """

    def __init__(self, rate: float = 0.5, patience: int = 5, tol: float = 1e-6, floor: float = 0.0) -> None:
        _check_rate("rate", rate)
        if patience < 1:
            raise ValueError(f"`patience` must be >= 1, got {patience}")
        if tol < 0:
            raise ValueError(f"`tol` must be >= 0, got {tol}")
        if not 0.0 <= floor < 1.0:
            raise ValueError(f"`floor` must be in [0, 1), got {floor}")
        self.rate, self.patience, self.tol, self.floor = rate, patience, tol, floor
        self._scale = 1.0
        self._best = -math.inf
        self._since_improvement = 0

    def observe(self, best_value: float) -> None:
        """Record the best value after a step (maximization)."""
        threshold = self._best + self.tol * max(abs(self._best), 1.0) if math.isfinite(self._best) else -math.inf
        if best_value > threshold:
            self._best = best_value
            self._since_improvement = 0
            return
        self._since_improvement += 1
        if self._since_improvement >= self.patience:
            self._scale = max(self._scale * self.rate, self.floor)
            self._since_improvement = 0

    def __call__(self, step: int) -> float:
        return self._scale


def stagnation_decay(rate: float = 0.5, patience: int = 5, tol: float = 1e-6, floor: float = 0.0) -> StagnationDecay:
    """Factory for :class:`StagnationDecay` (anneal on stagnation)."""
    return StagnationDecay(rate=rate, patience=patience, tol=tol, floor=floor)
