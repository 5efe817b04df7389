"""The report of `gennes-bo bo-batch` (docs/results/bo_batch.md), from its records only.

What ran (seeds per cell, CPU hours spent and left, partial cells marked), the acceptance verdicts with their
numbers, the final simple regret per cell (mean ± standard error, `gennes-hybrid` against both BoTorch modes:
W/T/L over seeds and the paired Wilcoxon p-value), the acquisition cost per iteration, regret curves with bands,
and every optimizer's resolved settings.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bo_batch_spec import (
    BOTORCH_MODES,
    GRIDS,
    ITERATIONS,
    MAIN_PROBLEMS,
    OPTIMIZERS,
    SECONDARY_PROBLEMS,
    TARGET,
    Cell,
    cell_of,
    cell_title,
    planned_seeds,
)
from gennes_bo.compare.plotting import mean_band, panel_grid
from gennes_bo.compare.report import Report, median_or_nan, number_format, paired_p_value, win_tie_loss, wtl_text

ALPHA = 0.05  # significance level of the verdicts
TIE_REL = 0.01  # a seed is a tie when the two final regrets differ by at most 1 % of the larger
MIN_CPU_SHARE = 0.9  # a run is timed if its process CPU time is at least this share of its wall time
VALUE = number_format(3, fixed=(1e-3, 1e4))
P_VALUE = number_format(2, fixed=(1e-3, 10.0))
Runs = dict[str, dict[int, Mapping[str, Any]]]  # optimizer -> seed -> record


def group_runs(records: Sequence[Mapping[str, Any]]) -> dict[Cell, Runs]:
    """`bo-batch` records by cell, then optimizer, then seed (a seed recorded twice counts once, the last); the main
    grid's cells first (qLogNEI, q = 16, noiseless), then by acquisition, noise and q, each in the order of the main
    grid's problems."""
    cells: dict[Cell, Runs] = defaultdict(lambda: defaultdict(dict))
    for record in records:
        spec = record["spec"]
        if spec.get("kind") == "bo-batch":
            cells[cell_of(spec)][spec["optimizer"]][spec["seed"]] = record
    order = {name: i for i, name in enumerate(MAIN_PROBLEMS)}

    def key(cell: Cell) -> tuple:
        problem, acquisition, q, noise, iterations = cell
        return (iterations != ITERATIONS, acquisition != "qlognei", acquisition, noise, q != 16, q,
                order.get(problem, len(order)), problem, iterations)

    return {cell: dict(cells[cell]) for cell in sorted(cells, key=key)}


def _spec_of(cell: Cell) -> dict[str, Any]:
    problem, acquisition, q, noise, iterations = cell
    return {"problem": problem, "acquisition": acquisition, "q": q, "noise_std": noise, "iterations": iterations}


def expected(cell: Cell, runs: Runs) -> tuple[int, list[str]]:
    """The seeds and optimizers a cell should hold: a grid's plan (its seeds, every default optimizer), else (a
    custom cell) the most seeds and the optimizers recorded."""
    planned = planned_seeds(_spec_of(cell))
    if planned is None:
        return max(len(seeds) for seeds in runs.values()), ordered(runs)
    return planned, ordered({**dict.fromkeys(OPTIMIZERS), **runs})


def ordered(optimizers: Mapping[str, Any]) -> list[str]:
    """The optimizers in `OPTIMIZERS` order, then the others sorted."""
    return [o for o in OPTIMIZERS if o in optimizers] + sorted(set(optimizers) - set(OPTIMIZERS))


def complete_seeds(runs: Runs, optimizers: Sequence[str]) -> int:
    """Seeds that every one of `optimizers` has finished."""
    return len(set.intersection(*(set(runs.get(o, {})) for o in optimizers))) if optimizers else 0


def _cpu(record: Mapping[str, Any]) -> float:
    return record.get("cpu_time", record["wall_time"])


# ------------------------------------------------------------------------------------------- comparisons
@dataclass(frozen=True)
class Paired:
    """One optimizer against another on the seeds both finished (final simple regret: lower is better).

    Attributes:
        n: Seeds both finished.
        mean: `(ours, theirs)` mean final regret over those seeds.
        wtl: `(wins, ties, losses)` over the seeds; a tie within `TIE_REL` of the larger regret.
        p_value: Two-sided Wilcoxon signed-rank test of the paired final regrets.
    """

    n: int
    mean: tuple[float, float]
    wtl: tuple[int, int, int]
    p_value: float

    @property
    def better(self) -> bool:
        return self.mean[0] < self.mean[1] and self.p_value < ALPHA

    @property
    def worse(self) -> bool:
        return self.mean[0] > self.mean[1] and self.p_value < ALPHA

    def text(self, baseline: str) -> str:
        """`baseline`'s mean, the W/T/L and the p-value, for a verdict line."""
        return f"`{baseline}` {VALUE(self.mean[1])} (W/T/L {wtl_text(self.wtl)}, p = {P_VALUE(self.p_value)})"


