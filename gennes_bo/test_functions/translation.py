"""Random translation of a test function (paper, Appendix A: each fold moves the optimum inside the domain).

`TranslatedFunction(base, shift)(x) = base(x - shift)` on the base's own domain, so the global minimizer moves
from `x*` to `x* + shift`. :func:`random_translation` draws the new minimizer uniformly in the domain, so
`random_translation(get_problem("levy", 20), seed)` is Levy-20 with its optimum moved at random per seed. The
optimal value of the translated problem is exact, so regret `f(x) - f*` is exact too:

- for functions whose minimum over all of `R^d` is the one in the domain (Rastrigin, Ackley, Alpine1,
  Styblinski-Tang, Levy, Griewank, Rosenbrock, Branin, Hartmann, the wave), `f*` is the base's optimal value;
- Schwefel is lower *outside* `[-500, 500]` than its in-domain minimum, and a translation brings such points
  into the domain, so its translated minimizer is in general *not* `x* + shift`; Schwefel and Michalewicz are
  separable, so `f*` and the minimizer are computed coordinate by coordinate as the exact 1-D minimum of their
  term on the shifted interval (dense grid, then bounded Brent refinement).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from botorch.test_functions import (
    Ackley,
    Branin,
    Griewank,
    Hartmann,
    Levy,
    Michalewicz,
    Rastrigin,
    Rosenbrock,
    StyblinskiTang,
)
from botorch.test_functions.synthetic import SyntheticTestFunction
from torch import Tensor

from gennes_bo.test_functions.synthetic import (
    SCHWEFEL_CONSTANT,
    Alpine1,
    Schwefel,
    Wave1D,
    interval_minimum,
    michalewicz_term,
)

# Minimum over R^d equals the minimum over the domain: f* survives any translation. (Hartmann: checked
# numerically on [-1, 2]^d, every point a translation of [0, 1]^d can bring into the domain.)
GLOBAL_ON_REALS: tuple[type, ...] = (Rastrigin, Ackley, Alpine1, StyblinskiTang, Wave1D, Levy, Griewank, Rosenbrock,
                                     Branin, Hartmann)


def _schwefel_term(z: Tensor, i: int) -> Tensor:
    return SCHWEFEL_CONSTANT - z * torch.sin(z.abs().sqrt())


# Separable functions whose f* must be recomputed on the shifted box: f(x) = sum_i term(x_i, i).
SEPARABLE_TERMS: dict[type, Callable[[Tensor, int], Tensor]] = {Schwefel: _schwefel_term,
                                                                 Michalewicz: michalewicz_term}


class TranslatedFunction(SyntheticTestFunction):
    """`base(x - shift)` on `base`'s domain, with its exact optimal value and optimizer.

    Args:
        base: A minimization `SyntheticTestFunction` (not negated, no noise) of a supported class (see
            `GLOBAL_ON_REALS` and `SEPARABLE_TERMS`), or of a class that sets `minimum_is_global = True` (its
            minimum over all of `R^d` is the one in its domain).
        shift: `d` translation; `base`'s optimizer plus `shift` must lie in the domain.
        noise_std: Observation noise of the translated function.
        negate: Negate the translated function.
    """

    def __init__(self, base: SyntheticTestFunction, shift: Tensor, noise_std: float | None = None,
                 negate: bool = False) -> None:
        if base.negate or base.noise_std is not None:
            raise ValueError("`base` must be a plain minimization problem (negate=False, noise_std=None)")
        self.dim = base.dim
        self.continuous_inds = list(range(base.dim))
        self._bounds = [tuple(b) for b in base.bounds.t().tolist()]
        shift = torch.as_tensor(shift, dtype=base.bounds.dtype).reshape(-1)
        if shift.shape != (base.dim,):
            raise ValueError(f"`shift` must have {base.dim} values, got shape {tuple(shift.shape)}")
        optimizer = base.optimizers[0] + shift
        if not ((optimizer >= base.bounds[0]).all() and (optimizer <= base.bounds[1]).all()):
            raise ValueError("`shift` must keep the translated optimizer inside the domain")
        optimizer, self._optimal_value = translated_optimum(base, shift, optimizer)
        self._optimizers = [tuple(optimizer.tolist())]
        super().__init__(noise_std=noise_std, negate=negate, dtype=base.bounds.dtype)
        self.base = base
        self.register_buffer("shift", shift)

    def _evaluate_true(self, X: Tensor) -> Tensor:
        return self.base._evaluate_true(X - self.shift.to(X))


def translated_optimum(base: SyntheticTestFunction, shift: Tensor, moved: Tensor) -> tuple[Tensor, float]:
    """Exact minimizer and minimum of `base(x - shift)` over `base`'s domain.

    Args:
        base: The untranslated function.
        shift: `d` translation.
        moved: `d` base optimizer plus `shift` (the minimizer when `base` is in `GLOBAL_ON_REALS` or its class
            sets `minimum_is_global = True`).

    Raises:
        ValueError: If `base`'s class is in neither `GLOBAL_ON_REALS` nor `SEPARABLE_TERMS` and does not set
            `minimum_is_global = True`.
    """
    for cls, term in SEPARABLE_TERMS.items():
        if isinstance(base, cls):
            lows, highs = (base.bounds - shift).tolist()
            argmins, minima = zip(*(interval_minimum(partial(term, i=i), lo, hi)
                                    for i, (lo, hi) in enumerate(zip(lows, highs, strict=True))), strict=True)
            return torch.tensor(argmins, dtype=shift.dtype) + shift, float(sum(minima))
    if isinstance(base, GLOBAL_ON_REALS) or getattr(type(base), "minimum_is_global", False) is True:
        return moved, float(base.optimal_value)
    raise ValueError(f"cannot compute the exact optimum of a translated {type(base).__name__}; supported: "
                     f"{sorted(c.__name__ for c in (*GLOBAL_ON_REALS, *SEPARABLE_TERMS))}, or a class that sets "
                     "`minimum_is_global = True` (its minimum over R^d is the one in its domain)")


def _fold_generator(seed: int) -> torch.Generator:
    """The torch generator of a fold's translation, from `seed`."""
    # A stream of its own: an optimizer seeded with the same integer must not draw the optimum as its first point.
    stream = int(np.random.SeedSequence(seed, spawn_key=(0x7472616E,)).generate_state(1, np.uint64)[0] >> 1)
    return torch.Generator().manual_seed(stream)


