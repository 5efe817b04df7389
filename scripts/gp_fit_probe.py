"""How `GennesSampler`'s GP fit trades time for likelihood: warm starts and L-BFGS-B's tolerance.

Runs `GennesSampler` (its defaults) on `gennes-bo hpo` tasks, seed 0, 40 trials, keeps the data of every GP fit,
then refits each data set four ways: from BoTorch's initial values or from the previous fit of the same study
(warm), each at scipy's default tolerance or at `GP_FIT_FTOL`. It prints the median CPU seconds of a fit and the
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
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood

import gennes_bo.integrations.optuna as sampler_module
from gennes_bo.benchmarks.hpo_tasks import get_task
from gennes_bo.benchmarks.runner import limit_threads

TRIALS = 40
FTOL = sampler_module.GP_FIT_FTOL


def fit(X, Y, start, ftol):
    """A fitted model, the CPU seconds of its fit and its marginal log likelihood."""
    model = SingleTaskGP(X, Y, outcome_transform=Standardize(m=Y.shape[-1]))
    if start is not None:
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                parameter.copy_(start[name])
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    began = time.process_time()
    fit_gpytorch_mll(mll, optimizer_kwargs=None if ftol is None else {"options": {"ftol": ftol}})
    seconds = time.process_time() - began
    mll.train()
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
    fit_gp = sampler_module._fit_gp

    def recording_fit(X, Y, start=None, ftol=None):
        studies[-1].append((X.clone(), Y.clone()))
        return fit_gp(X, Y, start, ftol)

    sampler_module._fit_gp = recording_fit
    for name in args.tasks:
        task, studies = get_task(name), [*studies, []]
        study = optuna.create_study(sampler=sampler_module.GennesSampler(seed=0, warn_independent_sampling=False))
        for _ in range(TRIALS):
            trial = study.ask(task.space())
            study.tell(trial, task.evaluate(trial.params))
    references = [fit(X, Y, None, None)[2] for data in studies for X, Y in data]
    print(f"{len(references)} GP fits of {len(args.tasks)} studies; gap: reference log likelihood minus this one's")
    print("| start | ftol | median s / fit | x reference | median gap | max gap | gaps > 0.05 | gaps < -0.05 |")
    print("|---|---|---|---|---|---|---|---|")
    reference_seconds = None
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
        reference_seconds = reference_seconds or median
        gaps = np.array(references) - np.array(values)
        print(f"| {'warm' if warm else 'cold'} | {ftol or 'default'} | {median:.3f} | {reference_seconds / median:.1f} "
              f"| {np.median(gaps):.1e} | {gaps.max():.2f} | {(gaps > 0.05).sum()} | {(gaps < -0.05).sum()} |")


if __name__ == "__main__":
    main()
