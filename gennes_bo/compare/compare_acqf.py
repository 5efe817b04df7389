"""Acquisition optimizers compared on GP states frozen from real BO runs (`gennes-bo compare-acqf`).

Stage 1, *freeze* (`gennes_bo.compare.frozen_states`): a BO run per task (digits logistic regression,
20 initial points; Alpine1 d = 20, 100 initial points; Hartmann6, 10 initial points), with BoTorch's default
optimizer, LogEI and q = 1, captures its GP at an early, a middle and a late iteration, where the acquisition
landscape gets flat and multimodal. The states are saved once (`--states`) and reused; `--refreeze` redoes them.

Stage 2, *compare*: every case (state x acquisition x q x optimizer x seed) rebuilds the GP exactly (no refit),
builds the acquisition (q > 1: the same Sobol base samples for all optimizers and seeds) and runs the optimizer
seeded, counted and timed, with its anytime curve. Optimizers are names of the registry
`gennes_bo.compare.registry.ACQF_OPTIMIZERS` (built-in or added with `register()`) or any
`optimize_acqf`-compatible callable `package.module:function`, called as
`function(acq_function, bounds, q, num_restarts=20, raw_samples=1024)`. The default optimizers are those of
`OPTIMIZERS` that are registered: the paper's `gennes`, `lbfgs-paper` and `cma` are registered by the repository's
experiments, so `python -m benchmarks compare-acqf` (from the root of a clone) runs all six. One JSON line per run,
resumable; runs execute on local processes (`--workers`) or a Dask cluster (`--scheduler`). `--report` writes
the tables and the anytime curves from the records only. `--estimate` (after freezing) times one call per optimizer
and case and prints the grid's CPU hours; a fresh grid estimated above 1 CPU hour asks for `--yes`.

    gennes-bo compare-acqf --estimate                            # freeze (once), then the grid's CPU hours
    gennes-bo compare-acqf --yes                                 # freeze (once), then the whole grid
    gennes-bo compare-acqf --problems digits --q 1 --seeds 1     # a slice
    gennes-bo compare-acqf --optimizers botorch-default mypkg.opt:optimize_acqf_mine
    gennes-bo compare-acqf --report                              # results/compare_acqf.md + PNG
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gennes_bo.compare.bo_loop import ACQUISITIONS, warm_up
from gennes_bo.compare.frozen_states import (
    QUICK_TASKS,
    TASKS,
    FrozenState,
    ensure_states,
    rebuild_acquisition,
)
from gennes_bo.compare.plotting import log_grid, panel_grid, step_values
from gennes_bo.compare.records import thin_trace
from gennes_bo.compare.registry import (
    ACQF_OPTIMIZERS,
    AcqfTask,
    get_acqf_optimizer,
    plugin_modules,
    run_acqf_optimizer,
)
from gennes_bo.compare.report import Report, number_format, run_report_command, win_tie_loss, wtl_text
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

ALL_TASKS = {**TASKS, **QUICK_TASKS}
BASELINE = "botorch-default"
# The default grid, in the reports' order; `gennes`, `lbfgs-paper` and `cma` are the paper's, registered by the
# repository's `benchmarks` package (defaults keep the names registered, see default_optimizers).
OPTIMIZERS = ("gennes", "gennes-hybrid", "lbfgs-paper", "botorch-default", "cma", "lbfgs-same-starts")
DEFAULTS = {"problems": list(TASKS), "optimizers": list(OPTIMIZERS), "acquisitions": ["logei"],
            "q": [1, 4], "seeds": 5}
QUICK = {"problems": list(QUICK_TASKS), "optimizers": [BASELINE, "gennes"], "acquisitions": ["logei"], "q": [1, 2],
         "seeds": 1}
DEFAULT_STATES = "results/acqf_states.pt"
DEFAULT_OUT = "results/compare_acqf.jsonl"
DEFAULT_REPORT = "results/compare_acqf.md"  # beside the records; the repository's report says its own path
REL_TOL = 1e-3  # ties and "at best": expected improvements within 0.1 %
GAP_FLOOR = 1e-6  # a zero shortfall drawn on the log axis of the anytime curves


def default_optimizers(names: Sequence[str]) -> list[str]:
    """The names of a preset that are registered (the paper's optimizers are where `benchmarks` is imported)."""
    return [name for name in names if name in ACQF_OPTIMIZERS]


def optimizer_options(name: str, state: FrozenState) -> dict[str, int]:
    """The task-dependent settings of a built-in optimizer (the paper's per-task budgets), spelled in the spec."""
    if name == "gennes":
        return {"paper_iterations": state.paper_iterations}
    if name == "lbfgs-paper":
        return {"paper_starts": state.paper_starts}
    return {}


def spec_task(spec: Mapping[str, Any]) -> AcqfTask:
    """The :class:`~gennes_bo.compare.registry.AcqfTask` of a spec: its q and its optimizer's options."""
    return AcqfTask(q=spec["q"], **spec["options"])


def make_specs(states: Sequence[FrozenState], optimizers: Sequence[str], acquisitions: Sequence[str],
               qs: Sequence[int], seeds: int) -> list[dict[str, Any]]:
    """The grid in run order: state, acquisition, q, seed, then optimizer (so partial grids pair by seed).

    Raises:
        ValueError: For an unknown optimizer or acquisition, `q < 1` or `seeds < 1`.
    """
    for name in optimizers:
        get_acqf_optimizer(name)  # fail before running anything
    for acquisition in acquisitions:
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"`acquisitions` must be among {ACQUISITIONS}, got {acquisition!r}")
    if min(qs) < 1:
        raise ValueError(f"`q` must be >= 1, got {list(qs)}")
    if seeds < 1:
        raise ValueError(f"`seeds` must be >= 1, got {seeds}")
    return [{"kind": "compare-acqf", "state": state.name, "fingerprint": state.fingerprint(),
             "acquisition": acquisition, "q": q, "optimizer": name, "options": optimizer_options(name, state),
             "seed": seed}
            for state in states for acquisition in acquisitions for q in qs for seed in range(seeds)
            for name in optimizers]


