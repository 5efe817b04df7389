"""Embedded problems: the base function on a few coordinates of a high-dimensional box, the rest ignored."""

from __future__ import annotations

import pytest
import torch
from botorch.test_functions import Branin, Hartmann

from gennes_bo.test_functions import EmbeddedFunction, get_problem, random_embedding


def test_only_the_active_coordinates_matter_and_the_optimum_is_exact():
    problem = random_embedding(get_problem("hartmann", 6), dim=60, seed=3)
    assert problem.dim == 60 and problem.bounds.shape == (2, 60)
    optimizer = torch.tensor(problem.optimizers[0], dtype=torch.float64)
    assert float(problem.evaluate_true(optimizer.unsqueeze(0))) == pytest.approx(problem.optimal_value, abs=1e-5)
    X = torch.rand(5, 60, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    moved = X.clone()
    inactive = [i for i in range(60) if i not in problem.active.tolist()]
    moved[:, inactive] = torch.rand(5, len(inactive), dtype=torch.float64)
    assert torch.allclose(problem(X), problem(moved))
    assert (problem(X) >= problem.optimal_value).all()


def test_the_seed_chooses_the_coordinates_and_the_translation():
    a, b = (random_embedding(get_problem("hartmann", 6), 60, seed) for seed in (0, 1))
    again = random_embedding(get_problem("hartmann", 6), 60, 0)
    assert a.active.tolist() == again.active.tolist() and a.active.tolist() != b.active.tolist()
    assert not torch.equal(a.optimizers, b.optimizers)


def test_active_coordinates_keep_the_base_bounds():
    problem = EmbeddedFunction(Branin(), 5, [4, 1])
    assert problem.bounds[:, 4].tolist() == [-5.0, 10.0] and problem.bounds[:, 1].tolist() == [0.0, 15.0]
    assert problem.bounds[:, 0].tolist() == [0.0, 1.0]


@pytest.mark.parametrize(("dim", "active", "match"), [(4, [0, 1, 2, 3, 4, 5], "`dim` must be an integer >= base.dim"),
                                                      (10, [0, 1, 2, 3, 4, 4], "distinct"),
                                                      (10, [0, 1, 2, 3, 4, 10], "distinct coordinates of 0 .. 9")])
def test_bad_embeddings_raise(dim, active, match):
    with pytest.raises(ValueError, match=match):
        EmbeddedFunction(Hartmann(dim=6), dim, active)
