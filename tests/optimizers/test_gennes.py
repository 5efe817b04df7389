"""The standalone `gennes` wrapper: the L-BFGS-B polish stage and its budget."""

from __future__ import annotations

import math

import pytest
import torch

from gennes_bo import minimize
from gennes_bo.optimizers import GennesOptimizerConfig
from gennes_bo.optimizers.gennes import POLISH_FRACTION

BOUNDS = torch.tensor([[-2.0] * 3, [2.0] * 3], dtype=torch.float64)


class CountingSphere:
    """A shifted sphere that counts the points it is given."""

    def __init__(self) -> None:
        self.n_points = 0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.n_points += x.shape[0]
        return ((x - 0.3) ** 2).sum(-1)


@pytest.mark.parametrize("value", [-0.1, 1.0, float("nan"), True])
def test_polish_fraction_is_validated(value: object) -> None:
    with pytest.raises(ValueError, match="`polish_fraction` must be in \\[0, 1\\)"):
        GennesOptimizerConfig(polish_fraction=value)


def test_default_polish_fraction() -> None:
    assert GennesOptimizerConfig().polish_fraction == POLISH_FRACTION > 0


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5])
def test_budget_is_exact_with_polish(fraction: float) -> None:
    fun = CountingSphere()
    result = minimize(fun, BOUNDS, "gennes", max_evals=403, seed=0, polish_fraction=fraction)
    assert result.n_evals == fun.n_points == 403
    assert result.n_generations == math.ceil((403 - math.floor(fraction * 403)) / 20)  # Adam steps of GENNES
    if fraction:
        assert "L-BFGS-B polish" in result.message


def test_polish_reaches_the_minimum_that_gennes_approaches() -> None:
    unpolished = minimize(CountingSphere(), BOUNDS, "gennes", max_evals=400, seed=0, polish_fraction=0.0)
    polished = minimize(CountingSphere(), BOUNDS, "gennes", max_evals=400, seed=0, polish_fraction=0.1)
    assert unpolished.fun > 1e-6
    assert polished.fun < 1e-12
    assert torch.allclose(polished.x, torch.full((3,), 0.3, dtype=torch.float64), atol=1e-6)


@pytest.mark.parametrize("value", [0.0, 1.0, -1e-3, float("nan")])
def test_restart_noise_is_validated(value: object) -> None:
    with pytest.raises(ValueError, match="`restart_noise` must be in \\(0, 1\\)"):
        GennesOptimizerConfig(restart_noise=value)


def test_restart_noise_needs_the_exponential_schedule() -> None:
    from gennes_bo.gennes import constant

    with pytest.raises(ValueError, match="`restart_noise` needs the exponential schedule"):
        GennesOptimizerConfig(restart_noise=1e-3, schedule=lambda n_steps: constant(1.0))


def test_steps_per_run_is_where_the_noise_support_falls_below_restart_noise() -> None:
    config = GennesOptimizerConfig(alpha=0.99, restart_noise=1e-3)
    steps = config.steps_per_run()
    assert steps == 688 and 0.99**steps <= 1e-3 < 0.99 ** (steps - 1)
    assert GennesOptimizerConfig(restart_noise=None).steps_per_run() is None


@pytest.mark.parametrize("restart_noise", [None, 0.5])
def test_restarts_split_the_budget_into_fresh_runs(monkeypatch, restart_noise: float | None) -> None:
    from gennes_bo.optimizers import gennes as module

    calls = []

    def recording_maximize(*args, **kwargs):
        calls.append(args[2].max_evals)
        return real_maximize(*args, **kwargs)

    real_maximize = module.gennes_maximize
    monkeypatch.setattr(module, "gennes_maximize", recording_maximize)
    fun = CountingSphere()
    # alpha = 0.8, restart at 0.5: ceil(log 0.5 / log 0.8) = 4 steps of 10 points a run
    result = minimize(fun, BOUNDS, "gennes", max_evals=200, seed=0, population_size=10, alpha=0.8,
                      restart_noise=restart_noise, polish_fraction=0.1)
    assert result.n_evals == fun.n_points == 200
    if restart_noise is None:
        assert calls == [180]
    else:
        assert calls[:4] == [40, 40, 40, 40] and sum(calls) == 180 and len(calls) == 5
    assert result.fun < 0.05
