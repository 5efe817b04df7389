"""HEBO and Vizier as Optuna samplers through their workers: the space's JSON, the errors (fast, no optimizer needed),
and studies with the real workers (slow; skipped without the virtual environments of
`scripts/setup_external_samplers.sh`)."""

from __future__ import annotations

import json
import math

import pytest

optuna = pytest.importorskip("optuna")

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402

from benchmarks.hpo_external import (  # noqa: E402
    HEBO,
    VIZIER,
    ExternalOptimizer,
    ExternalOptimizerNotFoundError,
    ExternalSampler,
    WorkerError,
    decode_params,
    encode_params,
    encode_space,
    external_settings,
)

SPACE = {"lr": FloatDistribution(1e-4, 1.0, log=True), "depth": IntDistribution(1, 20),
         "act": CategoricalDistribution(["relu", None, 3])}


def _loss(params: dict) -> float:
    return (math.log10(params["lr"]) + 2) ** 2 + ((params["depth"] - 7) / 5) ** 2 + (params["act"] != "relu")


def test_space_and_params_round_trip_through_json_with_the_original_choices() -> None:
    space = {**SPACE, "x": FloatDistribution(-1.0, 1.0), "width": IntDistribution(4, 256, log=True),
             "flag": CategoricalDistribution([True, False, 0.5]), "clash": CategoricalDistribution([1, "1", None])}
    spec = json.loads(json.dumps(encode_space(space)))
    assert spec["lr"] == {"type": "float", "low": 1e-4, "high": 1.0, "log": True}
    assert spec["width"] == {"type": "int", "low": 4, "high": 256, "log": True}
    assert spec["act"] == {"type": "cat", "choices": ["relu", "None", "3"]}
    assert spec["clash"]["choices"] == ["0:1", "1:1", "2:None"]  # str(1) == str("1"): labels by index
    for k in range(3):
        params = {"lr": 0.01, "x": -0.5, "depth": 3, "width": 64, "act": SPACE["act"].choices[k],
                  "flag": space["flag"].choices[k], "clash": space["clash"].choices[k]}
        encoded = json.loads(json.dumps(encode_params(params, space)))
        assert all(isinstance(encoded[name], str) for name in ("act", "flag", "clash"))
        decoded = decode_params(encoded, space)
        assert decoded == params and {n: type(v) for n, v in decoded.items()} == {n: type(v) for n, v in params.items()}
    assert decode_params({"lr": 2.0, "depth": 7.0, "act": "3"}, SPACE) == {"lr": 1.0, "depth": 7, "act": 3}
    with pytest.raises(WorkerError, match="label 'tanh' is not one of"):
        decode_params({"lr": 0.1, "depth": 2, "act": "tanh"}, SPACE)
    with pytest.raises(ValueError, match="cannot map parameter 'y'"):
        encode_space({"y": FloatDistribution(0.0, 1.0, step=0.1)})