def spec_settings(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the spec's optimizer runs with (its registry entry's resolved settings; None for an import path)."""
    return get_acqf_optimizer(spec["optimizer"]).resolved_settings(spec_task(spec))


def run_compare_spec(spec: Mapping[str, Any], states: Mapping[str, FrozenState],
                     plugins: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run one spec (picklable with `functools.partial`): the record body `{"result", "state"}`.

    Args:
        spec: A spec of :func:`make_specs`.
        states: The frozen states by name; the spec's fingerprint must match its state's.
        plugins: `name -> module` of the optimizers registered by other modules in the process that made the specs
            (:func:`~gennes_bo.compare.registry.plugin_modules`), imported here when this process lacks them.
    """
    state = states[spec["state"]]
    if state.fingerprint() != spec["fingerprint"]:
        raise ValueError(f"state {spec['state']!r} has fingerprint {state.fingerprint()}, the spec "
                         f"{spec['fingerprint']}")
    optimizer = get_acqf_optimizer(spec["optimizer"], plugins).make(spec_task(spec))
    warm_up(spec["optimizer"], spec["acquisition"], spec["q"])
    acq_function = rebuild_acquisition(state, spec["acquisition"], spec["q"])
    run = run_acqf_optimizer(optimizer, acq_function, state.bounds, spec["q"], spec["seed"], record=True)
    result = {"value": run.value, "n_evals": run.n_evals, "wall_time": run.wall_time,
              "trace": thin_trace(run.trace), "candidates": run.candidates.tolist()}
    return {"result": result, "state": state.metadata()}


def estimate(specs: Sequence[Mapping[str, Any]], states: Mapping[str, FrozenState]) -> Iterator[str | CellCost]:
    """Time one call per optimizer and case, and cost the grid's runs without running them.

    A case is a frozen state, an acquisition and q; its acquisition is rebuilt once in this process (one thread)
    and each optimizer (with its options) maximizes it once, seed 0, after its untimed warm-up, as a run does. A run
    costs that call.

    Args:
        specs: The grid (:func:`make_specs`).
        states: The frozen states by name.

    Yields:
        A header, then as they are measured one `CellCost` per case and optimizer.
    """
    limit_threads()
    cells: dict[tuple[str, str, int, str], list[Mapping[str, Any]]] = defaultdict(list)
    for spec in specs:
        cells[(spec["state"], spec["acquisition"], spec["q"], spec["optimizer"])].append(spec)
    yield f"{'case':36s} {'optimizer':20s} {'call (s)':>9s} {'points':>8s} {COST_COLUMNS}"
    case, acq_function = None, None
    for (state, acquisition, q, optimizer), cell_specs in cells.items():
        if case != (state, acquisition, q):  # the optimizers of a case come one after another
            case, acq_function = (state, acquisition, q), rebuild_acquisition(states[state], acquisition, q)
        warm_up(optimizer, acquisition, q)
        run = run_acqf_optimizer(get_acqf_optimizer(optimizer).make(spec_task(cell_specs[0])), acq_function,
                                 states[state].bounds, q, 0)
        yield CellCost(f"{f'{state} {acquisition} q={q}':36s} {optimizer:20s} {run.cpu_time:9.2f} {run.n_evals:8d}",
                       cell_specs, run.cpu_time / 3600)


