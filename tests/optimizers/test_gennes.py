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


def test_the_default_keeps_the_last_polish_fraction_for_l_bfgs_b() -> None:
    result = minimize(CountingSphere(), BOUNDS, "gennes", max_evals=400, seed=0)
    assert "L-BFGS-B polish runs" in result.message
    assert result.nit == math.ceil((400 - math.floor(POLISH_FRACTION * 400)) / 20)  # GENNES steps before the polish


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5])
def test_budget_is_exact_with_polish(fraction: float) -> None:
    fun = CountingSphere()
    result = minimize(fun, BOUNDS, "gennes", max_evals=403, seed=0, polish_fraction=fraction)
    assert result.nfev == fun.n_points == 403
    assert result.nit == math.ceil((403 - math.floor(fraction * 403)) / 20)  # Adam steps of GENNES
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


def test_restarts_follow_any_decaying_schedule() -> None:
    from gennes_bo.gennes import cosine_decay

    fun = CountingSphere()
    result = minimize(fun, BOUNDS, "gennes", max_evals=400, seed=0, population_size=10, restart_noise=0.1,
                      schedule=lambda n_steps: cosine_decay(8, final_scale=0.01), polish_fraction=0.0)
    assert result.nfev == fun.n_points == 400
    assert result.nit == 40


def test_restarts_split_the_budget_into_fresh_runs() -> None:
    from gennes_bo.optimizers import GennesOptimizer

    # alpha = 0.8: the noise support 0.8^t falls below 0.5 after 4 steps of 10 points, so a run is 40 points.
    optimizer = GennesOptimizer(BOUNDS, GennesOptimizerConfig(population_size=10, alpha=0.8, restart_noise=0.5,
                                                              polish_fraction=0.1), max_evals=200, seed=0)
    from gennes_bo.optimizers.evaluation import Evaluator

    fun = CountingSphere()
    evaluator = Evaluator(fun, BOUNDS, 200, method="gennes")
    optimizer.run(evaluator)
    assert fun.n_points == 200
    assert [search.nfev for search in optimizer.searches] == [40, 40, 40, 40, 20]
    assert 0.8**4 < 0.5 <= 0.8**3


def test_restart_slowdown_doubles_each_run() -> None:
    from gennes_bo.optimizers import GennesOptimizer
    from gennes_bo.optimizers.evaluation import Evaluator

    # 0.8^t < 0.5 from t = 4; at 0.8^(1/2) from t = 7 (2 x 3.1 steps), at 0.8^(1/4) from t = 13.
    optimizer = GennesOptimizer(BOUNDS, GennesOptimizerConfig(population_size=10, alpha=0.8, restart_noise=0.5,
                                                              restart_slowdown=2, polish_fraction=0.0),
                                max_evals=240, seed=0)
    optimizer.run(Evaluator(CountingSphere(), BOUNDS, 240, method="gennes"))
    assert [search.nfev for search in optimizer.searches] == [40, 70, 130]
    assert [search.config.alpha for search in optimizer.searches] == pytest.approx([0.8, 0.8**0.5, 0.8**0.25])


def test_restart_slowdown_one_changes_nothing() -> None:
    kwargs = {"max_evals": 400, "seed": 0, "population_size": 10, "alpha": 0.8, "restart_noise": 0.5}
    plain = minimize(CountingSphere(), BOUNDS, "gennes", **kwargs)
    slowed = minimize(CountingSphere(), BOUNDS, "gennes", restart_slowdown=1.0, **kwargs)
    assert torch.equal(plain.x, slowed.x) and plain.fun == slowed.fun


@pytest.mark.parametrize("value", [0.5, 0, float("inf"), float("nan"), True, "2"])
def test_restart_slowdown_is_validated(value: object) -> None:
    with pytest.raises(ValueError, match="`restart_slowdown` must be a finite number >= 1"):
        GennesOptimizerConfig(restart_slowdown=value)


def test_restart_slowdown_needs_the_exponential_schedule() -> None:
    from gennes_bo.gennes import cosine_decay

    with pytest.raises(ValueError, match="cannot change a custom `schedule`"):
        GennesOptimizerConfig(restart_slowdown=2, schedule=lambda n_steps: cosine_decay(n_steps))


