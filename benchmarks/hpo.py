"""HPO with Optuna samplers: GennesSampler against Optuna's Random, TPE and GPSampler and optuna-integration's
BoTorchSampler on scikit-learn tasks (`benchmarks.hpo_tasks`).

Each run is one Optuna study of a task (a CV loss to minimize) with one sampler and seed: 40 trials, sequential
(`batch` 1: ask, evaluate, tell) or batched (`batch` 8: ask 8 trials, evaluate them, tell 8, in one process, so the
8 running trials are pending for the samplers that use them; deterministic, unlike threads). Every sampler runs
with its defaults (10 random startup trials for the model-based ones). The record holds per trial the loss, the
best loss so far (so 20 and 40 trials are read from one run), the sampler's CPU seconds (`study.ask` with the
whole search space, where every parameter is sampled, plus `study.tell`) and the objective's CPU seconds.

Samplers (`SAMPLERS`): `random`, `tpe`, `gp` (Optuna's GPSampler), `botorch` (optuna-integration's
BoTorchSampler), `smac` (SMAC3's HPO facade through `benchmarks.hpo_smac`; `pip install
"gennes-bo[benchmarks]"`), `gennes` (ours) and its ablations, each with one more of its defaults switched off:
`gennes-coldfit` (no GP warm starts), `gennes-nowarp` (nor the output warp), then either `gennes-repeats` (nor
`avoid_repeats`) or `gennes-lbfgs` (BoTorch's `optimize_acqf`, 20 restarts and 1024 raw samples, instead of
`optimize_acqf_gennes`; same model, space handling and acquisition).

The grid: the sequential mode on every task, then the batched mode on half of them (`BATCH_TASKS`), 5 seeds
each (`--seeds 10` where compute allows), ordered seed by seed so that a partial grid holds complete paired
seeds. `--estimate` times three evaluations per task (recorded as `hpo-timing` records, which the report's
estimate uses for tasks not yet run) and runs seed 0 of every sampler on one task (recorded as grid runs), then
prints the grid's CPU hours; a fresh grid is estimated so before it starts, and one above 1 CPU hour asks for
`--yes`.

    gennes-bo hpo --estimate                     # CPU hours of the grid before running it
    gennes-bo hpo --yes                          # the grid into results/hpo.jsonl (resumes)
    gennes-bo hpo --mode sequential --seeds 10 --workers 4
    gennes-bo hpo --report                       # docs/results/hpo.md and its figures
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.hpo_spec import BATCH_TASKS, MODES, SAMPLERS, SEEDS, TRIALS
from benchmarks.hpo_tasks import TASKS, get_task

if TYPE_CHECKING:
    from gennes_bo.compare.runner import CellCost

ESTIMATE_TASK = "svr-diabetes"
QUICK = {"problems": ["svr-diabetes"], "trials": 3, "seeds": 1, "samplers": ["random", "tpe"],
         "modes": ["sequential"]}
DEFAULT_OUT = "results/hpo.jsonl"
DEFAULT_REPORT = "docs/results/hpo.md"


def make_specs(tasks: Sequence[str] | None = None, samplers: Sequence[str] = tuple(SAMPLERS),
               modes: Sequence[str] = tuple(MODES), seeds: int = SEEDS, trials: int = TRIALS,
               batch_tasks: Sequence[str] = BATCH_TASKS) -> list[dict[str, Any]]:
    """The runs of the grid: each mode in turn (sequential first), seed-major within it.

    Args:
        tasks: Task names (default every task); the batched mode runs those of them in `batch_tasks`, or all of
            them when none is.
        samplers: Names of `SAMPLERS`.
        modes: Names of `MODES`.
        seeds: Seeds 0 .. seeds - 1 per cell.
        trials: Trials per run.
        batch_tasks: The tasks of the batched mode.

    Raises:
        ValueError: For an unknown task, sampler or mode, or a count below 1.
    """
    tasks = list(tasks or TASKS)
    for name in tasks:
        get_task(name)
    for name in samplers:
        if name not in SAMPLERS:
            raise ValueError(f"unknown sampler {name!r}; known: {', '.join(SAMPLERS)}")
    for name in modes:
        if name not in MODES:
            raise ValueError(f"unknown mode {name!r}; known: {', '.join(MODES)}")
    for name, value in (("seeds", seeds), ("trials", trials)):
        if value < 1:
            raise ValueError(f"`{name}` must be >= 1, got {value}")
    specs = []
    for mode in modes:
        mode_tasks = tasks if MODES[mode] == 1 else ([t for t in tasks if t in batch_tasks] or tasks)
        for seed in range(seeds):
            for task in mode_tasks:
                for sampler in dict.fromkeys(samplers):
                    specs.append({"kind": "hpo", "task": task, "sampler": sampler, "batch": MODES[mode],
                                  "trials": trials, "seed": seed})
    return specs


def spec_settings(spec: Mapping[str, Any]) -> Any:
    """What the spec's sampler resolves to, recorded with each run (None for an objective timing)."""
    return SAMPLERS[spec["sampler"]].settings() if "sampler" in spec else None


