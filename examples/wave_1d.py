"""GA, actor-critic and neurogenetic optimization on the 1-D wave O(x) = sin x + sin 10x - 0.01 x^2.

The wave of the neurogenetic blog post has dozens of local maxima on [-10, 10]; the three methods maximize it
through `gennes_bo.minimize(..., maximize=True)`. The objective is wrapped so that every evaluated population
is recorded, and the figure shows the function with the populations over iterations (color: evaluation index)
and the best-so-far curves.

    python examples/wave_1d.py                       # 4000 evaluations per method, a few seconds
    python examples/wave_1d.py --max-evals 1000 --seed 3 --out figures/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from gennes_bo import OptimizeResult, minimize  # noqa: E402
from gennes_bo.test_functions import Wave1D  # noqa: E402

METHODS = ("ga", "actor_critic", "neurogenetic")


def wave(x: Tensor) -> Tensor:
    """O(x) = sin x + sin 10x - 0.01 x^2 for an `n x 1` tensor; returns `n` values."""
    x = x[..., 0]
    return torch.sin(x) + torch.sin(10.0 * x) - 0.01 * x**2


def run_method(method: str, max_evals: int, seed: int) -> tuple[OptimizeResult, list[Tensor]]:
    """Maximize the wave with one method; return the result and every evaluated population (`n x 1` each)."""
    populations: list[Tensor] = []

    def recorded(x: Tensor) -> Tensor:
        populations.append(x.detach().clone())
        return wave(x)

    bounds = torch.tensor([[-10.0], [10.0]], dtype=torch.float64)
    result = minimize(recorded, bounds, method, max_evals=max_evals, seed=seed, maximize=True)
    return result, populations


def plot(results: dict[str, tuple[OptimizeResult, list[Tensor]]], optimum: float, path: Path) -> None:
    """Function with populations (one panel per method) and best-so-far gap to the maximum."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    grid = torch.linspace(-10.0, 10.0, 2001, dtype=torch.float64).unsqueeze(-1)
    curve = wave(grid)
    for ax, (method, (result, populations)) in zip(axes.flat, results.items(), strict=False):
        ax.plot(grid[:, 0], curve, color="0.6", lw=1)
        x = torch.cat(populations)[:, 0]
        order = torch.arange(len(x), dtype=torch.float64)
        points = ax.scatter(x, wave(x.unsqueeze(-1)), c=order, cmap="viridis", s=6, alpha=0.6)
        ax.axvline(float(result.x[0]), color="red", lw=1, ls="--")
        ax.set(title=f"{method}: best O = {result.fun:.6f} at x = {float(result.x[0]):.4f}", xlabel="x",
               ylabel="O(x)")
        fig.colorbar(points, ax=ax, label="evaluation")
    gap_ax = axes.flat[len(results)]
    for method, (result, _) in results.items():
        evals, best = zip(*result.history, strict=True)
        gap_ax.step(evals, [max(optimum - b, 1e-12) for b in best], where="post", label=method)
    gap_ax.set(xscale="log", yscale="log", xlabel="evaluations", ylabel="max O - best so far",
               title="best-so-far gap to the global maximum")
    gap_ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, OptimizeResult]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-evals", type=int, default=4000, help="evaluations per method (default 4000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every method")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder of the figure (default: here)")
    args = parser.parse_args(argv)

    optimum = -Wave1D().optimal_value  # Wave1D evaluates -O
    print(f"O(x) = sin x + sin 10x - 0.01 x^2 on [-10, 10]; global maximum {optimum:.6f} "
          f"at x = {Wave1D().optimizers[0, 0].item():.6f}")
    results = {}
    for method in METHODS:
        result, populations = run_method(method, args.max_evals, args.seed)
        results[method] = (result, populations)
        print(f"{method:13s} best O = {result.fun:.6f} at x = {float(result.x[0]):.6f} "
              f"({result.nfev} evaluations, {len(populations)} populations, {result.wall_time:.1f} s)")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "wave_1d.png"
    plot(results, optimum, path)
    print(f"figure saved to {path}")
    return {method: result for method, (result, _) in results.items()}


if __name__ == "__main__":
    main()
