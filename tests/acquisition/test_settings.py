"""AcqfSettings: built once from a call's arguments, validated, resolved, carried to the hook, reported back."""

from __future__ import annotations

import warnings

import pytest
import torch
from botorch.generation.gen import gen_candidates_scipy

from gennes_bo import AcqfSettings, GennesConfig, gen_candidates_gennes, optimize_acqf_gennes
from gennes_bo.acquisition import GennesOptionError, optimize_acqf_greedy
from gennes_bo.acquisition.options import ACQF_SINGLE_CONFIG, GREEDY_RESCREEN, default_acqf_config
from gennes_bo.acquisition.settings import SETTINGS_KEY, settings_from_options

SMALL = {"num_restarts": 2, "raw_samples": 16}


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"config": {"n_iteration": 3}}, r"unknown GennesConfig field\(s\) \['n_iteration'\]"),
        ({"config": {"alpha": 1.5}}, "`alpha` must be in"),
        ({"config": 3}, "`config` must be a GennesConfig, a mapping"),
        ({"num_restarts": 0}, "`num_restarts` must be None or an integer >= 1"),
        ({"raw_samples": 2.5}, "`raw_samples` must be None or an integer"),
        ({"batch_strategy": "batched"}, "`batch_strategy` must be one of"),
        ({"rescreen": 0}, r"`rescreen` must be in \(0, 1\]"),
        ({"pipeline": "cma"}, "`pipeline` must be one of"),
        ({"step_maxiter": 0}, "`step_maxiter` must be None or an integer >= 1"),
        ({"seed": 1.0}, "`seed` must be an int or None"),
    ],
)
def test_bad_settings_fail_at_construction(fields, match):
    with pytest.raises(ValueError, match=match):
        AcqfSettings(**fields)


def test_replace_rejects_unknown_names():
    with pytest.raises(TypeError, match=r"unknown AcqfSettings field\(s\) \['restarts'\]"):
        AcqfSettings().replace(restarts=3)
    assert AcqfSettings().replace(num_restarts=3).num_restarts == 3


def test_resolve_fills_every_default_by_q_and_strategy():
    single = AcqfSettings(pipeline="gennes").resolve(1, 3, greedy=False)
    assert single.config == ACQF_SINGLE_CONFIG and (single.num_restarts, single.raw_samples) == (4, 512)
    greedy = AcqfSettings(pipeline="gennes").resolve(4, 3, greedy=True)
    assert greedy.config == default_acqf_config(1) and greedy.batch_strategy == "greedy"
    joint = AcqfSettings(pipeline="gennes").resolve(4, 3, greedy=False)
    assert joint.config == default_acqf_config(4) and joint.batch_strategy == "joint"
    assert (joint.num_restarts, joint.raw_samples) == (12, 512)
    assert joint.is_resolved and joint.resolve(8, 5, greedy=True) is joint  # resolved once
    assert AcqfSettings().resolve(2, 3, greedy=True).pipeline in ("gennes", "lbfgs")  # auto: the policy decides
    # Given initial conditions: no raw samples unless asked for, as in BoTorch.
    assert AcqfSettings().resolve(1, 3, greedy=False, screens=False).raw_samples is None


def test_config_fields_change_the_default_of_the_call():
    settings = AcqfSettings(config={"n_iterations": 60})
    assert settings.step_config(1) == ACQF_SINGLE_CONFIG.replace(n_iterations=60)
    assert settings.step_config(4) == default_acqf_config(4).replace(n_iterations=60)
    config = GennesConfig(n_iterations=2)
    assert AcqfSettings(config=config).step_config(4) is config


def test_to_dict_is_json_and_leaves_the_seed_out():
    import json

    settings = AcqfSettings(config={"lr": 0.1}, seed=3).resolve(2, 3, greedy=True)
    record = settings.to_dict()
    assert json.loads(json.dumps(record)) == record
    assert "seed" not in record and record["config"]["lr"] == 0.1 and record["pipeline"] in ("gennes", "lbfgs")
    assert record["rescreen"] == GREEDY_RESCREEN and record["batch_strategy"] == "greedy"


class _Pending(torch.nn.Module):
    def __init__(self, n: int | None) -> None:
        super().__init__()
        self.X_pending = None if n is None else torch.zeros(n, 3)


