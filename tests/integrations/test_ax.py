"""GennesAcquisition in a real Ax loop: each search space reaches the right optimizer (skipped without `ax`)."""

from __future__ import annotations

import logging
import warnings

import pytest

ax_integration = pytest.importorskip("gennes_bo.integrations.ax", exc_type=ImportError)

from ax.adapter.registry import Generators  # noqa: E402
from ax.api.client import Client  # noqa: E402
from ax.api.configs import ChoiceParameterConfig, RangeParameterConfig  # noqa: E402
from ax.generation_strategy.generation_node import GenerationStep  # noqa: E402
from ax.generation_strategy.generation_strategy import GenerationStrategy  # noqa: E402

GennesAcquisition = ax_integration.GennesAcquisition
FLOATS = [RangeParameterConfig(name=f"x{i}", parameter_type="float", bounds=(0.0, 1.0)) for i in range(2)]
DISCRETE = [RangeParameterConfig(name="n", parameter_type="int", bounds=(1, 6)),
            ChoiceParameterConfig(name="kind", parameter_type="str", values=["a", "b", "c"], is_ordered=False)]


def objective(p: dict) -> float:
    kind = {"a": 0.2, "b": 0.0, "c": 0.4}[p.get("kind", "b")] + 0.1 * p.get("m", 0)
    return sum((p.get(f"x{i}", 0.5) - 0.3) ** 2 for i in range(2)) + (p["n"] - 4) ** 2 / 25 + kind


@pytest.fixture
def recorded(monkeypatch) -> list[str]:
    """Names of the GENNES optimizers called, through recorders around the module's functions."""
    names: list[str] = []
    for name in ("optimize_acqf_gennes", "optimize_acqf_mixed_gennes"):
        original = getattr(ax_integration, name)

        def recorder(*args, _original=original, _name=name, **kwargs):
            names.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(ax_integration, name, recorder)
    return names


def run_loop(parameters: list, n_sobol: int, n_bo: int) -> list[dict]:
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("ax."):
            logging.getLogger(name).setLevel(logging.WARNING)
    client = Client()
    client.configure_experiment(parameters=parameters, name="gennes_ax_test")
    client.configure_optimization(objective="-f")
    client.set_generation_strategy(GenerationStrategy(name="sobol+gennes", nodes=[
        GenerationStep(generator=Generators.SOBOL, num_trials=n_sobol, generator_kwargs={"seed": 0}),
        GenerationStep(generator=Generators.BOTORCH_MODULAR, num_trials=-1,
                       generator_kwargs={"acquisition_class": GennesAcquisition},
                       generator_gen_kwargs={"model_gen_options": {"optimizer_kwargs": {
                           "num_restarts": 2, "raw_samples": 64, "options": {"gennes_seed": 0}}}}),
    ]))
    trials = []
    for _ in range(n_sobol + n_bo):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, params in client.get_next_trials(max_trials=1).items():
                client.complete_trial(trial_index=index, raw_data={"f": objective(params)})
                trials.append(params)
    return trials


def test_mixed_space_reaches_optimize_acqf_mixed_gennes(recorded):
    trials = run_loop(FLOATS + DISCRETE, n_sobol=5, n_bo=2)
    assert recorded == ["optimize_acqf_mixed_gennes"] * 2
    for params in trials:  # valid values: Ax would raise on an invalid arm, but check what the user sees
        assert isinstance(params["n"], int) and 1 <= params["n"] <= 6
        assert params["kind"] in {"a", "b", "c"}
        assert all(0.0 <= params[f"x{i}"] <= 1.0 for i in range(2))


def test_continuous_space_reaches_optimize_acqf_gennes(recorded):
    run_loop(FLOATS + [RangeParameterConfig(name="n", parameter_type="float", bounds=(1.0, 6.0)),
                       ChoiceParameterConfig(name="kind", parameter_type="str", values=["b"])], n_sobol=4, n_bo=1)
    assert recorded == ["optimize_acqf_gennes"]


def test_fully_discrete_space_keeps_ax_optimizer(recorded):
    # Integers only (Ax one-hot encodes an unordered choice into relaxed columns, which are not discrete):
    # 18 combinations, which Ax enumerates.
    integers = [DISCRETE[0], RangeParameterConfig(name="m", parameter_type="int", bounds=(0, 2))]
    trials = run_loop(integers, n_sobol=4, n_bo=2)
    assert recorded == []
    assert len({(p["n"], p["m"]) for p in trials}) == len(trials)
