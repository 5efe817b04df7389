"""Where a multi-objective trial of `GennesSampler` spends its time: process CPU seconds per model-based trial
(trials 11-30 of `gennes-bo hpo-mo`'s studies, one thread) in the surrogate's fit, in building the acquisition and in
maximizing it, and the whole `ask`, for each hypervolume acquisition (`SamplerAcquisition(hypervolume=...)`).
Means over the studies, on the dev split's problems only.

    PYTHONPATH=. python scripts/mo_trial_time.py [--problems c2dtlz2 constrained-branincurrin] [--seeds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections import defaultdict
from unittest import mock

import benchmarks.hpo_mo as hpo_mo
from gennes_bo.compare.runner import limit_threads
from gennes_bo.integrations.optuna import HYPERVOLUME_ACQUISITIONS, SamplerAcquisition
from gennes_bo.models import GPSurrogate

PARTS = {"fit": (GPSurrogate, "__call__"), "build": (SamplerAcquisition, "build"),
         "maximize": (SamplerAcquisition, "maximize")}


def timed_study(problem: str, seed: int, hypervolume: str) -> dict[str, float]:
    """CPU seconds per model-based trial of one study: each part of `PARTS` and the whole `ask`."""
    spent: dict[str, float] = defaultdict(float)

    def timer(part, method):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent[part] += time.process_time() - start
        return wrapper

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(
            hpo_mo.SAMPLERS, {"probe": hpo_mo.Sampler("probe", acquisition={"hypervolume": hypervolume})}))
        for part, (owner, name) in PARTS.items():
            stack.enter_context(mock.patch.object(owner, name, timer(part, getattr(owner, name))))
        record = hpo_mo.run_spec({"kind": "hpo-mo", "problem": problem, "sampler": "probe", "seed": seed,
                                  "trials": hpo_mo.TRIALS})
    model_trials = hpo_mo.TRIALS - hpo_mo.STARTUP
    return {**{part: spent[part] / model_trials for part in PARTS},
            "ask": statistics.mean(record["sampler_time"][hpo_mo.STARTUP:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=["c2dtlz2", "constrained-branincurrin"])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    for problem in args.problems:
        if hpo_mo.split_of(problem) != "dev":
            parser.error(f"{problem!r} is a test problem; this probe runs on dev problems only")
    limit_threads()
    print(f"{'problem':26s} {'hypervolume':11s} " + " ".join(f"{part:>8s}" for part in [*PARTS, "ask"]))
    for problem in args.problems:
        for hypervolume in HYPERVOLUME_ACQUISITIONS:
            rows = [timed_study(problem, seed, hypervolume) for seed in range(args.seeds)]
            means = {part: statistics.mean(row[part] for row in rows) for part in rows[0]}
            print(f"{problem:26s} {hypervolume:11s} " + " ".join(f"{means[part]:8.3f}" for part in means),
                  flush=True)


if __name__ == "__main__":
    main()
