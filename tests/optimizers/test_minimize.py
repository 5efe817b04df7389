"""Contract tests of `minimize` for every registered method: budget, bounds, determinism, errors, NaN, executors."""

from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gennes_bo import OPTIMIZERS, OptimizeResult, minimize
from gennes_bo.optimizers import (
    ActorCriticConfig,
    GAConfig,
    NotDifferentiableError,
    ObjectiveError,
    UnsupportedError,
)
from gennes_bo.optimizers.es import shape_fitness
from gennes_bo.optimizers.ga import selection_probabilities

METHODS = sorted(OPTIMIZERS)
ZERO_ORDER = [m for m in METHODS if not OPTIMIZERS[m].needs_gradient]
BOUNDS = torch.tensor([[-2.0, 0.0, 10.0], [1.0, 0.5, 30.0]], dtype=torch.float64)
# Small-budget options so that every method shows several generations within 120 evaluations.
SMALL = {"actor_critic": {"n_init": 30, "batch_size": 20, "critic_steps": 2, "actor_steps": 2, "minibatch": 32},
         "neurogenetic": {"ga": GAConfig(population_size=20),
                          "actor_critic": ActorCriticConfig(n_init=1, batch_size=20, critic_steps=2, actor_steps=2,
                                                            minibatch=32)}}


class Recorder:
    """A shifted sphere that records every point it is given."""

    def __init__(self) -> None:
        self.points: list[torch.Tensor] = []

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.points.append(x.detach().clone())
        return ((x - torch.tensor([0.5, 0.2, 17.0], dtype=x.dtype)) ** 2).sum(-1)


@pytest.mark.parametrize("method", METHODS)
def test_budget_bounds_and_result(method: str) -> None:
    fun = Recorder()
    result = minimize(fun, BOUNDS, method, max_evals=117, seed=0, **SMALL.get(method, {}))
    points = torch.cat(fun.points)
    assert isinstance(result, OptimizeResult)
    assert result.n_evals == 117 == points.shape[0]  # exact budget, gradient queries included
    assert ((points >= BOUNDS[0]) & (points <= BOUNDS[1])).all()
    assert ((result.x >= BOUNDS[0]) & (result.x <= BOUNDS[1])).all()
    assert result.fun == pytest.approx(float(fun(result.x.unsqueeze(0))[0]))
    assert result.fun == pytest.approx(min(float(fun(p.unsqueeze(0))[0]) for p in points))
    evals = [n for n, _ in result.history]
    values = [v for _, v in result.history]
    assert evals == sorted(evals) and evals[-1] == 117
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))  # best-so-far never gets worse
    assert result.n_generations >= 1 and result.message


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_result(method: str) -> None:
    options = SMALL.get(method, {})
    first = minimize(Recorder(), BOUNDS, method, max_evals=80, seed=3, **options)
    again = minimize(Recorder(), BOUNDS, method, max_evals=80, seed=3, **options)
    other = minimize(Recorder(), BOUNDS, method, max_evals=80, seed=4, **options)
    assert torch.equal(first.x, again.x) and first.history == again.history
    assert not torch.equal(first.x, other.x)


@pytest.mark.parametrize("method", METHODS)
def test_nan_values_never_crash(method: str) -> None:
    def scattered_nan(x: torch.Tensor) -> torch.Tensor:  # NaN on ~30% of any region, pseudo-randomly
        values = (x**2).sum(-1)
        return torch.where(torch.frac(1e4 * x[:, 1].abs()) < 0.3, torch.full_like(values, math.nan), values)

    result = minimize(scattered_nan, BOUNDS, method, max_evals=100, seed=0, **SMALL.get(method, {}))
    assert result.n_evals == 100 and math.isfinite(result.fun) and result.n_failed > 0
    assert math.isfinite(float(scattered_nan(result.x.unsqueeze(0))[0]))


def test_maximize_flips_sign() -> None:
    def peak(x: torch.Tensor) -> torch.Tensor:  # maximum 2 at x = 0.3; its negation would be -2
        return 2.0 - ((x - 0.3) ** 2).sum(-1)

    result = minimize(peak, BOUNDS[:, :1], "ga", max_evals=500, seed=0, maximize=True)
    assert result.fun == pytest.approx(float(peak(result.x.unsqueeze(0))[0]))  # reported in the user's sign
    assert result.fun > 2.0 - 1e-4 and abs(float(result.x[0]) - 0.3) < 1e-2
    values = [v for _, v in result.history]
    assert values == sorted(values) and values[-1] == result.fun  # the best so far rises when maximizing


@pytest.mark.parametrize("method", ZERO_ORDER)
def test_numpy_objective_works_for_zero_order(method: str) -> None:
    def numpy_sphere(x) -> np.ndarray:
        return np.sum(np.asarray(x) ** 2, axis=1)

    result = minimize(numpy_sphere, BOUNDS[:, :2].tolist(), method, max_evals=60, seed=0, **SMALL.get(method, {}))
    assert result.n_evals == 60 and math.isfinite(result.fun)


