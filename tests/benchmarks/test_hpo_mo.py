"""`gennes-bo hpo-mo`: two-objective studies on BoTorch's problems, their split, hypervolumes and the report."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("optuna")

from benchmarks.hpo_mo import (  # noqa: E402
    LEFT_OUT,
    PROBLEMS,
    SEEN_BEFORE_THE_SPLIT,
    hypervolume,
    make_specs,
    normalized_scores,
    paired,
    problem_of,
    split_of,
    split_problems,
)
from gennes_bo.cli import main  # noqa: E402


def test_hypervolume_counts_feasible_points_that_dominate_the_reference():
    values = [[1.0, 1.0], [0.5, 2.0], [3.0, 0.5], [5.0, 5.0]]
    assert hypervolume(values, [], [2.0, 2.0]) == pytest.approx(1.0)  # only (1, 1) dominates (2, 2)
    assert hypervolume(values, [1.0, -1.0, -1.0, -1.0], [4.0, 4.0]) == pytest.approx(2.0 * 3.5 + 0.5 * 3.0)
    assert hypervolume(values, [1.0] * 4, [4.0, 4.0]) == 0.0  # nothing feasible
    # several constraints a trial: feasible only when all are <= 0; unconstrained trials record empty lists
    several = [[-1.0, 0.5], [-1.0, -1.0], [-1.0, -1.0], [0.0, 0.0]]
    assert hypervolume(values, several, [4.0, 4.0]) == pytest.approx(hypervolume(values[1:3], [], [4.0, 4.0]))
    assert hypervolume(values, [[]] * 4, [2.0, 2.0]) == pytest.approx(1.0)


def test_the_split_is_fixed_and_every_problem_has_two_objectives():
    assert set(split_problems("dev")) | set(split_problems("test")) == set(PROBLEMS)
    assert not set(split_problems("dev")) & set(split_problems("test"))
    assert all(split_of(name) == "dev" for name in SEEN_BEFORE_THE_SPLIT)
    assert len(split_problems("test")) >= len(split_problems("dev"))
    for name in PROBLEMS:
        problem = problem_of(name)
        assert problem.num_objectives == 2 and len(problem.ref_point) == 2
    with pytest.raises(ValueError, match="is left out"):
        problem_of(next(iter(LEFT_OUT)))
    with pytest.raises(ValueError, match="unknown problem"):
        make_specs("dev", ["zdt9"])
    with pytest.raises(ValueError, match="belongs to the"):
        make_specs("test", [SEEN_BEFORE_THE_SPLIT[0]])
    specs = make_specs("test", seeds=2)
    assert {s["sampler"] for s in specs} == {"random", "tpe", "gp", "gennes"}
    assert len(specs) == 2 * 4 * len(split_problems("test"))


def test_scores_run_from_random_search_to_the_top_and_pair_problems_with_seeds():
    volumes = {"dtlz2": {"random": {0: [0.1, 0.2], 1: [0.1, 0.2]}, "gennes": {0: [0.3, 0.3], 1: [0.2, 0.2]},
                         "gp": {0: [0.1, 0.25], 1: [0.4, 0.4246018366025519]}},
               "gmm": {"random": {0: [0.1, 0.1]}, "gennes": {0: [0.2, 0.3]}},
               "dtlz5": {"random": {0: [0.0, 0.0]}, "gp": {0: [0.0, 0.0]}},  # no top above random: not scored
               "zdt1": {"gennes": {0: [1.0, 1.0]}}}  # no random runs: not scored
    scores = normalized_scores(volumes)
    assert set(scores) == {"dtlz2", "gmm"}
    top = 0.4246018366025519  # BoTorch's largest hypervolume of DTLZ2 (d = 4)
    assert scores["dtlz2"]["gennes"][0] == pytest.approx(100 * 0.1 / (top - 0.2))
    assert scores["dtlz2"]["gp"][1] == pytest.approx(100.0)
    assert scores["gmm"]["gennes"][0] == pytest.approx(100.0)  # the largest recorded, where BoTorch has none
    (wins, ties, losses), p, n = paired(scores, "gennes", "gp")
    assert (wins, ties, losses, n) == (1, 0, 1, 2) and 0 < p <= 1


def test_quick_run_and_report(tmp_path):
    out, report = tmp_path / "mo.jsonl", tmp_path / "mo.md"
    argv = ["hpo-mo", "--quick", "--split", "test", "--problems", "constr", "--workers", "0", "--out", str(out),
            "--no-progress"]
    assert main(argv) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(len(r["values"]) == 12 and all(len(c) == 2 for c in r["constraint"]) for r in records)
    assert main(["hpo-mo", "--out", str(out), "--report", str(report)]) == 0
    text = report.read_text()
    assert "## Test split (1 problems)" in text and "| constr | `gp` | 1 |" in text
    assert "| problem | sampler | seeds | hypervolume @20 | hypervolume @30 | sampler s / trial |" in text


def test_estimate_costs_each_cell_without_recording(tmp_path, capsys):
    out = tmp_path / "mo.jsonl"
    assert main(["hpo-mo", "--quick", "--estimate", "--samplers", "random", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].split()[:2] == ["branincurrin", "random"]
    assert lines[-1].startswith("estimated CPU hours: 0.0 for 1 runs (0.0 for the 1 not yet recorded)")
    assert not out.exists()
