"""`MixedSpace`: validation of BoTorch-style specs, the relaxation that GENNES searches, and neighbourhoods."""

from __future__ import annotations

import pytest
import torch

from gennes_bo.acquisition.mixed_space import MixedSpace, sample_category

# d = 5: continuous, ordinal {0, 1, 3} (uneven), categorical {0, 1, 2, 3}, continuous, binary
BOUNDS = torch.tensor([[0.0, 0.0, 0.0, -1.0, 0.0], [1.0, 3.0, 3.0, 1.0, 1.0]], dtype=torch.float64)
DISCRETE = {1: [3.0, 0.0, 1.0], 4: [0.0, 1.0]}
CATEGORICAL = {2: [0.0, 1.0, 2.0, 3.0]}


@pytest.fixture
def space() -> MixedSpace:
    return MixedSpace.build(BOUNDS, DISCRETE, CATEGORICAL)


def test_build_sorts_values_and_splits_dimensions(space):
    assert space.ordinal[1].tolist() == [0.0, 1.0, 3.0]
    assert space.continuous == (0, 3)
    assert space.searched == (0, 1, 2, 3, 4)
    assert space.fixed == {}


def test_fixed_and_single_valued_dimensions_are_not_searched():
    space = MixedSpace.build(BOUNDS, {1: [1.0], 4: [0.0, 1.0]}, CATEGORICAL, fixed_features={2: 3.0, 0: 0.5})
    assert space.fixed == {0: 0.5, 1: 1.0, 2: 3.0}
    assert space.searched == (3, 4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"discrete_dims": {5: [0.0]}}, r"`discrete_dims` names dimension 5, but `bounds` has d = 5"),
    ({"cat_dims": {-1: [0.0]}}, r"`cat_dims` names dimension -1"),
    ({"discrete_dims": {True: [0.0]}}, r"`discrete_dims` names dimension True"),
    ({"discrete_dims": {1: []}}, r"`discrete_dims\[1\]` must hold at least one value"),
    ({"cat_dims": {2: ["a", "b"]}}, r"`cat_dims\[2\]` must be a sequence of numbers"),
    ({"cat_dims": {2: [0.0, float("nan")]}}, r"`cat_dims\[2\]` must hold finite values"),
    ({"discrete_dims": {1: [0.0, 4.0]}}, r"`discrete_dims\[1\]` holds value\(s\) \[4.0\] outside the bounds"),
    ({"cat_dims": {3: [-2.0, 0.0]}}, r"`cat_dims\[3\]` holds value\(s\) \[-2.0\] outside the bounds"),
    ({"discrete_dims": {1: [0.0, 1.0]}, "cat_dims": {1: [0.0, 1.0]}}, r"dimension\(s\) \[1\] are in both"),
    ({"discrete_dims": {1: [0.0, 1.0]}, "fixed_features": {1: 2.0}},
     r"`fixed_features\[1\]` = 2.0 is not one of the allowed values \[0.0, 1.0\]"),
    ({"cat_dims": {2: [0.0, 1.0]}, "fixed_features": {2: 0.5}}, r"`fixed_features\[2\]` = 0.5 is not one of"),
    ({"fixed_features": {9: 0.0}}, r"`fixed_features` names dimension 9"),
    ({"fixed_features": {0: torch.zeros(2)}}, r"`fixed_features\[0\]` must be a number or a one-element tensor"),
])
def test_bad_specs_raise_naming_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MixedSpace.build(BOUNDS, **kwargs)


def test_bad_bounds_raise():
    with pytest.raises(ValueError, match=r"`bounds` must be a 2 x d tensor"):
        MixedSpace.build(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"lower <= upper"):
        MixedSpace.build(torch.tensor([[1.0], [0.0]]))
    infinite = BOUNDS.clone()
    infinite[1, 0] = torch.inf
    with pytest.raises(ValueError, match=r"continuous dimension 0 must be finite"):
        MixedSpace.build(infinite, DISCRETE, CATEGORICAL)
    MixedSpace.build(infinite, DISCRETE, CATEGORICAL, fixed_features={0: 5.0})  # fixed: no box needed


