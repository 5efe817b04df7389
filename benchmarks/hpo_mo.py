"""Multi-objective studies: GennesSampler (qLogNEHVI) against Optuna's samplers and optuna-integration's
BoTorchSampler, on BoTorch's two-objective test problems split into dev and test.

Each run is one Optuna study that minimizes both objectives of one problem (BoTorch's test problem, `negate=False`;
constraints, where the problem has them, set with `trial.set_constraint` as minus BoTorch's slack), parameters in
the unit box, 30 trials of which the first 10 are random, with one sampler and seed. The record holds every
trial's objective and constraint values. The report gives the hypervolume of the feasible points found against
BoTorch's reference point of the problem after 20 and 30 trials, a normalized score (0: random search's mean,
100: the problem's largest hypervolume) and paired Wilcoxon tests over problem x seed pairs.

The problems are all of BoTorch's two-objective ones but two whose reference point is a placeholder (`LEFT_OUT`),
split by a hash of the name (`split_of`, the rule of `gennes-bo hpo-bayesmark`); the three problems of this
command's first report are dev, since they were seen before the split. The sampler's defaults are chosen on dev
(its levers are named samplers); test runs once per change of defaults, after the settings are committed.

    gennes-bo hpo-mo --split dev --estimate          # CPU hours, from one short study per problem and sampler
    gennes-bo hpo-mo --split dev --yes --workers 2   # results/hpo_mo.jsonl
    gennes-bo hpo-mo --report                        # docs/results/hpo_mo.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRIALS, STARTUP = 30, 10
SEEDS = {"dev": 10, "test": 5}
SPLITS = ("dev", "test")
CHECKPOINTS = (20, 30)
DIM = 4  # problems of free dimension (DH, DTLZ, ZDT, MW7, C2DTLZ2), as the first report's DTLZ2
CONSTRAINT_BUDGET = 1.2  # constrained-branincurrin: feasible when x0 + x1 <= 1.2
TARGET = "gennes"
DEFAULT_OUT = "results/hpo_mo.jsonl"
DEFAULT_REPORT = "docs/results/hpo_mo.md"
QUICK = {"problems": ["branincurrin"], "seeds": 1, "samplers": ["random", "gp"], "trials": 12}

# name -> (BoTorch class, keyword arguments); every one of BoTorch's two-objective problems but LEFT_OUT's.
PROBLEMS: dict[str, tuple[str, dict[str, int]]] = {
    "branincurrin": ("BraninCurrin", {}),
    "dtlz2": ("DTLZ2", {"dim": DIM}),
    "constrained-branincurrin": ("BraninCurrin", {}),  # under x0 + x1 <= CONSTRAINT_BUDGET (the unit box)
    **{name.lower(): (name, {"dim": DIM}) for name in ("DH1", "DH2", "DH3", "DH4", "DTLZ1", "DTLZ3", "DTLZ4",
                                                       "DTLZ5", "DTLZ7", "ZDT1", "ZDT2", "ZDT3", "MW7", "C2DTLZ2")},
    **{name.lower(): (name, {}) for name in ("GMM", "ToyRobust", "CONSTR", "ConstrainedBraninCurrin", "DiscBrake",
                                             "OSY", "WeldedBeam")},
}
LEFT_OUT = {name: "BoTorch's reference point is a placeholder ([0, 0], marked TODO), which no point of the problem "
                  "dominates" for name in ("bnh", "srn")}
SEEN_BEFORE_THE_SPLIT = ("branincurrin", "dtlz2", "constrained-branincurrin")


def split_of(name: str) -> str:
    """`dev` or `test`: the problems of the first report are dev, the others split by bayesmark's name hash."""
    from benchmarks.bayesmark_problems import split_of as hash_split

    return "dev" if name in SEEN_BEFORE_THE_SPLIT else hash_split(name)


