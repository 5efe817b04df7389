"""GENNES on objectives that fail (NaN) over 30 % of the box, where their minimum lies: how many evaluations fail.

A shifted sphere and a shifted Rastrigin function in d = 5 on `[-5, 5]^5` return NaN wherever `x_0 > 2`, and their
unconstrained minimum (`x_0 = 3`) lies there; the best defined value is 1.0 for both, on the border `x_0 = 2`.
Failed samples give GENNES no gradient; `GennesSearch` gives them stand-in values that pull the generators back
(docs/design.md#failures-nan-inf-and-exceptions, where the numbers of this script are quoted). `minimize` warns
when more than a quarter of the evaluations fail; the warnings are silenced here, the counts are printed instead.

    python examples/failing_region.py                      # sphere 1000 and Rastrigin 2000 evaluations, seeds 0-4
    python examples/failing_region.py --seeds 1 --budget-scale 0.1
"""

from __future__ import annotations

import argparse
import math
import warnings

import torch

from gennes_bo import minimize

BOUNDS = torch.tensor([[-5.0] * 5, [5.0] * 5], dtype=torch.float64)
CENTER = torch.tensor([3.0, 1.0, -1.0, 0.5, 2.0], dtype=torch.float64)


def sphere(x: torch.Tensor) -> torch.Tensor:
    return ((x - CENTER) ** 2).sum(-1)


def rastrigin(x: torch.Tensor) -> torch.Tensor:
    z = x - CENTER
    return 10.0 * z.shape[-1] + (z**2 - 10.0 * torch.cos(2.0 * math.pi * z)).sum(-1)


def failing_where_the_minimum_is(fun):
    """`fun` with NaN wherever `x_0 > 2` (30 % of the box)."""

    def wrapped(x: torch.Tensor) -> torch.Tensor:
        values = fun(x)
        return torch.where(x[:, 0] > 2.0, torch.full_like(values, math.nan), values)

    return wrapped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--budget-scale", type=float, default=1.0,
                        help="multiply the budgets (sphere 1000, Rastrigin 2000) by this (default 1)")
    args = parser.parse_args(argv)
    for name, fun, budget in (("sphere", sphere, 1000), ("rastrigin", rastrigin, 2000)):
        max_evals = max(int(budget * args.budget_scale), 40)
        for seed in range(args.seeds):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = minimize(failing_where_the_minimum_is(fun), BOUNDS, "gennes", max_evals=max_evals, seed=seed)
            print(f"{name:9s} seed {seed}: best {result.fun:8.3f} (defined optimum 1.0), "
                  f"{result.n_failed:4d} of {result.nfev} evaluations failed")


if __name__ == "__main__":
    main()