def paired(ours: Mapping[int, Mapping[str, Any]], theirs: Mapping[int, Mapping[str, Any]]) -> Paired | None:
    """`ours` against `theirs` (seed -> record) on their common seeds; None without any."""
    seeds = sorted(set(ours) & set(theirs))
    if not seeds:
        return None
    a = [ours[s]["final_regret"] for s in seeds]
    b = [theirs[s]["final_regret"] for s in seeds]
    scores = [(y - x) / max(abs(x), abs(y), 1e-12) for x, y in zip(a, b, strict=True)]
    return Paired(len(seeds), (statistics.fmean(a), statistics.fmean(b)), win_tie_loss(scores, TIE_REL),
                  paired_p_value([x - y for x, y in zip(a, b, strict=True)]))


def uncontended(record: Mapping[str, Any]) -> bool:
    """Whether a run had its CPU core to itself: process CPU time at least `MIN_CPU_SHARE` of its wall time (a
    single-threaded run that shared its core has wall times, acquisition times included, inflated by the others)."""
    return record.get("cpu_time", record["wall_time"]) >= MIN_CPU_SHARE * record["wall_time"]


def acqf_median(runs: Mapping[int, Mapping[str, Any]], key: str = "acqf_time") -> float:
    """Median over every iteration of every seed of a per-iteration quantity (`acqf_time`, `acqf_points`); times
    over the :func:`uncontended` runs only."""
    timed = [r for r in runs.values() if key != "acqf_time" or uncontended(r)]
    return median_or_nan(v for record in timed for v in record[key])


# --------------------------------------------------------------------------------------------- verdicts
def _status(complete: bool, measured: bool, met: bool) -> str:
    if not measured:
        return "not yet measured"
    if not complete:
        return "not yet measured (cells incomplete; so far " + ("met" if met else "missed") + ")"
    return "met" if met else "**missed**"


def verdicts(cells: Mapping[Cell, Runs], target: str = TARGET) -> tuple[list[str], list[str]]:
    """The verdicts (a), (b) and (c) for `target` (default the acceptance target), and the numbers behind them: per
    main problem the target against both BoTorch modes, per q = 16 and q = 32 problem the acquisition seconds per
    iteration (bullet items)."""
    items, better, worse, complete, measured = [], [], [], True, False
    for problem in MAIN_PROBLEMS:
        cell = (problem, "qlognei", 16, 0.0, ITERATIONS)
        runs = cells.get(cell, {})
        seeds = planned_seeds(_spec_of(cell))
        complete &= complete_seeds(runs, [target, *BOTORCH_MODES]) >= seeds
        comparisons = [paired(runs.get(target, {}), runs.get(mode, {})) for mode in BOTORCH_MODES]
        if any(c is None for c in comparisons):
            items.append(f"{cell_title(cell)}: not yet measured (no seed with `{target}` and both BoTorch modes)")
            continue
        measured = True
        n = min(c.n for c in comparisons)
        better += [problem] if all(c.better for c in comparisons) else []
        worse += [problem] if any(c.worse for c in comparisons) else []
        items.append(f"{cell_title(cell)} ({n}/{seeds} seeds): `{target}` {VALUE(comparisons[0].mean[0])} vs "
                     + " and ".join(c.text(mode) for c, mode in zip(comparisons, BOTORCH_MODES, strict=True)))
    needed = math.ceil(len(MAIN_PROBLEMS) / 2)
    summary = [f"**(a)** at q = 16, `{target}` has a lower mean final regret than both BoTorch modes with "
                 f"p < {ALPHA} on at least {needed} of the {len(MAIN_PROBLEMS)} problems: on {len(better)} "
                 f"({', '.join(better) or 'none'}): {_status(complete, measured, len(better) >= needed)}",
               f"**(b)** it is significantly worse (p < {ALPHA}) than either mode on no problem: worse on "
                 f"{len(worse)} ({', '.join(worse) or 'none'}): {_status(complete, measured, not worse)}"]
    time_summary, time_items = _time_verdict(cells, target)
    return summary + time_summary, items + time_items


