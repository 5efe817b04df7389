"""bayesmark's problems (spaces, losses equal to bayesmark's own stored values, determinism), the left-out list, the
dev/test split, and bayesmark's scoring against a hand-computed example and an independent re-implementation."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402

from benchmarks.bayesmark_problems import (  # noqa: E402
    ALL_PROBLEMS,
    DEV_PROBLEMS,
    LEFT_OUT,
    PROBLEMS,
    TEST_PROBLEMS,
    BayesmarkProblem,
    UnknownProblemError,
    compute_baseline,
    expected_min,
    get_problem,
    mean_ranks,
    mean_scores,
    normalized_scores,
    quantile,
    split_of,
)

REFERENCE = Path("/work/bench_env/ref/bayesmark_scoring_ref.py")  # numpy re-implementation, checked on bayesmark
BAYESMARK_MODELS = ("DT", "MLP-adam", "MLP-sgd", "RF", "SVM", "ada", "kNN", "lasso", "linear")  # constants.py:69


def midpoint(space: dict) -> dict:
    """The middle of each distribution (of its log scale for log ones); a categorical's first choice."""
    point = {}
    for name, dist in space.items():
        if isinstance(dist, CategoricalDistribution):
            point[name] = dist.choices[0]
            continue
        middle = math.sqrt(dist.low * dist.high) if dist.log else (dist.low + dist.high) / 2
        point[name] = round(middle) if isinstance(dist, IntDistribution) else middle
    return point


def assert_finite_at_midpoints(problems) -> None:
    for problem in problems:
        space = problem.space()
        assert space, problem.name
        loss = problem.evaluate(midpoint(space))
        assert isinstance(loss, float) and math.isfinite(loss), problem.name


def test_every_model_evaluates_at_its_midpoint_to_a_finite_float_on_iris() -> None:
    # and the two regression spaces that differ from the classifiers' (the slow test below covers every problem)
    problems = [p for p in PROBLEMS.values() if p.dataset == "iris"] + [get_problem("lasso_diabetes_mae"),
                                                                       get_problem("linear_diabetes_mae")]
    assert len(problems) == 20
    assert_finite_at_midpoints(problems)


@pytest.mark.slow  # ~25 s of CPU: every kept problem
def test_every_kept_problem_evaluates_at_its_midpoint_to_a_finite_float() -> None:
    assert_finite_at_midpoints(PROBLEMS.values())


@pytest.mark.parametrize(("name", "params", "bayesmark_loss"), [
    # bayesmark's stored signature (first random-search point, RandomState(0)) from bbo_challenge_starter_kit's
    # baseline-16-8.json: the split, the CV folds, the scorer and the sign are bayesmark's.
    ("kNN_diabetes_mae", {"n_neighbors": 14, "p": 3}, 45.35508766887036),
    ("SVM_diabetes_mse", {"C": 44.30375245218264, "gamma": 0.0005190263017695167, "tol": 0.0025766385746135885},
     6311.133617630824),
    ("SVM_breast_acc", {"C": 44.30375245218264, "gamma": 0.0005190263017695167, "tol": 0.0025766385746135885},
     -0.9274725274725275),
    ("linear_wine_acc", {"C": 1.5676677195506077, "intercept_scaling": 7.257005721594282}, -0.9650246305418719),
    ("lasso_wine_acc", {"C": 1.5676677195506077, "intercept_scaling": 7.257005721594282}, -0.9650246305418719),
])
def test_losses_equal_bayesmarks_stored_values(name, params, bayesmark_loss) -> None:
    assert get_problem(name).evaluate(params) == pytest.approx(bayesmark_loss, rel=1e-6)


@pytest.mark.parametrize("name", ["RF_wine_nll", "DT_breast_nll", "MLP-adam_iris_nll", "MLP-sgd_wine_acc",
                                  "ada_iris_nll", "SVM_iris_nll", "lasso_diabetes_mse"])
def test_a_problem_is_one_deterministic_function(name) -> None:
    problem = get_problem(name)
    rng = np.random.default_rng(3)
    params = {k: (rng.choice(d.choices).item() if isinstance(d, CategoricalDistribution) else
                  (rng.integers(d.low, d.high + 1).item() if isinstance(d, IntDistribution) else
                   rng.uniform(d.low, d.high)))
              for k, d in problem.space().items()}
    assert problem.evaluate(params) == problem.evaluate(params)


