"""Mixed spaces and linear constraints: GENNES's optimizers against BoTorch's, at the acquisition level and in
short BO runs, in one grid.

Problems (`gennes_bo.test_functions.mixed`, maximized): `hartmann6-disc` (Hartmann6, 3 dimensions on 5 levels),
`ackley-binary` (10 binary, 6 continuous), `categorical` (8 categoricals of 4 levels, 4 continuous),
`hartmann6-budget` (Hartmann6 under x0 + x1 + x2 <= 1) and `hartmann4-simplex` (a mixture: sum x = 1).

Optimizers: on the mixed problems `gennes-mixed` (`optimize_acqf_mixed_gennes`, its defaults) against
`botorch-alternating` (`optimize_acqf_mixed_alternating`, its defaults) and, where the enumeration has at most
128 combinations (only `hartmann6-disc`: 125), `botorch-enumerate` (`optimize_acqf_mixed` over every combination,
with a reduced budget per combination); on the constrained ones `gennes-hybrid` (`optimize_acqf_gennes`, its
defaults) against `botorch-default` (`optimize_acqf`, 20 restarts, 1024 raw samples: SLSQP under the same
constraints).

- `acqf` runs: a GP fitted to `n_train` random valid points of the problem (seeded; `MixedSingleTaskGP` with
  categoricals), LogEI (q = 1) or qLogEI (q > 1, 128 seeded Sobol samples); every optimizer maximizes the same
  acquisition. Recorded: value, wall and CPU seconds, acquisition points, largest violation.
- `bo` runs: `ITERATIONS` iterations of q = 1 LogEI from `N_INIT` random valid points, the same per seed for
  every optimizer; the GP refitted every iteration. Recorded: the best value after each evaluation, per iteration
  the acquisition's wall and CPU seconds and points.

Specs are seed-major (every case and optimizer of seed 0, then seed 1, ...), so a partial grid holds paired seeds.
Each optimizer runs once untimed per process, problem and q first (one-time imports are not timed). `--estimate`
times one acquisition call per optimizer and case (BO runs: at the first and the last iteration's data size) and
prints the grid's CPU hours; a fresh grid estimated above 1 CPU hour asks for `--yes`.

    gennes-bo bench-mixed --estimate              # CPU hours of the grid
    gennes-bo bench-mixed                         # the grid into results/mixed.jsonl (resumes)
    gennes-bo bench-mixed --seeds 1 --parts acqf  # one seed of the acquisition level
    gennes-bo bench-mixed --report                # docs/benchmarks/mixed.md and its figure
"""

from __future__ import annotations

import argparse
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.mixed_spec import (
    ACQF_Q,
    ENUMERATION_BUDGET,
    ITERATIONS,
    N_INIT,
    PARTS,
    PROBLEMS,
    SEEDS,
    make_specs,
    space_problem,
)

if TYPE_CHECKING:
    from gennes_bo.compare.runner import CellCost

# torch and BoTorch are imported inside the functions that use them: `gennes-bo bench-mixed --help` answers
# without them.

QUICK = {"problems": ["hartmann6-disc", "hartmann4-simplex"], "q": [1], "seeds": 1, "iterations": 1, "n_init": 4,
         "budget": {"num_restarts": 2, "raw_samples": 16}}
DEFAULT_OUT = "results/mixed.jsonl"
DEFAULT_REPORT = "docs/benchmarks/mixed.md"