# ------------------------------------------------------------------------------------------------- summaries


def ei_ratio(value: float, reference: float, acquisition: str) -> float:
    """Expected improvement at `value` over that at `reference`, both acquisition values (LogEI: logs)."""
    if value == reference:
        return 1.0
    if acquisition == "logei":
        return math.exp(min(value - reference, 700.0))
    if reference > 0:
        return max(value, 0.0) / reference
    return math.inf if value > reference else 0.0


def count_wtl(ratios: Sequence[float]) -> tuple[int, int, int]:
    """`(wins, ties, losses)` of expected-improvement ratios (:func:`ei_ratio`); a tie is within `REL_TOL`."""
    return win_tie_loss(ratios, REL_TOL, center=1.0)


def relative_gap(value: float, best: float, acquisition: str) -> float:
    """`1 - EI(value) / EI(best)`: the share of the best known expected improvement missed (0 = the best)."""
    return max(0.0, 1.0 - ei_ratio(value, best, acquisition))


def _run_best(result: Mapping[str, Any]) -> float:
    """Best value a run evaluated: its final value or its trace's best, if higher."""
    return max([result["value"]] + [v for _, v in result["trace"][-1:]])


def _order(name: str) -> tuple[int, str]:
    ranks = [BASELINE] + [n for n in OPTIMIZERS if n != BASELINE]
    return (ranks.index(name) if name in ranks else len(ranks), name)