def warm_up(task_name: str) -> None:
    """Import the task's model and load its dataset, so that no trial's objective time pays for them."""
    import optuna
    from sklearn.model_selection import cross_val_score  # noqa: F401

    from benchmarks.hpo_tasks import _cached_dataset

    task = get_task(task_name)
    _cached_dataset(task_name)
    params = optuna.create_study(sampler=SAMPLERS["random"].make(0)).ask(task.space()).params
    task.build(params)


def run_hpo_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec (picklable, top level); the record body.

    Returns:
        Per trial, in trial order: `values` (the loss), `best` (the best loss so far), `sampler_time` and
        `objective_time` (CPU seconds); `final_best`, the `best_params`, and the run's `wall_time` and
        `cpu_time`.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    task = get_task(spec["task"])
    warm_up(spec["task"])
    space = task.space()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # BoTorchSampler's, once per call
        return run_study(spec, task, space, SAMPLERS[spec["sampler"]].build(spec["seed"], space, spec["trials"]))


def run_study(spec: Mapping[str, Any], task: Any, space: Mapping[str, Any], sampler: Any) -> dict[str, Any]:
    """One study of `task` (anything with `evaluate(params) -> loss`) over `space` with `sampler`: `spec["trials"]`
    trials asked `spec["batch"]` at a time; the record body of `run_hpo_spec`."""
    import optuna

    study = optuna.create_study(direction="minimize", sampler=sampler)
    values: list[float] = []
    sampler_time: list[float] = []
    objective_time: list[float] = []
    start, cpu_start = time.monotonic(), time.process_time()
    while len(values) < spec["trials"]:
        batch, asked = [], []
        for _ in range(min(spec["batch"], spec["trials"] - len(values))):
            clock, worker = time.process_time(), getattr(sampler, "worker_cpu_s", 0.0)
            batch.append(study.ask(space))
            # an external sampler's own process (HEBO, Vizier) counts too
            asked.append(time.process_time() - clock + getattr(sampler, "worker_cpu_s", 0.0) - worker)
        losses = []
        for trial in batch:
            clock = time.process_time()
            losses.append(task.evaluate(trial.params))
            objective_time.append(time.process_time() - clock)
        for trial, loss, ask_time in zip(batch, losses, asked, strict=True):
            clock = time.process_time()
            study.tell(trial, loss)
            sampler_time.append(ask_time + time.process_time() - clock)
        values += losses
    best = [min(values[: i + 1]) for i in range(len(values))]
    return {"values": values, "best": best, "final_best": best[-1], "best_params": study.best_params,
            "sampler_time": sampler_time, "objective_time": objective_time,
            "wall_time": time.monotonic() - start, "cpu_time": time.process_time() - cpu_start}


