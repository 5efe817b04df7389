"""GennesSampler in Optuna studies: valid mixed-space suggestions that improve, seeds, pending trials, constraints,
and two processes sharing one storage. Small GENNES settings (conftest's `fast_config`) keep each study short."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

optuna = pytest.importorskip("optuna")

from optuna.distributions import FloatDistribution  # noqa: E402
from optuna.trial import TrialState, create_trial  # noqa: E402

from gennes_bo import AcqfSettings  # noqa: E402
from gennes_bo.integrations.optuna import GennesSampler, SamplerAcquisition, _constraint_values  # noqa: E402
from gennes_bo.models import REFIT_EVERY, WARM_FIT_FTOL, GPSurrogate, fit_gp, warp  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CATEGORY_COST = {"a": 1.0, "b": 0.0, "c": 2.0}

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def make_sampler(fast_config):
    """GennesSampler with a small acquisition search (2 restarts, 64 raw samples, a short GENNES run); the keywords
    of its surrogate and acquisition set theirs."""

    def make(*, pending=True, avoid_repeats=True, warp_outputs=True, warm_start=True, refit_every=None, **kwargs):
        settings = AcqfSettings(num_restarts=2, raw_samples=64, config=fast_config)
        acquisition = SamplerAcquisition(settings=settings, pending=pending, avoid_repeats=avoid_repeats)
        surrogate = GPSurrogate(warp_outputs=warp_outputs, warm_start=warm_start, refit_every=refit_every)
        return GennesSampler(surrogate=surrogate, acquisition=acquisition, **kwargs)

    return make


def mixed_objective(trial) -> float:
    """Minimum 0 at x = 1, lr = 1e-2, units = 5, kind = "b"."""
    x = trial.suggest_float("x", -3.0, 3.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    units = trial.suggest_int("units", 1, 9, step=2)
    kind = trial.suggest_categorical("kind", list(CATEGORY_COST))
    return (x - 1) ** 2 + (math.log10(lr) + 2) ** 2 + (units - 5) ** 2 / 4 + CATEGORY_COST[kind]


def quadratic(trial) -> float:
    return (trial.suggest_float("x", 0.0, 1.0) - 0.3) ** 2 + (trial.suggest_float("y", 0.0, 1.0) - 0.6) ** 2


def test_mixed_space_study_suggests_valid_values_and_improves_on_the_startup_trials(make_sampler):
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=6))
    study.optimize(mixed_objective, n_trials=14)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 14
    for trial in trials:
        for name, distribution in trial.distributions.items():
            assert distribution._contains(distribution.to_internal_repr(trial.params[name])), (name, trial.params)
    startup_best = min(t.value for t in trials[:6])
    model_best = min(t.value for t in trials[6:])
    assert model_best < min(startup_best, 1.0), (startup_best, model_best)  # 14 random trials: best 1.5-4


def test_same_seed_same_suggestions(make_sampler):
    def suggestions(seed: int) -> list[dict]:
        study = optuna.create_study(sampler=make_sampler(seed=seed, n_startup_trials=3))
        study.optimize(lambda t: quadratic(t) + CATEGORY_COST[t.suggest_categorical("kind", ["a", "b", "c"])],
                       n_trials=5)
        return [t.params for t in study.trials]

    first = suggestions(0)
    assert suggestions(0) == first
    other = suggestions(1)
    assert all(a != b for a, b in zip(first, other, strict=True))  # startup and model trials both differ


@pytest.mark.parametrize("pending", [True, False])
def test_a_running_trial_is_a_pending_point(make_sampler, pending):
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=4, pending=pending))
    study.optimize(quadratic, n_trials=5)
    running = study.ask()
    running_point = (running.suggest_float("x", 0.0, 1.0), running.suggest_float("y", 0.0, 1.0))
    following = study.ask()  # another worker's trial, while the first one runs
    next_point = (following.suggest_float("x", 0.0, 1.0), following.suggest_float("y", 0.0, 1.0))
    distance = math.dist(running_point, next_point)
    if pending:
        assert distance > 0.1
    else:  # the same acquisition, maximized again: the same point up to the search's seed
        assert distance < 0.03


def test_threads_share_one_sampler(make_sampler):
    threads = torch.get_num_threads()
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=2))
    study.optimize(quadratic, n_trials=6, n_jobs=2)
    assert sorted(t.number for t in study.trials) == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert torch.get_num_threads() == threads  # the sampler's one-thread setting is undone


def test_constraints_func_steers_the_search_to_the_feasible_optimum(make_sampler):
    def objective(trial) -> float:  # unconstrained minimum at (0.8, 0.8); on x + y <= 1 it is 0.18 at (0.5, 0.5)
        return (trial.suggest_float("x", 0.0, 1.0) - 0.8) ** 2 + (trial.suggest_float("y", 0.0, 1.0) - 0.8) ** 2

    def constraints(trial) -> tuple[float]:
        return (trial.params["x"] + trial.params["y"] - 1.0,)

    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=4, constraints_func=constraints))
    study.optimize(objective, n_trials=11)
    feasible = [constraints(t)[0] <= 0 for t in study.trials]
    assert [tuple(_constraint_values([t])[0].tolist()) for t in study.trials] == [constraints(t) for t in study.trials]
    assert sum(feasible[4:]) >= 4  # of 7 model-based trials; without the constraint they head for (0.8, 0.8)
    best_feasible = min(t.value for t, ok in zip(study.trials, feasible, strict=True) if ok)
    assert best_feasible < 0.2
    if hasattr(study.trials[0], "constraints"):  # Optuna >= 5 reports the best feasible trial
        assert study.best_value == best_feasible


def test_constraint_values_from_constraints_func_and_from_set_constraint():
    distributions = {"x": FloatDistribution(0.0, 1.0)}
    stored = [create_trial(params={"x": 0.5}, distributions=distributions, value=1.0,
                           system_attrs={"constraints": (0.5, -1.0)}) for _ in range(2)]  # constraints_func's format
    assert _constraint_values(stored).tolist() == [[0.5, -1.0], [0.5, -1.0]]
    assert _constraint_values([create_trial(params={"x": 0.5}, distributions=distributions, value=1.0)]) is None
    with pytest.raises(ValueError, match="same number of constraint values"):
        _constraint_values([stored[0], create_trial(params={"x": 0.5}, distributions=distributions, value=1.0)])
    if hasattr(optuna.trial.Trial, "set_constraint"):  # Optuna >= 5
        study = optuna.create_study()
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint("memory", 2.0)
        trial.set_constraint("latency", -1.0)
        study.tell(trial, 1.0)
        assert _constraint_values(study.trials).tolist() == [[-1.0, 2.0]]  # by name


@pytest.mark.parametrize(("argument", "value"), [("n_startup_trials", -1), ("seed", 1.5)])
def test_invalid_settings_raise(argument, value):
    with pytest.raises(ValueError, match=f"`{argument}` must be an integer"):
        GennesSampler(**{argument: value})


def test_bad_extension_points_raise_naming_them():
    with pytest.raises(TypeError, match="`acquisition` must be a SamplerAcquisition"):
        GennesSampler(acquisition=AcqfSettings())
    with pytest.raises(TypeError, match="`surrogate` must be callable"):
        GennesSampler(surrogate=42)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['n_startup'\]"):
        GennesSampler(n_startup=3)
    with pytest.raises(ValueError, match="`mc_samples` must be an integer"):
        SamplerAcquisition(mc_samples=0)


def _corner(calls):
    def corner(acq_function, bounds, q):
        calls.append(q)
        return bounds[1:].clone(), acq_function(bounds[1:].unsqueeze(0))

    return corner


def test_an_acquisition_optimizer_replaces_gennes_and_refuses_its_settings():
    calls = []
    acquisition = SamplerAcquisition(optimizer=_corner(calls))
    study = optuna.create_study(sampler=GennesSampler(seed=0, n_startup_trials=3, acquisition=acquisition))
    study.optimize(quadratic, n_trials=5)
    assert calls == [1, 1]
    assert [t.params for t in study.trials[3:]] == [pytest.approx({"x": 1.0, "y": 1.0})] * 2
    with pytest.raises(ValueError, match="with `optimizer` it must be None"):
        SamplerAcquisition(settings=AcqfSettings(raw_samples=64), optimizer=_corner(calls))


def test_a_users_surrogate_is_fitted_and_used():
    seen = []

    def my_surrogate(X, Y, n_objectives=1):  # e.g. a model of the user's; here BoTorch's GP, counted
        seen.append((X.shape, Y.shape, n_objectives))
        return fit_gp(X, Y)

    study = optuna.create_study(sampler=GennesSampler(seed=0, n_startup_trials=3, surrogate=my_surrogate))
    study.optimize(quadratic, n_trials=5)
    assert seen == [((3, 2), (3, 1), 1), ((4, 2), (4, 1), 1)]
    assert min(t.value for t in study.trials) < 0.2


def test_analytic_logei_only_where_one_point_needs_no_monte_carlo():
    from botorch.acquisition import LogExpectedImprovement, qLogNoisyExpectedImprovement

    X = torch.rand(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    model = fit_gp(X, -((X - 0.4) ** 2).sum(-1, keepdim=True))
    analytic = SamplerAcquisition(analytic=True)
    acqf = analytic.build(model, X, None, 1, 0, seed=0)
    assert isinstance(acqf, LogExpectedImprovement)
    assert acqf.best_f.item() == pytest.approx(model.posterior(X).mean.max().item())
    assert isinstance(analytic.build(model, X, X[:1], 1, 0, seed=0), qLogNoisyExpectedImprovement)  # pending
    assert isinstance(SamplerAcquisition().build(model, X, None, 1, 0, seed=0), qLogNoisyExpectedImprovement)
    assert "LogEI with one objective" in analytic.to_dict()["acquisition"]
    assert "LogEI with one objective" not in SamplerAcquisition().to_dict()["acquisition"]


def test_an_analytic_study_finds_the_minimum(fast_config):
    acquisition = SamplerAcquisition(settings=AcqfSettings(num_restarts=2, raw_samples=64, config=fast_config),
                                     analytic=True)
    study = optuna.create_study(sampler=GennesSampler(seed=0, n_startup_trials=4, acquisition=acquisition))
    study.optimize(quadratic, n_trials=12)
    assert study.best_value < 0.02


def test_arguments_of_earlier_versions_warn_and_set_the_surrogate_and_acquisition(fast_config):
    with pytest.warns(DeprecationWarning, match="GennesSampler's `raw_samples` is deprecated"):
        sampler = GennesSampler(raw_samples=64, num_restarts=2, config=fast_config, avoid_repeats=False,
                                consider_running_trials=False, warp_outputs=False, warm_start_gp=False)
    assert sampler.acquisition == SamplerAcquisition(
        settings=AcqfSettings(num_restarts=2, raw_samples=64, config=fast_config), pending=False, avoid_repeats=False)
    assert (sampler.surrogate.warp_outputs, sampler.surrogate.warm_start) == (False, False)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="`raw_samples` must be an integer"):
        GennesSampler(raw_samples=0)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="with `acqf_optimizer` they must be"):
        GennesSampler(raw_samples=64, acqf_optimizer=_corner([]))
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="set the same things"):
        GennesSampler(warp_outputs=False, surrogate=GPSurrogate())


WORKER = """
import sys, time
import optuna
from gennes_bo import AcqfSettings, GennesConfig
from gennes_bo.integrations.optuna import GennesSampler, SamplerAcquisition

