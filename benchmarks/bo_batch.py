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
`--problems` and `--q` replace a grid's problems and q values; `--acquisitions` (earlier `--acquisition`) keeps only
its noiseless cells of those acquisitions. Runs are ordered seed by seed within a grid (every
problem and optimizer of seed 0, then seed 1, ...), so that a partial grid holds complete paired seeds.
`--estimate` times one acquisition call per optimizer and cell at the first and the last iteration's data size
and prints the grid's CPU hours without running it; a fresh grid estimated above 1 CPU hour asks for `--yes`.

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
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from gennes_bo.compare.runner import CellCost

# torch, BoTorch and the problems are imported inside the functions that use them: `gennes-bo bo-batch --help`
# answers without them.

QUICK = {"problems": ["hartmann6"], "q": [2], "seeds": 2, "iterations": 2,
         "optimizers": ["random", "sobol", "botorch-default"]}
DEFAULT_OUT = "results/bo_batch.jsonl"
DEFAULT_REPORT = "docs/results/bo_batch.md"


def make_specs(grid: str = "main", optimizers: Sequence[str] = OPTIMIZERS, problems: Sequence[str] | None = None,
               q: Sequence[int] | None = None, seeds: int | None = None,
               iterations: int = ITERATIONS, acquisitions: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The runs of a grid, seed-major within each grid: every cell and optimizer of seed 0, then of seed 1, ...

    Args:
        grid: `"main"`, `"secondary"` or `"all"` (main, then secondary).
        optimizers: Registered names or `package.module:function` import paths (checked here).
        problems: Problem keys replacing each family's problems (default: the grid's).
        q: Batch sizes replacing each family's (default: the grid's).
        seeds: Seeds per cell replacing each family's (default: the grid's, 10 main and 5 secondary).
        iterations: BO iterations per run.
        acquisitions: Keep only the noiseless families of these acquisitions (`"qlognei"`, `"qucb"`; default
            every family).

    Raises:
        ValueError: For an unknown grid, problem key, optimizer or acquisition, or a count below 1.
    """
    from gennes_bo.compare.bo_loop import UCB_BETA
    from gennes_bo.compare.registry import get_acqf_optimizer
    from gennes_bo.test_functions import parse_problem_key

    if grid not in GRID_NAMES:
        raise ValueError(f"`grid` must be one of {GRID_NAMES}, got {grid!r}")
    for acquisition in acquisitions or ():
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"`acquisitions` must be among {ACQUISITIONS}, got {acquisition!r}")
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
                    if acquisitions is None or (family.acquisition in acquisitions and not family.noise)]
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
def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | CellCost]:
    """Time one acquisition call per optimizer and cell, and cost the grid's runs without running them.

    Each cell's GP is fitted in this process (one thread) to seed 0's initial design (the first iteration's data)
    and to it plus the Sobol points that stand for the BO points of the last iteration (`n_init + q x
    (iterations - 1)` points); each optimizer is timed once on each (`benchmarks.bo_cost`: a run costs
    `iterations x` the mean of the two, call + GP fit, plus its objective evaluations).

    Args:
        specs: The grid (:func:`make_specs`).

    Yields:
        As they are measured: per cell, one `CellCost` per optimizer (`gennes_bo.compare.runner.print_estimate`
        prints them) and a line of the GP fits.
    """
    import functools

    from benchmarks.bo_cost import TIMING_HEADER, fit_line, optimizer_line, time_bo_iterations
    from gennes_bo.compare.bo_loop import UCB_BETA, warm_up
    from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer
    from gennes_bo.compare.runner import COST_COLUMNS, CellCost, limit_threads

    limit_threads()
    runs: dict[Cell, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for spec in specs:
        runs[cell_of(spec)][spec["optimizer"]].append(spec)
    yield f"{TIMING_HEADER} {COST_COLUMNS}"
    for cell, optimizers in runs.items():
        first = next(iter(optimizers.values()))[0]
        n_init, q, iterations, acquisition = first["n_init"], first["q"], first["iterations"], first["acquisition"]
        problem, bounds, X_last = stand_in_data(first, n_init + q * (iterations - 1))
        timing = time_bo_iterations(
            _maximized(problem), bounds, X_last[:n_init], X_last,
            {name: get_acqf_optimizer(name).make(AcqfTask(q=q)) for name in optimizers}, acquisition=acquisition,
            q=q, beta=first.get("beta", UCB_BETA), warm_up=functools.partial(warm_up, acquisition=acquisition, q=q))
        for optimizer, cell_specs in optimizers.items():
            yield CellCost(optimizer_line(cell_title(cell), timing, optimizer), cell_specs,
                           timing.run_hours(optimizer, iterations, n_init + q * iterations))
        yield fit_line(cell_title(cell), timing)


def _maximized(problem: Any) -> Any:
    """The noiseless negated problem, the values a BO loop of this grid maximizes."""
    return lambda X: -problem.evaluate_true(X)


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


def _key(spec: Mapping[str, Any]) -> str:
    from gennes_bo.compare.records import run_key

    return run_key(spec)


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo bo-batch`."""
    from gennes_bo.compare.runner import (
        add_acquisitions_argument,
        add_grid_arguments,
        add_optimizers_argument,
        add_problems_argument,
    )

    parser = commands.add_parser("bo-batch", help="large-batch BO (q = 8 to 32): acquisition optimizers side by side",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=GRID_NAMES, default="main", help="which grid (default main)")
    add_problems_argument(parser, metavar="KEY",
                          help="problem keys replacing the grid's, e.g. hartmann6 ackley10 levy20")
    parser.add_argument("--q", nargs="+", type=int, metavar="Q", help="batch sizes replacing the grid's")
    add_acquisitions_argument(parser, "--acquisition", choices=ACQUISITIONS,
                              help="keep only the grid's noiseless cells of these acquisitions")
    add_optimizers_argument(parser,
                            help=f"registered names or package.module:function (default {' '.join(OPTIMIZERS)})")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT,
                       default_seeds="10 in the main grid, 5 in the secondary", quick=QUICK,
                       estimate="time one acquisition call per optimizer and cell (at the first and the last "
                                "iteration's data size)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import run_grid_command

    if args.report:
        from benchmarks.bo_batch_report import write_report

        return run_report_command(args, "bo-batch", write_report)
    preset = QUICK if args.quick else {}
    try:
        specs = make_specs(args.grid, args.optimizers or preset.get("optimizers", OPTIMIZERS),
                           args.problems or preset.get("problems"), args.q or preset.get("q"),
                           args.seeds or preset.get("seeds"), preset.get("iterations", ITERATIONS), args.acquisitions)
    except ValueError as err:
        raise SystemExit(f"gennes-bo bo-batch: {err}") from err
    return run_grid_command(specs, run_bo_batch_spec, args, "bo-batch", settings=spec_settings, estimate=estimate)