# --------------------------------------------------------------------------------------------- --estimate
def time_objective(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run an `hpo-timing` spec: the CPU seconds of `spec["evaluations"]` evaluations of the task at random
    configurations (seed 1), after :func:`warm_up`; the record body (`objective_time`, `cpu_time`)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    task = get_task(spec["task"])
    warm_up(spec["task"])
    study = optuna.create_study(sampler=SAMPLERS["random"].make(1))
    times = []
    for _ in range(spec["evaluations"]):
        params = study.ask(task.space()).params
        clock = time.process_time()
        task.evaluate(params)
        times.append(time.process_time() - clock)
    return {"objective_time": times, "cpu_time": sum(times)}


def run_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A grid run (`hpo`) or an objective timing (`hpo-timing`), by the spec's kind (picklable, top level)."""
    return time_objective(spec) if spec["kind"] == "hpo-timing" else run_hpo_spec(spec)


def estimate(specs: Sequence[Mapping[str, Any]], args: argparse.Namespace) -> Iterator[str | CellCost]:
    """Time three evaluations per task (`hpo-timing` records) and a full run of every sampler on one task (seed
    0, recorded as grid runs), all in `args.out`, and cost the grid's runs: per run, trials x (the task's mean
    objective seconds + the sampler's mean seconds per trial).

    Yields:
        The lines of the measurements, then one `CellCost` per mode, task and sampler.
    """
    from gennes_bo.compare.records import load_records
    from gennes_bo.compare.runner import COST_COLUMNS, CellCost, run_grid_command

    tasks = list(dict.fromkeys(spec["task"] for spec in specs))
    samplers = list(dict.fromkeys(spec["sampler"] for spec in specs))
    trials = specs[0]["trials"]
    probe = ESTIMATE_TASK if ESTIMATE_TASK in tasks else tasks[0]
    timing = [{"kind": "hpo-timing", "task": task, "evaluations": 3} for task in tasks]
    probes = make_specs([probe], samplers, ["sequential"], 1, trials)
    run_grid_command(timing + probes, run_spec, args, "hpo", settings=spec_settings)
    objective, per_trial = {}, {}
    for record in load_records(args.out):
        spec = record["spec"]
        if spec in timing:
            objective[spec["task"]] = sum(record["objective_time"]) / len(record["objective_time"])
        elif spec in probes:
            per_trial[spec["sampler"]] = sum(record["sampler_time"]) / len(record["sampler_time"])
    for task in tasks:
        yield f"{task:18s} objective {objective[task]:6.2f} s per trial (mean of 3 random configurations)"
    for sampler in samplers:
        yield f"{sampler:18s} sampler {per_trial[sampler]:6.2f} s per trial ({trials} trials on {probe}, seed 0)"
    cells: dict[tuple[int, str, str], list[Mapping[str, Any]]] = {}
    for spec in specs:
        cells.setdefault((spec["batch"], spec["task"], spec["sampler"]), []).append(spec)
    yield f"{'batch':>5s} {'task':18s} {'sampler':18s} {'s per trial':>11s} {COST_COLUMNS}"
    for (batch, task, sampler), cell_specs in cells.items():
        seconds = objective[task] + per_trial[sampler]
        yield CellCost(f"{batch:5d} {task:18s} {sampler:18s} {seconds:11.3f}", cell_specs, trials * seconds / 3600)


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo hpo`."""
    from gennes_bo.compare.runner import add_grid_arguments, add_problems_argument

    parser = commands.add_parser("hpo", help="HPO of scikit-learn models: GennesSampler against Optuna's samplers",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_problems_argument(parser, "--tasks", metavar="NAME", choices=list(TASKS),
                          help=f"tasks (default all: {' '.join(TASKS)})")
    parser.add_argument("--samplers", nargs="+", metavar="NAME", choices=list(SAMPLERS),
                        help=f"samplers (default all: {' '.join(SAMPLERS)})")
    parser.add_argument("--mode", nargs="+", dest="modes", choices=list(MODES),
                        help="sequential (ask, evaluate, tell) and/or batch8 (ask 8, evaluate 8, tell 8; on "
                             f"{', '.join(BATCH_TASKS)}) (default both)")
    parser.add_argument("--trials", type=int, metavar="N", help=f"trials per run (default {TRIALS})")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=SEEDS,
                       quick=QUICK, estimate="time 3 evaluations per task and seed 0 of every sampler on one task "
                                             "(recorded)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    import functools

    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command, seeds_or_default

    if args.report:
        from benchmarks.hpo_report import write_report

        return run_report_command(args, "hpo", write_report)
    preset = QUICK if args.quick else {}
    try:
        specs = make_specs(args.problems or preset.get("problems"),
                           args.samplers or preset.get("samplers", tuple(SAMPLERS)),
                           args.modes or preset.get("modes", tuple(MODES)), seeds_or_default(args, QUICK, SEEDS),
                           args.trials or preset.get("trials", TRIALS))
    except ValueError as err:
        raise SystemExit(f"gennes-bo hpo: {err}") from err
    return run_grid_command(specs, run_spec, args, "hpo", settings=spec_settings,
                            estimate=functools.partial(estimate, args=args))
