"""`optimize_acqf_mixed_gennes` against BoTorch's `optimize_acqf_mixed_alternating`: signature, validity, errors."""

from __future__ import annotations

import inspect
import itertools

import pytest
import torch
from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
from botorch.models import SingleTaskGP
from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating
from botorch.sampling import SobolQMCNormalSampler
from hypothesis import given, settings
from hypothesis import strategies as st

from gennes_bo import AcqfOptimizationInfo, GennesConfig, optimize_acqf_mixed_gennes
from gennes_bo.acquisition import GennesOptionError, UnsupportedAcqfArgumentError
from gennes_bo.acquisition.mixed import gennes_stage, score_function_term
from gennes_bo.acquisition.mixed_polish import AlternatingSettings
from gennes_bo.acquisition.mixed_space import MixedSpace

TINY_CONFIG = GennesConfig(n_generators=2, population_size=4, n_iterations=3, hidden_width=8, n_hidden=1,
                           n_polish=2, polish_maxiter=5)
TINY = {"raw_samples": 16, "num_restarts": 2, "config": TINY_CONFIG,
        "options": {"maxiter_alternating": 1, "maxiter_continuous": 5}}
# d = 4: continuous [0, 1], integer {0, 1, 2, 3}, categorical {0, 1, 2}, continuous [-1, 1]
BOUNDS = torch.tensor([[0.0, 0.0, 0.0, -1.0], [1.0, 3.0, 2.0, 1.0]], dtype=torch.float64)
DISCRETE = {1: [0.0, 1.0, 2.0, 3.0]}
CATEGORICAL = {2: [0.0, 1.0, 2.0]}


def make_model(bounds: torch.Tensor, discrete: dict, categorical: dict, n: int = 8, seed: int = 0) -> SingleTaskGP:
    """A GP (default hyperparameters, no fitting) on `n` valid points of a smooth function."""
    rng = torch.Generator().manual_seed(seed)
    X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(n, bounds.shape[1], generator=rng, dtype=torch.float64)
    for dim, values in {**discrete, **categorical}.items():
        X[:, dim] = torch.tensor(values, dtype=torch.float64)[torch.randint(len(values), (n,), generator=rng)]
    Y = torch.sin(3 * X).sum(-1, keepdim=True) - (X**2).sum(-1, keepdim=True) / 10
    model = SingleTaskGP(X, Y)
    model.eval()
    return model


def acquisition(model: SingleTaskGP, q: int):
    if q == 1:
        return LogExpectedImprovement(model, best_f=model.train_targets.max())
    return qLogExpectedImprovement(model, best_f=model.train_targets.max(),
                                   sampler=SobolQMCNormalSampler(torch.Size([8]), seed=0))


@pytest.fixture(scope="module")
def model() -> SingleTaskGP:
    return make_model(BOUNDS, DISCRETE, CATEGORICAL)


def assert_valid(X: torch.Tensor, bounds, discrete, categorical, fixed=None) -> None:
    """Every row of `X` is a valid point: allowed values, continuous values in bounds, fixed features exact."""
    fixed = fixed or {}
    for dim in range(bounds.shape[1]):
        if dim in fixed:
            assert (X[:, dim] == fixed[dim]).all(), (dim, X[:, dim])
        elif dim in discrete or dim in categorical:
            allowed = torch.tensor({**discrete, **categorical}[dim], dtype=X.dtype)
            assert torch.isin(X[:, dim], allowed).all(), (dim, X[:, dim])
        else:
            assert ((X[:, dim] >= bounds[0, dim]) & (X[:, dim] <= bounds[1, dim])).all(), (dim, X[:, dim])


def test_signature_keeps_every_argument_of_optimize_acqf_mixed_alternating_in_order():
    reference = list(inspect.signature(optimize_acqf_mixed_alternating).parameters.values())
    ours = inspect.signature(optimize_acqf_mixed_gennes).parameters
    assert list(ours)[: len(reference)] == [parameter.name for parameter in reference]
    for parameter in reference:
        assert ours[parameter.name].kind == parameter.kind, parameter.name
        if parameter.name not in ("raw_samples", "num_restarts"):  # ours: MIXED_RESTARTS
            assert ours[parameter.name].default == parameter.default, parameter.name
    extensions = list(ours)[len(reference):]
    assert extensions == ["config", "seed", "return_info"]
    assert all(ours[name].kind is inspect.Parameter.KEYWORD_ONLY for name in extensions)