def random_translation(base: SyntheticTestFunction, seed: int) -> TranslatedFunction:
    """Translate `base` so that its minimizer lands uniformly at random in the domain (one fold).

    Args:
        base: The function to translate (see :class:`TranslatedFunction`).
        seed: Fold seed; same seed, same translation.
    """
    rng = _fold_generator(seed)
    lower, upper = base.bounds[0], base.bounds[1]
    target = lower + (upper - lower) * torch.rand(base.dim, generator=rng, dtype=base.bounds.dtype)
    return TranslatedFunction(base, target - base.optimizers[0])


def small_translation(base: SyntheticTestFunction, seed: int, half_width: float = 0.5) -> TranslatedFunction:
    """Translate `base` by a shift drawn uniformly in `[-half_width, half_width]^d` (one fold).

    The convention of the GENNES authors' public code (criteo-research/gennes, `objective.py`: every objective is
    `f(x - t)`, `t ~ U(-0.5, 0.5)^d`, whatever the domain): the minimizer stays next to its usual place (near
    `-2.9` per coordinate for Styblinski-Tang, near `421` for Schwefel) instead of anywhere in the domain as with
    :func:`random_translation`. `f*` is exact as there.

    Args:
        base: The function to translate (see :class:`TranslatedFunction`).
        seed: Fold seed; same seed, same translation.
        half_width: Largest shift per coordinate; the moved optimizer must stay inside the domain.
    """
    rng = _fold_generator(seed)
    shift = half_width * (2.0 * torch.rand(base.dim, generator=rng, dtype=base.bounds.dtype) - 1.0)
    return TranslatedFunction(base, shift)


TRANSLATIONS: dict[str, Callable[[SyntheticTestFunction, int], TranslatedFunction]] = {
    "uniform": random_translation, "public-code": small_translation}
"""Fold translations by name: `uniform` (the optimum anywhere in the domain, our Table 1) and `public-code`."""


def regret(function: SyntheticTestFunction, value: float) -> float:
    """`value - f*` for a minimization test function (non-negative up to rounding)."""
    if math.isnan(value):
        return math.inf
    return value - float(function.optimal_value)
