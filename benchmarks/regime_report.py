"""The report of `gennes-bo regime-map` (docs/results/regime_map.md), from its records only.

Per test cell: mean final regret of every optimizer; whether the cell has **headroom** (the oracle's loops end
lower than the better BoTorch mode's: paired one-sided Wilcoxon over the oracle's seeds, p < 0.05); how much of it
ours captures (`(best mode - ours) / (best mode - oracle)` in mean final regret); ours against each BoTorch mode
(paired two-sided Wilcoxon over seeds); and ours' median acquisition CPU time per iteration over the faster mode's.
A heat map shows every optimizer's mean final regret relative to the better BoTorch mode. The dev section shows the
acquisition-level measurements the pipeline policy was chosen from.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.regime_spec import (
    ABLATION,
    BOTORCH_MODES,
    CELLS,
    DEV_CELLS,
    LEVERS,
    LOOP_RULES,
    OPTIMIZERS,
    POLICY_CELLS,
    TARGET,
    TEST_CELLS,
    Cell,
    relative_improvement,
)
from gennes_bo.acquisition.policy import acquisition_family, policy_bucket
from gennes_bo.compare.report import Report, number_format, paired_p_value, win_tie_loss

ALPHA = 0.05
TIME_TARGET = 1.1  # ours' median acquisition time per iteration, at most this times the faster BoTorch mode's
VALUE_TOLERANCE = 1e-3  # acquisition values closer than this (log units for qLogNEI, relative otherwise) tie
Runs = dict[str, dict[int, Mapping[str, Any]]]  # optimizer -> seed -> record
fmt = number_format(3)


def group_test(records: Sequence[Mapping[str, Any]], kind: str = "regime-test") -> dict[str, Runs]:
    """Test records (or the dev loops of `kind="regime-dev-loop"`) by cell, optimizer and seed (the last record of
    a spec wins)."""
    cells: dict[str, Runs] = defaultdict(lambda: defaultdict(dict))
    for record in records:
        spec = record["spec"]
        if spec.get("kind") == kind:
            cells[spec["cell"]][spec["optimizer"]][spec["seed"]] = record
    return cells


def mean_regret(runs: Mapping[int, Mapping[str, Any]], seeds: Sequence[int] | None = None) -> float:
    """Mean final regret over `seeds` (default every recorded seed); NaN without runs."""
    values = [runs[s]["final_regret"] for s in (seeds if seeds is not None else runs) if s in runs]
    return statistics.fmean(values) if values else math.nan


def paired(ours: Mapping[int, Mapping[str, Any]], theirs: Mapping[int, Mapping[str, Any]],
           alternative: str = "two-sided") -> tuple[tuple[int, int, int], float, list[int]]:
    """W/T/L (lower final regret wins, relative tie 1e-9), Wilcoxon p and the seeds both have."""
    seeds = sorted(set(ours) & set(theirs))
    differences = [ours[s]["final_regret"] - theirs[s]["final_regret"] for s in seeds]
    scale = [max(abs(ours[s]["final_regret"]), abs(theirs[s]["final_regret"]), 1e-12) for s in seeds]
    wtl = win_tie_loss([-d / c for d, c in zip(differences, scale, strict=True)], 1e-9)
    return wtl, paired_p_value(differences, alternative) if seeds else math.nan, seeds


def median_acqf_time(*runs: Mapping[int, Mapping[str, Any]]) -> float:
    """Median acquisition CPU seconds per iteration over every iteration of every run (of one or more optimizer's
    runs by seed, pooled)."""
    times = [t for by_seed in runs for record in by_seed.values()
             for t in record.get("acqf_cpu_time", record["acqf_time"])]
    return statistics.median(times) if times else math.nan


def timing_states(records: Sequence[Mapping[str, Any]], by_compared: bool = False
                  ) -> dict[Any, list[Mapping[str, Any]]]:
    """The states of the `--timing` records by test cell (the last record of a spec wins); with `by_compared`, by
    `(cell, the optimizers timed)`, so that a dev cell timed for two levers keeps them apart."""
    by_spec = {}
    for r in records:
        if r["spec"].get("kind") == "regime-timing":
            group = (r["spec"]["cell"], tuple(r["spec"]["compared"])) if by_compared else r["spec"]["cell"]
            by_spec[group, r["spec"]["seed"]] = r
    groups: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for (group, _), record in sorted(by_spec.items()):
        groups[group].extend(record["states"])
    return groups


def state_times(states: Sequence[Mapping[str, Any]], names: Sequence[str] = (*BOTORCH_MODES, TARGET)
                ) -> dict[str, float]:
    """Median CPU seconds of each of `names` timed on `states`, `"faster mode"`: the lower of BoTorch's two modes'
    medians, and `"ratio"`: ours' over it."""
    medians = {name: statistics.median(s[name]["cpu_time"] for s in states if name in s)
               for name in names if any(name in s for s in states)}
    faster = min((medians[mode] for mode in BOTORCH_MODES if mode in medians), default=math.nan)
    return {**medians, "faster mode": faster,
            "ratio": medians.get(TARGET, math.nan) / faster if faster > 0 else math.nan}