def test_spaces_have_bayesmarks_dimensions_and_logit_parameters_map_back_into_their_range() -> None:
    dims = {"kNN": 2, "SVM": 3, "DT": 6, "RF": 6, "MLP-adam": 9, "MLP-sgd": 8, "ada": 2, "lasso": 2, "linear": 2}
    for problem in ALL_PROBLEMS.values():
        regression_dims = {"lasso": 5, "linear": 4}  # bayesmark's 6 and 5, less `normalize`
        expected = dims[problem.model] if problem.is_classification else regression_dims.get(problem.model,
                                                                                              dims[problem.model])
        space = problem.space()
        assert len(space) == expected, problem.name
        for name, param in problem.params.items():
            if param.scale != "logit":
                assert name in space
                continue
            dist = space[f"logit_{name}"]
            assert isinstance(dist, FloatDistribution) and not dist.log
            ends = [param.decode(v) for v in (dist.low, dist.high)]
            assert ends == pytest.approx([param.low, param.high], rel=1e-9), (problem.name, name)
            inside = [param.decode(v) for v in np.linspace(dist.low, dist.high, 11)]
            assert all(param.low <= v <= param.high for v in inside) and inside == sorted(inside)
    mlp = get_problem("MLP-adam_wine_nll").space()
    assert mlp["alpha"] == FloatDistribution(1e-5, 10.0, log=True)
    assert mlp["hidden_layer_sizes"] == IntDistribution(50, 200)
    assert get_problem("lasso_diabetes_mae").space()["positive"] == CategoricalDistribution((False, True))
    assert get_problem("linear_diabetes_mse").space()["max_iter"] == IntDistribution(10, 5000, log=True)


def test_bad_problems_and_params_fail_with_what_was_expected() -> None:
    with pytest.raises(ValueError, match="`metric` must be one of mae, mse on diabetes, got 'acc'"):
        BayesmarkProblem("kNN", "diabetes", "acc")
    with pytest.raises(ValueError, match="`model` must be one of"):
        BayesmarkProblem("xgboost", "wine", "acc")
    with pytest.raises(ValueError, match=r"must have \['n_neighbors', 'p'\], got \['n_neighbors'\]"):
        get_problem("kNN_wine_acc").decode({"n_neighbors": 3})
    with pytest.raises(UnknownProblemError, match="left out: scikit-learn 1.2 removed load_boston"):
        get_problem("kNN_boston_mae")
    with pytest.raises(UnknownProblemError, match="unknown bayesmark problem 'kNN_wine_f1'"):
        get_problem("kNN_wine_f1")


def test_left_out_problems_are_bayesmark_problems_with_a_reason() -> None:
    bayesmark = {f"{m}_{d}_{s}" for m in BAYESMARK_MODELS for d in ("breast", "digits", "iris", "wine")
                 for s in ("nll", "acc")} | {f"{m}_{d}_{s}" for m in BAYESMARK_MODELS for d in ("boston", "diabetes")
                                             for s in ("mae", "mse")}
    assert len(bayesmark) == 108 and set(PROBLEMS) | set(LEFT_OUT) == bayesmark
    assert not set(PROBLEMS) & set(LEFT_OUT)
    for name, reason in LEFT_OUT.items():
        assert len(reason) > 10, name
        if "_boston_" not in name:
            assert name in ALL_PROBLEMS and "s on one core" in reason, name


def test_split_is_a_fixed_function_of_the_name_with_about_a_third_dev() -> None:
    assert set(DEV_PROBLEMS) | set(TEST_PROBLEMS) == set(PROBLEMS) and not set(DEV_PROBLEMS) & set(TEST_PROBLEMS)
    assert 0.25 <= len(DEV_PROBLEMS) / len(PROBLEMS) <= 0.42
    assert all(split_of(name) == "dev" for name in DEV_PROBLEMS)
    # crc32, not hash(): the same in every process and Python version. These must never change.
    names = ("kNN_wine_acc", "lasso_iris_acc", "RF_iris_nll", "SVM_breast_nll", "MLP-adam_digits_nll")
    assert [split_of(name) for name in names] == ["dev", "dev", "test", "test", "test"]
    assert split_of("lasso_digits_nll") in ("dev", "test")  # defined for any name, left out or not


def toy_records() -> dict:
    """One problem: random search (2 seeds) and samplers `a` and `b`, 3 trials each."""
    return {"random": {0: [3.0, 1.0, 4.0], 1: [1.0, 5.0, 9.0]},
            "a": {0: [2.0, 0.5, 6.0], 1: [4.0, 2.0, 2.0]},
            "b": {0: [10.0, 8.0, 7.0], 1: [1.0, 1.0, math.inf]}}


