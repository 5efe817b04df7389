"""The paper's acquisition optimizers of `benchmarks.baselines`, and the registry by name / import path with them."""

from __future__ import annotations

import json

import pytest
import torch
from botorch.acquisition import AcquisitionFunction
from botorch.utils.sampling import manual_seed

from benchmarks.baselines import (
    PAPER_BO_CONFIG,
    optimize_acqf_cma,
    optimize_acqf_gennes_paper,
    optimize_acqf_random_lbfgs,
)
from gennes_bo.acquisition import count_acqf_evals
from gennes_bo.acquisition.options import GREEDY_RESCREEN, default_acqf_config, recommended_restarts
from gennes_bo.compare.registry import ACQF_OPTIMIZERS, AcqfTask, get_acqf_optimizer, run_acqf_optimizer

BOUNDS = torch.tensor([[-1.0, 0.0, 2.0], [1.0, 2.0, 5.0]], dtype=torch.float64)
PEAK = torch.tensor([0.3, 1.5, 4.0], dtype=torch.float64)


class Bumps(AcquisitionFunction):
    """A smooth acquisition-like function of `... x q x d` batches: a global peak at `PEAK` (value 0 for q = 1)
    and a lower local one, summed over the q points."""

    def __init__(self) -> None:
        torch.nn.Module.__init__(self)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        scale = (BOUNDS[1] - BOUNDS[0]).to(X)
        near = -(((X - PEAK.to(X)) / scale) ** 2).sum(-1)
        far = -(((X - BOUNDS[0].to(X)) / scale) ** 2).sum(-1) - 0.2
        return torch.logsumexp(torch.stack([20 * near, 20 * far]), 0).sum(-1) / 20


@pytest.mark.parametrize("q", [1, 2])
@pytest.mark.parametrize("optimizer", [optimize_acqf_random_lbfgs, optimize_acqf_cma, optimize_acqf_gennes_paper])
def test_shapes_bounds_and_seeding(optimizer, q: int) -> None:
    acqf = Bumps()
    with manual_seed(3):
        first, value = optimizer(acqf, BOUNDS, q)
    with manual_seed(3):
        again, _ = optimizer(acqf, BOUNDS, q)
    assert first.shape == (q, 3) and value.shape == () and first.dtype == BOUNDS.dtype
    assert ((first >= BOUNDS[0]) & (first <= BOUNDS[1])).all()
    assert torch.equal(first, again)
    assert float(value) == pytest.approx(float(acqf(first.unsqueeze(0))), abs=1e-9)


@pytest.mark.parametrize("optimizer", [optimize_acqf_random_lbfgs, optimize_acqf_cma])
def test_the_converging_baselines_find_the_global_peak(optimizer) -> None:
    with manual_seed(0):
        candidates, value = optimizer(Bumps(), BOUNDS, 1)
    assert float(value) > -1e-6 and torch.allclose(candidates[0], PEAK, atol=1e-2)


def test_random_lbfgs_starts_uniformly_and_runs_each_start_to_convergence() -> None:
    acqf = Bumps()
    with count_acqf_evals(acqf) as few, manual_seed(0):
        optimize_acqf_random_lbfgs(acqf, BOUNDS, 1, num_restarts=2)
    with count_acqf_evals(acqf) as many, manual_seed(0):
        optimize_acqf_random_lbfgs(acqf, BOUNDS, 1, num_restarts=20)
    assert 2 < few.n_evals < many.n_evals  # no raw samples: only the starts' own L-BFGS-B evaluations
    with pytest.raises(ValueError, match="`raw_samples` must be None"):
        optimize_acqf_random_lbfgs(acqf, BOUNDS, 1, raw_samples=64)
    with pytest.raises(ValueError, match="`num_restarts` must be >= 1"):
        optimize_acqf_random_lbfgs(acqf, BOUNDS, 1, num_restarts=0)


def test_cma_spends_at_most_its_budget_and_validates() -> None:
    acqf = Bumps()
    with count_acqf_evals(acqf) as counter, manual_seed(0):
        optimize_acqf_cma(acqf, BOUNDS, 1, max_evals=100)
    assert 0 < counter.n_evals <= 100 + 20  # pycma checks `maxfevals` between generations
    with pytest.raises(ValueError, match="`max_evals` must be >= 1"):
        optimize_acqf_cma(acqf, BOUNDS, 1, max_evals=0)
    with pytest.raises(ValueError, match="`sigma0` must be > 0"):
        optimize_acqf_cma(acqf, BOUNDS, 1, sigma0=0.0)


