"""Shared by the acquisition-level probes in scripts/: the stand-in GP of a `bo-batch` problem and the summary of
variants against a reference column."""

from __future__ import annotations

import argparse
import statistics
import warnings

import torch

from benchmarks.bo_batch import MAIN_PROBLEMS, initial_design, translated_problem
from gennes_bo.compare.bo_loop import build_acquisition
from gennes_bo.compare.runner import limit_threads
from gennes_bo.models import fit_gp


def stand_in_acquisition(name: str, seed: int, q: int) -> tuple[torch.nn.Module, torch.Tensor]:
    """qLogNEI on the middle-iteration stand-in GP of `bo-batch` problem `name` (as `bo-batch --estimate` builds
    it: the 2q-point initial design plus 5q Sobol points for the BO points), and the problem's bounds."""
    problem = translated_problem({"problem": name, "seed": seed})
    bounds = problem.bounds.double()
    X = torch.cat([initial_design(bounds, 2 * q, seed), initial_design(bounds, 5 * q, seed + 1000)])
    model = fit_gp(X, -problem(X), bounds)
    return build_acquisition(model, None, "qlognei", q, seed=seed, X_baseline=X), bounds


def print_row(name: str, seed: int, row: list[tuple[float, float]]) -> None:
    """One stand-in's `(acquisition value, CPU seconds)` per variant."""
    print(f"{name:14s} {seed:3d} " + "  ".join(f"{v:9.4g} {s:6.2f} s" for v, s in row), flush=True)


def summarize(rows: list[list[tuple[float, float]]], labels: list[str]) -> None:
    """W/T/L of each variant's value against column 0 (tie: 1e-3 relative) and its median time ratio."""
    for index, label in enumerate(labels[1:], 1):
        scores = [(row[index][0] - row[0][0]) / max(abs(row[0][0]), abs(row[index][0]), 1e-12) for row in rows]
        wins, losses = sum(s > 1e-3 for s in scores), sum(s < -1e-3 for s in scores)
        ratio = statistics.median(row[index][1] / row[0][1] for row in rows)
        print(f"{label}: W/T/L against {labels[0]} {wins}/{len(rows) - wins - losses}/{losses}, "
              f"median time ratio {ratio:.2f}")


def stand_in_arguments(description: str) -> argparse.Namespace:
    """The options of a probe over stand-in GPs (`--seeds`, `--q`, `--problems`, `--botorch`), parsed; one thread
    and no warnings from here on."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--q", type=int, default=16)
    parser.add_argument("--problems", nargs="+", default=list(MAIN_PROBLEMS))
    parser.add_argument("--botorch", action="store_true", help="also time optimize_acqf's joint default")
    args = parser.parse_args()
    limit_threads()
    warnings.simplefilter("ignore")
    return args
