"""The grid of `gennes-bo bo-batch`: its cells, optimizers and constants, which the command (`bo_batch`), its report
(`bo_batch_report`) and `device_timing` share."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# torch, BoTorch and the problems are imported inside the functions that use them: `gennes-bo bo-batch --help`
# answers without them.

OPTIMIZERS = ("gennes-hybrid", "botorch-default", "botorch-sequential", "lbfgs-same-starts", "gennes", "random",
              "sobol")
BOTORCH_MODES = ("botorch-default", "botorch-sequential")
TARGET = "gennes-hybrid"
ITERATIONS = 10
NOISE_FRACTION = 0.05  # noisy variant: noise std = 5 % of the function's range over the box
GRID_NAMES = ("main", "secondary", "all")


@dataclass(frozen=True)
class CellFamily:
    """Cells of a grid that share an acquisition, a noise level and a number of seeds.

    Attributes:
        problems: Problem keys (:func:`~gennes_bo.test_functions.problem_key`: `hartmann6`, `ackley10`).
        q: Batch sizes.
        acquisition: `"qlognei"` or `"qucb"`.
        seeds: Seeds per cell.
        noise: Observation noise std as a fraction of the function's range (0: noiseless).
    """

    problems: tuple[str, ...]
    q: tuple[int, ...]
    acquisition: str
    seeds: int
    noise: float = 0.0


MAIN_PROBLEMS = ("hartmann6", "ackley10", "levy20", "rastrigin10", "griewank10", "michalewicz10")
SECONDARY_PROBLEMS = ("hartmann6", "ackley10", "michalewicz10")
ACQUISITIONS = ("qlognei", "qucb")
GRIDS: dict[str, tuple[CellFamily, ...]] = {
    "main": (CellFamily(MAIN_PROBLEMS, (16,), "qlognei", 10),),
    "secondary": (CellFamily(SECONDARY_PROBLEMS, (8, 32), "qlognei", 5),
                  CellFamily(SECONDARY_PROBLEMS, (16,), "qucb", 5),
                  CellFamily(("hartmann6",), (16,), "qlognei", 5, noise=NOISE_FRACTION)),
}


@functools.cache
def noise_std(problem: str, fraction: float) -> float:
    """`fraction` of the range of `problem` (a key) over its box: the largest value on 1024 scrambled Sobol points
    (seed 0) minus f*, rounded to 4 significant digits (0 for a zero fraction)."""
    if fraction == 0:
        return 0.0
    from gennes_bo.test_functions import get_problem, parse_problem_key

    function = get_problem(*parse_problem_key(problem))
    X = initial_design(function.bounds.double(), 1024, seed=0)
    return float(f"{fraction * (float(function(X).max()) - float(function.optimal_value)):.4g}")


def planned_seeds(spec: Mapping[str, Any]) -> int | None:
    """Seeds that the built-in grids plan for the cell of `spec` (its problem, acquisition, q and noise, at the
    default iterations), or None for a cell of no grid (a custom or `--quick` run)."""
    if spec.get("iterations") != ITERATIONS:
        return None
    planned = [family.seeds for families in GRIDS.values() for family in families
               if spec["problem"] in family.problems and spec["q"] in family.q
               and spec["acquisition"] == family.acquisition
               and spec["noise_std"] == noise_std(spec["problem"], family.noise)]
    return max(planned, default=None)


def initial_design(bounds: Any, n: int, seed: int) -> Any:
    """`n x d` scrambled Sobol points in the `2 x d` box, seeded by `seed`: the initial design of every optimizer of
    a seed."""
    from botorch.utils.sampling import draw_sobol_samples

    return draw_sobol_samples(bounds, n=n, q=1, seed=seed).squeeze(1)


Cell = tuple[str, str, int, float, int]  # problem, acquisition, q, noise std, iterations


def cell_of(spec: Mapping[str, Any]) -> Cell:
    """The cell of a spec: problem, acquisition, q, noise std and iterations (its seeds and optimizers vary)."""
    return spec["problem"], spec["acquisition"], spec["q"], spec["noise_std"], spec["iterations"]


def cell_title(cell: Cell) -> str:
    """`ackley10, qLogNEI q=16`, with the noise and iterations when not the defaults."""
    problem, acquisition, q, noise, iterations = cell
    name = {"qlognei": "qLogNEI", "qucb": "qUCB"}.get(acquisition, acquisition)
    return (f"{problem}, {name} q={q}" + (f", noise {noise:g}" if noise else "")
            + (f", {iterations} iterations" if iterations != ITERATIONS else ""))