@pytest.mark.parametrize("method", ["gennes", "lbfgs"])
def test_gradient_methods_need_differentiable_fun(method: str) -> None:
    with pytest.raises(NotDifferentiableError, match="differentiable by torch autograd"):
        minimize(lambda x: np.sum(x.detach().numpy() ** 2, axis=1), BOUNDS, method, max_evals=50)
    with pytest.raises(UnsupportedError, match="executor"):
        minimize(lambda x: (x**2).sum(-1), BOUNDS, method, max_evals=50, executor=ThreadPoolExecutor(1))
    optimizer = OPTIMIZERS[method](BOUNDS, max_evals=10)
    with pytest.raises(UnsupportedError, match="gradients"):
        x = optimizer.ask()  # gennes asks, and needs the gradients told back
        optimizer.tell(x, (x**2).sum(-1))


def bad_at_corner(x: torch.Tensor) -> torch.Tensor:
    if (x[:, 1] > 0.4).any():
        raise ValueError("corner not allowed")
    return (x**2).sum(-1)


@pytest.mark.parametrize("method", ["ga", "gennes", "acma"])
def test_objective_error_names_the_point(method: str) -> None:
    with pytest.raises(ObjectiveError, match=r"raised ValueError at x = \[.*\]: corner not allowed") as info:
        minimize(bad_at_corner, BOUNDS, method, max_evals=2000, seed=0)
    assert isinstance(info.value.__cause__, ValueError)
    point = [float(v) for v in str(info.value).split("[")[1].split("]")[0].split(", ")]
    assert point[1] > 0.4


@pytest.mark.parametrize("method", ["ga", "gennes", "lbfgs"])
def test_on_error_inf_goes_on(method: str) -> None:
    result = minimize(bad_at_corner, BOUNDS, method, max_evals=300, seed=0, on_error="inf")
    assert result.n_evals == 300 and result.n_failed > 0 and float(result.x[1]) <= 0.4


def test_thread_executor_gives_the_same_result() -> None:
    serial = minimize(Recorder(), BOUNDS, "es", max_evals=100, seed=1)
    with ThreadPoolExecutor(2) as pool:
        parallel = minimize(Recorder(), BOUNDS, "es", max_evals=100, seed=1, executor=pool)
    assert torch.equal(serial.x, parallel.x) and serial.n_evals == parallel.n_evals == 100


def sphere(x: torch.Tensor) -> torch.Tensor:  # module level: picklable for Dask workers
    return (x**2).sum(-1)


def test_dask_distributed_executor() -> None:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        result = minimize(sphere, BOUNDS[:, :2], "ga", max_evals=120, seed=0, executor=client.get_executor(),
                          population_size=20)
    serial = minimize(sphere, BOUNDS[:, :2], "ga", max_evals=120, seed=0, population_size=20)
    assert result.n_evals == 120 and torch.equal(result.x, serial.x)


def test_callback_can_stop() -> None:
    seen: list[int] = []

    def callback(state: OptimizeResult) -> bool:
        seen.append(state.n_evals)
        return state.n_evals >= 60

    result = minimize(Recorder(), BOUNDS, "es", max_evals=1000, seed=0, callback=callback)
    assert result.n_evals == 60 and result.message == "stopped by callback" and seen[-1] == 60


def test_options_are_validated() -> None:
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['temprature'\] for method 'ga'"):
        minimize(Recorder(), BOUNDS, "ga", max_evals=10, temprature=1.0)
    with pytest.raises(ValueError, match="`temperature` must be a finite number > 0"):
        minimize(Recorder(), BOUNDS, "ga", max_evals=10, temperature=-1.0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        minimize(Recorder(), BOUNDS, "nelder-mead", max_evals=10)
    with pytest.raises(ValueError, match="`max_evals` must be an integer >= 1"):
        minimize(Recorder(), BOUNDS, "ga", max_evals=0)
    with pytest.raises(ValueError, match="`alpha` must be in"):
        minimize(Recorder(), BOUNDS, "gennes", max_evals=10, alpha=1.5)


@settings(max_examples=15, deadline=None)
@given(lower=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=4), width=st.floats(1e-3, 1e3),
       method=st.sampled_from(["ga", "es", "variational", "random", "snes"]), seed=st.integers(0, 100))
