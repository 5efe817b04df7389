"""How `GennesSampler`'s GP fit trades time for likelihood: warm starts and L-BFGS-B's tolerance.

Runs `GennesSampler` (its defaults) on `gennes-bo hpo` tasks, seed 0, 40 trials, keeps the data of every GP fit,
then refits each data set four ways: from BoTorch's initial values or from the previous fit of the same study
(warm), each at scipy's default tolerance or at `WARM_FIT_FTOL`. It prints the median CPU seconds of a fit and the
gap of its marginal log likelihood (per point, as `ExactMarginalLogLikelihood` gives it) below the reference fit
(cold, default tolerance), with the counts of fits more than 0.05 below and above it (a negative gap: a better
optimum than the reference's). One thread.

    PYTHONPATH=. python scripts/gp_fit_probe.py [--tasks svr-diabetes rf-breast-cancer mlp-wine]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import optuna
import torch
from gpytorch.mlls import ExactMarginalLogLikelihood
from sampler_time_breakdown import run_study

import gennes_bo.integrations.optuna as sampler_module
import gennes_bo.models as models
from benchmarks.hpo_tasks import get_task
from gennes_bo.compare.runner import limit_threads

FTOL = models.WARM_FIT_FTOL
FIT_GP = models.fit_gp  # the surrogate's own fit, kept before main() wraps it to record the data


def fit(X, Y, start, ftol):
    """The sampler's fit of `X`, `Y` from `start` at `ftol`: the model, the CPU seconds of the fit and the marginal
    log likelihood."""
    began = time.process_time()
    model = FIT_GP(X, Y, start=start, ftol=ftol)
    seconds = time.process_time() - began
    mll = ExactMarginalLogLikelihood(model.likelihood, model).train()
    with torch.no_grad():
        value = mll(model(*model.train_inputs), model.train_targets).sum().item()
    return model, seconds, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["svr-diabetes", "rf-breast-cancer", "mlp-wine"])
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    studies: list[list[tuple]] = []

    def recording_fit(X, Y, bounds=None, *, start=None, ftol=None):
        studies[-1].append((X.clone(), Y.clone()))
        return FIT_GP(X, Y, bounds, start=start, ftol=ftol)

    models.fit_gp = recording_fit  # the default surrogate (models.GPSurrogate) fits through it
    for name in args.tasks:
        studies.append([])
        run_study(get_task(name), sampler_module.GennesSampler(seed=0, warn_independent_sampling=False), [])
    print(f"{sum(map(len, studies))} GP fits of {len(args.tasks)} studies; gap: reference log likelihood minus this "
          "one's")
    print("| start | ftol | median s / fit | x reference | median gap | max gap | gaps > 0.05 | gaps < -0.05 |")
    print("|---|---|---|---|---|---|---|---|")
    reference = None  # (median seconds, values) of the first row: cold, default tolerance
    for warm, ftol in ((False, None), (True, None), (False, FTOL), (True, FTOL)):
        seconds, values = [], []
        for data in studies:
            previous = None
            for X, Y in data:
                model, spent, value = fit(X, Y, previous if warm else None, ftol)
                previous = {name: p.detach().clone() for name, p in model.named_parameters()}
                seconds.append(spent)
                values.append(value)
        median = statistics.median(seconds)
        reference = reference or (median, np.array(values))
        gaps = reference[1] - np.array(values)
        print(f"| {'warm' if warm else 'cold'} | {ftol or 'default'} | {median:.3f} | {reference[0] / median:.1f} "
              f"| {np.median(gaps):.1e} | {gaps.max():.2f} | {(gaps > 0.05).sum()} | {(gaps < -0.05).sum()} |")


if __name__ == "__main__":
    main()