def test_relaxed_box_gives_each_ordinal_value_its_voronoi_cell(space):
    relaxed = space.relaxed_bounds()
    assert relaxed[:, 1].tolist() == [-0.5, 4.0]  # cells [-0.5, 0.5], [0.5, 2], [2, 4]
    assert relaxed[:, 2].tolist() == [0.0, 4.0]  # one unit cell per category
    coordinates = torch.tensor([-0.5, 0.49, 0.51, 1.99, 2.01, 4.0], dtype=torch.float64)
    relaxed_points = relaxed[0].repeat(len(coordinates), 1)
    relaxed_points[:, 1] = coordinates
    X, _ = space.decode(relaxed_points)
    assert X[:, 1].tolist() == [0.0, 0.0, 1.0, 1.0, 3.0, 3.0]


def test_decode_is_valid_with_straight_through_and_score_function_gradients(space):
    relaxed_box = space.relaxed_bounds()
    relaxed = (relaxed_box[0] + (relaxed_box[1] - relaxed_box[0]) * torch.rand(64, 5, dtype=torch.float64))
    relaxed.requires_grad_(True)
    X, log_prob = space.decode(relaxed, tau=0.7)
    assert space.is_valid(X.detach()).all()
    (X.sum() + log_prob.sum()).backward()
    assert (relaxed.grad[:, [0, 1, 3, 4]] == 1).all()  # straight through continuous and ordinal coordinates
    assert (relaxed.grad[:, 2] != 0).any()  # the category's score function


def test_sample_category_follows_the_temperature():
    torch.manual_seed(0)
    coordinate = torch.full((4000,), 2.5, dtype=torch.float64)  # centre of category 2 of 4
    index, log_prob = sample_category(coordinate, 4, tau=0.0)
    assert (index == 2).all() and (log_prob == 0).all()
    index, _ = sample_category(coordinate, 4, tau=0.05)
    assert (index == 2).all()
    index, _ = sample_category(coordinate, 4, tau=1.0)
    counts = torch.bincount(index, minlength=4) / len(index)
    assert counts[2] > counts[1] > counts[0] > 0.02  # spreads, most mass on the own cell
    assert float(counts[1]) == pytest.approx(float(counts[3]), abs=0.04)


def test_project_and_is_valid(space):
    X = torch.tensor([[1.5, 2.2, 2.6, -3.0, 0.4]], dtype=torch.float64)
    assert not space.is_valid(X).any()
    projected = space.project(X)
    assert projected.tolist() == [[1.0, 3.0, 3.0, -1.0, 0.0]]
    assert space.is_valid(projected).all()


def test_neighbours_step_ordinals_and_change_one_category(space):
    x = torch.tensor([[0.5, 1.0, 2.0, 0.0, 0.0]], dtype=torch.float64)
    neighbours, owners = space.neighbours(torch.cat([x, x]))
    assert (owners.bincount() == 6).all()  # dim 1: 0 and 3; dim 4: 1; dim 2: 0, 1, 3
    changed = (neighbours != x).sum(-1)
    assert (changed == 1).all()
    assert space.is_valid(neighbours).all()
    assert sorted(neighbours[:6, 1].tolist()) == [0.0, 1.0, 1.0, 1.0, 1.0, 3.0]


def test_neighbours_keep_a_fixed_value_outside_the_bounds():
    space = MixedSpace.build(BOUNDS, DISCRETE, CATEGORICAL, fixed_features={0: 7.0})
    x = torch.tensor([[7.0, 1.0, 2.0, 0.0, 0.0]], dtype=torch.float64)
    neighbours, _ = space.neighbours(x)
    assert (neighbours[:, 0] == 7.0).all()
