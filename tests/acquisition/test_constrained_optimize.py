"""Linear constraints through `optimize_acqf_gennes`, its greedy q-batches and `gen_candidates_gennes`."""

from __future__ import annotations

import pytest
import torch
from botorch.exceptions.errors import CandidateGenerationError
from botorch.optim.parameter_constraints import evaluate_feasibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gennes_bo.acquisition.gen_candidates as gen_candidates_module
from gennes_bo import gen_candidates_gennes, optimize_acqf_gennes, optimize_acqf_greedy
from gennes_bo.acquisition import InfeasibleConstraintsError, UnsupportedAcqfArgumentError, count_acqf_evals
from gennes_bo.acquisition.constraints import FeasibleRegion
from gennes_bo.acquisition.optimize import _Rescreen

DTYPE = torch.float64
TOLERANCE = 1e-6  # the feasibility requirement
# Small budgets; a short hit-and-run burn-in for BoTorch's polytope sampler of the raw samples.
SMALL = {"num_restarts": 2, "raw_samples": 16, "options": {"n_burnin": 100}}
FAST = {"gennes_population_size": 8, "gennes_n_iterations": 5, "gennes_hidden_width": 16, "gennes_polish_maxiter": 10,
        "gennes_seed": 0}
ONES = torch.ones(3, dtype=DTYPE)
CONSTRAINTS = {
    "budget": {"inequality_constraints": [(torch.tensor([0, 1, 2]), -ONES, -1.0)]},  # x0 + x1 + x2 <= 1
    "simplex": {"equality_constraints": [(torch.tensor([0, 1, 2]), ONES, 1.0)]},  # x0 + x1 + x2 == 1
    "mixed": {"equality_constraints": [(torch.tensor([0, 1, 2]), ONES, 1.0)],  # ... and x0 >= 2 x1
              "inequality_constraints": [(torch.tensor([0, 1]), torch.tensor([1.0, -2.0], dtype=DTYPE), 0.0)]},
}
# x[0, 0] >= x[1, 0] + 0.2: feature 0 of the first point exceeds the second's
INTER_POINT = [(torch.tensor([[0, 0], [1, 0]]), torch.tensor([1.0, -1.0], dtype=DTYPE), 0.2)]


def assert_feasible(x: torch.Tensor, bounds: torch.Tensor, constraints: dict) -> None:
    """`x` (`(b x) q x d`) inside the bounds and the constraints, to the issue's 1e-6."""
    batch = x if x.dim() == 3 else x.unsqueeze(0)
    assert (batch >= bounds[0] - TOLERANCE).all() and (batch <= bounds[1] + TOLERANCE).all()
    assert evaluate_feasibility(batch, constraints.get("inequality_constraints"),
                                constraints.get("equality_constraints"), tolerance=TOLERANCE).all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(CONSTRAINTS)), q=st.integers(1, 2), strategy=st.sampled_from(["greedy", "joint"]),
       fix=st.booleans(), seed=st.integers(0, 100))
def test_every_candidate_is_feasible(qlogei, bounds, fast_config, kind, q, strategy, fix, seed):
    fixed = {1: 0.2} if fix else None
    x, value = optimize_acqf_gennes(qlogei, bounds, q, **SMALL, **CONSTRAINTS[kind], fixed_features=fixed,
                                    config=fast_config, seed=seed, batch_strategy=strategy)
    assert x.shape == (q, 3)
    assert_feasible(x, bounds, CONSTRAINTS[kind])
    if fix:
        assert (x[:, 1] == 0.2).all()
    with torch.no_grad():
        assert float(qlogei(x.unsqueeze(0))) == pytest.approx(float(value), abs=1e-8)


def test_every_restart_is_feasible(qlogei, bounds, fast_config):
    x, values = optimize_acqf_gennes(qlogei, bounds, 2, num_restarts=3, raw_samples=16, options={"n_burnin": 100},
                                     **CONSTRAINTS["mixed"], return_best_only=False, config=fast_config, seed=0)
    assert x.shape == (3, 2, 3)
    assert_feasible(x, bounds, CONSTRAINTS["mixed"])
    with torch.no_grad():
        assert torch.allclose(qlogei(x), values, atol=1e-8)


def test_the_generators_sample_only_feasible_points(logei, bounds):
    ics = torch.full((2, 1, 3), 0.2, dtype=DTYPE)
    seen = []
    original_forward = logei.forward

    def recording_forward(X):
        if X.shape[0] == 4 * 8:  # a GENNES step: n_generators x population_size members
            seen.append(X.detach())
        return original_forward(X)

    logei.forward = recording_forward
    gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options={**FAST, "gennes_n_generators": 4},
                          **CONSTRAINTS["mixed"])
    del logei.forward
    assert len(seen) == 5
    samples = torch.cat(seen)
    assert_feasible(samples, bounds, CONSTRAINTS["mixed"])
    assert samples.std(0).min() > 1e-3  # the samples spread over the region


def test_infeasible_starts_and_polished_points_are_restored(logei, bounds, monkeypatch):
    ics = torch.tensor([[[0.9, 0.9, 0.9]], [[0.0, 0.0, 0.0]]], dtype=DTYPE)  # off the simplex
    original = gen_candidates_module.gen_candidates_scipy
    starts = []

    def leaving_polish(initial_conditions, acquisition_function, **kwargs):
        starts.append(initial_conditions)
        polished, _ = original(initial_conditions, acquisition_function, **kwargs)
        moved = polished + 0.3  # as if SLSQP had ended outside the constraints
        with torch.no_grad():
            return moved, acquisition_function(moved) + 100.0  # and looked better there

    monkeypatch.setattr(gen_candidates_module, "gen_candidates_scipy", leaving_polish)
    candidates, values = gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options=FAST,
                                               **CONSTRAINTS["simplex"])
    assert_feasible(starts[0], bounds, CONSTRAINTS["simplex"])  # the initial conditions were moved in first
    assert_feasible(candidates, bounds, CONSTRAINTS["simplex"])
    with torch.no_grad():
        assert torch.allclose(values, logei(candidates), atol=1e-10)  # the value belongs to the candidate


