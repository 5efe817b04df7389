"""Multi-objective studies: GennesSampler (qLogNEHVI) against Optuna's GPSampler (logEHVI) and random search.

Each run is one Optuna study that minimizes both objectives of one of BoTorch's two-objective test problems
(`BraninCurrin`, d = 2; `DTLZ2`, d = 4 and 2 objectives; `constrained-branincurrin`: BraninCurrin under
`x0 + x1 <= 1.2` in the unit box, set with `trial.set_constraint`), parameters in the unit box, 30 trials of which the
first 10 are random, with one sampler and seed. The record holds every trial's objective values (and constraint
value). The report gives the hypervolume of the feasible points found, against BoTorch's reference point of the
problem, after 20 and 30 trials, and paired Wilcoxon tests of ours against GPSampler over seeds.

    gennes-bo hpo-mo --estimate                 # CPU hours, from one short study per sampler
    gennes-bo hpo-mo --yes --workers 2          # results/hpo_mo.jsonl
    gennes-bo hpo-mo --report                   # docs/results/hpo_mo.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

PROBLEMS = ("branincurrin", "dtlz2", "constrained-branincurrin")
SAMPLERS = ("random", "gp", "gennes")
TRIALS, STARTUP, SEEDS = 30, 10, 5
CHECKPOINTS = (20, 30)
CONSTRAINT_BUDGET = 1.2  # constrained-branincurrin: feasible when x0 + x1 <= 1.2
DEFAULT_OUT = "results/hpo_mo.jsonl"
DEFAULT_REPORT = "docs/results/hpo_mo.md"
QUICK = {"problems": ["branincurrin"], "seeds": 1, "samplers": ["random", "gp"], "trials": 12}


def problem_of(name: str) -> Any:
    """BoTorch's test problem (minimization) behind `name`."""
    from botorch.test_functions.multi_objective import DTLZ2, BraninCurrin

    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}")
    return DTLZ2(dim=4, num_objectives=2) if name == "dtlz2" else BraninCurrin()


def make_specs(problems: Sequence[str] = PROBLEMS, samplers: Sequence[str] = SAMPLERS, seeds: int = SEEDS,
               trials: int = TRIALS) -> list[dict[str, Any]]:
    """The runs, seed-major."""
    for name in problems:
        problem_of(name)
    unknown = sorted(set(samplers) - set(SAMPLERS))
    if unknown:
        raise ValueError(f"unknown sampler(s) {unknown}; known: {', '.join(SAMPLERS)}")
    return [{"kind": "hpo-mo", "problem": problem, "sampler": sampler, "seed": seed, "trials": trials}
            for seed in range(seeds) for problem in problems for sampler in samplers]


def _sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=STARTUP)
    from gennes_bo.integrations.optuna import GennesSampler

    return GennesSampler(seed=seed, n_startup_trials=STARTUP, warn_independent_sampling=False)


def spec_settings(spec: Mapping[str, Any]) -> Any:
    """The sampler's settings, recorded with each run."""
    if spec["sampler"] != "gennes":
        return {"n_startup_trials": STARTUP} if spec["sampler"] == "gp" else None
    from gennes_bo.integrations.optuna import SamplerAcquisition
    from gennes_bo.models import GPSurrogate

    return {"surrogate": GPSurrogate().to_dict(), "acquisition": SamplerAcquisition().to_dict()}


def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | Any]:
    """Time one study per sampler (the startup trials and 5 model-based ones, not recorded) on each problem of the
    grid, and cost each run as its startup trials at the study's startup rate plus its other trials at the
    model-based rate.

    Yields:
        The measurement lines, then one `CellCost` per problem and sampler.
    """
    from gennes_bo.compare.runner import COST_COLUMNS, CellCost, limit_threads

    limit_threads()
    cells: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for spec in specs:
        cells.setdefault((spec["problem"], spec["sampler"]), []).append(spec)
    yield f"{'problem':26s} {'sampler':8s} {'startup s':>9s} {'model s':>8s} {COST_COLUMNS}"
    for (problem, sampler), cell_specs in cells.items():
        trials = cell_specs[0]["trials"]
        probe = run_spec({**cell_specs[0], "seed": 0, "trials": min(trials, STARTUP + 5)})
        times = probe["sampler_time"]
        startup = sum(times[:STARTUP]) / len(times[:STARTUP])
        model = sum(times[STARTUP:]) / max(len(times[STARTUP:]), 1)
        seconds = min(trials, STARTUP) * startup + max(trials - STARTUP, 0) * model
        yield CellCost(f"{problem:26s} {sampler:8s} {startup:9.3f} {model:8.3f}", cell_specs, seconds / 3600)