def test_scores_match_a_hand_computed_example() -> None:
    runs = toy_records()
    baseline = compute_baseline(runs, [2, 3])
    # random losses sorted: 1 1 3 4 5 9 -> median = order statistic ceil(6 / 2) = 3rd = 3; best = 0.5 (padded)
    assert baseline.clip == 3.0 and baseline.opt == pytest.approx(0.5, abs=1e-11) and baseline.opt < 0.5
    # clipped at 3: 1 1 3 3 3 3; E[min of 2] = (5 + 4) / 15 * 1 + (3 + 2 + 1) / 15 * 3 = 1.8; of 3: 16/20 + 4/20 * 3
    assert baseline.random_best == pytest.approx([1.8, 1.4])
    assert baseline.random_score == pytest.approx([1 - 1.3 / 2.5, 1 - 0.9 / 2.5])
    assert expected_min([1, 1, 3, 3, 3, 3], [2, 3, 7])[:2] == pytest.approx([1.8, 1.4])
    assert np.isnan(expected_min([1, 2], 3)) and quantile([4, 1, 3], 0.5) == 3
    scores = normalized_scores(runs, [2, 3], baseline)  # 1 - clip((best - 0.5) / 2.5, -1, 1)
    assert scores["a"] == pytest.approx(np.array([[1.0, 1.0], [0.4, 0.4]]))
    assert scores["random"] == pytest.approx(np.full((2, 2), 0.8))
    assert scores["b"] == pytest.approx(np.array([[0.0, 0.0], [0.8, 0.8]]))  # 8 and 7 are worse than the clip: 0
    means = mean_scores({"p1": runs, "p2": runs}, [2, 3])
    assert means["a"] == pytest.approx([70.0, 70.0]) and means["b"] == pytest.approx([40.0, 40.0])
    # seed 0: a 0.5 < random 1 < b 8; seed 1: random 1 = b 1 < a 2
    ranks = mean_ranks({"p1": runs}, [2, 3])
    assert ranks["a"] == pytest.approx([2.0, 2.0]) and ranks["random"] == pytest.approx([1.75, 1.75])
    assert ranks["b"] == pytest.approx([2.25, 2.25])


def test_scoring_refuses_records_it_cannot_score() -> None:
    runs = toy_records()
    with pytest.raises(ValueError, match="must hold the baseline sampler 'random'"):
        compute_baseline({"a": runs["a"]}, [2])
    with pytest.raises(ValueError, match="at least 7 losses pooled, got 6"):
        compute_baseline(runs, [7])
    with pytest.raises(ValueError, match=r"`checkpoints` must be in \[1, 3\]"):
        normalized_scores(runs, [4], compute_baseline(runs, [2]))
    with pytest.raises(ValueError, match="ranks need paired runs"):
        mean_ranks({"p": {**runs, "a": {0: [1.0, 1.0, 1.0]}}}, [2])
    with pytest.raises(ValueError, match="every problem must hold the samplers"):
        mean_scores({"p": runs, "q": {"random": runs["random"]}}, [2])


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference implementation is on the research machine only")
def test_scores_match_the_reference_implementation_on_a_random_example() -> None:
    spec = importlib.util.spec_from_file_location("bayesmark_scoring_ref", REFERENCE)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    rng = np.random.default_rng(0)
    n_iter, batch, seeds = 16, 8, 5
    evals = {s: rng.lognormal(shift, 1.0, size=(n_iter, batch, seeds))  # bayesmark's (iter, suggest, trial)
             for s, shift in (("random", 0.0), ("x", -0.5), ("y", 0.3))}
    runs = {s: {seed: e[:, :, seed].ravel().tolist() for seed in range(seeds)} for s, e in evals.items()}
    checkpoints = batch * (1 + np.arange(n_iter))
    opt, clip, random_best = ref.baseline(evals["random"], min(e.min() for e in evals.values()), n_iter, batch)
    baseline = compute_baseline(runs, checkpoints)
    assert (baseline.opt, baseline.clip) == (opt, clip)
    np.testing.assert_allclose(baseline.random_best, random_best, rtol=1e-12)
    scores = normalized_scores(runs, checkpoints, baseline)
    for sampler, e in evals.items():
        np.testing.assert_allclose(1.0 - scores[sampler].mean(axis=0), ref.normed_mean_score(e, opt, clip),
                                   rtol=1e-12, atol=1e-15)