def cell_summary(cell: Cell, runs: Runs, timing: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Everything the report says of one test cell; `timing`: its `--timing` states, the time target's measure
    (without them, the time ratio comes from the loop records, whose runs may have met different loads)."""
    modes = [mode for mode in BOTORCH_MODES if mode in runs and runs[mode]]
    best_mode = min(modes, key=lambda mode: mean_regret(runs[mode]), default=None)
    oracle = runs.get("oracle", {})
    summary: dict[str, Any] = {"cell": cell, "best_mode": best_mode,
                               "means": {name: mean_regret(seeds) for name, seeds in runs.items()}}
    complete = all(len(runs.get(name, {})) >= (cell.oracle_seeds if name == "oracle" else cell.seeds)
                   for name in cell.optimizers)
    summary["complete"] = complete
    if best_mode is None:
        return summary
    if oracle:
        wtl, p, seeds = paired(oracle, runs[best_mode], "less")
        best_on, oracle_on = mean_regret(runs[best_mode], seeds), mean_regret(oracle, seeds)
        summary.update(headroom_p=p, headroom=p < ALPHA, headroom_seeds=len(seeds), oracle_wtl=wtl,
                       headroom_gap=best_on - oracle_on)
        if TARGET in runs:
            ours_on = mean_regret(runs[TARGET], seeds)
            gap = best_on - oracle_on
            summary["capture"] = (best_on - ours_on) / gap if gap > 0 and summary["headroom"] else math.nan
    if TARGET in runs:
        for mode in modes:
            summary[f"vs {mode}"] = paired(runs[TARGET], runs[mode])[:2]
        faster = min((median_acqf_time(runs[mode]) for mode in modes), default=math.nan)
        summary["loop_time_ratio"] = median_acqf_time(runs[TARGET]) / faster if faster > 0 else math.nan
        summary["time_ratio"] = state_times(timing)["ratio"] if timing else summary["loop_time_ratio"]
        summary["timed_states"] = len(timing)
        settings = next(iter(runs[TARGET].values())).get("settings") or {}
        strategy = settings.get("batch_strategy")
        built = f", {strategy} batch" if cell.q > 1 and strategy in ("joint", "sequential") else ""
        summary["pipeline"] = settings.get("pipeline", "?") + built
    return summary


def verdicts(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The issue's acceptance targets, each with its numbers."""
    lines = []
    incomplete = [s["cell"].name for s in summaries if not s["complete"]]
    recorded = {s["cell"].name for s in summaries}
    unrecorded = [cell.name for cell in TEST_CELLS if cell.name not in recorded]
    lines.append(f"**Map complete:** {'yes' if not incomplete else 'no, missing runs in ' + ', '.join(incomplete)} "
                 f"({len(summaries)} of {len(TEST_CELLS)} test cells recorded"
                 + (f"; not started: {', '.join(unrecorded)}" if unrecorded else "") + ").")
    # Until the map is complete, each verdict below speaks of the recorded runs only.
    scope = "so far, on the recorded runs: " if incomplete or unrecorded else ""
    with_headroom = [s for s in summaries if s.get("headroom")]
    if not with_headroom:
        lines.append(f"**Headroom:** {scope}no cell has significant headroom (oracle below the better BoTorch mode, "
                     "one-sided p < 0.05): there, no acquisition optimizer can change the outcome measurably.")
    else:
        captured = [s for s in with_headroom if s.get("capture", math.nan) >= 0.5]
        lines.append(f"**Capture where there is headroom (target: at least half in every such cell):** {scope}"
                     f"{len(captured)} of {len(with_headroom)} cells: "
                     + ", ".join(f"{s['cell'].name} {_percent(s.get('capture'))}" for s in with_headroom) + ".")
    better = [s["cell"].name for s in summaries if _modes(s) and all(_significant(s[f"vs {m}"], better=True)
                                                                       for m in _modes(s))]
    # Without headroom, beating both modes needs a loop that ends below the oracle's: say so beside a miss.
    reason = ("; no cell has headroom, so this would take loops that end lower than the oracle's"
              if len(better) < 2 and not with_headroom else "")
    lines.append(f"**Significantly better than both BoTorch modes (target: at least 2 cells):** {scope}{len(better)}"
                 + (f" ({', '.join(better)})" if better else "") + reason + ".")
    worse = [f"{s['cell'].name} vs `{m}`" for s in summaries for m in _modes(s)
             if _significant(s[f"vs {m}"], better=False)]
    lines.append(f"**Never significantly worse than either mode:** {scope}"
                 + ("met." if not worse else f"missed in {', '.join(worse)}."))
    slow = [f"{s['cell'].name} {s['time_ratio']:.2f}x" for s in summaries
            if s.get("time_ratio", 0) > TIME_TARGET]
    untimed = [s["cell"].name for s in summaries if "time_ratio" in s and not s["timed_states"]]
    lines.append(f"**Median acquisition time at most {TIME_TARGET}x the faster mode's in every cell** (on the same "
                 f"states in one process, `--timing`): {scope}"
                 + ("met" if not slow else f"missed in {', '.join(slow)}")
                 + (f"; not yet timed on the same states, so from loop records that may have met different loads: "
                    f"{', '.join(untimed)}." if untimed else "."))
    return lines


def _significant(result: tuple[tuple[int, int, int], float], *, better: bool) -> bool:
    """Whether a paired comparison of ours is significant (p < ALPHA) in ours' favor (`better`) or against it."""
    (wins, _, losses), p = result
    return p < ALPHA and (wins > losses if better else losses > wins)


def _modes(summary: Mapping[str, Any]) -> list[str]:
    return [m for m in BOTORCH_MODES if f"vs {m}" in summary]


def _percent(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.0%}"


def _vs_text(result: tuple[tuple[int, int, int], float] | None) -> str:
    if result is None:
        return ""
    (w, t, l), p = result
    return f"{w}/{t}/{l}, p = {p:.2g}"


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """Write the regime map's report from its test and dev records; return the markdown."""
    cells = group_test(records)
    timing = timing_states(records)
    report = Report(path, "Regime map: where the acquisition optimizer decides the BO outcome")
    report.generated_by(command, len(records), "gennes-bo regime-map")
    summaries = [cell_summary(cell, cells[cell.name], timing.get(cell.name, ())) for cell in TEST_CELLS
                 if cell.name in cells]
    if summaries:
        report.section("Verdicts").bullets(verdicts(summaries))
        report.paragraph("Why a target is missed, cell by cell, and the levers tried and next: the "
                         "[design notes](../design.md#the-test-map).")
        report.section("Per cell").paragraph(
            "Mean final regret; headroom: oracle against the better BoTorch mode over the oracle's seeds (W/T/L of "
            "the oracle, one-sided Wilcoxon p); capture: where there is headroom, the share of that gap that ours "
            "closes (n/a elsewhere: a gap within noise has no share to speak of); ours against each "
            "mode over every seed (W/T/L of ours, lower regret wins; two-sided Wilcoxon p); time: ours' median "
            "acquisition CPU seconds per call over the faster mode's, on the same states in one process "
            "([below](#time-on-the-same-states); marked *loops* where a cell has no such states yet, from the "
            "loops' own records); pipeline: what ours' policy ran (and where it built the q-batch jointly or "
            "sequentially rather than greedily).")
        report.table(["cell", "regime", "d", "q", "acquisition", "best mode", "best mode's regret", "oracle",
                      "headroom", "ours", "capture", "ours vs default", "ours vs sequential", "time", "pipeline"],
                     [_cell_row(s) for s in summaries])
        report.figure("heatmap", lambda figure: plot_heatmap(summaries, cells, figure), heading="Heat map",
                      caption="Mean final regret of each optimizer over the better BoTorch mode's (log color "
                              "scale; below 1 is better). Empty: not run in that cell.",
                      alt="regret relative to the better BoTorch mode, per cell and optimizer")
        report.section("Regret per optimizer").table(
            ["cell", *OPTIMIZERS], [[s["cell"].name, *(_mean_cell(cells[s["cell"].name], name) for name in OPTIMIZERS)]
                                    for s in summaries])
        if timing:
            _timing_section(report, summaries, timing)
        picks = _oracle_picks(cells)
        if picks:
            report.section("Which component the oracle took").paragraph(
                "Share of the oracle's calls whose best batch came from each component.").table(
                ["cell", "component: share of calls"], picks)
    dev = policy_records(records)
    if dev:
        report.section("Dev states: what the pipeline policy was chosen from").paragraph(
            "Loops driven by BoTorch's default on the dev cells; at an early, a middle and the last iteration every "
            "compared optimizer maximized that iteration's acquisition. W/T/L of GENNES's stage (`gennes-stage`) "
            f"against the same pipeline without it (`{ABLATION}`): higher acquisition value wins, ties within "
            f"{VALUE_TOLERANCE:g} (log units for qLogNEI, relative otherwise); median CPU seconds per call.")
        report.table(["dev cell", "regime", "d", "q", "states", "gennes-stage vs lbfgs", "gennes-stage vs default",
                      "botorch-default", "botorch-sequential", "gennes-stage", ABLATION], dev_rows(dev))
        rules = policy_rule(dev)
        report.paragraph("The rule of the [design notes](../design.md#the-pipeline-policy), bucket by bucket (W/T/L of "
                         "the GENNES stage against the same pipeline without it; median CPU seconds per call):")
        report.table(["bucket", "states", "gennes vs lbfgs", "gennes (s)", "lbfgs (s)", "faster BoTorch mode (s)",
                      "pipeline"],
                     [[f"{d}, {q}", rule["states"], "/".join(map(str, rule["wtl"])), f"{rule['times']['gennes']:.2f}",
                       f"{rule['times']['lbfgs']:.2f}", f"{rule['times']['faster mode']:.2f}", f"`{rule['choice']}`"]
                      for (d, q), rule in sorted(rules.items())])
    dev_timing = dev_timing_rows(records)
    if dev_timing:
        report.section("Dev timing: time levers on the same states").paragraph(
            "`gennes-bo regime-map --split dev --timing --optimizers ...`: as the test cells' timing, on a dev cell "
            "with the optimizers a time lever compares (the current choice first). Median CPU seconds per call over "
            "the states, over the faster BoTorch mode's; W/T/L in acquisition value against the current choice "
            f"(ties within {VALUE_TOLERANCE:g}, relative for qUCB).")
        report.table(["dev cell", "states", "optimizer", "median (s)", "vs faster mode", "value vs current"],
                     dev_timing)
    for lever, probes in lever_probes(records).items():
        _batch_section(report, lever, probes)
    loops = group_test(records, "regime-dev-loop")
    for lever in (name for name, lever in LEVERS.items() if lever.loops and any(c in loops for c in lever.cells)):
        _loop_section(report, lever, loops)
    report.section("Cells").table(
        ["cell", "split", "problem", "d", "embedded in", "q", "acquisition", "initial points", "iterations", "seeds",
         "oracle seeds", "oracle's 10x modes"],
        [[c.name, c.split, c.problem, c.dim, c.embed or "", c.q, c.acquisition + (f" (beta {c.beta:g})"
          if c.acquisition == "qucb" else ""), c.n_init, c.iterations, c.seeds, c.oracle_seeds or "",
          ", ".join(c.oracle_10x) if c.split == "test" else ""] for c in (*TEST_CELLS, *DEV_CELLS)])
    report.paragraph("Regenerate:").code(command)
    return report.write()


def _cell_row(summary: Mapping[str, Any]) -> list[str]:
    cell: Cell = summary["cell"]
    means = summary["means"]
    best = summary.get("best_mode")
    headroom = ""
    if "headroom_p" in summary:
        w, t, l = summary["oracle_wtl"]
        headroom = f"{'**yes**' if summary['headroom'] else 'no'} ({w}/{t}/{l}, p = {summary['headroom_p']:.2g})"
    return [cell.name, cell.regime, cell.search_dim, cell.q, cell.acquisition, f"`{best}`" if best else "",
            _mean_of(means, best), _mean_of(means, "oracle"), headroom, _mean_of(means, TARGET),
            _percent(summary.get("capture")),
            _vs_text(summary.get("vs botorch-default")), _vs_text(summary.get("vs botorch-sequential")),
            _time_text(summary), summary.get("pipeline", "")]


def _time_text(summary: Mapping[str, Any]) -> str:
    if "time_ratio" not in summary:
        return ""
    return f"{summary['time_ratio']:.2f}x" + ("" if summary["timed_states"] else " (loops)")


def _timing_section(report: Report, summaries: Sequence[Mapping[str, Any]],
                    timing: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    report.section("Time on the same states").paragraph(
        "The loops above run one per process, under whatever else the machine ran, so their CPU times do not "
        "compare across optimizers. `gennes-bo regime-map --timing` measures the time target instead: per cell and "
        "seed, a loop driven by BoTorch's default stops at an early, a middle and the last iteration, and BoTorch's "
        "two modes and ours each maximize that state's acquisition, one after the other in one process (the order "
        "rotated from state to state). Median CPU seconds per call over the states; the last two columns give ours "
        "over the faster mode on these states and, for comparison, in the loops' own records.")
    rows = []
    for summary in summaries:
        states = timing.get(summary["cell"].name)
        if not states:
            continue
        times = state_times(states)
        rows.append([summary["cell"].name, len(states),
                     *(f"{times[name]:.2f}" if name in times else "" for name in (*BOTORCH_MODES, TARGET)),
                     f"{times['ratio']:.2f}x", f"{summary.get('loop_time_ratio', math.nan):.2f}x"])
    report.table(["cell", "states", *BOTORCH_MODES, TARGET, "ours / faster mode", "in the loops"], rows)


def dev_timing_rows(records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """One row per dev cell and timed optimizer of the dev `--timing` records: median CPU seconds per call over the
    states, its ratio to the faster BoTorch mode's, and W/T/L in acquisition value against the first optimizer
    timed (the current choice)."""
    rows = []
    for (name, compared), states in timing_states(records, by_compared=True).items():
        cell = CELLS[name]
        if cell.split != "dev":
            continue
        times = state_times(states, compared)
        for optimizer in (n for n in compared if n in times):
            vs = "" if optimizer == compared[0] else _dev_wtl(states, cell, optimizer, compared[0])
            rows.append([name, len(states), f"`{optimizer}`", f"{times[optimizer]:.2f}",
                         f"{times[optimizer] / times['faster mode']:.2f}x", vs])
    return rows


def _mean_of(means: Mapping[str, float], name: str | None) -> str:
    """A mean final regret of the per-cell table; empty where the optimizer has no run yet."""
    return fmt(means[name]) if name in means else ""


def _mean_cell(runs: Runs, name: str) -> str:
    if name not in runs or not runs[name]:
        return ""
    values = [record["final_regret"] for record in runs[name].values()]
    sem = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return f"{fmt(statistics.fmean(values))} ± {fmt(sem)} ({len(values)})"


def _oracle_picks(cells: Mapping[str, Runs]) -> list[list[str]]:
    rows = []
    for cell in TEST_CELLS:
        picks = [pick for record in cells.get(cell.name, {}).get("oracle", {}).values() for pick in record["picks"]]
        if picks:
            shares = {name: picks.count(name) / len(picks) for name in dict.fromkeys(picks)}
            ordered = sorted(shares.items(), key=lambda item: -item[1])
            rows.append([cell.name, ", ".join(f"`{name}` {share:.0%}" for name, share in ordered)])
    return rows


def dev_rows(records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """One row per dev cell: W/T/L of the GENNES stage and the median CPU seconds of every compared optimizer."""
    by_cell: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in policy_records(records):
        by_cell[record["spec"]["cell"]].extend(record["states"])
    rows = []
    for cell in DEV_CELLS:
        states = by_cell.get(cell.name)
        if not states:
            continue
        rows.append([cell.name, cell.regime, cell.search_dim, cell.q, len(states),
                     _dev_wtl(states, cell, "gennes-stage", ABLATION),
                     _dev_wtl(states, cell, "gennes-stage", "botorch-default"),
                     *(_median_time(states, name) for name in ("botorch-default", "botorch-sequential",
                                                               "gennes-stage", ABLATION))])
    return rows


def is_probe(record: Mapping[str, Any]) -> bool:
    """Whether a dev record is a lever's probe (it names the optimizers it compared) rather than the policy's."""
    return "compared" in record["spec"]


def policy_records(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The dev records that the pipeline policy was chosen from (no lever probe, no test record)."""
    return [record for record in records if record["spec"].get("kind") == "regime-dev" and not is_probe(record)
            and record["spec"]["cell"] in POLICY_CELLS]


def bucket_of(d: int, q: int) -> tuple[str, str]:
    """The policy's bucket of a search dimension and batch size (docs/design.md#the-pipeline-policy), as the
    report prints it."""
    high, q_bucket = policy_bucket(q=q, d=d)
    return ("d >= 30" if high else "d < 30"), q_bucket


def pooled_states(records: Sequence[Mapping[str, Any]], by_acquisition: bool = False
                  ) -> dict[tuple[str, ...], list[tuple[Cell, Mapping[str, Any]]]]:
    """The dev states of `records`, pooled by the policy's bucket of their cell (and, with `by_acquisition`,
    qUCB apart from the other acquisitions): `bucket -> [(cell, state)]`."""
    pooled: dict[tuple[str, ...], list[tuple[Cell, Mapping[str, Any]]]] = defaultdict(list)
    for record in records:
        cell = CELLS[record["spec"]["cell"]]
        bucket = bucket_of(cell.search_dim, cell.q)
        if by_acquisition:
            bucket = (*bucket, acquisition_family(cell.acquisition))
        pooled[bucket].extend((cell, state) for state in record["states"])
    return pooled


def lever_probes(records: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The dev records of each lever of `LEVERS` that has any (a lever's probe compares exactly its optimizers)."""
    probes: dict[str, list[Mapping[str, Any]]] = {}
    for name, lever in LEVERS.items():
        if lever.loops:
            continue
        found = [record for record in records if record["spec"].get("kind") == "regime-dev" and is_probe(record)
                 and tuple(record["spec"]["compared"]) == lever.compared]
        if found:
            probes[name] = found
    return probes


def pooled_wtl(states: Sequence[tuple[Cell, Mapping[str, Any]]], ours: str, theirs: str) -> tuple[int, int, int]:
    """W/T/L of `ours` against `theirs` in acquisition value over pooled `(cell, state)` pairs."""
    return win_tie_loss([relative_improvement(s[ours]["value"], s[theirs]["value"], cell.acquisition)
                         for cell, s in states], VALUE_TOLERANCE)


def policy_rule(records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The rule of docs/design.md#the-pipeline-policy applied to the dev states, bucket by bucket.

    In each bucket of (d, q), over its states pooled: a pipeline wins on value when its wins minus its losses
    against the other are at least 2 and at least 20 % of the states; the choice is the pipeline that wins on value
    if its median CPU time is at most `TIME_TARGET` times the faster BoTorch mode's median, else the pipeline of
    lower median time.

    Returns:
        `(d bucket, q bucket) -> {"states", "wtl" (gennes against lbfgs), "times" (median seconds of "gennes",
        "lbfgs" and the faster mode), "choice"}`.
    """
    rules = {}
    for bucket, states in pooled_states(policy_records(records)).items():
        wins, ties, losses = pooled_wtl(states, "gennes-stage", ABLATION)
        margin = max(2, 0.2 * len(states))
        times = {"gennes": statistics.median(s["gennes-stage"]["cpu_time"] for _, s in states),
                 "lbfgs": statistics.median(s[ABLATION]["cpu_time"] for _, s in states),
                 "faster mode": statistics.median(min(s[m]["cpu_time"] for m in BOTORCH_MODES if m in s)
                                                  for _, s in states)}
        winner = "gennes" if wins - losses >= margin else "lbfgs" if losses - wins >= margin else None
        if winner is not None and times[winner] <= TIME_TARGET * times["faster mode"]:
            choice = winner
        else:
            choice = min(("gennes", "lbfgs"), key=lambda name: times[name])
        rules[bucket] = {"states": len(states), "wtl": (wins, ties, losses), "times": times, "choice": choice}
    return rules


def batch_rule(probes: Sequence[Mapping[str, Any]], by_acquisition: bool = False
               ) -> dict[tuple[str, ...], dict[str, Any]]:
    """The batch-strategy lever's rule (docs/design.md#the-batch-strategy-lever-the-rule-committed-before-the-probe,
    and its round 2) on the probe's states, bucket by bucket (qUCB apart with `by_acquisition`).

    Each candidate (the current choice `ABLATION` and the probe's optimizers) is *fast* when its median CPU
    seconds over the bucket's states are at most `TIME_TARGET` times the faster BoTorch mode's median; the choice is
    the fast candidate with the most value wins minus losses against the current choice (0 for itself; a tie to the
    faster), or the candidate of lowest median time if none is fast.

    Returns:
        `(d bucket, q bucket[, acquisition]) -> {"states", "faster mode" (median seconds), "candidates": name ->
        {"time", "fast", "wtl" (against the current choice), "vs default" (W/T/L against BoTorch's joint default)},
        "choice"}`.
    """
    rules = {}
    for bucket, states in pooled_states(probes, by_acquisition).items():
        names = [ABLATION, *(n for n in states[0][1] if n not in (ABLATION, "iteration", *BOTORCH_MODES))]
        faster = statistics.median(min(s[m]["cpu_time"] for m in BOTORCH_MODES if m in s) for _, s in states)
        candidates = {}
        for name in names:
            time = statistics.median(s[name]["cpu_time"] for _, s in states)
            candidates[name] = {"time": time, "fast": time <= TIME_TARGET * faster,
                                "wtl": pooled_wtl(states, name, ABLATION),
                                "vs default": pooled_wtl(states, name, "botorch-default")}
        fast = [name for name in names if candidates[name]["fast"]]
        if fast:
            choice = max(fast, key=lambda n: (candidates[n]["wtl"][0] - candidates[n]["wtl"][2],
                                              -candidates[n]["time"]))
        else:
            choice = min(names, key=lambda n: candidates[n]["time"])
        rules[bucket] = {"states": len(states), "faster mode": faster, "candidates": candidates, "choice": choice}
    return rules


def _batch_section(report: Report, lever: str, probes: Sequence[Mapping[str, Any]]) -> None:
    report.section(f"Dev states: the {lever}").paragraph(
        f"The [rule](../design.md#{LEVERS[lever].anchor}) on the dev "
        "states of d < 30 with q > 1: each candidate's W/T/L in acquisition value against the current choice "
        f"(`{ABLATION}` when the probe ran) and against BoTorch's joint default (ties within {VALUE_TOLERANCE:g}), "
        "its median CPU seconds per call, and whether that is within "
        f"{TIME_TARGET:g}x the faster BoTorch mode's median (fast). Every candidate and both modes were measured "
        "on the probe's own loops (driven by BoTorch's default, as the policy's).")
    rows = []
    for bucket, rule in sorted(batch_rule(probes, LEVERS[lever].by_acquisition).items()):
        for name, c in rule["candidates"].items():
            rows.append([", ".join(bucket), rule["states"], f"`{name}`", "/".join(map(str, c["wtl"])),
                         "/".join(map(str, c["vs default"])), f"{c['time']:.2f}", f"{rule['faster mode']:.2f}",
                         "yes" if c["fast"] else "no", "**chosen**" if name == rule["choice"] else ""])
    report.table(["bucket", "states", "candidate", "vs current", "vs default", "median (s)", "faster mode (s)",
                  "fast", "choice"], rows)


def loop_rule(cells: Mapping[str, Runs], compared: Sequence[str], reference: str | None = None,
              rule: str = "beats current") -> dict[str, Any]:
    """A batch-strategy lever's rule on whole dev loops (docs/design.md, rounds 3, 5 and 6): `cells` maps each dev
    cell to its runs by optimizer and seed, `compared[0]` is the current choice.

    Each candidate (every compared optimizer but BoTorch's modes) is *fast* when its median acquisition CPU seconds
    per iteration, over every loop of every cell, are at most `TIME_TARGET` times the reference's: `reference`'s, or
    the faster BoTorch mode's when None. One optimizer *beats* another when its wins minus losses over their paired
    (cell, seed) loops are at least 2 and at least 20 % of the pairs, and its mean final regret is lower in every
    cell (`"beats current"`) or lower on average over the cells relative to the other's (`"cheapest unbeaten"`).

    - `"beats current"`: the choice is the fast candidate that beats the current choice with the lowest mean final
      regret relative to the current choice's (averaged over cells), else the current choice.
    - `"cheapest unbeaten"`: `compared` runs from the cheapest budget to the richest (`compared[-1]`); the choice is
      the first candidate that the richest does not beat. Time is reported, not ruled on.

    Returns:
        `{"reference time" (seconds), "candidates": name -> {"means" (cell -> mean final regret), "time", "fast",
        "wtl" (against the current choice), "beats current", and under `"cheapest unbeaten"` "richest wtl" (the
        richest's W/T/L against it) and "beaten"}, "choice"}`.
    """
    if rule not in LOOP_RULES:
        raise ValueError(f"`rule` must be one of {LOOP_RULES}, got {rule!r}")
    current, richest = compared[0], compared[-1]

    def pooled_time(name: str) -> float:
        return median_acqf_time(*(runs.get(name, {}) for runs in cells.values()))

    def ratio(name: str, other: str) -> float:
        return statistics.fmean(mean_regret(runs.get(name, {})) / max(mean_regret(runs.get(other, {})), 1e-12)
                                for runs in cells.values())

    def beats(name: str, other: str) -> tuple[tuple[int, int, int], bool]:
        wtl, pairs = [0, 0, 0], 0
        for runs in cells.values():
            (w, t, l), _, seeds = paired(runs.get(name, {}), runs.get(other, {}))
            wtl, pairs = [wtl[0] + w, wtl[1] + t, wtl[2] + l], pairs + len(seeds)
        if name == other or not pairs or wtl[0] - wtl[2] < max(2, 0.2 * pairs):
            return tuple(wtl), False
        if rule == "cheapest unbeaten":
            return tuple(wtl), ratio(name, other) < 1
        return tuple(wtl), all(mean_regret(runs.get(name, {})) < mean_regret(runs.get(other, {}))
                               for runs in cells.values())

    modes = [mode for mode in BOTORCH_MODES if any(runs.get(mode) for runs in cells.values())]
    reference_time = (pooled_time(reference) if reference is not None
                      else min((pooled_time(mode) for mode in modes), default=math.nan))
    candidates = {}
    names = dict.fromkeys(n for runs in cells.values() for n in compared if n not in BOTORCH_MODES and runs.get(n))
    for name in names:
        time = pooled_time(name)
        wtl, beats_current = beats(name, current)
        candidates[name] = {"means": {cell: mean_regret(runs.get(name, {})) for cell, runs in cells.items()},
                            "time": time, "fast": time <= TIME_TARGET * reference_time, "wtl": wtl,
                            "beats current": beats_current}
        if rule == "cheapest unbeaten":
            candidates[name]["richest wtl"], candidates[name]["beaten"] = beats(richest, name)
    if rule == "cheapest unbeaten":
        choice = next((n for n in compared if n in candidates and not candidates[n]["beaten"]), current)
    else:
        better = [n for n, c in candidates.items() if c["fast"] and c["beats current"]]
        choice = min(better, key=lambda n: ratio(n, current)) if better else current
    return {"reference time": reference_time, "candidates": candidates, "choice": choice}


def _loop_section(report: Report, lever: str, cells: Mapping[str, Runs]) -> None:
    spec = LEVERS[lever]
    current = spec.compared[0]
    reference = "the faster BoTorch mode's" if spec.time_reference is None else f"`{spec.time_reference}`'s"
    chosen = {c: cells.get(c, {}) for c in spec.cells}
    rule = loop_rule(chosen, spec.compared, spec.time_reference, spec.rule)
    recorded = sum(len(runs.get(o, {})) for runs in chosen.values() for o in spec.compared)
    expected = len(chosen) * len(spec.compared) * spec.seeds
    report.section(f"Dev loops: the {lever}").paragraph(
        f"The [rule](../design.md#{spec.anchor}) on whole BO loops of each optimizer on the dev cells. Per cell: mean "
        "final regret, median acquisition CPU seconds per iteration, and W/T/L against the current choice "
        f"(`{current}` when the loops ran; lower regret wins; two-sided Wilcoxon p)."
        + ("" if recorded >= expected else f" **In progress:** {recorded} of {expected} loops recorded; the rule "
           "chooses once all have run."))
    rows = []
    for name, runs in chosen.items():
        for optimizer in (o for o in spec.compared if runs.get(o)):
            (w, t, l), p, _ = paired(runs[optimizer], runs.get(current, {}))
            time = median_acqf_time(runs[optimizer])
            rows.append([name, f"`{optimizer}`", _mean_cell(runs, optimizer), f"{time:.2f}",
                         "" if optimizer == current or optimizer not in rule["candidates"] else
                         f"{w}/{t}/{l}, p = {p:.2g}"])
    report.table(["dev cell", "optimizer", "final regret", "median (s)", "vs current"], rows)
    done = recorded >= expected
    if spec.rule == "cheapest unbeaten":
        richest = spec.compared[-1]
        report.paragraph(f"The rule over every cell's loops: the candidates from the cheapest budget to the richest "
                         f"(`{richest}`); W/T/L of the richest against each over the paired loops, and whether it "
                         "beats it (wins minus losses at least 2 and 20 % of the pairs, lower mean relative to its "
                         "own, averaged over the cells). The choice is the cheapest candidate the richest does not "
                         f"beat. Time, reported beside it: median over {reference}.")
        report.table(["optimizer", "median (s)", "vs reference", "richest's W/T/L against it", "beaten", "choice"],
                     [[f"`{name}`", f"{c['time']:.2f}", f"{c['time'] / rule['reference time']:.2f}x",
                       "" if name == richest else "/".join(map(str, c["richest wtl"])),
                       "" if name == richest else "yes" if c["beaten"] else "no",
                       "**chosen**" if name == rule["choice"] and done else ""]
                      for name, c in rule["candidates"].items()])
        return
    report.paragraph(f"The rule over every cell's loops: median time over {reference} (fast: at most "
                     f"{TIME_TARGET:g}x), W/T/L over the paired loops, and whether the candidate beats the current "
                     "choice (wins minus losses at least 2 and 20 % of the pairs, lower mean in every cell).")
    report.table(["optimizer", "median (s)", "vs reference", "W/T/L vs current", "fast", "beats current", "choice"],
                 [[f"`{name}`", f"{c['time']:.2f}", f"{c['time'] / rule['reference time']:.2f}x",
                   "" if name == current else "/".join(map(str, c["wtl"])), "yes" if c["fast"] else "no",
                   "" if name == current else "yes" if c["beats current"] else "no",
                   "**chosen**" if name == rule["choice"] and done else ""]
                  for name, c in rule["candidates"].items()])


def dev_wtl(states: Sequence[Mapping[str, Any]], cell: Cell, ours: str, theirs: str) -> tuple[int, int, int]:
    """W/T/L of `ours` against `theirs` in acquisition value over the dev states of `cell`."""
    return pooled_wtl([(cell, s) for s in states if ours in s and theirs in s], ours, theirs)


def _dev_wtl(states: Sequence[Mapping[str, Any]], cell: Cell, ours: str, theirs: str) -> str:
    w, t, l = dev_wtl(states, cell, ours, theirs)
    return f"{w}/{t}/{l}"


def _median_time(states: Sequence[Mapping[str, Any]], name: str) -> str:
    times = [s[name]["cpu_time"] for s in states if name in s]
    return f"{statistics.median(times):.2f}" if times else ""


def plot_heatmap(summaries: Sequence[Mapping[str, Any]], cells: Mapping[str, Runs], path: str | Path) -> bool:
    """Mean final regret over the better BoTorch mode's, per cell (rows) and optimizer (columns), log colors."""
    import numpy as np

    from gennes_bo.compare.plotting import panel_grid

    rows = [s for s in summaries if s.get("best_mode")]
    if not rows:
        return False
    ratios = np.full((len(rows), len(OPTIMIZERS)), np.nan)
    for i, summary in enumerate(rows):
        best = summary["means"][summary["best_mode"]]
        for j, name in enumerate(OPTIMIZERS):
            value = summary["means"].get(name, math.nan)
            if best > 0 and value > 0:
                ratios[i, j] = value / best
    with panel_grid(1, path, max_cols=1, panel_size=(1.1 * len(OPTIMIZERS) + 3, 0.5 * len(rows) + 1.5)) as (ax,):
        from matplotlib.colors import LogNorm

        finite = ratios[np.isfinite(ratios)]
        spread = max(float(np.abs(np.log10(finite)).max()) if finite.size else 1.0, 0.05)
        image = ax.imshow(ratios, cmap="RdBu_r", norm=LogNorm(10 ** -spread, 10**spread), aspect="auto")
        ax.set_xticks(range(len(OPTIMIZERS)), OPTIMIZERS, rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), [s["cell"].name for s in rows])
        for (i, j), value in np.ndenumerate(ratios):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
        ax.figure.colorbar(image, ax=ax, label="mean final regret / better BoTorch mode's")
    return True
