"""The report of `gennes-bo bench-mixed`, from its records only: per problem the acquisition-level table and the
short BO runs, a figure of the BO runs, and the issue's acceptance lines."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.mixed_spec import (
    BASELINES,
    ENUMERATION_BUDGET,
    ENUMERATION_LIMIT,
    MIXED_PROBLEMS,
    PROBLEMS,
    SEEDS,
    TARGETS,
    family,
    make_specs,
)
from gennes_bo.compare.plotting import mean_band, panel_grid
from gennes_bo.compare.records import run_key
from gennes_bo.compare.report import (
    Report,
    median_or_nan,
    number_format,
    paired_p_value,
    win_tie_loss,
    wtl_text,
)

REL_TOL = 1e-3  # a tie: within 1e-3 relative
ALPHA = 0.05  # significance of the one-sided paired Wilcoxon test of the BO runs
LABELS = {"gennes-mixed": "GENNES mixed", "botorch-alternating": "BoTorch alternating",
          "botorch-enumerate": "BoTorch enumeration", "gennes-hybrid": "GENNES", "botorch-default": "BoTorch SLSQP"}
COLORS = {"gennes-mixed": "C0", "gennes-hybrid": "C0", "botorch-alternating": "C1", "botorch-default": "C1",
          "botorch-enumerate": "C2"}
value = number_format(4, fixed=(1e-3, 1e5))
seconds = number_format(3, fixed=(1e-2, 1e5), whole_from=100)

Runs = dict[tuple[str, int, str], dict[int, dict[str, Any]]]  # (problem, q, optimizer) -> seed -> result


def _runs(records: Iterable[Mapping[str, Any]], part: str) -> Runs:
    runs: Runs = defaultdict(dict)
    for record in records:
        spec = record["spec"]
        if spec.get("kind") == "bench-mixed" and spec["part"] == part:
            runs[(spec["problem"], spec["q"], spec["optimizer"])][spec["seed"]] = record
    return runs


def relative_gain(ours: float, theirs: float) -> float:
    """`(ours - theirs) / |theirs|` (higher is better; `theirs` floored at 1e-12 in magnitude)."""
    return (ours - theirs) / max(abs(theirs), 1e-12)


def paired(runs: Runs, problem: str, q: int, target: str, baseline: str, key: str) -> list[tuple[float, float]]:
    """`(target's, baseline's)` values of `key` on the seeds both have, in seed order."""
    ours, theirs = runs.get((problem, q, target), {}), runs.get((problem, q, baseline), {})
    return [(ours[s][key], theirs[s][key]) for s in sorted(set(ours) & set(theirs))]


def _acqf_table(runs: Runs, problem: str) -> tuple[list[str], list[list[Any]]]:
    kind = family(problem)
    target, baselines = TARGETS[kind], [b for b in BASELINES[kind] if any(k[0] == problem and k[2] == b
                                                                          for k in runs)]
    columns = ["q", "optimizer", "seeds", "value (median)", "wall s (median)", "CPU s (median)",
               "acq. points (median)", "max violation", *(f"W/T/L vs {LABELS[b]}" for b in baselines)]
    rows = []
    for q in sorted({k[1] for k in runs if k[0] == problem}):
        for optimizer in (target, *BASELINES[kind]):
            seeds = runs.get((problem, q, optimizer))
            if not seeds:
                continue
            results = [record["value"] for record in seeds.values()]
            row = [q, LABELS[optimizer], len(seeds), value(median_or_nan(results)),
                   seconds(median_or_nan(r["wall_time"] for r in seeds.values())),
                   seconds(median_or_nan(r["cpu_time"] for r in seeds.values())),
                   f"{median_or_nan(r['n_evals'] for r in seeds.values()):.0f}",
                   f"{max(r['violation'] for r in seeds.values()):.0e}"]
            for baseline in baselines:
                pairs = paired(runs, problem, q, target, baseline, "value")
                row.append(wtl_text(win_tie_loss([relative_gain(*p) for p in pairs], REL_TOL))
                           if optimizer == target and pairs else "—")
            rows.append(row)
    return columns, rows


def _bo_table(runs: Runs, problem: str) -> tuple[list[str], list[list[Any]]]:
    kind = family(problem)
    target, baseline = TARGETS[kind], BASELINES[kind][0]
    columns = ["optimizer", "seeds", "best value (mean ± s.e.)", "median", "acq. wall s per run (median)",
               "acq. CPU s per run (median)", "acq. points per iteration (median)",
               f"W/T/L vs {LABELS[baseline]}", "Wilcoxon p (worse)"]
    rows = []
    for (name, q, optimizer), seeds in sorted(runs.items(), key=lambda item: item[0][2] != target):
        if name != problem:
            continue
        finals = [r["final_best"] for r in seeds.values()]
        sem = statistics.stdev(finals) / math.sqrt(len(finals)) if len(finals) > 1 else 0.0
        pairs = paired(runs, problem, q, target, baseline, "final_best")
        compare = optimizer == target and pairs
        rows.append([LABELS[optimizer], len(seeds), f"{value(statistics.mean(finals))} ± {value(sem)}",
                     value(statistics.median(finals)),
                     seconds(median_or_nan(sum(r["acqf_time"]) for r in seeds.values())),
                     seconds(median_or_nan(sum(r["acqf_cpu_time"]) for r in seeds.values())),
                     f"{median_or_nan(p for r in seeds.values() for p in r['acqf_points']):.0f}",
                     wtl_text(win_tie_loss([relative_gain(*p) for p in pairs], REL_TOL)) if compare else "—",
                     f"{paired_p_value([a - b for a, b in pairs], 'less'):.2g}" if compare else "—"])
    return columns, rows


def acceptance(acqf: Runs, bo: Runs) -> list[str]:
    """The issue's acceptance lines, computed from the records (a line says `met` or `not met`)."""
    lines = []
    for kind, what in (("mixed", "mixed spaces"), ("constrained", "linear constraints")):
        target, baseline = TARGETS[kind], BASELINES[kind][0]
        problems = [p for p in PROBLEMS if family(p) == kind]
        pairs = [pair for (problem, q, optimizer) in acqf if optimizer == target and problem in problems
                 for pair in zip(paired(acqf, problem, q, target, baseline, "value"),
                                 paired(acqf, problem, q, target, baseline, "wall_time"),
                                 paired(acqf, problem, q, target, baseline, "cpu_time"), strict=True)]
        if pairs:
            at_least = sum(relative_gain(*values) >= -REL_TOL for values, _, _ in pairs)
            wall = sum(t for _, (t, _), _ in pairs) / sum(t for _, (_, t), _ in pairs)
            cpu = sum(t for _, _, (t, _) in pairs) / sum(t for _, _, (_, t) in pairs)
            median_wall = statistics.median(ours / theirs for _, (ours, theirs), _ in pairs)
            values_met = at_least >= 0.8 * len(pairs)
            lines.append(f"**{what}, acquisition level** ({LABELS[target]} vs {LABELS[baseline]}): value at least "
                         f"the baseline's (ties within {REL_TOL:g} relative) in {at_least} of {len(pairs)} case x "
                         f"seed runs ({at_least / len(pairs):.0%}; target >= 80 %): "
                         f"**{'met' if values_met else 'not met'}**; time (target <= 1x the baseline's, summed over "
                         f"the runs): wall {wall:.2f}x (median per run {median_wall:.2f}x) "
                         f"**{'met' if wall <= 1 else 'not met'}**, CPU {cpu:.2f}x "
                         f"**{'met' if cpu <= 1 else 'not met'}**.")
        tests = []
        for (problem, q, optimizer) in sorted(bo):
            if optimizer == target and problem in problems:
                differences = [a - b for a, b in paired(bo, problem, q, target, baseline, "final_best")]
                if differences:
                    tests.append((problem, len(differences), paired_p_value(differences, "less")))
        if tests:
            worse = [problem for problem, _, p in tests if p < ALPHA]
            text = ", ".join(f"{problem} p = {p:.2g} ({n} seeds)" for problem, n, p in tests)
            lines.append(f"**{what}, short BO runs**: final best value not significantly worse than "
                         f"{LABELS[baseline]}'s (one-sided paired Wilcoxon, alpha = {ALPHA}) on "
                         f"{len(tests) - len(worse)} of {len(tests)} problems ({text}): "
                         f"**{'met' if not worse else 'not met: ' + ', '.join(worse)}**.")
    return lines