try:
    from optuna.storages.journal import JournalFileBackend
except ImportError:  # Optuna < 4
    from optuna.storages import JournalFileStorage as JournalFileBackend

optuna.logging.set_verbosity(optuna.logging.WARNING)
config = GennesConfig(n_generators=2, population_size=8, n_iterations=5, hidden_width=16, n_polish=2,
                      polish_maxiter=10)
settings = AcqfSettings(num_restarts=2, raw_samples=64, config=config)
sampler = GennesSampler(seed=0, n_startup_trials=2, acquisition=SamplerAcquisition(settings=settings))
storage = optuna.storages.JournalStorage(JournalFileBackend(sys.argv[1]))
study = optuna.load_study(study_name="shared", storage=storage, sampler=sampler)

def objective(trial):
    value = (trial.suggest_float("x", 0.0, 1.0) - 0.3) ** 2 + trial.suggest_int("n", 1, 8, log=True)
    time.sleep(0.2)  # the two workers' trials overlap
    return value

study.optimize(objective, n_trials=int(sys.argv[2]))
"""


def test_two_processes_share_one_study_without_losing_or_repeating_trials(tmp_path):
    from optuna.storages import JournalStorage

    try:
        from optuna.storages.journal import JournalFileBackend
    except ImportError:  # Optuna < 4
        from optuna.storages import JournalFileStorage as JournalFileBackend

    path = str(tmp_path / "journal.log")
    optuna.create_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, path, "4"], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
    trials = optuna.load_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path))).trials
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    first, second = sorted(trials, key=lambda t: t.number)[:2]  # both workers' first trials: random draws
    assert first.params != second.params  # one seed in both workers, yet different draws (seeded per trial)


def discrete_objective(trial) -> float:
    """15 configurations; the minimum 0 at k = 1, kind = "b" (a corner of the int range, as k-NN's k = 1)."""
    k = trial.suggest_int("k", 1, 5)
    return (k - 1) ** 2 / 4 + CATEGORY_COST[trial.suggest_categorical("kind", list(CATEGORY_COST))]


@pytest.mark.parametrize("avoid_repeats", [True, False])
def test_model_based_trials_do_not_repeat_an_evaluated_configuration(make_sampler, avoid_repeats):
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=4, avoid_repeats=avoid_repeats))
    study.optimize(discrete_objective, n_trials=12)
    configurations = [tuple(sorted(t.params.items())) for t in study.trials]
    repeats = [i for i in range(4, 12) if configurations[i] in configurations[:i]]
    if avoid_repeats:
        assert repeats == [], configurations
        assert study.best_value == 0.0
    else:  # the incumbent, a corner, is suggested again and again
        assert len(repeats) >= 3, configurations


