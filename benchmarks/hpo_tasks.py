"""The HPO tasks of `gennes-bo hpo`: scikit-learn models on its bundled datasets, scored by cross-validation.

Every task minimizes a cross-validated loss that varies continuously with the parameters (a CV log loss, a CV
error rate on digits' 1797 samples, or 1 - R² for a regression), so that samplers rarely tie. The folds and the
models' own seeds are fixed: a task is one deterministic function, and the seed of a run is its sampler's seed.
Each search space is flat (no conditional parameters) and mixes floats, log floats, ints and categoricals;
losses are capped (:data:`WORST_LOSS`). One
evaluation takes well under two seconds on one core.

    task = get_task("rf-breast-cancer")
    loss = task.evaluate({"n_estimators": 50, ...})
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# scikit-learn and Optuna are imported inside the functions: `gennes-bo hpo --help` answers without them.

N_FOLDS = 3


@dataclass(frozen=True)
class HpoTask:
    """A model, a dataset, a search space and the CV loss to minimize.

    Attributes:
        name: The task's key, `model-dataset`.
        description: One line for the report.
        loss: What is minimized, for the report (`CV log loss`, `CV error rate`, `1 - CV R²`).
        space: `() -> {name: optuna distribution}`, the flat search space.
        build: `params -> scikit-learn estimator`.
        dataset: `() -> (X, y)`, one of scikit-learn's bundled datasets.
        scoring: scikit-learn's scorer name; the loss is `-score` (`1 - score` for accuracy and R²).
    """

    name: str
    description: str
    loss: str
    space: Callable[[], dict[str, Any]]
    build: Callable[[Mapping[str, Any]], Any]
    dataset: Callable[[], tuple[Any, Any]]
    scoring: str

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The CV loss of the model with `params` (lower is better), on one thread."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

        X, y = _cached_dataset(self.name)
        classify = self.scoring != "r2"
        folds = (StratifiedKFold if classify else KFold)(N_FOLDS, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # small iteration caps are part of the space
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a diverging SGD / MLP: a bad loss
            warnings.simplefilter("ignore", UserWarning)
            scores = cross_val_score(self.build(params), X, y, cv=folds, scoring=self.scoring, n_jobs=1,
                                     error_score=float("nan"))
        score = float(scores.mean())
        loss = 1.0 - score if self.scoring in ("accuracy", "r2") else -score
        return min(loss, WORST_LOSS[self.scoring]) if loss == loss else WORST_LOSS[self.scoring]


# Losses are capped (a failed fit, NaN, counts as the cap): a diverging SVR's 1 - R² of 1e6 would dominate a GP's
# standardized outputs; 2 is already twice as bad as predicting the mean.
WORST_LOSS = {"accuracy": 1.0, "r2": 2.0, "neg_log_loss": 5.0}


@functools.cache
def _cached_dataset(name: str) -> tuple[Any, Any]:
    return TASKS[name].dataset()


# --------------------------------------------------------------------------------------------- datasets
def _digits() -> tuple[Any, Any]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _breast_cancer() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)


def _wine() -> tuple[Any, Any]:
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True)


def _diabetes() -> tuple[Any, Any]:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return X, (y - y.mean()) / y.std()  # standardized, so that SVR's epsilon has one scale


# ------------------------------------------------------------------------------------------ search spaces
def _float(low: float, high: float, log: bool = False) -> Any:
    from optuna.distributions import FloatDistribution

    return FloatDistribution(low, high, log=log)


def _int(low: int, high: int, log: bool = False) -> Any:
    from optuna.distributions import IntDistribution

    return IntDistribution(low, high, log=log)


def _categorical(*choices: Any) -> Any:
    from optuna.distributions import CategoricalDistribution

    return CategoricalDistribution(choices)


def _sgd_space() -> dict[str, Any]:
    return {"alpha": _float(1e-7, 1e-1, log=True), "l1_ratio": _float(0.0, 1.0),
            "penalty": _categorical("l2", "l1", "elasticnet"), "loss": _categorical("hinge", "log_loss",
                                                                                   "modified_huber", "squared_hinge"),
            "learning_rate": _categorical("optimal", "invscaling", "adaptive", "constant"),
            "eta0": _float(1e-4, 1.0, log=True), "max_iter": _int(5, 100, log=True)}


def _sgd(params: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(**params, tol=None, random_state=0)


def _svr_space() -> dict[str, Any]:
    return {"C": _float(1e-2, 1e3, log=True), "epsilon": _float(1e-3, 1.0, log=True),
            "gamma": _float(1e-4, 10.0, log=True), "kernel": _categorical("rbf", "sigmoid", "poly"),
            "degree": _int(2, 4)}


def _svr(params: Mapping[str, Any]) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    return make_pipeline(StandardScaler(), SVR(**params, coef0=1.0, max_iter=20000))


def _forest_space() -> dict[str, Any]:
    return {"n_estimators": _int(10, 100, log=True), "max_depth": _int(1, 16, log=True),
            "min_samples_split": _int(2, 20), "min_samples_leaf": _int(1, 10), "max_features": _float(0.05, 1.0),
            "criterion": _categorical("gini", "entropy"), "bootstrap": _categorical(True, False)}


def _forest(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**params, random_state=0, n_jobs=1)


def _boosting_space() -> dict[str, Any]:
    return {"learning_rate": _float(1e-3, 1.0, log=True), "n_estimators": _int(10, 150, log=True),
            "max_depth": _int(1, 6), "subsample": _float(0.3, 1.0), "min_samples_leaf": _int(1, 40, log=True),
            "max_features": _float(0.1, 1.0), "loss": _categorical("squared_error", "huber", "absolute_error")}


def _boosting(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(**params, random_state=0)


def _knn_space() -> dict[str, Any]:
    return {"n_neighbors": _int(1, 50, log=True), "weights": _categorical("uniform", "distance"),
            "metric": _categorical("euclidean", "manhattan", "cosine"),
            "scaler": _categorical("none", "standard", "minmax")}


def _knn(params: Mapping[str, Any]) -> Any:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    scaler = {"none": "passthrough", "standard": StandardScaler(), "minmax": MinMaxScaler()}[params["scaler"]]
    return make_pipeline(scaler, KNeighborsClassifier(n_neighbors=params["n_neighbors"], weights=params["weights"],
                                                      metric=params["metric"], algorithm="brute"))


def _mlp_space() -> dict[str, Any]:
    return {"width": _int(4, 128, log=True), "depth": _int(1, 3), "alpha": _float(1e-6, 1.0, log=True),
            "learning_rate_init": _float(1e-4, 1e-1, log=True), "activation": _categorical("relu", "tanh",
                                                                                           "logistic"),
            "batch_size": _int(16, 128, log=True), "max_iter": _int(10, 100, log=True)}


def _mlp(params: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rest = {k: v for k, v in params.items() if k not in ("width", "depth")}
    return make_pipeline(StandardScaler(), MLPClassifier((params["width"],) * params["depth"], **rest,
                                                         random_state=0))


TASKS: dict[str, HpoTask] = {task.name: task for task in (
    HpoTask("sgd-digits", "SGD linear classifier on digits (1797 x 64, 10 classes)", "CV error rate",
            _sgd_space, _sgd, _digits, "accuracy"),
    HpoTask("svr-diabetes", "scaled SVR on diabetes (442 x 10, regression)", "1 - CV R²",
            _svr_space, _svr, _diabetes, "r2"),
    HpoTask("rf-breast-cancer", "random forest on breast cancer (569 x 30, 2 classes)", "CV log loss",
            _forest_space, _forest, _breast_cancer, "neg_log_loss"),
    HpoTask("gb-diabetes", "gradient boosting on diabetes (442 x 10, regression)", "1 - CV R²",
            _boosting_space, _boosting, _diabetes, "r2"),
    HpoTask("knn-digits", "k-NN on digits (1797 x 64, 10 classes)", "CV error rate",
            _knn_space, _knn, _digits, "accuracy"),
    HpoTask("mlp-wine", "scaled MLP on wine (178 x 13, 3 classes)", "CV log loss",
            _mlp_space, _mlp, _wine, "neg_log_loss"),
)}


class UnknownTaskError(ValueError):
    """A task name that `TASKS` does not hold."""


def get_task(name: str) -> HpoTask:
    """The task named `name`.

    Raises:
        UnknownTaskError: Naming the known tasks.
    """
    if name not in TASKS:
        raise UnknownTaskError(f"unknown HPO task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]
