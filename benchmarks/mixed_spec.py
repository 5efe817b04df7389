"""The grid of `gennes-bo bench-mixed`: its problems, optimizers, constants and specs, which the command (`mixed`)
and its report (`mixed_report`) share."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

MIXED_PROBLEMS = ("hartmann6-disc", "ackley-binary", "categorical")
CONSTRAINED_PROBLEMS = ("hartmann6-budget", "hartmann4-simplex")
PROBLEMS = MIXED_PROBLEMS + CONSTRAINED_PROBLEMS
TARGETS = {"mixed": "gennes-mixed", "constrained": "gennes-hybrid"}
BASELINES = {"mixed": ("botorch-alternating", "botorch-enumerate"), "constrained": ("botorch-default",)}
ENUMERATION_LIMIT = 128  # `botorch-enumerate` runs where the discrete and categorical values have this many combos
ENUMERATION_BUDGET = {"num_restarts": 2, "raw_samples": 64}  # per combination: 125 optimize_acqf calls per point
ACQF_Q = (1, 4)
BO_Q = 1
N_INIT = 8
ITERATIONS = 8
SEEDS = 5
PARTS = ("acqf", "bo")


def family(problem: str) -> str:
    """`"mixed"` or `"constrained"`: which optimizers a problem is run with."""
    return "constrained" if problem in CONSTRAINED_PROBLEMS else "mixed"


def optimizers_of(problem: str) -> tuple[str, ...]:
    """The optimizers run on `problem`: the target first, then the baselines that apply (the enumeration only
    where it is small, see :data:`ENUMERATION_LIMIT`)."""
    from gennes_bo.test_functions.mixed import get_space_problem

    kind = family(problem)
    baselines = BASELINES[kind]
    if kind == "mixed" and get_space_problem(problem).n_combinations > ENUMERATION_LIMIT:
        baselines = tuple(name for name in baselines if name != "botorch-enumerate")
    return (TARGETS[kind], *baselines)


@functools.cache
def space_problem(name: str) -> Any:
    """The space problem `name` of `gennes_bo.test_functions.mixed` (one instance per process)."""
    from gennes_bo.test_functions.mixed import get_space_problem

    return get_space_problem(name)


def make_specs(problems: Sequence[str] = PROBLEMS, seeds: int = SEEDS, parts: Sequence[str] = PARTS,
               q: Sequence[int] = ACQF_Q, iterations: int = ITERATIONS, n_init: int = N_INIT,
               budget: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """The grid, seed-major: for each seed, each problem's `acqf` runs (each q, each optimizer), then its `bo` runs.

    Args:
        problems: Names of `gennes_bo.test_functions.mixed.SPACE_PROBLEMS`.
        seeds: Seeds 0 .. seeds - 1.
        parts: `"acqf"` and / or `"bo"`.
        q: Batch sizes of the `acqf` runs (the `bo` runs use q = 1).
        iterations: BO iterations.
        n_init: Initial valid points of a BO run.
        budget: `num_restarts` / `raw_samples` replacing every optimizer's (tests); kept in the specs.

    Raises:
        ValueError: For an unknown problem or part, or a count below 1.
    """
    for problem in problems:
        if problem not in PROBLEMS:
            raise ValueError(f"`problems` must be among {PROBLEMS}, got {problem!r}")
    for part in parts:
        if part not in PARTS:
            raise ValueError(f"`parts` must be among {PARTS}, got {part!r}")
    for name, value in (("seeds", seeds), ("iterations", iterations), ("n_init", n_init), *(("q", v) for v in q)):
        if value < 1:
            raise ValueError(f"`{name}` must be >= 1, got {value}")
    extra = {"budget": dict(budget)} if budget else {}
    specs = []
    for seed in range(seeds):
        for problem in problems:
            optimizers = optimizers_of(problem)
            if "acqf" in parts:
                n_train = space_problem(problem).n_train
                specs += [{"kind": "bench-mixed", "part": "acqf", "problem": problem, "q": batch, "seed": seed,
                           "optimizer": name, "n_train": n_train, **extra}
                          for batch in q for name in optimizers if _runs_at(name, "acqf", batch)]
            if "bo" in parts:
                specs += [{"kind": "bench-mixed", "part": "bo", "problem": problem, "q": BO_Q, "seed": seed,
                           "optimizer": name, "n_init": n_init, "iterations": iterations, **extra}
                          for name in optimizers if _runs_at(name, "bo", BO_Q)]
    return specs


def _runs_at(optimizer: str, part: str, q: int) -> bool:
    """The enumeration runs at the acquisition level with q = 1 only: 125 `optimize_acqf` calls per point, and q
    points in sequence, cost more than the whole BO grid."""
    return optimizer != "botorch-enumerate" or (part == "acqf" and q == 1)