def run_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """One study (picklable, top level): per trial `values` (both objectives), `constraint` and `sampler_time`."""
    import optuna
    import torch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = problem_of(spec["problem"])
    constrained = spec["problem"].startswith("constrained-")
    lower, width = problem.bounds[0], problem.bounds[1] - problem.bounds[0]
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=_sampler(spec["sampler"], spec["seed"]))
    values, constraint, sampler_time = [], [], []
    start = time.process_time()
    for _ in range(spec["trials"]):
        clock = time.process_time()
        trial = study.ask()
        u = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(problem.dim)]
        sampler_time.append(time.process_time() - clock)
        if constrained:
            constraint.append(u[0] + u[1] - CONSTRAINT_BUDGET)
            trial.set_constraint("budget", constraint[-1])
        y = problem.evaluate_true(lower + width * torch.tensor([u], dtype=torch.float64))[0].tolist()
        clock = time.process_time()
        study.tell(trial, y)
        sampler_time[-1] += time.process_time() - clock
        values.append(y)
    return {"values": values, "constraint": constraint, "sampler_time": sampler_time,
            "cpu_time": time.process_time() - start}


def hypervolume(values: Sequence[Sequence[float]], constraint: Sequence[float], ref_point: Sequence[float]) -> float:
    """Hypervolume (minimization) of the feasible points among `values` that dominate `ref_point`."""
    import numpy as np
    from optuna._hypervolume import compute_hypervolume

    points = np.array([v for i, v in enumerate(values) if not constraint or constraint[i] <= 0], dtype=float)
    points = points[(points < np.asarray(ref_point)).all(axis=1)] if len(points) else points
    return float(compute_hypervolume(points, np.asarray(ref_point, dtype=float))) if len(points) else 0.0


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """The report: hypervolume per problem, sampler and checkpoint, and ours against GPSampler."""
    from gennes_bo.compare.report import Report, paired_p_value, win_tie_loss

    runs: dict[str, dict[str, dict[int, Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(dict))
    for record in records:
        spec = record["spec"]
        runs[spec["problem"]][spec["sampler"]][spec["seed"]] = record
    report = Report(path, "Multi-objective studies: GennesSampler against GPSampler")
    report.generated_by(command, len(records), "gennes-bo hpo-mo")
    report.paragraph(
        "Two objectives, minimized, in the unit box; 30 trials, the first 10 random; hypervolume of the feasible "
        "points found, against BoTorch's reference point of the problem (higher is better), mean ± standard error "
        "over seeds; W/T/L and two-sided Wilcoxon p of `gennes` against `gp` over seeds, at 30 trials.")
    rows = []
    for problem, by_sampler in runs.items():
        ref = [abs(float(v)) for v in problem_of(problem).ref_point]
        volumes = {s: {seed: [hypervolume(r["values"][:c], r["constraint"][:c], ref) for c in CHECKPOINTS]
                       for seed, r in seeds.items()} for s, seeds in by_sampler.items()}
        for sampler in SAMPLERS:
            if sampler not in volumes:
                continue
            cells = []
            for k in range(len(CHECKPOINTS)):
                column = [v[k] for v in volumes[sampler].values()]
                sem = statistics.stdev(column) / len(column) ** 0.5 if len(column) > 1 else 0.0
                cells.append(f"{statistics.fmean(column):.4g} ± {sem:.2g}")
            versus = ""
            if sampler == "gennes" and "gp" in volumes:
                seeds = sorted(set(volumes["gennes"]) & set(volumes["gp"]))
                diffs = [volumes["gennes"][s][-1] - volumes["gp"][s][-1] for s in seeds]
                w, t, l = win_tie_loss(diffs, 1e-9)
                versus = f"{w}/{t}/{l}, p = {paired_p_value(diffs):.2g}"
            time_per_trial = statistics.fmean(t for r in by_sampler[sampler].values() for t in r["sampler_time"])
            rows.append([problem, f"`{sampler}`", len(volumes[sampler]), *cells, f"{time_per_trial:.3f}", versus])
    report.table(["problem", "sampler", "seeds", *(f"hypervolume @{c}" for c in CHECKPOINTS), "sampler s / trial",
                  "ours vs gp"], rows)
    report.paragraph("Regenerate:").code(command)
    return report.write()


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo hpo-mo`."""
    from gennes_bo.compare.runner import add_grid_arguments, add_problems_argument

    parser = commands.add_parser("hpo-mo", help="multi-objective studies: GennesSampler against GPSampler",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_problems_argument(parser, metavar="NAME", choices=list(PROBLEMS),
                          help=f"problems (default all: {' '.join(PROBLEMS)})")
    parser.add_argument("--samplers", nargs="+", choices=list(SAMPLERS), help="samplers (default all)")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=SEEDS,
                       quick=QUICK, estimate="time one short study per problem and sampler")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command, seeds_or_default

    if args.report:
        return run_report_command(args, "hpo-mo", write_report)
    preset = QUICK if args.quick else {}
    specs = make_specs(args.problems or preset.get("problems", PROBLEMS), args.samplers or
                       preset.get("samplers", SAMPLERS), seeds_or_default(args, QUICK, SEEDS),
                       preset.get("trials", TRIALS))
    return run_grid_command(specs, run_spec, args, "hpo-mo", settings=spec_settings, estimate=estimate)
