"""Tests of GennesConfig validation."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gennes_bo.gennes import GennesConfig, cosine_decay
from gennes_bo.gennes.generator import LAYER_GAIN


def test_defaults_are_valid_and_frozen():
    config = GennesConfig()
    assert config.n_generators == 1 and config.population_size == 20 and config.layer_gain == LAYER_GAIN
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 0.1


BAD_VALUES = [
    ("n_generators", 0), ("n_generators", -1), ("n_generators", 1.5), ("n_generators", True),
    ("population_size", 0), ("population_size", "20"),
    ("n_iterations", 0), ("n_iterations", None),
    ("hidden_width", 0), ("n_hidden", 0), ("max_noise_dim", 0), ("polish_maxiter", 0),
    ("noise_dim", 0), ("noise_dim", 2.0), ("noise_dim", False),
    ("max_evals", 0), ("max_evals", -5), ("max_evals", 10.0),
    ("n_polish", -1), ("n_polish", 1.0), ("n_polish", True),
    ("noise_scale", 0.0), ("noise_scale", -1.0), ("noise_scale", float("inf")), ("noise_scale", float("nan")),
    ("noise_scale", "1"), ("noise_scale", True),
    ("output_std", 0), ("output_std", float("inf")),
    ("layer_gain", -0.3), ("lr", 0.0), ("lr", float("nan")), ("lr", None),
    ("alpha", 0.0), ("alpha", 1.0), ("alpha", 1.5), ("alpha", float("nan")), ("alpha", "0.9"), ("alpha", None),
    ("schedule", 0.99), ("schedule", "cosine"),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_every_bad_value_raises_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"`{field}`"):
        GennesConfig(**{field: value})


def test_good_values_are_accepted():
    config = GennesConfig(n_generators=3, max_evals=100, noise_dim=5, n_polish=0, noise_scale=2, alpha=0.5,
                          schedule=lambda n: cosine_decay(n))
    assert config.max_evals == 100
    assert config.make_schedule(10)(10) == pytest.approx(1e-3)


def test_resolved_noise_dim():
    assert GennesConfig().resolved_noise_dim(5) == 5
    assert GennesConfig(max_noise_dim=8).resolved_noise_dim(50) == 8
    assert GennesConfig(noise_dim=3).resolved_noise_dim(50) == 3


def test_default_schedule_is_exponential_in_alpha():
    schedule = GennesConfig(alpha=0.8).make_schedule(10)
    assert schedule(3) == pytest.approx(0.8**3)


def test_make_schedule_gives_a_fresh_schedule_per_run():
    made = []
    config = GennesConfig(schedule=lambda n: made.append(n) or cosine_decay(n))
    config.make_schedule(7)
    config.make_schedule(9)
    assert made == [7, 9]


def test_replace_changes_and_revalidates():
    config = GennesConfig()
    changed = config.replace(lr=0.5, n_generators=4)
    assert (changed.lr, changed.n_generators) == (0.5, 4)
    assert config.lr == 1e-2  # the original is untouched
    with pytest.raises(ValueError, match="`alpha`"):
        config.replace(alpha=2.0)


def test_replace_rejects_unknown_fields():
    with pytest.raises(TypeError, match=r"unknown GennesConfig field\(s\) \['learning_rate'\]"):
        GennesConfig().replace(learning_rate=0.1)


def test_to_dict_is_json_and_names_a_custom_schedule():
    config = GennesConfig(n_generators=3, lr=0.05)
    values = config.to_dict()
    assert json.loads(json.dumps(values)) == values
    assert values["n_generators"] == 3 and values["lr"] == 0.05 and "schedule" not in values
    assert set(values) == {f.name for f in dataclasses.fields(GennesConfig)} - {"schedule"}
    assert config.replace(schedule=cosine_decay).to_dict()["schedule"] == "cosine_decay"
