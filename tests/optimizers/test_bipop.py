"""BIPOP-aCMA-ES: pycma's own BIPOP restart loop, started like `acma` and cut at the exact budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gennes_bo import minimize
from gennes_bo.optimizers import BIPOPACMAES, OPTIMIZERS, BIPOPConfig, UnsupportedError

BOX = torch.tensor([[-3.0] * 4, [3.0] * 4], dtype=torch.float64)


def rastrigin(x: torch.Tensor) -> torch.Tensor:
    return 10 * x.shape[-1] + (x**2 - 10 * torch.cos(2 * math.pi * x)).sum(-1)


def test_registered_with_the_grid_defaults() -> None:
    assert OPTIMIZERS["bipop-acma"] is BIPOPACMAES
    config = BIPOPConfig()
    assert (config.population_size, config.sigma0, config.active) == (20, 0.3, True)
    with pytest.raises(ValueError, match="`population_size` must be an integer >= 2"):
        BIPOPConfig(population_size=1)
    with pytest.raises(UnsupportedError, match="through minimize"):
        BIPOPACMAES(BOX, max_evals=100).ask()


@pytest.mark.parametrize("max_evals", [333, 3000])
def test_exact_budget_reproducible_and_numpy_state_kept(max_evals: int) -> None:
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = minimize(rastrigin, BOX, "bipop-acma", max_evals=max_evals, seed=4)
    assert np.array_equal(np.random.get_state()[1], before)  # pycma's draws do not touch the caller's numpy
    second = minimize(rastrigin, BOX, "bipop-acma", max_evals=max_evals, seed=4)
    assert first.nfev == second.nfev == max_evals and first.fun == second.fun
    assert first.history[-1][0] == max_evals and (BOX[0] <= first.x).all() and (first.x <= BOX[1]).all()
    assert minimize(rastrigin, BOX, "bipop-acma", max_evals=max_evals, seed=5).fun != first.fun


def test_restarts_change_the_population_and_beat_a_single_run() -> None:
    sizes: list[int] = []

    def counting(x: torch.Tensor) -> torch.Tensor:
        sizes.append(x.shape[0])
        return rastrigin(x)

    result = minimize(counting, BOX, "bipop-acma", max_evals=6000, seed=0)
    assert sizes[0] == 20 and max(sizes) >= 40  # the first run's population, then a doubled one
    single = minimize(rastrigin, BOX, "acma", max_evals=6000, seed=0, restarts=False)
    assert result.fun <= single.fun
