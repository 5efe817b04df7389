"""The report of `gennes-bo hpo` (docs/results/hpo.md), from its records only.

What ran (seeds per task and mode, CPU hours spent and left), the acceptance verdicts at 40 trials with their
numbers, the normalized score per task at 20 and 40 trials (mean ± standard error over seeds) with the mean over
tasks and the mean rank, the sampler's and the objective's seconds per trial, the ablation (which component made
the difference), and the normalized-score curves with bands.

*Normalized score* of a run on a task at n trials: `(R - y) / (R - y*)`, where y is the run's best loss after n
trials, R the mean over random search's seeds of its best loss after n trials, and y* the best loss any run of any
sampler found on the task: 0 is random search's mean, 1 the best found, negative worse than random search.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.hpo_spec import BATCH, BATCH_TASKS, CHECKPOINTS, MODES, SAMPLERS, SEEDS, TARGET, TRIALS
from benchmarks.hpo_tasks import TASKS
from gennes_bo.compare.plotting import mean_band, panel_grid
from gennes_bo.compare.report import Report, number_format, paired_p_value, win_tie_loss, wtl_text

ALPHA = 0.05
TIE = 0.01  # normalized scores closer than this are a tie (W/T/L, and "worse than GPSampler on a task")
MAX_TIME_RATIO = 2.0  # ours' sampler seconds per trial at most this multiple of GPSampler's
BASELINES = ("random", "tpe", "gp", "botorch", "smac")  # the samplers of the acceptance verdicts (ablations excluded)
ABLATIONS = (  # (ours, other, what differs)
    (TARGET, "gennes-coldfit", "the GP fit: warm-started from the previous trial's fit (ftol 1e-6) vs from BoTorch's "
                               "initial values at its default tolerance"),
    ("gennes-coldfit", "gennes-nowarp", "the model's outputs: a Yeo-Johnson warp fitted to the values vs the "
                                        "standardized values"),
    ("gennes-nowarp", "gennes-repeats", "space handling: avoid_repeats (never a completed or running trial's "
                                        "parameters again) vs suggesting them again"),
    ("gennes-nowarp", "gennes-lbfgs", "the acquisition optimizer: optimize_acqf_gennes vs BoTorch's optimize_acqf"),
    ("gennes-lbfgs", "botorch", "space handling and acquisition (same SingleTaskGP family and optimize_acqf): "
                                "qLogNEI, discrete local search, no repeats and pending trials vs BoTorchSampler's "
                                "qLogEI"),
    (TARGET, "gp", "the whole pipeline vs Optuna's own GP, acquisition and optimizer"),
)
SCORE = number_format(2, fixed=(1e-3, 1e4))
SECONDS = number_format(2, fixed=(1e-2, 1e4))
LOSS = number_format(3, fixed=(1e-3, 1e4))
P_VALUE = number_format(2, fixed=(1e-3, 10.0))
MODE_TITLES = {1: "sequential", BATCH: f"{BATCH} parallel workers (ask {BATCH}, tell {BATCH})"}
Runs = dict[str, dict[str, dict[int, Mapping[str, Any]]]]  # task -> sampler -> seed -> record


def group_runs(records: Sequence[Mapping[str, Any]]) -> dict[int, Runs]:
    """`hpo` records by batch size, task, sampler and seed (a run recorded twice counts once, the last), tasks
    and samplers in their registries' order."""
    grouped: dict[int, Runs] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    for record in records:
        spec = record["spec"]
        if spec.get("kind") == "hpo":
            grouped[spec["batch"]][spec["task"]][spec["sampler"]][spec["seed"]] = record
    order = {name: i for i, name in enumerate([*TASKS, *SAMPLERS])}
    return {batch: {task: {s: dict(grouped[batch][task][s]) for s in sorted(grouped[batch][task], key=order.get)}
                    for task in sorted(grouped[batch], key=order.get)} for batch in sorted(grouped)}


def ordered_samplers(runs: Runs) -> list[str]:
    names = {s for samplers in runs.values() for s in samplers}
    return [s for s in SAMPLERS if s in names] + sorted(names - set(SAMPLERS))