def test_a_fully_evaluated_space_suggests_an_evaluated_configuration(make_sampler):
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=2))
    study.optimize(lambda t: CATEGORY_COST[t.suggest_categorical("kind", list(CATEGORY_COST))], n_trials=6)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    assert {t.params["kind"] for t in study.trials} == set(CATEGORY_COST)


def test_best_unseen_neighbor_widens_ring_by_ring():
    from optuna._transform import _SearchSpaceTransform
    from optuna.distributions import CategoricalDistribution, IntDistribution

    from gennes_bo.integrations.optuna_space import best_unseen_neighbor, param_key

    space = {"k": IntDistribution(1, 9), "kind": CategoricalDistribution(["a", "b"])}
    transform = _SearchSpaceTransform(space, transform_0_1=True)

    def acqf(X):  # highest at large k: a ring's best is its largest k
        return X[..., 0, 0]

    start = {"k": 5, "kind": "a"}
    ring_1 = [{"k": 4, "kind": "a"}, {"k": 6, "kind": "a"}, {"k": 5, "kind": "b"}]
    avoid = {param_key(p, space) for p in [start, *ring_1]}
    assert best_unseen_neighbor(acqf, start, space, transform, set()) == {"k": 6, "kind": "a"}
    assert best_unseen_neighbor(acqf, start, space, transform, avoid) == {"k": 7, "kind": "a"}
    everything = {(k, kind) for k in range(1, 10) for kind in "ab"}
    assert best_unseen_neighbor(acqf, start, space, transform, everything) == start


