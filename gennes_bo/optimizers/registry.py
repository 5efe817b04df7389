"""`OPTIMIZERS`: every standalone optimizer by name (nevergrad-style registry), added with :func:`register`.

A value is the optimizer class, which is its own factory:
`OPTIMIZERS[name](bounds, config, *, max_evals, seed) -> Optimizer`; its `config_class` lists its options and
its `description` is the one line that `gennes-bo list` shows. A new optimizer subclasses
:class:`~gennes_bo.optimizers.base.Optimizer` and takes one call, `register(MyOptimizer)`, to be usable as
`minimize(fun, bounds, "my-name", ...)` and listed by `gennes-bo list`.
"""

from __future__ import annotations

import dataclasses

from gennes_bo.optimizers.actor_critic import ActorCritic
from gennes_bo.optimizers.base import Optimizer
from gennes_bo.optimizers.baselines import ACMAES, BIPOPACMAES, SNES, RandomSearch, RepeatedLBFGS
from gennes_bo.optimizers.es import EvolutionStrategy
from gennes_bo.optimizers.ga import GeneticAlgorithm
from gennes_bo.optimizers.gennes import GennesOptimizer
from gennes_bo.optimizers.neurogenetic import Neurogenetic
from gennes_bo.optimizers.variational import VariationalOptimizer

OPTIMIZERS: dict[str, type[Optimizer]] = {}
"""Every standalone optimizer class by name, the built-ins first; add one with :func:`register`."""


def register(cls: type[Optimizer], *, replace: bool = False) -> type[Optimizer]:
    """Add an optimizer class to :data:`OPTIMIZERS` under `cls.name`, so that `minimize(method=cls.name)`, the
    benchmarks and `gennes-bo list` accept it. Usable as a class decorator.

    Args:
        cls: A concrete subclass of :class:`~gennes_bo.optimizers.base.Optimizer` that sets `name` (no whitespace,
            no `:`), `description` (one line) and `config_class` (a dataclass of its options, all with defaults
            once `default_options` is applied).
        replace: Allow replacing a class registered under another name's class (registering the same class
            again is a no-op).

    Returns:
        `cls`, unchanged.

    Raises:
        ValueError: For a class that is not such a subclass, misses one of those attributes, or whose name is
            registered already without `replace`.
    """
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise ValueError(f"`cls` must be a subclass of gennes_bo.optimizers.Optimizer, got {cls!r}")
    missing = [attribute for attribute in ("name", "description", "config_class") if not hasattr(cls, attribute)]
    if missing:
        raise ValueError(f"`cls` {cls.__name__} must set the class attribute(s) {missing}")
    name = cls.name
    if not isinstance(name, str) or not name or ":" in name or any(c.isspace() for c in name):
        raise ValueError(f"`cls.name` must be a non-empty string without whitespace or ':', got {name!r}")
    if not isinstance(cls.description, str) or not cls.description.strip() or "\n" in cls.description:
        raise ValueError(f"`cls.description` of {name!r} must be one non-empty line, got {cls.description!r}")
    if not (isinstance(cls.config_class, type) and dataclasses.is_dataclass(cls.config_class)):
        raise ValueError(f"`cls.config_class` of {name!r} must be a dataclass of the method's options, got "
                         f"{cls.config_class!r}")
    if getattr(cls, "__abstractmethods__", None):
        raise ValueError(f"`cls` {cls.__name__} must implement {sorted(cls.__abstractmethods__)}")
    if name in OPTIMIZERS and OPTIMIZERS[name] is not cls and not replace:
        raise ValueError(f"`cls.name` {name!r} is registered already (by {OPTIMIZERS[name].__name__}); pass "
                         "replace=True to replace it")
    OPTIMIZERS[name] = cls
    return cls


for _builtin in (GennesOptimizer, GeneticAlgorithm, EvolutionStrategy, VariationalOptimizer, ActorCritic,
                 Neurogenetic, ACMAES, BIPOPACMAES, SNES, RepeatedLBFGS, RandomSearch):
    register(_builtin)


def get_optimizer_class(method: str) -> type[Optimizer]:
    """The optimizer class registered under `method`.

    Raises:
        ValueError: For a name not registered; the message lists the registered names.
    """
    try:
        return OPTIMIZERS[method]
    except (KeyError, TypeError):
        raise ValueError(f"`method` must be one of {sorted(OPTIMIZERS)} (or a name added with register()), got "
                         f"{method!r}") from None


def describe_optimizers() -> list[tuple[str, str]]:
    """`(name, one-line description)` of every registered optimizer, gradient-based ones flagged."""
    return [(name, cls.description + (" [needs a differentiable fun]" if cls.needs_gradient else ""))
            for name, cls in OPTIMIZERS.items()]


def add_parser(commands) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register `gennes-bo list`: every optimizer with its one-line description."""
    parser = commands.add_parser("list", help="list the standalone optimizers of minimize(method=...)")
    parser.set_defaults(run=_list)


def _list(args) -> int:  # noqa: ANN001
    rows = describe_optimizers()
    width = max(len(name) for name, _ in rows)
    print("\n".join(f"{name:{width}s}  {text}" for name, text in rows))
    return 0
