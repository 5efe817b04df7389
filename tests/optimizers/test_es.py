"""Evolution strategy and variational optimization: options, the sigma-following learning rate, `n_init`."""

from __future__ import annotations

import pytest
import torch

from gennes_bo import minimize
from gennes_bo.optimizers import ESConfig, EvolutionStrategy, VariationalConfig, VariationalOptimizer
from gennes_bo.optimizers.evaluation import Evaluator

BOUNDS = torch.tensor([[-1.0, -1.0], [3.0, 1.0]], dtype=torch.float64)


def sphere(x: torch.Tensor) -> torch.Tensor:
    return ((x - torch.tensor([2.0, 0.5], dtype=x.dtype)) ** 2).sum(-1)


@pytest.mark.parametrize("config_class", [ESConfig, VariationalConfig])
@pytest.mark.parametrize(("name", "value", "message"), [
    ("lr_follows_sigma", 1, "`lr_follows_sigma` must be True or False, got 1"),
    ("n_init", -1, "`n_init` must be an integer >= 0, got -1"),
    ("n_init", 2.5, "`n_init` must be an integer >= 0, got 2.5"),
])
def test_config_rejects_bad_values(config_class: type, name: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        config_class(**{name: value})


@pytest.mark.parametrize("follows", [True, False])
def test_learning_rate_follows_sigma(follows: bool) -> None:
    config = ESConfig(sigma=0.2, final_sigma=0.002, lr=0.05, lr_follows_sigma=follows)
    es = EvolutionStrategy(BOUNDS, config, max_evals=200, seed=0)  # 10 generations: sigma / 100 at the end
    evaluator = Evaluator(sphere, BOUNDS, 200)
    es.run(evaluator)
    lr = es.optimizer.param_groups[0]["lr"]
    expected = 0.05 * float(es.sigma.mean()) / 0.2 * 100 ** (1 / 10) if follows else 0.05  # set before the last step
    assert lr == pytest.approx(expected, rel=1e-9)
    assert float(es.sigma.mean()) == pytest.approx(0.002, rel=1e-9)


@pytest.mark.parametrize("cls", [EvolutionStrategy, VariationalOptimizer])
def test_n_init_starts_the_mean_at_the_best_initial_point(cls: type) -> None:
    opt = cls(BOUNDS, cls.config_class(n_init=50), max_evals=1000, seed=3)
    x = opt.ask()
    assert x.shape == (50, 2)
    y = sphere(x)
    opt.tell(x, y)
    assert torch.allclose(opt.to_box(opt.mean.detach().unsqueeze(0))[0], x[int(y.argmin())])
    assert opt.ask().shape == (opt.config.population_size, 2)
    assert opt.n_updates == 0  # the sigma schedule starts with the first ES generation


@pytest.mark.parametrize("method", ["es", "variational"])
def test_default_options_converge_precisely_on_a_sphere(method: str) -> None:
    # With a fixed learning rate the mean keeps jumping around the optimum: f = 5e-6 (es), 7e-6 (variational).
    result = minimize(sphere, BOUNDS, method, max_evals=2000, seed=0)
    assert result.fun < 2e-6
