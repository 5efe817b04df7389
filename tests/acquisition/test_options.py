"""Tests of how GENNES settings ride along in BoTorch's `options`."""

from __future__ import annotations

import pytest

from gennes_bo import GennesConfig
from gennes_bo.acquisition import GennesOptionError, UnsupportedAcqfArgumentError
from gennes_bo.acquisition.options import ACQF_DEFAULT_CONFIG, PAPER_BO_CONFIG, merge_options, split_options


def test_errors_subclass_value_error():
    assert issubclass(GennesOptionError, ValueError)
    assert issubclass(UnsupportedAcqfArgumentError, ValueError)


def test_no_options_gives_the_default():
    parsed = split_options(None)
    assert parsed.config is ACQF_DEFAULT_CONFIG and parsed.seed is None and parsed.botorch_options == {}


def test_gennes_keys_are_split_off_and_the_rest_is_kept():
    options = {"gennes_population_size": 4, "gennes_lr": 0.5, "gennes_seed": 3, "maxiter": 7, "batch_limit": 2}
    parsed = split_options(options)
    assert parsed.config == ACQF_DEFAULT_CONFIG.replace(population_size=4, lr=0.5)
    assert parsed.seed == 3
    assert parsed.botorch_options == {"maxiter": 7, "batch_limit": 2}
    assert options["gennes_lr"] == 0.5  # the caller's dict is not mutated


def test_gennes_config_key_as_object_or_dict_then_field_keys_on_top():
    base = GennesConfig(n_iterations=3)
    assert split_options({"gennes_config": base}).config is base
    parsed = split_options({"gennes_config": {"n_iterations": 4, "alpha": 0.5}, "gennes_alpha": 0.6})
    assert parsed.config.n_iterations == 4 and parsed.config.alpha == 0.6
    assert parsed.config.hidden_width == ACQF_DEFAULT_CONFIG.hidden_width  # dict fields update the default


def test_default_argument_is_used_for_unset_fields():
    assert split_options({"gennes_n_iterations": 2}, default=PAPER_BO_CONFIG).config.n_hidden == 5


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"gennes_populaton_size": 4}, "unknown GENNES option.*gennes_populaton_size"),
        ({"gennes_config": {"learning_rate": 0.1}}, r"unknown GENNES option.*learning_rate.*gennes_config"),
        ({"gennes_config": 3}, "must be a GennesConfig or a dict"),
        ({"gennes_seed": 1.5}, "gennes_seed.*must be an int"),
        ({"gennes_seed": True}, "gennes_seed.*must be an int"),
        ({"gennes_alpha": 1.5}, "invalid GENNES option.*`alpha`"),
        ({"gennes_population_size": 0}, "invalid GENNES option.*`population_size`"),
        ({"gennes_config": {"lr": -1.0}}, "invalid GENNES option.*`lr`"),
    ],
)
def test_bad_gennes_options_raise(options, match):
    with pytest.raises(GennesOptionError, match=match):
        split_options(options)


def test_merge_options_carries_config_and_seed():
    config = GennesConfig(n_iterations=2)
    merged = merge_options({"maxiter": 5}, config, seed=11)
    assert merged == {"maxiter": 5, "gennes_config": config, "gennes_seed": 11, "seed": 11}
    # An explicit BoTorch seed or GENNES seed is kept.
    assert merge_options({"seed": 1, "gennes_seed": 2}, None, seed=3) == {"seed": 1, "gennes_seed": 2}
    assert merge_options(None, None, None) == {}


def test_merge_options_rejects_a_config_given_twice():
    with pytest.raises(GennesOptionError, match="either as `config=` or as options"):
        merge_options({"gennes_config": GennesConfig()}, GennesConfig(), None)


def test_merge_options_fails_early_on_bad_keys():
    with pytest.raises(GennesOptionError, match="gennes_nope"):
        merge_options({"gennes_nope": 1}, None, None)


def test_shipped_configs():
    # The paper's BO settings (Section 5): 5 hidden layers of 64, N = 10, alpha = 0.99, 20 iterations.
    paper = PAPER_BO_CONFIG
    assert (paper.n_hidden, paper.hidden_width, paper.population_size, paper.alpha, paper.n_iterations) == (
        5, 64, 10, 0.99, 20)
    # The acquisition default polishes at least one generator sample, so GENNES's result is refined.
    assert 1 <= ACQF_DEFAULT_CONFIG.n_polish


def test_default_config_by_q():
    from gennes_bo.acquisition.options import ACQF_SINGLE_CONFIG, FINAL_NOISE_SCALE, default_acqf_config

    assert default_acqf_config(1) is ACQF_SINGLE_CONFIG
    assert default_acqf_config(4) == ACQF_DEFAULT_CONFIG.replace(alpha=default_acqf_config(4).alpha)
    steps = {q: default_acqf_config(q).n_iterations for q in (2, 4, 8, 16, 64)}
    assert steps == {2: 40, 4: 40, 8: 80, 16: 120, 64: 120}
    for q in (2, 8, 16):  # every q-batch run ends at the same noise support
        config = default_acqf_config(q)
        assert config.alpha**config.n_iterations == pytest.approx(FINAL_NOISE_SCALE)
    with pytest.raises(ValueError, match="`q`"):
        default_acqf_config(0)
