"""`OPTIMIZERS`: every standalone optimizer by name (nevergrad-style registry).

A value is the optimizer class, which is its own factory:
`OPTIMIZERS[name](bounds, config, *, max_evals, seed) -> Optimizer`; its `config_class` lists its options and
its `description` is the one line that `gennes-bo list` shows.
"""

from __future__ import annotations

from gennes_bo.optimizers.actor_critic import ActorCritic
from gennes_bo.optimizers.base import Optimizer
from gennes_bo.optimizers.baselines import ACMAES, SNES, RandomSearch, RepeatedLBFGS
from gennes_bo.optimizers.es import EvolutionStrategy
from gennes_bo.optimizers.ga import GeneticAlgorithm
from gennes_bo.optimizers.gennes import GennesOptimizer
from gennes_bo.optimizers.neurogenetic import Neurogenetic
from gennes_bo.optimizers.variational import VariationalOptimizer

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls
    for cls in (
        GennesOptimizer, GeneticAlgorithm, EvolutionStrategy, VariationalOptimizer, ActorCritic, Neurogenetic,
        ACMAES, SNES, RepeatedLBFGS, RandomSearch,
    )
}


def get_optimizer_class(method: str) -> type[Optimizer]:
    """The optimizer class registered under `method`."""
    try:
        return OPTIMIZERS[method]
    except KeyError:
        raise ValueError(f"`method` must be one of {sorted(OPTIMIZERS)}, got {method!r}") from None


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
