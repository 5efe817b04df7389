"""Test problems with integer, binary or categorical dimensions, or linear constraints (maximized).

Each :class:`SpaceProblem` carries its space in BoTorch's formats: `discrete_dims` / `cat_dims` as
`{dim: allowed values}` (like `optimize_acqf_mixed_alternating`) and linear constraints as `(indices,
coefficients, rhs)` (like `optimize_acqf`); `sample(n, seed)` draws valid, feasible points. Used by
`gennes-bo bench-mixed` and the examples `mixed_acqf.py` and `constrained_acqf.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from botorch.test_functions import Ackley, Hartmann
from torch import Tensor

DTYPE = torch.float64
Constraint = tuple[Tensor, Tensor, float]


@dataclass(frozen=True)
class SpaceProblem:
    """A test problem to maximize over a mixed or linearly constrained space.

    Attributes:
        name: Its key in :data:`SPACE_PROBLEMS`.
        bounds: `2 x d` bounds.
        f: Maps `n x d` valid points to `n` values (to maximize).
        n_train: GP training points of the acquisition-level benchmarks.
        discrete_dims: Discrete dimension -> allowed values.
        cat_dims: Categorical dimension -> allowed values (their encodings).
        inequality_constraints: `sum(coefficients * x[indices]) >= rhs`, BoTorch's format.
        equality_constraints: `sum(coefficients * x[indices]) == rhs`, BoTorch's format.
        description: One line for reports.
    """

    name: str
    bounds: Tensor
    f: Callable[[Tensor], Tensor]
    n_train: int
    discrete_dims: dict[int, list[float]] = field(default_factory=dict)
    cat_dims: dict[int, list[float]] = field(default_factory=dict)
    inequality_constraints: list[Constraint] | None = None
    equality_constraints: list[Constraint] | None = None
    description: str = ""

    @property
    def dim(self) -> int:
        return self.bounds.shape[-1]

    @property
    def constrained(self) -> bool:
        return bool(self.inequality_constraints or self.equality_constraints)

    @property
    def n_combinations(self) -> int:
        """Number of combinations of the discrete and categorical values (1 for a continuous problem)."""
        return math.prod(len(values) for values in {**self.discrete_dims, **self.cat_dims}.values())

    def sample(self, n: int, seed: int) -> Tensor:
        """`n x d` valid points: uniform in the box with discrete and categorical values drawn uniformly, or,
        under constraints, BoTorch's hit-and-run samples of the feasible polytope; seeded by `seed`."""
        if self.constrained:
            from botorch.utils.sampling import get_polytope_samples

            return get_polytope_samples(n, self.bounds, self.inequality_constraints, self.equality_constraints,
                                        seed=seed)
        rng = torch.Generator().manual_seed(seed)
        low, high = self.bounds
        X = low + (high - low) * torch.rand(n, self.dim, generator=rng, dtype=DTYPE)
        for dim, values in {**self.discrete_dims, **self.cat_dims}.items():
            X[:, dim] = torch.tensor(values, dtype=DTYPE)[torch.randint(len(values), (n,), generator=rng)]
        return X

    def violation(self, X: Tensor) -> float:
        """Largest violation by the `n x d` points of the bounds, the constraints and the allowed values (0: all
        valid)."""
        low, high = self.bounds
        worst = max(float((low - X).max()), float((X - high).max()), 0.0)
        for indices, coefficients, rhs in self.inequality_constraints or []:
            worst = max(worst, float((rhs - X[:, indices] @ coefficients).max()))
        for indices, coefficients, rhs in self.equality_constraints or []:
            worst = max(worst, float((X[:, indices] @ coefficients - rhs).abs().max()))
        for dim, values in {**self.discrete_dims, **self.cat_dims}.items():
            gaps = (X[:, dim : dim + 1] - torch.tensor(values, dtype=X.dtype)).abs().min(-1).values
            worst = max(worst, float(gaps.max()))
        return worst


def _unit_box(d: int) -> Tensor:
    return torch.stack([torch.zeros(d), torch.ones(d)]).to(DTYPE)