def plot_bo(bo: Runs, path: str | Path) -> bool:
    """One panel per problem: mean best value found against evaluations, ± its standard error, per optimizer;
    False if there are no BO runs."""
    problems = [p for p in PROBLEMS if any(k[0] == p for k in bo)]
    if not problems:
        return False
    with panel_grid(len(problems), path, max_cols=3, panel_size=(4.6, 3.4)) as axes:
        for ax, problem in zip(axes, problems, strict=True):
            for (name, _, optimizer), seeds in sorted(bo.items()):
                if name != problem:
                    continue
                curves = np.array([seeds[s]["best"] for s in sorted(seeds)])
                mean_band(ax, np.arange(1, curves.shape[1] + 1), curves,
                          label=f"{LABELS[optimizer]} ({len(seeds)})", color=COLORS[optimizer])
            ax.set_title(problem)
            ax.set_xlabel("evaluations")
            ax.set_ylabel("best value found")
            ax.legend(fontsize=8)
    return True


def write_report(records: list[dict[str, Any]], path: str | Path, command: str) -> str:
    """Write the markdown report of `bench-mixed` records and its figure (`<its stem>_bo.png`); return it."""
    from gennes_bo.test_functions.mixed import get_space_problem

    acqf, bo = _runs(records, "acqf"), _runs(records, "bo")
    env = records[0]["env"] if records else {}
    report = Report(path, "Mixed spaces and linear constraints").generated_by("gennes-bo bench-mixed", len(records))
    report.paragraph("Rerun (resumes; `--report` rewrites this page from the records):").code(command)
    report.paragraph(
        "Integer, binary and categorical dimensions: `optimize_acqf_mixed_gennes` (GENNES mixed, its defaults)",
        "against BoTorch's `optimize_acqf_mixed_alternating` (its defaults) and, where the enumeration is small",
        f"(at most {ENUMERATION_LIMIT} combinations), `optimize_acqf_mixed` over every combination. Linear",
        "constraints: `optimize_acqf_gennes` against `optimize_acqf` with the same constraints (SLSQP, 20 restarts,",
        "1024 raw samples). *Acquisition level*: a GP fitted to random valid points (MixedSingleTaskGP with",
        "categoricals), LogEI (q = 1) or qLogEI (q > 1, 128 seeded Sobol samples); every optimizer maximizes the",
        "same acquisition; values are acquisition values (log scale), higher is better. *Short BO runs*: q = 1",
        "LogEI from random valid initial points, the same per seed for every optimizer; the GP refitted every",
        f"iteration. W/T/L compare the GENNES optimizer with each baseline seed by seed (tie: within {REL_TOL:g}",
        "relative); the Wilcoxon p-value is one-sided (that GENNES's final best is lower). Times are one thread",
        "per run on a machine shared with other jobs: wall times are inflated, CPU times (process time) less so.")
    planned = {run_key(spec) for spec in make_specs()}
    recorded = sum(run_key(record["spec"]) in planned for record in records)
    report.paragraph(f"Recorded: {recorded} of the {len(planned)} runs of the default grid ({SEEDS} seeds, specs "
                     "seed-major: a partial grid holds whole seeds first).", f"Environment: `{env}`.")
    report.section("Acceptance").bullets(acceptance(acqf, bo))
    for problem in PROBLEMS:
        if not any(k[0] == problem for k in (*acqf, *bo)):
            continue
        space = get_space_problem(problem)
        report.section(f"{problem}: {space.description}")
        if problem in MIXED_PROBLEMS:
            if space.n_combinations > ENUMERATION_LIMIT:
                report.paragraph(f"`optimize_acqf_mixed` (enumeration) skipped: {space.n_combinations} combinations "
                                 f"(more than {ENUMERATION_LIMIT}).")
            else:
                budget = next((record["settings"] for seeds in acqf.values() for record in seeds.values()
                               if record["spec"]["optimizer"] == "botorch-enumerate"
                               and record["spec"]["problem"] == problem and "settings" in record), ENUMERATION_BUDGET)
                report.paragraph(f"`optimize_acqf_mixed` enumerates the {space.n_combinations} combinations with "
                                 f"{budget['num_restarts']} restarts and {budget['raw_samples']} raw samples each, at "
                                 "q = 1 of the acquisition level only (q points in sequence, and every BO iteration, "
                                 "would cost more than the rest of the grid).")
        if any(k[0] == problem for k in acqf):
            report.paragraph("**Acquisition level**").table(*_acqf_table(acqf, problem))
        if any(k[0] == problem for k in bo):
            iterations = {r["spec"]["iterations"] for seeds in bo.values() for r in seeds.values()
                          if r["spec"]["problem"] == problem}
            n_init = {r["spec"]["n_init"] for seeds in bo.values() for r in seeds.values()
                      if r["spec"]["problem"] == problem}
            report.paragraph(f"**Short BO runs** ({'/'.join(map(str, sorted(n_init)))} initial points, "
                             f"{'/'.join(map(str, sorted(iterations)))} iterations of q = 1)")
            report.table(*_bo_table(bo, problem))
    report.figure("bo", lambda figure: plot_bo(bo, figure), heading="Short BO runs",
                  caption="Best value found against evaluations (initial design included), mean over seeds ± its "
                          "standard error; the number of seeds in parentheses.", alt="best value against evaluations")
    return report.settings(records, "bench-mixed").write()
