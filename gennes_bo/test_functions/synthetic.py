"""Synthetic test functions of the paper that BoTorch lacks, as `SyntheticTestFunction` subclasses, and the
paper's domains for those BoTorch has (Appendix A.1). All are minimization problems with known optimum."""

from __future__ import annotations

import math

import torch
from botorch.test_functions import Ackley, Rastrigin, StyblinskiTang
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


def paper_function(name: str, dim: int, dtype: torch.dtype = torch.double) -> SyntheticTestFunction:
    """A paper benchmark function on the paper's domain (Appendix A.1), minimization, `f* = 0`.

    Ackley uses the standard form with `cos(2 pi x_i)` (the paper prints `cos x_i`).

    Args:
        name: One of `rastrigin`, `ackley`, `styblinski_tang`, `schwefel`, `alpine1`.
        dim: Dimension.
        dtype: Dtype of the bounds.
    """
    factories = {
        "rastrigin": lambda: Rastrigin(dim=dim, bounds=[(-3.0, 3.0)] * dim, dtype=dtype),
        "ackley": lambda: Ackley(dim=dim, bounds=[(-10.0, 10.0)] * dim, dtype=dtype),
        "styblinski_tang": lambda: ShiftedStyblinskiTang(dim=dim, dtype=dtype),
        "schwefel": lambda: Schwefel(dim=dim, dtype=dtype),
        "alpine1": lambda: Alpine1(dim=dim, dtype=dtype),
    }
    if name not in factories:
        raise ValueError(f"`name` must be one of {sorted(factories)}, got {name!r}")
    if dim < 1:
        raise ValueError(f"`dim` must be >= 1, got {dim}")
    return factories[name]()


PAPER_FUNCTIONS = ("rastrigin", "ackley", "styblinski_tang", "schwefel", "alpine1")
