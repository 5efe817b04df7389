"""Tests of the shared figure scaffolding."""

from __future__ import annotations

import pytest

from gennes_bo.plotting import panel_grid


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
