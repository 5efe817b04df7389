"""Tests of the shared figure scaffolding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gennes_bo.compare.plotting import log_grid, mean_band, panel_grid, step_values


def test_panel_grid_yields_the_panels_and_writes_the_png(tmp_path):
    path = tmp_path / "sub" / "fig.png"
    with panel_grid(5, path, max_cols=3, panel_size=(2.0, 1.5)) as axes:
        assert len(axes) == 5
        figure = axes[0].figure
        for ax in axes:
            ax.plot([0, 1], [0, 1])
    assert len(figure.axes) == 6 and not figure.axes[5].axison  # 2 rows of 3, the spare cell hidden
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_panel_grid_rejects_no_panels(tmp_path):
    with pytest.raises(ValueError, match="`n_panels`"):
        with panel_grid(0, tmp_path / "x.png", max_cols=2, panel_size=(1.0, 1.0)):
            pass


def test_step_values_read_the_last_point_at_or_before_each_x():
    trace = [[10, -3.0], [50, -2.0], [100, -1.8]]
    values = step_values(trace, [5, 10, 49, 50, 1000])
    assert math.isnan(values[0]) and values[1:].tolist() == [-3.0, -3.0, -2.0, -1.8]
    assert np.isnan(step_values([], [1, 2])).all()
    assert step_values([[1, 1.0], [1, 2.0]], [1]).tolist() == [2.0]  # the last of equal x


def test_log_grid_is_whole_increasing_and_spans_the_range():
    grid = log_grid(3, 1000, 50)
    assert grid[0] == 3 and grid[-1] == 1000 and grid.dtype.kind == "i" and (np.diff(grid) > 0).all()
    assert log_grid(5, 5, 10).tolist() == [5]
    with pytest.raises(ValueError, match="0 < first <= last"):
        log_grid(0, 10, 5)


def test_mean_band_draws_the_mean_and_its_standard_error(tmp_path):
    with panel_grid(2, tmp_path / "band.png", max_cols=2, panel_size=(2.0, 1.5)) as (ax_many, ax_one):
        mean_band(ax_many, [1, 2], np.array([[1.0, 3.0], [3.0, 5.0]]), label="two", color="C0")
        mean_band(ax_one, [1, 2], np.array([[1.0, 3.0]]), label="one", color="C1")
        (line,) = ax_many.get_lines()
        assert line.get_label() == "two" and line.get_ydata().tolist() == [2.0, 4.0]
        low, high = ax_many.collections[0].get_paths()[0].vertices[:, 1].min(), ax_many.get_ylim()[1]
        assert low == pytest.approx(1.0) and high >= 5.0  # mean 2 - std 1.41 / sqrt(2) = 1
        assert ax_one.get_lines()[0].get_ydata().tolist() == [1.0, 3.0]
