"""Tests of `gennes_bo.acquisition.constraints`: BoTorch's constraint format and the feasible region's maps."""

from __future__ import annotations

import math

import pytest
import torch
from botorch.optim.parameter_constraints import evaluate_feasibility
from hypothesis import given, settings
from hypothesis import strategies as st

from gennes_bo.acquisition import InfeasibleConstraintsError, UnsupportedAcqfArgumentError
from gennes_bo.acquisition.constraints import FeasibleRegion, check_linear_constraints

DTYPE = torch.float64
TOLERANCE = 1e-6  # the feasibility requirement


def ones(n: int, scale: float = 1.0) -> torch.Tensor:
    return torch.full((n,), scale, dtype=DTYPE)


def unit_box(d: int) -> torch.Tensor:
    return torch.stack([torch.zeros(d, dtype=DTYPE), torch.ones(d, dtype=DTYPE)])


BUDGET = [(torch.tensor([0, 1, 2]), ones(3, -1.0), -1.0)]  # x0 + x1 + x2 <= 1
SIMPLEX = [(torch.arange(4), ones(4), 1.0)]  # x0 + x1 + x2 + x3 == 1


def full_points(region_x: torch.Tensor, fixed: dict[int, float], d: int) -> torch.Tensor:
    """`batch x q x d` points from free features and fixed values."""
    x = torch.empty(*region_x.shape[:-1], d, dtype=region_x.dtype)
    free = [i for i in range(d) if i not in fixed]
    x[..., free] = region_x
    for index, value in fixed.items():
        x[..., index] = value
    return x


def assert_feasible(x: torch.Tensor, bounds: torch.Tensor, inequality=None, equality=None) -> None:
    assert (x >= bounds[0] - TOLERANCE).all() and (x <= bounds[1] + TOLERANCE).all()
    assert evaluate_feasibility(x, inequality, equality, tolerance=TOLERANCE).all()


# -- the format ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("constraint", "match"),
    [
        ([torch.tensor([0]), ones(1)], r"`inequality_constraints\[0\]` must be a tuple \(indices, coefficients, rhs\)"),
        ((torch.tensor([0.0]), ones(1), 0.0), "`indices` must be an integer tensor, got a torch.float32 tensor"),
        ((torch.tensor([[0, 1, 2]]), ones(1), 0.0), r"`indices` must have shape \(k,\) .* got shape \(1, 3\)"),
        ((torch.tensor([], dtype=torch.long), ones(0), 0.0), r"k >= 1, got shape \(0,\)"),
        ((torch.tensor([0, 1]), ones(3), 0.0), r"`coefficients` must be a floating-point tensor of shape \(2,\)"),
        ((torch.tensor([0, 1]), torch.tensor([1, 1]), 0.0), "`coefficients` must be a floating-point tensor"),
        ((torch.tensor([0]), torch.tensor([math.nan], dtype=DTYPE), 0.0), "`coefficients` must be finite"),
        ((torch.tensor([0]), ones(1), math.inf), "`rhs` must be a finite number, got inf"),
        ((torch.tensor([0]), ones(1), "1"), "`rhs` must be a finite number"),
        ((torch.tensor([0, 3]), ones(2), 0.0), r"feature indices must be in \[0, 2\] \(d = 3\), got \[0, 3\]"),
        ((torch.tensor([-1]), ones(1), 0.0), r"feature indices must be in \[0, 2\]"),
        ((torch.tensor([[0, 0], [2, 1]]), ones(2), 0.0), r"point indices \(first column\) must be in \[0, 1\]"),
        ((torch.tensor([1, 1]), ones(2), 0.0), "names a feature twice"),
        ((lambda x: x[..., 0], True), r"`inequality_constraints\[0\]` is a nonlinear constraint \(callable"),
    ],
)
def test_malformed_constraints_raise_naming_the_constraint(constraint, match):
    with pytest.raises(ValueError, match=match):
        check_linear_constraints([constraint], "inequality_constraints", 3, 2)


