"""The regime map: where does the acquisition optimizer decide the BO outcome, and does ours win there?

Each test cell (`benchmarks.regime_spec.TEST_CELLS`) is a BO regime: Hartmann6 at q = 1; Hartmann6 embedded in
d = 60 and 150 at q = 1, and in d = 60 at q = 16; Ackley-60; q = 64 on Hartmann6 and Ackley-10; qUCB with
beta = 10; and qMES, a rugged acquisition. Every run is a BoTorch BO loop
(`gennes_bo.compare.bo_loop.run_bo_loop`: `SingleTaskGP` with BoTorch's default, dimension-scaled priors, refitted
every iteration) on a problem whose optimum each seed moves
(and, embedded, whose active coordinates each seed draws), from the same scrambled Sobol design for every
optimizer of a seed. Side by side: BoTorch's joint default (`botorch-default`, 20 restarts, 1024 raw samples), its
`sequential=True` (`botorch-sequential`, q > 1), ours (`gennes-hybrid`: `optimize_acqf_gennes` with its default
pipeline policy), the L-BFGS ablation (`lbfgs-same-starts`), the Sobol floor and the **oracle**: on every call,
the batch of highest acquisition value among the cell's optimizers, GENNES's two pipelines and BoTorch at ten
times its budget (200 restarts, 10240 raw samples; both modes where q > 1 and affordable). A cell has
**headroom** when the oracle's loops end with significantly lower regret than those of the better BoTorch mode
(paired Wilcoxon over seeds, p < 0.05).

`--split dev` runs the dev cells instead (other problems, same regimes): one loop per seed driven by BoTorch's
default, and at an early, a middle and the last iteration every compared optimizer (BoTorch's two modes, GENNES's
two pipelines) maximizes that iteration's acquisition; value and CPU time are recorded. The pipeline policy of
`optimize_acqf_gennes` is chosen from these records by the rule of docs/design.md#the-pipeline-policy.

`--timing` measures the time target: the loops above run one per process, often under different loads, so their
CPU times do not compare across optimizers. Instead, per test cell and seed, a loop driven by BoTorch's default
stops at an early, a middle and the last iteration, and BoTorch's two modes and ours each maximize that state's
acquisition, one after the other in the same process (an order rotated from state to state).

    gennes-bo regime-map --estimate               # CPU hours of the test map (recorded runs, else one call each)
    gennes-bo regime-map --split dev --workers 2  # the dev states into results/regime_dev.jsonl (resumes)
    gennes-bo regime-map --workers 2              # the test map into results/regime_map.jsonl (resumes)
    gennes-bo regime-map --timing                 # the time target's states into results/regime_timing.jsonl
    gennes-bo regime-map --report                 # docs/results/regime_map.md and its heat map
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from benchmarks.regime_spec import (
    CELLS,
    DEFAULT_OUT,
    DEFAULT_REPORT,
    SPLITS,
    STATE_PROBES,
    TIMING_SEEDS,
    capture_iterations,
    cell_of,
    compared_of,
    make_specs,
    oracle_components,
    problem_of,
    spec_settings,
    task_of,
)

QUICK = {"cells": ["hartmann6-q1"], "seeds": 1, "optimizers": ["botorch-default", "sobol"], "iterations": 3}
LONG_GRID_HOURS = 1.0  # a grid estimated above this asks for --yes before it starts (a resumed one does not)


class Oracle:
    """The best acquisition value any of `components` finds on a call (an `optimize_acqf`-shaped callable).

    Each component runs on the same acquisition, one after the other (their randomness from torch's global RNG);
    the batch of highest re-evaluated value is returned, and :attr:`picks` records which component gave it.
    """

    def __init__(self, components: Sequence[str], task: Any) -> None:
        from gennes_bo.compare.registry import get_acqf_optimizer

        self.components = [(name, get_acqf_optimizer(name).make(task)) for name in components]
        self.picks: list[str] = []

    def __call__(self, acq_function: Any, bounds: Any, q: int) -> tuple[Any, Any]:
        import torch

        best = None
        for name, optimizer in self.components:
            candidates, _ = optimizer(acq_function, bounds, q)
            candidates = candidates.detach().reshape(q, bounds.shape[1])
            with torch.no_grad():
                value = float(acq_function(candidates.unsqueeze(0)).squeeze())
            if best is None or (math.isfinite(value) and value > best[1]):
                best = (candidates, value, name)
        self.picks.append(best[2])
        return best[0], torch.tensor(best[1], dtype=bounds.dtype)


def run_regime_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec in a worker (picklable, top level); the record body.

    Test split: one BO loop of the spec's optimizer. Returns `regret` (best noiseless value so far minus f*, after
    each evaluation), `final_regret`, `f_star`, per iteration `acqf_time` and `acqf_cpu_time` (seconds),
    `acqf_points`, `acqf_value` and `fit_time`, the run's `wall_time` and `cpu_time`, and for the oracle `picks`
    (the component that gave each batch).

    Dev split, and timing on either split (`"timing-probe"`): one BO loop driven by `botorch-default`; `states`
    holds, for each captured iteration, every compared optimizer's acquisition value and CPU seconds on that
    iteration's acquisition (timing: in an order rotated from state to state).
    """
    import torch

    from benchmarks.bo_batch_spec import initial_design
    from gennes_bo.compare.bo_loop import run_bo_loop, warm_up
    from gennes_bo.compare.registry import get_acqf_optimizer, run_acqf_optimizer

    problem = problem_of(spec)
    f_star = float(problem.optimal_value)
    bounds = problem.bounds.to(torch.float64)
    task = task_of(spec)
    dev = spec["optimizer"] in STATE_PROBES
    names = (compared_of(spec) if dev else oracle_components(spec) if spec["optimizer"] == "oracle"
             else [spec["optimizer"]])
    for name in dict.fromkeys([*names, *(["botorch-default"] if dev else [])]):  # no run pays one-time import costs
        if task.q > 1 or name != "botorch-sequential":
            warm_up(name, spec["acquisition"], spec["q"])
    states: list[dict[str, Any]] = []
    callback = None
    if dev:
        optimizer = get_acqf_optimizer("botorch-default").make(task)
        captured = capture_iterations(cell_of(spec))

        def callback(iteration: int, _model: Any, acq_function: Any) -> None:
            if iteration not in captured:
                return
            state: dict[str, Any] = {"iteration": iteration}
            # Timing: each optimizer goes first on some states, so that no one pays for a colder cache more often.
            shift = (len(states) + spec["seed"]) % len(names) if spec["optimizer"] == "timing-probe" else 0
            for name in [*names[shift:], *names[:shift]]:
                run = run_acqf_optimizer(get_acqf_optimizer(name).make(task), acq_function, bounds, task.q,
                                         seed=spec["seed"] * 1000 + iteration)
                state[name] = {"value": run.value, "cpu_time": run.cpu_time, "points": run.n_evals}
            states.append(state)
    elif spec["optimizer"] == "oracle":
        optimizer = Oracle(names, task)
    else:
        optimizer = get_acqf_optimizer(spec["optimizer"]).make(task)
    start, cpu_start = time.monotonic(), time.process_time()
    trace = run_bo_loop(lambda X: -problem.evaluate_true(X), bounds, optimizer, n_iterations=spec["iterations"],
                        q=spec["q"], acquisition=spec["acquisition"], seed=spec["seed"],
                        X_init=initial_design(bounds, spec["n_init"], spec["seed"]), beta=spec.get("beta", 2.0),
                        callback=callback)
    regret = torch.cummin(-trace.noiseless_Y - f_star, 0).values.tolist()
    body = {"regret": regret, "final_regret": regret[-1], "f_star": f_star, "acqf_time": trace.acqf_time,
            "acqf_cpu_time": trace.acqf_cpu_time, "acqf_points": trace.n_acqf_evals, "acqf_value": trace.acqf_value,
            "fit_time": trace.fit_time, "wall_time": time.monotonic() - start,
            "cpu_time": time.process_time() - cpu_start}
    if dev:
        body["states"] = states
    if isinstance(optimizer, Oracle):
        body["picks"] = optimizer.picks
    return body


# --------------------------------------------------------------------------------------------- --estimate
def estimate(specs: Sequence[Mapping[str, Any]], pending_keys: set[str] | None = None,
             recorded: Mapping[tuple, Sequence[float]] | None = None) -> Iterator[str]:
    """Estimate the grid's CPU hours: from its recorded runs where a cell and optimizer have some, else from one
    acquisition call per optimizer and cell on a stand-in state.

    Each cell that needs a call fits its GP in this process (one thread) to seed 0's initial design plus Sobol points
    standing for the BO points of the middle iteration; each optimizer (each oracle component, each dev optimizer)
    is timed once on it (process CPU time). A run costs `iterations x (call + GP fit)`; a dev run costs its loop with
    BoTorch's default plus one call of every dev optimizer per captured state. Where `recorded` (`estimate_key` ->
    the CPU seconds of each recorded run) has runs, their mean is the cost of a run, and nothing is timed.

    Yields:
        The lines to print as they are measured, then the totals.
    """
    import warnings

    import torch

    from benchmarks.bo_batch_spec import initial_design
    from gennes_bo.compare.bo_loop import build_acquisition, warm_up
    from gennes_bo.compare.records import run_key
    from gennes_bo.compare.registry import get_acqf_optimizer, run_acqf_optimizer
    from gennes_bo.compare.runner import limit_threads
    from gennes_bo.models import fit_gp

    limit_threads()
    recorded = recorded or {}
    by_cell: dict[str, list[Mapping[str, Any]]] = {}
    for spec in specs:
        by_cell.setdefault(spec["cell"], []).append(spec)
    yield f"{'cell':22s} {'optimizer':24s} {'call (s)':>9s} {'runs':>5s} {'CPU h':>7s}"
    total = left = 0.0
    for name, cell_specs in by_cell.items():
        cell, first = CELLS[name], cell_specs[0]
        unrecorded = [spec for spec in cell_specs if not recorded.get(estimate_key(spec))]
        calls: dict[str, float] = {}
        fit = 0.0
        if unrecorded:
            problem = problem_of({**first, "seed": 0})
            bounds = problem.bounds.to(torch.float64)
            n_points = cell.n_init + cell.q * (cell.iterations // 2)
            X = torch.cat([initial_design(bounds, cell.n_init, 0),
                           initial_design(bounds, n_points - cell.n_init, 1)])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit_start = time.process_time()
                model = fit_gp(X, -problem.evaluate_true(X), bounds)
                fit = time.process_time() - fit_start
                acq_function = build_acquisition(model, model.train_targets.max(), cell.acquisition, cell.q, seed=0,
                                                 X_baseline=X, beta=cell.beta, bounds=bounds)
                for spec in unrecorded:
                    names = (compared_of(spec) if spec["optimizer"] in STATE_PROBES else oracle_components(spec)
                             if spec["optimizer"] == "oracle" else [spec["optimizer"]])
                    for optimizer in names:
                        if optimizer in calls or (cell.q == 1 and optimizer == "botorch-sequential"):
                            continue
                        warm_up(optimizer, cell.acquisition, cell.q)
                        start = time.process_time()
                        run_acqf_optimizer(get_acqf_optimizer(optimizer).make(task_of(spec)), acq_function, bounds,
                                           cell.q, seed=0)
                        calls[optimizer] = time.process_time() - start
        for key in dict.fromkeys(estimate_key(spec) for spec in cell_specs):
            runs = [spec for spec in cell_specs if estimate_key(spec) == key]
            optimizer, seconds = key[1], recorded.get(key)
            if seconds:
                per_run, source = statistics.fmean(seconds) / 3600, f"{'(recorded)':>9s}"
            else:
                if optimizer in STATE_PROBES:
                    call = calls["botorch-default"] * cell.iterations + len(capture_iterations(cell)) * sum(
                        calls.get(name, 0.0) for name in compared_of(runs[0]))
                elif optimizer == "oracle":
                    call = cell.iterations * sum(calls[name] for name in oracle_components(runs[0]))
                else:
                    call = cell.iterations * calls[optimizer]
                per_run, source = (call + cell.iterations * fit) / 3600, f"{call / cell.iterations:9.2f}"
            total += per_run * len(runs)
            if pending_keys is not None:
                left += per_run * sum(run_key(spec) in pending_keys for spec in runs)
            yield f"{name:22s} {optimizer:24s} {source} {len(runs):5d} {per_run * len(runs):7.2f}"
        if unrecorded:
            yield f"{name:22s} {'(GP fit)':24s} {fit:9.2f}  ({n_points} points)"
    yield (f"estimated CPU hours: {total:.1f} for {len(specs)} runs"
           + (f" ({left:.1f} for the {len(pending_keys)} not yet recorded)" if pending_keys is not None else ""))


def estimate_key(spec: Mapping[str, Any]) -> tuple:
    """What runs of the same cost share: cell, optimizer, kind and the optimizers a probe compares."""
    return spec["cell"], spec["optimizer"], spec.get("kind"), tuple(spec.get("compared", ()))


def recorded_cpu_times(records: Sequence[Mapping[str, Any]]) -> dict[tuple, list[float]]:
    """`estimate_key` -> the process CPU seconds of each recorded run (for `estimate`)."""
    times: dict[tuple, list[float]] = {}
    for record in records:
        if "cpu_time" in record and "cell" in record["spec"]:
            times.setdefault(estimate_key(record["spec"]), []).append(record["cpu_time"])
    return times


# ------------------------------------------------------------------------------------------------ the CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo regime-map`."""
    from gennes_bo.compare.runner import add_grid_arguments

    parser = commands.add_parser("regime-map", help="where the acquisition optimizer decides the BO outcome: a "
                                 "regime map with an oracle", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=SPLITS, default="test",
                        help="dev: the policy's acquisition-level states; test: the map's BO loops (default test)")
    parser.add_argument("--problems", "--cells", nargs="+", metavar="CELL", dest="cells",
                        help=f"cells of the split (default all): {' '.join(CELLS)}")
    parser.add_argument("--optimizers", nargs="+", metavar="NAME",
                        help="test split: optimizers (default each cell's); dev split: optimizers compared on the "
                        "states (default the policy's four)")
    parser.add_argument("--loops", action="store_true",
                        help="dev split: whole BO loops of each of --optimizers on the dev cells, as the test split "
                        "runs them (a lever decided on BO outcomes)")
    parser.add_argument("--timing", action="store_true",
                        help="time BoTorch's two modes and ours (or --optimizers) one after the other on the same "
                        f"states of loops driven by BoTorch's default ({TIMING_SEEDS} seeds a cell; records in "
                        f"{DEFAULT_OUT['timing']}): on test the time target's measure, on dev a time lever's")
    parser.add_argument("--timing-out", default=DEFAULT_OUT["timing"], metavar="JSONL",
                        help=f"--report: the timing records read beside --out's (default {DEFAULT_OUT['timing']})")
    parser.add_argument("--estimate", action="store_true",
                        help="print the grid's CPU hours and exit: from --out's recorded runs of each cell and "
                        "optimizer, else from one timed acquisition call")
    parser.add_argument("--dev-out", default=DEFAULT_OUT["dev"], metavar="JSONL",
                        help=f"--report: the dev records read beside --out's (default {DEFAULT_OUT['dev']})")
    parser.add_argument("--yes", action="store_true",
                        help=f"start a grid estimated above {LONG_GRID_HOURS:g} CPU hour without asking")
    add_grid_arguments(parser, default_out="results/regime_map.jsonl (results/regime_dev.jsonl with --split dev, "
                       "results/regime_timing.jsonl with --timing)",
                       default_report=DEFAULT_REPORT, quick=QUICK,
                       default_seeds=f"each cell's (10 test, 3 dev; oracle 5; timing {TIMING_SEEDS})")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.records import pending, run_key
    from gennes_bo.compare.runner import run_grid_command

    if args.out.startswith("results/regime_map.jsonl ("):
        args.out = DEFAULT_OUT["timing" if args.timing else args.split]
    if args.report:
        from pathlib import Path

        from benchmarks.regime_report import write_report
        from gennes_bo.compare.records import load_records

        paths = (args.out, args.dev_out, args.timing_out)
        records = [record for path in paths if Path(path).exists() for record in load_records(path)]
        if not records:
            raise SystemExit(f"gennes-bo regime-map: no records in {', '.join(paths)}; run the grid first")
        command = (f"gennes-bo regime-map --out {args.out} --dev-out {args.dev_out} --timing-out {args.timing_out} "
                   f"--report {args.report}")
        print(write_report(records, args.report, command))
        return 0
    preset = QUICK if args.quick else {}
    try:
        specs = make_specs(args.split, args.cells or preset.get("cells"),
                           args.optimizers or preset.get("optimizers"), args.seeds or preset.get("seeds"),
                           preset.get("iterations"), loops=args.loops, timing=args.timing)
    except ValueError as err:
        raise SystemExit(f"gennes-bo regime-map: {err}") from err
    todo = pending(specs, args.out)
    if args.estimate or (todo and len(todo) == len(specs) and not args.yes and not args.quick):
        from gennes_bo.compare.records import load_records

        recorded = recorded_cpu_times(load_records(args.out))
        lines = list(_print(estimate(specs, {run_key(spec) for spec in todo}, recorded)))
        hours = float(lines[-1].split(":")[1].split()[0])
        if args.estimate:
            return 0
        if hours > LONG_GRID_HOURS:
            raise SystemExit(f"gennes-bo regime-map: about {hours:.1f} CPU hours; rerun with --yes to start")
    return run_grid_command(specs, run_regime_spec, args, "regime-map", settings=spec_settings)


def _print(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        print(line, flush=True)
        yield line
