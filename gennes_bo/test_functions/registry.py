"""`PROBLEMS`: every benchmark problem by name, one registry with :func:`register_problem`.

A problem is a minimization `SyntheticTestFunction` (BoTorch's convention) with a known optimum;
:func:`get_problem` builds it in a dimension, and :func:`~gennes_bo.test_functions.random_translation` moves its
optimum at random per seed:

    from gennes_bo.test_functions import get_problem, random_translation

    levy = get_problem("levy", 20)                               # BoTorch's Levy on [-10, 10]^20
    moved = random_translation(get_problem("ackley", 10), seed)  # Ackley-10, optimum moved per seed

Built-ins: BoTorch's synthetic functions on their standard domains (not rewritten here), the project's own
(Alpine1, Schwefel, the 1-D wave, Michalewicz with its optimum in every dimension) and the paper's variants on the
paper's domains (Appendix A.1): `paper_rastrigin`, `paper_ackley`, `paper_styblinski_tang` (:data:`PAPER_PROBLEMS`
names them as the paper does). `gennes-bo problems` lists them all.

Benchmark records name a problem in a dimension by a key, :func:`problem_key`: `hartmann6`, `ackley10`,
`alpine1_20` (an underscore when the name ends with a digit); :func:`parse_problem_key` reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from botorch.test_functions import (
    Ackley,
    Branin,
    Griewank,
    Hartmann,
    Levy,
    Rastrigin,
    Rosenbrock,
    StyblinskiTang,
)
from botorch.test_functions.synthetic import SyntheticTestFunction

from gennes_bo.test_functions.synthetic import Alpine1, MichalewiczAnyDim, Schwefel, ShiftedStyblinskiTang, Wave1D

ProblemFactory = Callable[..., SyntheticTestFunction]
_NAME = re.compile(r"[a-z](?:[a-z0-9_]*[a-z0-9])?")


class UnknownProblemError(ValueError):
    """A problem name (or record key) that is not registered."""


@dataclass(frozen=True)
class ProblemEntry:
    """One problem of the registry.

    Attributes:
        name: Its name in commands and record keys.
        factory: Builds the problem: `factory(dim=dim, **kwargs)`, or `factory(**kwargs)` for a problem of one
            fixed dimension (`dims` of length 1, e.g. BoTorch's `Branin`).
        description: One line for listings: what it is and its domain.
        dims: The dimensions it is defined in, or None for any `dim >= 1`.
        default_dim: The dimension when none is asked for, or None when one must be.
    """

    name: str
    factory: ProblemFactory
    description: str
    dims: tuple[int, ...] | None = None
    default_dim: int | None = None

    def make(self, dim: int | None = None, **kwargs: Any) -> SyntheticTestFunction:
        """The problem in dimension `dim` (default: `default_dim`); `kwargs` go to the factory (`negate`,
        `noise_std`, `bounds`, `dtype` for BoTorch's classes).

        Raises:
            ValueError: For a missing `dim` without default, or one the problem is not defined in.
        """
        if dim is None:
            if self.default_dim is None:
                raise ValueError(f"`dim` is required for problem {self.name!r} ({self.dims_text()})")
            dim = self.default_dim
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
            raise ValueError(f"`dim` must be an integer >= 1, got {dim!r}")
        if self.dims is not None and dim not in self.dims:
            raise ValueError(f"`dim` must be one of {list(self.dims)} for problem {self.name!r}, got {dim}")
        fixed = self.dims is not None and len(self.dims) == 1
        problem = self.factory(**kwargs) if fixed else self.factory(dim=dim, **kwargs)
        if problem.dim != dim:
            raise ValueError(f"the factory of problem {self.name!r} built a {problem.dim}-dimensional problem for "
                             f"`dim` = {dim}")
        return problem

    def dims_text(self) -> str:
        """`d = 3, 6 (default 6)` or `any d >= 1`, for listings and errors."""
        text = "any d >= 1" if self.dims is None else "d = " + ", ".join(map(str, self.dims))
        many = self.dims is None or len(self.dims) > 1
        return text + (f" (default {self.default_dim})" if many and self.default_dim is not None else "")


PROBLEMS: dict[str, ProblemEntry] = {}
"""Every problem by name, the built-ins first; add one with :func:`register_problem`."""


def register_problem(name: str, factory: ProblemFactory, *, description: str, default_dim: int | None = None,
                     dims: tuple[int, ...] | None = None, replace: bool = False) -> ProblemEntry:
    """Add a problem to :data:`PROBLEMS`, so that :func:`get_problem` and the benchmarks accept its name.

    Args:
        name: Lower-case letters, digits and underscores, starting with a letter and not ending with `_` (so that
            record keys like `ackley10` read back).
        factory: Builds the minimization problem: called as `factory(dim=dim, **kwargs)`, or `factory(**kwargs)`
            when `dims` holds one dimension; a `SyntheticTestFunction` class usually is its own factory. For
            :func:`~gennes_bo.test_functions.random_translation` to know the moved optimum, the class must be one of
            `translation.py`'s or set `minimum_is_global = True` (its minimum over `R^d` is the in-domain one).
        description: One line for listings: what it is and its domain.
        default_dim: The dimension when `get_problem` gets none (default: the only one of `dims`, else none).
        dims: The dimensions the problem is defined in (default: any `dim >= 1`).
        replace: Allow replacing an entry of the same name.

    Returns:
        The new entry.

    Raises:
        ValueError: For a malformed name, a non-callable `factory`, an empty `description`, invalid `dims` or
            `default_dim`, or a name already registered without `replace`.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"`name` must be lower-case letters, digits and '_', start with a letter and not end "
                         f"with '_', got {name!r}")
    if name in PROBLEMS and not replace:
        raise ValueError(f"`name` {name!r} is registered already; pass replace=True to replace it")
    if not callable(factory):
        raise ValueError(f"`factory` must be callable (dim -> SyntheticTestFunction), got {type(factory).__name__}")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"`description` must be a non-empty string, got {description!r}")
    if dims is not None:
        dims = tuple(dims)
        if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims):
            raise ValueError(f"`dims` must be None or a non-empty tuple of integers >= 1, got {dims!r}")
        if default_dim is None and len(dims) == 1:
            default_dim = dims[0]
    if default_dim is not None and (not isinstance(default_dim, int) or default_dim < 1
                                    or (dims is not None and default_dim not in dims)):
        raise ValueError(f"`default_dim` must be None or one of `dims` ({dims or 'any >= 1'}), got {default_dim!r}")
    entry = ProblemEntry(name, factory, description, dims, default_dim)
    PROBLEMS[name] = entry
    return entry


