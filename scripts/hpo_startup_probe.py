"""The parallel-mode startup lever: `GennesSampler` whose random startup phase ends once `n_startup_trials` trials
have *started* (completed or running) and at least `--floor` have completed, against its default (the GP takes
over after `n_startup_trials` completed trials).

With `hpo`'s batches of 8 and 10 startup trials, the default draws the first two batches (16 trials) at random;
the variant draws the second batch's first two at random and suggests its other six from the GP fitted to the
first batch, with the running trials pending. It runs `gennes-bo hpo`'s batched mode (`--mode batch8`: its tasks,
seeds and 40 trials) and scores the runs against the records in `--records` (the same normalization as the
report: 0 = random search's mean, 1 = the best any recorded run found), paired by (task, seed) with the records'
`gennes`, `tpe`, `gp` and `random`.

    PYTHONPATH=. python scripts/hpo_startup_probe.py [--seeds 5] [--floor 5]
"""

from __future__ import annotations

import argparse
import warnings

import optuna
from optuna.trial import TrialState

from benchmarks import hpo
from benchmarks.hpo_report import Normalizer, group_runs, paired, task_means
from benchmarks.hpo_tasks import get_task
from gennes_bo.compare.records import load_records
from gennes_bo.compare.runner import limit_threads
from gennes_bo.integrations.optuna import GennesSampler
from gennes_bo.integrations.optuna_space import in_search_space

VARIANT = "startup-counts-running"


class StartupCountsRunning(GennesSampler):
    """GennesSampler whose startup phase counts running trials (at least `floor` completed)."""

    def __init__(self, *, floor: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self._floor = floor

    def sample_relative(self, study, trial, search_space):
        completed = sum(search_space.keys() <= t.params.keys()
                        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        running = sum(t.number != trial.number and in_search_space(t.params, search_space)
                      for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if not search_space or completed < self._floor or completed + running < self._n_startup_trials:
            return {}
        startup, self._n_startup_trials = self._n_startup_trials, min(completed, self._n_startup_trials)
        try:
            return super().sample_relative(study, trial, search_space)
        finally:
            self._n_startup_trials = startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--floor", type=int, default=5, help="completed trials the GP needs at least")
    parser.add_argument("--records", default="results/hpo.jsonl")
    args = parser.parse_args()
    limit_threads()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grouped = group_runs(load_records(args.records))
    runs = grouped[hpo.BATCH]
    for seed in range(args.seeds):
        for name in hpo.BATCH_TASKS:
            task = get_task(name)
            hpo.warm_up(name)
            spec = {"task": name, "batch": hpo.BATCH, "trials": hpo.TRIALS, "seed": seed}
            sampler = StartupCountsRunning(floor=args.floor, seed=seed, warn_independent_sampling=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                record = hpo.run_study(spec, task, task.space(), sampler)
            runs[name].setdefault(VARIANT, {})[seed] = record
            print(f"{name} seed {seed}: best loss {record['final_best']:.4g}", flush=True)
    norm = Normalizer(grouped)
    means = task_means(norm, runs, hpo.TRIALS)
    for sampler in (VARIANT, "gennes", "tpe", "gp"):
        scores = ", ".join(f"{task} {score:.3f}" for task, score in means[sampler].items())
        print(f"{sampler}: mean {sum(means[sampler].values()) / len(means[sampler]):.3f} ({scores})")
    for other in ("gennes", "tpe", "gp", "random"):
        pairs, ours, theirs, (wins, ties, losses), p = paired(norm, runs, VARIANT, other, hpo.TRIALS)
        print(f"{VARIANT} vs {other}: {pairs} pairs, {ours:.3f} vs {theirs:.3f}, W/T/L {wins}/{ties}/{losses}, "
              f"p = {p:.2g}")


if __name__ == "__main__":
    main()
