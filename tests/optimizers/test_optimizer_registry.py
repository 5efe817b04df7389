"""The standalone-optimizer registry: `register()` validates a class and makes it a `minimize` method."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from torch import Tensor

from gennes_bo.cli import main
from gennes_bo.optimizers import Optimizer, minimize, registry
from gennes_bo.optimizers.base import check_fraction, check_positive_int
from gennes_bo.optimizers.baselines import RandomSearch
from gennes_bo.optimizers.registry import get_optimizer_class, register

BOUNDS = torch.tensor([[-2.0, -2.0, -2.0], [2.0, 2.0, 2.0]], dtype=torch.float64)


@dataclass(frozen=True)
class ShrinkConfig:
    """Options of the shrinking random search.

    Attributes:
        population_size: Points per generation.
        shrink: Factor applied to the sampling radius after each generation.
    """

    population_size: int = 8
    shrink: float = 0.7

    def __post_init__(self) -> None:
        check_positive_int("population_size", self.population_size)
        check_fraction("shrink", self.shrink)


class ShrinkingSearch(Optimizer):
    """Uniform samples around the best point so far, in a radius that shrinks every generation."""

    name = "shrink"
    description = "uniform samples around the best point, radius shrinking each generation"
    config_class = ShrinkConfig

    def __init__(self, bounds: Tensor, config: ShrinkConfig | None = None, *, max_evals: int,
                 seed: int | None = None) -> None:
        super().__init__(bounds, config, max_evals=max_evals, seed=seed)
        self.center, self.best, self.radius = torch.full((self.dim,), 0.5, dtype=self.dtype), float("inf"), 0.5

    def ask(self) -> Tensor:
        unit = self.center + self.radius * (2 * self.uniform(self.config.population_size) - 1)
        return self.to_box(unit.clamp(0.0, 1.0))

    def tell(self, x: Tensor, y: Tensor, grad: Tensor | None = None) -> None:
        i = int(y.argmin())
        if float(y[i]) < self.best:
            self.best, self.center = float(y[i]), self.to_unit(x[i : i + 1])[0]
        self.radius *= self.config.shrink


@pytest.fixture
def optimizers(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A copy of the registry that the test may change."""
    monkeypatch.setattr(registry, "OPTIMIZERS", dict(registry.OPTIMIZERS))
    return registry.OPTIMIZERS


def test_builtins_are_registered_by_name() -> None:
    assert list(registry.OPTIMIZERS)[:2] == ["gennes", "ga"]
    assert {"acma", "snes", "lbfgs", "random"} <= set(registry.OPTIMIZERS)
    assert all(cls.name == name for name, cls in registry.OPTIMIZERS.items())
    assert get_optimizer_class("random") is RandomSearch


def test_unknown_method_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"`method` must be one of \['acma', .*'random'.*got 'nelder-mead'"):
        get_optimizer_class("nelder-mead")


def test_a_registered_optimizer_runs_through_minimize_and_is_listed(
        optimizers: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert register(ShrinkingSearch) is ShrinkingSearch and optimizers["shrink"] is ShrinkingSearch
    register(ShrinkingSearch)  # the same class again: a no-op

    def sphere(x: Tensor) -> Tensor:
        return (x - 1.0).pow(2).sum(-1)

    result = minimize(sphere, BOUNDS, "shrink", max_evals=200, seed=0, shrink=0.8)
    again = minimize(sphere, BOUNDS, "shrink", max_evals=200, seed=0, shrink=0.8)
    assert result.nfev == 200 and result.nit == 25 and torch.equal(result.x, again.x)
    assert result.fun == pytest.approx(float(sphere(result.x)), abs=1e-12) and result.fun < 0.05
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['radius'\] for method 'shrink'"):
        minimize(sphere, BOUNDS, "shrink", max_evals=8, radius=0.1)
    with pytest.raises(ValueError, match="`shrink` must be in"):
        minimize(sphere, BOUNDS, "shrink", max_evals=8, shrink=1.5)

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].split(maxsplit=1) == ["shrink", ShrinkingSearch.description]


def test_replace(optimizers: dict) -> None:
    clash = type("OtherRandom", (RandomSearch,), {})
    with pytest.raises(ValueError, match=r"'random' is registered already \(by RandomSearch\); pass replace=True"):
        register(clash)
    assert register(clash, replace=True) is clash and get_optimizer_class("random") is clash


def _subclass(**attributes: object) -> type:
    return type("Custom", (ShrinkingSearch,), attributes)


@pytest.mark.parametrize(("cls", "message"), [
    (ShrinkConfig, "`cls` must be a subclass of gennes_bo.optimizers.Optimizer"),
    ("shrink", "`cls` must be a subclass"),
    (type("Nameless", (Optimizer,), {"ask": None, "tell": None}), r"must set the class attribute\(s\) \['name', "
                                                                    r"'description', 'config_class'\]"),
    (_subclass(name="my shrink"), "`cls.name` must be a non-empty string without whitespace or ':'"),
    (_subclass(name="pkg:shrink"), "`cls.name` must be"),
    (_subclass(name="s2", description=""), "`cls.description` of 's2' must be one non-empty line"),
    (_subclass(name="s3", config_class=dict), "`cls.config_class` of 's3' must be a dataclass"),
    (type("Abstract", (Optimizer,), {"name": "abstract", "description": "d", "config_class": ShrinkConfig}),
     r"must implement \['ask', 'tell'\]"),
])
def test_register_rejects(optimizers: dict, cls: object, message: str) -> None:
    before = dict(optimizers)
    with pytest.raises(ValueError, match=message):
        register(cls)
    assert optimizers == before


def test_every_method_has_one_tell_protocol():
    import inspect

    from gennes_bo.optimizers import OPTIMIZERS

    for name, cls in OPTIMIZERS.items():
        parameters = list(inspect.signature(cls.tell).parameters.values())
        assert [p.name for p in parameters] == ["self", "x", "y", "grad"], name
        assert parameters[-1].default is None, name