def get_problem(name: str, dim: int | None = None, **kwargs: Any) -> SyntheticTestFunction:
    """The registered problem `name` in dimension `dim`, as a minimization `SyntheticTestFunction`.

    Args:
        name: A name of :data:`PROBLEMS`.
        dim: Its dimension (default: the problem's `default_dim`; required when it has none).
        **kwargs: Passed to the factory: `negate=True` to maximize, `noise_std`, `bounds`, `dtype` for BoTorch's
            classes.

    Raises:
        UnknownProblemError: For a name not registered; the message lists the registered names.
        ValueError: For a missing `dim` without default, or one the problem is not defined in (Hartmann: 3, 6).
    """
    return _entry(name).make(dim, **kwargs)


def _entry(name: str) -> ProblemEntry:
    try:
        return PROBLEMS[name]
    except (KeyError, TypeError):
        raise UnknownProblemError(f"unknown problem {name!r}: use one of {', '.join(PROBLEMS)}, or a name added "
                                  "with register_problem()") from None


def describe_problems() -> list[tuple[str, str, str]]:
    """`(name, dimensions, one-line description)` of every registered problem."""
    return [(name, entry.dims_text(), entry.description) for name, entry in PROBLEMS.items()]


def problem_key(name: str, dim: int) -> str:
    """The record key of problem `name` in dimension `dim`: `ackley10`, or `alpine1_20` when `name` ends with a
    digit."""
    return f"{name}_{dim}" if name[-1].isdigit() else f"{name}{dim}"


def parse_problem_key(key: str) -> tuple[str, int]:
    """`(name, dim)` of a record key made by :func:`problem_key` (`"alpine1_20"` -> `("alpine1", 20)`).

    Raises:
        UnknownProblemError: For a key without a trailing dimension or whose name is not registered.
    """
    match = re.fullmatch(r"(.*?[^0-9])([0-9]+)", key) if isinstance(key, str) else None
    if match is not None:
        name, dim = match.group(1), int(match.group(2))
        if name.endswith("_") and name[:-1][-1:].isdigit():
            name = name[:-1]
        if name in PROBLEMS and problem_key(name, dim) == key:
            return name, dim
    examples = ", ".join(problem_key(n, e.default_dim or 10) for n, e in list(PROBLEMS.items())[:3])
    raise UnknownProblemError(f"`key` must be a registered problem's name followed by its dimension (e.g. "
                              f"{examples}); got {key!r}. Problems: {', '.join(PROBLEMS)}")