@pytest.mark.parametrize("q", [1, 2])
def test_same_shapes_and_dtypes_as_botorch(model, q):
    acqf = acquisition(model, q)
    ref_X, ref_value = optimize_acqf_mixed_alternating(
        acqf, BOUNDS, DISCRETE, CATEGORICAL, q=q, raw_samples=16, num_restarts=2,
        options={"maxiter_alternating": 1, "maxiter_init": 5})
    X, value = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=q, seed=0, **TINY)
    assert X.shape == ref_X.shape == (q, 4) and X.dtype == ref_X.dtype
    assert value.shape == ref_value.shape and value.dtype == ref_value.dtype
    assert not X.requires_grad and not value.requires_grad
    with torch.no_grad():
        assert value == acqf(X)  # the joint value of the candidates, as BoTorch returns it
    assert_valid(X, BOUNDS, DISCRETE, CATEGORICAL)
    assert getattr(acqf, "X_pending", None) is None  # restored after the greedy steps


def test_the_default_budget_reaches_botorchs_value(model):
    acqf = acquisition(model, 1)
    torch.manual_seed(0)
    _, reference = optimize_acqf_mixed_alternating(acqf, BOUNDS, DISCRETE, CATEGORICAL, raw_samples=128,
                                                   num_restarts=4)
    X, value = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, seed=0)
    assert value >= reference - 1e-3 * abs(reference)
    assert_valid(X, BOUNDS, DISCRETE, CATEGORICAL)


def test_finds_the_maximum_of_an_enumerable_space():
    bounds = torch.tensor([[0.0, 0.0, 0.0, 0.0], [5.0, 5.0, 3.0, 3.0]], dtype=torch.float64)
    discrete = {0: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 1: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    categorical = {2: [0.0, 1.0, 2.0, 3.0], 3: [0.0, 1.0, 2.0, 3.0]}
    acqf = acquisition(make_model(bounds, discrete, categorical, n=10, seed=3), 1)
    grid = torch.tensor(list(itertools.product(*discrete.values(), *categorical.values())), dtype=torch.float64)
    with torch.no_grad():
        values = acqf(grid.unsqueeze(-2))  # 576 points, 64 of them screened
    X, _ = optimize_acqf_mixed_gennes(acqf, bounds, discrete, categorical, seed=0, raw_samples=64)
    assert_valid(X, bounds, discrete, categorical)
    assert values[(grid == X).all(-1)] == values.max()


def test_q_batch_keeps_pending_points_and_uses_them(model):
    acqf = acquisition(model, 2)
    base = torch.tensor([[0.5, 1.0, 1.0, 0.0]], dtype=torch.float64)
    acqf.set_X_pending(base)
    X, value = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, seed=0, **TINY)
    assert torch.equal(acqf.X_pending, base)
    with torch.no_grad():
        assert value == acqf(X)


def test_same_seed_same_result_and_global_rng_restored(model):
    acqf = acquisition(model, 2)
    state = torch.random.get_rng_state()
    first = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, seed=3, **TINY)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.rand(3)  # another global RNG state
    second = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, seed=3, **TINY)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_every_acquisition_call_is_at_valid_points(model):
    acqf = acquisition(model, 1)
    seen = []
    handle = acqf.register_forward_hook(lambda _module, args, _output: seen.append(args[0].detach().clone()))
    try:
        optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, seed=0, **TINY)
    finally:
        handle.remove()
    points = torch.cat([x.reshape(-1, 4) for x in seen])
    assert len(points) > 16  # the screen, the generators and the polish
    assert_valid(points, BOUNDS, DISCRETE, CATEGORICAL)


def test_gennes_stage_returns_valid_improving_generator_samples(model):
    acqf = acquisition(model, 1)
    space = MixedSpace.build(BOUNDS, DISCRETE, CATEGORICAL)
    X, values = gennes_stage(acqf, space, TINY_CONFIG.replace(n_iterations=6), seed=0)
    assert X.shape == (2, 4) and values.isfinite().all()
    assert space.is_valid(X).all()
    with torch.no_grad():
        assert torch.allclose(acqf(X.unsqueeze(-2)), values)
        screen = space.sample(8, seed=0)
        assert values.max() >= acqf(screen.unsqueeze(-2)).median()  # trained on the acquisition: beats a median


