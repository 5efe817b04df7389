"""Tests of `gen_candidates_gennes`, the `gen_candidates` hook contract of `botorch.optim.optimize_acqf`."""

from __future__ import annotations

import math
import time

import pytest
import torch
from botorch.generation.gen import gen_candidates_scipy
from botorch.optim import optimize_acqf
from hypothesis import given, settings
from hypothesis import strategies as st

from gennes_bo import GennesConfig, gen_candidates_gennes
from gennes_bo.acquisition import UnsupportedAcqfArgumentError

FAST = {"gennes_population_size": 8, "gennes_n_iterations": 5, "gennes_hidden_width": 16, "gennes_polish_maxiter": 10,
        "gennes_seed": 0}


def initial_conditions(b: int, q: int, d: int = 3, seed: int = 0) -> torch.Tensor:
    return torch.rand(b, q, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_shapes_bounds_detached_and_values_consistent(qlogei, bounds):
    ics = initial_conditions(3, 2).requires_grad_(True)
    candidates, values = gen_candidates_gennes(ics, qlogei, bounds[0], bounds[1], options=FAST)
    assert candidates.shape == (3, 2, 3) and values.shape == (3,)
    assert candidates.dtype == values.dtype == torch.float64
    assert not candidates.requires_grad and not values.requires_grad
    assert candidates.grad_fn is None
    assert (candidates >= 0).all() and (candidates <= 1).all()
    with torch.no_grad():
        assert torch.allclose(values, qlogei(candidates), atol=1e-10)


def test_never_worse_than_the_initial_conditions(qlogei, bounds):
    ics = initial_conditions(4, 2, seed=1)
    _, values = gen_candidates_gennes(ics, qlogei, bounds[0], bounds[1], options=FAST)
    with torch.no_grad():
        start = qlogei(ics)
    assert (values >= start - 1e-12).all()
    assert (values > start + 1e-3).any()  # and it did improve somewhere


def test_two_dimensional_input_is_one_restart(logei, bounds):
    ics = initial_conditions(1, 1)[0]
    candidates, values = gen_candidates_gennes(ics, logei, 0.0, 1.0, options=FAST)
    reference, reference_values = gen_candidates_scipy(ics, logei, 0.0, 1.0, options={"maxiter": 5})
    assert candidates.shape == reference.shape == (1, 3)
    assert values.shape == reference_values.shape == (1,)


def test_scalar_bounds(logei):
    ics = initial_conditions(2, 1) * 0.5 + 0.25
    candidates, _ = gen_candidates_gennes(ics, logei, 0.25, 0.75, options=FAST)
    assert (candidates >= 0.25).all() and (candidates <= 0.75).all()


def test_fixed_features_float_values_exactly_honored(qlogei, bounds):
    candidates, values = gen_candidates_gennes(initial_conditions(3, 2), qlogei, bounds[0], bounds[1], options=FAST,
                                               fixed_features={0: 0.3, 2: 0.123456789})
    assert (candidates[..., 0] == 0.3).all() and (candidates[..., 2] == 0.123456789).all()
    assert candidates[..., 1].std() > 0  # the free feature was searched
    with torch.no_grad():
        assert torch.allclose(values, qlogei(candidates), atol=1e-10)


@pytest.mark.parametrize("value_shape", ["b", "b x q"])
def test_fixed_features_per_restart_tensor_exactly_honored(qlogei, bounds, value_shape):
    b, q = 3, 2
    value = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    if value_shape == "b x q":
        value = torch.stack([value, value / 2], dim=-1)
    candidates, values = gen_candidates_gennes(initial_conditions(b, q), qlogei, bounds[0], bounds[1], options=FAST,
                                               fixed_features={1: value})
    expected = value.unsqueeze(-1).expand(b, q) if value.dim() == 1 else value
    assert torch.equal(candidates[..., 1], expected)
    with torch.no_grad():
        assert torch.allclose(values, qlogei(candidates), atol=1e-10)


def test_fixed_feature_outside_the_box_is_honored_like_gen_candidates_scipy(logei, bounds):
    ics = initial_conditions(2, 1)
    candidates, values = gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options=FAST, fixed_features={1: 2.0})
    reference, _ = gen_candidates_scipy(ics, logei, bounds[0], bounds[1], fixed_features={1: 2.0},
                                        options={"maxiter": 5})
    assert (reference[..., 1] == 2.0).all()
    assert (candidates[..., 1] == 2.0).all()
    with torch.no_grad():
        assert torch.allclose(values, logei(candidates), atol=1e-10)  # the value belongs to the candidate