@dataclass(frozen=True)
class Sampler:
    """A sampler of the grid: one line for the report and, for a dev lever, the fields of GennesSampler's
    `surrogate` (`GPSurrogate`) or `acquisition` (`SamplerAcquisition`) that it changes from the defaults."""

    description: str
    surrogate: dict[str, Any] = field(default_factory=dict)
    acquisition: dict[str, Any] = field(default_factory=dict)

    @property
    def lever(self) -> bool:
        return bool(self.surrogate or self.acquisition)


SAMPLERS: dict[str, Sampler] = {
    "random": Sampler("Optuna's RandomSampler"),
    "tpe": Sampler("Optuna's TPESampler, multivariate"),
    "gp": Sampler("Optuna's GPSampler (logEHVI)"),
    "botorch": Sampler("optuna-integration's BoTorchSampler (qLogNEHVI, BoTorch's optimize_acqf)"),
    TARGET: Sampler("ours: GennesSampler with its defaults"),
    "gennes-pareto": Sampler("dev lever: qLogNEHVI's reference point from BoTorch's infer_reference_point on the "
                             "fitted Pareto front (SamplerAcquisition(reference_point='pareto'))",
                             acquisition={"reference_point": "pareto"}),
    "gennes-nowarp": Sampler("dev lever: the GP fits the objectives standardized, without the Yeo-Johnson output "
                             "warping (GPSurrogate(warp_outputs=False))", surrogate={"warp_outputs": False}),
    "gennes-gamma": Sampler("dev lever, round 2: the GP's priors are BoTorch's before 0.12 (Matern-5/2, Gamma "
                            "lengthscale, outputscale and noise priors; GPSurrogate(priors='gamma'))",
                            surrogate={"priors": "gamma"}),
    "gennes-ehvi": Sampler("dev lever, round 3: qLogEHVI over the front of the feasible posterior means at the "
                           "evaluated points in place of qLogNEHVI (SamplerAcquisition(hypervolume='qLogEHVI'))",
                           acquisition={"hypervolume": "qLogEHVI"}),
}
DEFAULT_SAMPLERS = {"dev": ("random", "gp", TARGET, "gennes-pareto", "gennes-nowarp", "gennes-gamma", "gennes-ehvi"),
                    "test": ("random", "tpe", "gp", TARGET)}  # `botorch` by name only: 14 s a trial (docs/design.md)


def split_problems(split: str) -> tuple[str, ...]:
    """The problems of `split`, in `PROBLEMS`' order."""
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}, got {split!r}")
    return tuple(name for name in PROBLEMS if split_of(name) == split)


def problem_of(name: str) -> Any:
    """BoTorch's test problem (minimization) behind `name`."""
    import botorch.test_functions.multi_objective as mo

    if name in LEFT_OUT:
        raise ValueError(f"problem {name!r} is left out: {LEFT_OUT[name]}")
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}")
    cls, kwargs = PROBLEMS[name]
    return getattr(mo, cls)(**kwargs)


def make_specs(split: str, problems: Sequence[str] | None = None, samplers: Sequence[str] | None = None,
               seeds: int | None = None, trials: int = TRIALS) -> list[dict[str, Any]]:
    """The runs of a split, seed-major (default: all its problems, its samplers and seeds).

    Raises:
        ValueError: For an unknown split, problem or sampler, or a problem of the other split.
    """
    names = list(problems or split_problems(split))
    for name in names:
        problem_of(name)
        if split_of(name) != split:
            raise ValueError(f"problem {name!r} belongs to the {split_of(name)} split, not {split}")
    samplers = list(samplers or DEFAULT_SAMPLERS[split])
    unknown = sorted(set(samplers) - set(SAMPLERS))
    if unknown:
        raise ValueError(f"unknown sampler(s) {unknown}; known: {', '.join(SAMPLERS)}")
    return [{"kind": "hpo-mo", "problem": problem, "sampler": sampler, "seed": seed, "trials": trials}
            for seed in range(seeds or SEEDS[split]) for problem in names for sampler in samplers]