# ---------------------------------------------------------------------------------------------- optimizers
def spec_settings(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What the spec's optimizer runs with on its problem (its budget override included), recorded with each run."""
    import inspect

    from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating

    from gennes_bo.acquisition.options import MIXED_CONFIG, MIXED_RESTARTS
    from gennes_bo.compare.registry import BOTORCH_DEFAULT, AcqfTask, get_acqf_optimizer

    name, budget = spec["optimizer"], spec.get("budget", {})
    if name == "gennes-mixed":
        settings = {"num_restarts": MIXED_RESTARTS[0], "raw_samples": MIXED_RESTARTS[1],
                    "config": MIXED_CONFIG.to_dict()}
    elif name == "botorch-alternating":
        parameters = inspect.signature(optimize_acqf_mixed_alternating).parameters
        settings = {key: parameters[key].default for key in ("num_restarts", "raw_samples")}
    elif name == "botorch-enumerate":
        settings = {**ENUMERATION_BUDGET, "combinations": space_problem(spec["problem"]).n_combinations}
    elif name == "gennes-hybrid":
        settings = get_acqf_optimizer(name).resolved_settings(AcqfTask(q=spec["q"]))
    elif name == "botorch-default":
        settings = dict(BOTORCH_DEFAULT)
    else:
        raise ValueError(f"unknown optimizer {name!r} of bench-mixed")
    return {**settings, **budget}


def make_optimizer(name: str, problem: Any, budget: Mapping[str, int] | None = None) -> Callable:
    """The optimizer `name` on `problem`'s space as `(acq_function, bounds, q) -> (candidates q x d, values)`,
    its randomness from torch's global RNG (seeded by `run_acqf_optimizer`).

    Args:
        name: An optimizer of :func:`optimizers_of`.
        problem: A :class:`~gennes_bo.test_functions.mixed.SpaceProblem`.
        budget: `num_restarts` / `raw_samples` replacing the optimizer's own (tests, warm-ups).
    """
    import itertools

    from botorch.optim import optimize_acqf, optimize_acqf_mixed
    from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating

    from gennes_bo.acquisition import optimize_acqf_gennes, optimize_acqf_mixed_gennes
    from gennes_bo.compare.registry import BOTORCH_DEFAULT

    budget = dict(budget or {})
    space = {"discrete_dims": problem.discrete_dims or None, "cat_dims": problem.cat_dims or None}
    constraints = {"inequality_constraints": problem.inequality_constraints,
                   "equality_constraints": problem.equality_constraints}
    if name == "gennes-mixed":
        return lambda acqf, bounds, q: optimize_acqf_mixed_gennes(acqf, bounds, q=q, **space, **budget)
    if name == "botorch-alternating":
        return lambda acqf, bounds, q: optimize_acqf_mixed_alternating(acqf, bounds, q=q, **space, **budget)
    if name == "botorch-enumerate":
        levels = {**problem.discrete_dims, **problem.cat_dims}
        fixed = [dict(zip(levels, values, strict=True)) for values in itertools.product(*levels.values())]
        return lambda acqf, bounds, q: optimize_acqf_mixed(acqf, bounds, q, fixed_features_list=fixed,
                                                           **{**ENUMERATION_BUDGET, **budget})
    if name == "gennes-hybrid":
        return lambda acqf, bounds, q: optimize_acqf_gennes(acqf, bounds, q, **constraints, **budget)
    if name == "botorch-default":
        return lambda acqf, bounds, q: optimize_acqf(acqf, bounds, q, **constraints, **{**BOTORCH_DEFAULT, **budget})
    raise ValueError(f"unknown optimizer {name!r} of bench-mixed")


# ---------------------------------------------------------------------------------------------- the runs
def fit_model(problem: Any, X: Any, Y: Any, seed: int = 0) -> Any:
    """A GP fitted to `n x d` points `X` and their `n` values `Y` (seeded): `MixedSingleTaskGP` when the problem
    has categoricals, else `SingleTaskGP` (BoTorch's defaults: standardized outputs)."""
    import warnings

    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import MixedSingleTaskGP, SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    if problem.cat_dims:
        model = MixedSingleTaskGP(X, Y.unsqueeze(-1), cat_dims=list(problem.cat_dims))
    else:
        model = SingleTaskGP(X, Y.unsqueeze(-1))
    with torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return model


def build_acquisition(problem_name: str, q: int, seed: int, n_train: int) -> Any:
    """The acquisition of an `acqf` run: LogEI (q = 1) or qLogEI of a GP fitted to `n_train` valid points."""
    from gennes_bo.compare.bo_loop import build_acquisition as acquisition_of

    problem = space_problem(problem_name)
    X = problem.sample(n_train, seed)
    Y = problem.f(X)
    return acquisition_of(fit_model(problem, X, Y, seed), Y.max(), "logei", q, seed=seed)


_LAST_ACQUISITION = threading.local()  # the optimizers of a case and seed run one after another: fit the GP once


def _cached_acquisition(problem: str, q: int, seed: int, n_train: int) -> Any:
    key = (problem, q, seed, n_train)
    if getattr(_LAST_ACQUISITION, "key", None) != key:
        _LAST_ACQUISITION.value = build_acquisition(problem, q, seed, n_train)
        _LAST_ACQUISITION.key = key
    return _LAST_ACQUISITION.value


@functools.cache
def warm_up(optimizer: str, problem: str, q: int) -> None:
    """Run the optimizer once, untimed, with a tiny budget on a tiny GP of the problem, so that no timed run pays
    one-time costs (imports, first calls); once per process, optimizer, problem and q."""
    from gennes_bo.compare.registry import run_acqf_optimizer

    space = space_problem(problem)
    acqf = build_acquisition(problem, q, seed=0, n_train=6)
    tiny = {"num_restarts": 1, "raw_samples": 8}
    run_acqf_optimizer(make_optimizer(optimizer, space, tiny), acqf, space.bounds, q, seed=0)


def run_mixed_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec of :func:`make_specs` in a worker (picklable, top level): the record body.

    Returns:
        For an `acqf` run `value`, `wall_time`, `cpu_time`, `n_evals` and `violation`; for a `bo` run `best`
        (best value after each evaluation), `final_best`, per iteration `acqf_time`, `acqf_cpu_time` and
        `acqf_points`, the run's `wall_time` and `cpu_time`, and the largest `violation` of its points.
    """
    from gennes_bo.compare.bo_loop import run_bo_loop
    from gennes_bo.compare.registry import run_acqf_optimizer

    problem = space_problem(spec["problem"])
    optimizer = make_optimizer(spec["optimizer"], problem, spec.get("budget"))
    if "budget" not in spec:  # a budgeted (test) run's times do not matter
        warm_up(spec["optimizer"], spec["problem"], spec["q"])
    if spec["part"] == "acqf":
        acqf = _cached_acquisition(spec["problem"], spec["q"], spec["seed"], spec["n_train"])
        run = run_acqf_optimizer(optimizer, acqf, problem.bounds, spec["q"], spec["seed"])
        return {"value": run.value, "wall_time": run.wall_time, "cpu_time": run.cpu_time, "n_evals": run.n_evals,
                "violation": problem.violation(run.candidates)}
    start, cpu_start = time.monotonic(), time.process_time()
    trace = run_bo_loop(problem.f, problem.bounds, optimizer, n_iterations=spec["iterations"], q=spec["q"],
                        acquisition="logei", seed=spec["seed"], X_init=problem.sample(spec["n_init"], spec["seed"]),
                        fit_model=lambda X, Y, bounds: fit_model(problem, X, Y, spec["seed"]))
    return {"best": trace.best_so_far, "final_best": trace.best_y, "acqf_time": trace.acqf_time,
            "acqf_cpu_time": trace.acqf_cpu_time, "acqf_points": trace.n_acqf_evals,
            "wall_time": time.monotonic() - start, "cpu_time": time.process_time() - cpu_start,
            "violation": problem.violation(trace.X)}


# --------------------------------------------------------------------------------------------- --estimate
def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | CellCost]:
    """Time one call per optimizer and case, and cost the grid's runs without running them.

    An `acqf` case (problem, q) fits seed 0's GP in this process (one thread) and times each optimizer's call on its
    acquisition once, after the untimed warm-up a worker makes too; a run costs its call plus its share of the GP
    fit (made once per case and seed for its optimizers). A `bo` case is timed at its first and its last
    iteration's data size (`benchmarks.bo_cost`).

    Yields:
        A header, then as they are measured one `CellCost` per case and optimizer and a line of each case's GP fit.
    """
    from collections import defaultdict

    import torch

    from benchmarks.bo_cost import fit_line, optimizer_line, time_bo_iterations
    from gennes_bo.compare.registry import run_acqf_optimizer
    from gennes_bo.compare.runner import COST_COLUMNS, CellCost, limit_threads

    limit_threads()
    cases: dict[tuple, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for spec in specs:
        cases[(spec["part"], spec["problem"], spec["q"], spec.get("n_train"), spec.get("n_init"),
               spec.get("iterations"))][spec["optimizer"]].append(spec)
    yield f"{'case':38s} {'optimizer':20s} {'first (s)':>9s} {'last (s)':>9s} {'points':>8s} {COST_COLUMNS}"
    for (part, name, q, n_train, n_init, iterations), optimizers in cases.items():
        problem, budget = space_problem(name), next(iter(optimizers.values()))[0].get("budget")
        title = f"{name} {part} q={q}"
        if budget is None:  # as a worker does (a budgeted test run's times do not matter)
            for optimizer in optimizers:
                warm_up(optimizer, name, q)
        made = {optimizer: make_optimizer(optimizer, problem, budget) for optimizer in optimizers}
        if part == "acqf":
            start = time.process_time()
            acqf = build_acquisition(name, q, 0, n_train)
            fit = time.process_time() - start
            for optimizer, cell_specs in optimizers.items():
                run = run_acqf_optimizer(made[optimizer], acqf, problem.bounds, q, 0)
                yield CellCost(f"{title:38s} {optimizer:20s} {run.cpu_time:9.2f} {'':9s} {run.n_evals:8d}",
                               cell_specs, (run.cpu_time + fit / len(optimizers)) / 3600)
            yield f"{title:38s} {'(GP fit)':20s} {fit:9.2f}"
            continue
        X_last = problem.sample(n_init, 0)
        if iterations > 1:  # points standing for the BO points before the last iteration
            X_last = torch.cat([X_last, problem.sample(q * (iterations - 1), 1)])
        timing = time_bo_iterations(problem.f, problem.bounds, X_last[:n_init], X_last, made, acquisition="logei",
                                    q=q, fit_model=functools.partial(_fit_seed_0, problem))
        for optimizer, cell_specs in optimizers.items():
            yield CellCost(optimizer_line(title, timing, optimizer), cell_specs,
                           timing.run_hours(optimizer, iterations, n_init + q * iterations))
        yield fit_line(title, timing)


def _fit_seed_0(problem: Any, X: Any, Y: Any, _bounds: Any) -> Any:
    """`fit_model` in `run_bo_loop`'s call shape, for seed 0."""
    return fit_model(problem, X, Y, 0)


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo bench-mixed`."""
    from gennes_bo.compare.runner import add_grid_arguments, add_problems_argument

    parser = commands.add_parser("bench-mixed", help="mixed spaces and linear constraints against BoTorch's optimizers",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_problems_argument(parser, choices=PROBLEMS, metavar="NAME",
                          help=f"problems (default all: {' '.join(PROBLEMS)})")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                        help="acquisition-level runs, short BO runs or both (default both)")
    parser.add_argument("--q", nargs="+", type=int, metavar="Q",
                        help=f"batch sizes of the acquisition-level runs (default {' '.join(map(str, ACQF_Q))})")
    parser.add_argument("--iterations", type=int, metavar="N", help=f"BO iterations (default {ITERATIONS})")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=SEEDS,
                       quick=QUICK, estimate="time one acquisition call per optimizer and case (BO runs: at the "
                                             "first and the last iteration's data size)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command, seeds_or_default

    if args.report:
        from benchmarks.mixed_report import write_report

        return run_report_command(args, "bench-mixed", write_report)
    preset = QUICK if args.quick else {}
    try:
        specs = make_specs(args.problems or preset.get("problems", PROBLEMS), seeds_or_default(args, QUICK, SEEDS),
                           args.parts, args.q or preset.get("q", ACQF_Q),
                           args.iterations or preset.get("iterations", ITERATIONS), preset.get("n_init", N_INIT),
                           preset.get("budget"))
    except ValueError as err:
        raise SystemExit(f"gennes-bo bench-mixed: {err}") from err
    return run_grid_command(specs, run_mixed_spec, args, "bench-mixed", settings=spec_settings, estimate=estimate)
