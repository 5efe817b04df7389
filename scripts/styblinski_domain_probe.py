"""Styblinski-Tang under the GENNES authors' public code: does its hard-coded generator domain explain Table 1?

The public code (criteo-research/gennes, `generator.py`) maps the generator's tanh output to a hard-coded
`DOMAIN = [(-3, 3)]` per coordinate, and `objective.py` evaluates `f(x - t)` with `t ~ U(-0.5, 0.5)^d`. The paper
states the domain `[-10, 10]^d` for Styblinski-Tang. This probe runs the same folds (`small_translation`, the
`public-code` translation of `gennes-bo table1`) on both boxes: the table's `[-10, 10]^d` and the public code's
`[-3, 3]^d`, with `f*` recomputed exactly on the smaller box (coordinate by coordinate: the translated minimizer
can leave it). Mean regret at 1e2 / 1e3 / 1e4 / 1e5 evaluations per method and box, and how many coordinates of
the final point sit in the wrong basin (the local minimum near +2.75 instead of the global one near -2.90).

    PYTHONPATH=. python scripts/styblinski_domain_probe.py [--dims 10 30] [--folds 10] [--methods gennes acma]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from benchmarks.standalone import CHECKPOINTS, regret_at
from benchmarks.table1 import METHOD_OPTIONS
from gennes_bo.compare.runner import limit_threads
from gennes_bo.optimizers import minimize
from gennes_bo.test_functions import TRANSLATIONS, paper_function
from gennes_bo.test_functions.synthetic import interval_minimum

PUBLIC_DOMAIN = 3.0  # criteo-research/gennes generator.py: DOMAIN = [(-3, 3)]
SETTINGS = {"gennes": METHOD_OPTIONS["gennes"], "gennes-0.999": {**METHOD_OPTIONS["gennes"], "alpha": 0.999,
                                                                  "restart_noise": None},
            "acma": METHOD_OPTIONS["acma"], "bipop-acma": METHOD_OPTIONS["bipop-acma"]}
METHODS = {"gennes-0.999": "gennes"}  # setting name -> method, where they differ
ONE_COORDINATE = paper_function("styblinski_tang", 1)


def term(z: torch.Tensor) -> torch.Tensor:
    """One coordinate's Styblinski-Tang term (the paper's function at d = 1, global minimum 0), elementwise."""
    return ONE_COORDINATE._evaluate_true(z.reshape(-1, 1)).reshape(z.shape)


def run(dim: int, fold: int, setting: str, half_width: float) -> tuple[list[float], int]:
    """Regrets at the checkpoints and wrong-basin coordinates of one run on `[-half_width, half_width]^dim`."""
    function = TRANSLATIONS["public-code"](paper_function("styblinski_tang", dim), fold)
    shift = function.shift
    bounds = torch.tensor([[-half_width] * dim, [half_width] * dim], dtype=torch.float64)
    f_star = sum(interval_minimum(lambda z, t=float(t): term(z - t), -half_width, half_width)[1] for t in shift)
    result = minimize(function._evaluate_true, bounds, METHODS.get(setting, setting), max_evals=100_000, seed=fold,
                      **SETTINGS[setting])
    regrets = [regret_at(result.history, n, f_star) for n in CHECKPOINTS]
    wrong = int(((torch.as_tensor(result.x, dtype=torch.float64) - shift) > 0.16).sum())  # the basins meet at 0.157
    return regrets, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", nargs="+", type=int, default=[10, 30])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--methods", nargs="+", choices=list(SETTINGS), default=["gennes", "gennes-0.999", "acma"])
    args = parser.parse_args()
    limit_threads()
    print("| d | method | box | regret 1e2 | 1e3 | 1e4 | 1e5 | wrong-basin coordinates (mean) |")
    print("|---|---|---|---|---|---|---|---|")
    for dim in args.dims:
        for setting in args.methods:
            for half_width in (10.0, PUBLIC_DOMAIN):
                runs = [run(dim, fold, setting, half_width) for fold in range(args.folds)]
                means = [statistics.fmean(r[0][i] for r in runs) for i in range(len(CHECKPOINTS))]
                wrong = statistics.fmean(r[1] for r in runs)
                print(f"| {dim} | {setting} | [-{half_width:g}, {half_width:g}] | "
                      + " | ".join(f"{m:.3g}" for m in means) + f" | {wrong:.1f} |", flush=True)


if __name__ == "__main__":
    main()
