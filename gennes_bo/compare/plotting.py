"""Figure scaffolding shared by the benchmark reports: a grid of panels written to a PNG (Agg backend), and the
curves they draw: step functions (best so far) sampled on a common grid, averaged over runs."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


@contextmanager
def panel_grid(n_panels: int, path: str | Path, *, max_cols: int, panel_size: tuple[float, float],
               dpi: int = 100) -> Iterator[list[Any]]:
    """Yield `n_panels` matplotlib axes laid out in rows of at most `max_cols`; on exit, hide the unused cells and
    save the figure to `path` (parents created).

    Args:
        n_panels: Number of panels, >= 1.
        path: PNG file to write.
        max_cols: Panels per row at most.
        panel_size: `(width, height)` of one panel in inches.
        dpi: Resolution of the saved figure.
    """
    if n_panels < 1:
        raise ValueError(f"`n_panels` must be >= 1, got {n_panels}")
    from gennes_bo.extras import require

    require("matplotlib", "benchmarks", "Plotting a report's figures").use("Agg")
    import matplotlib.pyplot as plt

    n_cols = min(max_cols, n_panels)
    n_rows = math.ceil(n_panels / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(panel_size[0] * n_cols, panel_size[1] * n_rows), squeeze=False)
    flat = list(axes.flat)
    try:
        yield flat[:n_panels]
        for ax in flat[n_panels:]:
            ax.axis("off")
        fig.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)


def log_grid(first: float, last: float, n_points: int) -> np.ndarray:
    """Whole numbers (evaluation counts) spaced evenly on a log scale from `first` to `last`, without repeats.

    Raises:
        ValueError: Unless `0 < first <= last`.
    """
    if not 0 < first <= last:
        raise ValueError(f"`first` and `last` must satisfy 0 < first <= last, got {first} and {last}")
    return np.unique(np.geomspace(first, last, n_points).round().astype(int))


def step_values(points: Sequence[Sequence[float]], grid: Sequence[float] | np.ndarray) -> np.ndarray:
    """A step function (e.g. the best value so far) at each `grid` x: the value of its last point at or before x.

    Args:
        points: `(x, value)` pairs in increasing x, e.g. a recorded anytime trace `[n_evals, best so far]`.
        grid: Where to read the function.

    Returns:
        `len(grid)` values, NaN before the first point.
    """
    xs = np.array([x for x, _ in points], dtype=float)
    values = np.array([math.nan, *(value for _, value in points)], dtype=float)
    return values[np.searchsorted(xs, grid, side="right")]


def mean_band(ax: Any, x: Sequence[float] | np.ndarray, curves: np.ndarray, *, label: str, color: str) -> None:
    """Plot the mean of `runs x len(x)` step curves with a band of ± its standard error (none for one run)."""
    mean = curves.mean(axis=0)
    sem = curves.std(axis=0, ddof=1) / math.sqrt(len(curves)) if len(curves) > 1 else np.zeros_like(mean)
    ax.plot(x, mean, label=label, color=color, drawstyle="steps-post")  # the best changes at an evaluation
    ax.fill_between(x, mean - sem, mean + sem, color=color, alpha=0.2, step="post")
