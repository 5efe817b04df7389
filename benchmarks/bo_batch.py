"""Large-batch BO (q = 8 to 32): does a better q-batch maximizer of the acquisition give better BO results?

Every run is a BoTorch BO loop (`gennes_bo.compare.bo_loop.run_bo_loop`) on a problem whose optimum each seed moves
uniformly at random (`random_translation(get_problem(name, dim), seed)`, so that a pull towards the box centre
cannot win), minimizing the problem:

- the same initial design for every optimizer of a seed: 2q scrambled Sobol points seeded by the seed;
- BoTorch's `SingleTaskGP` defaults (inputs normalized to the box, outputs standardized), refitted every iteration;
- 10 iterations of q points; the acquisition qLogNEI (`qLogNoisyExpectedImprovement`, baseline = every evaluated
  point, pruned) or qUCB (beta = 2), 128 Sobol Monte-Carlo samples seeded per iteration;
- a noisy variant adds Gaussian noise to the observed values, its standard deviation a fraction (5 %) of the
  function's range over the box (largest value on 1024 Sobol points minus f*; Hartmann6: 0.166); the regret is
  always measured on the noiseless function: the best noiseless value among the evaluated points minus the true
  f* of the translated problem, after each evaluation.

The optimizers (names of `gennes_bo.compare.registry`): `botorch-default` (`optimize_acqf`, the q
points jointly, 20 restarts, 1024 raw samples), `botorch-sequential` (the same, `sequential=True`),
`gennes-hybrid` (`optimize_acqf_gennes`'s defaults), `lbfgs-same-starts` (its L-BFGS-only ablation), `gennes`
(the paper's), and the floors `random` and `sobol` (an unoptimized batch).

Grids (`--grid`): `main` (the acceptance grid) is qLogNEI at q = 16, 10 seeds, on Hartmann6, Ackley-10, Levy-20,
Rastrigin-10, Griewank-10 and Michalewicz-10; `secondary` (5 seeds) is q = 8 and q = 32 on Hartmann6, Ackley-10
and Michalewicz-10, qUCB at q = 16 on those three, and noisy Hartmann6 (qLogNEI, q = 16); `all` is both.
`--problems` and `--q` replace a grid's problems and q values; `--acquisition` keeps only its noiseless cells of
one acquisition. Runs are ordered seed by seed within a grid (every
problem and optimizer of seed 0, then seed 1, ...), so that a partial grid holds complete paired seeds.
`--estimate` times one acquisition call per optimizer and cell at the first and the last iteration's data size
and prints the grid's CPU hours without running it.

    gennes-bo bo-batch --estimate                         # CPU hours of the main grid, from one call per cell
    gennes-bo bo-batch --workers 16                       # the main grid into results/bo_batch.jsonl (resumes)
    gennes-bo bo-batch --grid secondary --scheduler tcp://HOST:8786
    gennes-bo bo-batch --report                           # docs/results/bo_batch.md and its figures
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from benchmarks.bo_batch_spec import (
    ACQUISITIONS,
    GRID_NAMES,
    GRIDS,
    ITERATIONS,
    OPTIMIZERS,
    Cell,
    cell_of,
    cell_title,
    initial_design,
    noise_std,
)

# torch, BoTorch and the problems are imported inside the functions that use them: `gennes-bo bo-batch --help`
# answers without them.

QUICK = {"problems": ["hartmann6"], "q": [2], "seeds": 2, "iterations": 2,
         "optimizers": ["random", "sobol", "botorch-default"]}
DEFAULT_OUT = "results/bo_batch.jsonl"
DEFAULT_REPORT = "docs/results/bo_batch.md"


def make_specs(grid: str = "main", optimizers: Sequence[str] = OPTIMIZERS, problems: Sequence[str] | None = None,
               q: Sequence[int] | None = None, seeds: int | None = None,
               iterations: int = ITERATIONS, acquisition: str | None = None) -> list[dict[str, Any]]:
    """The runs of a grid, seed-major within each grid: every cell and optimizer of seed 0, then of seed 1, ...

    Args:
        grid: `"main"`, `"secondary"` or `"all"` (main, then secondary).
        optimizers: Registered names or `package.module:function` import paths (checked here).
        problems: Problem keys replacing each family's problems (default: the grid's).
        q: Batch sizes replacing each family's (default: the grid's).
        seeds: Seeds per cell replacing each family's (default: the grid's, 10 main and 5 secondary).
        iterations: BO iterations per run.
        acquisition: Keep only the families of this acquisition, noiseless (`"qlognei"` or `"qucb"`; default
            every family).

    Raises:
        ValueError: For an unknown grid, problem key, optimizer or acquisition, or a count below 1.
    """
    from gennes_bo.compare.bo_loop import UCB_BETA
    from gennes_bo.compare.registry import get_acqf_optimizer
    from gennes_bo.test_functions import parse_problem_key

    if grid not in GRID_NAMES:
        raise ValueError(f"`grid` must be one of {GRID_NAMES}, got {grid!r}")
    if acquisition not in (None, *ACQUISITIONS):
        raise ValueError(f"`acquisition` must be one of {ACQUISITIONS}, got {acquisition!r}")
    for problem in problems or ():
        parse_problem_key(problem)  # raises UnknownProblemError (a ValueError) naming the key
    for optimizer in optimizers:
        get_acqf_optimizer(optimizer)
    for name, value in (("seeds", seeds), ("iterations", iterations), *(("q", v) for v in q or ())):
        if value is not None and value < 1:
            raise ValueError(f"`{name}` must be >= 1, got {value}")
    specs: dict[str, dict[str, Any]] = {}
    for name in (("main", "secondary") if grid == "all" else (grid,)):
        families = [family for family in GRIDS[name]
                    if acquisition is None or (family.acquisition == acquisition and not family.noise)]
        for seed in range(max((seeds or family.seeds for family in families), default=0)):
            for family in families:
                if seed >= (seeds or family.seeds):
                    continue
                for problem in dict.fromkeys(problems or family.problems):
                    for batch in dict.fromkeys(q or family.q):
                        for optimizer in dict.fromkeys(optimizers):
                            spec = {"kind": "bo-batch", "problem": problem, "acquisition": family.acquisition,
                                    "q": batch, "noise_std": noise_std(problem, family.noise), "seed": seed,
                                    "optimizer": optimizer, "n_init": 2 * batch, "iterations": iterations}
                            if family.acquisition == "qucb":
                                spec["beta"] = UCB_BETA
                            specs.setdefault(_key(spec), spec)
    return list(specs.values())


def spec_settings(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the spec's optimizer resolves to at its q (None for an import path), recorded with each run."""
    from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer

    return get_acqf_optimizer(spec["optimizer"]).resolved_settings(AcqfTask(q=spec["q"]))