def _gennes_arguments(name: str) -> dict[str, Any]:
    """GennesSampler's `surrogate` and `acquisition` for sampler `name` (ours or a lever)."""
    from gennes_bo.integrations.optuna import SamplerAcquisition
    from gennes_bo.models import GPSurrogate

    sampler = SAMPLERS[name]
    return {"surrogate": GPSurrogate(**sampler.surrogate), "acquisition": SamplerAcquisition(**sampler.acquisition)}


def _sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP, multivariate=True)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=STARTUP)
    if name == "botorch":
        from optuna_integration import BoTorchSampler

        return BoTorchSampler(seed=seed, n_startup_trials=STARTUP)
    from gennes_bo.integrations.optuna import GennesSampler

    return GennesSampler(seed=seed, n_startup_trials=STARTUP, warn_independent_sampling=False,
                         **_gennes_arguments(name))


def spec_settings(spec: Mapping[str, Any]) -> Any:
    """The sampler's settings, recorded with each run."""
    name = spec["sampler"]
    if name == TARGET or SAMPLERS[name].lever:
        return {argument: value.to_dict() for argument, value in _gennes_arguments(name).items()}
    return None if name == "random" else {"n_startup_trials": STARTUP, **({"multivariate": True} if name == "tpe"
                                                                         else {})}


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
    yield f"{'problem':26s} {'sampler':14s} {'startup s':>9s} {'model s':>8s} {COST_COLUMNS}"
    for (problem, sampler), cell_specs in cells.items():
        trials = cell_specs[0]["trials"]
        probe = run_spec({**cell_specs[0], "seed": 0, "trials": min(trials, STARTUP + 5)})
        times = probe["sampler_time"]
        startup = sum(times[:STARTUP]) / len(times[:STARTUP])
        model = sum(times[STARTUP:]) / max(len(times[STARTUP:]), 1)
        seconds = min(trials, STARTUP) * startup + max(trials - STARTUP, 0) * model
        yield CellCost(f"{problem:26s} {sampler:14s} {startup:9.3f} {model:8.3f}", cell_specs, seconds / 3600)


def run_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """One study (picklable, top level): per trial `values` (both objectives), `constraint` (the trial's
    constraint values, feasible when all are <= 0; empty lists without constraints) and `sampler_time`."""
    import optuna
    import torch
    from botorch.test_functions.base import ConstrainedBaseTestProblem

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = problem_of(spec["problem"])
    budget = spec["problem"] == "constrained-branincurrin"
    lower, width = problem.bounds[0], problem.bounds[1] - problem.bounds[0]
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=_sampler(spec["sampler"], spec["seed"]))
    values, constraint, sampler_time = [], [], []
    start = time.process_time()
    for _ in range(spec["trials"]):
        clock = time.process_time()
        trial = study.ask()
        u = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(problem.dim)]
        sampler_time.append(time.process_time() - clock)
        x = lower + width * torch.tensor([u], dtype=torch.float64)
        if budget:
            constraint.append([u[0] + u[1] - CONSTRAINT_BUDGET])
        elif isinstance(problem, ConstrainedBaseTestProblem):
            constraint.append((-problem.evaluate_slack_true(x)[0]).tolist())
        else:
            constraint.append([])
        for i, value in enumerate(constraint[-1]):
            trial.set_constraint(f"c{i}", value)
        y = problem.evaluate_true(x)[0].tolist()
        clock = time.process_time()
        study.tell(trial, y)
        sampler_time[-1] += time.process_time() - clock
        values.append(y)
    return {"values": values, "constraint": constraint, "sampler_time": sampler_time,
            "cpu_time": time.process_time() - start}


def _feasible(constraint: Any) -> bool:
    """Whether one trial's constraint values (a list; a float in the first report's records) are all <= 0."""
    return all(c <= 0 for c in constraint) if isinstance(constraint, list) else constraint <= 0


