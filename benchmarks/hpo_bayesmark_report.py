"""The report of `gennes-bo hpo-bayesmark` (docs/results/hpo_bayesmark.md), from its records only.

Per split and protocol: bayesmark's leaderboard score (100 x the mean over problems of each run's normalized score)
and mean rank at each checkpoint, over the problem x seed pairs that every sampler of the table ran; paired
comparisons of ours with TPE, GPSampler and the other samplers (W/T/L and two-sided Wilcoxon over problem x seed of
the normalized score at the last checkpoint; on dev, also of `DEV_DEFAULT`, the dev runs of today's defaults); and
sampler CPU seconds per trial against GPSampler's. The test split is what the README quotes; dev is where the
sampler's defaults were chosen.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.hpo_bayesmark_spec import BASELINES, DEV_DEFAULT, PROTOCOLS, SAMPLERS, TARGET
from gennes_bo.compare.report import Report, markdown_table, paired_p_value, win_tie_loss

ALPHA = 0.05
TIME_TARGET = 1.5  # sampler time per trial, at most this times GPSampler's
Runs = dict[str, dict[str, dict[int, list[float]]]]  # problem -> sampler -> seed -> losses


def group(records: Sequence[Mapping[str, Any]], split: str, protocol: str) -> tuple[Runs, dict[str, list[float]]]:
    """The losses of the split's runs in one protocol, and every sampler's CPU seconds per trial."""
    runs: Runs = defaultdict(lambda: defaultdict(dict))
    times: dict[str, list[float]] = defaultdict(list)
    for record in records:
        spec = record["spec"]
        if spec.get("kind") == "hpo-bayesmark" and spec["split"] == split and spec["protocol"] == protocol:
            runs[spec["problem"]][spec["sampler"]][spec["seed"]] = record["values"]
            times[spec["sampler"]].extend(record["sampler_time"])
    return runs, times


def common(runs: Runs, samplers: Sequence[str]) -> Runs:
    """The runs restricted to `samplers` and, per problem, to the seeds all of them ran (problems with none left
    out)."""
    kept: Runs = {}
    for problem, by_sampler in runs.items():
        if not all(s in by_sampler for s in samplers):
            continue
        seeds = set.intersection(*(set(by_sampler[s]) for s in samplers))
        if seeds:
            kept[problem] = {s: {seed: by_sampler[s][seed] for seed in sorted(seeds)} for s in samplers}
    return kept


def score_table(runs: Runs, samplers: Sequence[str], checkpoints: Sequence[int]) -> list[list[str]]:
    """Rows of sampler, leaderboard score and mean rank at each checkpoint, best final score first."""
    from benchmarks.bayesmark_problems import mean_ranks, mean_scores

    scores, ranks = mean_scores(runs, checkpoints), mean_ranks(runs, checkpoints)
    order = sorted(samplers, key=lambda s: -scores[s][-1])
    return [[f"`{s}`", *(f"{v:.1f}" for v in scores[s]), *(f"{v:.2f}" for v in ranks[s])] for s in order]


def paired_scores(runs: Runs, checkpoints: Sequence[int], ours: str, theirs: str) -> tuple[tuple[int, int, int], float]:
    """W/T/L of `ours` against `theirs` in normalized score at the last checkpoint over problem x seed (ties within
    1e-9), and the two-sided Wilcoxon p of the paired differences."""
    from benchmarks.bayesmark_problems import compute_baseline, normalized_scores

    differences = []
    for by_sampler in runs.values():
        scores = normalized_scores(by_sampler, checkpoints, compute_baseline(by_sampler, checkpoints))
        differences.extend((scores[ours][:, -1] - scores[theirs][:, -1]).tolist())
    return win_tie_loss(differences, 1e-9), paired_p_value(differences)


def recorded_test_runs(records: Sequence[Mapping[str, Any]], protocol: str) -> tuple[int, int]:
    """How many of the test split's runs of one protocol by the samplers that run on every seed (not HEBO's and
    Vizier's, which run on fewer) are recorded, and how many the grid has."""
    from benchmarks.hpo_bayesmark_spec import default_samplers, grid_runs

    core = [s for s in default_samplers("test") if SAMPLERS[s].seeds is None]
    keys = {(problem, sampler, seed) for _, seed, problem, sampler in grid_runs("test", None, core, [protocol])}
    recorded = {(r["spec"]["problem"], r["spec"]["sampler"], r["spec"]["seed"]) for r in records
                if r["spec"].get("kind") == "hpo-bayesmark" and r["spec"]["split"] == "test"
                and r["spec"]["protocol"] == protocol}
    return len(keys & recorded), len(keys)