def test_output_warp_keeps_the_ranking_and_spreads_the_good_trials():
    Y = torch.tensor([[0.0], [-0.1], [-0.2], [-0.15], [-0.05], [-50.0]], dtype=torch.float64)  # one diverged trial
    warped = warp(Y)
    assert torch.equal(warped.argsort(0), Y.argsort(0))

    def share_of_good(values):  # the five good trials' spread, as a share of the whole range
        good = values[:5, 0]
        return float((good.max() - good.min()) / (values.max() - values.min()))

    assert share_of_good(warped) > 5 * share_of_good(Y)
    constant = torch.ones(3, 1, dtype=torch.float64)
    assert torch.equal(warp(constant), constant)


@pytest.mark.parametrize("warp_outputs", [True, False])
def test_warped_and_plain_outputs_both_find_the_quadratic_minimum(make_sampler, warp_outputs):
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=5, warp_outputs=warp_outputs))
    study.optimize(quadratic, n_trials=12)
    assert min(t.value for t in study.trials[5:]) < min(min(t.value for t in study.trials[:5]), 0.01)


@pytest.fixture
def recorded_fits(monkeypatch) -> list[tuple]:
    """Each GP fit of the default surrogate as (the start it was given, its tolerance, the parameters it ended
    with)."""
    import gennes_bo.models as models

    fits = []
    original = models.fit_gp

    def recording_fit(X, Y, bounds=None, *, start=None, ftol=None, **kwargs):
        model = original(X, Y, bounds, start=start, ftol=ftol, **kwargs)
        fits.append((start, ftol, {name: value.detach().clone() for name, value in model.named_parameters()}))
        return model

    monkeypatch.setattr(models, "fit_gp", recording_fit)
    return fits