def test_a_missing_environment_names_the_setup_script(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GENNES_BO_HEBO_PYTHON", str(tmp_path / "absent" / "python"))
    with pytest.raises(ExternalOptimizerNotFoundError, match="GENNES_BO_HEBO_PYTHON.*setup_external_samplers.sh"):
        ExternalSampler(SPACE, HEBO)
    with pytest.raises(ValueError, match="`batch_size` must be >= 1, got 0"):
        ExternalSampler(SPACE, HEBO, batch_size=0)


def _fake_optimizer(tmp_path, body: str) -> ExternalOptimizer:
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\n{body}\n")
    python.chmod(0o755)
    return ExternalOptimizer("Fake", tmp_path / "worker.py", "GENNES_BO_FAKE_PYTHON", str(python), (), {})


def test_a_worker_that_dies_or_fails_raises_with_its_stderr(tmp_path) -> None:
    dead = _fake_optimizer(tmp_path, "echo 'ImportError: no optimizer here' >&2; exit 3")
    with ExternalSampler(SPACE, dead) as sampler:
        study = optuna.create_study(sampler=sampler)
        with pytest.raises(WorkerError, match=r"exited with code 3; its stderr ends with:\nImportError: no optim"):
            study.ask(SPACE)
    failing = _fake_optimizer(tmp_path, """read line; echo 'Traceback: bad' >&2; echo '{"error": "KeyError: x"}'""")
    with ExternalSampler(SPACE, failing) as sampler:
        with pytest.raises(WorkerError, match="Fake worker failed: KeyError: x; its stderr ends with:\nTraceback: bad"):
            optuna.create_study(sampler=sampler).ask(SPACE)


def test_requests_carry_the_finished_trials_as_losses_to_minimize(tmp_path) -> None:
    answer = json.dumps({"suggestions": [{"lr": 0.1, "depth": 3.0, "act": "None"}], "cpu_s": 0.5})
    requests = tmp_path / "requests.jsonl"
    echo = _fake_optimizer(tmp_path, f"while read line; do echo \"$line\" >> {requests}; echo '{answer}'; done")
    with ExternalSampler(SPACE, echo, seed=7) as sampler:
        study = optuna.create_study(sampler=sampler, direction="maximize")
        study.tell(study.ask(SPACE), 2.5)
        study.tell(study.ask(SPACE), state=optuna.trial.TrialState.FAIL)
        study.tell(study.ask(SPACE), math.inf)
        running = study.ask(SPACE)
        with pytest.warns(UserWarning, match="batch_size=1 asked while other trials run"):
            study.ask(SPACE)
    assert running.params == {"lr": 0.1, "depth": 3, "act": None} and sampler.worker_cpu_s == 2.5
    sent = [json.loads(line) for line in requests.read_text().splitlines()]
    assert [r["step"] for r in sent] == [0, 1, 2, 3, 4] and {r["seed"] for r in sent} == {7}
    assert [h["loss"] for h in sent[4]["history"]] == [-2.5, None, None]  # maximized; failed; non-finite
    assert sent[4]["history"][0]["params"] == {"lr": 0.1, "depth": 3, "act": "None"}
    assert sent[0]["space"] == encode_space(SPACE) and sent[0]["n_suggestions"] == 1


# ----------------------------------------------------------------------------------------- with the optimizers
def _require(optimizer: ExternalOptimizer) -> None:
    try:
        optimizer.python()
    except ExternalOptimizerNotFoundError as error:
        pytest.skip(f"no virtual environment for {optimizer.name} (scripts/setup_external_samplers.sh): {error}")


def _check_params(params: dict) -> None:
    assert set(params) == set(SPACE)
    assert 1e-4 <= params["lr"] <= 1.0 and isinstance(params["lr"], float)
    assert 1 <= params["depth"] <= 20 and isinstance(params["depth"], int)
    assert params["act"] in ("relu", None, 3)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", [HEBO, VIZIER], ids=["hebo", "vizier"])
def test_sequential_study_is_in_space_and_reproducible_under_a_seed(optimizer) -> None:
    _require(optimizer)
    with ExternalSampler(SPACE, optimizer, seed=5) as sampler:
        study = optuna.create_study(sampler=sampler)
        for _ in range(12):
            trial = study.ask(SPACE)
            study.tell(trial, _loss(trial.params))
    for trial in study.trials:
        _check_params(trial.params)
    assert sampler.worker_cpu_s > 0 and external_settings(optimizer)[optimizer.packages[0]]  # a version string
    for known in (2, 11):  # a fresh worker, told the first trials, suggests the next trial's point again
        with ExternalSampler(SPACE, optimizer, seed=5) as replay:
            again = optuna.create_study(sampler=replay)
            again.add_trials(study.trials[:known])
            assert again.ask(SPACE).params == study.trials[known].params


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", [HEBO, VIZIER], ids=["hebo", "vizier"])
def test_batches_of_8_asks_get_distinct_points_and_a_killed_worker_raises(optimizer) -> None:
    _require(optimizer)
    sampler = ExternalSampler(SPACE, optimizer, seed=0, batch_size=8)
    study = optuna.create_study(sampler=sampler)
    for _ in range(2):  # the initial design, then the model's batch
        batch = [study.ask(SPACE) for _ in range(8)]
        for trial in batch:
            _check_params(trial.params)
            study.tell(trial, _loss(trial.params))
        assert len({json.dumps(encode_params(t.params, SPACE), sort_keys=True) for t in batch}) == 8
    sampler._worker._process.kill()
    with pytest.raises(WorkerError, match=f"the {optimizer.name} worker .* exited with code -9"):
        study.ask(SPACE)
    sampler.close()