def test_score_function_term_is_zero_valued_and_favours_better_samples():
    coordinate = torch.tensor([1.2, 1.8, 1.5, 1.5], dtype=torch.float64, requires_grad=True)
    index = torch.tensor([1, 0, 1, 1])
    centres = torch.arange(2, dtype=torch.float64) + 0.5
    log_probs = torch.log_softmax(-((coordinate.unsqueeze(-1) - centres) ** 2) / 2, dim=-1)
    log_prob = log_probs.gather(-1, index.unsqueeze(-1)).squeeze(-1)
    values = torch.tensor([1.0, 0.0, float("nan"), 5.0], dtype=torch.float64)
    owners = torch.tensor([0, 0, 1, 1])
    term = score_function_term(values, log_prob, owners, n_generators=2)
    assert (term == 0).all()
    term.sum().backward()
    # Generator 0: sample 0 (category 1) beat sample 1 (category 0): both pushes go up, towards category 1's cell.
    assert coordinate.grad[0] > 0 and coordinate.grad[1] > 0
    assert (coordinate.grad[2:] == 0).all()  # a NaN value and a lone finite sample carry no signal


def test_info_post_processing_and_no_values(model):
    acqf = acquisition(model, 1)
    X, value, info = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, seed=0, return_info=True,
                                                post_processing_func=lambda X: X.clamp_max(0.25), **TINY)
    assert isinstance(info, AcqfOptimizationInfo) and info.n_acqf_evals > 16 and info.wall_time > 0
    assert (X <= 0.25).all()
    assert optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, seed=0, return_acq_values=False,
                                      **TINY)[1] is None


def test_everything_fixed_returns_the_fixed_point(model):
    fixed = {0: 0.3, 1: 2.0, 2: 0.0, 3: -0.5}
    X, _ = optimize_acqf_mixed_gennes(acquisition(model, 1), BOUNDS, DISCRETE, CATEGORICAL, fixed_features=fixed,
                                      seed=0, **TINY)
    assert X.tolist() == [[0.3, 2.0, 0.0, -0.5]]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"discrete_dims": {4: [0.0, 1.0]}}, ValueError, r"names dimension 4, but `bounds` has d = 4"),
    ({"cat_dims": {2: []}}, ValueError, r"`cat_dims\[2\]` must hold at least one value"),
    ({"discrete_dims": {1: [0.0, 5.0]}}, ValueError, r"holds value\(s\) \[5.0\] outside the bounds"),
    ({"discrete_dims": {2: [0.0, 1.0]}}, ValueError, r"dimension\(s\) \[2\] are in both"),
    ({"fixed_features": {1: 1.5}}, ValueError, r"`fixed_features\[1\]` = 1.5 is not one of the allowed values"),
    ({"sequential": False}, UnsupportedAcqfArgumentError, r"`sequential=False` is not supported"),
    ({"options": {"maxiter_alternating": 0}}, ValueError, r"options\['maxiter_alternating'\] must be an integer"),
    ({"options": {"initialization_strategy": "random"}}, UnsupportedAcqfArgumentError,
     r"unsupported option\(s\) \['initialization_strategy'\]"),
    ({"options": {"gennes_n_generatorz": 2}}, GennesOptionError, r"unknown GENNES option"),
    ({"num_restarts": 0}, ValueError, r"`num_restarts` must be an integer >= 1"),
    ({"q": 0}, ValueError, r"`q` must be an integer >= 1"),
])
def test_bad_arguments_raise_clear_errors(model, kwargs, error, message):
    arguments = {"discrete_dims": DISCRETE, "cat_dims": CATEGORICAL, **kwargs}
    with pytest.raises(error, match=message):
        optimize_acqf_mixed_gennes(acquisition(model, 1), BOUNDS, **arguments)


def test_q_batch_needs_pending_points(model):
    acqf = acquisition(model, 1)
    acqf.set_X_pending = None  # an acquisition without pending points
    with pytest.raises(UnsupportedAcqfArgumentError, match=r"q > 1 needs an acquisition function with"):
        optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2)


def test_polish_settings_take_botorchs_names():
    settings = AlternatingSettings.from_options({"tol": 1e-4, "batch_limit": 7})
    assert (settings.tol, settings.batch_limit, settings.init_batch_limit) == (1e-4, 7, 7)