def test_each_gp_fit_starts_from_the_previous_fit_of_the_same_shape(make_sampler, recorded_fits):
    sampler = make_sampler(seed=0, n_startup_trials=3, refit_every=1)
    study = optuna.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=6)
    assert len(recorded_fits) == 3 and recorded_fits[0][0] is None
    assert all(ftol == WARM_FIT_FTOL for _, ftol, _ in recorded_fits)
    for (_, _, previous), (start, _, _) in itertools.pairwise(recorded_fits):
        assert start.keys() == previous.keys()
        assert all(torch.equal(start[name], previous[name]) for name in start)

    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0) - 0.3) ** 2, n_trials=2)  # the space shrinks to x
    # A fit of another shape (x alone) starts from BoTorch's initial values.
    assert len(recorded_fits) == 5 and recorded_fits[3][0] is not None and recorded_fits[4][0] is None


def test_refit_every_fits_on_every_kth_call_and_conditions_on_the_new_data_between(recorded_fits):
    surrogate = GPSurrogate(refit_every=3)
    X = torch.rand(8, 2, dtype=torch.double)
    Y = (X**2).sum(-1, keepdim=True)
    models = [surrogate(X[:n], Y[:n]) for n in range(3, 9)]
    assert len(recorded_fits) == 2  # calls 1 and 4
    fitted = recorded_fits[0][2]
    between = dict(models[1].named_parameters())
    assert all(torch.equal(between[name], fitted[name]) for name in fitted)  # the first fit's hyperparameters
    assert models[1].train_inputs[0].shape[0] == 4 and not models[1].training  # on the new data, ready to predict
    with torch.no_grad():
        assert torch.isfinite(models[2].posterior(X).mean).all()
    assert surrogate.to_dict()["refit_every"] == 3


def test_by_default_warm_fits_refit_every_fifth_call_and_cold_fits_every_call():
    assert GPSurrogate().refit_every == REFIT_EVERY == 5 and GPSurrogate().to_dict()["refit_every"] == 5
    assert GPSurrogate(warm_start=False).refit_every == 1  # a cold fit has no hyperparameters to reuse
    assert "refit_every" not in GPSurrogate(refit_every=1).to_dict()


@pytest.mark.parametrize(("kwargs", "match"), [({"refit_every": 0}, "integer >= 1"),
                                               ({"refit_every": 2.0}, "integer >= 1"),
                                               ({"refit_every": 2, "warm_start": False}, "warm_start")])
