"""Synthetic test functions that BoTorch lacks, as `SyntheticTestFunction` subclasses: the paper's Alpine1,
Schwefel and shifted Styblinski-Tang, the 1-D wave, and BoTorch's Michalewicz with its optimum in every dimension.
All are minimization problems with a known optimum; :mod:`gennes_bo.test_functions.registry` names them."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import torch
from botorch.test_functions import Michalewicz, StyblinskiTang
from botorch.test_functions.synthetic import SyntheticTestFunction
from torch import Tensor

STYBLINSKI_TANG_MIN_PER_DIM = -39.16616570377142  # value at x_i = -2.903534...
STYBLINSKI_TANG_ARGMIN = -2.903534027771177
SCHWEFEL_ARGMIN = 420.968746
SCHWEFEL_CONSTANT = 418.9828872724339  # -min_x x sin(sqrt|x|) on [-500, 500], so f* = 0


class Alpine1(SyntheticTestFunction):
    """Alpine1: `f(x) = sum_i |x_i sin(x_i) + 0.1 x_i|`, minimum 0 at the origin, on `[-10, 10]^d`."""

    def __init__(
        self, dim: int = 20, noise_std: float | None = None, negate: bool = False,
        bounds: list[tuple[float, float]] | None = None, dtype: torch.dtype = torch.double,
    ) -> None:
        self.dim = dim
        self.continuous_inds = list(range(dim))
        self._optimal_value = 0.0
        self._optimizers = [tuple(0.0 for _ in range(dim))]
        super().__init__(noise_std=noise_std, negate=negate,
                         bounds=bounds or [(-10.0, 10.0)] * dim, dtype=dtype)

    def _evaluate_true(self, X: Tensor) -> Tensor:
        return (X * torch.sin(X) + 0.1 * X).abs().sum(dim=-1)


class Schwefel(SyntheticTestFunction):
    """Schwefel: `f(x) = 418.9829 d - sum_i x_i sin(sqrt|x_i|)`, minimum ~0 at `x_i = 420.9687`, on
    `[-500, 500]^d`."""

    def __init__(
        self, dim: int = 10, noise_std: float | None = None, negate: bool = False,
        bounds: list[tuple[float, float]] | None = None, dtype: torch.dtype = torch.double,
    ) -> None:
        self.dim = dim
        self.continuous_inds = list(range(dim))
        self._optimal_value = 0.0
        self._optimizers = [tuple(SCHWEFEL_ARGMIN for _ in range(dim))]
        super().__init__(noise_std=noise_std, negate=negate,
                         bounds=bounds or [(-500.0, 500.0)] * dim, dtype=dtype)

    def _evaluate_true(self, X: Tensor) -> Tensor:
        return SCHWEFEL_CONSTANT * X.shape[-1] - (X * torch.sin(X.abs().sqrt())).sum(dim=-1)


class ShiftedStyblinskiTang(StyblinskiTang):
    """Styblinski-Tang shifted by `+39.16617 d` so that `f* = 0` (the paper's form), on `[-10, 10]^d`."""

    def __init__(
        self, dim: int = 10, noise_std: float | None = None, negate: bool = False,
        bounds: list[tuple[float, float]] | None = None, dtype: torch.dtype = torch.double,
    ) -> None:
        super().__init__(dim=dim, noise_std=noise_std, negate=negate,
                         bounds=bounds or [(-10.0, 10.0)] * dim, dtype=dtype)
        self._optimal_value = 0.0
        self._optimizers = [tuple(STYBLINSKI_TANG_ARGMIN for _ in range(dim))]

    def _evaluate_true(self, X: Tensor) -> Tensor:
        return super()._evaluate_true(X) - STYBLINSKI_TANG_MIN_PER_DIM * X.shape[-1]


class Wave1D(SyntheticTestFunction):
    """The 1-D test wave of the neurogenetic blog post, `O(x) = sin x + sin 10x - 0.01 x^2` on `[-10, 10]`.

    The blog maximizes `O`; as a `SyntheticTestFunction` (a minimization convention) this class evaluates
    `-O`, so `Wave1D(negate=True)` is `O` itself. The global maximum of `O` is found numerically at import.
    """

    dim = 1
    continuous_inds = [0]
    _bounds = [(-10.0, 10.0)]

    def __init__(self, noise_std: float | None = None, negate: bool = False, dtype: torch.dtype = torch.double):
        argmax, max_value = _wave_maximum()
        self._optimal_value = -max_value
        self._optimizers = [(argmax,)]
        super().__init__(noise_std=noise_std, negate=negate, dtype=dtype)

    def _evaluate_true(self, X: Tensor) -> Tensor:
        x = X[..., 0]
        return -(torch.sin(x) + torch.sin(10.0 * x) - 0.01 * x**2)


def _wave_maximum() -> tuple[float, float]:
    """Global maximum of the wave: a dense grid then Newton-free golden refinement by scipy."""
    from scipy.optimize import minimize_scalar

    grid = torch.linspace(-10.0, 10.0, 200_001, dtype=torch.float64)
    values = torch.sin(grid) + torch.sin(10.0 * grid) - 0.01 * grid**2
    center = float(grid[values.argmax()])

    def negative(x: float) -> float:
        return -(math.sin(x) + math.sin(10.0 * x) - 0.01 * x * x)

    result = minimize_scalar(negative, bounds=(center - 1e-3, center + 1e-3), method="bounded",
                             options={"xatol": 1e-12})
    return float(result.x), -float(result.fun)


class MichalewiczAnyDim(Michalewicz):
    """BoTorch's Michalewicz with its exact optimizer and optimal value in every dimension, on `[0, pi]^d`.

    BoTorch gives the optimizer for `d = 2` only (and rounded optimal values for 5 and 10); the function is
    separable, `f(x) = sum_i term(x_i, i)`, so both come from one 1-D minimization per coordinate.
    """

    def __init__(
        self, dim: int = 10, noise_std: float | None = None, negate: bool = False,
        bounds: list[tuple[float, float]] | None = None, dtype: torch.dtype = torch.double,
    ) -> None:
        super().__init__(dim=dim, noise_std=noise_std, negate=negate, bounds=bounds, dtype=dtype)
        coordinates = [_michalewicz_minimum(i, low, high) for i, (low, high) in enumerate(self.bounds.t().tolist())]
        self._optimizers = [tuple(argmin for argmin, _ in coordinates)]
        self._optimal_value = math.fsum(minimum for _, minimum in coordinates)
        self.register_buffer("exact_optimizers", torch.tensor(self._optimizers, dtype=self.bounds.dtype))

    @property
    def optimizers(self) -> Tensor:
        # BoTorch's property raises for d = 5, 10; during BoTorch's __init__ (d = 2) this must look absent.
        if "exact_optimizers" not in self._buffers:
            raise AttributeError("optimizers")
        return self.exact_optimizers


def michalewicz_term(z: Tensor, i: int) -> Tensor:
    """Coordinate `i`'s (0-based) term of Michalewicz, `-sin(z) sin((i + 1) z^2 / pi)^20`."""
    return -torch.sin(z) * torch.sin((i + 1) * z**2 / math.pi).pow(20)


@lru_cache(maxsize=256)
def _michalewicz_minimum(i: int, low: float, high: float) -> tuple[float, float]:
    return interval_minimum(lambda z: michalewicz_term(z, i), low, high)


def interval_minimum(
    term: Callable[[Tensor], Tensor], low: float, high: float, n_grid: int = 200_001
) -> tuple[float, float]:
    """`(argmin, min)` (to ~1e-10) of a smooth 1-D function on `[low, high]`: dense grid, then Brent refinement."""
    from scipy.optimize import minimize_scalar

    grid = torch.linspace(low, high, n_grid, dtype=torch.float64)
    values = term(grid)
    i = int(values.argmin())
    step = (high - low) / (n_grid - 1)
    a, b = max(low, float(grid[i]) - step), min(high, float(grid[i]) + step)
    refined = minimize_scalar(lambda z: float(term(torch.tensor(z, dtype=torch.float64))), bounds=(a, b),
                              method="bounded", options={"xatol": 1e-12})
    if float(refined.fun) < float(values[i]):
        return float(refined.x), float(refined.fun)
    return float(grid[i]), float(values[i])