def test_without_restarts_one_run_spends_the_budget_before_the_polish() -> None:
    from gennes_bo.optimizers import GennesOptimizer
    from gennes_bo.optimizers.evaluation import Evaluator

    optimizer = GennesOptimizer(BOUNDS, GennesOptimizerConfig(population_size=10, restart_noise=None),
                                max_evals=200, seed=0)
    optimizer.run(Evaluator(CountingSphere(), BOUNDS, 200, method="gennes"))
    assert [search.nfev for search in optimizer.searches] == [180]


def test_n_iterations_caps_the_steps_of_each_run() -> None:
    from gennes_bo.optimizers import GennesOptimizer
    from gennes_bo.optimizers.evaluation import Evaluator

    optimizer = GennesOptimizer(BOUNDS, GennesOptimizerConfig(population_size=10, n_iterations=3, restart_noise=None,
                                                              polish_fraction=0.0), max_evals=100, seed=0)
    optimizer.run(Evaluator(CountingSphere(), BOUNDS, 100, method="gennes"))
    assert [search.nit for search in optimizer.searches] == [3, 3, 3, 1]


@pytest.mark.parametrize(("option", "match"), [("max_evals", "set by minimize"), ("n_polish", "BoTorch layer")])
def test_options_that_belong_elsewhere_raise(option: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GennesOptimizerConfig(**{option: 5})


def test_ask_tell_with_gradients_matches_minimize_without_polish() -> None:
    from gennes_bo.optimizers import GennesOptimizer

    optimizer = GennesOptimizer(BOUNDS, GennesOptimizerConfig(population_size=10, polish_fraction=0.0),
                                max_evals=200, seed=3)
    best = math.inf
    for _ in range(20):
        x = optimizer.ask()
        xg = x.clone().requires_grad_(True)
        y = CountingSphere()(xg)
        (grad,) = torch.autograd.grad(y.sum(), xg)
        optimizer.tell(x, y.detach(), grad)
        best = min(best, float(y.detach().min()))
    reference = minimize(CountingSphere(), BOUNDS, "gennes", max_evals=200, seed=3, population_size=10,
                         polish_fraction=0.0)
    assert best == reference.fun and optimizer.n_generations == reference.nit == 20


def test_tell_needs_gradients_and_the_asked_points() -> None:
    from gennes_bo.optimizers import GennesOptimizer, UnsupportedError

    optimizer = GennesOptimizer(BOUNDS, max_evals=100, seed=0)
    x = optimizer.ask()
    with pytest.raises(UnsupportedError, match="trains on gradients"):
        optimizer.tell(x, CountingSphere()(x))
    with pytest.raises(ValueError, match="points of the last ask"):
        optimizer.tell(x + 0.1, CountingSphere()(x), torch.zeros_like(x))


def test_on_error_inf_counts_raising_points_and_goes_on() -> None:
    def raising(x: torch.Tensor) -> torch.Tensor:
        if (x[:, 0] > 1.0).any():
            raise ValueError("undefined here")
        return ((x - 0.3) ** 2).sum(-1)

    result = minimize(raising, BOUNDS, "gennes", max_evals=600, seed=0, on_error="inf")
    assert result.nfev == 600 and 0 < result.n_failed < 150
    assert result.fun < 1e-8 and not result.success  # the budget ended the run


def test_a_failing_region_pushes_the_generators_out() -> None:
    # The sphere's minimum lies in the region where the objective is NaN (30 % of the box): the best defined
    # value is 1.0 on its border. Masking the failed samples alone (the former loss) spent 905 of these 1000
    # evaluations there and ended at 7.1.
    bounds = torch.tensor([[-5.0] * 5, [5.0] * 5], dtype=torch.float64)
    center = torch.tensor([3.0, 1.0, -1.0, 0.5, 2.0], dtype=torch.float64)

    def fun(x: torch.Tensor) -> torch.Tensor:
        values = ((x - center) ** 2).sum(-1)
        return torch.where(x[:, 0] > 2.0, torch.full_like(values, math.nan), values)

    with pytest.warns(RuntimeWarning, match="evaluations of `fun` failed"):
        result = minimize(fun, bounds, "gennes", max_evals=1000, seed=0)
    assert result.n_failed < 0.4 * result.nfev
    assert 1.0 <= result.fun < 2.5
