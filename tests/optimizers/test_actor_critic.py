"""The actor-critic optimizer: its options and the final refinement of the best point."""

from __future__ import annotations

import pytest
import torch

from gennes_bo import minimize
from gennes_bo.optimizers import ActorCritic, ActorCriticConfig

BOUNDS = torch.tensor([[-1.0, -1.0], [3.0, 1.0]], dtype=torch.float64)
SMALL = {"n_init": 40, "batch_size": 20, "hidden_width": 16, "critic_steps": 2, "actor_steps": 2, "minibatch": 32}


def sphere(x: torch.Tensor) -> torch.Tensor:
    return ((x - torch.tensor([2.0, 0.5], dtype=x.dtype)) ** 2).sum(-1)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("refine_fraction", 1.0, r"`refine_fraction` must be in \[0, 1\), got 1.0"),
    ("refine_fraction", -0.1, r"`refine_fraction` must be in \[0, 1\), got -0.1"),
    ("refine_std", 0.0, r"`refine_std` must be in \(0, 1\], got 0.0"),
    ("refine_batch_size", 0, "`refine_batch_size` must be an integer >= 1, got 0"),
])
def test_config_rejects_bad_values(name: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ActorCriticConfig(**{name: value})


def test_refinement_samples_around_the_best_point_and_adapts_its_step() -> None:
    config = ActorCriticConfig(**SMALL, refine_fraction=0.4, refine_batch_size=5, refine_std=0.02)
    opt = ActorCritic(BOUNDS, config, max_evals=100, seed=0)  # refinement after 60 points
    sizes = []
    while opt.n_asked < 60:
        x = opt.ask()
        sizes.append(x.shape[0])
        opt.tell(x, sphere(x))
    assert sizes == [40, 20]
    best = opt.best_x.clone()
    assert opt.best_y == pytest.approx(float(sphere(opt.to_box(best.unsqueeze(0)))))

    x = opt.ask()  # a refinement generation: 5 points within a few step sizes of the best point
    assert x.shape == (5, 2) and float((opt.to_unit(x) - best).abs().max()) < 5 * 0.02
    opt.tell(x, torch.full((5,), opt.best_y + 1.0, dtype=torch.float64))  # no improvement: the step halves
    assert opt.refine_std == pytest.approx(0.01) and torch.equal(opt.best_x, best)
    x = opt.ask()
    values = torch.full((5,), opt.best_y + 1.0, dtype=torch.float64)
    values[3] = opt.best_y - 1.0
    opt.tell(x, values)  # an improvement: the step doubles, up to `refine_std`, and the center moves
    assert opt.refine_std == pytest.approx(0.02) and torch.equal(opt.best_x, opt.to_unit(x[3:4])[0])


def test_refinement_makes_the_result_precise() -> None:
    plain = minimize(sphere, BOUNDS, "actor_critic", max_evals=300, seed=1, refine_fraction=0.0, **SMALL)
    refined = minimize(sphere, BOUNDS, "actor_critic", max_evals=300, seed=1, refine_fraction=0.5, **SMALL)
    assert plain.nfev == refined.nfev == 300
    assert refined.fun < 1e-5 < 1e-2 < plain.fun  # 5e-7 and 5e-2
