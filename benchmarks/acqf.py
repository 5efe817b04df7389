"""Acquisition-optimizer benchmark: `optimize_acqf_gennes` against `optimize_acqf` on fixed GP posteriors.

For each case (test function, dimension, training-set size, q, acquisition) and seed, a SingleTaskGP is fitted
on uniformly random training points of the function (mapped to the unit cube, negated to maximize); then every
method (a name of the registry `gennes_bo.compare.registry`) maximizes the same acquisition function
(same QMC base samples). Recorded per run: acquisition value reached, wall time, acquisition points evaluated
and the anytime curve (best value vs points). Records are
JSONL, one line per run, resumable; runs execute on local processes (`--workers`, one CPU thread each) or a
Dask cluster (`--scheduler`). `--report` writes the markdown table from records only. `--estimate` times one call
per method and case and prints the suite's CPU hours; a fresh suite estimated above 1 CPU hour asks for `--yes`.

    gennes-bo bench-acqf                                   # the full suite into results/acqf.jsonl (resumes)
    gennes-bo bench-acqf --problems hartmann6 --q 4 --workers 2
    gennes-bo bench-acqf --report                          # docs/benchmarks/acquisition.md and its figure
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Standardize
from botorch.sampling import SobolQMCNormalSampler
from gpytorch.mlls import ExactMarginalLogLikelihood

from gennes_bo.compare.plotting import log_grid, panel_grid, step_values
from gennes_bo.compare.records import thin_trace
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, run_acqf_optimizer
from gennes_bo.compare.report import Report, median_or_nan, run_report_command, win_tie_loss, wtl_text
from gennes_bo.compare.runner import (
    COST_COLUMNS,
    CellCost,
    add_grid_arguments,
    add_optimizers_argument,
    add_problems_argument,
    limit_threads,
    run_grid_command,
    seeds_or_default,
)
from gennes_bo.test_functions import get_problem, parse_problem_key

# Record keys of the suite's problems: a registered problem and its dimension (`problem_key`), e.g. Ackley d = 10.
PROBLEMS = ("hartmann6", "ackley10", "ackley20", "alpine1_20", "levy10")


@dataclass(frozen=True)
class Case:
    """One acquisition landscape family: a test function, a training-set size, q and the acquisition."""

    problem: str  # a record key of gennes_bo.test_functions.problem_key: `ackley10` is Ackley in d = 10
    n_train: int
    q: int
    acqf: str  # "logei" (analytic, q = 1) or "qlogei"


def _suite() -> list[Case]:
    shapes = [("hartmann6", 30, (1, 4, 8)), ("ackley10", 50, (1, 4)), ("ackley20", 100, (1, 4)),
              ("alpine1_20", 100, (1, 4)), ("levy10", 50, (1, 4))]
    cases = []
    for problem, n_train, qs in shapes:
        for q in qs:
            for acqf in (("logei", "qlogei") if q == 1 else ("qlogei",)):
                cases.append(Case(problem, n_train, q, acqf))
    return cases


SUITE = _suite()
QUICK_SUITE = [Case("hartmann6", 20, 1, "logei"), Case("hartmann6", 20, 2, "qlogei")]

METHODS = ("gennes-hybrid", "botorch-default", "botorch-10x", "lbfgs-same-starts")
QUICK_METHODS = ("gennes-hybrid", "botorch-default")
BASELINE = "botorch-default"
TARGET = "gennes-hybrid"
SEEDS = 5
QUICK = {"cases": "hartmann6, 20 points, q 1 and 2", "methods": " and ".join(QUICK_METHODS),
         "seeds": 1}  # what --help shows; the preset itself is QUICK_SUITE and QUICK_METHODS
DEFAULT_OUT = "results/acqf.jsonl"
DEFAULT_REPORT = "docs/benchmarks/acquisition.md"


def build_acquisition(case: Case, seed: int) -> tuple[torch.nn.Module, torch.Tensor]:
    """Fit the case's GP on seeded training data and build its acquisition over the unit cube."""
    function = get_problem(*parse_problem_key(case.problem))
    d = function.dim
    rng = torch.Generator().manual_seed(seed)
    X = torch.rand(case.n_train, d, generator=rng, dtype=torch.float64)
    lower, upper = function.bounds.to(X)
    Y = -function(lower + (upper - lower) * X)  # maximize
    model = SingleTaskGP(X, Y.unsqueeze(-1), outcome_transform=Standardize(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    best_f = Y.max()
    if case.acqf == "logei":
        acqf = LogExpectedImprovement(model, best_f=best_f)
    elif case.acqf == "qlogei":
        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([128]), seed=seed)
        acqf = qLogExpectedImprovement(model, best_f=best_f, sampler=sampler)
    else:
        raise ValueError(f"`acqf` must be 'logei' or 'qlogei', got {case.acqf!r}")
    bounds = torch.stack([torch.zeros(d), torch.ones(d)]).to(X)
    return acqf, bounds


def run_method(acqf: torch.nn.Module, bounds: torch.Tensor, q: int, method: str, seed: int) -> dict:
    """Run the acquisition optimizer called `method` seeded with `seed`: the record's result.

    Returns:
        `value`, `wall_time`, `n_evals`, the thinned anytime `trace` and `resolved`, what the optimizer ran with
        (its registry entry's settings for q; None for an import path).

    Raises:
        ValueError: For an unknown `method`.
    """
    entry, task = get_acqf_optimizer(method), AcqfTask(q=q)
    run = run_acqf_optimizer(entry.make(task), acqf, bounds, q, seed, record=True)
    return {"value": run.value, "wall_time": run.wall_time, "n_evals": run.n_evals, "trace": thin_trace(run.trace),
            "resolved": entry.resolved_settings(task)}


def make_specs(cases: Sequence[Case], methods: Sequence[str], seeds: Sequence[int]) -> list[dict[str, Any]]:
    """One spec per (case, seed, method), in that order: the methods of a case and seed run one after another."""
    return [{"kind": "bench-acqf", "case": asdict(case), "seed": seed, "optimizer": name}
            for case in cases for seed in seeds for name in methods]


_LAST_ACQUISITION = threading.local()  # per thread: a Dask worker's threads must not share a counted acquisition


def _cached_acquisition(case: Case, seed: int) -> tuple[torch.nn.Module, torch.Tensor]:
    """The last case's acquisition in this thread, kept so that a worker fits each GP once for the methods it runs
    next (specs come ordered case, seed, method)."""
    if getattr(_LAST_ACQUISITION, "key", None) != (case, seed):
        _LAST_ACQUISITION.value = build_acquisition(case, seed)
        _LAST_ACQUISITION.key = (case, seed)
    return _LAST_ACQUISITION.value


def run_acqf_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one spec of :func:`make_specs` in a worker (picklable, top level): the record body `{"result"}`."""
    case = Case(**spec["case"])
    acqf, bounds = _cached_acquisition(case, spec["seed"])
    return {"result": run_method(acqf, bounds, case.q, spec["optimizer"], spec["seed"])}


def spec_settings(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a spec's optimizer resolves to now (its registry entry's settings at the case's q), recorded with each
    run to detect records of other settings; None for an import path."""
    return get_acqf_optimizer(spec["optimizer"]).resolved_settings(AcqfTask(q=spec["case"]["q"]))


def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | CellCost]:
    """Time one call per method and case, and cost the suite's runs without running them.

    Each case's GP is fitted to seed 0's training points in this process (one thread), then each method maximizes
    its acquisition once, after an untimed warm-up. A run costs its method's call plus its share of the GP fit,
    which a worker makes once for the methods of a case and seed.

    Yields:
        A header, then as they are measured one `CellCost` per case and method, and a line of the case's GP fit.
    """
    from gennes_bo.compare.bo_loop import warm_up

    limit_threads()
    cases: dict[Case, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for spec in specs:
        cases[Case(**spec["case"])][spec["optimizer"]].append(spec)
    yield f"{'case':28s} {'method':20s} {'call (s)':>9s} {'points':>8s} {COST_COLUMNS}"
    for case, methods in cases.items():
        title = f"{case.problem} n={case.n_train} q={case.q} {case.acqf}"
        start = time.process_time()
        acqf, bounds = build_acquisition(case, 0)
        fit = time.process_time() - start
        for method, method_specs in methods.items():
            warm_up(method, "logei", case.q)
            run = run_acqf_optimizer(get_acqf_optimizer(method).make(AcqfTask(q=case.q)), acqf, bounds, case.q, 0)
            yield CellCost(f"{title:28s} {method:20s} {run.cpu_time:9.2f} {run.n_evals:8d}", method_specs,
                           (run.cpu_time + fit / len(methods)) / 3600)
        yield f"{title:28s} {'(GP fit)':20s} {fit:9.2f}"


# ----------------------------------------------------------------------------------------------- report


def summarize(records: list[dict], baseline: str = BASELINE, method: str = TARGET, rel_tol: float = 1e-3):
    """Per case: values, ratios and win/tie/loss of `method` against `baseline` (paired by seed)."""
    by_run = {(json.dumps(r["spec"]["case"], sort_keys=True), r["spec"]["seed"], r["spec"]["optimizer"]): r["result"]
              for r in records}
    rows = []
    for case_key in sorted({k[0] for k in by_run}, key=lambda k: list(json.loads(k).values())):
        seeds = sorted({k[1] for k in by_run if k[0] == case_key and (k[0], k[1], baseline) in by_run
                        and (k[0], k[1], method) in by_run})
        if not seeds:
            continue
        row: dict[str, Any] = {"case": json.loads(case_key), "n_seeds": len(seeds)}
        rel_gain, time_ratio, eval_ratio, reach_ratio = [], [], [], []
        others: dict[str, list[float]] = defaultdict(list)
        for seed in seeds:
            base, ours = by_run[(case_key, seed, baseline)], by_run[(case_key, seed, method)]
            scale = max(abs(base["value"]), 1e-12)
            gain = (ours["value"] - base["value"]) / scale
            rel_gain.append(gain)
            time_ratio.append(ours["wall_time"] / base["wall_time"])
            eval_ratio.append(ours["n_evals"] / base["n_evals"])
            target = base["value"] - rel_tol * scale
            reached = next((n for n, v in ours["trace"] if v >= target), None)
            reach_ratio.append(reached / base["n_evals"] if reached is not None else math.inf)
            for name in {k[2] for k in by_run if k[0] == case_key and k[1] == seed}:
                others[name].append(by_run[(case_key, seed, name)]["value"])
                others[name + ":time"].append(by_run[(case_key, seed, name)]["wall_time"])
                others[name + ":evals"].append(by_run[(case_key, seed, name)]["n_evals"])
        wins, ties, losses = win_tie_loss(rel_gain, rel_tol)
        row.update(rel_gain=rel_gain, time_ratio=median_or_nan(time_ratio), eval_ratio=median_or_nan(eval_ratio),
                   reach_ratio=median_or_nan(reach_ratio), wins=wins, ties=ties, losses=losses,
                   medians={k: median_or_nan(v) for k, v in others.items()})
        rows.append(row)
    return rows


def write_report(records: list[dict], path: str | Path, command: str) -> str:
    """Write the markdown comparison table generated from `records` and the anytime curves beside it
    (`<its stem>_anytime.png`); return the markdown."""
    rows = summarize(records)
    methods = sorted({r["spec"]["optimizer"] for r in records})
    # the method table of records written before the registry (their methods' settings are in `resolved` now)
    settings = {r["spec"]["optimizer"]: r["spec"]["settings"] for r in records if "settings" in r["spec"]}
    env = records[0]["env"] if records else {}
    report = Report(path, "Acquisition-optimizer benchmark")
    report.paragraph("Generated by `benchmarks.acqf` from the records; do not edit by hand. Rerun with:")
    report.code(command)
    report.paragraph(
        "Each case fits a SingleTaskGP to `n_train` uniformly random points of the (negated) test function in the",
        "unit cube and maximizes the acquisition with every method (same QMC base samples). Values are",
        "acquisition values (log scale for LogEI/qLogEI): higher is better; the value columns are medians over",
        "seeds. W/T/L and the ratios compare GENNES with the default seed by seed (tie: within 1e-3 relative);",
        "ratios are medians of GENNES / default. *Points to reach* = acquisition points GENNES evaluated until",
        "its best value came within 1e-3 (relative) of the default's final value, divided by the default's total",
        "points (inf: never). *L-BFGS, GENNES's starts* is the ablation: GENNES's pipeline with BoTorch's",
        "L-BFGS-B alone (its restarts and raw samples; for q > 1 its greedy steps and joint polish), which",
        "isolates what the generators add. For q > 1, *GENNES joint* is the earlier default (`gennes-hybrid-joint`:",
        "generators over whole `q x d` batches), recorded before the greedy strategy became the default.")
    if settings:
        report.paragraph("Methods: " + "; ".join(f"`{m}` = {json.dumps(settings[m], sort_keys=True)}"
                                                 for m in methods if m in settings))
    report.paragraph(*_resolved_settings(records))
    report.paragraph(f"Environment: {json.dumps(env, sort_keys=True)}; wall times on this machine, serial runs.")
    report.table(["problem", "n_train", "q", "acqf", "seeds", "default", "10x budget", "L-BFGS, GENNES's starts",
                  "GENNES joint", "GENNES", "GENNES vs default (median rel.)", "W/T/L", "time ratio", "points ratio",
                  "points to reach"], map(_table_row, rows))
    report.section("Targets").bullets(_targets(rows))
    report.figure("anytime", lambda figure: plot_anytime(records, figure), heading="Anytime curves (q >= 4)",
                  caption=["Best acquisition value found so far minus the default's final value, against acquisition "
                           "points", "evaluated (median over seeds; above 0 = better than BoTorch's default)."],
                  alt="anytime curves")
    return report.write()


ANYTIME_METHODS = {TARGET: "GENNES", "gennes-hybrid-joint": "GENNES joint (earlier default)",
                   BASELINE: "default (20/1024)", "botorch-10x": "10x budget",
                   "lbfgs-same-starts": "L-BFGS, GENNES's starts"}


def plot_anytime(records: list[dict], path: str | Path) -> bool:
    """One panel per q-batch case: median over seeds of (best value so far - default's final value) against
    acquisition points, per method, from the recorded anytime traces; False if there is nothing to plot."""
    runs: dict[str, dict[str, dict[int, dict]]] = defaultdict(lambda: defaultdict(dict))
    for record in records:
        case = record["spec"]["case"]
        if case["q"] >= 4 and record["spec"]["optimizer"] in ANYTIME_METHODS:
            key = f"{case['problem']} q={case['q']} {case['acqf']}"
            runs[key][record["spec"]["optimizer"]][record["spec"]["seed"]] = record["result"]
    cases = [key for key in sorted(runs) if BASELINE in runs[key]]
    if not cases:
        return False
    with panel_grid(len(cases), path, max_cols=3, panel_size=(4.6, 3.4)) as axes:
        for ax, key in zip(axes, cases, strict=True):
            reference = {seed: result["value"] for seed, result in runs[key][BASELINE].items()}
            for method, label in ANYTIME_METHODS.items():
                results = {s: r for s, r in runs[key].get(method, {}).items() if s in reference and r["trace"]}
                if not results:
                    continue
                grid = log_grid(min(r["trace"][0][0] for r in results.values()),
                                max(r["n_evals"] for r in results.values()), 150)
                gaps = [step_values(r["trace"], grid) - reference[s] for s, r in results.items()]
                ax.plot(grid, np.nanmedian(gaps, axis=0), label=label)
            ax.axhline(0.0, color="gray", lw=0.8, ls=":")
            ax.set(xscale="log", title=key, xlabel="acquisition points", ylabel="best - default's final")
            ax.set_ylim(bottom=max(ax.get_ylim()[0], -1.0))
            ax.legend(fontsize="x-small")
    return True


def _table_row(row: dict) -> list[str]:
    """A case's cells: the methods' median values, GENNES against the default, W/T/L and the ratios."""
    c, med = row["case"], row["medians"]
    joint = med.get("gennes-hybrid-joint")
    return [c["problem"], c["n_train"], c["q"], c["acqf"], row["n_seeds"],
            *(f"{med.get(m, math.nan):.4f}" for m in (BASELINE, "botorch-10x", "lbfgs-same-starts")),
            "—" if joint is None else f"{joint:.4f}", f"{med.get(TARGET, math.nan):.4f}",
            f"{median_or_nan(row['rel_gain']):+.2e}", wtl_text((row["wins"], row["ties"], row["losses"])),
            f"{row['time_ratio']:.2f}", f"{row['eval_ratio']:.2f}", f"{row['reach_ratio']:.2f}"]


def _resolved_settings(records: list[dict]) -> list[str]:
    """What each GENNES method's defaults resolved to, for q = 1 and for q > 1: lines of one paragraph."""
    resolved = {}
    for record in records:
        if record["result"].get("resolved") is not None:
            q = "q = 1" if record["spec"]["case"]["q"] == 1 else "q > 1"
            resolved[(record["spec"]["optimizer"], q)] = record["result"]["resolved"]
    return [f"`{method}` resolved for {q}: `{json.dumps(value, sort_keys=True)}`" + "  " for (method, q), value in
            sorted(resolved.items())]


def _targets(rows: list[dict]) -> list[str]:
    """The benchmark's targets, each met or missed: bullet items."""
    q1 = [g for r in rows if r["case"]["q"] == 1 for g in r["rel_gain"]]
    qb = [r for r in rows if r["case"]["q"] >= 4]
    worst_q1 = min(q1) if q1 else math.nan
    qb_better = sum(median_or_nan(r["rel_gain"]) > 0 for r in qb)
    times = [r["time_ratio"] for r in rows]
    reach = [r["reach_ratio"] for r in rows]

    def status(ok: bool) -> str:
        return "met" if ok else "**missed**"

    return [
        f"q = 1 never worse than default by more than 1e-3 relative: worst run {worst_q1:+.2e} "
        f"-> {status(worst_q1 >= -1e-3)}",
        f"q >= 4 median better than default: {qb_better} of {len(qb)} cases -> {status(qb_better == len(qb))}",
        f"wall time <= 1x default: case medians {min(times, default=math.nan):.2f} to "
        f"{max(times, default=math.nan):.2f}, {sum(t <= 1 for t in times)} of {len(times)} cases -> "
        f"{status(all(t <= 1 for t in times))}",
        f"points to reach the default's value <= 50% of the default's points: case medians "
        f"{min(reach, default=math.nan):.2f} to {max(reach, default=math.nan):.2f}, "
        f"{sum(x <= 0.5 for x in reach)} of {len(reach)} cases -> {status(all(x <= 0.5 for x in reach))}",
    ]


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo bench-acqf`."""
    parser = commands.add_parser("bench-acqf", help="benchmark optimize_acqf_gennes against optimize_acqf",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_problems_argument(parser, choices=sorted(PROBLEMS),
                          help=f"restrict to these problems, among {', '.join(PROBLEMS)} (default all)")
    parser.add_argument("--q", nargs="+", type=int, help="restrict to these q (default all: 1 4 8)")
    add_optimizers_argument(parser, "--methods", help=f"acquisition optimizers: registered names or "
                                                      f"package.module:function (default {' '.join(METHODS)})")
    add_grid_arguments(parser, default_out=DEFAULT_OUT, default_report=DEFAULT_REPORT, default_seeds=SEEDS,
                       quick=QUICK, estimate="time one call per method and case")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    if args.report:
        return run_report_command(args, "bench-acqf", write_report)
    cases = QUICK_SUITE if args.quick else SUITE
    methods = args.optimizers or (QUICK_METHODS if args.quick else METHODS)
    if args.problems:
        cases = [c for c in cases if c.problem in args.problems]
    if args.q:
        cases = [c for c in cases if c.q in args.q]
    for name in methods:  # fail before fitting any GP
        try:
            get_acqf_optimizer(name)
        except ValueError as err:
            raise SystemExit(f"gennes-bo bench-acqf: {err}") from err
    specs = make_specs(cases, methods, range(seeds_or_default(args, QUICK, SEEDS)))
    return run_grid_command(specs, run_acqf_spec, args, "bench-acqf", settings=spec_settings, estimate=estimate)
