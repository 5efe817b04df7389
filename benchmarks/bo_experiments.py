"""The paper's BO experiments (Section 4.2): digits logistic-regression HPO and Alpine1-d20, optimizer by optimizer.

Each run is a BoTorch BO loop (`gennes_bo.compare.bo_loop.run_bo_loop`: SingleTaskGP with default priors,
(q)LogEI or the paper's (q)EI) whose acquisition maximizer is one of the registry
`gennes_bo.compare.registry`: `gennes` (the paper's, registered by `benchmarks.baselines`: N = 10, alpha = 0.99,
20 iterations for digits, 30 for Alpine1), `gennes-hybrid` (ours), `lbfgs-paper` (20 / 100 uniform L-BFGS-B starts),
`botorch-default` (20 restarts, 1024 raw samples), `cma`, any name added with `register()`, or any
`package.module:function` with `optimize_acqf`'s call shape.

Tasks (minimization convention in records and reports; the loop maximizes the negated value):

- `digits`: test error of logistic regression on sklearn digits, 4 hyperparameters, 20 initial points, 30 BO
  iterations. Fold k seeds the train/test split (`DigitsLogisticRegression(seed=k)`); the value is the test error.
- `alpine1`: Alpine1 in d = 20 on the paper's domain [-10, 10]^20, 100 initial points, 40 BO iterations; the value
  is the regret `f(best) - f*`. The plain function (the default) has `f* = 0` at the origin, the box's centre;
  `--translate` moves the optimum uniformly at random per fold instead (exact `f* = 0` kept), so that no optimizer
  is credited for a pull towards the centre.

Fold k also seeds the initial design, the Monte-Carlo samples and the acquisition optimizer. With q = 4 an
iteration adds 4 evaluations. One JSON line per finished run (written by the parent process; rerunning skips
recorded runs), local processes (`--workers`) or a Dask cluster (`--scheduler`). Runs are ordered task,
acquisition, q, fold, optimizer, so a partial grid holds complete paired folds. `--report` writes the tables, the
target verdicts and the curves (as the paper's figures 3-4) from the records only. `--estimate` times one
acquisition call per optimizer and cell and prints the grid's CPU hours; a fresh grid estimated above 1 CPU hour
asks for `--yes`.

    gennes-bo bo --estimate                               # CPU hours of the full grid, from one call per cell
    gennes-bo bo --yes                                    # both tasks, the full grid into results/bo.jsonl
    gennes-bo bo --problems digits --optimizers gennes-hybrid lbfgs-paper --acquisitions logei --q 1
    gennes-bo bo --problems alpine1 --scheduler tcp://HOST:8786 --yes  # on a Dask cluster (workers need gennes-bo)
    gennes-bo bo --report                                 # docs/results/bo.md, bo_digits.png, bo_alpine1.png
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from botorch.test_functions.base import BaseTestProblem

from gennes_bo.compare.bo_loop import ACQUISITIONS, run_bo_loop, warm_up
from gennes_bo.compare.compare_acqf import REL_TOL, count_wtl, ei_ratio
from gennes_bo.compare.plotting import mean_band, panel_grid, step_values
from gennes_bo.compare.registry import ACQF_OPTIMIZERS, AcqfTask, get_acqf_optimizer
from gennes_bo.compare.report import (
    Report,
    number_format,
    paired_p_value,
    run_report_command,
    win_tie_loss,
    wtl_text,
)
from gennes_bo.compare.runner import (
    COST_COLUMNS,
    CellCost,
    add_acquisitions_argument,
    add_grid_arguments,
    add_optimizers_argument,
    add_problems_argument,
    limit_threads,
    run_grid_command,
    seeds_or_default,
)
from gennes_bo.test_functions import DigitsLogisticRegression, get_problem, random_translation

OPTIMIZERS = ("gennes-hybrid", "gennes", "lbfgs-paper", "botorch-default", "cma")
Q_VALUES = (1, 4)
FOLDS = 10
REL_TOLERANCE = 0.05  # "same final result": mean paired difference within 5 % of the baseline's mean
POINTS_RATIO = 0.5  # the issue's target: at most half the baselines' acquisition points
TARGET = "gennes-hybrid"
PAPER_GENNES = "gennes"  # the paper's settings, held to the target's criterion in the report
TARGET_BASELINES = ("lbfgs-paper", "botorch-default")
QUICK = {"seeds": 2, "iterations": 2, "n_init": 4, "q": [1], "acquisitions": ["logei"],
         "optimizers": ["gennes", "lbfgs-paper"]}
DEFAULT_OUT = "results/bo.jsonl"
DEFAULT_REPORT = "docs/results/bo.md"


@dataclass(frozen=True)
class TaskSettings:
    """The paper's settings of one BO task (Section 4.2, Appendix A.3) of `gennes-bo bo`.

    Attributes:
        label: Name in reports, with what its value means.
        n_init: Initial random points (the paper's).
        iterations: Default BO iterations.
        paper_starts: Random starts of `lbfgs-paper`.
        paper_iterations: Iterations of `gennes`.
        resolution: Smallest meaningful difference of the value (one test image of 270 for digits, 0: none).
    """

    label: str
    n_init: int
    iterations: int
    paper_starts: int
    paper_iterations: int
    resolution: float


TASKS = {
    # One test image of the 270 (15 % of 1797) is the resolution of the test error.
    "digits": TaskSettings("digits LR, test error", 20, 30, 20, 20, 1 / 270),
    "alpine1": TaskSettings("Alpine1 d=20, regret", 100, 40, 100, 30, 0.0),
}
ALPINE1_DIM = 20


def make_problem(task: str, seed: int, translate: bool = False) -> tuple[BaseTestProblem, float]:
    """The minimization problem of a BO task for one fold, and its optimal value.

    Args:
        task: A key of `TASKS`.
        seed: The fold: seeds the digits train/test split and SGD, or the Alpine1 translation.
        translate: Alpine1 only: move the optimum uniformly at random in the box (exact `f* = 0` kept); without it
            the paper's domain has `f* = 0` at the origin, the box's centre.

    Returns:
        `(problem, f*)`; for digits `f* = 0`, so the regret is the test error.
    """
    if task not in TASKS:
        raise ValueError(f"`task` must be among {sorted(TASKS)}, got {task!r}")
    if task == "digits":
        return DigitsLogisticRegression(seed=seed), 0.0
    problem = get_problem("alpine1", ALPINE1_DIM)
    if translate:
        problem = random_translation(problem, seed=seed)
    return problem, float(problem.optimal_value)


def make_specs(tasks: Sequence[str] = tuple(TASKS), optimizers: Sequence[str] = OPTIMIZERS,
               acquisitions: Sequence[str] = ACQUISITIONS, q: Sequence[int] = Q_VALUES, folds: int = FOLDS,
               n_init: int | None = None, iterations: int | None = None,
               translate: bool = False) -> list[dict[str, Any]]:
    """The grid in run order: task, acquisition, q, fold, then optimizer (complete paired folds come first).

    Args:
        tasks: Among `TASKS`.
        optimizers: Registered names or `package.module:function` import paths (checked here).
        acquisitions: Among `ACQUISITIONS`.
        q: Candidates per BO iteration.
        folds: Folds per cell; a spec's `seed` is its fold.
        n_init: Initial points (default: each task's paper setting).
        iterations: BO iterations (default: each task's).
        translate: Alpine1 only: translate the optimum randomly per fold.

    Raises:
        ValueError: For an unknown task, optimizer or acquisition, or a non-positive count.
    """
    tasks, optimizers, acquisitions, q = (list(dict.fromkeys(v)) for v in (tasks, optimizers, acquisitions, q))
    for task in tasks:
        if task not in TASKS:
            raise ValueError(f"`tasks` must be among {sorted(TASKS)}, got {task!r}")
    for acquisition in acquisitions:
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"`acquisitions` must be among {ACQUISITIONS}, got {acquisition!r}")
    for optimizer in optimizers:
        get_acqf_optimizer(optimizer)  # raises ValueError naming it
    for name, value in (("folds", folds), ("n_init", n_init), ("iterations", iterations), *(("q", v) for v in q)):
        if value is not None and value < 1:
            raise ValueError(f"`{name}` must be >= 1, got {value}")
    specs = []
    for task in tasks:
        settings = TASKS[task]
        extra = {"translate": translate} if task == "alpine1" else {}
        for acquisition in acquisitions:
            for batch in q:
                for fold in range(folds):
                    specs += [{"kind": "bo", "task": task, "optimizer": optimizer, "acquisition": acquisition,
                               "q": batch, "seed": fold, "n_init": n_init or settings.n_init,
                               "iterations": iterations or settings.iterations, **extra} for optimizer in optimizers]
    return specs


def spec_task(spec: Mapping[str, Any]) -> AcqfTask:
    """The :class:`~gennes_bo.compare.registry.AcqfTask` of a spec: its q and its task's paper budgets."""
    settings = TASKS[spec["task"]]
    return AcqfTask(q=spec["q"], paper_starts=settings.paper_starts, paper_iterations=settings.paper_iterations)


def spec_settings(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the spec's optimizer runs with (its registry entry's resolved settings; None for an import path)."""
    return get_acqf_optimizer(spec["optimizer"]).resolved_settings(spec_task(spec))


def run_bo_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one grid spec in a worker; the record body (picklable, top level).

    Returns:
        `best` (iterations + 1: after the initial design, then after each iteration; test error or regret),
        `evaluations` (objective evaluations at those points), `cum_acqf_points` (cumulative acquisition points
        per iteration), `acqf_time` and `fit_time` (seconds per iteration), `acqf_value`, `values` (every
        objective value, minimization), `best_x`, `final_best`, `total_acqf_points`, `total_acqf_time`,
        `wall_time`.
    """
    problem, optimal_value = make_problem(spec["task"], spec["seed"], spec.get("translate", False))
    optimizer = get_acqf_optimizer(spec["optimizer"]).make(spec_task(spec))
    warm_up(spec["optimizer"], spec["acquisition"], spec["q"])  # no run pays the one-time import costs
    start = time.monotonic()
    trace = run_bo_loop(lambda X: -problem(X), problem.bounds.to(torch.float64), optimizer,
                        n_init=spec["n_init"], n_iterations=spec["iterations"], q=spec["q"],
                        acquisition=spec["acquisition"], seed=spec["seed"])
    wall_time = time.monotonic() - start
    n_init, q = spec["n_init"], spec["q"]
    per_eval = [-v - optimal_value for v in trace.best_so_far]
    evaluations = [n_init + q * i for i in range(spec["iterations"] + 1)]
    return {
        "best": [per_eval[n - 1] for n in evaluations],
        "evaluations": evaluations,
        "cum_acqf_points": np.cumsum(trace.n_acqf_evals).tolist(),
        "acqf_time": trace.acqf_time,
        "fit_time": trace.fit_time,
        "acqf_value": trace.acqf_value,
        "values": (-trace.Y - optimal_value).tolist(),
        "best_x": trace.best_x.tolist(),
        "final_best": per_eval[-1],
        "total_acqf_points": int(sum(trace.n_acqf_evals)),
        "total_acqf_time": float(sum(trace.acqf_time)),
        "wall_time": wall_time,
    }


# --------------------------------------------------------------------------------------------- --estimate
def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | CellCost]:
    """Time one acquisition call per optimizer and cell, and cost the grid's runs without running them.

    Each cell's GP is fitted in this process (one thread) to fold 0's initial design (the first iteration's data)
    and to it plus uniform points standing for the BO points of the last iteration; each optimizer is timed once on
    each (`benchmarks.bo_cost`: a run costs `iterations x` the mean of the two, call + GP fit, plus the objective
    on each of its points: digits trains a model per point).

    Yields:
        As they are measured: per cell, one `CellCost` per optimizer and a line of the GP fits and the objective.
    """
    import functools

    from benchmarks.bo_cost import TIMING_HEADER, fit_line, optimizer_line, time_bo_iterations

    limit_threads()
    runs: dict[Setting, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for spec in specs:
        runs[_setting(spec)][spec["optimizer"]].append(spec)
    yield f"{TIMING_HEADER} {COST_COLUMNS}"
    for (task, acquisition, q, n_init, iterations, translate), optimizers in runs.items():
        problem, _ = make_problem(task, 0, translate)
        bounds = problem.bounds.to(torch.float64)
        X_last = torch.cat([_uniform(bounds, n_init, 0), _uniform(bounds, q * (iterations - 1), 1)])
        timing = time_bo_iterations(
            _maximized(problem), bounds, X_last[:n_init], X_last,
            {name: get_acqf_optimizer(name).make(spec_task(runs_of[0])) for name, runs_of in optimizers.items()},
            acquisition=acquisition, q=q, warm_up=functools.partial(warm_up, acquisition=acquisition, q=q))
        title = f"{task}{' translated' if translate else ''} {acquisition} q={q}"
        for optimizer, cell_specs in optimizers.items():
            yield CellCost(optimizer_line(title, timing, optimizer), cell_specs,
                           timing.run_hours(optimizer, iterations, n_init + q * iterations))
        yield fit_line(title, timing)


def _uniform(bounds: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """`n` uniform points in the box, seeded (`run_bo_loop`'s initial design for `seed`)."""
    rng = torch.Generator().manual_seed(seed)
    return bounds[0] + (bounds[1] - bounds[0]) * torch.rand(n, bounds.shape[1], generator=rng, dtype=bounds.dtype)


def _maximized(problem: BaseTestProblem) -> Any:
    """The negated problem, what a BO loop of this grid maximizes."""
    return lambda X: -problem(X)


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo bo`."""
    parser = commands.add_parser("bo", help="the paper's BO experiments, digits LR and Alpine1-d20 (resumable)",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_problems_argument(parser, metavar="TASK", choices=list(TASKS),
                          help=f"tasks: {' and/or '.join(TASKS)} (default both)")
    parser.add_argument("tasks", nargs="*", type=_task, metavar="TASK",
                        help="tasks, the earlier spelling of --problems (both may be given)")
    add_optimizers_argument(parser, help=f"among {', '.join(ACQF_OPTIMIZERS)} or package.module:function "
                                         f"(default {' '.join(OPTIMIZERS)})")
    add_acquisitions_argument(parser, choices=ACQUISITIONS, help="default: logei ei")
    parser.add_argument("--q", nargs="+", type=int, help="candidates per iteration (default 1 4)")
    parser.add_argument("--iterations", type=int, help="BO iterations per run (default: digits 30, alpine1 40)")
    parser.add_argument("--n-init", type=int, help="initial points (default the paper's: digits 20, alpine1 100)")
    parser.add_argument("--translate", action="store_true", help="alpine1: random optimum per fold (f* = 0 kept)")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=FOLDS,
                       quick=QUICK, seeds_aliases=["--folds"],
                       estimate="time one acquisition call per optimizer and cell (at the first and the last "
                                "iteration's data size) and the objective")
    parser.set_defaults(run=_main)


def _task(name: str) -> str:
    """argparse type of a task (`choices` rejects an empty `nargs="*"` before Python 3.12)."""
    if name not in TASKS:
        raise argparse.ArgumentTypeError(f"invalid task {name!r} (choose from {', '.join(TASKS)})")
    return name


def _grid_options(args: argparse.Namespace) -> dict[str, Any]:
    preset = QUICK if args.quick else {}
    return {
        "tasks": [*(args.problems or []), *args.tasks] or list(TASKS),
        "optimizers": args.optimizers or preset.get("optimizers", list(OPTIMIZERS)),
        "acquisitions": args.acquisitions or preset.get("acquisitions", list(ACQUISITIONS)),
        "q": args.q or preset.get("q", list(Q_VALUES)),
        "folds": seeds_or_default(args, QUICK, FOLDS),
        "n_init": args.n_init or preset.get("n_init"),
        "iterations": args.iterations or preset.get("iterations"),
        "translate": args.translate,
    }


def _main(args: argparse.Namespace) -> int:
    grid = _grid_options(args)
    if args.report:
        rerun = f" --seeds {grid['folds']}" if grid["folds"] != FOLDS else ""  # what a complete cell means
        return run_report_command(args, "bo", write_report, rerun_options=rerun, folds=grid["folds"])
    try:
        specs = make_specs(**grid)
    except ValueError as err:
        raise SystemExit(f"gennes-bo bo: {err}") from err
    return run_grid_command(specs, run_bo_spec, args, "bo", settings=spec_settings, estimate=estimate)


# ---------------------------------------------------------------------------------------------- the report
Setting = tuple[str, str, int, int, int, bool]  # task, acquisition, q, n_init, iterations, translate
ACQUISITION_NAMES = {"logei": "LogEI", "ei": "EI"}
VALUE = number_format(fixed=(1e-3, 1e4), exponent_digits=2)  # test errors and regrets in the report


def group_runs(records: Sequence[Mapping[str, Any]]) -> dict[Setting, dict[str, dict[int, Mapping[str, Any]]]]:
    """`bo` records by setting, then optimizer, then fold (a fold recorded twice counts once, the last)."""
    cells: dict[Setting, dict[str, dict[int, Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(dict))
    for record in records:
        spec = record["spec"]
        if spec.get("kind") == "bo":
            cells[_setting(spec)][spec["optimizer"]][spec["seed"]] = record
    order = {name: i for i, name in enumerate(TASKS)} | {name: i for i, name in enumerate(ACQUISITIONS)}
    return {key: dict(cells[key]) for key in sorted(cells, key=lambda s: (order.get(s[0], 9), order.get(s[1], 9),
                                                                         *s[2:]))}


def _setting(spec: Mapping[str, Any]) -> Setting:
    return (spec["task"], spec["acquisition"], spec["q"], spec["n_init"], spec["iterations"],
            bool(spec.get("translate", False)))


@dataclass(frozen=True)
class Comparison:
    """`TARGET` against one baseline on the folds both have (minimization: lower is better).

    Attributes:
        n_pairs: Folds both optimizers finished.
        mean: `(target, baseline)` mean final best over those folds.
        tolerance: Largest mean paired difference still "the same": `max(REL_TOLERANCE * |baseline mean|,
            task tolerance)`.
        wins: `(better, same, worse)` folds, a fold's difference compared with `tolerance`.
        points_ratio: Target's acquisition points over the baseline's, summed over the paired folds.
        p_value: Two-sided Wilcoxon signed-rank test of the paired final values
            (:func:`~gennes_bo.compare.report.paired_p_value`): how likely paired differences at least this
            one-sided are when neither optimizer is better.
        first_wins: `(higher, same, lower)` folds by the acquisition value of the first iteration, the one
            acquisition both optimizers of a fold maximize on the same GP (same initial design, same fit): a
            direct measure of the optimizers, free of the trajectory noise of the final result. Same: expected
            improvements within `REL_TOL` (0.1 %).
    """

    n_pairs: int
    mean: tuple[float, float]
    tolerance: float
    wins: tuple[int, int, int]
    points_ratio: float
    p_value: float = 1.0
    first_wins: tuple[int, int, int] = (0, 0, 0)

    @property
    def same_or_better(self) -> bool:
        return self.mean[0] - self.mean[1] <= self.tolerance

    @property
    def met(self) -> bool:
        return self.same_or_better and self.points_ratio <= POINTS_RATIO


def compare(target: Mapping[int, Mapping[str, Any]], baseline: Mapping[int, Mapping[str, Any]],
            resolution: float, acquisition: str = "logei") -> Comparison | None:
    """Paired comparison of two optimizers' runs (fold -> record) on the folds both have; None without any.

    Args:
        target: Runs of `TARGET` by fold.
        baseline: Runs of the baseline by fold.
        resolution: The task's smallest meaningful difference (:class:`TaskSettings`).
        acquisition: `logei` (values are logs) or `ei`, to compare first-iteration acquisition values.
    """
    folds = sorted(set(target) & set(baseline))
    if not folds:
        return None
    ours = [target[k]["final_best"] for k in folds]
    theirs = [baseline[k]["final_best"] for k in folds]
    # (1 + 1e-9): a difference of exactly one test image must not fail on rounding (11/270 - 10/270 > 1/270)
    tolerance = max(REL_TOLERANCE * abs(statistics.fmean(theirs)), resolution) * (1 + 1e-9)
    diffs = [a - b for a, b in zip(ours, theirs, strict=True)]
    wins = win_tie_loss([-d for d in diffs], tolerance)  # lower is better
    ratio = sum(target[k]["total_acqf_points"] for k in folds) / sum(baseline[k]["total_acqf_points"] for k in folds)
    first = [ei_ratio(target[k]["acqf_value"][0], baseline[k]["acqf_value"][0], acquisition) for k in folds]
    return Comparison(len(folds), (statistics.fmean(ours), statistics.fmean(theirs)), tolerance, wins, ratio,
                      paired_p_value(diffs), count_wtl(first))


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str, folds: int = FOLDS) -> str:
    """Markdown report (per-setting tables, the target's verdicts) and one PNG of curves per task beside it.

    Args:
        records: Records of `gennes-bo bo` (other kinds are ignored).
        path: Markdown file to write; plots go beside it as `<its stem>_<task>.png` (`bo_digits.png` for
            `bo.md`).
        command: The command that regenerates the report (quoted in it).
        folds: Folds of a complete cell; fewer are shown as `k/folds` and verdicts on them are provisional.

    Returns:
        The markdown text.
    """
    cells = group_runs(records)
    report = Report(path, "BO experiments of the paper (Section 4.2), reproduced")
    report.generated_by(command, sum(len(runs) for optimizers in cells.values() for runs in optimizers.values()),
                        "gennes-bo bo")
    report.paragraph(
        "Final best value after the run (digits: test error; Alpine1-d20: regret `f(best) - f*`, `f* = 0`), mean ± "
        f"standard deviation over the folds done (`k/{folds}`); acquisition points (every `q x d` batch the "
        "optimizer evaluated, gradient queries included) and acquisition / GP-fit seconds are totals per run, "
        "averaged. Fold k seeds the initial design, the optimizer and, for digits, the train/test split.")
    report.paragraph(
        f"**Target**: `{TARGET}` reaches the same or better final result than "
        f"{' and '.join(f'`{b}`' for b in TARGET_BASELINES)} with at most {POINTS_RATIO:.0%} of their acquisition "
        f"points. Paired per fold: *same or better* means the mean paired difference (ours − theirs) is at most "
        f"max({REL_TOLERANCE:.0%} of their mean, one test image = 1/270 for digits); the fold counts "
        "better / same / worse use the same tolerance. Verdicts on fewer than all folds are provisional. *p*: "
        "two-sided Wilcoxon signed-rank test of the paired final values (folds with equal values dropped); a "
        "large p means the folds do not tell the two optimizers' final results apart, whichever mean is lower.")
    report.paragraph(
        "A final result depends on the whole trajectory: from the second iteration on, the optimizers of a fold see "
        "different data, and small differences in the candidates compound. The first iteration is the one "
        "acquisition that every optimizer of a fold maximizes on the same GP (same initial design, same fit), so "
        "each verdict also counts the folds where the first candidates' acquisition value is higher / the same / "
        f"lower (expected improvements within {REL_TOL:.1%}): the optimizers compared directly.")
    report.section("Target verdicts").bullets(_verdicts(cells, folds))
    report.section(f"The same criterion for the paper's `{PAPER_GENNES}`").paragraph(
        f"The target is `{TARGET}`'s; the paper's GENNES (one generator, a fixed budget of N = 10 samples "
        "for 20 or 30 steps an iteration, no raw samples, no L-BFGS-B) is held to the same criterion for "
        "comparison. Read it with the first-iteration counts: where an optimizer that reaches lower "
        "acquisition values still meets the criterion, that task's final result hardly depends on how well "
        "the acquisition is maximized.")
    report.bullets(_verdicts(cells, folds, PAPER_GENNES))
    for setting, optimizers in cells.items():
        _, _, q, n_init, iterations, translate = setting
        report.section(_title(setting)).paragraph(f"{n_init} initial points, {iterations} iterations of q={q}"
                                                  + (", optimum translated per fold" if translate else "") + ".")
        report.table(["optimizer", "folds", "final best", "acq. points", "acq. points / iteration", "acq. time (s)",
                      "GP fit (s)", "run wall (s)"],
                     [_setting_row(optimizer, list(optimizers[optimizer].values()), folds, iterations)
                      for optimizer in _ordered(optimizers)])
    for task in TASKS:
        report.figure(task, lambda plot, task=task: plot_curves({s: o for s, o in cells.items() if s[0] == task}, plot),
                      heading=f"Curves: {TASKS[task].label}", alt=f"{task} curves",
                      caption="Best value vs objective evaluations (left) and vs cumulative acquisition points (right, "
                              "log), mean ± standard error over the folds (legend: folds); a run that has finished "
                              "keeps its final best on the right.")
    return report.settings(records, "bo").write()


def _setting_row(optimizer: str, runs: Sequence[Mapping[str, Any]], folds: int, iterations: int) -> list[str]:
    """An optimizer's runs of a setting: folds, final best (mean ± std), acquisition points and seconds."""
    finals = [r["final_best"] for r in runs]
    spread = f" ± {VALUE(statistics.stdev(finals))}" if len(finals) > 1 else ""
    points = statistics.fmean(r["total_acqf_points"] for r in runs)
    return [optimizer, f"{len(runs)}/{folds}", f"{VALUE(statistics.fmean(finals))}{spread}", f"{points:.0f}",
            f"{points / iterations:.0f}", f"{statistics.fmean(r['total_acqf_time'] for r in runs):.1f}",
            f"{statistics.fmean(sum(r['fit_time']) for r in runs):.1f}",
            f"{statistics.fmean(r['wall_time'] for r in runs):.1f}"]


def _verdicts(cells: Mapping[Setting, Mapping[str, Mapping[int, Mapping[str, Any]]]], folds: int,
              target: str = TARGET) -> list[str]:
    """Bullet items: one per (setting, baseline) comparison of `target`'s runs, and a summary per task."""
    items = []
    for task in TASKS:
        results = []
        for setting, optimizers in cells.items():
            if setting[0] != task:
                continue
            for baseline in TARGET_BASELINES:
                comparison = compare(optimizers.get(target, {}), optimizers.get(baseline, {}), TASKS[task].resolution,
                                     setting[1])
                if comparison is None:
                    items.append(f"{_title(setting)}, vs `{baseline}`: pending (no paired folds)")
                    continue
                results.append(comparison)
                c = comparison
                state = ("met" if c.met else "**missed**") + ("" if c.n_pairs >= folds else " (provisional)")
                items.append(f"{_title(setting)}, vs `{baseline}` ({c.n_pairs}/{folds} folds): final "
                             f"{VALUE(c.mean[0])} vs {VALUE(c.mean[1])} (tolerance {VALUE(c.tolerance)}, better / "
                             f"same / worse in {wtl_text(c.wins, ' / ')} folds, Wilcoxon p = {c.p_value:.2f}), "
                             f"acquisition points {_percent(c.points_ratio)} of theirs: {state}; first-iteration "
                             f"acquisition value higher / same / lower in {wtl_text(c.first_wins, ' / ')} folds")
        if results:
            met = sum(c.met for c in results)
            complete = all(c.n_pairs >= folds for c in results)
            verdict = "met" if met == len(results) else "missed"
            summary = f"**{task}: {verdict}**" if target == TARGET else f"**`{target}` on {task}**"
            items.append(f"{summary} (met in {met} of {len(results)} comparisons)"
                         f"{'' if complete else ' (provisional: incomplete folds)'}")
    return items or ["pending: no records"]


def plot_curves(cells: Mapping[Setting, Mapping[str, Mapping[int, Mapping[str, Any]]]], path: str | Path) -> bool:
    """Two panels per setting: best vs evaluations and vs cumulative acquisition points; False if no cells."""
    if not cells:
        return False
    others = sorted({o for optimizers in cells.values() for o in optimizers} - set(OPTIMIZERS))
    colors = {name: f"C{i % 10}" for i, name in enumerate([*OPTIMIZERS, *others])}  # same colour in every figure
    with panel_grid(2 * len(cells), path, max_cols=2, panel_size=(5.0, 3.6), dpi=100) as axes:
        for (ax_evals, ax_points), (setting, optimizers) in zip(zip(axes[::2], axes[1::2], strict=True),
                                                                 cells.items(), strict=True):
            for optimizer in _ordered(optimizers):
                runs = list(optimizers[optimizer].values())
                label, color = f"{optimizer} ({len(runs)})", colors[optimizer]
                x = np.array(runs[0]["evaluations"])
                mean_band(ax_evals, x, np.array([r["best"] for r in runs], dtype=float), label=label, color=color)
                grid = np.geomspace(min(r["cum_acqf_points"][0] for r in runs),
                                    max(r["cum_acqf_points"][-1] for r in runs), 200)
                mean_band(ax_points, grid, np.array([_at_points(r, grid) for r in runs]), label=label, color=color)
            ylabel = "test error" if setting[0] == "digits" else "regret"
            ax_evals.set(title=_title(setting), xlabel="objective evaluations", ylabel=ylabel)
            ax_points.set(title=_title(setting), xlabel="acquisition points (cumulative)", ylabel=ylabel, xscale="log")
            for ax in (ax_evals, ax_points):
                ax.legend(fontsize="small")
    return True


def _at_points(record: Mapping[str, Any], grid: np.ndarray) -> np.ndarray:
    """Best value once `grid` acquisition points are spent (a step function; a finished run keeps its final best)."""
    return step_values([(0, record["best"][0]), *zip(record["cum_acqf_points"], record["best"][1:], strict=True)],
                       grid)


def _ordered(optimizers: Mapping[str, Any]) -> list[str]:
    return [o for o in OPTIMIZERS if o in optimizers] + sorted(set(optimizers) - set(OPTIMIZERS))


def _title(setting: Setting) -> str:
    """`task, (q)LogEI q=..`, plus the initial points and iterations when not the task's defaults."""
    task, acquisition, q, n_init, iterations, translate = setting
    name = ACQUISITION_NAMES.get(acquisition, acquisition)
    settings = TASKS.get(task)
    custom = settings is None or (n_init, iterations) != (settings.n_init, settings.iterations)
    return (f"{task}, {name if q == 1 else 'q' + name} q={q}" + (f", {n_init}+{iterations}x{q}" if custom else "")
            + (", translated" if translate else ""))


def _percent(ratio: float) -> str:
    """A points ratio as a percentage, with a decimal where whole percents would round onto `POINTS_RATIO`."""
    text = f"{ratio:.0%}"
    return f"{ratio:.1%}" if text == f"{POINTS_RATIO:.0%}" else text

