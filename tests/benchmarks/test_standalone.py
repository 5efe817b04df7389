"""The standalone benchmark: records, resumption and the generated report."""

from __future__ import annotations

from pathlib import Path

from gennes_bo.benchmarks.records import load_records
from gennes_bo.benchmarks.standalone import make_specs, regret_at, run_suite, write_report


def test_suite_is_resumable_and_reported(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    specs = make_specs(["rastrigin", "alpine1"], ["ga", "random"], [0, 1], dim=2, max_evals=300)
    assert run_suite(specs, out, progress=False, overhead=False) == 8
    assert run_suite(specs, out, progress=False, overhead=False) == 0  # every run already recorded
    records = load_records(out)
    assert len(records) == 8 and all(r["regret"] >= -1e-9 and r["n_evals"] == 300 for r in records)
    assert all(r["regret_at"]["100"] >= r["regret"] for r in records)
    text = write_report(records, tmp_path / "report.md", "test")
    assert "| ga |" in text and "| random |" in text and "rastrigin" in text and "alpine1" in text


def test_regret_at() -> None:
    history = [(10, 5.0), (50, 3.0), (200, 1.0)]
    assert regret_at(history, 5, 0.5) is None
    assert regret_at(history, 100, 0.5) == 2.5
    assert regret_at(history, 1000, 0.5) == 0.5