def test_well_formed_constraints_pass():
    inter = (torch.tensor([[0, 0], [1, 2]]), ones(2), 0.5)
    check_linear_constraints([*BUDGET, inter, (torch.tensor([1]), ones(1), torch.tensor(0.2))], "x", 3, 2)
    check_linear_constraints(None, "x", 3)


# -- the region --------------------------------------------------------------------------------------------------
def test_the_center_of_a_symmetric_polytope_is_its_middle():
    # |x0 - x1| <= 0.5 is symmetric under x -> 1 - x, like the box: the analytic center is the box's middle
    band = [(torch.tensor([0, 1]), torch.tensor([1.0, -1.0], dtype=DTYPE), -0.5),
            (torch.tensor([0, 1]), torch.tensor([-1.0, 1.0], dtype=DTYPE), -0.5)]
    region = FeasibleRegion.from_constraints(unit_box(3), 1, band)
    assert torch.allclose(region.from_cube(torch.zeros(1, 1, 3, dtype=DTYPE)), torch.full((1, 1, 3), 0.5,
                                                                                         dtype=DTYPE))


def test_the_cube_maps_onto_the_polytope_and_its_surface_onto_the_boundary():
    region = FeasibleRegion.from_constraints(unit_box(4), 1, equality_constraints=SIMPLEX)
    assert region.dim == 3 and region.search_shape == (1, 3)
    center = region.from_cube(torch.zeros(1, 1, 3, dtype=DTYPE))
    assert torch.allclose(center, torch.full((1, 1, 4), 0.25, dtype=DTYPE))  # the simplex's barycenter
    surface = torch.rand(200, 1, 3, generator=torch.Generator().manual_seed(0), dtype=DTYPE) * 2 - 1
    surface[torch.arange(200), 0, torch.arange(200) % 3] = torch.tensor([-1.0, 1.0], dtype=DTYPE)[torch.arange(200) % 2]
    x = region.from_cube(surface)
    assert_feasible(x, unit_box(4), equality=SIMPLEX)
    assert (x.min(-1).values.abs() < 1e-12).all()  # on the simplex's boundary: one fraction is 0


def test_from_cube_is_differentiable():
    region = FeasibleRegion.from_constraints(unit_box(6), 2, BUDGET)
    u = (torch.rand(5, 2, 6, generator=torch.Generator().manual_seed(1), dtype=DTYPE) * 2 - 1).requires_grad_()
    region.from_cube(u).sum().backward()
    assert torch.isfinite(u.grad).all() and (u.grad != 0).any()


def test_restore_keeps_feasible_points_and_moves_the_others_in():
    region = FeasibleRegion.from_constraints(unit_box(4), 3, equality_constraints=SIMPLEX)
    feasible = region.from_cube(torch.rand(10, 3, 3, generator=torch.Generator().manual_seed(2), dtype=DTYPE) * 2 - 1)
    assert torch.equal(region.restore(feasible), feasible)
    wild = torch.rand(10, 3, 4, generator=torch.Generator().manual_seed(3), dtype=DTYPE) * 3 - 1
    assert not region.is_feasible(wild).any()
    restored = region.restore(wild)
    assert region.is_feasible(restored).all()
    assert_feasible(restored, unit_box(4), equality=SIMPLEX)


def test_inter_point_constraints_span_the_whole_batch():
    # x[0, 0] >= x[1, 0] + 0.2: the first point's feature 0 exceeds the second's
    inter = [(torch.tensor([[0, 0], [1, 0]]), torch.tensor([1.0, -1.0], dtype=DTYPE), 0.2)]
    region = FeasibleRegion.from_constraints(unit_box(2), 2, inter)
    assert region.n_points == 2 and region.search_shape == (4,)
    x = region.from_cube(torch.rand(50, 4, generator=torch.Generator().manual_seed(4), dtype=DTYPE) * 2 - 1)
    assert x.shape == (50, 2, 2)
    assert_feasible(x, unit_box(2), inter)


def test_fixed_features_enter_the_right_hand_sides():
    region = FeasibleRegion.from_constraints(unit_box(3), 1, BUDGET, fixed_features={0: 0.7})
    x = region.from_cube(torch.rand(100, 1, 2, generator=torch.Generator().manual_seed(5), dtype=DTYPE) * 2 - 1)
    assert (x.sum(-1) <= 0.3 + 1e-12).all()  # x1 + x2 <= 1 - 0.7
    assert_feasible(full_points(x, {0: 0.7}, 3), unit_box(3), BUDGET)