def test_points_stay_in_arbitrary_boxes(lower: list[float], width: float, method: str, seed: int) -> None:
    low = torch.tensor(lower, dtype=torch.float64)
    bounds = torch.stack([low, low + width])
    fun = Recorder.__new__(Recorder)
    fun.points = []
    seen: list[torch.Tensor] = []

    def linear(x: torch.Tensor) -> torch.Tensor:
        seen.append(x.clone())
        return x.sum(-1)  # pushes towards the lower corner, i.e. onto the boundary

    minimize(linear, bounds, method, max_evals=60, seed=seed)
    points = torch.cat(seen)
    assert points.shape[0] == 60 and ((points >= bounds[0]) & (points <= bounds[1])).all()


def test_selection_and_shaping_math() -> None:
    probabilities = selection_probabilities(torch.tensor([0.0, 1.0, -math.inf]), temperature=1.0, standardize=False)
    assert probabilities.tolist() == pytest.approx([1 / (1 + math.e), math.e / (1 + math.e), 0.0])
    shaped = shape_fitness(torch.tensor([3.0, math.nan, 1.0, 2.0]), "rank")
    assert shaped.tolist() == pytest.approx([1 / 6, 0.5, -0.5, -1 / 6])


def test_cli_lists_every_optimizer(capsys: pytest.CaptureFixture[str]) -> None:
    from gennes_bo.cli import main

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(OPTIMIZERS)
    assert all(len(line.split(maxsplit=1)[1]) > 20 for line in lines)


# -- failures of `fun`: an error when nothing is finite, a warning when much is not -------------------------------
@pytest.mark.parametrize("method", ["gennes", "acma", "ga", "random", "lbfgs"])
def test_an_objective_that_never_gives_a_finite_value_raises(method: str) -> None:
    from gennes_bo.gennes import NonFiniteObjectiveError

    def always_nan(x: torch.Tensor) -> torch.Tensor:
        return (x**2).sum(-1) * math.nan

    with pytest.raises(NonFiniteObjectiveError, match=f"no finite value in .* evaluations \\(method '{method}'\\)"):
        minimize(always_nan, BOUNDS, method, max_evals=100, seed=0)


@pytest.mark.parametrize("method", ["gennes", "acma"])
def test_an_objective_that_always_raises_under_on_error_inf_raises(method: str) -> None:
    from gennes_bo.gennes import NonFiniteObjectiveError

    def always_raises(x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("simulator crashed")

    with pytest.raises(NonFiniteObjectiveError, match="NaN/inf or raised"):
        minimize(always_raises, BOUNDS, method, max_evals=100, seed=0, on_error="inf")


def test_a_large_share_of_failures_warns_and_a_small_one_does_not() -> None:
    def nan_on_half(x: torch.Tensor) -> torch.Tensor:
        return torch.where(x[:, 0] > 0.0, (x**2).sum(-1) * math.nan, (x**2).sum(-1))

    def nan_on_a_corner(x: torch.Tensor) -> torch.Tensor:
        return torch.where((x > 0.8).all(-1), (x**2).sum(-1) * math.nan, (x**2).sum(-1))

    with pytest.warns(RuntimeWarning, match=r"of 400 evaluations of `fun` failed"):
        result = minimize(nan_on_half, BOUNDS, "random", max_evals=400, seed=0)
    assert result.n_failed > 100 and not result.success and result.message == "reached max_evals=400"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = minimize(nan_on_a_corner, BOUNDS, "random", max_evals=400, seed=0)
    assert 0 <= result.n_failed < 100


@pytest.mark.parametrize("method", ["gennes", "acma", "random", "ga"])
def test_success_has_scipys_meaning_budget_and_callback_are_not_success(method: str) -> None:
    stopped = minimize(lambda x: (x**2).sum(-1), BOUNDS, method, max_evals=400, seed=0, callback=lambda r: True)
    finished = minimize(lambda x: (x**2).sum(-1), BOUNDS, method, max_evals=400, seed=0)
    assert stopped.message == "stopped by callback" and not stopped.success and stopped.nfev < 400
    # scipy reports success=False when a run only spent its evaluation budget (L-BFGS-B's maxfun, DE's maxfun)
    assert finished.message.startswith("reached max_evals=400") and not finished.success and finished.nfev == 400


def test_a_convergence_test_that_ends_the_run_is_success() -> None:
    result = minimize(lambda x: (x**2).sum(-1), BOUNDS, "acma", max_evals=100_000, seed=0, restarts=False)
    assert result.success and result.message.startswith("pycma termination: ") and result.nfev < 100_000
    assert result.fun == pytest.approx(100.0, abs=1e-8)  # the sphere's minimum in BOUNDS: (0, 0, 10)


@pytest.mark.parametrize("returned", ["abc", ["a", "b"], object()])
def test_an_objective_that_returns_no_numbers_raises_naming_fun(returned) -> None:
    from gennes_bo.optimizers import ObjectiveValueError

    with pytest.raises(ObjectiveValueError, match=r"`fun` must return \d+ number\(s\).*but returned"):
        minimize(lambda x: returned, BOUNDS, "random", max_evals=20, seed=0)