def test_all_features_fixed(logei, bounds):
    candidates, values = gen_candidates_gennes(initial_conditions(2, 1), logei, bounds[0], bounds[1], options=FAST,
                                               fixed_features={0: 0.1, 1: 0.2, 2: 0.3})
    assert torch.equal(candidates, torch.tensor([[[0.1, 0.2, 0.3]]] * 2, dtype=torch.float64))
    with torch.no_grad():
        assert torch.allclose(values, logei(candidates))


@pytest.mark.filterwarnings("ignore:Unknown solver options")  # as for gen_candidates_scipy called directly
def test_ax_style_options_do_not_choke(logei, bounds):
    options = {"init_batch_limit": 32, "batch_limit": 5, "max_optimization_problem_aggregation_size": 5, **FAST}
    candidates, values = gen_candidates_gennes(initial_conditions(3, 1), logei, bounds[0], bounds[1], options=options)
    assert candidates.shape == (3, 1, 3) and torch.isfinite(values).all()


def test_same_seed_same_result(qlogei, bounds):
    a = gen_candidates_gennes(initial_conditions(2, 2), qlogei, bounds[0], bounds[1], options=FAST)
    b = gen_candidates_gennes(initial_conditions(2, 2), qlogei, bounds[0], bounds[1], options=FAST)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@pytest.mark.parametrize("n_polish", [0, 1, 3])
def test_never_worse_than_the_best_generator_sample(logei, bounds, n_polish):
    # One restart slot, so every generator sample belongs to it; initial conditions in a poor corner and a
    # one-iteration polish, so only the generators can find the good region.
    options = {**FAST, "gennes_n_generators": 3, "gennes_n_polish": n_polish, "gennes_polish_maxiter": 1,
               "gennes_output_std": 1.0}
    ics = torch.full((1, 1, 3), 0.999, dtype=torch.float64)
    seen = []
    original_forward = logei.forward

    def recording_forward(X):
        values = original_forward(X)
        if X.shape[0] == 3 * 8:  # a GENNES step: n_generators x population_size members
            seen.append(values.detach().max())
        return values

    logei.forward = recording_forward
    candidates, values = gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options=options)
    del logei.forward
    assert len(seen) == 5
    best_sample = max(float(v) for v in seen)
    with torch.no_grad():
        assert best_sample > float(logei(ics)) + 1.0  # the generators did find something better
        assert float(values) >= best_sample - 1e-12
        assert torch.allclose(values, logei(candidates), atol=1e-10)


def test_timeout_is_honored(qlogei, bounds):
    options = {**FAST, "gennes_n_iterations": 100_000, "gennes_polish_maxiter": 100_000}
    start = time.monotonic()
    candidates, _ = gen_candidates_gennes(initial_conditions(2, 2), qlogei, bounds[0], bounds[1], options=options,
                                          timeout_sec=0.5)
    # 100k GENNES steps would take minutes; the loop checks the clock once per step.
    assert time.monotonic() - start < 10.0
    assert candidates.shape == (2, 2, 3)


def test_nonlinear_constraints_raise_naming_the_alternative(logei, bounds):
    def constraint(x):
        return 1.0 - x.pow(2).sum(-1)

    match = "`nonlinear_inequality_constraints` are not supported.*gen_candidates_scipy"
    with pytest.raises(UnsupportedAcqfArgumentError, match=match):
        gen_candidates_gennes(initial_conditions(1, 1), logei, bounds[0], bounds[1], options=FAST,
                              nonlinear_inequality_constraints=[(constraint, True)])