def _on_box(cls: type[SyntheticTestFunction], low: float, high: float) -> ProblemFactory:
    """`cls` on `[low, high]^d` unless `bounds` are given: the paper's domain of a BoTorch function."""

    def factory(dim: int, bounds: list[tuple[float, float]] | None = None, **kwargs: Any) -> SyntheticTestFunction:
        return cls(dim=dim, bounds=bounds or [(low, high)] * dim, **kwargs)

    return factory


# BoTorch's synthetic functions, on BoTorch's domains.
register_problem("ackley", Ackley, description="Ackley (BoTorch) on [-32.768, 32.768]^d, f* = 0")
register_problem("branin", Branin, dims=(2,), description="Branin (BoTorch) on [-5, 10] x [0, 15], f* = 0.397887")
register_problem("griewank", Griewank, description="Griewank (BoTorch) on [-600, 600]^d, f* = 0")
register_problem("hartmann", Hartmann, dims=(3, 6), default_dim=6,
                 description="Hartmann (BoTorch) on [0, 1]^d, f* = -3.86278 (d = 3), -3.32237 (d = 6)")
register_problem("levy", Levy, description="Levy (BoTorch) on [-10, 10]^d, f* = 0")
register_problem("michalewicz", MichalewiczAnyDim,
                 description="Michalewicz (BoTorch's, m = 10) on [0, pi]^d, exact f* in every d (-9.66015 at d = 10)")
register_problem("rastrigin", Rastrigin, description="Rastrigin (BoTorch) on [-5.12, 5.12]^d, f* = 0")
register_problem("rosenbrock", Rosenbrock, description="Rosenbrock (BoTorch) on [-5, 10]^d, f* = 0")
register_problem("styblinski_tang", StyblinskiTang,
                 description="Styblinski-Tang (BoTorch) on [-5, 5]^d, f* = -39.16617 d")
# The project's own.
register_problem("alpine1", Alpine1, description="Alpine1 on [-10, 10]^d, f* = 0 (the paper's domain)")
register_problem("schwefel", Schwefel, description="Schwefel on [-500, 500]^d, f* = 0 (the paper's domain)")
register_problem("wave1d", Wave1D, dims=(1,),
                 description="the neurogenetic blog's wave -(sin x + sin 10x - 0.01 x^2) on [-10, 10]")
# The paper's variants (Appendix A.1): its domains, and f* = 0.
register_problem("paper_rastrigin", _on_box(Rastrigin, -3.0, 3.0),
                 description="Rastrigin on the paper's domain [-3, 3]^d, f* = 0")
register_problem("paper_ackley", _on_box(Ackley, -10.0, 10.0),
                 description="Ackley (standard cos(2 pi x_i) form) on the paper's domain [-10, 10]^d, f* = 0")
register_problem("paper_styblinski_tang", ShiftedStyblinskiTang,
                 description="Styblinski-Tang shifted by +39.16617 d (f* = 0) on the paper's domain [-10, 10]^d")

PAPER_PROBLEMS: dict[str, str] = {
    "rastrigin": "paper_rastrigin",
    "ackley": "paper_ackley",
    "styblinski_tang": "paper_styblinski_tang",
    "schwefel": "schwefel",
    "alpine1": "alpine1",
}
"""The paper's five benchmark functions (Table 1 and Alpine1) by the paper's name -> their registry name."""
PAPER_FUNCTIONS = tuple(PAPER_PROBLEMS)


def paper_function(name: str, dim: int, dtype: torch.dtype = torch.double) -> SyntheticTestFunction:
    """A paper benchmark function on the paper's domain (Appendix A.1), minimization, `f* = 0`.

    Ackley uses the standard form with `cos(2 pi x_i)` (the paper prints `cos x_i`).

    Args:
        name: One of `rastrigin`, `ackley`, `styblinski_tang`, `schwefel`, `alpine1` (:data:`PAPER_PROBLEMS`).
        dim: Dimension.
        dtype: Dtype of the bounds.
    """
    if name not in PAPER_PROBLEMS:
        raise ValueError(f"`name` must be one of {sorted(PAPER_PROBLEMS)}, got {name!r}")
    return get_problem(PAPER_PROBLEMS[name], dim, dtype=dtype)


def add_parser(commands) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register `gennes-bo problems`: every problem with its dimensions and one-line description."""
    parser = commands.add_parser("problems", help="list the benchmark problems of get_problem(name, dim)")
    parser.set_defaults(run=_list)


def _list(args) -> int:  # noqa: ANN001
    rows = describe_problems()
    name_width, dims_width = (max(len(row[i]) for row in rows) for i in (0, 1))
    print("\n".join(f"{name:{name_width}s}  {dims:{dims_width}s}  {text}" for name, dims, text in rows))
    return 0