def write_report(records: Sequence[Mapping[str, Any]], path: str | Path, command: str) -> str:
    """Write the report of the records; return the markdown."""
    report = Report(path, "HPO on bayesmark's problems: Optuna samplers side by side")
    report.generated_by(command, len(records), "gennes-bo hpo-bayesmark")
    report.paragraph(
        "Score: bayesmark's, 100 x the mean over problems of each run's `1 - clip((best so far - opt) / (clip - opt), "
        "-1, 1)`, with `opt` the best loss any run found on the problem and `clip` the median loss of a random "
        "trial (100: the best loss ever found; 0: no better than a median random trial). Mean rank: per problem, "
        "seed and checkpoint, ranked by best loss so far (1 is best), averaged. Each table holds the problem x seed "
        "pairs that all its samplers ran; paired tests are two-sided Wilcoxon over those pairs, on the normalized "
        "score at the last checkpoint.")
    recorded = {record["spec"]["sampler"] for record in records}
    report.table(["sampler", "what"], [[f"`{name}`", entry.description] for name, entry in SAMPLERS.items()
                                       if name in recorded])
    for split in ("test", "dev"):
        for protocol, protocol_spec in PROTOCOLS.items():
            runs, times = group(records, split, protocol)
            if not runs:
                continue
            if split == "test":
                done, total = recorded_test_runs(records, protocol)
                if done < total:
                    report.section(f"Test split, {protocol} protocol: held back")
                    report.paragraph(
                        f"{done} of the {total} runs of the core samplers are recorded. A test section appears only "
                        "when its grid is complete, so that no default is chosen, and no verdict quoted, from a "
                        "partial test result.")
                    continue
            _section(report, split, protocol, runs, times, protocol_spec["checkpoints"])
    report.paragraph("Regenerate:").code(command)
    return report.write()


def _section(report: Report, split: str, protocol: str, runs: Runs, times: Mapping[str, list[float]],
             checkpoints: Sequence[int]) -> None:
    present = [s for s in SAMPLERS if any(s in by_sampler for by_sampler in runs.values())]
    cheap = [s for s in present if SAMPLERS[s].seeds is None]
    title = f"{split.capitalize()} split, {protocol} protocol"
    report.section(title)
    for samplers, what in ((cheap, "every sampler run on all seeds"),
                           (present, "with HEBO and Vizier, on their seeds")):
        if not samplers or (samplers is present and present == cheap):
            continue
        kept = common(runs, samplers)
        if not kept:
            continue
        n_pairs = sum(len(next(iter(by_sampler.values()))) for by_sampler in kept.values())
        report.paragraph(f"{what.capitalize()}: {len(kept)} problems, {n_pairs} problem x seed pairs.")
        report.table(["sampler", *(f"score @{c}" for c in checkpoints), *(f"rank @{c}" for c in checkpoints)],
                     score_table(kept, samplers, checkpoints))
        references = [TARGET] + ([DEV_DEFAULT] if split == "dev" else [])
        for reference in (r for r in references if r in samplers):
            rows = []
            for baseline in (*BASELINES, *[s for s in samplers if s not in (*BASELINES, reference, "random")]):
                if baseline in samplers:
                    (w, t, l), p = paired_scores(kept, checkpoints, reference, baseline)
                    rows.append([f"`{baseline}`", f"{w}/{t}/{l}", f"{p:.2g}"])
            what = "" if reference == TARGET else " (today's defaults on dev, the reference of later dev levers)"
            report.paragraph(f"`{reference}`{what} against each sampler at {checkpoints[-1]} trials "
                             f"(W/T/L of `{reference}`):")
            report.table(["against", "W/T/L", "p"], rows)
    if "gp" in times and TARGET in times and times["gp"]:
        ratio = statistics.fmean(times[TARGET]) / statistics.fmean(times["gp"])
        verdict = "met" if ratio <= TIME_TARGET else "missed"
        report.paragraph(f"Sampler CPU seconds per trial, mean over every trial: `{TARGET}` "
                         f"{statistics.fmean(times[TARGET]):.3f}, `gp` {statistics.fmean(times['gp']):.3f}: "
                         f"{ratio:.2f}x (target at most {TIME_TARGET}x: {verdict}).")
    report.paragraph(markdown_table(["sampler", "s per trial"], [[f"`{s}`", f"{statistics.fmean(v):.3f}"]
                                                                  for s, v in times.items() if v]))