@pytest.mark.parametrize(
    ("lower", "upper", "error", "match"),
    [
        (None, 1.0, UnsupportedAcqfArgumentError, "`lower_bounds` is required"),
        (0.0, None, UnsupportedAcqfArgumentError, "`upper_bounds` is required"),
        (-math.inf, 1.0, UnsupportedAcqfArgumentError, "`lower_bounds` must be finite"),
        (0.0, torch.tensor([1.0, math.inf, 1.0]), UnsupportedAcqfArgumentError, "`upper_bounds` must be finite"),
        (1.0, 0.0, ValueError, "`lower_bounds` must be below `upper_bounds`"),
    ],
)
def test_bad_bounds(logei, lower, upper, error, match):
    with pytest.raises(error, match=match):
        gen_candidates_gennes(initial_conditions(1, 1), logei, lower, upper, options=FAST)


def test_infinite_bound_on_a_fixed_feature_is_fine(logei):
    lower = torch.tensor([0.0, -math.inf, 0.0], dtype=torch.float64)
    candidates, _ = gen_candidates_gennes(initial_conditions(1, 1), logei, lower, 1.0, options=FAST,
                                          fixed_features={1: 0.5})
    assert (candidates[..., 1] == 0.5).all()


def test_bad_initial_conditions_shape(logei):
    with pytest.raises(ValueError, match="`initial_conditions` must be b x q x d or q x d"):
        gen_candidates_gennes(torch.rand(2, 1, 1, 3, dtype=torch.float64), logei, 0.0, 1.0, options=FAST)


def test_unknown_gennes_option_raises(logei):
    from gennes_bo.acquisition import GennesOptionError

    with pytest.raises(GennesOptionError, match="gennes_n_iteration"):
        gen_candidates_gennes(initial_conditions(1, 1), logei, 0.0, 1.0, options={"gennes_n_iteration": 3})


def test_works_as_the_gen_candidates_hook_of_optimize_acqf(qlogei, bounds):
    candidates, value = optimize_acqf(qlogei, bounds, q=2, num_restarts=2, raw_samples=16,
                                      options={**FAST, "seed": 0}, gen_candidates=gen_candidates_gennes)
    assert candidates.shape == (2, 3) and value.shape == ()
    assert not candidates.requires_grad
    assert (candidates >= 0).all() and (candidates <= 1).all()


def test_config_object_in_options(logei, bounds):
    config = GennesConfig(n_generators=3, population_size=4, n_iterations=2, hidden_width=8, n_polish=0,
                          polish_maxiter=1)
    calls = []
    original_forward = logei.forward

    def counting_forward(X):
        calls.append(X.shape)
        return original_forward(X)

    logei.forward = counting_forward
    gen_candidates_gennes(initial_conditions(2, 1), logei, bounds[0], bounds[1], options={"gennes_config": config})
    del logei.forward
    # n_iterations GENNES steps of n_generators x population_size members, then the polish.
    assert calls[:2] == [torch.Size([12, 1, 3])] * 2
    assert torch.Size([12, 1, 3]) not in calls[2:]


@settings(max_examples=5, deadline=None)
@given(
    lower=st.lists(st.floats(-10, 10), min_size=3, max_size=3),
    widths=st.lists(st.floats(1e-2, 5), min_size=3, max_size=3),
    seed=st.integers(0, 1000),
)
def test_candidates_never_leave_random_bounds(gp_model, lower, widths, seed):
    from botorch.acquisition import LogExpectedImprovement

    acqf = LogExpectedImprovement(gp_model, best_f=gp_model.train_targets.max())
    lo = torch.tensor(lower, dtype=torch.float64)
    hi = lo + torch.tensor(widths, dtype=torch.float64)
    ics = lo + (hi - lo) * initial_conditions(2, 1, seed=seed)
    candidates, values = gen_candidates_gennes(ics, acqf, lo, hi, options={**FAST, "gennes_seed": seed})
    assert (candidates >= lo).all() and (candidates <= hi).all()
    assert torch.isfinite(values).all()