def test_refit_every_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GPSurrogate(**kwargs)


def test_without_gp_warm_starts_a_suggestion_depends_only_on_the_seed_and_the_trials(make_sampler, recorded_fits):
    study = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=3, warm_start=False))
    study.optimize(quadratic, n_trials=6)
    assert [(start, ftol) for start, ftol, _ in recorded_fits] == [(None, None)] * 3
    resumed = optuna.create_study(sampler=make_sampler(seed=0, n_startup_trials=3, warm_start=False))
    for trial in study.trials[:5]:
        resumed.add_trial(trial)
    resumed.optimize(quadratic, n_trials=1)  # a fresh sampler object, as in a new process
    assert resumed.trials[5].params == study.trials[5].params


def two_objectives(trial) -> tuple[float, float]:
    x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)
    trial.set_constraint("budget", x + y - 1.2)  # feasible when x + y <= 1.2
    return x**2 + y**2, (x - 1) ** 2 + (y - 1) ** 2


def test_a_two_objective_study_with_constraints_runs_and_fills_the_front(make_sampler):
    from optuna._hypervolume import compute_hypervolume  # the reference's own hypervolume

    study = optuna.create_study(directions=["minimize", "minimize"], sampler=make_sampler(seed=0, n_startup_trials=5))
    study.optimize(two_objectives, n_trials=9)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 9
    feasible = [t for t in study.trials if all(c <= 0 for c in t.constraints.values())]
    model_trials = [t for t in feasible if t.number >= 5]
    assert len(model_trials) >= 3  # the model keeps to the feasible region

    def hypervolume(trials):
        return compute_hypervolume(np.array([t.values for t in trials]), np.array([2.0, 2.0]))

    assert hypervolume(feasible) > hypervolume([t for t in feasible if t.number < 5])


def test_the_gp_priors_are_a_setting():
    torch.manual_seed(0)
    X = torch.rand(10, 3, dtype=torch.float64)
    Y = torch.stack([X.sum(-1), (X**2).sum(-1)], dim=-1)
    default = fit_gp(X, Y[:, 0])
    gamma = GPSurrogate(priors="gamma")(X, Y, n_objectives=2)
    assert type(default.covar_module).__name__ == "RBFKernel"  # BoTorch's default, dimension-scaled priors
    kernel = gamma.covar_module.base_kernel
    assert type(kernel).__name__ == "MaternKernel" and kernel.lengthscale.shape == (2, 1, 3)  # one per objective
    assert type(kernel.lengthscale_prior).__name__ == "GammaPrior"
    assert "priors" not in GPSurrogate().to_dict()  # the default's records are unchanged
    assert GPSurrogate(priors="gamma").to_dict()["priors"] == "gamma"
    with pytest.raises(ValueError, match="`priors` must be one of"):
        GPSurrogate(priors="lognormal")
    with pytest.raises(ValueError, match="`priors` must be one of"):
        fit_gp(X, Y, priors="none")


def test_the_reference_point_of_qlognehvi_is_a_setting():
    from botorch.utils.multi_objective.hypervolume import infer_reference_point
    from botorch.utils.multi_objective.pareto import is_non_dominated

    torch.manual_seed(0)
    X = torch.rand(8, 2, dtype=torch.float64)
    Y = torch.stack([-(X**2).sum(-1), -((X - 1) ** 2).sum(-1)], dim=-1)
    model = fit_gp(X, Y)
    with torch.no_grad():
        means = model.posterior(X).mean
    low, high = means.min(dim=0).values, means.max(dim=0).values
    worst = SamplerAcquisition().build(model, X, None, 2, 0, seed=0)
    assert torch.allclose(worst.ref_point, low - 0.1 * (high - low))
    pareto = SamplerAcquisition(reference_point="pareto").build(model, X, None, 2, 0, seed=0)
    assert torch.allclose(pareto.ref_point, infer_reference_point(means[is_non_dominated(means)]))
    assert (pareto.ref_point >= worst.ref_point).all()  # the front's nadir is never below the worst point
    assert "reference_point" not in SamplerAcquisition().to_dict()  # the default's records are unchanged
    assert SamplerAcquisition(reference_point="pareto").to_dict()["reference_point"] == "pareto"
    with pytest.raises(ValueError, match="`reference_point` must be one of"):
        SamplerAcquisition(reference_point="nadir")


