"""bayesmark's scikit-learn problems as a problem suite, with a fixed dev/test split and bayesmark's scoring.

The problems are those of bayesmark 0.0.8 (uber/bayesmark, Apache-2.0; `file:line` below point into its
`bayesmark/` package): a model, a dataset and a metric; the loss is the negated mean 5-fold CV score on the first 80 %
of a shuffled split (`sklearn_funcs.py:298-344`): nll and mae / mse are positive errors, acc is `-accuracy`. Ported to
current scikit-learn, and made deterministic, as docs/benchmarks/bayesmark_problems.md lists; in short:

- every model that takes a `random_state` gets 0 (bayesmark passed none, so its objectives were noisy across studies;
  here a problem is one function, so that paired comparisons of samplers are exact);
- boston is gone (`load_boston` was removed from scikit-learn 1.2);
- logistic regression is `OneVsRestClassifier(LogisticRegression(l1_ratio=1 or 0, solver="liblinear"))`, bayesmark's
  one-vs-rest without the removed `multi_class`; Lasso and Ridge lose the removed `normalize` (and its search
  dimension); AdaBoostClassifier runs SAMME, the only algorithm left since SAMME.R was removed in scikit-learn 1.6;
- a logit-scaled parameter `x` in `[lo, hi]` is searched as the float `logit_x` in `[logit(lo), logit(hi)]`,
  mapped back by `expit` and clipped (`space.py:301-302, 450`): what bayesmark's optimizers see, and the same space
  for every sampler.

    problem = get_problem("RF_wine_nll")
    loss = problem.evaluate(params)  # params: one value per entry of problem.space()
"""

from __future__ import annotations

import functools
import math
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# scikit-learn and Optuna are imported inside the functions: a command's `--help` answers without them.

RANDOM_STATE = 0  # every model's seed and bayesmark's `shuffle_seed` (sklearn_funcs.py:253, 298-300)
CV_SPLITS = 5  # sklearn_funcs.py:52; `cv=5` is StratifiedKFold for classifiers, KFold for regressors, no shuffling
TEST_SIZE = 0.2  # the held-out part, used by bayesmark only for its unscored "generalization" loss, never here


# --------------------------------------------------------------------------------------------- search spaces
@dataclass(frozen=True)
class Param:
    """One entry of a bayesmark search space, `{"type", "space", "range"}` (sklearn_funcs.py:57-180).

    Attributes:
        type: `real`, `int` or `bool` (bool has no range).
        scale: bayesmark's `space`: `linear`, `log` or `logit`.
        low: The lower end of the range, in the model's units.
        high: The upper end.
    """

    type: str
    scale: str = "linear"
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        scales = {"real": ("linear", "log", "logit"), "int": ("linear", "log"), "bool": ("linear",)}
        if self.scale not in scales.get(self.type, ()):
            raise ValueError(f"`type` and `scale` must be one of {scales}, got {self.type!r} and {self.scale!r}")
        if not self.low < self.high:
            raise ValueError(f"`low` must be below `high`, got {self.low} and {self.high}")

    def distribution(self) -> Any:
        """The Optuna distribution that a sampler searches (logit: a float in logit space)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.type == "bool":
            return CategoricalDistribution((False, True))
        if self.type == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.scale == "log")
        if self.scale == "logit":
            return FloatDistribution(_logit(self.low), _logit(self.high))
        return FloatDistribution(self.low, self.high, log=self.scale == "log")

    def decode(self, value: Any) -> Any:
        """The model's value of a sampled `value`: `expit` and a clip into the range for logit (`space.py:450`)."""
        if self.type == "bool":
            return bool(value)
        if self.type == "int":
            return int(value)
        if self.scale == "logit":
            return min(max(1.0 / (1.0 + math.exp(-float(value))), self.low), self.high)
        return float(value)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _real(scale: str, low: float, high: float) -> Param:
    return Param("real", scale, low, high)


def _int(scale: str, low: int, high: int) -> Param:
    return Param("int", scale, low, high)


