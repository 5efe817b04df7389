"""The digits logistic-regression HPO objective."""

from __future__ import annotations

import pytest
import torch

from gennes_bo.test_functions import DigitsLogisticRegression


def test_bounds_mapping_and_determinism() -> None:
    problem = DigitsLogisticRegression(seed=0)
    assert problem.bounds.tolist() == [[-5.0, -5.0, -5.0, 5.0], [0.0, 0.0, 0.0, 50.0]]
    assert len(problem.y_test) == 270  # 15% of 1797, rounded up by sklearn
    settings = problem.hyperparameters(torch.tensor([-2.0, -3.0, -4.0, 12.4]))
    assert settings["eta0"] == pytest.approx(1e-2) and settings["max_iter"] == 12
    # penalty = l1 |w|_1 + (l2 / 2) |w|^2 = alpha (l1_ratio |w|_1 + (1 - l1_ratio) / 2 |w|^2)
    assert settings["alpha"] * settings["l1_ratio"] == pytest.approx(1e-4)
    assert settings["alpha"] * (1 - settings["l1_ratio"]) == pytest.approx(1e-3)
    x = torch.tensor([[-2.0, -4.0, -4.0, 10.0], [-5.0, -5.0, -5.0, 5.0]], dtype=torch.float64)
    errors = problem(x)
    assert errors.shape == (2,) and torch.equal(errors, problem(x))
    assert 0.0 < float(errors[0]) < 0.15  # a sensible setting learns the digits
    assert float(errors[1]) > float(errors[0])  # lr 1e-5 for 5 epochs barely learns
    assert torch.equal(DigitsLogisticRegression(seed=0)(x[:1]), errors[:1])
    assert DigitsLogisticRegression(seed=1)(x[:1]).shape == (1,)