def hartmann6_discretized() -> SpaceProblem:
    """Hartmann6 with dimensions 0-2 restricted to 5 levels (0, 0.25, ..., 1): 125 combinations."""
    levels = [0.0, 0.25, 0.5, 0.75, 1.0]
    return SpaceProblem("hartmann6-disc", _unit_box(6), Hartmann(dim=6, negate=True), 20,
                        discrete_dims={i: levels for i in range(3)},
                        description="Hartmann6, dimensions 0-2 on 5 levels (125 combinations)")


def ackley_binary() -> SpaceProblem:
    """An Ackley function of 10 binary dimensions (at -1 and 2) and 6 continuous ones (in [-3, 3])."""
    ackley = Ackley(dim=16, negate=True)

    def f(X: Tensor) -> Tensor:
        return ackley(torch.cat([X[..., :10] * 3.0 - 1.0, X[..., 10:] * 6.0 - 3.0], dim=-1))

    return SpaceProblem("ackley-binary", _unit_box(16), f, 30, discrete_dims={i: [0.0, 1.0] for i in range(10)},
                        description="Ackley-16: 10 binary and 6 continuous dimensions (1024 combinations)")


def categorical_synthetic() -> SpaceProblem:
    """8 categorical dimensions of 4 levels (additive effects; the first moves the continuous optimum, the second
    flips a slope) and 4 continuous ones."""
    table = torch.randn(8, 4, generator=torch.Generator().manual_seed(17), dtype=DTYPE)
    centres = torch.rand(4, 4, generator=torch.Generator().manual_seed(18), dtype=DTYPE)

    def f(X: Tensor) -> Tensor:
        categories = X[..., :8].round().long()
        effects = table.gather(1, categories.T.reshape(8, -1)).T.reshape(*X.shape[:-1], 8).sum(-1)
        distance = ((X[..., 8:] - centres[categories[..., 0]]) ** 2).sum(-1)
        interaction = torch.cos(math.pi * categories[..., 1]) * X[..., 8]
        return effects - 4.0 * distance + interaction

    bounds = torch.stack([torch.zeros(12), torch.tensor([3.0] * 8 + [1.0] * 4)]).to(DTYPE)
    return SpaceProblem("categorical", bounds, f, 30, cat_dims={i: [0.0, 1.0, 2.0, 3.0] for i in range(8)},
                        description="8 categoricals of 4 levels and 4 continuous dimensions (65536 combinations)")


def hartmann6_budget() -> SpaceProblem:
    """Hartmann6 under the budget x0 + x1 + x2 <= 1 (written -x0 - x1 - x2 >= -1)."""
    return SpaceProblem("hartmann6-budget", _unit_box(6), Hartmann(dim=6, negate=True), 25,
                        inequality_constraints=[(torch.tensor([0, 1, 2]), -torch.ones(3, dtype=DTYPE), -1.0)],
                        description="Hartmann6 with x0 + x1 + x2 <= 1")


def hartmann4_simplex() -> SpaceProblem:
    """Hartmann4 as a mixture: fractions in [0, 1] that sum to 1."""
    return SpaceProblem("hartmann4-simplex", _unit_box(4), Hartmann(dim=4, negate=True), 25,
                        equality_constraints=[(torch.arange(4), torch.ones(4, dtype=DTYPE), 1.0)],
                        description="Hartmann4 as a mixture on the simplex (x >= 0, sum x = 1)")


SPACE_PROBLEMS: dict[str, Callable[[], SpaceProblem]] = {
    "hartmann6-disc": hartmann6_discretized,
    "ackley-binary": ackley_binary,
    "categorical": categorical_synthetic,
    "hartmann6-budget": hartmann6_budget,
    "hartmann4-simplex": hartmann4_simplex,
}


def get_space_problem(name: str) -> SpaceProblem:
    """The problem of :data:`SPACE_PROBLEMS` called `name`.

    Raises:
        ValueError: For an unknown name, listing the known ones.
    """
    if name not in SPACE_PROBLEMS:
        raise ValueError(f"`name` must be one of {sorted(SPACE_PROBLEMS)}, got {name!r}")
    return SPACE_PROBLEMS[name]()