def _time_verdict(cells: Mapping[Cell, Runs], target: str) -> tuple[list[str], list[str]]:
    """Verdict (c): at q = 16 (main problems) and q = 32 (secondary), the target's median acquisition seconds per
    iteration at most the faster BoTorch mode's on each problem, over the seeds where all three ran uncontended."""
    items, slower, complete, measured = [], [], True, False
    for q, problems in ((16, MAIN_PROBLEMS), (32, SECONDARY_PROBLEMS)):
        for problem in problems:
            cell = (problem, "qlognei", q, 0.0, ITERATIONS)
            runs = cells.get(cell, {})
            complete &= complete_seeds(runs, [target, *BOTORCH_MODES]) >= planned_seeds(_spec_of(cell))
            if not all(runs.get(o) for o in (target, *BOTORCH_MODES)):
                continue
            names = (target, *BOTORCH_MODES)
            seeds = sorted(set.intersection(*({s for s, r in runs[o].items() if uncontended(r)} for o in names)))
            if not seeds:
                items.append(f"{cell_title(cell)}: no seed with uncontended runs of `{target}` and both modes")
                continue
            measured = True
            median = {o: acqf_median({s: runs[o][s] for s in seeds}) for o in names}
            fastest = min(BOTORCH_MODES, key=median.__getitem__)
            if median[target] > median[fastest]:
                slower.append(f"{problem} q={q}")
            items.append(f"{cell_title(cell)} ({len(seeds)} seeds timed): `{target}` {VALUE(median[target])} s per "
                         f"iteration vs `{fastest}` (the faster mode) {VALUE(median[fastest])} s")
    return [f"**(c)** at q = 16 and q = 32, `{target}`'s median acquisition time per iteration is at most the "
            f"faster BoTorch mode's on each problem: slower on {len(slower)} ({', '.join(slower) or 'none'}): "
            f"{_status(complete, measured, not slower)}"], items


def variants(cells: Mapping[Cell, Runs]) -> list[str]:
    """Optimizers outside the grid's own list (`OPTIMIZERS`) that have runs in every main cell, in name order."""
    main = [cells.get((problem, "qlognei", 16, 0.0, ITERATIONS), {}) for problem in MAIN_PROBLEMS]
    return sorted(set.intersection(*(set(runs) for runs in main)) - set(OPTIMIZERS))