_BOOL = Param("bool")
_TREE = {"max_depth": _int("linear", 1, 15), "min_samples_split": _real("logit", 0.01, 0.99),  # :71-88
         "min_samples_leaf": _real("logit", 0.01, 0.49), "min_weight_fraction_leaf": _real("logit", 0.01, 0.49),
         "max_features": _real("logit", 0.01, 0.99), "min_impurity_decrease": _real("linear", 0.0, 0.5)}
_MLP = {"hidden_layer_sizes": _int("linear", 50, 200), "alpha": _real("log", 1e-5, 1e1),  # :91-113
        "batch_size": _int("linear", 10, 250), "learning_rate_init": _real("log", 1e-5, 1e-1),
        "tol": _real("log", 1e-5, 1e-1), "validation_fraction": _real("logit", 0.1, 0.9)}
_LOGISTIC = {"C": _real("log", 1e-2, 1e2), "intercept_scaling": _real("log", 1e-2, 1e2)}  # :122-131
_ADA = {"n_estimators": _int("linear", 10, 100), "learning_rate": _real("log", 1e-4, 1e1)}  # :116-119, 160-163
SPACES: dict[str, dict[str, Param]] = {
    "kNN": {"n_neighbors": _int("linear", 1, 25), "p": _int("linear", 1, 4)},  # :58-61
    "SVM": {"C": _real("log", 1.0, 1e3), "gamma": _real("log", 1e-4, 1e-3), "tol": _real("log", 1e-5, 1e-1)},
    "DT": _TREE,
    "RF": _TREE,
    "MLP-adam": {**_MLP, "beta_1": _real("logit", 0.5, 0.99), "beta_2": _real("logit", 0.9, 1.0 - 1e-6),
                 "epsilon": _real("log", 1e-9, 1e-6)},
    "MLP-sgd": {**_MLP, "power_t": _real("logit", 0.1, 0.9), "momentum": _real("logit", 0.001, 0.999)},
    "ada": _ADA,
    "lasso": _LOGISTIC,
    "linear": _LOGISTIC,
}
"""The search spaces of the classifiers (bayesmark's `*_cfg`, sklearn_funcs.py:57-131)."""
SPACES_REG: dict[str, dict[str, Param]] = {
    **SPACES,
    # :165-180 without `normalize`, which Lasso and Ridge no longer take
    "lasso": {"alpha": _real("log", 1e-2, 1e2), "fit_intercept": _BOOL, "max_iter": _int("log", 10, 5000),
              "tol": _real("log", 1e-5, 1e-1), "positive": _BOOL},
    "linear": {"alpha": _real("log", 1e-2, 1e2), "fit_intercept": _BOOL, "max_iter": _int("log", 10, 5000),
               "tol": _real("log", 1e-4, 1e-1)},
}
"""The search spaces of the regressors (sklearn_funcs.py:160-202)."""


def _optuna_name(name: str, param: Param) -> str:
    return f"logit_{name}" if param.scale == "logit" else name


# ---------------------------------------------------------------------------------------- models and data
def _ovr_logistic(**kwargs: Any) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression(**kwargs))


