"""`gennes-bo bench-mixed`: the grid's shape, and the command end to end on its `--quick` preset (records, resume,
`--report`), plus the acceptance lines from synthetic records."""

from __future__ import annotations

import pytest
from conftest import run_cli

from benchmarks.mixed import spec_settings
from benchmarks.mixed_report import acceptance
from benchmarks.mixed_spec import PROBLEMS, make_specs, optimizers_of
from gennes_bo.compare.records import load_records, run_key
from gennes_bo.test_functions.mixed import get_space_problem


def test_grid_is_seed_major_and_enumerates_only_small_spaces() -> None:
    specs = make_specs(seeds=2)
    assert len(specs) == len({run_key(s) for s in specs})
    assert [s["seed"] for s in specs] == sorted(s["seed"] for s in specs)
    assert optimizers_of("hartmann6-disc") == ("gennes-mixed", "botorch-alternating", "botorch-enumerate")
    assert optimizers_of("categorical") == ("gennes-mixed", "botorch-alternating")
    assert optimizers_of("hartmann6-budget") == ("gennes-hybrid", "botorch-default")
    enumerations = [s for s in specs if s["optimizer"] == "botorch-enumerate"]
    assert {(s["problem"], s["part"], s["q"]) for s in enumerations} == {("hartmann6-disc", "acqf", 1)}
    assert {s["problem"] for s in specs} == set(PROBLEMS)
    assert spec_settings(specs[0])["num_restarts"] >= 1
    with pytest.raises(ValueError, match="`problems`"):
        make_specs(["nope"])


@pytest.mark.parametrize("name", PROBLEMS)
def test_problems_sample_valid_points(name: str) -> None:
    problem = get_space_problem(name)
    X = problem.sample(16, seed=3)
    assert X.shape == (16, problem.dim) and problem.violation(X) <= 1e-8
    assert problem.f(X).shape == (16,)
    assert problem.violation(X + 0.3) > 0.1  # off the levels, out of the box or off the constraints


def test_quick_grid_end_to_end(tmp_path) -> None:
    out, report = tmp_path / "mixed.jsonl", tmp_path / "mixed.md"
    args = ["bench-mixed", "--quick", "--out", str(out), "--workers", "0", "--no-progress"]
    assert "ran 9 runs; 9 in the grid" in run_cli(*args)
    assert "ran 0 runs" in run_cli(*args)  # resumed: nothing left
    records = load_records(out)
    assert all(r["violation"] <= 1e-6 and r["settings"]["raw_samples"] == 16 for r in records)
    assert all(r["cpu_time"] > 0 and r["wall_time"] > 0 for r in records)
    bo = [r for r in records if r["spec"]["part"] == "bo"]
    assert all(len(r["best"]) == 4 + 1 and r["best"] == sorted(r["best"]) for r in bo)
    text = run_cli(*args, "--report", str(report))
    assert report.read_text() in text  # printed as written
    assert "## Acceptance" in text and "W/T/L vs BoTorch alternating" in text and "W/T/L vs BoTorch SLSQP" in text
    assert "enumerates the 125 combinations with 2 restarts and 16 raw samples" in text
    assert (tmp_path / "mixed_bo.png").read_bytes()[:4] == b"\x89PNG"


def _record(part: str, optimizer: str, seed: int, result: float, wall: float) -> dict:
    spec = {"kind": "bench-mixed", "part": part, "problem": "categorical", "q": 1, "seed": seed,
            "optimizer": optimizer}
    if part == "acqf":
        return {"spec": spec, "value": result, "wall_time": wall, "cpu_time": wall}
    return {"spec": spec, "final_best": result}


def test_acceptance_lines_from_records() -> None:
    from benchmarks.mixed_report import _runs

    records = [_record("acqf", "gennes-mixed", s, -1.0, 1.0) for s in range(5)]
    records += [_record("acqf", "botorch-alternating", s, -1.0 if s else -0.5, 2.0) for s in range(5)]
    records += [_record("bo", "gennes-mixed", s, 1.0 - s, 0) for s in range(5)]
    records += [_record("bo", "botorch-alternating", s, 2.0, 0) for s in range(5)]
    acqf, bo = _runs(records, "acqf"), _runs(records, "bo")
    acqf_line, bo_line = acceptance(acqf, bo)
    assert "in 4 of 5 case x seed runs (80%; target >= 80 %): **met**" in acqf_line
    assert "wall 0.50x (median per run 0.50x) **met**, CPU 0.50x **met**." in acqf_line
    assert "categorical p = 0.031 (5 seeds)" in bo_line and bo_line.endswith("**not met: categorical**.")
