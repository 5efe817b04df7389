"""Linear constraints in `optimize_acqf_mixed_gennes`: feasibility and validity of every candidate, errors, and the
pieces of `MixedConstraints`."""

from __future__ import annotations

import itertools

import pytest
import torch
from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating
from botorch.optim.parameter_constraints import evaluate_feasibility
from hypothesis import given, settings
from hypothesis import strategies as st
from test_mixed import BOUNDS, CATEGORICAL, DISCRETE, TINY, acquisition, assert_valid, make_model

from gennes_bo import optimize_acqf_mixed_gennes
from gennes_bo.acquisition import InfeasibleConstraintsError, UnsupportedAcqfArgumentError
from gennes_bo.acquisition.mixed_constraints import MixedConstraints, _cell_coordinate
from gennes_bo.acquisition.mixed_space import MixedSpace

T = torch.tensor
F64 = {"dtype": torch.float64}
# BOUNDS: x0 in [0, 1], x1 in {0, 1, 2, 3}, x2 in {0, 1, 2} (categorical), x3 in [-1, 1]
MIXED_ROW = (T([0, 1, 3]), T([-1.0, -0.25, -1.0], **F64), -1.0)  # x0 + x1 / 4 + x3 <= 1: continuous and discrete
DISCRETE_ROW = (T([1, 2]), T([-1.0, -1.0], **F64), -2.0)  # x1 + x2 <= 2: discrete and categorical only
EQUALITY = (T([0, 3]), T([1.0, 1.0], **F64), 0.5)  # x0 + x3 = 0.5


@pytest.fixture(scope="module")
def model():
    return make_model(BOUNDS, DISCRETE, CATEGORICAL)


def assert_feasible(X: torch.Tensor, inequality=None, equality=None, tolerance: float = 1e-8) -> None:
    """Every row of `X` satisfies the constraints (BoTorch's own check, within `tolerance`)."""
    assert evaluate_feasibility(X.unsqueeze(-2), inequality or None, equality or None, tolerance=tolerance).all(), X


@pytest.mark.parametrize("q", [1, 3])
@pytest.mark.parametrize("constraints", [
    {"inequality_constraints": [MIXED_ROW]},
    {"inequality_constraints": [DISCRETE_ROW]},
    {"inequality_constraints": [MIXED_ROW, DISCRETE_ROW], "equality_constraints": [EQUALITY]},
])
def test_candidates_are_feasible_and_valid(model, q, constraints):
    acqf = acquisition(model, q)
    X, value = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, q=q, seed=0, **constraints, **TINY)
    assert X.shape == (q, 4) and value.isfinite()
    assert_valid(X, BOUNDS, DISCRETE, CATEGORICAL)
    assert_feasible(X, constraints.get("inequality_constraints"), constraints.get("equality_constraints"))
    with torch.no_grad():
        assert value == acqf(X)
    assert getattr(acqf, "X_pending", None) is None  # restored after the greedy steps


def test_fixed_features_with_constraints(model):
    fixed = {1: 2.0, 3: -0.2}  # x0 <= 1 - 2/4 + 0.2 = 0.7 and x2 <= 0
    X, _ = optimize_acqf_mixed_gennes(acquisition(model, 2), BOUNDS, DISCRETE, CATEGORICAL, q=2, seed=0,
                                      fixed_features=fixed, inequality_constraints=[MIXED_ROW, DISCRETE_ROW], **TINY)
    assert_valid(X, BOUNDS, DISCRETE, CATEGORICAL, fixed)
    assert_feasible(X, [MIXED_ROW, DISCRETE_ROW])
    assert (X[:, 2] == 0.0).all() and (X[:, 0] <= 0.7).all()


def test_constraints_that_pin_dimensions(model):
    # x1 >= 2 and x1 <= 2 leave a flat relaxation (loosened, then filtered); the equalities pin x0 and x3.
    inequality = [(T([1]), T([1.0], **F64), 2.0), (T([1]), T([-1.0], **F64), -2.0), MIXED_ROW]
    equality = [(T([0]), T([1.0], **F64), 0.3), (T([3]), T([1.0], **F64), -0.2)]
    X, _ = optimize_acqf_mixed_gennes(acquisition(model, 2), BOUNDS, DISCRETE, CATEGORICAL, q=2, seed=0,
                                      inequality_constraints=inequality, equality_constraints=equality, **TINY)
    assert_valid(X, BOUNDS, DISCRETE, CATEGORICAL)
    assert_feasible(X, inequality, equality)
    assert (X[:, 1] == 2.0).all() and (X[:, 0] == 0.3).all() and (X[:, 3] == -0.2).all()


