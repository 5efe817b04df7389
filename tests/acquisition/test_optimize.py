"""Contract tests of `optimize_acqf_gennes` against `botorch.optim.optimize_acqf` on a small GP."""

from __future__ import annotations

import inspect
import math
import time
import warnings

import pytest
import torch
from botorch.acquisition import ExpectedImprovement, LogExpectedImprovement
from botorch.models import SingleTaskGP
from botorch.optim import optimize_acqf
from botorch.utils.sampling import draw_sobol_samples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gennes_bo import AcqfOptimizationInfo, AcqfSettings, GennesConfig, gen_candidates_gennes, optimize_acqf_gennes
from gennes_bo.acquisition import (
    GennesOptionError,
    UnsupportedAcqfArgumentError,
    count_acqf_evals,
    optimize_acqf_greedy,
    recommended_restarts,
)
from gennes_bo.acquisition.optimize import _Rescreen
from gennes_bo.acquisition.options import ACQF_SINGLE_CONFIG, GREEDY_RESCREEN

SMALL = {"num_restarts": 2, "raw_samples": 16}


def fast(config: GennesConfig, **fields) -> AcqfSettings:
    """Settings with a few short GENNES steps, the GENNES stage on (the policy may turn it off at these sizes):
    these tests check the contract, not the optimization."""
    return AcqfSettings(config=config, **{"pipeline": "gennes", **fields})
BOTORCH_OPTIONS = {"maxiter": 10}


def both(acqf, bounds, fast_config, **kwargs):
    """Results of optimize_acqf and optimize_acqf_gennes for the same arguments."""
    reference = optimize_acqf(acqf, bounds, options={**BOTORCH_OPTIONS, **kwargs.pop("options", {})}, **kwargs)
    ours = optimize_acqf_gennes(acqf, bounds, settings=fast(fast_config), seed=0, **kwargs)
    return reference, ours


def test_signature_keeps_every_optimize_acqf_argument_in_order():
    reference = list(inspect.signature(optimize_acqf).parameters.values())
    ours = inspect.signature(optimize_acqf_gennes).parameters
    names = list(ours)
    for index, parameter in enumerate(reference):
        assert parameter.name in ours, parameter.name
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            assert names[index] == parameter.name
        assert ours[parameter.name].kind == parameter.kind
        if parameter.name == "num_restarts":  # required by BoTorch; ours defaults to recommended_restarts(q)
            assert ours[parameter.name].default is None
        elif parameter.name != "gen_candidates":
            assert ours[parameter.name].default == parameter.default, parameter.name


@pytest.mark.parametrize("q", [1, 3])
def test_restart_counts_default_to_the_recommendation(qlogei, bounds, q, monkeypatch):
    import gennes_bo.acquisition.optimize as module

    seen = {}

    def spy(acq_function, bounds, q, num_restarts, raw_samples, options, **kwargs):
        seen.update(num_restarts=num_restarts, raw_samples=raw_samples)
        return torch.zeros(q, bounds.shape[1], dtype=bounds.dtype), torch.tensor(0.0)

    from gennes_bo.acquisition.policy import greedy_step_restarts

    restarts, raw_samples = recommended_restarts(q, "greedy")
    greedy = (greedy_step_restarts(q=q, d=bounds.shape[1]) or restarts, raw_samples)  # the policy's, where set
    monkeypatch.setattr(module, "optimize_acqf", spy)
    optimize_acqf_gennes(qlogei, bounds, q=q)
    assert (seen["num_restarts"], seen["raw_samples"]) == greedy
    optimize_acqf_gennes(qlogei, bounds, q=q, batch_initial_conditions=torch.rand(2, q, 3, dtype=torch.float64))
    assert seen["raw_samples"] is None  # as in BoTorch: given initial conditions, no raw samples
    optimize_acqf_gennes(qlogei, bounds, q=q, sequential=True)  # one point per step, as the greedy steps
    assert (seen["num_restarts"], seen["raw_samples"]) == greedy
    optimize_acqf_gennes(qlogei, bounds, q=q, settings=AcqfSettings(batch_strategy="joint"))
    assert (seen["num_restarts"], seen["raw_samples"]) == recommended_restarts(q, "joint")