def test_each_greedy_step_derives_its_own_seed():
    settings = AcqfSettings(seed=5)
    seeds = [settings.step_seed(_Pending(n)) for n in (None, 0, 1, 2, 3)]
    assert seeds[:2] == [5, 5] and len(set(seeds[1:])) == 4  # one point: the seed itself; later steps differ
    assert AcqfSettings().step_seed(_Pending(2)) is None


def test_info_returns_the_resolved_settings(qlogei, bounds, fast_config):
    _, _, info = optimize_acqf_gennes(qlogei, bounds, 2, seed=0, return_info=True,
                                      settings=AcqfSettings(config=fast_config, pipeline="gennes"), **SMALL)
    assert info.settings.is_resolved and info.settings.seed == 0
    assert info.settings.config == fast_config and info.settings.num_restarts == 2
    assert info.settings.to_dict()["batch_strategy"] == "greedy"


def test_the_settings_reach_the_hook_as_one_value(logei, bounds, fast_config, monkeypatch):
    seen = []
    original = settings_from_options

    def spy(options, **kwargs):
        seen.append(dict(options))
        return original(options, **kwargs)

    monkeypatch.setattr("gennes_bo.acquisition.gen_candidates.settings_from_options", spy)
    optimize_acqf_gennes(logei, bounds, 1, seed=4, settings=AcqfSettings(config=fast_config), **SMALL)
    assert seen and all(not any(k.startswith("gennes_") and k != SETTINGS_KEY for k in o) for o in seen)
    assert all(o[SETTINGS_KEY].seed == 4 and o[SETTINGS_KEY].is_resolved for o in seen)


def test_the_greedy_steps_of_a_batch_train_differently_seeded_generators(qlogei, bounds, fast_config, monkeypatch):
    import gennes_bo.acquisition.gen_candidates as hook

    seeds = []
    original = hook.gennes_maximize

    def spy(*args, seed=None, **kwargs):
        seeds.append(seed)
        return original(*args, seed=seed, **kwargs)

    monkeypatch.setattr(hook, "gennes_maximize", spy)
    optimize_acqf_gennes(qlogei, bounds, 3, seed=9, settings=AcqfSettings(config=fast_config, pipeline="gennes"),
                         **SMALL)
    assert len(seeds) == 3 and seeds[0] == 9 and len(set(seeds)) == 3


def test_lbfgs_pipeline_is_the_same_pipeline_without_the_gennes_stage(qlogei, bounds):
    x, v = optimize_acqf_gennes(qlogei, bounds, 2, seed=1, settings=AcqfSettings(pipeline="lbfgs"), **SMALL)
    from botorch.utils.sampling import manual_seed

    with manual_seed(1):
        ref_x, ref_v = optimize_acqf_greedy(qlogei, bounds, 2, options={"seed": 1}, gen_candidates=gen_candidates_scipy,
                                            **SMALL)
    assert torch.equal(x, ref_x) and torch.equal(v, ref_v)


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [({"config": GennesConfig(n_iterations=2)}, "config", GennesConfig(n_iterations=2)),
     ({"batch_strategy": "joint"}, "batch_strategy", "joint"),
     ({"greedy_rescreen": None}, "rescreen", None)],
)
def test_arguments_of_earlier_versions_warn_and_set_their_field(qlogei, bounds, kwargs, field, value):
    with pytest.warns(DeprecationWarning, match=f"`{next(iter(kwargs))}=` is deprecated"):
        _, _, info = optimize_acqf_gennes(qlogei, bounds, 2, seed=0, return_info=True, **kwargs, **SMALL)
    resolved = getattr(info.settings, field)
    assert resolved == value or (field == "batch_strategy" and resolved == "joint")