def test_finds_the_feasible_maximum_of_an_enumerable_space():
    bounds = T([[0.0, 0.0, 0.0], [5.0, 5.0, 3.0]], **F64)
    discrete = {0: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 1: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    categorical = {2: [0.0, 1.0, 2.0, 3.0]}
    constraint = [(T([0, 1, 2]), T([-1.0, -1.0, -1.0], **F64), -6.0)]  # x0 + x1 + x2 <= 6
    acqf = acquisition(make_model(bounds, discrete, categorical, n=10, seed=3), 1)
    grid = T(list(itertools.product(*discrete.values(), *categorical.values())), **F64)
    grid = grid[grid.sum(-1) <= 6]
    with torch.no_grad():
        values = acqf(grid.unsqueeze(-2))
    X, _ = optimize_acqf_mixed_gennes(acqf, bounds, discrete, categorical, seed=0, raw_samples=32,
                                      inequality_constraints=constraint)
    assert_feasible(X, constraint)
    assert values[(grid == X).all(-1)] == values.max()


def test_reaches_botorchs_value_under_the_same_constraints(model):
    acqf = acquisition(model, 1)
    constraints = {"inequality_constraints": [MIXED_ROW, DISCRETE_ROW], "equality_constraints": [EQUALITY]}
    torch.manual_seed(0)
    _, reference = optimize_acqf_mixed_alternating(acqf, BOUNDS, DISCRETE, CATEGORICAL, raw_samples=128,
                                                   num_restarts=4, **constraints)
    X, value = optimize_acqf_mixed_gennes(acqf, BOUNDS, DISCRETE, CATEGORICAL, seed=0, **constraints)
    assert value >= reference - 1e-3 * abs(reference)
    assert_feasible(X, **{k.split("_")[0]: v for k, v in constraints.items()})


NONLINEAR = (lambda x: x[..., 0] - 0.5, True)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"inequality_constraints": [NONLINEAR]}, UnsupportedAcqfArgumentError,
     r"`inequality_constraints\[0\]` is a nonlinear constraint"),
    ({"inequality_constraints": [(T([[0, 0], [1, 0]]), T([1.0, -1.0], **F64), 0.0)]}, UnsupportedAcqfArgumentError,
     r"inter-point constraints .* not supported by optimize_acqf_mixed_gennes"),
    ({"equality_constraints": [(T([0, 1]), T([1.0, 1.0], **F64), 1.0)]}, UnsupportedAcqfArgumentError,
     r"`equality_constraints\[0\]` involves discrete or categorical dimension\(s\) \[1\]"),
    ({"inequality_constraints": [(T([0, 4]), T([1.0, 1.0], **F64), 0.0)]}, ValueError,
     r"feature indices must be in \[0, 3\]"),
    ({"inequality_constraints": [(T([0]), T([1.0], **F64), 2.0)]}, InfeasibleConstraintsError,
     r"no point of the box satisfies the linear constraints"),
    ({"inequality_constraints": [(T([1]), T([1.0], **F64), 0.4), (T([1]), T([-1.0], **F64), -0.6)]},
     InfeasibleConstraintsError, r"no feasible discrete assignment found"),
    ({"inequality_constraints": [DISCRETE_ROW], "fixed_features": {1: 3.0, 2: 2.0}}, InfeasibleConstraintsError,
     r"`inequality_constraints\[0\]` cannot hold: `fixed_features` \(1: 3.0, 2: 2.0\)"),
])
def test_bad_constraints_raise_clear_errors(model, kwargs, error, message):
    with pytest.raises(error, match=message):
        optimize_acqf_mixed_gennes(acquisition(model, 1), BOUNDS, DISCRETE, CATEGORICAL, **kwargs, **TINY)


def test_equality_on_a_fixed_discrete_dimension_is_a_constant():
    space = MixedSpace.build(BOUNDS, DISCRETE, CATEGORICAL, fixed_features={1: 2.0})
    constraints = MixedConstraints.build(space, None, [(T([0, 1]), T([1.0, 1.0], **F64), 2.5)])
    X = constraints.sample(8, seed=0)
    assert (X[:, 0] == 0.5).all() and (X[:, 1] == 2.0).all()


def test_with_held_substitutes_the_discrete_values():
    space = MixedSpace.build(BOUNDS, DISCRETE, CATEGORICAL)
    constraints = MixedConstraints.build(space, [MIXED_ROW, DISCRETE_ROW], [EQUALITY])
    x = T([0.2, 2.0, 0.0, 0.1], **F64)
    single = constraints.with_held(x)
    assert len(single["inequality_constraints"]) == 1  # the discrete-only row is dropped
    indices, coefficients, rhs = single["inequality_constraints"][0]
    assert indices.tolist() == [0, 3] and coefficients.tolist() == [-1.0, -1.0] and rhs == pytest.approx(-0.5)
    batch = constraints.with_held(torch.stack([x, T([0.2, 0.0, 1.0, 0.1], **F64)]))
    assert [c[0].tolist() for c in batch["inequality_constraints"]] == [[[0, 0], [0, 3]], [[1, 0], [1, 3]]]
    assert [c[2] for c in batch["inequality_constraints"]] == pytest.approx([-0.5, -1.0])
    assert len(batch["equality_constraints"]) == 2