@pytest.mark.parametrize("q", [1, 3])
def test_same_shapes_and_dtypes_as_optimize_acqf(qlogei, bounds, fast_config, q):
    (ref_x, ref_v), (x, v) = both(qlogei, bounds, fast_config, q=q, **SMALL)
    assert x.shape == ref_x.shape == (q, 3)
    assert v.shape == ref_v.shape == ()
    assert x.dtype == ref_x.dtype and v.dtype == ref_v.dtype
    assert not x.requires_grad and x.grad_fn is None and not v.requires_grad
    assert (x >= 0).all() and (x <= 1).all()
    with torch.no_grad():
        assert float(qlogei(x.unsqueeze(0))) == pytest.approx(float(v), abs=1e-8)


def test_return_best_only_false_shapes(qlogei, bounds, fast_config):
    (ref_x, ref_v), (x, v) = both(qlogei, bounds, fast_config, q=2, num_restarts=3, raw_samples=16,
                                  return_best_only=False)
    assert x.shape == ref_x.shape == (3, 2, 3)
    assert v.shape == ref_v.shape == (3,)
    with torch.no_grad():
        assert torch.allclose(qlogei(x), v, atol=1e-8)
    # The joint best-only answer is the best of these restarts (return_best_only=False always searches jointly).
    best_x, best_v = optimize_acqf_gennes(qlogei, bounds, q=2, num_restarts=3, raw_samples=16, seed=0,
                                          settings=fast(fast_config, batch_strategy="joint"))
    assert float(best_v) == pytest.approx(float(v.max()), abs=1e-10)
    assert torch.equal(best_x, x[v.argmax()])


def test_return_acq_values_false(logei, bounds, fast_config):
    (ref_x, ref_v), (x, v) = both(logei, bounds, fast_config, q=1, return_acq_values=False, **SMALL)
    assert ref_v is None and v is None
    assert x.shape == ref_x.shape == (1, 3)