@functools.cache
def _models(classify: bool) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """`model -> (estimator class, fixed kwargs)`: bayesmark's MODELS_CLF (sklearn_funcs.py:133-155) or MODELS_REG
    (:182-202), ported; the fixed kwargs override the searched ones, as there (:322-323)."""
    from sklearn import ensemble, linear_model, neighbors, neural_network, svm, tree

    seed = {"random_state": RANDOM_STATE}
    mlp = neural_network.MLPClassifier if classify else neural_network.MLPRegressor
    sgd = {"solver": "sgd", "early_stopping": True, "learning_rate": "invscaling", "nesterovs_momentum": True, **seed}
    if classify:
        liblinear = {"fit_intercept": True, "solver": "liblinear", **seed}
        return {
            "kNN": (neighbors.KNeighborsClassifier, {}),
            "SVM": (svm.SVC, {"kernel": "rbf", "probability": True, **seed}),  # `probability` goes in sklearn 1.11
            "DT": (tree.DecisionTreeClassifier, {"max_leaf_nodes": None, **seed}),
            "RF": (ensemble.RandomForestClassifier, {"n_estimators": 10, "max_leaf_nodes": None, "n_jobs": 1, **seed}),
            "MLP-adam": (mlp, {"solver": "adam", "early_stopping": True, **seed}),
            "MLP-sgd": (mlp, sgd),
            "ada": (ensemble.AdaBoostClassifier, seed),  # SAMME (bayesmark's scikit-learn 0.20 ran SAMME.R)
            "lasso": (_ovr_logistic, {"l1_ratio": 1.0, **liblinear}),  # penalty="l1"
            "linear": (_ovr_logistic, {"l1_ratio": 0.0, **liblinear}),  # penalty="l2"
        }
    return {
        "kNN": (neighbors.KNeighborsRegressor, {}),
        "SVM": (svm.SVR, {"kernel": "rbf"}),
        "DT": (tree.DecisionTreeRegressor, {"max_leaf_nodes": None, **seed}),
        "RF": (ensemble.RandomForestRegressor, {"n_estimators": 10, "max_leaf_nodes": None, "n_jobs": 1, **seed}),
        "MLP-adam": (mlp, {"solver": "adam", "early_stopping": True, **seed}),
        "MLP-sgd": (mlp, {"activation": "tanh", **sgd}),
        "ada": (ensemble.AdaBoostRegressor, seed),
        "lasso": (linear_model.Lasso, seed),
        "linear": (linear_model.Ridge, {"solver": "auto", **seed}),
    }


DATASETS = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine", "breast": "load_breast_cancer",
            "diabetes": "load_diabetes"}
"""bayesmark's datasets (data.py:35-42) and their scikit-learn loaders; boston is gone from scikit-learn."""
REGRESSION = frozenset({"diabetes"})
METRICS = {"nll": "neg_log_loss", "acc": "accuracy", "mae": "neg_mean_absolute_error",
           "mse": "neg_mean_squared_error"}  # sklearn_funcs.py:243-248


