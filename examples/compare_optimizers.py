"""Compare the standalone optimizers of `gennes_bo.minimize` on one paper function, at equal budget.

Every method minimizes the same function (a paper benchmark on the paper's domain, `f* = 0`) with the same
number of evaluations; the figure shows the best-so-far regret against evaluations. aCMA-ES and sNES need the
`baselines` extra (cma, evotorch) and are skipped when it is not installed. The full benchmark over five
functions and five seeds is `gennes-bo bench-standalone` (docs/benchmarks/standalone.md).

    python examples/compare_optimizers.py                          # Ackley, d = 10, 2000 evaluations each
    python examples/compare_optimizers.py --function rastrigin --dim 5 --methods gennes ga acma --out figures/
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gennes_bo import OPTIMIZERS, OptimizeResult, minimize  # noqa: E402
from gennes_bo.test_functions import PAPER_FUNCTIONS, paper_function  # noqa: E402

OPTIONAL_DEPENDENCY = {"acma": "cma", "snes": "evotorch"}


def available_methods() -> list[str]:
    """Registered methods whose optional dependency is installed."""
    return [name for name in OPTIMIZERS
            if name not in OPTIONAL_DEPENDENCY or importlib.util.find_spec(OPTIONAL_DEPENDENCY[name]) is not None]


def plot(results: dict[str, OptimizeResult], title: str, path: Path) -> None:
    """Best-so-far regret against evaluations, one step curve per method."""
    fig, ax = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    for method, result in results.items():
        evals, best = zip(*result.history, strict=True)
        ax.step(evals, [max(b, 1e-14) for b in best], where="post", label=f"{method} ({result.fun:.3g})")
    ax.set(xscale="log", yscale="log", xlabel="evaluations", ylabel="best regret so far", title=title)
    ax.legend(fontsize="small", ncol=2)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, OptimizeResult]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--function", choices=PAPER_FUNCTIONS, default="ackley", help="paper function (ackley)")
    parser.add_argument("--dim", type=int, default=10, help="dimension (default 10)")
    parser.add_argument("--max-evals", type=int, default=2000, help="evaluations per method (default 2000)")
    parser.add_argument("--methods", nargs="+", default=None, help="methods to run (default: all available)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every method")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder of the figure (default: here)")
    args = parser.parse_args(argv)

    methods = args.methods or available_methods()
    function = paper_function(args.function, dim=args.dim)
    print(f"{args.function}, d = {args.dim}, {args.max_evals} evaluations per method; regret = f(best) - 0")
    results = {}
    for method in methods:
        result = minimize(function, function.bounds, method, max_evals=args.max_evals, seed=args.seed)
        results[method] = result
        print(f"{method:13s} regret {result.fun:10.4g}  ({result.nfev} evaluations, {result.wall_time:.1f} s)")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"compare_optimizers_{args.function}{args.dim}.png"
    plot(results, f"{args.function}, d = {args.dim}, seed {args.seed}", path)
    print(f"figure saved to {path}")
    return results


if __name__ == "__main__":
    main()