def test_pull_back_keeps_feasible_ends_and_stops_at_the_boundary():
    space = MixedSpace.build(BOUNDS, DISCRETE, CATEGORICAL)
    constraints = MixedConstraints.build(space, [MIXED_ROW], None)
    start = T([[0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]], **F64)
    end = T([[1.0, 2.0, 0.0, 1.0], [0.5, 0.0, 1.0, 0.25]], **F64)  # infeasible (x0 + x3 <= 0.5), feasible
    pulled = constraints.pull_back(start, end)
    assert torch.equal(pulled[1], end[1])
    assert float(pulled[0, 0] + pulled[0, 3]) == pytest.approx(0.5, abs=1e-8)  # on the boundary
    assert constraints.is_feasible(pulled).all()


def test_cell_coordinate_maps_voronoi_cells_onto_unit_cells():
    allowed = T([0.0, 1.0, 3.0], **F64)  # cells [-0.5, 0.5], [0.5, 2], [2, 4]
    values = T([-0.5, 0.0, 0.5, 1.25, 2.0, 3.0, 4.0], **F64)
    assert _cell_coordinate(values, allowed).tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]


@st.composite
def constrained_problems(draw):
    """A random mixed space with fixed features and 1-2 random linear inequalities (and possibly an equality on
    continuous dimensions) that a drawn valid point satisfies with room to spare."""
    d = draw(st.integers(2, 5))
    kinds = draw(st.lists(st.sampled_from(["continuous", "discrete", "categorical"]), min_size=d, max_size=d))
    lower = T(draw(st.lists(st.integers(-3, 1), min_size=d, max_size=d)), **F64)
    width = T(draw(st.lists(st.integers(1, 4), min_size=d, max_size=d)), **F64)
    bounds = torch.stack([lower, lower + width])
    sets = {"discrete": {}, "categorical": {}}
    point = torch.zeros(d, **F64)
    for dim, kind in enumerate(kinds):
        if kind == "continuous":
            point[dim] = lower[dim] + width[dim] * draw(st.floats(0.1, 0.9))
        else:
            grid = (lower[dim] + width[dim] * torch.linspace(0, 1, 9, **F64)).tolist()
            sets[kind][dim] = draw(st.lists(st.sampled_from(grid), min_size=1, max_size=5, unique=True))
            point[dim] = draw(st.sampled_from(sets[kind][dim]))
    fixed = {dim: float(point[dim]) for dim in draw(st.lists(st.integers(0, d - 1), max_size=2, unique=True))}
    inequality = []
    for _ in range(draw(st.integers(1, 2))):
        dims = draw(st.lists(st.integers(0, d - 1), min_size=1, max_size=d, unique=True))
        coefficients = T(draw(st.lists(st.floats(-2, 2).filter(lambda c: abs(c) > 0.1), min_size=len(dims),
                                       max_size=len(dims))), **F64)
        slack = draw(st.floats(0.05, 1.0)) * float(coefficients.abs().sum())
        inequality.append((T(dims), coefficients, float(coefficients @ point[dims]) - slack))
    equality = []
    continuous = [dim for dim, kind in enumerate(kinds) if kind == "continuous" and dim not in fixed]
    if len(continuous) >= 2 and draw(st.booleans()):
        coefficients = T([1.0, -0.5], **F64)
        equality.append((T(continuous[:2]), coefficients, float(coefficients @ point[continuous[:2]])))
    return bounds, sets["discrete"], sets["categorical"], fixed, inequality, equality, draw(st.integers(0, 9))


def check_candidates_feasible(problem, q: int) -> None:
    bounds, discrete, categorical, fixed, inequality, equality, seed = problem
    model = make_model(bounds, discrete, categorical, n=6, seed=seed)
    X, value = optimize_acqf_mixed_gennes(acquisition(model, q), bounds, discrete, categorical, q=q,
                                          fixed_features=fixed, inequality_constraints=inequality,
                                          equality_constraints=equality, seed=seed, **TINY)
    assert X.shape == (q, bounds.shape[1]) and value.isfinite()
    assert_valid(X, bounds, discrete, categorical, fixed)
    assert_feasible(X, inequality, equality)


@pytest.mark.parametrize("q", [1, 2])
@settings(max_examples=5, deadline=None)
@given(problem=constrained_problems())
def test_candidates_are_always_feasible_and_valid(problem, q):
    check_candidates_feasible(problem, q)


@pytest.mark.slow
@pytest.mark.parametrize("q", [1, 3])
@settings(max_examples=60, deadline=None)
@given(problem=constrained_problems())
def test_candidates_are_always_feasible_and_valid_many_spaces(problem, q):
    check_candidates_feasible(problem, q)
