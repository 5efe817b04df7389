"""On Rastrigin d = 10 (randomly translated), every method's regret after 2e4 evaluations beats random search's,
averaged over two folds (slow: about 1-3 minutes for all methods)."""

from __future__ import annotations

import statistics

import pytest

from gennes_bo import OPTIMIZERS, minimize
from gennes_bo.test_functions import paper_function, random_translation

BUDGET = 20_000
FOLDS = (0, 1)


def mean_regret(method: str) -> float:
    regrets = []
    for fold in FOLDS:
        function = random_translation(paper_function("rastrigin", 10), fold)
        result = minimize(function._evaluate_true, function.bounds, method, max_evals=BUDGET, seed=fold)
        assert result.n_evals == BUDGET
        regrets.append(result.fun - function.optimal_value)
    return statistics.fmean(regrets)


@pytest.mark.slow
@pytest.mark.parametrize("method", [m for m in OPTIMIZERS if m != "random"])
def test_beats_random_search_on_rastrigin10(method: str) -> None:
    random_regret = mean_regret("random")
    assert random_regret > 30.0  # random search is far from the optimum in d = 10
    assert mean_regret(method) < random_regret