# ----------------------------------------------------------------------------------------------- report
def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """Write the markdown report and its regret figures (one per acquisition, q and noise) beside it.

    Args:
        records: Records of `gennes-bo bo-batch` (other kinds are ignored).
        path: Markdown file; figures go beside it as `<its stem>_regret_<acquisition>_q<q>.png`.
        command: The command that regenerates the report (quoted in it).

    Returns:
        The markdown text.
    """
    cells = group_runs(records)
    report = Report(path, "Large-batch BO: acquisition optimizers side by side")
    report.generated_by(command, sum(len(s) for runs in cells.values() for s in runs.values()), "gennes-bo bo-batch")
    report.paragraph(
        "Each seed moves the problem's optimum uniformly at random in the box and draws one initial design of 2q "
        "scrambled Sobol points shared by every optimizer; BoTorch's `SingleTaskGP` defaults, 10 iterations of q "
        "points, qLogNEI (baseline pruned) or qUCB (beta = 2), 128 Sobol Monte-Carlo samples. *Simple regret*: the "
        "best noiseless value among the evaluated points minus the translated problem's true f* (noisy cells "
        "observe values with Gaussian noise, 5 % of the function's range). Acceptance is decided on the main grid "
        "(qLogNEI, q = 16, 10 seeds).")
    report.section("What ran")
    report.paragraph(*_what_ran_text(cells))
    report.table(["cell", "seeds (all optimizers) / planned", "status", "seeds done, where short", "runs",
                  "CPU h spent", "CPU h left (est.)"],
                 [_what_ran_row(cell, runs) for cell, runs in cells.items()])
    summary, details = verdicts(cells)
    report.section("Acceptance verdicts").paragraph(
        f"Paired by seed over the seeds both optimizers finished; *p*: two-sided Wilcoxon signed-rank test of the "
        f"paired final regrets; W/T/L: seeds where `{TARGET}`'s final regret is lower / within {TIE_REL:.0%} / "
        f"higher. A verdict is final when its cells hold every planned seed of `{TARGET}` and both BoTorch "
        "modes.").bullets(summary)
    report.paragraph("The numbers behind them:").bullets(details)
    for variant in variants(cells):
        summary, details = verdicts(cells, variant)
        report.paragraph(f"The same verdicts for `{variant}`, a variant of `{TARGET}` run on every main cell (not "
                         "the acceptance target; docs/design.md#large-batch-bo-where-the-main-grid-leaves-us):"
                         ).bullets(summary + details)
    report.section("Final simple regret and acquisition cost").paragraph(
        "Per cell: final regret, mean ± standard error over the seeds done; each optimizer against each BoTorch "
        "mode (W/T/L from the row's side: lower regret wins, and the paired Wilcoxon p); acquisition seconds and "
        "points per iteration and GP-fit seconds per iteration, medians over every iteration of every seed; "
        f"acquisition seconds over the runs that had their CPU core to themselves (process CPU time at least "
        f"{MIN_CPU_SHARE:.0%} of wall time), the regrets over every run.")
    for cell, runs in cells.items():
        report.paragraph(f"**{cell_title(cell)}**").table(
            ["optimizer", "seeds", "final regret", *(f"vs `{m}`" for m in BOTORCH_MODES), "acq. s / iter.",
             "acq. points / iter.", "GP fit s / iter."],
            [_regret_row(optimizer, runs) for optimizer in ordered(runs)])
    groups: dict[tuple, dict[Cell, Runs]] = defaultdict(dict)
    for cell, runs in cells.items():
        groups[cell[1:]][cell] = runs
    for (acquisition, q, noise, iterations), group in groups.items():
        name = f"regret_{acquisition}_q{q}" + ("_noisy" if noise else "") + \
            ("" if iterations == ITERATIONS else f"_{iterations}it")
        title = cell_title(("", acquisition, q, noise, iterations)).removeprefix(", ")
        report.figure(name, lambda plot, group=group: plot_regret(group, plot), heading=f"Regret curves: {title}",
                      alt=f"regret against evaluations, {title}",
                      caption="Simple regret against objective evaluations (initial design included), mean ± "
                              "standard error over the seeds (legend: seeds), one panel per problem; log scale where "
                              "every regret is positive.")
    return report.settings(records, "bo-batch").write()


def _what_ran_text(cells: Mapping[Cell, Runs]) -> list[str]:
    records = [r for runs in cells.values() for seeds in runs.values() for r in seeds.values()]
    spent = sum(map(_cpu, records))
    n_runs, contended = len(records), sum(not uncontended(r) for r in records)
    left, unknown = 0.0, 0
    for cell, runs in cells.items():
        cell_left, cell_unknown = _left(cell, runs)
        left, unknown = left + cell_left, unknown + cell_unknown
    planned = {name: sum(len(f.problems) * len(f.q) * f.seeds * len(OPTIMIZERS) for f in families)
               for name, families in GRIDS.items()}
    return [f"CPU hours spent: {spent / 3600:.2f} (the records' process CPU times; every run is single-threaded). "
            f"To finish the cells below: about {left / 3600:.2f} more, each missing run costed at the mean of its "
            f"cell and optimizer's recorded runs"
            + (f" ({unknown} runs of optimizers with no record in their cell not counted)." if unknown else "."),
            f"Planned: the main grid is {planned['main']} runs, the secondary {planned['secondary']}; "
            "`gennes-bo bo-batch --estimate` times one call per optimizer and cell before running. **Partial** cells "
            "lack seeds of some optimizer; their numbers are provisional.",
            f"Timing: {contended} of {n_runs} runs shared their CPU core (process CPU time below {MIN_CPU_SHARE:.0%} "
            "of wall time: other work ran on the machine) and are left out of every acquisition time below; their "
            "regrets, which do not depend on time, are kept." + _repeatability_text(cells)]


def timing_repeats(cells: Mapping[Cell, Runs]) -> list[float]:
    """Ratios of total acquisition time between uncontended runs of one cell and seed, under two optimizer names,
    that evaluated exactly the same points (a setting that never took effect): the same computation timed twice,
    in different processes and often different sessions. Each pair counts once (the larger time over the
    smaller)."""
    ratios = []
    for runs in cells.values():
        names = sorted(runs)
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                for seed in runs[first].keys() & runs[second].keys():
                    a, b = runs[first][seed], runs[second][seed]
                    if a["values"] == b["values"] and uncontended(a) and uncontended(b):
                        times = sorted((sum(a["acqf_time"]), sum(b["acqf_time"])))
                        ratios.append(times[1] / times[0])
    return ratios


