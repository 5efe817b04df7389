"""HPO on bayesmark's scikit-learn problems: GennesSampler against Random, TPE, GPSampler, BoTorchSampler, SMAC3,
HEBO and Vizier, on a dev/test split fixed in code.

Each run is one Optuna study of a problem (`benchmarks.bayesmark_problems`: a model, a dataset and a metric, its
5-fold CV loss to minimize) with one sampler and seed, in one protocol (`benchmarks.hpo_bayesmark_spec`):
sequential (60 trials) or the challenge's batch protocol shortened to 8 rounds of 8. The record holds per trial the
loss, the best loss so far and the sampler's and the objective's CPU seconds, as `gennes-bo hpo`'s do. The report
scores runs as bayesmark does (normalized between the best loss ever found on the problem and the median random
trial) and ranks the samplers per problem and seed.

    gennes-bo hpo-bayesmark --split dev --estimate        # CPU hours of the dev grid
    gennes-bo hpo-bayesmark --split dev --yes --workers 2 # the dev grid into results/hpo_bayesmark.jsonl
    gennes-bo hpo-bayesmark --split test --yes            # test, once the defaults are committed
    gennes-bo hpo-bayesmark --report                      # docs/results/hpo_bayesmark.md
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.hpo_bayesmark_spec import DEFAULT_OUT, DEFAULT_REPORT, PROTOCOLS, SAMPLERS, SEEDS

if TYPE_CHECKING:
    from gennes_bo.compare.runner import CellCost

QUICK = {"problems": ["kNN_iris_nll"], "seeds": 1, "samplers": ["random", "tpe"], "protocols": ["sequential"]}
SPLITS = ("dev", "test")


def make_specs(split: str, problems: Sequence[str] | None = None, samplers: Sequence[str] | None = None,
               protocols: Sequence[str] | None = None, seeds: int | None = None) -> list[dict[str, Any]]:
    """The runs of a split: each protocol in turn (sequential first), seed-major within it.

    Args:
        split: `"dev"` or `"test"`.
        problems: Problem names of the split (default all of it).
        samplers: Names of `SAMPLERS` (default the split's: `default_samplers`).
        protocols: Names of `PROTOCOLS` (default both).
        seeds: Seeds per problem (default the split's); a sampler with fewer seeds of its own keeps those.

    Raises:
        ValueError: For an unknown split, problem, sampler or protocol, or a problem of the other split.
    """
    from benchmarks.bayesmark_problems import get_problem, split_of
    from benchmarks.hpo_bayesmark_spec import grid_runs

    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}, got {split!r}")
    for name in problems or ():
        get_problem(name)
        if split_of(name) != split:
            raise ValueError(f"problem {name!r} belongs to the {split_of(name)} split, not {split}")
    for kind, chosen, known in (("sampler", samplers, SAMPLERS), ("protocol", protocols, PROTOCOLS)):
        unknown = sorted(set(chosen or ()) - set(known))
        if unknown:
            raise ValueError(f"unknown {kind}(s) {unknown}; known: {', '.join(known)}")
    return [{"kind": "hpo-bayesmark", "split": split, "problem": problem, "sampler": sampler, "protocol": protocol,
             **{k: PROTOCOLS[protocol][k] for k in ("batch", "trials")}, "seed": seed}
            for protocol, seed, problem, sampler in grid_runs(split, problems, samplers, protocols, seeds)]


def spec_settings(spec: Mapping[str, Any]) -> Any:
    """What the spec's sampler resolves to, recorded with each run."""
    from benchmarks.hpo_bayesmark_spec import sampler_settings

    return sampler_settings(spec["sampler"])


def run_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec (picklable, top level); the record body (`gennes-bo hpo`'s: per trial `values`, `best`,
    `sampler_time` and `objective_time`; `final_best`, `best_params`, `wall_time`, `cpu_time`)."""
    import optuna

    from benchmarks.bayesmark_problems import get_problem
    from benchmarks.hpo import run_study
    from benchmarks.hpo_bayesmark_spec import make_sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = get_problem(spec["problem"])
    space = problem.space()
    problem.evaluate(optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1)).ask(space).params)  # warm
    sampler = make_sampler(spec["sampler"], spec["seed"], space, spec["trials"], spec["batch"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return run_study(spec, problem, space, sampler)
    finally:
        close = getattr(sampler, "close", None)
        if close is not None:
            close()


def estimate(specs: Sequence[Mapping[str, Any]], args: argparse.Namespace) -> Iterator[str | CellCost]:
    """Time the objective (3 random configurations per problem) and one sequential run of every sampler on one
    problem of the grid (10 trials after 10 startup trials, not recorded), and cost each run as trials x (objective
    + sampler seconds per trial).

    Yields:
        The measurement lines, then one `CellCost` per protocol, problem and sampler.
    """
    import optuna

    from benchmarks.bayesmark_problems import get_problem
    from benchmarks.hpo import run_study
    from benchmarks.hpo_bayesmark_spec import make_sampler
    from gennes_bo.compare.runner import COST_COLUMNS, CellCost, limit_threads

    limit_threads()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problems = list(dict.fromkeys(spec["problem"] for spec in specs))
    objective: dict[str, float] = {}
    for name in problems:
        problem = get_problem(name)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
        times = []
        for _ in range(3):
            params = study.ask(problem.space()).params
            clock = time.process_time()
            problem.evaluate(params)
            times.append(time.process_time() - clock)
        objective[name] = sum(times) / len(times)
        yield f"{name:28s} objective {objective[name]:6.3f} s per trial (3 random configurations)"
    probe = get_problem(problems[0])
    per_trial: dict[str, float] = {}
    for sampler in dict.fromkeys(spec["sampler"] for spec in specs):
        batch = {spec["batch"] for spec in specs if spec["sampler"] == sampler}
        for size in sorted(batch):
            spec = {"trials": 20, "batch": size}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                record = run_study(spec, probe, probe.space(), make_sampler(sampler, 0, probe.space(), 20, size))
            per_trial[f"{sampler}/{size}"] = sum(record["sampler_time"][10:]) / 10
            yield (f"{sampler:10s} batch {size}: {per_trial[f'{sampler}/{size}']:6.3f} s per model-based trial "
                   f"({probe.name}, trials 11-20)")
    cells: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for spec in specs:
        cells.setdefault((spec["protocol"], spec["problem"], spec["sampler"]), []).append(spec)
    yield f"{'protocol':10s} {'problem':28s} {'sampler':10s} {'s per trial':>11s} {COST_COLUMNS}"
    for (protocol, problem, sampler), cell_specs in cells.items():
        trials, batch = PROTOCOLS[protocol]["trials"], PROTOCOLS[protocol]["batch"]
        seconds = objective[problem] + per_trial[f"{sampler}/{batch}"] * (trials - 10) / trials
        yield CellCost(f"{protocol:10s} {problem:28s} {sampler:10s} {seconds:11.3f}", cell_specs,
                       trials * seconds / 3600)


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo hpo-bayesmark`."""
    from gennes_bo.compare.runner import add_grid_arguments, add_problems_argument

    parser = commands.add_parser("hpo-bayesmark", help="HPO on bayesmark's problems (dev/test split): GennesSampler "
                                 "against Optuna's samplers, SMAC3, HEBO and Vizier", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=SPLITS, default="dev", help="which problems (default dev)")
    add_problems_argument(parser, metavar="NAME", help="problems of the split (default all of it)")
    parser.add_argument("--samplers", nargs="+", metavar="NAME", choices=list(SAMPLERS),
                        help=f"samplers (default all: {' '.join(SAMPLERS)}; the dev levers on dev only)")
    parser.add_argument("--protocols", nargs="+", choices=list(PROTOCOLS),
                        help="sequential (60 trials) and/or batch8 (8 rounds of 8) (default both)")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT,
                       default_seeds=f"{SEEDS['dev']} on dev, {SEEDS['test']} on test; HEBO and Vizier 3",
                       quick=QUICK, estimate="time the objective and 20 trials of every sampler on one problem")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    import functools

    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command

    if args.report:
        from benchmarks.hpo_bayesmark_report import write_report

        return run_report_command(args, "hpo-bayesmark", write_report)
    preset = QUICK if args.quick else {}
    try:
        specs = make_specs(args.split, args.problems or preset.get("problems"), args.samplers or
                           preset.get("samplers"), args.protocols or preset.get("protocols"),
                           args.seeds or preset.get("seeds"))
    except ValueError as err:
        raise SystemExit(f"gennes-bo hpo-bayesmark: {err}") from err
    return run_grid_command(specs, run_spec, args, "hpo-bayesmark", settings=spec_settings,
                            estimate=functools.partial(estimate, args=args))