@st.composite
def mixed_problems(draw):
    """A random mixed space (kinds of dimensions, value sets, fixed features) and a seed."""
    d = draw(st.integers(2, 5))
    kinds = draw(st.lists(st.sampled_from(["continuous", "discrete", "categorical"]), min_size=d, max_size=d))
    lower = torch.tensor(draw(st.lists(st.integers(-3, 1), min_size=d, max_size=d)), dtype=torch.float64)
    width = torch.tensor(draw(st.lists(st.integers(1, 4), min_size=d, max_size=d)), dtype=torch.float64)
    bounds = torch.stack([lower, lower + width])
    sets = {"discrete": {}, "categorical": {}}
    for dim, kind in enumerate(kinds):
        if kind != "continuous":
            grid = (lower[dim] + width[dim] * torch.linspace(0, 1, 9, dtype=torch.float64)).tolist()
            sets[kind][dim] = draw(st.lists(st.sampled_from(grid), min_size=1, max_size=5, unique=True))
    fixed = {}
    for dim in draw(st.lists(st.integers(0, d - 1), max_size=2, unique=True)):
        allowed = sets["discrete"].get(dim) or sets["categorical"].get(dim)
        fixed[dim] = draw(st.sampled_from(allowed)) if allowed else float(lower[dim] + width[dim] / 3)
    return bounds, sets["discrete"], sets["categorical"], fixed, draw(st.integers(0, 9))


def check_candidates_valid(problem, q: int) -> None:
    bounds, discrete, categorical, fixed, seed = problem
    model = make_model(bounds, discrete, categorical, n=6, seed=seed)
    X, value = optimize_acqf_mixed_gennes(acquisition(model, q), bounds, discrete, categorical, q=q,
                                          fixed_features=fixed, seed=seed, **TINY)
    assert X.shape == (q, bounds.shape[1]) and value.isfinite()
    assert_valid(X, bounds, discrete, categorical, fixed)


@pytest.mark.parametrize("q", [1, 3])
@settings(max_examples=5, deadline=None)
@given(problem=mixed_problems())
def test_candidates_are_always_valid(problem, q):
    check_candidates_valid(problem, q)


@pytest.mark.slow
@pytest.mark.parametrize("q", [1, 2, 4])
@settings(max_examples=60, deadline=None)
@given(problem=mixed_problems())
def test_candidates_are_always_valid_many_spaces(problem, q):
    check_candidates_valid(problem, q)


def test_settings_in_options_carry_the_config_and_the_seed(model):
    from gennes_bo import AcqfSettings

    acqf = acquisition(model, 2)
    kwargs = {k: v for k, v in TINY.items() if k not in ("config", "options")}
    direct = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, seed=3, config=TINY_CONFIG,
                                        options=TINY["options"], **kwargs)
    carried = {**TINY["options"], "gennes_settings": AcqfSettings(config=TINY_CONFIG, seed=3)}
    routed = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, options=carried, **kwargs)
    assert torch.equal(direct[0], routed[0])
    with pytest.raises(GennesOptionError, match="either as `config=` or in options"):
        optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, config=TINY_CONFIG, options=carried,
                                   **kwargs)
    with pytest.raises(GennesOptionError, match="must be an AcqfSettings"):
        optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=2, options={"gennes_settings": 1}, **kwargs)


def test_a_candidate_never_repeats_an_evaluated_point_while_a_neighbour_is_new():
    from botorch.acquisition import qLogNoisyExpectedImprovement

    from gennes_bo.acquisition.mixed import off_known

    bounds = torch.tensor([[0.0, 0.0], [4.0, 2.0]], dtype=torch.float64)
    discrete, categorical = {0: [0.0, 1.0, 2.0, 3.0, 4.0]}, {1: [0.0, 1.0, 2.0]}
    X = torch.tensor([[2.0, 1.0], [0.0, 0.0], [4.0, 2.0]], dtype=torch.float64)  # the best is (2, 1)
    model = SingleTaskGP(X, -((X - X.new_tensor([2.0, 1.0])) ** 2).sum(-1, keepdim=True)).eval()
    acqf = qLogNoisyExpectedImprovement(model, X, sampler=SobolQMCNormalSampler(torch.Size([16]), seed=0))
    space = MixedSpace.build(bounds, discrete, categorical)
    moved = off_known(acqf, space, X[0], X)
    assert not ((moved == X).all(-1)).any() and (moved - X[0]).abs().sum() > 0
    assert torch.equal(off_known(acqf, space, X.new_tensor([1.0, 2.0]), X), X.new_tensor([1.0, 2.0]))  # new: kept
    everything = torch.cartesian_prod(torch.arange(5.0), torch.arange(3.0)).double()
    assert torch.equal(off_known(acqf, space, X[0], everything), X[0])  # nothing new left: the point itself
    candidates, _ = optimize_acqf_mixed_gennes(acqf, bounds, discrete, categorical, q=3, seed=0, **TINY)
    keys = {tuple(x.tolist()) for x in X}
    assert not keys & {tuple(x.tolist()) for x in candidates} and len({tuple(x.tolist()) for x in candidates}) == 3