def group_cases(records: Sequence[Mapping[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Compare-acqf records by case `(state, fingerprint, acquisition, q)`: its state metadata and
    `runs[optimizer][seed] -> result`, cases in task, BO-iteration, acquisition and q order."""
    cases: dict[tuple, dict[str, Any]] = {}
    for record in records:
        spec = record["spec"]
        if spec.get("kind") != "compare-acqf":
            continue
        key = (spec["state"], spec["fingerprint"], spec["acquisition"], spec["q"])
        case = cases.setdefault(key, {"state": record["state"], "runs": defaultdict(dict)})
        case["runs"][spec["optimizer"]][spec["seed"]] = record["result"]
    tasks = list(ALL_TASKS)

    def rank(key: tuple) -> tuple:
        state, fingerprint, acquisition, q = key
        task = cases[key]["state"]["task"]
        return (tasks.index(task) if task in tasks else len(tasks), task, cases[key]["state"]["iteration"], state,
                fingerprint, ACQUISITIONS.index(acquisition) if acquisition in ACQUISITIONS else len(ACQUISITIONS),
                acquisition, q)

    return {key: cases[key] for key in sorted(cases, key=rank)}


def summarize(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per case and optimizer: medians over seeds of the value, the relative gap to the best value any
    run reached on the case, points and seconds; seeds at the best (gap <= 1e-3) and W/T/L vs the baseline."""
    cases = group_cases(records)
    fingerprints = defaultdict(set)
    for state, fingerprint, _, _ in cases:
        fingerprints[state].add(fingerprint)
    rows = []
    for (state, fingerprint, acquisition, q), case in cases.items():
        runs = case["runs"]
        best = max(_run_best(r) for by_seed in runs.values() for r in by_seed.values())
        label = state if len(fingerprints[state]) == 1 else f"{state} @{fingerprint[:6]}"
        for optimizer in sorted(runs, key=_order):
            by_seed = runs[optimizer]
            gaps = [relative_gap(r["value"], best, acquisition) for r in by_seed.values()]
            row = {"state": label, "n_train": case["state"]["n_train"], "dim": case["state"]["dim"],
                   "acquisition": acquisition, "q": q, "optimizer": optimizer, "seeds": len(by_seed), "best": best,
                   "value": statistics.median(r["value"] for r in by_seed.values()), "gap": statistics.median(gaps),
                   "at_best": sum(g <= REL_TOL for g in gaps),
                   "n_evals": statistics.median(r["n_evals"] for r in by_seed.values()),
                   "wall_time": statistics.median(r["wall_time"] for r in by_seed.values()), "wtl": None}
            if optimizer != BASELINE and BASELINE in runs:
                ratios = [ei_ratio(r["value"], runs[BASELINE][s]["value"], acquisition)
                          for s, r in by_seed.items() if s in runs[BASELINE]]
                row["wtl"] = count_wtl(ratios)
            rows.append(row)
    return rows


def overall(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per optimizer and q: cases, medians of the case medians, seeds at the best and W/T/L summed."""
    groups: dict[tuple, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["optimizer"], row["q"])].append(row)
    out = []
    for (optimizer, q), group in sorted(groups.items(), key=lambda item: (item[0][1], _order(item[0][0]))):
        wtl = [r["wtl"] for r in group if r["wtl"] is not None]
        out.append({"optimizer": optimizer, "q": q, "cases": len(group), "seeds": sum(r["seeds"] for r in group),
                    "at_best": sum(r["at_best"] for r in group),
                    "gap": statistics.median(r["gap"] for r in group),
                    "n_evals": statistics.median(r["n_evals"] for r in group),
                    "wall_time": statistics.median(r["wall_time"] for r in group),
                    "wtl": tuple(map(sum, zip(*wtl, strict=True))) if wtl else None})
    return out


# ---------------------------------------------------------------------------------------------------- report


VALUE = number_format(5, fixed=(0.0, math.inf))  # acquisition values: 5 significant digits


def _gap(gap: float) -> str:
    return "0" if gap == 0 else "<1e-9" if gap < 1e-9 else f"{gap:.2e}"  # below 1e-9: round-off of equal optima


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """Markdown report (states, per-optimizer summary, per-case table) and the anytime curves beside it.

    Args:
        records: Records of `gennes-bo compare-acqf` (other kinds are ignored).
        path: Markdown file to write; the figure goes beside it as `<stem>_anytime.png`.
        command: The command that regenerates the report (quoted in it).

    Returns:
        The markdown text.
    """
    rows = summarize(records)
    states = {key[:2]: case["state"] for key, case in group_cases(records).items()}  # in the tables' order
    report = Report(path, "Acquisition optimizers on GP states frozen from real BO runs")
    report.generated_by(command, sum(r["seeds"] for r in rows))
    report.paragraph(
        "Each state is the GP of a real BO run (BoTorch's default optimizer, LogEI, q = 1) at an early, a middle or a "
        "late iteration, rebuilt exactly (same data and hyperparameters, no refit). Every optimizer maximizes the "
        "same acquisition (q > 1: the same 128 Sobol base samples for all optimizers and seeds; the seed only "
        "seeds the optimizer). *Value*: acquisition value reached (LogEI: log scale), median over seeds. *Gap*: "
        "`1 - EI / EI_best`, the share of the best expected improvement any run reached on that case that the "
        "optimizer missed (median over seeds); *at best*: seeds within 0.1 % of it. *Points*: acquisition "
        "points evaluated (a `q x d` batch counts once, gradients included). *Time*: wall seconds, one CPU "
        f"thread per run. W/T/L: seed by seed against `{BASELINE}` (tie: expected improvements within 0.1 %).")
    report.section("States").paragraph(
        "The built-in optimizers `lbfgs-paper` and `gennes` take the paper's per-task budgets (random starts, "
        "GENNES iterations).")
    report.table(["state", "problem", "BO iteration", "training points", "d", "best training value",
                  "`lbfgs-paper` starts", "`gennes` iterations", "fingerprint"],
                 [[name, meta["problem"], meta["iteration"], meta["n_train"], meta["dim"], VALUE(meta["best_f"]),
                   meta["paper_starts"], meta["paper_iterations"], f"`{fingerprint}`"]
                  for (name, fingerprint), meta in states.items()])
    report.section("Summary per optimizer").paragraph(
        "Medians over cases of the per-case medians; seeds at the best and W/T/L summed over cases.")
    report.table(["q", "optimizer", "cases", "runs", "gap", "at best", "points", "time (s)",
                  f"W/T/L vs {BASELINE}"],
                 [[row["q"], f"`{row['optimizer']}`", row["cases"], row["seeds"], *_measures(row)]
                  for row in overall(rows)])
    report.section("Per state").table(
        ["state", "n", "acqf", "q", "optimizer", "seeds", "value", "gap", "at best", "points", "time (s)",
         f"W/T/L vs {BASELINE}"],
        [[row["state"], row["n_train"], row["acquisition"], row["q"], f"`{row['optimizer']}`", row["seeds"],
          VALUE(row["value"]), *_measures(row)] for row in rows])
    report.figure("anytime", lambda figure: plot_anytime(records, figure), heading="Anytime curves",
                  caption="Shortfall of the best acquisition value found so far from the best any run reached on the "
                          "case, `ln(EI_best / EI)` (LogEI: the difference of log values), against acquisition points "
                          f"evaluated; median over seeds, log-log, zero drawn at {GAP_FLOOR:g}.",
                  alt="anytime curves")
    return report.settings(records, "compare-acqf").write()


def _measures(row: Mapping[str, Any]) -> list[str]:
    """The cells of a summary or a case row from the gap on: gap, at best, points, time, W/T/L."""
    return [_gap(row["gap"]), f"{row['at_best']}/{row['seeds']}", f"{row['n_evals']:.0f}", f"{row['wall_time']:.2f}",
            wtl_text(row["wtl"])]


def plot_anytime(records: Sequence[Mapping[str, Any]], path: str | Path) -> bool:
    """One panel per case: the median shortfall (log EI) of each optimizer's best-so-far value against points,
    from the recorded anytime traces; False (and no file) if no run has a trace."""
    cases = {key: case for key, case in group_cases(records).items()
             if any(r["trace"] for by_seed in case["runs"].values() for r in by_seed.values())}
    if not cases:
        return False
    with panel_grid(len(cases), path, max_cols=3, panel_size=(4.6, 3.4)) as axes:
        for ax, ((state, _, acquisition, q), case) in zip(axes, cases.items(), strict=True):
            runs = case["runs"]
            best = max(_run_best(r) for by_seed in runs.values() for r in by_seed.values())
            for optimizer in sorted(runs, key=_order):
                traces = [r["trace"] for r in runs[optimizer].values() if r["trace"]]
                if not traces:
                    continue
                first, last = min(t[0][0] for t in traces), max(t[-1][0] for t in traces)
                grid = log_grid(max(first, 1), max(last, 1), 150)
                shortfall = [[-math.log(max(ei_ratio(value, best, acquisition), 1e-300)) if math.isfinite(value)
                              else math.nan for value in step_values(t, grid)] for t in traces]
                median = np.nanmedian(shortfall, axis=0)
                ax.plot(grid, np.maximum(median, GAP_FLOOR), label=f"{optimizer} ({len(traces)})")
            ax.set(xscale="log", yscale="log", xlabel="acquisition points", ylabel="ln(EI_best / EI)",
                   title=f"{state} (n={case['state']['n_train']}) {acquisition} q={q}")
            ax.legend(fontsize="x-small")
    return True


# ------------------------------------------------------------------------------------------------------- CLI


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo compare-acqf`."""
    parser = commands.add_parser("compare-acqf", help="acquisition optimizers on GP states frozen from real BO runs",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", default=DEFAULT_STATES, help=f"frozen GP states, reused if present "
                        f"({DEFAULT_STATES})")
    parser.add_argument("--refreeze", action="store_true", help="freeze the tasks' states again (new BO runs)")
    parser.add_argument("--freeze-only", action="store_true", help="freeze the states and exit")
    add_problems_argument(parser, "--tasks", choices=sorted(ALL_TASKS), metavar="TASK",
                          help=f"tasks whose frozen states are compared, among {', '.join(sorted(ALL_TASKS))} "
                               f"(default {' '.join(DEFAULTS['problems'])})")
    add_optimizers_argument(parser, help=f"registered names ({', '.join(ACQF_OPTIMIZERS)}; default those of "
                                         f"{' '.join(OPTIMIZERS)} registered: python -m benchmarks compare-acqf "
                                         "registers the paper's gennes, lbfgs-paper and cma) or import paths "
                                         "package.module:function of optimize_acqf-compatible callables")
    add_acquisitions_argument(parser, choices=ACQUISITIONS, help="acquisitions (default logei)")
    parser.add_argument("--q", nargs="+", type=int, help="candidates per batch (default 1 4)")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=DEFAULTS["seeds"],
                       quick=QUICK, estimate="after freezing the states, time one call per optimizer and case")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    if args.report:
        return run_report_command(args, "compare-acqf", write_report)
    preset = QUICK if args.quick else DEFAULTS
    tasks = [ALL_TASKS[name] for name in args.problems or preset["problems"]]
    try:
        specs_args = (args.optimizers or default_optimizers(preset["optimizers"]),
                      args.acquisitions or preset["acquisitions"], args.q or preset["q"],
                      seeds_or_default(args, QUICK, DEFAULTS["seeds"]))
        make_specs([], *specs_args)  # validate the options before freezing anything
        states = ensure_states(tasks, args.states, refreeze=args.refreeze, progress=not args.no_progress)
    except ValueError as err:
        raise SystemExit(f"gennes-bo compare-acqf: {err}") from err
    print(f"{len(states)} frozen states in {args.states}: {', '.join(s.name for s in states)}")
    if args.freeze_only:
        return 0
    specs = make_specs(states, *specs_args)
    by_name = {state.name: state for state in states}
    run = functools.partial(run_compare_spec, states=by_name, plugins=plugin_modules())
    return run_grid_command(specs, run, args, "compare-acqf", settings=spec_settings,
                            estimate=functools.partial(estimate, states=by_name))