def translated_problem(spec: Mapping[str, Any]) -> Any:
    """The spec's problem with its optimum moved at random by the spec's seed (a minimization problem)."""
    from gennes_bo.test_functions import get_problem, parse_problem_key, random_translation

    return random_translation(get_problem(*parse_problem_key(spec["problem"])), spec["seed"])


def run_bo_batch_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec in a worker (picklable, top level); the record body.

    Returns:
        `regret` (after each evaluation: best noiseless value so far minus f*, `n_init + q x iterations` values),
        `values` (each evaluated point's noiseless value minus f*), `final_regret`, `f_star`, per iteration
        `acqf_time` (seconds), `acqf_points` (acquisition points evaluated), `acqf_value` (of the chosen batch)
        and `fit_time` (seconds), and the run's `wall_time` and `cpu_time` (seconds).
    """
    import torch

    from gennes_bo.compare.bo_loop import UCB_BETA, run_bo_loop, warm_up
    from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer

    problem = translated_problem(spec)
    f_star = float(problem.optimal_value)
    bounds = problem.bounds.to(torch.float64)
    optimizer = get_acqf_optimizer(spec["optimizer"]).make(AcqfTask(q=spec["q"]))
    warm_up(spec["optimizer"], spec["acquisition"], spec["q"])  # no run pays the one-time import costs
    start, cpu_start = time.monotonic(), time.process_time()
    trace = run_bo_loop(lambda X: -problem.evaluate_true(X), bounds, optimizer, n_iterations=spec["iterations"],
                        q=spec["q"], acquisition=spec["acquisition"], seed=spec["seed"],
                        X_init=initial_design(bounds, spec["n_init"], spec["seed"]), noise_std=spec["noise_std"],
                        beta=spec.get("beta", UCB_BETA))
    values = -trace.noiseless_Y - f_star
    regret = torch.cummin(values, 0).values.tolist()
    return {
        "regret": regret,
        "values": values.tolist(),
        "final_regret": regret[-1],
        "f_star": f_star,
        "acqf_time": trace.acqf_time,
        "acqf_points": trace.n_acqf_evals,
        "acqf_value": trace.acqf_value,
        "fit_time": trace.fit_time,
        "wall_time": time.monotonic() - start,
        "cpu_time": time.process_time() - cpu_start,
    }


# --------------------------------------------------------------------------------------------- --estimate
def estimate(specs: Sequence[Mapping[str, Any]], pending_keys: set[str] | None = None) -> Iterator[str]:
    """Time one acquisition call per optimizer and cell, and estimate the grid's CPU hours without running it.

    Each cell's GP is fitted twice in this process (one thread): to seed 0's initial design (the first iteration's
    data), and to it plus the Sobol points that stand for the BO points of the last iteration (`n_init + q x
    (iterations - 1)` points); each optimizer is timed once on each (process CPU time). A run costs `iterations x`
    the mean of the two (call + GP fit), the trapezoid rule over the iterations, whose cost grows with the data.

    Args:
        specs: The grid (:func:`make_specs`).
        pending_keys: Keys of the runs not yet recorded, to estimate what is left as well.

    Yields:
        The lines to print, as they are measured: one per (cell, optimizer) and the cell's GP fits, then the totals.
    """
    import warnings

    from gennes_bo.compare.bo_loop import warm_up
    from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, run_acqf_optimizer
    from gennes_bo.compare.runner import limit_threads

    limit_threads()
    runs: dict[Cell, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for spec in specs:
        runs[cell_of(spec)][spec["optimizer"]].append(spec)
    yield (f"{'cell':38s} {'optimizer':20s} {'first (s)':>9s} {'last (s)':>9s} {'points':>8s} {'runs':>5s} "
           f"{'CPU h':>7s}")
    total = left = 0.0
    for cell, optimizers in runs.items():
        first = next(iter(optimizers.values()))[0]
        sizes = (first["n_init"], first["n_init"] + first["q"] * (first["iterations"] - 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BoTorch's retries and jitter: timed, not reported
            landscapes = [_timing_acquisition(first, n) for n in sizes]
            for optimizer, cell_specs in optimizers.items():
                warm_up(optimizer, first["acquisition"], first["q"])
                calls, n_evals = [], 0
                for acq_function, bounds, _ in landscapes:
                    start = time.process_time()
                    run = run_acqf_optimizer(get_acqf_optimizer(optimizer).make(AcqfTask(q=first["q"])),
                                             acq_function, bounds, first["q"], seed=0)
                    calls.append(time.process_time() - start)
                    n_evals = run.n_evals
                per_run = first["iterations"] * (sum(calls) + sum(fit for *_, fit in landscapes)) / 2 / 3600
                total += per_run * len(cell_specs)
                if pending_keys is not None:
                    left += per_run * sum(_key(s) in pending_keys for s in cell_specs)
                yield (f"{cell_title(cell):38s} {optimizer:20s} {calls[0]:9.2f} {calls[1]:9.2f} {n_evals:8d} "
                       f"{len(cell_specs):5d} {per_run * len(cell_specs):7.2f}")
        yield (f"{cell_title(cell):38s} {'(GP fit)':20s} {landscapes[0][2]:9.2f} {landscapes[1][2]:9.2f}  "
               f"({sizes[0]} and {sizes[1]} points)")
    yield (f"estimated CPU hours: {total:.1f} for {len(specs)} runs"
           + (f" ({left:.1f} for the {len(pending_keys)} not yet recorded)" if pending_keys is not None else ""))


def stand_in_data(spec: Mapping[str, Any], n_points: int) -> tuple[Any, Any, Any]:
    """Seed 0's problem of the spec's cell, its float64 bounds, and `n_points x d` points standing for the data of
    a BO iteration: the cell's initial design (`n_init` Sobol points, default 2q, seed 0), then Sobol points
    (seed 1) for the BO points."""
    import torch

    problem = translated_problem({**spec, "seed": 0})
    bounds = problem.bounds.to(torch.float64)
    n_init = spec.get("n_init", 2 * spec["q"])
    X = initial_design(bounds, n_init, 0)
    if n_points > n_init:
        X = torch.cat([X, initial_design(bounds, n_points - n_init, 1)])
    return problem, bounds, X


def _timing_acquisition(spec: Mapping[str, Any], n_points: int) -> tuple[Any, Any, float]:
    """The acquisition of seed 0 of the spec's cell on `n_points` points (its initial design, then Sobol points
    standing for BO points), its bounds, and the CPU seconds of the GP fit."""

    from gennes_bo.compare.bo_loop import UCB_BETA, build_acquisition
    from gennes_bo.models import fit_gp

    problem, bounds, X = stand_in_data(spec, n_points)
    start = time.process_time()
    model = fit_gp(X, -problem(X), bounds)
    fit = time.process_time() - start
    acq_function = build_acquisition(model, model.train_targets.max(), spec["acquisition"], spec["q"], seed=0,
                                     X_baseline=X, beta=spec.get("beta", UCB_BETA))
    return acq_function, bounds, fit


def _key(spec: Mapping[str, Any]) -> str:
    from gennes_bo.compare.records import run_key

    return run_key(spec)


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo bo-batch`."""
    from gennes_bo.compare.runner import add_grid_arguments

    parser = commands.add_parser("bo-batch", help="large-batch BO (q = 8 to 32): acquisition optimizers side by side",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=GRID_NAMES, default="main", help="which grid (default main)")
    parser.add_argument("--problems", nargs="+", metavar="KEY",
                        help="problem keys replacing the grid's, e.g. hartmann6 ackley10 levy20")
    parser.add_argument("--q", nargs="+", type=int, metavar="Q", help="batch sizes replacing the grid's")
    parser.add_argument("--acquisition", choices=ACQUISITIONS,
                        help="keep only the grid's noiseless cells of this acquisition")
    parser.add_argument("--optimizers", nargs="+", metavar="NAME",
                        help=f"registered names or package.module:function (default {' '.join(OPTIMIZERS)})")
    parser.add_argument("--estimate", action="store_true",
                        help="time one acquisition call per optimizer and cell (at the first and the last iteration's "
                             "data size), print the grid's CPU hours and exit")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT,
                       default_seeds="10 in the main grid, 5 in the secondary", quick=QUICK)
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.records import pending
    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command

    if args.report:
        from benchmarks.bo_batch_report import write_report

        return run_report_command(args, "bo-batch", write_report)
    preset = QUICK if args.quick else {}
    try:
        specs = make_specs(args.grid, args.optimizers or preset.get("optimizers", OPTIMIZERS),
                           args.problems or preset.get("problems"), args.q or preset.get("q"),
                           args.seeds or preset.get("seeds"), preset.get("iterations", ITERATIONS), args.acquisition)
    except ValueError as err:
        raise SystemExit(f"gennes-bo bo-batch: {err}") from err
    if args.estimate:
        for line in estimate(specs, {_key(spec) for spec in pending(specs, args.out)}):
            print(line, flush=True)
        return 0
    return run_grid_command(specs, run_bo_batch_spec, args, "bo-batch", settings=spec_settings)