def test_equalities_that_pin_the_point_leave_a_zero_dimensional_region():
    pins = [(torch.tensor([0]), ones(1), 0.25), (torch.tensor([0, 1]), ones(2), 1.0)]
    region = FeasibleRegion.from_constraints(unit_box(2), 1, equality_constraints=pins)
    assert region.dim == 0
    restored = region.restore(torch.rand(3, 1, 2, dtype=DTYPE))
    assert torch.allclose(restored, torch.tensor([0.25, 0.75], dtype=DTYPE).expand(3, 1, 2))


def test_float32_region_keeps_float32():
    bounds = unit_box(4).float()
    region = FeasibleRegion.from_constraints(bounds, 1, equality_constraints=[(torch.arange(4), torch.ones(4), 1.0)])
    x = region.from_cube(torch.rand(20, 1, 3) * 2 - 1)
    assert x.dtype == torch.float32 and ((x.sum(-1) - 1).abs() < 1e-6).all()


@pytest.mark.parametrize(
    ("d", "kwargs", "match"),
    [
        (3, {"inequality_constraints": [(torch.tensor([0, 1]), ones(2), 2.5)]}, "no point of the box satisfies"),
        (3, {"equality_constraints": [(torch.tensor([0]), ones(1), 0.2), (torch.tensor([0]), ones(1, 2.0), 0.2)]},
         "`equality_constraints` contradict each other"),
        (3, {"equality_constraints": [(torch.tensor([0]), ones(1), 1.5)]}, "pin a feature outside the box"),
        (3, {"inequality_constraints": [(torch.tensor([0, 1]), ones(2), 1.0),
                                        (torch.tensor([0, 1]), ones(2, -1.0), -1.0)]},
         "flat or empty .* must be written as `equality_constraints`"),
        (3, {"inequality_constraints": [(torch.tensor([0, 1]), ones(2), 1.5)], "fixed_features": {0: 0.1}},
         r"no point of the box satisfies the linear constraints with `fixed_features` \(0: 0.1\)"),
        (3, {"inequality_constraints": BUDGET, "fixed_features": {0: 0.5, 1: 0.5, 2: 0.5}},
         r"`inequality_constraints\[0\]` cannot hold: `fixed_features` \(0: 0.5, 1: 0.5, 2: 0.5\) fix all"),
        (4, {"equality_constraints": SIMPLEX, "fixed_features": {0: 0.6, 1: 0.6}}, "with `fixed_features`"),
    ],
)
def test_infeasible_constraints_raise(d, kwargs, match):
    with pytest.raises(InfeasibleConstraintsError, match=match):
        FeasibleRegion.from_constraints(unit_box(d), 1, **kwargs)


def test_per_restart_fixed_values_of_a_constrained_feature_raise():
    fixed = {0: torch.tensor([0.1, 0.2], dtype=DTYPE)}
    with pytest.raises(UnsupportedAcqfArgumentError, match=r"`fixed_features\[0\]` has one value per restart"):
        FeasibleRegion.from_constraints(unit_box(4), 1, BUDGET, fixed_features=fixed)
    FeasibleRegion.from_constraints(unit_box(4), 1, BUDGET, fixed_features={3: fixed[0]})  # unconstrained: fine


