"""Standalone-optimizer benchmark: every registered method on the paper's five functions (paper, Table 1).

Each run minimizes a randomly translated paper function (the fold seed moves the optimum, see
`gennes_bo.test_functions.random_translation`, and seeds the method) and records the regret
`f(best) - f*` at 1e2, 1e3, 1e4... evaluations, the wall time and the evaluations spent. One JSON line per run,
resumable; a separate record holds the GENNES overhead per generation at `d = 30`, `N = 20`. Runs execute on
local processes (`--workers`, one CPU thread each for torch and BLAS) or a Dask cluster (`--scheduler`).
`--report` writes the markdown table from the records only. `--estimate` times one run per cell (at most
2000 evaluations, scaled to the budget) and prints the suite's CPU hours; a fresh suite estimated above 1 CPU hour
asks for `--yes`.

    gennes-bo bench-standalone                            # the suite into results/standalone.jsonl (resumes)
    gennes-bo bench-standalone --workers 4 --optimizers gennes acma
    gennes-bo bench-standalone --report                   # docs/benchmarks/standalone.md
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from gennes_bo.compare.records import run_key
from gennes_bo.compare.report import Report, number_format, run_report_command
from gennes_bo.compare.runner import (
    COST_COLUMNS,
    CellCost,
    add_dims_argument,
    add_grid_arguments,
    add_optimizers_argument,
    add_problems_argument,
    limit_threads,
    run_grid_command,
    seeds_or_default,
)
from gennes_bo.optimizers import OPTIMIZERS, minimize
from gennes_bo.optimizers.base import option_defaults
from gennes_bo.optimizers.registry import get_optimizer_class
from gennes_bo.test_functions import PAPER_FUNCTIONS, TRANSLATIONS, paper_function

CHECKPOINTS = (100, 1_000, 10_000, 100_000)
DIM = 10
MAX_EVALS = 10_000
SEEDS = 5
QUICK = {"problems": ["rastrigin"], "optimizers": ["gennes", "random"], "dims": [2], "max_evals": 200, "seeds": 1}
ESTIMATE_EVALS = 2_000  # --estimate times a run at this many evaluations (at most its own) and scales it
DEFAULT_OUT = "results/standalone.jsonl"
DEFAULT_REPORT = "docs/benchmarks/standalone.md"
OVERHEAD_SPEC = {"kind": "gennes_overhead", "dim": 30, "population_size": 20, "n_steps": 300}

# Paper Table 1, d = 10, mean regret at 1e4 evaluations (PAPER_NOTES.md), for reference in the report.
PAPER_1E4_D10 = {
    "gennes": {"rastrigin": 4.1, "ackley": 0.007, "styblinski_tang": 7.8, "schwefel": 595.8},
    "lbfgs": {"rastrigin": 6.9, "ackley": 5.1, "styblinski_tang": 9.9, "schwefel": 718.5},
    "snes": {"rastrigin": 4.3, "ackley": 1e-7, "styblinski_tang": 11.3, "schwefel": 685.3},
    "acma": {"rastrigin": 6.1, "ackley": 1e-11, "styblinski_tang": 24.1, "schwefel": 1749.1},
}


def gennes_overhead_ms(dim: int = 30, population_size: int = 20, n_steps: int = 300, seed: int = 0) -> float:
    """Milliseconds per GENNES generation spent outside the objective (sphere function, float64, CPU).

    The objective `sum(x^2)` costs microseconds, so this measures the generator forward/backward, Adam and the
    search's bookkeeping plus the standalone wrapper (without the L-BFGS-B polish stage).
    """
    bounds = torch.tensor([[-1.0] * dim, [1.0] * dim], dtype=torch.float64)
    budget = n_steps * population_size
    minimize(lambda x: (x**2).sum(-1), bounds, "gennes", max_evals=10 * population_size, seed=seed,
             polish_fraction=0.0)  # warm-up
    result = minimize(lambda x: (x**2).sum(-1), bounds, "gennes", max_evals=budget, seed=seed,
                      population_size=population_size, polish_fraction=0.0)
    return 1000.0 * result.wall_time / result.nit


def make_specs(functions: Sequence[str], methods: Sequence[str], seeds: Sequence[int], dims: Sequence[int],
               max_evals: int) -> list[dict[str, Any]]:
    """One spec per (dimension, function, seed, method), in that order."""
    return [{"kind": "run", "function": function, "dim": dim, "method": method, "seed": seed,
             "max_evals": max_evals, "options": {}}
            for dim in dims for function in functions for seed in seeds for method in methods]


def regret_at(history: Sequence[tuple[int, float]], n: int, optimal_value: float) -> float | None:
    """Regret of the best value found within the first `n` evaluations (None when nothing was evaluated)."""
    best = None
    for n_evals, value in history:
        if n_evals > n:
            break
        best = value
    return None if best is None else best - optimal_value


def improvement_points(history: Sequence[tuple[int, float]], optimal_value: float) -> list[list[float]]:
    """The best-so-far step function as `[n_evals, regret]` points, one per improvement (and the last count).

    The regret after any `n` evaluations is the regret of the last point with `n_evals <= n`
    (:func:`regret_at`); JSON floats round-trip exactly, so the curve is exact.
    """
    return [[n_evals, value - optimal_value] for n_evals, value in history]


def run_one(spec: Mapping[str, Any], *, curve: bool = False) -> dict[str, Any]:
    """Run one (function, dim, method, seed, max_evals, options) spec; return its record (without the environment).

    Args:
        spec: `function` (a name of `PAPER_FUNCTIONS`, the registered problem `PAPER_PROBLEMS[function]`), `dim`,
            `method` (a name of `OPTIMIZERS`), `seed` (the fold: it draws the translation and seeds the method),
            `max_evals` and `options` (the method's); optionally `translation`, a name of `TRANSLATIONS`
            (default `uniform`: the optimum anywhere in the domain).
        curve: Also return the regret curve's improvement points (:func:`improvement_points`) as `curve`.
    """
    translate = TRANSLATIONS[spec.get("translation", "uniform")]
    function = translate(paper_function(spec["function"], spec["dim"]), spec["seed"])
    # `_evaluate_true` skips BoTorch's per-call input validation (~0.1-1 ms, it dominated L-BFGS's time); the
    # optimizers' points are inside the box by contract (tests/optimizers/test_minimize.py).
    result = minimize(function._evaluate_true, function.bounds, spec["method"], max_evals=spec["max_evals"],
                      seed=spec["seed"], **spec["options"])
    f_star = float(function.optimal_value)
    record = {
        "regret": result.fun - f_star,
        "regret_at": {str(n): regret_at(result.history, n, f_star)
                      for n in CHECKPOINTS if n <= result.nfev},
        "n_evals": result.nfev,  # record keys keep their first names
        "n_generations": result.nit,
        "wall_time": result.wall_time,
        "message": result.message,
    }
    if curve:
        record["curve"] = improvement_points(result.history, f_star)
    return record


def run_standalone_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec of the suite in a worker (picklable, top level): a run (:func:`run_one`) or, for
    `OVERHEAD_SPEC`, the GENNES overhead per generation (best of 3 measurements)."""
    if spec["kind"] == "gennes_overhead":
        values = [gennes_overhead_ms(spec["dim"], spec["population_size"], spec["n_steps"], seed=s) for s in range(3)]
        return {"ms_per_generation": min(values), "all_ms": values}
    return run_one(spec)


def method_settings(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a run spec's method resolves to now: its configuration's defaults, the method's overrides and the
    spec's `options` (None for a spec without a method), recorded to detect stale records."""
    if "method" not in spec:
        return None
    cls = get_optimizer_class(spec["method"])
    return {**option_defaults(cls.config_class), **cls.default_options, **spec.get("options", {})}


# --------------------------------------------------------------------------------------------- --estimate
def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | CellCost]:
    """Time one run per cell and cost the grid's runs without running them (`bench-standalone` and `table1`).

    A cell is a function, dimension, method, budget and options (its folds differ by their translation only). Its
    fold 0 runs in this process (one thread) for at most :data:`ESTIMATE_EVALS` evaluations, after an untimed
    warm-up of the method; a run of the cell costs that CPU time per evaluation times its budget (a generation
    costs about the same from the first to the last), or that time when the timed run stopped before its budget.
    The GENNES overhead record costs three of its measurements; one is timed.

    Yields:
        A header, then as they are measured one `CellCost` per cell.
    """
    limit_threads()
    cells: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for spec in specs:
        cells[run_key({**spec, "seed": 0})].append(spec)
    yield f"{'function':16s} {'d':>3s} {'method':12s} {'budget':>8s} {'timed':>6s} {'s':>8s} {COST_COLUMNS}"
    for cell_specs in cells.values():
        first = cell_specs[0]
        start = time.process_time()
        if first["kind"] == "gennes_overhead":
            gennes_overhead_ms(first["dim"], first["population_size"], first["n_steps"])
            seconds = time.process_time() - start
            yield CellCost(f"{'(overhead)':16s} {first['dim']:3d} {'gennes':12s} {'':8s} {'1 of 3':>6s} "
                           f"{seconds:8.2f}", cell_specs, 3 * seconds / 3600)
            continue
        _warm_up(first["method"])
        budget = min(first["max_evals"], ESTIMATE_EVALS)
        start = time.process_time()
        n_evals = run_one({**first, "seed": 0, "max_evals": budget})["n_evals"]
        seconds = time.process_time() - start
        per_run = seconds * first["max_evals"] / n_evals if n_evals >= budget else seconds
        yield CellCost(f"{first['function']:16s} {first['dim']:3d} {first['method']:12s} {first['max_evals']:8d} "
                       f"{n_evals:6d} {seconds:8.2f}", cell_specs, per_run / 3600)


@functools.cache
def _warm_up(method: str) -> None:
    """Run `method` once, untimed, on a small problem: its one-time costs (imports, first calls) are no run's."""
    run_one({"function": "rastrigin", "dim": 2, "method": method, "seed": 0, "max_evals": 200, "options": {}})


REGRET = number_format(whole_from=100)  # regrets in the tables: 3 significant digits, whole from 100


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """Markdown tables (mean regret, time per 1000 evaluations) from the records; write and return them."""
    runs = [r for r in records if r["spec"].get("kind") == "run"]
    overhead = [r for r in records if r["spec"].get("kind") == "gennes_overhead"]
    regrets: dict[tuple[str, str], list[float]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    for record in runs:
        spec = record["spec"]
        regrets[(spec["method"], spec["function"])].append(record["regret"])
        times[spec["method"]].append(1000.0 * record["wall_time"] / max(record["n_evals"], 1))
    methods = [m for m in OPTIMIZERS if m in times]
    functions = [f for f in PAPER_FUNCTIONS if any((m, f) in regrets for m in methods)]
    dims = sorted({r["spec"]["dim"] for r in runs})
    budgets = sorted({r["spec"]["max_evals"] for r in runs})
    seeds = sorted({r["spec"]["seed"] for r in runs})
    report = Report(path, "Standalone optimizers on the paper's functions").generated_by(command, len(runs))
    report.paragraph(
        f"Each cell: mean regret `f(best) - f*` over seeds {seeds} at d = {', '.join(map(str, dims))} after "
        f"{', '.join(map(str, budgets))} evaluations (each seed randomly translates the function, exact `f*`; "
        "Ackley uses the standard `cos(2 pi x_i)` form). Minimum over seeds in parentheses. Time: wall seconds "
        "per 1000 evaluations, one CPU thread, all methods in the same run (aCMA-ES and sNES included). "
        "Methods run with their default options (`gennes-bo list`).")
    report.table(["method", *functions, "s / 1000 evals"],
                 [[method, *(_mean_and_min(regrets.get((method, f), [])) for f in functions),
                   f"{statistics.fmean(times[method]):.3f}"] for method in methods])
    paper_functions = [f for f in functions if f != "alpine1"]
    report.paragraph("Paper, Table 1 (d = 10, 1e4 evaluations, 10 folds), for reference:")
    report.table(["method", *paper_functions],
                 [[f"{method} (paper)", *(REGRET(row[f]) for f in functions if f in row)]
                  for method, row in PAPER_1E4_D10.items()])
    if overhead:
        record = overhead[-1]
        spec = record["spec"]
        report.paragraph(f"GENNES overhead per generation at d = {spec['dim']}, N = {spec['population_size']} "
                         f"(sphere objective, float64, CPU, one thread, best of 3 runs of {spec['n_steps']} "
                         f"generations): **{record['ms_per_generation']:.2f} ms** (target <= 2 ms; all runs: "
                         + ", ".join(f"{v:.2f}" for v in record["all_ms"]) + " ms).")
    return report.write()


def _mean_and_min(values: Sequence[float]) -> str:
    return f"{REGRET(statistics.fmean(values))} ({REGRET(min(values))})" if values else ""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo bench-standalone`."""
    parser = commands.add_parser("bench-standalone", help="benchmark the standalone optimizers on paper functions",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_dims_argument(parser, "--dim", help=f"dimensions (default {DIM})")
    parser.add_argument("--max-evals", type=int, help=f"evaluations per run (default {MAX_EVALS})")
    add_problems_argument(parser, "--functions", choices=PAPER_FUNCTIONS, metavar="FUNCTION",
                          help=f"restrict to these functions, among {', '.join(PAPER_FUNCTIONS)} (default all)")
    add_optimizers_argument(parser, "--methods", choices=sorted(OPTIMIZERS), metavar="METHOD",
                            help=f"restrict to these methods, among {', '.join(OPTIMIZERS)} (default all)")
    parser.add_argument("--no-overhead", action="store_true", help="skip the GENNES overhead measurement")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=SEEDS,
                       quick=QUICK, estimate=f"time one run per cell (at most {ESTIMATE_EVALS} evaluations, scaled "
                                             "to the budget)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    if args.report:
        return run_report_command(args, "bench-standalone", write_report)
    preset = QUICK if args.quick else {}
    seeds = range(seeds_or_default(args, QUICK, SEEDS))
    specs = make_specs(args.problems or preset.get("problems", PAPER_FUNCTIONS),
                       args.optimizers or preset.get("optimizers", list(OPTIMIZERS)), seeds,
                       args.dims or preset.get("dims", [DIM]), args.max_evals or preset.get("max_evals", MAX_EVALS))
    if not args.no_overhead:
        specs.append(OVERHEAD_SPEC)
    return run_grid_command(specs, run_standalone_spec, args, "bench-standalone", settings=method_settings,
                            estimate=estimate)