@functools.cache
def _training_part(dataset: str) -> tuple[Any, Any]:
    """The 80 % that bayesmark cross-validates on (sklearn_funcs.py:298-300), loaded once per process."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    X, y = getattr(datasets, DATASETS[dataset])(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=TEST_SIZE, random_state=RANDOM_STATE, shuffle=True)
    return X_train, y_train


# ------------------------------------------------------------------------------------------------ problems
@dataclass(frozen=True)
class BayesmarkProblem:
    """One of bayesmark's problems: tune `model` on `dataset` for `metric`; `evaluate` is the loss to minimize.

    Attributes:
        model: One of bayesmark's models (`SPACES`).
        dataset: One of `DATASETS`.
        metric: `nll` or `acc` for a classification dataset, `mae` or `mse` for diabetes.
    """

    model: str
    dataset: str
    metric: str

    def __post_init__(self) -> None:
        if self.model not in SPACES:
            raise ValueError(f"`model` must be one of {', '.join(SPACES)}, got {self.model!r}")
        if self.dataset not in DATASETS:
            raise ValueError(f"`dataset` must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        metrics = ("nll", "acc") if self.is_classification else ("mae", "mse")
        if self.metric not in metrics:
            raise ValueError(f"`metric` must be one of {', '.join(metrics)} on {self.dataset}, got {self.metric!r}")

    @property
    def name(self) -> str:
        """bayesmark's test case name, `model_dataset_metric` (sklearn_funcs.py:358-362)."""
        return f"{self.model}_{self.dataset}_{self.metric}"

    @property
    def is_classification(self) -> bool:
        return self.dataset not in REGRESSION

    @property
    def params(self) -> dict[str, Param]:
        """bayesmark's search space, by the model's parameter names."""
        return (SPACES if self.is_classification else SPACES_REG)[self.model]

    def space(self) -> dict[str, Any]:
        """`{name: optuna distribution}`, sorted by name as bayesmark orders them (`space.py:691`); a logit-scaled
        parameter `x` appears as `logit_x`."""
        return {_optuna_name(k, p): p.distribution() for k, p in sorted(self.params.items())}

    def decode(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The model's keyword arguments for sampled `params` (one value per entry of :meth:`space`).

        Raises:
            ValueError: When `params` misses a parameter of the space or has one it lacks.
        """
        expected = {_optuna_name(k, p): (k, p) for k, p in self.params.items()}
        if set(params) != set(expected):
            raise ValueError(f"`params` of {self.name} must have {sorted(expected)}, got {sorted(params)}")
        return {name: param.decode(params[key]) for key, (name, param) in expected.items()}

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The loss at `params`: minus the mean 5-fold CV score (sklearn_funcs.py:309-344), on one thread.

        A fit that fails counts as `inf`, as bayesmark records it (`experiment.py:146-151`).
        """
        from sklearn.metrics import get_scorer
        from sklearn.model_selection import cross_val_score

        X, y = _training_part(self.dataset)
        model_class, fixed = _models(self.is_classification)[self.model]
        model = model_class(**{**self.decode(params), **fixed})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # as bayesmark (:331-333); ConvergenceWarning is one
            warnings.simplefilter("ignore", FutureWarning)  # SVC(probability=True), deprecated in sklearn 1.9
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a diverging MLP; FitFailedWarning
            try:
                scores = cross_val_score(model, X, y, scoring=get_scorer(METRICS[self.metric]), cv=CV_SPLITS,
                                         error_score=np.nan)
            except ValueError:  # every fold failed
                return math.inf
        loss = -float(np.mean(scores))
        return loss if math.isfinite(loss) else math.inf


ALL_PROBLEMS: dict[str, BayesmarkProblem] = {p.name: p for p in (
    BayesmarkProblem(model, dataset, metric) for model in SPACES for dataset in DATASETS
    for metric in (("mae", "mse") if dataset in REGRESSION else ("nll", "acc")))}
"""bayesmark's Cartesian product (`experiment_launcher.py:92-109`) on the datasets that scikit-learn still has."""

LEFT_OUT: dict[str, str] = {
    **{f"{model}_boston_{metric}": "scikit-learn 1.2 removed load_boston" for model in SPACES
       for metric in ("mae", "mse")},
    # Measured once (docs/benchmarks/bayesmark_problems.md: 3 random points, 9 near the limit); a fixed list.
    "lasso_digits_nll": "median trial 1.9 s on one core, over the suite's limit of about 1 s",
    "lasso_digits_acc": "median trial 2.0 s on one core, over the suite's limit of about 1 s",
}
"""The problems of bayesmark that the suite leaves out, with the reason."""

PROBLEMS: dict[str, BayesmarkProblem] = {k: p for k, p in ALL_PROBLEMS.items() if k not in LEFT_OUT}
"""The suite: bayesmark's problems less `LEFT_OUT`."""


def split_of(name: str) -> str:
    """`dev` or `test`, a pure function of the problem's name: about one name in three is `dev`."""
    return "dev" if zlib.crc32(name.encode()) % 3 == 0 else "test"


DEV_PROBLEMS: tuple[str, ...] = tuple(k for k in PROBLEMS if split_of(k) == "dev")
TEST_PROBLEMS: tuple[str, ...] = tuple(k for k in PROBLEMS if split_of(k) == "test")


class UnknownProblemError(ValueError):
    """A name that `PROBLEMS` does not hold."""


def get_problem(name: str) -> BayesmarkProblem:
    """The problem named `name` (`model_dataset_metric`).

    Raises:
        UnknownProblemError: For a left-out problem (with why) or an unknown name.
    """
    if name in LEFT_OUT:
        raise UnknownProblemError(f"bayesmark problem {name!r} is left out: {LEFT_OUT[name]}")
    if name not in PROBLEMS:
        raise UnknownProblemError(f"unknown bayesmark problem {name!r}; known: {', '.join(PROBLEMS)}")
    return PROBLEMS[name]


# ------------------------------------------------------------------------------------------------- scoring
ProblemRuns = Mapping[str, Mapping[int, Sequence[float]]]
"""One problem's records: `sampler -> seed -> loss of each trial, in trial order`."""

PAD_FACTOR = 10000  # experiment_baseline.py:37


def quantile(losses: Sequence[float], q: float) -> float:
    """bayesmark's `quantile`: the order statistic `ceil(n q)` of `n` losses (`quantiles.py:60-94`)."""
    ordered = np.sort(np.asarray(losses, dtype=float))
    index = int(np.ceil(len(ordered) * q))
    return -math.inf if index == 0 else float(ordered[index - 1])


def expected_min(losses: Sequence[float], m: int | Sequence[int]) -> np.ndarray:
    """bayesmark's `expected_min`: the unbiased estimate of the expected minimum of `m` draws from `losses`,
    `sum_k C(n - k, m - 1) / C(n, m) x_(k)` over the ascending `x_(k)` (`expected_max.py:20-107`).

    Returns:
        An array of `m`'s shape; NaN where `m > n`.
    """
    from scipy.special import gammaln, logsumexp

    x = np.sort(-np.asarray(losses, dtype=float))  # expected_max of -x (:106)
    m = np.asarray(m)[..., None]
    k = 1 + np.arange(len(x))
    with np.errstate(invalid="ignore"):
        log_weights = gammaln(k) - gammaln(k - (m - 1))  # :45-47
        weights = np.exp(log_weights - logsumexp(log_weights, axis=-1, keepdims=True))
    return -np.sum(x * weights, axis=-1)


@dataclass(frozen=True)
class Baseline:
    """A problem's references for the scores (`compute_baseline`, experiment_baseline.py:57-140).

    Attributes:
        opt: The best loss of any run of any sampler, moved just below it (:111-128).
        clip: The median loss of one random-search trial (:105).
        random_best: `len(checkpoints)`, random search's expected best loss after each checkpoint's trials (:130-139).
    """

    opt: float
    clip: float
    random_best: np.ndarray

    @property
    def random_score(self) -> np.ndarray:
        """`len(checkpoints)`, random search's expected normalized score, `1 - (random_best - opt) / (clip - opt)`;
        bayesmark's "normed mean" divides by its complement, so that random search scores 1 there
        (experiment_analysis.py:160-162, 228-229)."""
        return 1.0 - (self.random_best - self.opt) / (self.clip - self.opt)


def compute_baseline(runs: ProblemRuns, checkpoints: Sequence[int], random_sampler: str = "random") -> Baseline:
    """bayesmark's baseline of one problem from its records: `opt` over all losses, `clip` and `random_best` from
    the pooled losses of `random_sampler`'s runs.

    Raises:
        ValueError: Without runs of `random_sampler`, with fewer pooled random losses than a checkpoint, or with a
            loss that is NaN.
    """
    if random_sampler not in runs:
        raise ValueError(f"`runs` must hold the baseline sampler {random_sampler!r}, got {sorted(runs)}")
    pooled = np.concatenate([np.asarray(v, dtype=float) for v in runs[random_sampler].values()])
    everything = np.concatenate([np.asarray(v, dtype=float) for r in runs.values() for v in r.values()])
    if np.isnan(everything).any():
        raise ValueError("`runs` must hold no NaN losses (a failed trial is inf)")
    if pooled.size < max(checkpoints):
        raise ValueError(f"random search must have at least {max(checkpoints)} losses pooled, got {pooled.size}")
    clip = quantile(pooled, 0.5)
    opt = float(everything.min())
    if not (math.isfinite(clip) and math.isfinite(opt)):
        raise ValueError(f"the median random loss and the best loss must be finite, got {clip} and {opt}")
    opt += PAD_FACTOR * float(np.spacing(-max(np.nextafter(0, 1), abs(opt))))
    random_best = np.minimum.accumulate(np.minimum(clip, expected_min(np.minimum(clip, pooled), checkpoints)))
    return Baseline(opt, clip, random_best)


def best_so_far(losses: Sequence[float], checkpoints: Sequence[int]) -> np.ndarray:
    """`len(checkpoints)`, the best of the first `t` losses for each checkpoint `t`.

    Raises:
        ValueError: When a checkpoint is past the run's end.
    """
    if max(checkpoints) > len(losses) or min(checkpoints) < 1:
        raise ValueError(f"`checkpoints` must be in [1, {len(losses)}] (the run's trials), got {list(checkpoints)}")
    return np.minimum.accumulate(np.asarray(losses, dtype=float))[np.asarray(checkpoints) - 1]


def normalized_scores(runs: ProblemRuns, checkpoints: Sequence[int], baseline: Baseline) -> dict[str, np.ndarray]:
    """`sampler -> seeds x checkpoints` (seeds ascending): bayesmark's normalized score of each run,
    `1 - clip((best_so_far - opt) / (clip - opt), -1, 1)` (`experiment_analysis.py:191-195`, `linear_rescale`
    `np_util.py:186-227`; its leaderboard is 100 x their mean over runs and problems, :324-328): 1 reaches the best
    loss ever found, 0 is no better than the median random trial."""
    scale = baseline.clip - baseline.opt
    return {sampler: 1.0 - np.clip((np.stack([best_so_far(seeds[s], checkpoints) for s in sorted(seeds)])
                                    - baseline.opt) / scale, -1.0, 1.0)
            for sampler, seeds in runs.items()}


def mean_scores(records: Mapping[str, ProblemRuns], checkpoints: Sequence[int],
                random_sampler: str = "random") -> dict[str, np.ndarray]:
    """`sampler -> len(checkpoints)`: bayesmark's leaderboard score, 100 x the mean over problems of the mean
    normalized score of the sampler's runs (`experiment_analysis.py:223, 324-328`), each problem's baseline from
    `records` (`problem -> sampler -> seed -> losses`).

    Raises:
        ValueError: When the problems do not all hold the same samplers.
    """
    samplers = _same_samplers(records)
    per_problem = [normalized_scores(runs, checkpoints, compute_baseline(runs, checkpoints, random_sampler))
                   for runs in records.values()]
    return {s: 100.0 * np.mean([scores[s].mean(axis=0) for scores in per_problem], axis=0) for s in samplers}


def mean_ranks(records: Mapping[str, ProblemRuns], checkpoints: Sequence[int]) -> dict[str, np.ndarray]:
    """`sampler -> len(checkpoints)`: the sampler's rank by best loss so far (1 is best, ties share the mean rank),
    averaged over problems x seeds, per checkpoint.

    Raises:
        ValueError: When the problems do not all hold the same samplers, or a problem's samplers ran other seeds.
    """
    from scipy.stats import rankdata

    samplers = _same_samplers(records)
    ranks = []
    for problem, runs in records.items():
        seeds = sorted(runs[samplers[0]])
        for sampler in samplers:
            if sorted(runs[sampler]) != seeds:
                raise ValueError(f"ranks need paired runs: on {problem} {sampler!r} ran seeds {sorted(runs[sampler])}, "
                                 f"{samplers[0]!r} ran {seeds}")
        best = np.stack([[best_so_far(runs[s][seed], checkpoints) for seed in seeds] for s in samplers])
        ranks.append(rankdata(best, axis=0))  # samplers x seeds x checkpoints
    return {s: np.concatenate([r[i] for r in ranks]).mean(axis=0) for i, s in enumerate(samplers)}


def _same_samplers(records: Mapping[str, ProblemRuns]) -> list[str]:
    if not records:
        raise ValueError("`records` must hold at least one problem, got none")
    samplers = sorted(next(iter(records.values())))
    for problem, runs in records.items():
        if sorted(runs) != samplers:
            raise ValueError(f"every problem must hold the samplers {samplers}, {problem} holds {sorted(runs)}")
    return samplers
