"""`gennes-bo hpo-mo`: two-objective studies, their hypervolumes and the report."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("optuna")

from benchmarks.hpo_mo import hypervolume, make_specs  # noqa: E402
from gennes_bo.cli import main  # noqa: E402


def test_hypervolume_counts_feasible_points_that_dominate_the_reference():
    values = [[1.0, 1.0], [0.5, 2.0], [3.0, 0.5], [5.0, 5.0]]
    assert hypervolume(values, [], [2.0, 2.0]) == pytest.approx(1.0)  # only (1, 1) dominates (2, 2)
    assert hypervolume(values, [1.0, -1.0, -1.0, -1.0], [4.0, 4.0]) == pytest.approx(2.0 * 3.5 + 0.5 * 3.0)
    assert hypervolume(values, [1.0] * 4, [4.0, 4.0]) == 0.0  # nothing feasible
    with pytest.raises(ValueError, match="unknown problem"):
        make_specs(["zdt9"])


def test_quick_run_and_report(tmp_path):
    out, report = tmp_path / "mo.jsonl", tmp_path / "mo.md"
    argv = ["hpo-mo", "--quick", "--problems", "constrained-branincurrin", "--workers", "0", "--out", str(out),
            "--no-progress"]
    assert main(argv) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(len(r["values"]) == 12 and len(r["constraint"]) == 12 for r in records)
    assert main(["hpo-mo", "--out", str(out), "--report", str(report)]) == 0
    assert "| constrained-branincurrin | `gp` | 1 |" in report.read_text()


def test_estimate_costs_each_cell_without_recording(tmp_path, capsys):
    out = tmp_path / "mo.jsonl"
    assert main(["hpo-mo", "--quick", "--estimate", "--samplers", "random", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].split()[:2] == ["branincurrin", "random"]
    assert lines[-1].startswith("estimated CPU hours: 0.0 for 1 runs (0.0 for the 1 not yet recorded)")
    assert not out.exists()
