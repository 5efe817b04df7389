"""Where `GennesSampler`'s time goes: process CPU seconds of the GP fit, of `optimize_acqf_gennes` and of the whole
`ask`, medians over the model-based trials (11-40) of `gennes-bo hpo` tasks, seed 0, one thread; then the median
`ask` of Optuna's `GPSampler` on the same tasks in the same process, and the ratio.

With `--acqf-variants`, the acquisitions of every third model-based trial are kept and maximized again with
lighter settings of `optimize_acqf_gennes`, and as the analytic LogEI (the posterior mean's best value at the
evaluated points as `best_f`) with the default settings: the median CPU seconds per call and the largest shortfall
of the acquisition value below the default's.

    PYTHONPATH=. python scripts/sampler_time_breakdown.py [--tasks svr-diabetes rf-breast-cancer] [--acqf-variants]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
import warnings

import optuna
import torch
from botorch.acquisition import LogExpectedImprovement

import gennes_bo.integrations.optuna as sampler_module
import gennes_bo.models as models
from benchmarks.hpo_tasks import get_task
from gennes_bo.acquisition import default_acqf_config, optimize_acqf_gennes
from gennes_bo.compare.runner import limit_threads

TRIALS, STARTUP = 40, 10
LIGHT = default_acqf_config(1)
VARIANTS = {  # optimize_acqf_gennes settings (AcqfSettings fields, and BoTorch options) on top of the sampler's
    "default": {},
    "2 restarts, 1 generator polished": {"num_restarts": 2, "config": dataclasses.replace(LIGHT, n_polish=1)},
    "1 restart, 256 raw samples, 1 polished": {"num_restarts": 1, "raw_samples": 256,
                                               "config": dataclasses.replace(LIGHT, n_polish=1)},
    "polish ftol 1e-5": {"options": {"ftol": 1e-5, "factr": None}},
}


def timed(function, times: list[float], calls: list | None = None):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        result = function(*args, **kwargs)
        times.append(time.process_time() - start)
        if calls is not None:
            calls.append((args, kwargs))
        return result
    return wrapper


def run_study(task, sampler, asks: list[float]) -> None:
    """`TRIALS` trials of `task` with `sampler`; the CPU seconds of each model-based `ask` go to `asks`."""
    study = optuna.create_study(sampler=sampler)
    space = task.space()
    for number in range(TRIALS):
        start = time.process_time()
        trial = study.ask(space)
        if number >= STARTUP:
            asks.append(time.process_time() - start)
        study.tell(trial, task.evaluate(trial.params))


def time_variants(calls: list) -> None:
    """Maximize each kept acquisition again under every variant; print median seconds and worst shortfall."""
    print("| variant | median s / call | largest shortfall of the acquisition value |")
    print("|---|---|---|")
    reference = None
    for name, extra in [*VARIANTS.items(), ("analytic LogEI, default settings", None)]:
        seconds, values = [], []
        for (acqf, bounds), kwargs in calls:
            if extra is None:
                with torch.no_grad():
                    best_f = acqf.model.posterior(acqf.X_baseline).mean[..., 0].max()
                acqf, extra_kwargs = LogExpectedImprovement(acqf.model, best_f=best_f), {}
            else:
                fields = {key: value for key, value in extra.items() if key != "options"}
                extra_kwargs = {"settings": kwargs["settings"].replace(**fields), "options": extra.get("options")}
            start = time.process_time()
            _, value = optimize_acqf_gennes(acqf, bounds, **{**kwargs, **extra_kwargs})
            seconds.append(time.process_time() - start)
            values.append(float(value))
        reference = reference or values
        shortfall = "—" if extra is None else f"{max(r - v for r, v in zip(reference, values, strict=True)):.1e}"
        print(f"| {name} | {statistics.median(seconds):.3f} | {shortfall} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["svr-diabetes", "rf-breast-cancer"])
    parser.add_argument("--acqf-variants", action="store_true",
                        help="also time lighter optimize_acqf_gennes settings and the analytic LogEI")
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    times: dict[str, list[float]] = {"GP fit": [], "optimize_acqf_gennes": [], "ask": []}
    calls: list = []
    models.fit_gp = timed(models.fit_gp, times["GP fit"])  # the default surrogate fits through it
    sampler_module.optimize_acqf_gennes = timed(sampler_module.optimize_acqf_gennes, times["optimize_acqf_gennes"],
                                                calls)
    for name in args.tasks:
        run_study(get_task(name), sampler_module.GennesSampler(seed=0, warn_independent_sampling=False), times["ask"])
    print(", ".join(f"{key} {statistics.median(values):.3f} s" for key, values in times.items())
          + " (medians per model-based trial)")
    gp_asks: list[float] = []
    for name in args.tasks:
        run_study(get_task(name), optuna.samplers.GPSampler(seed=0), gp_asks)
    ratio = statistics.median(times["ask"]) / statistics.median(gp_asks)
    print(f"GPSampler: ask {statistics.median(gp_asks):.3f} s; GennesSampler's ask is {ratio:.2f}x")
    if args.acqf_variants:
        time_variants(calls[::3])


if __name__ == "__main__":
    main()
