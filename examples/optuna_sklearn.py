"""Tune a scikit-learn model with Optuna: GennesSampler and TPE side by side, same seed, same budget.

The model is a PCA + SVC pipeline on scikit-learn's bundled digits; the objective is its 3-fold cross-validated
accuracy. The search space has each kind of parameter: a log-scaled float (C, gamma), an int (PCA components) and a
categorical (the kernel). Needs the `optuna` and `benchmarks` extras (Optuna, scikit-learn).

    python examples/optuna_sklearn.py                        # 25 trials each, 10 random startup trials
    python examples/optuna_sklearn.py --trials 40 --seed 3
"""

from __future__ import annotations

import argparse
import time

import optuna
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from gennes_bo.integrations.optuna import GennesSampler


def make_objective(n_folds: int):
    """CV accuracy of PCA + SVC on digits, for the parameters a trial suggests."""
    X, y = load_digits(return_X_y=True)

    def objective(trial: optuna.Trial) -> float:
        n_components = trial.suggest_int("n_components", 4, 64, log=True)
        kernel = trial.suggest_categorical("kernel", ["rbf", "sigmoid", "poly"])
        C = trial.suggest_float("C", 1e-2, 1e3, log=True)
        gamma = trial.suggest_float("gamma", 1e-6, 1e-1, log=True)
        model = make_pipeline(PCA(n_components=n_components, random_state=0), SVC(C=C, gamma=gamma, kernel=kernel))
        return float(cross_val_score(model, X, y, cv=n_folds).mean())

    return objective


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=25, help="trials per sampler (default 25)")
    parser.add_argument("--n-startup", type=int, default=10, help="random startup trials of both samplers (10)")
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of both samplers (default 0)")
    args = parser.parse_args(argv)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = make_objective(args.folds)
    samplers = {
        "gennes": GennesSampler(seed=args.seed, n_startup_trials=args.n_startup),
        "tpe": optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=args.n_startup),
    }
    print(f"PCA + SVC on digits, {args.folds}-fold CV accuracy; {args.trials} trials per sampler, "
          f"{args.n_startup} random startup trials, seed {args.seed}")
    best = {}
    for name, sampler in samplers.items():
        study = optuna.create_study(direction="maximize", sampler=sampler)
        start = time.monotonic()
        study.optimize(objective, n_trials=args.trials)
        elapsed = time.monotonic() - start
        params = ", ".join(f"{key} = {value:.4g}" if isinstance(value, float) else f"{key} = {value}"
                           for key, value in study.best_params.items())
        print(f"{name:<7} best accuracy {study.best_value:.4f} after {len(study.trials)} trials "
              f"({elapsed:.0f} s): {params}")
        best[name] = study.best_value
    return best


if __name__ == "__main__":
    main()