def test_gennes_keys_of_options_warn_and_become_settings():
    with pytest.warns(DeprecationWarning, match="options .*gennes_n_iterations.* are deprecated"):
        settings, rest = settings_from_options({"gennes_n_iterations": 7, "gennes_seed": 2, "maxiter": 5})
    assert settings == AcqfSettings(config={"n_iterations": 7}, seed=2) and rest == {"maxiter": 5}
    config = GennesConfig(n_iterations=3)
    with pytest.warns(DeprecationWarning):
        settings, _ = settings_from_options({"gennes_config": config, "gennes_lr": 0.5})
    assert settings.config == config.replace(lr=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert settings_from_options({SETTINGS_KEY: AcqfSettings(seed=1)})[0].seed == 1


def test_settings_given_twice_raise(qlogei, bounds):
    with pytest.raises(ValueError, match="`seed` is given twice"):
        optimize_acqf_gennes(qlogei, bounds, 2, seed=1, settings=AcqfSettings(seed=2), **SMALL)
    with pytest.raises(ValueError, match="`num_restarts` is given twice"):
        optimize_acqf_gennes(qlogei, bounds, 2, num_restarts=3, settings=AcqfSettings(num_restarts=2))
    with pytest.raises(ValueError, match="both as `settings=` and in `options`"), pytest.warns(DeprecationWarning):
        optimize_acqf_gennes(qlogei, bounds, 2, options={"gennes_lr": 0.1}, settings=AcqfSettings(), **SMALL)
    with pytest.raises(GennesOptionError, match="options hold both"):
        settings_from_options({SETTINGS_KEY: AcqfSettings(), "gennes_lr": 0.1})
    with pytest.raises(GennesOptionError, match="must be an AcqfSettings"):
        settings_from_options({SETTINGS_KEY: {"seed": 1}})
    with pytest.raises(TypeError, match="`settings` must be an AcqfSettings"):
        optimize_acqf_gennes(qlogei, bounds, 2, settings={"seed": 1}, **SMALL)
    # The same value twice is no conflict.
    x, _ = optimize_acqf_gennes(qlogei, bounds, 1, seed=1, settings=AcqfSettings(seed=1, config={"n_iterations": 2}),
                                **SMALL)
    assert x.shape == (1, 3)


def test_hook_runs_with_settings_in_options(logei, bounds, fast_config):
    ics = torch.rand(2, 1, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    options = {SETTINGS_KEY: AcqfSettings(config=fast_config, seed=0)}
    a = gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options=options)
    b = gen_candidates_gennes(ics, logei, bounds[0], bounds[1], options=options)
    assert torch.equal(a[0], b[0])


def test_step_maxiter_caps_each_greedy_step_but_not_the_joint_polish(qlogei, bounds, monkeypatch):
    import gennes_bo.acquisition.gen_candidates as hook
    import gennes_bo.acquisition.optimize as optimize

    caps = {"steps": [], "polish": []}

    def recording(key, original):
        def wrapped(*args, **kwargs):
            caps[key].append((kwargs.get("options") or {}).get("maxiter"))
            return original(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(hook, "gen_candidates_scipy", recording("steps", gen_candidates_scipy))
    monkeypatch.setattr(optimize, "gen_candidates_scipy", recording("polish", gen_candidates_scipy))
    settings = AcqfSettings(pipeline="lbfgs", step_maxiter=3, seed=0, **SMALL)
    optimize_acqf_gennes(qlogei, bounds, 3, settings=settings)
    assert caps["steps"] and set(caps["steps"]) == {3}
    assert caps["polish"] == [default_acqf_config(1).polish_maxiter]
    assert settings.resolve(3, 2, greedy=True).to_dict()["step_maxiter"] == 3
    assert "step_maxiter" not in AcqfSettings().resolve(3, 2, greedy=True).to_dict()  # old records still match
    caps["steps"].clear()
    optimize_acqf_gennes(qlogei, bounds, 3, settings=settings, options={"maxiter": 7})  # the caller's wins
    assert set(caps["steps"]) == {7}


def test_the_sequential_strategy_is_botorchs_sequential_mode_with_our_steps(qlogei, bounds, monkeypatch):
    import gennes_bo.acquisition.optimize as optimize

    polishes = []
    monkeypatch.setattr(optimize, "gen_candidates_scipy", lambda *a, **k: polishes.append(1) or gen_candidates_scipy(
        *a, **k))
    settings = AcqfSettings(batch_strategy="sequential", pipeline="lbfgs", seed=0, **SMALL)
    candidates, _, info = optimize_acqf_gennes(qlogei, bounds, 3, settings=settings, return_info=True)
    assert candidates.shape == (3, 3) and not polishes  # no joint polish of the batch
    assert info.settings.batch_strategy == "sequential" and info.settings.num_restarts == SMALL["num_restarts"]
    assert AcqfSettings(batch_strategy="sequential").resolve(1, 3, greedy=False).batch_strategy == "sequential"
