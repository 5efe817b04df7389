"""Where `GennesSampler`'s time goes: process CPU seconds of the GP fit, of `optimize_acqf_gennes` and of the whole
`ask`, medians over the model-based trials (11-40) of `gennes-bo hpo` tasks, seed 0, one thread.

    PYTHONPATH=. python scripts/sampler_time_breakdown.py [--tasks svr-diabetes rf-breast-cancer]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import optuna

import gennes_bo.integrations.optuna as sampler_module
from gennes_bo.benchmarks.hpo_tasks import get_task
from gennes_bo.benchmarks.runner import limit_threads

TRIALS, STARTUP = 40, 10


def timed(function, times: list[float]):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        result = function(*args, **kwargs)
        times.append(time.process_time() - start)
        return result
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["svr-diabetes", "rf-breast-cancer"])
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    times: dict[str, list[float]] = {"GP fit": [], "optimize_acqf_gennes": [], "ask": []}
    sampler_module._fit_gp = timed(sampler_module._fit_gp, times["GP fit"])
    sampler_module.optimize_acqf_gennes = timed(sampler_module.optimize_acqf_gennes, times["optimize_acqf_gennes"])
    for name in args.tasks:
        task = get_task(name)
        space = task.space()
        study = optuna.create_study(sampler=sampler_module.GennesSampler(seed=0, warn_independent_sampling=False))
        for number in range(TRIALS):
            start = time.process_time()
            trial = study.ask(space)
            if number >= STARTUP:
                times["ask"].append(time.process_time() - start)
            study.tell(trial, task.evaluate(trial.params))
    print(", ".join(f"{key} {statistics.median(values):.3f} s" for key, values in times.items())
          + " (medians per model-based trial)")


if __name__ == "__main__":
    main()