def test_qlogehvi_improves_on_the_front_of_the_feasible_posterior_means():
    from botorch.acquisition.multi_objective.logei import qLogExpectedHypervolumeImprovement
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning
    from botorch.utils.multi_objective.pareto import is_non_dominated

    torch.manual_seed(0)
    X = torch.rand(8, 2, dtype=torch.float64)
    # two objectives (maximized) and a constraint, feasible where x0 <= 0.5
    Y = torch.stack([-(X**2).sum(-1), -((X - 1) ** 2).sum(-1), X[:, 0] - 0.5], dim=-1)
    model = fit_gp(X, Y)
    with torch.no_grad():
        means = model.posterior(X).mean
    acquisition = SamplerAcquisition(hypervolume="qLogEHVI")
    acqf = acquisition.build(model, X, None, 2, 1, seed=0)
    assert isinstance(acqf, qLogExpectedHypervolumeImprovement)
    front = means[means[:, 2] <= 0, :2]
    assert 0 < len(front) < len(X)  # the points predicted infeasible are left out of the front
    expected = FastNondominatedPartitioning(ref_point=acqf.ref_point, Y=front[is_non_dominated(front)])
    lower, upper = expected.get_hypercell_bounds()
    assert torch.equal(acqf.cell_lower_bounds, lower) and torch.equal(acqf.cell_upper_bounds, upper)
    unmasked = FastNondominatedPartitioning(ref_point=acqf.ref_point, Y=means[:, :2]).get_hypercell_bounds()[0]
    assert unmasked.shape != lower.shape or not torch.equal(unmasked, lower)  # the mask changes the front here
    X_pending = torch.rand(1, 2, dtype=torch.float64)
    assert torch.equal(acquisition.build(model, X, X_pending, 2, 1, seed=0).X_pending, X_pending)
    assert "hypervolume" not in SamplerAcquisition().to_dict()  # the default's records are unchanged
    assert acquisition.to_dict()["hypervolume"] == "qLogEHVI"
    with pytest.raises(ValueError, match="`hypervolume` must be one of"):
        SamplerAcquisition(hypervolume="qEHVI")


def test_botorch_warnings_go_to_the_debug_log_and_repeated_fit_failures_warn_once(caplog):
    from botorch.exceptions.errors import ModelFittingError

    def noisy_surrogate(X, Y, n_objectives=1):
        warnings.warn("Optimization failed within `scipy.optimize.minimize` with status 2 and message ABNORMAL",
                      RuntimeWarning, stacklevel=2)
        return fit_gp(X, Y)

    study = optuna.create_study(sampler=GennesSampler(seed=0, n_startup_trials=3, surrogate=noisy_surrogate))
    with warnings.catch_warnings(record=True) as caught, caplog.at_level("DEBUG", "gennes_bo.integrations.optuna"):
        warnings.simplefilter("always")
        study.optimize(quadratic, n_trials=4)
    assert not [w for w in caught if "ABNORMAL" in str(w.message)]
    assert any("ABNORMAL" in record.getMessage() for record in caplog.records)

    def failing_surrogate(X, Y, n_objectives=1):
        raise ModelFittingError("All attempts to fit the model have failed.")

    study = optuna.create_study(sampler=GennesSampler(seed=0, n_startup_trials=2, surrogate=failing_surrogate))
    with pytest.warns(RuntimeWarning, match="failed to fit in 3 trials in a row") as caught:
        study.optimize(quadratic, n_trials=8)
    assert len([w for w in caught if "failed to fit" in str(w.message)]) == 1  # once, not every trial
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 8  # drawn by the independent sampler
