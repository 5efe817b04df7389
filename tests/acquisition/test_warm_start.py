"""Warm starts: a `GeneratorCarry` carries trained generators between GENNES stages and calls, deterministically,
falls back to fresh generators on another shape, and leaves results without it unchanged."""

from __future__ import annotations

import pickle

import pytest
import torch
from botorch.acquisition import qLogExpectedImprovement
from botorch.models import SingleTaskGP
from botorch.sampling import SobolQMCNormalSampler

from gennes_bo.acquisition import AcqfSettings, GeneratorCarry, optimize_acqf_gennes
from gennes_bo.gennes.search import GennesSearch, WarmStartMismatchError

SMALL = {"num_restarts": 2, "raw_samples": 16}


def calls(acqf, bounds, config, carry, q=3, n=2):
    return [optimize_acqf_gennes(acqf, bounds, q, config=config, seed=i, warm_start=carry, **SMALL)[0]
            for i in range(n)]


def test_greedy_steps_and_calls_start_from_the_carried_generators(qlogei, bounds, fast_config) -> None:
    carry = GeneratorCarry()
    assert carry.generators is None and repr(carry) == "GeneratorCarry(n_stages=0, n_warm=0)"
    calls(qlogei, bounds, fast_config, carry, q=3, n=1)
    assert (carry.n_stages, carry.n_warm) == (3, 2)  # the first greedy step starts fresh, the next two warm
    first = {name: value.clone() for name, value in carry.generators.items()}
    calls(qlogei, bounds, fast_config, carry, q=3, n=1)
    assert (carry.n_stages, carry.n_warm) == (6, 5)  # the next call starts warm from its first step
    assert any(not torch.equal(first[name], value) for name, value in carry.generators.items())


def test_warm_starts_are_deterministic_and_change_the_search(qlogei, bounds, fast_config) -> None:
    first, second = (calls(qlogei, bounds, fast_config, GeneratorCarry()) for _ in range(2))
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)
    fresh = calls(qlogei, bounds, fast_config, None)
    assert any(not torch.equal(a, b) for a, b in zip(fresh, first, strict=True))


def test_without_a_carry_and_with_a_new_one_a_single_stage_is_the_same(logei, bounds, fast_config) -> None:
    kwargs = {"settings": AcqfSettings(config=fast_config, pipeline="gennes"), "seed": 3, **SMALL}
    plain = optimize_acqf_gennes(logei, bounds, 1, **kwargs)
    carried = optimize_acqf_gennes(logei, bounds, 1, warm_start=GeneratorCarry(), **kwargs)
    assert torch.equal(plain[0], carried[0]) and torch.equal(plain[1], carried[1])


def test_generators_of_another_shape_are_replaced_not_an_error(qlogei, bounds, fast_config) -> None:
    carry = GeneratorCarry()
    calls(qlogei, bounds, fast_config, carry, q=1, n=1)
    X = torch.rand(6, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    model = SingleTaskGP(X, X.sum(-1, keepdim=True)).eval()
    acqf = qLogExpectedImprovement(model, best_f=model.train_targets.max(),
                                   sampler=SobolQMCNormalSampler(sample_shape=torch.Size([16]), seed=0))
    candidates, _ = optimize_acqf_gennes(acqf, bounds[:, :2], 1, config=fast_config, seed=0, warm_start=carry,
                                         **SMALL)
    assert candidates.shape == (1, 2)
    assert (carry.n_stages, carry.n_warm) == (2, 0)
    GennesSearch(bounds[:, :2], fast_config, q=1, warm_start=carry.generators)  # they now fit d = 2
    with pytest.raises(WarmStartMismatchError):
        GennesSearch(bounds, fast_config, q=1, warm_start=carry.generators)


def test_state_dict_round_trip_continues_identically(qlogei, bounds, fast_config) -> None:
    carry = GeneratorCarry()
    calls(qlogei, bounds, fast_config, carry, n=1)
    restored = GeneratorCarry()
    restored.load_state_dict(pickle.loads(pickle.dumps(carry.state_dict())))
    assert (restored.n_stages, restored.n_warm) == (carry.n_stages, carry.n_warm)
    for a, b in zip(calls(qlogei, bounds, fast_config, carry, n=1), calls(qlogei, bounds, fast_config, restored, n=1),
                    strict=True):
        assert torch.equal(a, b)
    carry.reset()
    assert carry.generators is None and carry.n_stages == 0


def test_a_search_refuses_parameters_of_another_shape(bounds, fast_config) -> None:
    other = GennesSearch(bounds[:, :2], fast_config, seed=0).generator_state()
    with pytest.raises(WarmStartMismatchError, match="do not fit"):
        GennesSearch(bounds, fast_config, seed=0, warm_start=other)
