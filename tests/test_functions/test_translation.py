"""Random translations: the optimum moves inside the domain and f* stays exact."""

from __future__ import annotations

import pytest
import torch
from botorch.test_functions import Rastrigin

from gennes_bo.test_functions import (
    PAPER_FUNCTIONS,
    TRANSLATIONS,
    TranslatedFunction,
    paper_function,
    random_translation,
    small_translation,
)
from gennes_bo.test_functions.translation import interval_minimum


@pytest.mark.parametrize("name", PAPER_FUNCTIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_translated_optimum_is_exact(name: str, seed: int) -> None:
    base = paper_function(name, 4)
    function = random_translation(base, seed)
    optimum = function.optimizers[0]
    assert ((optimum >= function.bounds[0]) & (optimum <= function.bounds[1])).all()
    assert float(function(optimum.unsqueeze(0))[0]) == pytest.approx(function.optimal_value, abs=1e-7)
    # No point of the domain is better than f*: uniform samples and local perturbations of the optimum.
    rng = torch.Generator().manual_seed(seed)
    uniform = function.bounds[0] + (function.bounds[1] - function.bounds[0]) * torch.rand(
        20_000, 4, generator=rng, dtype=torch.float64)
    width = function.bounds[1] - function.bounds[0]
    near = (optimum + 1e-3 * width * torch.randn(2_000, 4, generator=rng, dtype=torch.float64)).clamp(
        function.bounds[0], function.bounds[1])
    assert function(torch.cat([uniform, near])).min() >= function.optimal_value - 1e-7
    if name != "schwefel":  # the optimum moves to x* + shift and f* is the base's
        assert torch.allclose(optimum, base.optimizers[0] + function.shift)
        assert function.optimal_value == base.optimal_value


def test_schwefel_translation_finds_lower_values_outside_base_domain() -> None:
    function = random_translation(paper_function("schwefel", 3), 0)
    assert function.optimal_value < -100.0  # translated Schwefel is lower than its in-domain 0


def test_same_seed_same_translation_and_independent_of_optimizer_seeds() -> None:
    base = paper_function("rastrigin", 5)
    first, again, other = random_translation(base, 3), random_translation(base, 3), random_translation(base, 4)
    assert torch.equal(first.shift, again.shift) and not torch.equal(first.shift, other.shift)
    same_seed_uniform = -3.0 + 6.0 * torch.rand(5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert not torch.allclose(first.optimizers[0], same_seed_uniform)


def test_invalid_translations_raise() -> None:
    base = Rastrigin(dim=2, bounds=[(-3.0, 3.0)] * 2)
    with pytest.raises(ValueError, match="inside the domain"):
        TranslatedFunction(base, torch.tensor([5.0, 0.0]))
    with pytest.raises(ValueError, match="2 values"):
        TranslatedFunction(base, torch.tensor([0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="plain minimization"):
        TranslatedFunction(Rastrigin(dim=2, negate=True), torch.zeros(2))


def test_interval_minimum() -> None:
    argmin, minimum = interval_minimum(lambda z: (z - 0.3) ** 2 + 1.0, -2.0, 2.0)
    assert argmin == pytest.approx(0.3, abs=1e-8) and minimum == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", PAPER_FUNCTIONS)
def test_public_code_translation_moves_the_optimum_at_most_half_a_unit(name: str) -> None:
    base = paper_function(name, 6)
    function = small_translation(base, 2)
    assert function.shift.abs().max() <= 0.5 and function.shift.abs().min() > 0.0
    assert torch.equal(small_translation(base, 2).shift, function.shift)  # same fold, same shift
    assert torch.allclose(torch.tensor(function.optimizers[0]), base.optimizers[0] + function.shift, atol=1e-3)
    assert function.optimal_value == pytest.approx(base.optimal_value, abs=1e-6)
    assert TRANSLATIONS["public-code"] is small_translation and TRANSLATIONS["uniform"] is random_translation