class Normalizer:
    """Normalized scores: per task, random search's mean best loss at each trial count and the best loss found.

    Random search's curve is pooled over both modes (its trials do not depend on the batch size).
    """

    def __init__(self, grouped: Mapping[int, Runs]) -> None:
        self.best: dict[str, float] = {}
        random: dict[str, dict[int, list[float]]] = defaultdict(dict)
        for runs in grouped.values():
            for task, samplers in runs.items():
                for sampler, seeds in samplers.items():
                    for seed, record in seeds.items():
                        self.best[task] = min(self.best.get(task, math.inf), record["final_best"])
                        if sampler == "random":
                            random[task][seed] = record["best"]
        self.random = {task: np.mean([curve for curve in curves.values()], axis=0)
                       for task, curves in random.items() if len({len(c) for c in curves.values()}) == 1}

    def score(self, task: str, curve: Sequence[float], n: int | None = None) -> float:
        """The normalized score of a best-so-far `curve` after `n` trials (default all); NaN without random
        search's runs on the task."""
        if task not in self.random:
            return math.nan
        n = len(curve) if n is None else n
        reference = self.random[task][min(n, len(self.random[task])) - 1]
        span = reference - self.best[task]
        return (reference - curve[n - 1]) / span if span > 0 else 0.0

    def curve(self, task: str, curve: Sequence[float]) -> np.ndarray:
        return np.array([self.score(task, curve, n) for n in range(1, len(curve) + 1)])