def _repeatability_text(cells: Mapping[Cell, Runs]) -> str:
    ratios = timing_repeats(cells)
    if not ratios:
        return ""
    pairs = f"{len(ratios)} pair" + ("" if len(ratios) == 1 else "s")
    return (f" The same computation timed twice ({pairs} of runs, under two optimizer names, that evaluated "
            "exactly the same points) differs in total acquisition time by a median of "
            f"{statistics.median(ratios) - 1:.0%} and at most {max(ratios) - 1:.0%}: a time verdict decided by a "
            "margin of that size is not robust.")


def _left(cell: Cell, runs: Runs) -> tuple[float, int]:
    """Estimated CPU seconds to finish a cell, and the missing runs of optimizers without a record to cost them."""
    seeds, optimizers = expected(cell, runs)
    seconds, unknown = 0.0, 0
    for optimizer in optimizers:
        done = runs.get(optimizer, {})
        missing = max(seeds - len(done), 0)
        if done:
            seconds += missing * statistics.fmean(_cpu(r) for r in done.values())
        else:
            unknown += missing
    return seconds, unknown


def _what_ran_row(cell: Cell, runs: Runs) -> list[str]:
    seeds, optimizers = expected(cell, runs)
    complete = complete_seeds(runs, optimizers)
    spent = sum(_cpu(r) for s in runs.values() for r in s.values())
    left, unknown = _left(cell, runs)
    status = "complete" if complete >= seeds else "**partial**"
    plan = "" if planned_seeds(_spec_of(cell)) is not None else " (custom)"
    short: dict[int, list[str]] = defaultdict(list)
    for optimizer in optimizers:
        if len(runs.get(optimizer, {})) < seeds:
            short[len(runs.get(optimizer, {}))].append(f"`{optimizer}`")
    done = "; ".join(f"{n}: {', '.join(names)}" for n, names in sorted(short.items(), reverse=True)) or "—"
    return [cell_title(cell), f"{complete}/{seeds}{plan}", status, done, sum(len(s) for s in runs.values()),
            f"{spent / 3600:.2f}", f"{left / 3600:.2f}" + (f" + {unknown} runs" if unknown else "")]


def _regret_row(optimizer: str, runs: Runs) -> list[str]:
    finals = [r["final_regret"] for r in runs[optimizer].values()]
    sem = f" ± {VALUE(statistics.stdev(finals) / math.sqrt(len(finals)))}" if len(finals) > 1 else ""
    versus = []
    for mode in BOTORCH_MODES:
        comparison = None if mode == optimizer else paired(runs[optimizer], runs.get(mode, {}))
        versus.append("—" if comparison is None else f"{wtl_text(comparison.wtl)}, p = {P_VALUE(comparison.p_value)}")
    fits = median_or_nan(v for r in runs[optimizer].values() for v in r["fit_time"])
    return [f"`{optimizer}`", len(finals), f"{VALUE(statistics.fmean(finals))}{sem}", *versus,
            VALUE(acqf_median(runs[optimizer])), f"{acqf_median(runs[optimizer], 'acqf_points'):.0f}", VALUE(fits)]


def plot_regret(cells: Mapping[Cell, Runs], path: str | Path) -> bool:
    """One panel per cell (problem): regret against evaluations, mean ± standard error per optimizer."""
    if not cells:
        return False
    colors = {name: f"C{i % 10}" for i, name in enumerate(OPTIMIZERS)}
    with panel_grid(len(cells), path, max_cols=3, panel_size=(4.6, 3.4), dpi=100) as axes:
        for ax, (cell, runs) in zip(axes, cells.items(), strict=True):
            positive = True
            for i, optimizer in enumerate(ordered(runs)):
                curves = np.array([r["regret"] for r in runs[optimizer].values()], dtype=float)
                positive &= bool((curves > 0).all())
                mean_band(ax, np.arange(1, curves.shape[1] + 1), curves, label=f"{optimizer} ({len(curves)})",
                          color=colors.get(optimizer, f"C{(len(OPTIMIZERS) + i) % 10}"))
            ax.set(title=cell_title(cell), xlabel="objective evaluations", ylabel="simple regret",
                   yscale="log" if positive else "linear")
            ax.legend(fontsize="x-small")
    return True