def hypervolume(values: Sequence[Sequence[float]], constraint: Sequence[Any], ref_point: Sequence[float]) -> float:
    """Hypervolume (minimization) of the feasible points among `values` that dominate `ref_point` (`constraint`:
    one entry per trial, see `run_spec`; empty for an unconstrained study)."""
    import numpy as np
    from optuna._hypervolume import compute_hypervolume

    points = np.array([v for i, v in enumerate(values) if not constraint or _feasible(constraint[i])], dtype=float)
    points = points[(points < np.asarray(ref_point)).all(axis=1)] if len(points) else points
    return float(compute_hypervolume(points, np.asarray(ref_point, dtype=float))) if len(points) else 0.0


# problem -> sampler -> seed -> hypervolume at each checkpoint
Volumes = dict[str, dict[str, dict[int, list[float]]]]


def volumes_of(records: Sequence[Mapping[str, Any]]) -> Volumes:
    """Each record's hypervolume at the checkpoints, against its problem's reference point."""
    volumes: Volumes = defaultdict(lambda: defaultdict(dict))
    refs: dict[str, list[float]] = {}
    for record in records:
        spec = record["spec"]
        if spec["problem"] not in refs:
            refs[spec["problem"]] = problem_of(spec["problem"]).ref_point.tolist()
        volumes[spec["problem"]][spec["sampler"]][spec["seed"]] = [
            hypervolume(record["values"][:c], record["constraint"][:c], refs[spec["problem"]]) for c in CHECKPOINTS]
    return volumes


def normalized_scores(volumes: Volumes) -> dict[str, dict[str, dict[int, float]]]:
    """problem -> sampler -> seed -> score at the last checkpoint: 100 x (hypervolume - random search's mean) /
    (top - random search's mean), where top is BoTorch's largest hypervolume of the problem where it is known,
    else the largest recorded. Problems without random runs, or whose top is not above random's mean, have none."""
    scores: dict[str, dict[str, dict[int, float]]] = {}
    for problem, by_sampler in volumes.items():
        if "random" not in by_sampler:
            continue
        floor = statistics.fmean(v[-1] for v in by_sampler["random"].values())
        try:
            top = float(problem_of(problem).max_hv)
        except NotImplementedError:
            top = max(v[-1] for seeds in by_sampler.values() for v in seeds.values())
        if top <= floor:
            continue
        scores[problem] = {sampler: {seed: 100 * (v[-1] - floor) / (top - floor) for seed, v in seeds.items()}
                           for sampler, seeds in by_sampler.items()}
    return scores


def paired(scores: Mapping[str, Mapping[str, Mapping[int, float]]], ours: str,
           theirs: str) -> tuple[tuple[int, int, int], float, int]:
    """W/T/L (ties within 1e-9), two-sided Wilcoxon p and the number of problem x seed pairs where both ran."""
    from gennes_bo.compare.report import paired_p_value, win_tie_loss

    diffs = [by[ours][seed] - by[theirs][seed] for by in scores.values() if ours in by and theirs in by
             for seed in sorted(set(by[ours]) & set(by[theirs]))]
    return win_tie_loss(diffs, 1e-9), paired_p_value(diffs), len(diffs)