# -- feasibility of the maps on random polytopes ------------------------------------------------------------------
@st.composite
def polytopes(draw, max_d: int = 5):
    """Random boxes, constraints (of every kind, feasible by construction at a random point), fixed features."""
    d = draw(st.integers(1, max_d))
    q = draw(st.integers(1, 3))
    lower = torch.tensor(draw(st.lists(st.floats(-3, 3), min_size=d, max_size=d)), dtype=DTYPE)
    upper = lower + torch.tensor(draw(st.lists(st.floats(0.1, 4), min_size=d, max_size=d)), dtype=DTYPE)
    bounds = torch.stack([lower, upper])
    rng = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    anchor = lower + (upper - lower) * (0.1 + 0.8 * torch.rand(q, d, generator=rng, dtype=DTYPE))
    n_fixed = draw(st.integers(0, d - 1))
    n_equalities = draw(st.integers(0, d - n_fixed - 1))
    if n_equalities:  # an intra-point equality holds at every point of the batch: give them one anchor
        anchor[:] = anchor[0]
    fixed = {int(i): float(anchor[0, i]) for i in torch.randperm(d, generator=rng)[:n_fixed]}
    anchor[:, list(fixed)] = torch.tensor(list(fixed.values()), dtype=DTYPE)

    def constraint(inter_point: bool, slack: float):
        k = draw(st.integers(1, d))
        features = torch.randperm(d, generator=rng)[:k]
        coefficients = torch.randn(k, generator=rng, dtype=DTYPE)
        if inter_point and q > 1:
            points = torch.randint(q, (k,), generator=rng)
            value = float((anchor[points, features] * coefficients).sum()) - slack
            return torch.stack([points, features], dim=-1), coefficients, value
        value = float((anchor[:, features] * coefficients).sum(-1).min()) - slack
        return features, coefficients, value

    inequality = [constraint(draw(st.booleans()), draw(st.floats(0.0, 1.0))) for _ in range(draw(st.integers(0, 3)))]
    equality = [constraint(False, 0.0) for _ in range(n_equalities)]
    return bounds, q, inequality or None, equality or None, fixed


def check_maps(bounds, q, inequality, equality, fixed, seed):
    try:
        region = FeasibleRegion.from_constraints(bounds, q, inequality, equality, fixed)
    except InfeasibleConstraintsError as error:  # the anchor is feasible: only a flat region may be refused
        assert "flat" in str(error)
        return
    d = bounds.shape[1]
    rng = torch.Generator().manual_seed(seed)
    cube = torch.rand(64, *region.search_shape, generator=rng, dtype=DTYPE) * 2 - 1
    cube[::4] = cube[::4].sign()  # corners of the cube: the polytope's boundary
    sampled = region.from_cube(cube)
    wild = bounds[0] - 1 + (bounds[1] - bounds[0] + 2) * torch.rand(64, q, d, generator=rng, dtype=DTYPE)
    restored = region.restore(wild[..., [i for i in range(d) if i not in fixed]])
    for x in (sampled, restored):
        assert x.shape == (64, q, d - len(fixed))
        assert_feasible(full_points(x, fixed, d), bounds, inequality, equality)


@settings(max_examples=10, deadline=None)
@given(polytope=polytopes(), seed=st.integers(0, 1000))
def test_every_sampled_and_restored_point_is_feasible(polytope, seed):
    check_maps(*polytope, seed)


def test_inequalities_that_the_equalities_make_tight_leave_a_feasible_region():
    # Found by the 1000-example run: the equalities pin x1 and x2 exactly where two inequalities are tight; once the
    # equalities are eliminated those rows vanish only up to rounding, and kept as constraints they left no interior.
    anchor = torch.tensor([0.1, 0.2796243708, 0.2874104235], dtype=DTYPE)

    def through_anchor(features, coefficients):
        coefficients = torch.tensor(coefficients, dtype=DTYPE)
        return torch.tensor(features), coefficients, float(coefficients @ anchor[features])

    inequality = [through_anchor([2], [0.8590]), through_anchor([1], [0.7056]), (torch.tensor([0]),
                  torch.tensor([-1.1948], dtype=DTYPE), -0.17784080460160123)]
    equality = [through_anchor([2, 1], [0.0250, -0.1955]), through_anchor([2], [-0.9656])]
    for seed in range(5):
        check_maps(unit_box(3), 1, inequality, equality, {}, seed)
    region = FeasibleRegion.from_constraints(unit_box(3), 1, inequality, equality)
    assert region.search_shape[-1] == 1  # x0 alone is free


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(polytope=polytopes(max_d=8), seed=st.integers(0, 10_000))
def test_every_sampled_and_restored_point_is_feasible_1000_examples(polytope, seed):
    check_maps(*polytope, seed)