@pytest.mark.parametrize("shape", [(2, 3), (2, 2, 3)])
def test_batch_initial_conditions(qlogei, bounds, fast_config, shape):
    ics = torch.rand(*shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    (ref_x, ref_v), (x, v) = both(qlogei, bounds, fast_config, q=2, num_restarts=ics.shape[0] if ics.dim() == 3 else 1,
                                  batch_initial_conditions=ics, return_best_only=False)
    assert x.shape == ref_x.shape and v.shape == ref_v.shape
    with torch.no_grad():
        start = qlogei(ics if ics.dim() == 3 else ics.unsqueeze(0))
    assert (v >= start - 1e-10).all()  # each restart starts from its initial condition and never gets worse


def test_fixed_features_exactly_honored(qlogei, bounds, fast_config):
    fixed = {0: 0.25, 2: 0.7123}
    (ref_x, _), (x, v) = both(qlogei, bounds, fast_config, q=2, fixed_features=fixed, **SMALL)
    assert (ref_x[:, 0] == 0.25).all() and (ref_x[:, 2] == 0.7123).all()
    assert (x[:, 0] == 0.25).all() and (x[:, 2] == 0.7123).all()
    with torch.no_grad():
        assert float(qlogei(x.unsqueeze(0))) == pytest.approx(float(v), abs=1e-8)


def test_sequential_q2(qlogei, bounds, fast_config):
    (ref_x, ref_v), (x, v) = both(qlogei, bounds, fast_config, q=2, sequential=True, **SMALL)
    assert x.shape == ref_x.shape == (2, 3)
    assert v.shape == ref_v.shape == (2,)
    assert not torch.allclose(x[0], x[1])  # the second point is chosen given the first


def test_greedy_batch_is_the_sequential_batch_polished_jointly(qlogei, bounds, fast_config):
    x, v, info = optimize_acqf_gennes(qlogei, bounds, 3, seed=0, return_info=True,
                                      settings=fast(fast_config, rescreen=None), **SMALL)
    seq_x, _ = optimize_acqf_gennes(qlogei, bounds, 3, settings=fast(fast_config), seed=0, sequential=True, **SMALL)
    assert x.shape == (3, 3) and v.shape == () and not x.requires_grad
    with torch.no_grad():
        assert float(qlogei(x.unsqueeze(0))) == pytest.approx(float(v), abs=1e-10)
        assert float(v) >= float(qlogei(seq_x.unsqueeze(0))) - 1e-10  # the polish starts from the greedy batch
    with count_acqf_evals(qlogei) as counter:
        optimize_acqf_gennes(qlogei, bounds, 3, settings=fast(fast_config), seed=0, sequential=True, **SMALL)
    assert info.n_acqf_evals > counter.n_evals  # greedy steps plus the joint polish
    joint = optimize_acqf_gennes(qlogei, bounds, 3, seed=0, settings=fast(fast_config, batch_strategy="joint"), **SMALL)
    assert joint[0].shape == (3, 3) and not torch.equal(joint[0], x)


def test_later_greedy_steps_rescreen_the_first_screens_best_points(qlogei, bounds, fast_config):
    q, raw = 3, 64
    full = optimize_acqf_gennes(qlogei, bounds, q, 2, raw, seed=0, return_info=True,
                                settings=fast(fast_config, rescreen=None))
    lean = optimize_acqf_gennes(qlogei, bounds, q, 2, raw, settings=fast(fast_config), seed=0, return_info=True)
    # steps 2..q screen GREEDY_RESCREEN x 64 = 16 points instead of 64 (the rest of the run may differ a little)
    saved = full[2].n_acqf_evals - lean[2].n_acqf_evals
    assert abs(saved - (q - 1) * (raw - round(GREEDY_RESCREEN * raw))) <= 40
    assert lean[0].shape == (q, 3) and float(lean[1]) > -math.inf

    # a later step chooses its restarts among the first screen's best points (re-evaluated) and fresh ones
    rescreen = _Rescreen(8)  # 6 kept, 2 fresh
    first = rescreen(qlogei, bounds, 1, 2, 32, options={"seed": 0})
    assert first.shape == (2, 1, 3) and rescreen.kept.shape == (6, 1, 3)
    with torch.no_grad():
        screen = draw_sobol_samples(bounds=bounds, n=32, q=1, seed=0)
        best = screen[qlogei(screen).topk(6).indices]
    assert torch.allclose(rescreen.kept.sort(dim=0).values, best.sort(dim=0).values)
    with count_acqf_evals(qlogei) as counter:
        later = rescreen(qlogei, bounds, 1, 8, 32, options={"seed": 0})  # all 8 screened points as restarts
    assert counter.n_evals == 8 and later.shape == (8, 1, 3)
    assert all((later == point).all(dim=(1, 2)).any() for point in best)
    with pytest.raises(ValueError, match="`rescreen` must be in"):
        optimize_acqf_greedy(qlogei, bounds, 2, 2, 16, rescreen=1.5)
    with pytest.raises(ValueError, match="`rescreen` must be in"):  # checked whatever the strategy
        AcqfSettings(batch_strategy="joint", rescreen=0)


def test_greedy_runs_only_where_botorch_sequential_mode_can(qlogei, bounds, fast_config, monkeypatch):
    import gennes_bo.acquisition.optimize as module

    calls = []
    real = module.optimize_acqf_greedy
    monkeypatch.setattr(module, "optimize_acqf_greedy", lambda *a, **k: calls.append(1) or real(*a, **k))
    optimize_acqf_gennes(qlogei, bounds, 2, settings=fast(fast_config), seed=0, **SMALL)
    assert calls == [1]
    # q = 1: nothing to be greedy about
    optimize_acqf_gennes(qlogei, bounds, 1, settings=fast(fast_config), seed=0, **SMALL)
    optimize_acqf_gennes(qlogei, bounds, 2, settings=fast(fast_config), seed=0, return_best_only=False, **SMALL)
    optimize_acqf_gennes(qlogei, bounds, 2, settings=fast(fast_config), seed=0, num_restarts=1,
                         batch_initial_conditions=torch.rand(1, 2, 3, dtype=torch.float64))
    optimize_acqf_gennes(qlogei, bounds, 2, seed=0, settings=fast(fast_config, batch_strategy="joint"), **SMALL)
    assert calls == [1]
    with pytest.raises(ValueError, match="`batch_strategy` must be one of"):
        AcqfSettings(batch_strategy="batched")


def test_greedy_with_scipy_steps_honors_fixed_features_and_post_processing(qlogei, bounds):
    fixed = {1: 0.3}
    x, v = optimize_acqf_greedy(qlogei, bounds, 3, 2, 16, {"maxiter": 20}, fixed_features=fixed,
                                post_processing_func=lambda X: X.round(decimals=2))
    assert x.shape == (3, 3) and (x[:, 1] == 0.3).all() and torch.equal(x, x.round(decimals=2))
    with torch.no_grad():
        assert float(qlogei(x.unsqueeze(0))) == pytest.approx(float(v), abs=1e-10)  # value of what is returned
    assert optimize_acqf_greedy(qlogei, bounds, 2, 2, 16, return_acq_values=False)[1] is None


def test_post_processing_func_is_applied(logei, bounds, fast_config):
    calls = []

    def round_to_tenths(X):
        calls.append(X.shape)
        return X.round(decimals=1)

    x, _ = optimize_acqf_gennes(logei, bounds, 1, post_processing_func=round_to_tenths, settings=fast(fast_config),
                                **SMALL)
    assert calls
    assert torch.equal(x, (x * 10).round() / 10)


def test_timeout_sec_is_honored(qlogei, bounds):
    config = GennesConfig(population_size=8, hidden_width=16, n_iterations=100_000, polish_maxiter=100_000)
    start = time.monotonic()
    x, _ = optimize_acqf_gennes(qlogei, bounds, 2, num_restarts=2, raw_samples=16, settings=AcqfSettings(config=config),
                                timeout_sec=0.5)
    assert time.monotonic() - start < 10.0  # without the timeout: 100k steps, minutes
    assert x.shape == (2, 3)


def test_optimize_acqf_with_the_hook(qlogei, bounds, fast_config):
    x, v = optimize_acqf(qlogei, bounds, 2, options={"gennes_config": fast_config, "seed": 0},
                         gen_candidates=gen_candidates_gennes, **SMALL)
    assert x.shape == (2, 3) and v.shape == ()
    assert not x.requires_grad


def test_ax_style_options_with_sequential_do_not_choke(qlogei, bounds, fast_config):
    options = {"init_batch_limit": 32, "batch_limit": 5, "max_optimization_problem_aggregation_size": 5}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x, v = optimize_acqf_gennes(qlogei, bounds, 2, num_restarts=6, raw_samples=32, options=options,
                                    sequential=True, settings=fast(fast_config), seed=0)
        hook_x, hook_v = optimize_acqf(qlogei, bounds, 2, num_restarts=2, raw_samples=16,
                                     options={**options, "gennes_config": fast_config}, sequential=True,
                                     gen_candidates=gen_candidates_gennes)  # how Ax plugs the hook in
    assert x.shape == hook_x.shape == (2, 3) and v.shape == hook_v.shape == (2,)
    assert not [w for w in caught if "Unknown solver options" in str(w.message)]


def test_bounds_of_another_dtype_than_the_model_raise_naming_both(qlogei, gp_model, bounds):
    # float32 bounds on a float64 model: BoTorch silently returns float32 candidates; we say why that is wrong.
    with pytest.raises(ValueError, match=r"`bounds` are torch.float32 but the acquisition's model is torch.float64"):
        optimize_acqf_gennes(qlogei, bounds.float(), 1, **SMALL)
    # a float32 model with float64 bounds: BoTorch fails inside the GP with a raw RuntimeError.
    model32 = SingleTaskGP(gp_model.train_inputs[0].float(), gp_model.train_targets.float().unsqueeze(-1)).eval()
    acqf32 = LogExpectedImprovement(model32, best_f=model32.train_targets.max())
    with pytest.raises(ValueError, match=r"`bounds` are torch.float64 but the acquisition's model is torch.float32"):
        optimize_acqf_gennes(acqf32, bounds, 1, **SMALL)
    x, _ = optimize_acqf_gennes(acqf32, bounds.float(), 1, seed=0, **SMALL)
    assert x.dtype == torch.float32


@pytest.mark.parametrize("q", [1.5, "4", True, torch.tensor([2])])
def test_a_q_that_is_not_an_integer_raises_naming_q(logei, bounds, q):
    with pytest.raises(TypeError, match="`q` must be a positive integer"):
        optimize_acqf_gennes(logei, bounds, q, **SMALL)


def test_numpy_and_torch_integers_are_counts(qlogei, bounds, fast_config):
    import numpy as np

    x, _ = optimize_acqf_gennes(qlogei, bounds, np.int64(2), num_restarts=torch.tensor(2), raw_samples=16, seed=0,
                                settings=fast(fast_config))
    assert x.shape == (2, 3)


@pytest.mark.parametrize("index", [3, -1, 10])
def test_fixed_features_outside_the_dimensions_raise(logei, bounds, index):
    with pytest.raises(ValueError, match=r"`fixed_features` must name features 0 .. 2 of the 3-d bounds"):
        optimize_acqf_gennes(logei, bounds, 1, fixed_features={index: 0.5}, **SMALL)


def test_same_seed_same_result(qlogei, bounds, fast_config):
    a = optimize_acqf_gennes(qlogei, bounds, 2, settings=fast(fast_config), seed=7, **SMALL)
    torch.rand(5)  # the global RNG state does not matter
    b = optimize_acqf_gennes(qlogei, bounds, 2, settings=fast(fast_config), seed=7, **SMALL)
    c = optimize_acqf_gennes(qlogei, bounds, 2, settings=fast(fast_config), seed=8, **SMALL)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_seed_leaves_the_global_rng_alone(logei, bounds, fast_config):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    optimize_acqf_gennes(logei, bounds, 1, settings=fast(fast_config), seed=7, **SMALL)
    assert torch.equal(torch.rand(3), expected)


def test_return_info_counts_evaluations(logei, bounds, fast_config):
    with count_acqf_evals(logei) as outer:
        x, v, info = optimize_acqf_gennes(logei, bounds, 1, settings=fast(fast_config), seed=0, return_info=True,
                                          **SMALL)
    assert isinstance(info, AcqfOptimizationInfo)
    assert info.n_acqf_evals > 0 and info.n_acqf_calls > 0 and info.wall_time > 0
    assert info.n_acqf_evals == outer.n_evals and info.n_acqf_calls == outer.n_calls
    # At least the raw samples plus 5 GENNES steps of 2 generators x 8 members.
    assert (fast_config.n_iterations, fast_config.n_generators, fast_config.population_size) == (5, 2, 8)
    assert info.n_acqf_evals >= 16 + 5 * 2 * 8


def test_gennes_options_reach_the_generators(logei, bounds):
    few, more = (optimize_acqf_gennes(logei, bounds, 1, return_info=True, **SMALL, settings=AcqfSettings(
        config={"n_iterations": n, "n_polish": 0}, pipeline="gennes"))[2] for n in (2, 4))
    # Two more steps of n_generators x population_size members; the polish starts from the same initial conditions.
    step = ACQF_SINGLE_CONFIG.n_generators * ACQF_SINGLE_CONFIG.population_size  # the q = 1 default
    assert more.n_acqf_evals - few.n_acqf_evals == 2 * step


def test_legacy_expected_improvement_runs(gp_model, bounds, fast_config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch's "use LogEI instead" warning, which the test is about
        acqf = ExpectedImprovement(gp_model, best_f=gp_model.train_targets.max())
        x, v = optimize_acqf_gennes(acqf, bounds, 1, settings=fast(fast_config), seed=0, **SMALL)
    assert x.shape == (1, 3) and torch.isfinite(v)
    assert (x >= 0).all() and (x <= 1).all()


def test_nonlinear_constraints_raise_naming_the_alternative(logei, bounds):
    def constraint(x):
        return 1.0 - x.pow(2).sum(-1)

    match = "`nonlinear_inequality_constraints` are not supported.*botorch.optim.optimize_acqf"
    with pytest.raises(UnsupportedAcqfArgumentError, match=match):
        optimize_acqf_gennes(logei, bounds, 1, **SMALL, nonlinear_inequality_constraints=[(constraint, True)])


def test_infinite_bounds_raise(logei):
    bounds = torch.tensor([[0.0, 0.0, -math.inf], [1.0, 1.0, 1.0]], dtype=torch.float64)
    with pytest.raises(UnsupportedAcqfArgumentError, match="`bounds` must be finite"):
        optimize_acqf_gennes(logei, bounds, 1, **SMALL)


def test_foreign_gen_candidates_raises(logei, bounds):
    from botorch.generation.gen import gen_candidates_scipy

    with pytest.raises(UnsupportedAcqfArgumentError, match="`gen_candidates` must be None or gen_candidates_gennes"):
        optimize_acqf_gennes(logei, bounds, 1, gen_candidates=gen_candidates_scipy, **SMALL)


def test_explicit_gennes_hook_is_accepted(logei, bounds, fast_config):
    x, _ = optimize_acqf_gennes(logei, bounds, 1, gen_candidates=gen_candidates_gennes, settings=fast(fast_config),
                                **SMALL)
    assert x.shape == (1, 3)


@pytest.mark.parametrize(
    ("options", "match"),
    [({"gennes_n_iteration": 5}, "unknown GENNES option.*gennes_n_iteration"),
     ({"gennes_alpha": 2.0}, "invalid GENNES option.*`alpha`")],
)
def test_bad_gennes_options_raise_before_any_evaluation(logei, bounds, options, match):
    with count_acqf_evals(logei) as counter, pytest.raises(GennesOptionError, match=match):
        optimize_acqf_gennes(logei, bounds, 1, options=options, **SMALL)
    assert counter.n_evals == 0


@pytest.mark.parametrize("bad", [torch.zeros(3, 3), torch.zeros(3), torch.zeros(2, 3, 1)])
def test_bounds_of_wrong_shape(logei, bad):
    with pytest.raises(ValueError, match="`bounds` must be a 2 x d tensor"):
        optimize_acqf_gennes(logei, bad.double(), 1, **SMALL)


@pytest.mark.parametrize(("q", "num_restarts", "name"), [(0, 2, "q"), (1, 0, "num_restarts")])
def test_bad_q_or_num_restarts(logei, bounds, q, num_restarts, name):
    with pytest.raises(ValueError, match=f"`{name}` must be >= 1"):
        optimize_acqf_gennes(logei, bounds, q, num_restarts=num_restarts, raw_samples=16)


# Far from the data LogEI can underflow on every raw sample: BoTorch then warns and picks restarts at random.
@pytest.mark.filterwarnings("ignore::botorch.exceptions.warnings.BadInitialCandidatesWarning")
# `fast_config` is a frozen dataclass: sharing it between hypothesis examples is safe.
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lower=st.lists(st.floats(-10, 10), min_size=3, max_size=3),
    widths=st.lists(st.floats(1e-2, 5), min_size=3, max_size=3),
)
def test_candidates_never_leave_random_bounds(gp_model, fast_config, lower, widths):
    from botorch.acquisition import LogExpectedImprovement

    acqf = LogExpectedImprovement(gp_model, best_f=gp_model.train_targets.max())
    lo = torch.tensor(lower, dtype=torch.float64)
    bounds = torch.stack([lo, lo + torch.tensor(widths, dtype=torch.float64)])
    x, _ = optimize_acqf_gennes(acqf, bounds, 1, settings=fast(fast_config), seed=0, return_best_only=False, **SMALL)
    assert (x >= bounds[0]).all() and (x <= bounds[1]).all()
