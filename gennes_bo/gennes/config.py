"""GennesConfig: every setting of the GENNES search, validated at construction."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from gennes_bo.gennes.generator import LAYER_GAIN
from gennes_bo.gennes.schedules import Schedule, exponential_decay


@dataclass(frozen=True)
class GennesConfig:
    """Settings of a GENNES run (paper, Algorithm 1).

    Attributes:
        n_generators: Independent generators trained side by side as one batched network (restarts).
        population_size: Samples `N` drawn from each generator per step (the paper's population size).
        n_iterations: Adam steps on the generator parameters (upper bound; `max_evals` may stop earlier).
        max_evals: Optional cap on objective evaluations (a value-and-gradient query of one point counts once).
        hidden_width: Width `h` of each hidden layer.
        n_hidden: Number `n` of hidden leaky-ReLU layers.
        noise_dim: Dimension `p` of the input noise; `None` takes the output dimension (the paper's p ~ d),
            capped at `max_noise_dim`.
        max_noise_dim: Cap applied when `noise_dim` is `None`.
        noise_scale: Half-width `u_0` of the uniform noise support at step 0.
        output_std: Pre-tanh output std `beta` at initialization (Appendix B); 1.0 covers the box.
        layer_gain: Per-layer gain in the Appendix-B rule (see `last_layer_std`; the paper rounds it to 0.3).
        lr: Adam learning rate on the generator parameters.
        alpha: Per-step noise decay of the paper's schedule `u_t = alpha^t u_0` (used when `schedule` is None).
        schedule: Optional factory `n_steps -> (step -> scale)` replacing the exponential schedule, e.g.
            `lambda n: cosine_decay(n)`; a factory so that each run gets a fresh (possibly stateful) schedule.
        n_polish: How many of the best distinct points (one per generator) a polish hook refines afterwards.
        polish_maxiter: Iteration cap of the polish stage (L-BFGS-B in the BoTorch layer).
    """

    n_generators: int = 1
    population_size: int = 20
    n_iterations: int = 200
    max_evals: int | None = None
    hidden_width: int = 64
    n_hidden: int = 2
    noise_dim: int | None = None
    max_noise_dim: int = 32
    noise_scale: float = 1.0
    output_std: float = 1.0
    layer_gain: float = LAYER_GAIN
    lr: float = 1e-2
    alpha: float = 0.99
    schedule: Callable[[int], Schedule] | None = None
    n_polish: int = 0
    polish_maxiter: int = 200
    optional_counts: ClassVar[tuple[str, ...]] = ("noise_dim", "max_evals")  # fields where None is allowed

    def __post_init__(self) -> None:
        for name in ("n_generators", "population_size", "n_iterations", "hidden_width", "n_hidden",
                     "max_noise_dim", "polish_maxiter"):
            value = getattr(self, name)
            if name in self.optional_counts:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}")
        for name in self.optional_counts:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"`{name}` must be None or an integer >= 1, got {value!r}")
        if not isinstance(self.n_polish, int) or isinstance(self.n_polish, bool) or self.n_polish < 0:
            raise ValueError(f"`n_polish` must be an integer >= 0, got {self.n_polish!r}")
        for name in ("noise_scale", "output_std", "layer_gain", "lr"):
            value = getattr(self, name)
            if not _is_real(value) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"`{name}` must be a finite number > 0, got {value!r}")
        if not _is_real(self.alpha) or not 0.0 < self.alpha < 1.0:
            raise ValueError(f"`alpha` must be in (0, 1), got {self.alpha!r}")
        if self.schedule is not None and not callable(self.schedule):
            raise ValueError(f"`schedule` must be a callable n_steps -> schedule, got {self.schedule!r}")

    def resolved_noise_dim(self, output_dim: int) -> int:
        """Noise dimension used for an output of dimension `output_dim`."""
        return self.noise_dim if self.noise_dim is not None else min(output_dim, self.max_noise_dim)

    def make_schedule(self, n_steps: int) -> Schedule:
        """A fresh noise schedule for a run of `n_steps` steps."""
        return self.schedule(n_steps) if self.schedule is not None else exponential_decay(self.alpha)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-serializable values, for records: a custom `schedule` appears as its name."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        schedule = values.pop("schedule")
        if schedule is not None:
            values["schedule"] = getattr(schedule, "__qualname__", None) or repr(schedule)
        return values

    def replace(self, **changes: Any) -> GennesConfig:
        """A copy with some fields changed (validated again); unknown names raise `TypeError`."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown GennesConfig field(s) {unknown}; known fields: {sorted(known)}")
        return replace(self, **changes)


def _is_real(value: Any) -> bool:
    """An int or float, not a bool (`True` is an int to Python, never a meaningful setting here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


GENNES_CONFIG_FIELDS = tuple(f.name for f in fields(GennesConfig))