def test_per_restart_fixed_values_of_unconstrained_features(logei, bounds):
    value = torch.tensor([0.1, 0.5, 0.9], dtype=DTYPE)
    ics = torch.rand(3, 1, 3, generator=torch.Generator().manual_seed(0), dtype=DTYPE) * 0.3
    budget = [(torch.tensor([0, 1]), -ONES[:2], -0.5)]  # x0 + x1 <= 0.5; feature 2 varies per restart
    candidates, values = gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options=FAST,
                                               fixed_features={2: value}, inequality_constraints=budget)
    assert torch.equal(candidates[:, 0, 2], value)
    assert_feasible(candidates, bounds, {"inequality_constraints": budget})
    with torch.no_grad():
        assert torch.allclose(values, logei(candidates), atol=1e-10)


def test_equalities_that_pin_the_point_return_it(logei, bounds):
    pins = [(torch.tensor([0]), ONES[:1], 0.25), (torch.tensor([1, 2]), ONES[:2], 1.0),
            (torch.tensor([2]), ONES[:1], 0.5)]
    x, _ = optimize_acqf_gennes(logei, bounds, 1, **SMALL, equality_constraints=pins, seed=0)
    assert torch.allclose(x, torch.tensor([[0.25, 0.5, 0.5]], dtype=DTYPE))


def test_inter_point_constraints_are_searched_jointly(qlogei, bounds, fast_config, monkeypatch):
    import gennes_bo.acquisition.optimize as module

    monkeypatch.setattr(module, "optimize_acqf_greedy", lambda *args, **kwargs: pytest.fail("greedy was called"))
    x, _ = optimize_acqf_gennes(qlogei, bounds, 2, **SMALL, inequality_constraints=INTER_POINT, config=fast_config,
                                seed=0)  # the default batch_strategy, greedy, cannot link points
    assert_feasible(x, bounds, {"inequality_constraints": INTER_POINT})


def test_inter_point_constraints_with_sequential_raise_naming_the_alternative(qlogei, bounds):
    with pytest.raises(UnsupportedAcqfArgumentError, match="need a joint search: use sequential=False"):
        optimize_acqf_gennes(qlogei, bounds, 2, **SMALL, inequality_constraints=INTER_POINT, sequential=True)
    with pytest.raises(UnsupportedAcqfArgumentError, match="batch_strategy='joint'"):
        optimize_acqf_greedy(qlogei, bounds, 2, 2, 16, inequality_constraints=INTER_POINT)


def test_greedy_fresh_points_are_drawn_in_the_polytope(qlogei, bounds):
    region = FeasibleRegion.from_constraints(bounds, 1, **CONSTRAINTS["simplex"])
    rescreen = _Rescreen(16, region, [0, 1, 2])
    kwargs = {"options": {"n_burnin": 100, "seed": 0}, **CONSTRAINTS["simplex"]}
    rescreen(qlogei, bounds, 1, 2, 32, **kwargs)  # the first step keeps its best 12 points
    screened = []
    handle = qlogei.register_forward_hook(lambda _module, args, _output: screened.append(args[0].detach()))
    rescreen(qlogei, bounds, 1, 2, 32, **kwargs)
    handle.remove()
    points = torch.cat(screened)
    assert points.shape == (16, 1, 3)  # 12 kept, 4 fresh
    assert_feasible(points, bounds, CONSTRAINTS["simplex"])


def test_greedy_post_processing_that_leaves_the_constraints_raises(qlogei, bounds, fast_config):
    with pytest.raises(CandidateGenerationError, match="`post_processing_func` moves the batch out"):
        optimize_acqf_gennes(qlogei, bounds, 2, **SMALL, **CONSTRAINTS["budget"], config=fast_config, seed=0,
                             post_processing_func=lambda X: X.clamp_min(0.5))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"inequality_constraints": [(torch.tensor([0, 3]), ONES[:2], 0.0)]}, ValueError,
         r"`inequality_constraints\[0\]`: feature indices must be in \[0, 2\]"),
        ({"equality_constraints": [(torch.tensor([0, 1]), ONES, 1.0)]}, ValueError,
         r"`equality_constraints\[0\]`: `coefficients` must be a floating-point tensor of shape \(2,\)"),
        ({"inequality_constraints": [(torch.tensor([[0, 0], [2, 1]]), ONES[:2], 0.0)]}, ValueError,
         r"point indices \(first column\) must be in \[0, 1\] for q = 2"),
        ({"inequality_constraints": [(torch.tensor([0, 1, 2]), ONES, 3.5)]}, InfeasibleConstraintsError,
         "no point of the box satisfies"),
        ({**CONSTRAINTS["simplex"], "fixed_features": {0: 0.7, 1: 0.7}}, InfeasibleConstraintsError,
         r"with `fixed_features` \(0: 0.7, 1: 0.7\)"),
    ],
)
def test_bad_constraints_raise_before_any_evaluation(qlogei, bounds, kwargs, error, match):
    with count_acqf_evals(qlogei) as counter, pytest.raises(error, match=match):
        optimize_acqf_gennes(qlogei, bounds, 2, **SMALL, **kwargs)
    assert counter.n_evals == 0
