"""The sNES wrapper: evotorch's algorithm through its public API, driven ask/tell."""

from __future__ import annotations

import inspect
import re

import pytest
import torch

from gennes_bo import minimize
from gennes_bo.optimizers import SNES, SNESConfig
from gennes_bo.optimizers.baselines import snes_stdev_learning_rate

UNIT = torch.tensor([[0.0] * 4, [1.0] * 4], dtype=torch.float64)


def shifted_sphere(x: torch.Tensor) -> torch.Tensor:
    return ((x.clamp(0.0, 1.0) - 0.3) ** 2).sum(-1)


@pytest.mark.parametrize("config", [SNESConfig(), SNESConfig(population_size=6, stdev_init=0.1,
                                                             center_learning_rate=0.5, stdev_learning_rate=2.0)])
def test_snes_follows_evotorch_snes(config: SNESConfig) -> None:
    from evotorch import Problem
    from evotorch.algorithms import SNES as EvotorchSNES

    opt = SNES(UNIT, config, max_evals=1000, seed=5)
    rng = torch.Generator().manual_seed(5)  # the wrapper's draws: the sampler's seed, then the initial mean
    problem = Problem("min", shifted_sphere, solution_length=4, initial_bounds=(0.0, 1.0), dtype=torch.float64,
                      vectorized=True, seed=int(torch.randint(2**31 - 1, (1,), generator=rng)))
    reference = EvotorchSNES(problem, popsize=config.population_size, stdev_init=config.stdev_init,
                             center_init=torch.rand(1, 4, generator=rng, dtype=torch.float64)[0],
                             center_learning_rate=config.center_learning_rate,
                             stdev_learning_rate=config.stdev_learning_rate)
    reference.step()  # evotorch samples and evaluates the first population before any update
    for _ in range(10):
        x = opt.ask()
        assert torch.equal(x, reference.population.values.clamp(0.0, 1.0))
        opt.tell(x, shifted_sphere(x))
        reference.step()
        assert torch.allclose(opt.distribution.mu, reference.status["center"], rtol=0, atol=1e-12)
        assert torch.allclose(opt.distribution.sigma, reference.status["stdev"], rtol=0, atol=1e-12)


def test_snes_uses_no_private_evotorch_attribute() -> None:
    receivers = set(re.findall(r"(\w+)\._[a-z]\w*", inspect.getsource(SNES)))
    assert receivers <= {"self"}, f"private attributes read on {receivers - {'self'}}"


def test_snes_ask_tell_by_hand_matches_minimize() -> None:
    opt = SNES(UNIT, max_evals=400, seed=1)
    best = float("inf")
    for _ in range(20):
        x = opt.ask()
        assert x.shape == (20, 4)
        y = shifted_sphere(x)
        opt.tell(x, y)
        best = min(best, float(y.min()))
    result = minimize(shifted_sphere, UNIT, "snes", max_evals=400, seed=1)
    assert result.nfev == 400 and result.nit == 20
    assert result.fun == best
    assert best < 1e-3  # from a mean of squared distance ~0.3 on average
    assert float(opt.distribution.sigma.max()) < 0.1  # shrunk from 0.3


def test_snes_budget_is_exact_and_the_seed_fixes_the_run() -> None:
    runs = [minimize(shifted_sphere, UNIT, "snes", max_evals=97, seed=seed) for seed in (3, 3, 4)]
    assert [r.nfev for r in runs] == [97, 97, 97]
    assert [r.nit for r in runs] == [4, 4, 4]  # the 17 points of the cut fifth population are not told
    assert torch.equal(runs[0].x, runs[1].x) and runs[0].history == runs[1].history
    assert not torch.equal(runs[0].x, runs[2].x)


def test_snes_tell_expects_the_last_ask() -> None:
    opt = SNES(UNIT, max_evals=100, seed=0)
    with pytest.raises(ValueError, match="`tell` expects the 20 points of the last `ask`"):
        opt.tell(UNIT, shifted_sphere(UNIT))
    x = opt.ask()
    with pytest.raises(ValueError, match="`tell` expects the 20 points of the last `ask`"):
        opt.tell(x[:5], shifted_sphere(x[:5]))


def test_snes_default_stdev_learning_rate_is_the_papers() -> None:
    assert snes_stdev_learning_rate(1) == pytest.approx(0.6)
    assert snes_stdev_learning_rate(10) == pytest.approx((3 + 2.302585) / (5 * 10**0.5), rel=1e-6)
