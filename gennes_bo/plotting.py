"""Figure scaffolding shared by the benchmark reports: a grid of panels written to a PNG (Agg backend)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


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