def _mean(column: Sequence[float], fixed: bool = False) -> str:
    """Mean ± standard error, to 4 significant digits (`fixed`: 1 decimal, for scores)."""
    sem = statistics.stdev(column) / len(column) ** 0.5 if len(column) > 1 else 0.0
    mean = statistics.fmean(column)
    return f"{mean:.1f} ± {sem:.1f}" if fixed else f"{mean:.4g} ± {sem:.2g}"


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """The report: per split, each sampler's normalized score and time and ours against each, then the
    hypervolume per problem, sampler and checkpoint, with the sampler's time."""
    from gennes_bo.compare.report import Report

    volumes = volumes_of(records)
    times: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        times[record["spec"]["problem"]][record["spec"]["sampler"]].extend(record["sampler_time"])
    order = [*SAMPLERS, *sorted({s for by in volumes.values() for s in by} - set(SAMPLERS))]
    report = Report(path, "Multi-objective studies: GennesSampler against Optuna's samplers and BoTorchSampler")
    report.generated_by(command, len(records), "gennes-bo hpo-mo")
    report.paragraph(
        "Two objectives, minimized, in the unit box; 30 trials, the first 10 random. The hypervolume is that of the "
        "feasible points found, against BoTorch's reference point of the problem (higher is better). The score is "
        "100 x (hypervolume - random search's mean) / (top - random search's mean), at 30 trials, where top is "
        "BoTorch's largest hypervolume of the problem where known, else the largest recorded; problems whose top is "
        "not above random's mean are left out of it. W/T/L and two-sided Wilcoxon p of `gennes` against each "
        "sampler over problem x seed pairs. Samplers not named in the grid (`gennes-refit1`) are earlier "
        "defaults' records.")
    for split in SPLITS:
        split_volumes = {p: v for p, v in volumes.items() if split_of(p) == split}
        if not split_volumes:
            continue
        scores = normalized_scores(split_volumes)
        report.section(f"{split.capitalize()} split ({len(split_volumes)} problems)")
        rows = []
        for sampler in order:
            column = [s for by in scores.values() if sampler in by for s in by[sampler].values()]
            if not column:
                continue
            clock = [t for problem in split_volumes for t in times[problem].get(sampler, [])]
            versus = ""
            if sampler != TARGET and any(TARGET in by for by in scores.values()):
                (w, t, l), p, n = paired(scores, TARGET, sampler)
                versus = f"{w}/{t}/{l}, p = {p:.2g}" if n else ""
            rows.append([f"`{sampler}`", len(column), _mean(column, fixed=True), f"{statistics.fmean(clock):.3f}",
                         versus])
        report.table(["sampler", "pairs", "score @30", "sampler s / trial", "`gennes` against it"], rows)
        left = sorted(set(split_volumes) - set(scores))
        if left:
            report.paragraph(f"Not scored (no random runs, or no top above random's mean): {', '.join(left)}.")
        rows = []
        for problem, by_sampler in split_volumes.items():
            for sampler in order:
                if sampler in by_sampler:
                    seeds = by_sampler[sampler]
                    rows.append([problem, f"`{sampler}`", len(seeds),
                                 *(_mean([v[k] for v in seeds.values()]) for k in range(len(CHECKPOINTS))),
                                 f"{statistics.fmean(times[problem][sampler]):.3f}"])
        report.table(["problem", "sampler", "seeds", *(f"hypervolume @{c}" for c in CHECKPOINTS),
                      "sampler s / trial"], rows)
    report.paragraph("Regenerate:").code(command)
    return report.write()


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo hpo-mo`."""
    from gennes_bo.compare.runner import add_grid_arguments, add_problems_argument

    parser = commands.add_parser("hpo-mo", help="multi-objective studies: GennesSampler against Optuna's samplers",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=SPLITS, default="dev", help="the problems' split (default dev)")
    add_problems_argument(parser, metavar="NAME", choices=list(PROBLEMS),
                          help="problems of the split (default all of it)")
    parser.add_argument("--samplers", nargs="+", choices=list(SAMPLERS),
                        help="samplers (default the split's: dev " + " ".join(DEFAULT_SAMPLERS["dev"]) + "; test "
                             + " ".join(DEFAULT_SAMPLERS["test"]) + ")")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT,
                       default_seeds="dev 10, test 5", quick=QUICK,
                       estimate="time one short study per problem and sampler")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command

    if args.report:
        return run_report_command(args, "hpo-mo", write_report)
    preset = QUICK if args.quick else {}
    specs = make_specs(args.split, args.problems or preset.get("problems"), args.samplers or preset.get("samplers"),
                       args.seeds or preset.get("seeds"), preset.get("trials", TRIALS))
    return run_grid_command(specs, run_spec, args, "hpo-mo", settings=spec_settings, estimate=estimate)
