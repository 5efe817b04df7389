"""Tests of the GENNES search loop `gennes_maximize`."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gennes_bo.gennes import GennesConfig, NonFiniteObjectiveError, gennes_maximize, stagnation_decay
from gennes_bo.gennes.search import generator_loss

OPTIMUM = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
BOUNDS = torch.tensor([[-2.0, -2.0, -1.0], [2.0, 1.0, 3.0]], dtype=torch.float64)
SMALL = GennesConfig(n_generators=2, population_size=8, n_iterations=20, hidden_width=16)


def concave(x: torch.Tensor) -> torch.Tensor:
    """Concave quadratic with maximum 1.0 at OPTIMUM."""
    return 1.0 - ((x - OPTIMUM) ** 2).sum(-1)


def test_finds_the_maximum_of_a_concave_function():
    config = GennesConfig(n_generators=2, population_size=16, n_iterations=80, hidden_width=16, lr=0.03, alpha=0.93)
    result = gennes_maximize(concave, BOUNDS, config, seed=0)
    assert result.x.shape == (3,)
    assert result.fun == pytest.approx(1.0, abs=1e-4)
    assert torch.allclose(result.x, OPTIMUM, atol=1e-2)
    assert float(concave(result.x)) == pytest.approx(result.fun, abs=1e-12)
    assert result.generator_x.shape == (2, 3) and result.generator_values.shape == (2,)
    assert torch.equal(result.generator_values.max(), torch.tensor(result.fun, dtype=torch.float64))


def test_history_is_monotone_and_counts_evaluations():
    result = gennes_maximize(concave, BOUNDS, SMALL, seed=1)
    n_evals = [n for n, _ in result.history]
    best = [v for _, v in result.history]
    assert n_evals == [16 * (i + 1) for i in range(20)]
    assert all(b >= a for a, b in zip(best, best[1:], strict=False))
    assert best[-1] > best[0]  # it did improve
    assert result.nfev == 320 and result.nit == 20 and result.n_failed == 0
    assert result.fun == best[-1]
    assert "n_iterations=20" in result.message


@pytest.mark.parametrize("max_evals", [1, 7, 16, 50, 100])
def test_n_evals_exact_and_never_above_max_evals(max_evals):
    calls = []

    def objective(x):
        calls.append(x.shape[0])
        return concave(x)

    result = gennes_maximize(objective, BOUNDS, SMALL.replace(max_evals=max_evals), seed=0)
    assert sum(calls) == result.nfev == min(max_evals, 320)
    assert result.history[-1][0] == result.nfev
    assert max(calls) <= 16
    if max_evals <= 320:
        assert "max_evals" in result.message
        assert result.nit == math.ceil(max_evals / 16)


def test_max_evals_above_the_iteration_budget():
    result = gennes_maximize(concave, BOUNDS, SMALL.replace(max_evals=10_000), seed=0)
    assert result.nfev == 320 and result.nit == 20


def test_nonfinite_values_are_masked_and_counted():
    def objective(x):
        values = concave(x)
        return torch.where(x[:, 0] < 0.0, torch.full_like(values, math.nan),
                           torch.where(x[:, 1] > 0.5, torch.full_like(values, math.inf), values))

    x_seen = []

    def recording(x):
        x_seen.append(x.detach())
        return objective(x)

    result = gennes_maximize(recording, BOUNDS, SMALL, seed=0)
    x_all = torch.cat(x_seen)
    expected_nonfinite = int(((x_all[:, 0] < 0.0) | (x_all[:, 1] > 0.5)).sum())
    assert expected_nonfinite > 0
    assert result.n_failed == expected_nonfinite
    assert math.isfinite(result.fun)
    assert result.x[0] >= 0.0 and result.x[1] <= 0.5  # +inf is not a "best" value


def test_nan_gradients_of_masked_samples_do_not_poison_the_generators():
    # sqrt of a negative number: NaN value *and* NaN derivative. Masking the loss alone would still send
    # 0 * NaN = NaN into the generator parameters, and the generator would only produce NaN afterwards.
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)

    def objective(x):
        return -((x - 0.7) ** 2).sum(-1) + torch.sqrt(x[:, 0] - 0.2)

    config = GennesConfig(n_generators=2, population_size=16, n_iterations=60, hidden_width=16)
    result = gennes_maximize(objective, bounds, config, seed=0)
    assert torch.isfinite(result.generator_values).all()
    assert result.n_failed < 0.05 * result.nfev
    # d/dx0: -2 (x0 - 0.7) + 0.5 / sqrt(x0 - 0.2) = 0 near x0 = 0.99; both generators get there.
    assert (result.generator_values > 0.80).all()


def test_all_nan_objective_raises():
    with pytest.raises(NonFiniteObjectiveError, match="no finite value on 16 evaluations"):
        gennes_maximize(lambda x: torch.full(x.shape[:1], math.nan, dtype=x.dtype), BOUNDS, SMALL, seed=0)
    assert issubclass(NonFiniteObjectiveError, ArithmeticError)


def test_objective_with_wrong_output_shape_raises():
    with pytest.raises(ValueError, match=r"`objective` must map a batch of 16 points to shape \(16,\)"):
        gennes_maximize(lambda x: concave(x).unsqueeze(-1), BOUNDS, SMALL, seed=0)


def test_same_seed_same_result():
    a = gennes_maximize(concave, BOUNDS, SMALL, seed=3)
    b = gennes_maximize(concave, BOUNDS, SMALL, seed=3)
    c = gennes_maximize(concave, BOUNDS, SMALL, seed=4)
    assert torch.equal(a.x, b.x) and a.value == b.value and a.history == b.history
    assert not torch.equal(a.x, c.x)
    generator = torch.Generator().manual_seed(3)
    assert torch.equal(gennes_maximize(concave, BOUNDS, SMALL, seed=generator).x, a.x)


def test_q_batch_shapes():
    seen_shapes = set()

    def objective(x):
        seen_shapes.add(tuple(x.shape[1:]))
        return concave(x).sum(-1)  # maximized when every member of the batch sits at the optimum

    config = GennesConfig(n_generators=3, population_size=8, n_iterations=60, hidden_width=16)
    result = gennes_maximize(objective, BOUNDS, config, q=2, seed=0)
    assert seen_shapes == {(2, 3)}
    assert result.x.shape == (2, 3)
    assert result.generator_x.shape == (3, 2, 3)
    assert result.generator_values.shape == (3,)
    assert result.fun > 1.5  # 2.0 at the optimum; a random pair of points is far below


def test_timeout_stops_early():
    def slow(x):
        torch.ones(1).add_(1)  # cheap; the timeout of 0 stops after the first step
        return concave(x)

    result = gennes_maximize(slow, BOUNDS, SMALL.replace(n_iterations=10_000), seed=0, timeout_sec=0.0)
    assert result.nit == 1 and result.nfev == 16
    assert "timeout_sec" in result.message


def test_callback_sees_every_step_and_can_stop():
    seen = []

    def callback(step, n_evals, best_value):
        seen.append((step, n_evals, best_value))
        return step == 2

    result = gennes_maximize(concave, BOUNDS, SMALL, seed=0, callback=callback)
    assert [s for s, _, _ in seen] == [0, 1, 2]
    assert [n for _, n, _ in seen] == [16, 32, 48]
    assert [v for _, _, v in seen] == [v for _, v in result.history]
    assert result.nit == 3 and result.message == "stopped by callback"


def test_initial_points_center_the_generators():
    start = torch.tensor([[1.5, 0.5, 0.0], [-1.5, -1.5, 2.5]], dtype=torch.float64)
    seen = []

    def objective(x):
        seen.append(x.detach())
        return concave(x)

    config = SMALL.replace(n_iterations=1, output_std=1e-3)  # a narrow initial spread around the centers
    gennes_maximize(objective, BOUNDS, config, initial_points=start, seed=0)
    first = seen[0].view(2, 8, 3)
    assert torch.allclose(first.mean(1), start, atol=0.05)
    assert (first - start.unsqueeze(1)).abs().max() < 0.05


@pytest.mark.parametrize(("q", "shape"), [(None, (3, 3)), (None, (2, 2)), (None, (2,)), (2, (2, 3)), (2, (2, 1, 3))])
def test_initial_points_shape_validation(q, shape):
    with pytest.raises(ValueError, match="`initial_points` must have shape"):
        gennes_maximize(concave, BOUNDS, SMALL, q=q, initial_points=torch.zeros(shape, dtype=torch.float64))


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        (torch.zeros(3, 2), "2 x d"),
        (torch.zeros(2), "2 x d"),
        ([[0.0], [1.0]], "2 x d"),
        (torch.tensor([[0.0, -math.inf], [1.0, 1.0]]), "finite"),
        (torch.tensor([[0.0, 1.0], [1.0, 1.0]]), "lower < upper"),
    ],
)
def test_bad_bounds(bounds, match):
    with pytest.raises(ValueError, match=match):
        gennes_maximize(concave, bounds, SMALL)


def test_bad_q():
    with pytest.raises(ValueError, match="`q` must be None or >= 1"):
        gennes_maximize(concave, BOUNDS, SMALL, q=0)


def test_dtype_follows_bounds():
    result = gennes_maximize(concave, BOUNDS.float(), SMALL.replace(n_iterations=2), seed=0)
    assert result.x.dtype == torch.float32 and result.generator_x.dtype == torch.float32


def test_adaptive_schedule_is_observed():
    schedule = stagnation_decay(rate=0.5, patience=1, tol=0.5)
    config = SMALL.replace(schedule=lambda n: schedule)
    gennes_maximize(concave, BOUNDS, config, seed=0)
    assert schedule(0) < 1.0  # it saw the best values and decayed on stagnation


def test_generator_loss_masks_and_averages_per_generator():
    values = torch.tensor([[1.0, 3.0, math.nan], [math.inf, math.nan, math.nan]], requires_grad=True)
    evaluated = torch.isfinite(values)
    loss = generator_loss(values, evaluated)
    assert float(loss.detach()) == pytest.approx(-2.0)  # generator 0: mean(1, 3); generator 1 has no usable sample
    loss.backward()
    assert values.grad.tolist() == [[-0.5, -0.5, 0.0], [0.0, 0.0, 0.0]]


@settings(max_examples=8, deadline=None)
@given(
    lower=st.lists(st.floats(-100, 100), min_size=1, max_size=4),
    widths=st.lists(st.floats(1e-3, 50), min_size=4, max_size=4),
    direction_seed=st.integers(0, 2**16),
    q=st.sampled_from([None, 2]),
)
def test_samples_never_leave_random_bounds(lower, widths, direction_seed, q):
    d = len(lower)
    lo = torch.tensor(lower, dtype=torch.float64)
    bounds = torch.stack([lo, lo + torch.tensor(widths[:d], dtype=torch.float64)])
    # A linear objective with large slopes pushes the generators into the corners (tanh saturation).
    direction = 1e3 * torch.randn(d, generator=torch.Generator().manual_seed(direction_seed), dtype=torch.float64)
    seen = []

    def objective(x):
        seen.append(x.detach())
        return (x * direction).sum(-1) if q is None else (x * direction).sum((-1, -2))

    config = GennesConfig(n_generators=2, population_size=8, n_iterations=15, hidden_width=8, lr=0.1)
    result = gennes_maximize(objective, bounds, config, q=q, seed=direction_seed)
    points = torch.cat([s.reshape(-1, d) for s in seen] + [result.x.reshape(-1, d), result.generator_x.reshape(-1, d)])
    assert (points >= bounds[0]).all() and (points <= bounds[1]).all()


# -- the search state: ask / tell, continuation, checkpoints, warm starts, failures ----------------------------
def test_ask_tell_loop_is_gennes_maximize():
    from gennes_bo.gennes import GennesSearch

    search = GennesSearch(BOUNDS, SMALL, seed=5)
    while not search.done:
        search.tell(concave(search.ask()))
    reference = gennes_maximize(concave, BOUNDS, SMALL, seed=5)
    assert torch.equal(search.result().x, reference.x) and search.result().history == reference.history
    assert search.result().message == reference.message == "reached n_iterations=20"


def test_tell_with_gradients_follows_the_same_path_as_autograd():
    from gennes_bo.gennes import GennesSearch

    by_autograd, by_gradients = GennesSearch(BOUNDS, SMALL, seed=2), GennesSearch(BOUNDS, SMALL, seed=2)
    for _ in range(5):
        by_autograd.tell(concave(by_autograd.ask()))
        x = by_gradients.ask().detach().requires_grad_(True)
        values = concave(x)
        (gradients,) = torch.autograd.grad(values.sum(), x)
        by_gradients.tell(values.detach(), gradients=gradients)
    assert torch.allclose(by_autograd.best_x, by_gradients.best_x, rtol=0, atol=1e-12)
    assert by_autograd.best_value == pytest.approx(by_gradients.best_value, abs=1e-12)


def test_tell_rejects_values_without_gradients_and_out_of_order_calls():
    from gennes_bo.gennes import GennesSearch

    search = GennesSearch(BOUNDS, SMALL, seed=0)
    with pytest.raises(RuntimeError, match="needs a population from ask"):
        search.tell(torch.zeros(16, dtype=torch.float64))
    x = search.ask()
    with pytest.raises(RuntimeError, match="twice without tell"):
        search.ask()
    with pytest.raises(ValueError, match="differentiable"):
        search.tell(concave(x).detach())


def test_extend_continues_the_schedule():
    from gennes_bo.gennes import GennesSearch

    search = GennesSearch(BOUNDS, SMALL, seed=0)
    while not search.done:
        search.tell(concave(search.ask()))
    before = search.best_value
    search.extend(10)
    assert not search.done and search.noise_ratio == pytest.approx(SMALL.alpha**20)
    while not search.done:
        search.tell(concave(search.ask()))
    assert search.nit == 30 and search.best_value >= before


def test_state_dict_round_trip_continues_identically():
    from gennes_bo.gennes import GennesSearch

    original = GennesSearch(BOUNDS, SMALL, seed=1)
    for _ in range(5):
        original.tell(concave(original.ask()))
    checkpoint = original.state_dict()
    for _ in range(5):
        original.tell(concave(original.ask()))
    restored = GennesSearch(BOUNDS, SMALL, seed=99)
    restored.load_state_dict(checkpoint)
    for _ in range(5):
        restored.tell(concave(restored.ask()))
    assert torch.equal(restored.best_x, original.best_x) and restored.history == original.history


def test_warm_start_takes_the_trained_generators():
    from gennes_bo.gennes import GennesSearch

    trained = GennesSearch(BOUNDS, SMALL, seed=0)
    while not trained.done:
        trained.tell(concave(trained.ask()))
    warm = GennesSearch(BOUNDS, SMALL, seed=7, warm_start=trained.generator_state())
    cold = GennesSearch(BOUNDS, SMALL, seed=7)
    warm_first = concave(warm.ask()).detach().mean()
    cold_first = concave(cold.ask()).detach().mean()
    assert warm_first > cold_first + 0.5  # the trained generators already sample near the maximum
    with pytest.raises(ValueError, match="do not fit"):
        GennesSearch(BOUNDS, SMALL.replace(hidden_width=8), warm_start=trained.generator_state())


def test_failed_samples_pull_the_generators_back():
    # NaN wherever x0 > 0.5, and the maximum (x0 = 1.8) lies there. Masking the failed samples alone (the former
    # loss) failed 1912 of 1920 evaluations and ended at -2.0; with stand-ins the generators settle on the border.
    shifted = OPTIMUM + torch.tensor([1.5, 0.0, 0.0], dtype=torch.float64)

    def objective(x):
        values = 1.0 - ((x - shifted) ** 2).sum(-1)
        return torch.where(x[:, 0] > 0.5, torch.full_like(values, math.nan), values)

    config = GennesConfig(n_generators=2, population_size=16, n_iterations=60, hidden_width=16, lr=0.03)
    result = gennes_maximize(objective, BOUNDS, config, seed=0)
    assert result.n_failed < 0.5 * result.nfev
    assert result.x[0] <= 0.5 and result.fun > 1.0 - 1.3**2 - 0.05  # near the border's best, 1 - 1.3^2


def test_former_result_names_still_read_with_a_deprecation_warning():
    result = gennes_maximize(concave, BOUNDS, SMALL.replace(n_iterations=2), seed=0)
    with pytest.warns(DeprecationWarning, match="now `nfev`"):
        assert result.n_evals == result.nfev
    with pytest.warns(DeprecationWarning, match="now `fun`"):
        assert result.value == result.fun