def test_gennes_paper_evaluates_population_times_iterations() -> None:
    acqf = Bumps()
    config = PAPER_BO_CONFIG.replace(n_iterations=7)
    with count_acqf_evals(acqf) as counter, manual_seed(0):
        optimize_acqf_gennes_paper(acqf, BOUNDS, 2, config=config)
    assert counter.n_evals == config.population_size * 7  # no raw samples, no polish


def test_bad_bounds_and_q_are_rejected() -> None:
    with pytest.raises(ValueError, match="`bounds` must be a 2 x d tensor"):
        optimize_acqf_cma(Bumps(), BOUNDS[0], 1)
    with pytest.raises(ValueError, match="`q` must be >= 1"):
        optimize_acqf_random_lbfgs(Bumps(), BOUNDS, 0)


def my_optimizer(acq_function, bounds, q, num_restarts, raw_samples):
    """An `optimize_acqf`-shaped plug-in: the best of `raw_samples` uniform points."""
    X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(raw_samples, q, bounds.shape[1], dtype=bounds.dtype)
    values = acq_function(X)
    return X[values.argmax()], values.max()


def settings_of(name: str, q: int, **task: int) -> dict | None:
    return get_acqf_optimizer(name).resolved_settings(AcqfTask(q=q, **task))


def test_registry_resolves_names_and_import_paths() -> None:
    acqf = Bumps()
    for name in ACQF_OPTIMIZERS:
        if name == "botorch-10x":
            continue  # `botorch-default` with ten times the budget
        optimizer = get_acqf_optimizer(name).make(AcqfTask(paper_starts=3, paper_iterations=4))
        run = run_acqf_optimizer(optimizer, acqf, BOUNDS, 1, seed=0)
        assert run.candidates.shape == (1, 3) and run.n_evals > 0 and run.wall_time > 0
    plugin = get_acqf_optimizer(f"{__name__}:my_optimizer").make()
    run = run_acqf_optimizer(plugin, acqf, BOUNDS, 2, seed=0, record=True)
    assert run.n_evals == 1024 and run.trace[-1] == (1024, pytest.approx(run.value))
    for bad, message in [("nope", "unknown acquisition optimizer"), ("no_such_module_x:f", "cannot import"),
                         (f"{__name__}:BOUNDS", "is not callable")]:
        with pytest.raises(ValueError, match=message):
            get_acqf_optimizer(bad)


def test_settings_spell_out_what_each_built_in_name_runs_with() -> None:
    for name in ACQF_OPTIMIZERS:
        settings = settings_of(name, 1)
        assert settings and json.loads(json.dumps(settings)) == settings
    restarts, raw = recommended_restarts(1)
    # What optimize_acqf_gennes resolves its settings to (AcqfSettings.to_dict()); no dimension: the policy decides
    single = {"num_restarts": restarts, "raw_samples": raw, "config": default_acqf_config(1).to_dict(),
              "batch_strategy": "greedy", "rescreen": GREEDY_RESCREEN, "pipeline": "auto"}
    assert settings_of("gennes-hybrid", 1) == single
    _, raw = recommended_restarts(4)  # per greedy step; its restarts depend on d (the policy), left to each call
    # ... and so does the batch strategy (qUCB below d = 30 runs jointly): "auto" in the record
    assert settings_of("gennes-hybrid", 4) == {**single, "num_restarts": None, "raw_samples": raw,
                                               "batch_strategy": "auto"}
    assert settings_of("gennes-stage", 4)["pipeline"] == "gennes"
    assert settings_of("gennes", 1, paper_iterations=30)["config"] == \
        PAPER_BO_CONFIG.replace(n_iterations=30).to_dict()
    assert settings_of("lbfgs-paper", 1, paper_starts=100)["num_restarts"] == 100
    assert settings_of("botorch-default", 4) == {"num_restarts": 20, "raw_samples": 1024}
    assert settings_of("botorch-10x", 1) == {"num_restarts": 200, "raw_samples": 10240}
    assert settings_of("cma", 1) == {"max_evals": 2048, "population_size": None, "sigma0": 0.2}
    ablation = settings_of("lbfgs-same-starts", 4)  # the hybrid's starts, without the generators
    shared = ("num_restarts", "raw_samples", "batch_strategy", "rescreen")
    assert {k: ablation[k] for k in shared} == {k: settings_of("gennes-hybrid", 4)[k] for k in shared}
    assert ablation["pipeline"] == "lbfgs"
    assert settings_of(f"{__name__}:my_optimizer", 1) is None  # a plug-in's settings are its own code's