def _mean_se(values: Sequence[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "—"
    se = f" ± {SCORE(statistics.stdev(values) / math.sqrt(len(values)))}" if len(values) > 1 else ""
    return f"{SCORE(statistics.fmean(values))}{se}"


def _scores(norm: Normalizer, runs: Runs, sampler: str, n: int) -> dict[tuple[str, int], float]:
    """(task, seed) -> normalized score at n trials, over the runs with at least n trials."""
    return {(task, seed): norm.score(task, record["best"], n) for task, samplers in runs.items()
            for seed, record in samplers.get(sampler, {}).items() if len(record["best"]) >= n}


def task_means(norm: Normalizer, runs: Runs, n: int) -> dict[str, dict[str, float]]:
    """sampler -> task -> mean normalized score at n trials."""
    means: dict[str, dict[str, float]] = defaultdict(dict)
    for sampler in ordered_samplers(runs):
        by_task: dict[str, list[float]] = defaultdict(list)
        for (task, _), score in _scores(norm, runs, sampler, n).items():
            by_task[task].append(score)
        for task, scores in by_task.items():
            means[sampler][task] = statistics.fmean(scores)
    return means


def mean_ranks(means: Mapping[str, Mapping[str, float]], samplers: Sequence[str]) -> dict[str, float]:
    """Mean over the tasks that every one of `samplers` ran of each sampler's rank (1 = highest mean score; ties
    share the mean rank)."""
    import scipy.stats

    tasks = [t for t in next(iter(means.values()), {}) if all(t in means.get(s, {}) for s in samplers)]
    if not tasks or not samplers:
        return {}
    ranks = np.array([scipy.stats.rankdata([-means[s][t] for s in samplers]) for t in tasks])
    return dict(zip(samplers, ranks.mean(axis=0).tolist(), strict=True))


def paired(norm: Normalizer, runs: Runs, ours: str, other: str, n: int) -> tuple[int, float, float,
                                                                                 tuple[int, int, int], float] | None:
    """`ours` against `other` over the (task, seed) pairs both ran: pairs, the two mean scores, W/T/L and the
    paired Wilcoxon p-value (None without pairs)."""
    a, b = _scores(norm, runs, ours, n), _scores(norm, runs, other, n)
    keys = sorted(set(a) & set(b))
    if not keys:
        return None
    differences = [a[k] - b[k] for k in keys]
    return (len(keys), statistics.fmean(a[k] for k in keys), statistics.fmean(b[k] for k in keys),
            win_tie_loss(differences, TIE), paired_p_value(differences))


def seconds_per_trial(runs: Runs, sampler: str, key: str = "sampler_time") -> float:
    """Mean CPU seconds per trial over every trial of every run of `sampler`."""
    times = [t for samplers in runs.values() for r in samplers.get(sampler, {}).values() for t in r[key]]
    return statistics.fmean(times) if times else math.nan


# --------------------------------------------------------------------------------------------- verdicts
def verdicts(norm: Normalizer, runs: Runs, complete: bool) -> tuple[list[str], list[str]]:
    """The four acceptance verdicts of one mode at 40 trials, and the numbers behind them."""
    status = (lambda met: "met" if met else "**missed**") if complete else \
        (lambda met: "so far " + ("met" if met else "missed") + " (partial grid)")
    if TARGET not in ordered_samplers(runs):
        return [f"not yet measured: no run of `{TARGET}`"], []
    means = task_means(norm, runs, TRIALS)
    if TARGET not in means:
        return [f"not yet measured: no run of `{TARGET}` with {TRIALS} trials"], []
    tasks = [t for t in runs if all(t in means.get(s, {}) for s in (TARGET, *BASELINES) if s in means)]
    grid_mean = {s: statistics.fmean(means[s][t] for t in tasks) for s in (TARGET, *BASELINES)
                 if s in means and tasks}
    best_other = max((s for s in grid_mean if s != TARGET), key=grid_mean.get, default=None)
    summary, details = [], []
    if best_other is not None:
        met = grid_mean[TARGET] > grid_mean[best_other]
        summary.append(f"**(a)** `{TARGET}` has the best mean normalized score over the grid ({len(tasks)} tasks): "
                       f"{SCORE(grid_mean[TARGET])} vs the best other, `{best_other}`, {SCORE(grid_mean[best_other])}"
                       f": {status(met)}")
        details.append("mean normalized score over the tasks: " + ", ".join(
            f"`{s}` {SCORE(v)}" for s, v in sorted(grid_mean.items(), key=lambda item: -item[1])))
    tpe = paired(norm, runs, TARGET, "tpe", TRIALS)
    if tpe is not None:
        n, ours, theirs, wtl, p = tpe
        summary.append(f"**(b)** better than TPE under a paired test over task x seed (p < {ALPHA}): {SCORE(ours)} "
                       f"vs {SCORE(theirs)} over {n} pairs, W/T/L {wtl_text(wtl)}, Wilcoxon p = {P_VALUE(p)}: "
                       f"{status(ours > theirs and p < ALPHA)}")
    if "gp" in means:
        common = [t for t in runs if t in means["gp"] and t in means[TARGET]]
        worse = [t for t in common if means[TARGET][t] < means["gp"][t] - TIE]
        allowed = len(common) // 4
        summary.append(f"**(c)** worse than GPSampler (mean normalized score lower by more than {TIE}) on at most a "
                       f"quarter of the tasks ({allowed} of {len(common)}): worse on {len(worse)} "
                       f"({', '.join(worse) or 'none'}): {status(len(worse) <= allowed)}")
        details += [f"{t}: `{TARGET}` {SCORE(means[TARGET][t])} vs `gp` {SCORE(means['gp'][t])}" for t in common]
        ours_time, gp_time = seconds_per_trial(runs, TARGET), seconds_per_trial(runs, "gp")
        ratio = ours_time / gp_time
        summary.append(f"**(d)** sampler CPU seconds per trial at most {MAX_TIME_RATIO:g}x GPSampler's: "
                       f"{SECONDS(ours_time)} s vs {SECONDS(gp_time)} s ({ratio:.2f}x): "
                       f"{status(ratio <= MAX_TIME_RATIO)}")
    return summary, details


# ----------------------------------------------------------------------------------------------- report
def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """Write the markdown report and its figures (normalized score against trials, one per mode) beside it.

    Args:
        records: Records of `gennes-bo hpo` (other kinds are ignored).
        path: Markdown file; figures go beside it as `<its stem>_score_<mode>.png`.
        command: The command that regenerates the report (quoted in it).

    Returns:
        The markdown text.
    """
    grouped = group_runs(records)
    norm = Normalizer(grouped)
    n_records = sum(len(s) for runs in grouped.values() for samplers in runs.values() for s in samplers.values())
    complete = _complete(grouped)
    report = Report(path, "HPO: GennesSampler against Optuna's samplers on scikit-learn tasks")
    report.generated_by(command, n_records, "gennes-bo hpo")
    if not complete:
        report.paragraph("**Partial results**: the grid below is not finished (see *What ran*); every number is "
                         "provisional and the verdicts say *so far*.")
    report.paragraph(
        f"Each run is an Optuna study of {TRIALS} trials minimizing a task's 3-fold cross-validated loss with one "
        "sampler at its defaults (10 random startup trials for the model-based ones) and one seed; the folds and "
        "the models' seeds are fixed, so the seed is the sampler's. Sequential runs ask, evaluate and tell one "
        f"trial at a time; *8 parallel workers* asks {MODES['batch8']} trials, evaluates them and tells the "
        f"{MODES['batch8']} (in one process, deterministic), on {', '.join(BATCH_TASKS)}. *Normalized score* at n "
        "trials: 0 is random search's mean best loss after n trials, 1 the best loss any run found on the task "
        "(negative: worse than random search); mean ± standard error over seeds.")
    report.section("Tasks and samplers").table(
        ["task", "model and data", "loss (minimized)", "parameters"],
        [[f"`{t.name}`", t.description, t.loss, _space_text(t.space())] for t in TASKS.values()])
    report.table(["sampler", "what"], [[f"`{name}`", entry.description] for name, entry in SAMPLERS.items()])
    report.paragraph("Not run: HEBO (`pip install hebo` pins `pymoo==0.6.0` and `cma==3.2.2` and resolves to numpy "
                     "1.24: it would downgrade this environment's numpy 2 and cma 4, below the project's `cma>=3.3`). "
                     "SMAC3 has no Optuna sampler in the package registries (OptunaHub's is fetched from GitHub at "
                     "run time), so `smac` runs through the benchmark's own adapter.")
    timings = objective_timings(records)
    report.section("What ran").paragraph(*_what_ran_text(grouped, timings)).table(
        ["mode", "task", "seeds done / planned", "runs", "CPU h spent", "CPU h left (est.)"],
        _what_ran_rows(grouped, timings))
    for batch, runs in grouped.items():
        title = MODE_TITLES.get(batch, f"batches of {batch}")
        summary, details = verdicts(norm, runs, complete)
        report.section(f"Acceptance verdicts at {TRIALS} trials: {title}").paragraph(
            f"Paired over the (task, seed) pairs both samplers ran; *p*: two-sided Wilcoxon signed-rank test of the "
            f"paired normalized scores; W/T/L: pairs where `{TARGET}` scores higher / within {TIE} / lower. "
            "Sampler time: CPU seconds in `study.ask` and `study.tell` per trial, over every trial.").bullets(summary)
        report.paragraph("The numbers behind them:").bullets(details)
    for batch, runs in grouped.items():
        title = MODE_TITLES.get(batch, f"batches of {batch}")
        samplers = ordered_samplers(runs)
        for n in CHECKPOINTS:
            means = task_means(norm, runs, n)
            if not means:
                continue
            ranks = mean_ranks(means, [s for s in (TARGET, *BASELINES) if s in means])
            rows = [[f"`{task}`", *(_mean_se([norm.score(task, r["best"], n) for r in runs[task].get(s, {}).values()
                                              if len(r["best"]) >= n]) for s in samplers)] for task in runs]
            rows.append(["mean over tasks", *(SCORE(statistics.fmean(means[s].values())) if means.get(s) else "—"
                                              for s in samplers)])
            rows.append(["mean rank (ablations left out)", *(f"{ranks[s]:.2f}" if s in ranks else "—"
                                                             for s in samplers)])
            report.section(f"Normalized score at {n} trials: {title}").table(
                ["task", *(f"`{s}`" for s in samplers)], rows)
        first = 2 * BATCH
        report.section(f"Where the suggestions land: {title}").paragraph(
            f"What the score at {TRIALS} trials leaves out: the median loss of trials {first + 1} to {TRIALS}, past "
            "the GP samplers' random start in both modes (10 trials sequentially, the first two batches in "
            f"parallel), mean over seeds; and random search's best loss after {TRIALS} trials against the best any "
            "run found (`random` best / best found: the span the normalized score divides).").table(
            ["task", *(f"`{s}`" for s in samplers), "`random` best / best found"],
            [[f"`{task}`", *(_median_later_loss(runs[task].get(s, {}), first) for s in samplers),
              _random_span(norm, task)] for task in runs])
        report.section(f"Seconds per trial: {title}").paragraph(
            "Mean CPU seconds per trial over every trial of every run: the sampler's (`study.ask` + `study.tell`) "
            "and the objective's (the cross-validation); the ratio to GPSampler's, and the sampler's median over "
            "the model-based trials (after the 10 startup trials).").table(
            ["sampler", "sampler s / trial", "x `gp`'s", "sampler s / model-based trial (median)",
             "objective s / trial"],
            [[f"`{s}`", SECONDS(seconds_per_trial(runs, s)),
              f"{seconds_per_trial(runs, s) / seconds_per_trial(runs, 'gp'):.2g}" if "gp" in samplers else "—",
              SECONDS(_median_model_time(runs, s)), SECONDS(seconds_per_trial(runs, s, "objective_time"))]
             for s in samplers])
        if "gp" in samplers and TARGET in samplers:
            report.paragraph(f"By task, `{TARGET}` against `gp` (the measure of target (d), then the model-based "
                             "median):").table(
                ["task", "`gp` s / trial", f"`{TARGET}` s / trial", "x `gp`'s", "x `gp`'s (model-based median)"],
                [_task_time_row(task, {task: runs[task]}) for task in runs])
        rows = []
        for ours, other, what in ABLATIONS:
            result = paired(norm, runs, ours, other, TRIALS)
            if result is not None:
                n_pairs, a, b, wtl, p = result
                rows.append([f"`{ours}` vs `{other}`", what, n_pairs, f"{SCORE(a)} vs {SCORE(b)}", wtl_text(wtl),
                             P_VALUE(p)])
        if rows:
            report.section(f"Ablation at {TRIALS} trials: {title}").paragraph(
                "Which component makes the difference: each pair differs in the component named; mean normalized "
                "scores over the (task, seed) pairs both ran, W/T/L and the paired Wilcoxon p.").table(
                ["pair", "what differs", "pairs", "mean score", "W/T/L", "p"], rows)
        mode = "sequential" if batch == 1 else f"batch{batch}"
        report.figure(f"score_{mode}", lambda plot, runs=runs: plot_scores(norm, runs, plot),
                      heading=f"Normalized score against trials: {title}", alt=f"normalized score, {title}",
                      caption="Normalized score of the best loss so far against trials, mean ± standard error over "
                              "the seeds (legend: seeds), one panel per task.")
    return report.write()


def _median_later_loss(seeds: Mapping[int, Mapping[str, Any]], first: int) -> str:
    """Mean over seeds of the median loss of the trials after the first `first` ("—" without such runs)."""
    medians = [statistics.median(r["values"][first:]) for r in seeds.values() if len(r["values"]) > first]
    return LOSS(statistics.fmean(medians)) if medians else "—"


def _random_span(norm: Normalizer, task: str) -> str:
    if task not in norm.random:
        return "—"
    return f"{LOSS(norm.random[task][-1])} / {LOSS(norm.best[task])}"


def _space_text(space: Mapping[str, Any]) -> str:
    from optuna.distributions import CategoricalDistribution, IntDistribution

    def kind(d: Any) -> str:
        if isinstance(d, CategoricalDistribution):
            return f"cat {len(d.choices)}"
        return ("log " if d.log else "") + ("int" if isinstance(d, IntDistribution) else "float")

    return f"{len(space)}: " + ", ".join(f"{name} ({kind(d)})" for name, d in space.items())


def _planned_seeds(grouped: Mapping[int, Runs], sampler: str) -> int:
    """Seeds per cell planned for `sampler`: the grid's `SEEDS`, or as many as it has in its most-run cell (the
    grid extended with `--seeds 10` for some samplers plans them for every cell)."""
    return max([SEEDS, *(len(runs[task].get(sampler, {})) for runs in grouped.values() for task in runs)])


def _plan(grouped: Mapping[int, Runs], batch: int, task: str) -> dict[str, int]:
    """sampler -> seeds planned in a mode's task (a batched task outside `BATCH_TASKS`: what ran)."""
    runs = grouped[batch]
    in_grid = batch == 1 or task in BATCH_TASKS
    return {s: _planned_seeds(grouped, s) if in_grid else len(runs[task].get(s, {})) for s in SAMPLERS}


def _seeds_text(grouped: Mapping[int, Runs], batch: int, task: str) -> str:
    """`done/planned` seeds of a cell, by groups of samplers where they differ."""
    plan = _plan(grouped, batch, task)
    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    for sampler, planned in plan.items():
        groups[len(grouped[batch][task].get(sampler, {})), planned].append(sampler)
    if len(groups) == 1:
        return "{}/{}".format(*next(iter(groups)))
    return "; ".join(f"{done}/{planned}: " + ", ".join(f"`{s}`" for s in samplers)
                     for (done, planned), samplers in sorted(groups.items(), reverse=True))


def _complete(grouped: Mapping[int, Runs]) -> bool:
    if set(grouped) != set(MODES.values()):
        return False
    for batch, runs in grouped.items():
        tasks = TASKS if batch == 1 else BATCH_TASKS
        if any(t not in runs for t in tasks) or set(ordered_samplers(runs)) != set(SAMPLERS):
            return False
        if any(len(runs[t].get(s, {})) < planned for t in tasks for s, planned in _plan(grouped, batch, t).items()):
            return False
    return True


def objective_timings(records: Sequence[Mapping[str, Any]]) -> dict[str, list[float]]:
    """task -> objective CPU seconds of its `hpo-timing` records (`gennes-bo hpo --estimate`)."""
    timings: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record["spec"].get("kind") == "hpo-timing":
            timings[record["spec"]["task"]] += record["objective_time"]
    return dict(timings)


def _per_trial_costs(grouped: Mapping[int, Runs],
                     timings: Mapping[str, list[float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean CPU seconds per trial: of each task's objective (from its runs, else its `hpo-timing` records) and of
    each sampler."""
    objective: dict[str, list[float]] = defaultdict(list)
    sampler: dict[str, list[float]] = defaultdict(list)
    for runs in grouped.values():
        for task, samplers in runs.items():
            for name, seeds in samplers.items():
                for record in seeds.values():
                    objective[task] += record["objective_time"]
                    sampler[name] += record["sampler_time"]
    for task, times in timings.items():
        if not objective[task]:
            objective[task] = times
    return ({k: statistics.fmean(v) for k, v in objective.items() if v},
            {k: statistics.fmean(v) for k, v in sampler.items()})


def _left(grouped: Mapping[int, Runs], timings: Mapping[str, list[float]], batch: int, task: str) -> float:
    """Estimated CPU seconds to finish a mode's task at the planned seeds, every sampler: each missing run costed
    at trials x (the task's mean objective seconds + the sampler's mean sampler seconds per trial)."""
    objective, sampler = _per_trial_costs(grouped, timings)
    runs = grouped[batch]
    return sum(max(seeds - len(runs[task].get(s, {})), 0) * TRIALS * (objective.get(task, 0.0) + sampler.get(s, 0.0))
               for s, seeds in _plan(grouped, batch, task).items())


def _what_ran_rows(grouped: Mapping[int, Runs], timings: Mapping[str, list[float]]) -> list[list[Any]]:
    rows = []
    for batch, runs in grouped.items():
        for task, samplers in runs.items():
            spent = sum(r["cpu_time"] for s in samplers.values() for r in s.values())
            rows.append([MODE_TITLES.get(batch, str(batch)), f"`{task}`",
                         _seeds_text(grouped, batch, task),
                         sum(len(s) for s in samplers.values()), f"{spent / 3600:.2f}",
                         f"{_left(grouped, timings, batch, task) / 3600:.2f}"])
    return rows


def _what_ran_text(grouped: Mapping[int, Runs], timings: Mapping[str, list[float]]) -> list[str]:
    records = [r for runs in grouped.values() for s in runs.values() for seeds in s.values() for r in seeds.values()]
    spent = sum(r["cpu_time"] for r in records)
    objective, sampler = _per_trial_costs(grouped, timings)
    cells = [*((1, t) for t in TASKS), *((MODES["batch8"], t) for t in BATCH_TASKS)]
    seeds = {s: _planned_seeds(grouped, s) for s in SAMPLERS}
    missing = [t for t in TASKS if t not in objective] + [s for s in SAMPLERS if s not in sampler]
    total = sum(seeds[s] * TRIALS * (objective.get(t, 0.0) + sampler.get(s, 0.0)) for _, t in cells for s in SAMPLERS)
    total_text = (f"{total / 3600:.1f} CPU hours" if not missing else
                  f"at least {total / 3600:.1f} CPU hours ({', '.join(missing)} not yet timed)")
    extended: dict[int, list[str]] = defaultdict(list)
    for name in SAMPLERS:
        if seeds[name] > SEEDS:
            extended[seeds[name]].append(f"`{name}`")
    seeds_text = f"{SEEDS} seeds" + (" (" + "; ".join(f"{n} for {', '.join(names)}" for n, names in extended.items())
                                     + ": the grid extended where compute allowed)" if extended else "")
    per_sampler = ", ".join(f"`{s}` {SECONDS(sampler[s])} s" for s in SAMPLERS if s in sampler)
    per_task = ", ".join(f"`{t}` {SECONDS(objective[t])} s" for t in TASKS if t in objective)
    return [f"CPU hours spent: {spent / 3600:.2f} over {len(records)} runs (the records' process CPU times; every "
            "run is single-threaded).",
            f"Estimate of the whole planned grid ({len(cells)} mode-task cells x {len(SAMPLERS)} samplers x "
            f"{seeds_text} x {TRIALS} trials): {total_text}, each run costed at "
            f"{TRIALS} x (the task's mean objective seconds + the sampler's mean seconds per trial) from the records "
            "(`gennes-bo hpo --estimate` measures both before a grid runs): objective per trial "
            f"{per_task or 'not yet measured'}; sampler per trial {per_sampler or 'not yet measured'}.",
            "A *cell* lacking seeds of some sampler is partial; its numbers are provisional."
            + "".join(f" Not yet run: the {MODE_TITLES[batch]} mode." for batch in MODE_TITLES if batch not in grouped)]


def _task_time_row(task: str, runs: Runs) -> list[str]:
    """A task's sampler seconds per trial of `gp` and of ours, and the ratios (mean, model-based median)."""
    gp, ours = seconds_per_trial(runs, "gp"), seconds_per_trial(runs, TARGET)
    return [f"`{task}`", SECONDS(gp), SECONDS(ours), f"{ours / gp:.2g}",
            f"{_median_model_time(runs, TARGET) / _median_model_time(runs, 'gp'):.2g}"]


def _median_model_time(runs: Runs, sampler: str, n_startup: int = 10) -> float:
    times = [t for samplers in runs.values() for r in samplers.get(sampler, {}).values()
             for t in r["sampler_time"][n_startup:]]
    return statistics.median(times) if times else math.nan


def plot_scores(norm: Normalizer, runs: Runs, path: str | Path) -> bool:
    """One panel per task: normalized score against trials, mean ± standard error per sampler."""
    tasks = [t for t in runs if t in norm.random]
    if not tasks:
        return False
    colors = {name: f"C{i % 10}" for i, name in enumerate(SAMPLERS)}
    with panel_grid(len(tasks), path, max_cols=3, panel_size=(4.6, 3.4), dpi=100) as axes:
        for ax, task in zip(axes, tasks, strict=True):
            for sampler in ordered_samplers({task: runs[task]}):
                curves = [norm.curve(task, r["best"]) for r in runs[task][sampler].values()]
                if len({len(c) for c in curves}) != 1:
                    continue
                curves = np.array(curves)
                mean_band(ax, np.arange(1, curves.shape[1] + 1), curves, label=f"{sampler} ({len(curves)})",
                          color=colors.get(sampler, "k"))
            ax.axhline(0.0, color="grey", lw=0.6)
            ax.set(title=task, xlabel="trials", ylabel="normalized score", ylim=(-1.0, 1.05))
            ax.legend(fontsize="x-small")
    return True
