"""`gennes-bo bo`: the grid, one quick grid end to end through the CLI, resuming, records, verdicts and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli

from benchmarks.bo_experiments import (
    OPTIMIZERS,
    TASKS,
    _at_points,
    _percent,
    compare,
    group_runs,
    make_problem,
    make_specs,
    spec_settings,
    write_report,
)
from gennes_bo.cli import main
from gennes_bo.compare.records import append_record, load_records, run_key


def _main(*args: str) -> str:
    return run_cli("bo", *args)


@pytest.fixture(scope="module")
def quick_grid(tmp_path_factory) -> tuple[Path, list[str]]:
    """Paper GENNES (10 x 20 or 30 acquisition points per iteration), one fold, in this process: both tasks at
    q = 1, then Alpine1 at q = 1 and 2 into the same file (only the q = 2 run is new)."""
    out = tmp_path_factory.mktemp("bo") / "bo.jsonl"
    args = ["--quick", "--seeds", "1", "--optimizers", "gennes", "--out", str(out), "--workers", "0", "--no-progress"]
    assert "ran 2 runs; 2 in the grid" in _main("digits", "alpine1", *args)
    assert "ran 1 runs; 2 in the grid" in _main("alpine1", "--q", "1", "2", *args)
    return out, args


def test_default_grid_order_and_paper_settings() -> None:
    specs = make_specs()
    assert len(specs) == 2 * len(OPTIMIZERS) * 2 * 2 * 10 and len({run_key(s) for s in specs}) == len(specs)
    # task, acquisition, q, fold, optimizer: the first folds of a cell hold every optimizer
    assert [s["optimizer"] for s in specs[:5]] == list(OPTIMIZERS) and {s["seed"] for s in specs[:5]} == {0}
    assert {(s["task"], s["acquisition"], s["q"]) for s in specs[:50]} == {("digits", "logei", 1)}
    assert specs[50]["q"] == 4 and specs[100]["acquisition"] == "ei" and specs[200]["task"] == "alpine1"
    digits, alpine = specs[0], specs[-1]
    assert (digits["n_init"], digits["iterations"], "translate" in digits) == (20, 30, False)
    assert (alpine["n_init"], alpine["iterations"], alpine["translate"]) == (100, 40, False)
    assert (TASKS["digits"].paper_starts, TASKS["alpine1"].paper_starts) == (20, 100)
    assert (TASKS["digits"].paper_iterations, TASKS["alpine1"].paper_iterations) == (20, 30)
    custom = make_specs(["alpine1"], ["botorch.optim:optimize_acqf"], ["ei"], [4], folds=2, n_init=7,
                        iterations=3, translate=True)
    assert [(s["seed"], s["n_init"], s["iterations"], s["translate"]) for s in custom] == [(0, 7, 3, True),
                                                                                             (1, 7, 3, True)]


def test_the_frozen_states_of_compare_acqf_take_the_paper_tasks_settings() -> None:
    from gennes_bo.compare.frozen_states import TASKS as FROZEN

    for name in TASKS:  # the installed harness states them itself; the experiments' tasks are the reference
        frozen, paper = FROZEN[name], TASKS[name]
        assert (frozen.n_init, frozen.paper_starts, frozen.paper_iterations) == (paper.n_init, paper.paper_starts,
                                                                                 paper.paper_iterations)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tasks": ["branin"]}, "`tasks` must be among"),
    ({"optimizers": ["adam"]}, "unknown acquisition optimizer 'adam'"),
    ({"optimizers": ["no_such_module:f"]}, "cannot import acquisition optimizer"),
    ({"acquisitions": ["ucb"]}, "`acquisitions` must be among"),
    ({"q": [0]}, "`q` must be >= 1, got 0"),
])
def test_bad_grid_arguments_name_the_argument(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_specs(**kwargs)


def test_cli_rejects_unknown_task_and_optimizer(capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bo", "branin", "--out", str(tmp_path / "x.jsonl")])
    assert exit_info.value.code == 2 and "invalid task 'branin'" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="unknown acquisition optimizer 'adam'"):
        main(["bo", "digits", "--optimizers", "adam", "--out", str(tmp_path / "x.jsonl")])
    assert not (tmp_path / "x.jsonl").exists()


def test_alpine1_is_plain_or_translated_per_fold() -> None:
    plain, f_star = make_problem("alpine1", 3)
    assert plain.dim == 20 and f_star == 0.0 and float(plain(torch.zeros(1, 20, dtype=torch.float64))) == 0.0
    assert plain.bounds.tolist() == [[-10.0] * 20, [10.0] * 20]
    moved, f_star = make_problem("alpine1", 3, translate=True)
    optimum = moved.optimizers[0]
    assert f_star == 0.0 and optimum.abs().max() > 1 and float(moved(optimum.unsqueeze(0))) == pytest.approx(0.0)
    again, _ = make_problem("alpine1", 3, translate=True)
    assert torch.equal(again.shift, moved.shift)
    with pytest.raises(ValueError, match="`task` must be among"):
        make_problem("branin", 0)


def test_quick_grid_records_and_resume(quick_grid) -> None:
    out, args = quick_grid
    records = load_records(out)
    runs = sorted((r["spec"]["task"], r["spec"]["q"]) for r in records)  # a batch of runs is appended in any order
    assert runs == [("alpine1", 1), ("alpine1", 2), ("digits", 1)]
    for record in records:
        spec = record["spec"]
        n_init, q, iterations = spec["n_init"], spec["q"], spec["iterations"]
        assert (n_init, iterations, spec["optimizer"], spec["seed"]) == (4, 2, "gennes", 0)
        assert len(record["best"]) == iterations + 1
        assert record["evaluations"] == [n_init + q * i for i in range(iterations + 1)]
        assert len(record["values"]) == n_init + q * iterations
        assert all(len(record[key]) == iterations for key in ("cum_acqf_points", "acqf_time", "fit_time"))
        best = record["best"]
        assert all(b >= a for a, b in zip(best[1:], best, strict=False)) and best[-1] == record["final_best"]
        assert record["final_best"] == pytest.approx(min(record["values"]))
        per_iteration = 10 * TASKS[spec["task"]].paper_iterations  # the paper's GENNES: N = 10
        assert record["cum_acqf_points"] == [per_iteration, 2 * per_iteration]
        assert record["total_acqf_points"] == 2 * per_iteration and record["wall_time"] > record["total_acqf_time"] > 0
        if spec["task"] == "digits":  # test errors: multiples of one test image in 270
            assert all(0 <= v <= 1 and abs(v * 270 - round(v * 270)) < 1e-9 for v in record["values"])
            assert len(record["best_x"]) == 4
        else:
            assert min(record["values"]) >= 0 and len(record["best_x"]) == 20
        assert record["settings"] == spec_settings(spec)
        assert record["settings"]["config"]["n_iterations"] == TASKS[spec["task"]].paper_iterations
    assert "ran 0 runs; 2 in the grid" in _main("digits", "alpine1", *args)  # resumed: all recorded
    assert "ran 0 runs; 2 in the grid" in _main("alpine1", "--q", "2", "1", *args)
    assert len(load_records(out)) == 3


def test_resuming_records_of_other_settings_stops_with_the_way_out(quick_grid, tmp_path) -> None:
    out, args = quick_grid
    changed = tmp_path / "bo.jsonl"
    for record in load_records(out):  # as if the default had been retuned since these runs
        record["settings"]["config"]["alpha"] = 0.5
        append_record(changed, record)
    args = [*args[:args.index("--out")], "--out", str(changed), *args[args.index("--out") + 2:]]
    with pytest.raises(SystemExit, match=r"gennes-bo bo: 2 record\(s\) in .* other settings .* 'NAME-old'"):
        _main("digits", "alpine1", *args)


def test_report_from_quick_records(quick_grid, tmp_path) -> None:
    out, _ = quick_grid
    report = tmp_path / "results" / "bo.md"
    text = _main("--out", str(out), "--quick", "--folds", "1", "--report", str(report))  # --folds: --seeds' alias
    assert report.read_text() in text
    assert f"Generated by `gennes-bo bo --out {out} --report {report} --seeds 1`" in text  # rerun as it was run
    assert (tmp_path / "results" / "bo_digits.png").stat().st_size > 10_000
    assert (tmp_path / "results" / "bo_alpine1.png").stat().st_size > 10_000
    assert "## alpine1, qLogEI q=2, 4+2x2\n\n4 initial points, 2 iterations of q=2." in text
    assert "| gennes | 1/1 |" in text and "| 400 | 200 |" in text and "| 600 | 300 |" in text  # total, per iteration
    assert "digits, LogEI q=1, 4+2x1, vs `lbfgs-paper`: pending (no paired folds)" in text
    assert "## Optimizer settings measured" in text and "| `gennes` | 2 | 1 | `config(alpha=0.99, " in text


def _fake(task: str, optimizer: str, seed: int, final: float, points_per_iteration: int,
          acquisition: str = "logei", q: int = 1, first_value: float = -1.0) -> dict:
    iterations = 3
    spec = {"kind": "bo", "task": task, "optimizer": optimizer, "acquisition": acquisition, "q": q, "seed": seed,
            "n_init": 5, "iterations": iterations, **({"translate": False} if task == "alpine1" else {})}
    best = [final + 3.0, final + 1.0, final + 0.5, final]
    return {"spec": spec, "best": best, "evaluations": [5 + q * i for i in range(iterations + 1)],
            "cum_acqf_points": [points_per_iteration * (i + 1) for i in range(iterations)],
            "acqf_time": [0.5] * iterations, "fit_time": [0.1] * iterations, "final_best": final,
            "acqf_value": [first_value] + [-2.0] * (iterations - 1),
            "total_acqf_points": points_per_iteration * iterations, "total_acqf_time": 1.5, "wall_time": 2.0,
            "env": {}}


def test_compare_pairs_folds_with_a_tolerance() -> None:
    ours = {k: _fake("alpine1", "gennes-hybrid", k, final, 100) for k, final in enumerate([10.0, 10.0, 12.0, 5.0])}
    theirs = {k: _fake("alpine1", "lbfgs-paper", k, final, 400) for k, final in enumerate([10.2, 12.0, 10.0])}
    c = compare(ours, theirs, resolution=0.0)
    assert c.n_pairs == 3 and c.mean == (pytest.approx(32 / 3), pytest.approx(32.2 / 3))
    assert c.tolerance == pytest.approx(0.05 * 32.2 / 3) and c.wins == (1, 1, 1)
    assert c.points_ratio == 0.25 and c.same_or_better and c.met
    assert not compare(ours, {k: _fake("alpine1", "lbfgs-paper", k, 8.0, 400) for k in range(4)}, 0.0).met
    assert not compare(ours, {k: _fake("alpine1", "lbfgs-paper", k, 11.0, 100) for k in range(3)}, 0.0).met
    assert compare(ours, {7: theirs[0]}, 0.0) is None
    assert c.first_wins == (0, 3, 0)  # the same first acquisition value in every fold
    assert c.p_value == 1.0  # three folds, differences -0.2, -2, +2: no evidence either way


def test_points_ratio_near_the_target_shows_a_decimal() -> None:
    assert [_percent(r) for r in (0.17, 0.5021, 0.4996, 0.5, 0.63)] == ["17%", "50.2%", "50.0%", "50.0%", "63%"]
    ours = {k: _fake("alpine1", "gennes-hybrid", k, 10.0, 502) for k in range(2)}
    theirs = {k: _fake("alpine1", "botorch-default", k, 10.0, 1000) for k in range(2)}
    assert not compare(ours, theirs, 0.0).met  # 50.2 % of the points: over the target


def test_compare_counts_first_iteration_acquisition_values() -> None:
    def runs(optimizer: str, values: list[float]) -> dict:
        return {k: _fake("digits", optimizer, k, 0.03, 100, first_value=v) for k, v in enumerate(values)}

    # LogEI values are logs: within 0.1 % of EI is within ~1e-3 in log; EI values compare by their ratio
    ours, theirs = runs("gennes-hybrid", [-1.0, -1.0005, -0.9]), runs("lbfgs-paper", [-1.1, -1.0, -0.5])
    assert compare(ours, theirs, 1 / 270).first_wins == (1, 1, 1)
    ours, theirs = runs("gennes-hybrid", [2.0, 1.0005, 0.5]), runs("lbfgs-paper", [1.0, 1.0, 1.0])
    assert compare(ours, theirs, 1 / 270, acquisition="ei").first_wins == (1, 1, 1)


def test_step_curve_against_acquisition_points() -> None:
    record = _fake("digits", "cma", 0, 0.1, 100)  # best 3.1, 1.1, 0.6, 0.1 at 0, 100, 200, 300 points
    values = _at_points(record, np.array([1.0, 99.0, 100.0, 250.0, 300.0, 301.0]))
    assert values.tolist() == pytest.approx([3.1, 3.1, 1.1, 0.6, 0.1, 0.1])  # a finished run keeps its best


def test_report_of_a_partial_grid_states_verdicts_and_folds(tmp_path) -> None:
    path = tmp_path / "records.jsonl"
    for seed in range(10):  # digits complete: hybrid as good as lbfgs-paper with 1/4 of its points,
        append_record(path, _fake("digits", "gennes-hybrid", seed, 0.03 + 0.001 * seed, 100))
        append_record(path, _fake("digits", "lbfgs-paper", seed, 0.03 + 0.001 * seed, 400))
        append_record(path, _fake("digits", "botorch-default", seed, 0.02, 1500))  # and worse than this one
        append_record(path, _fake("digits", "gennes", seed, 0.03 + 0.001 * seed, 50))  # the paper's: same criterion
    for seed in range(3):  # alpine1 partial: 3 folds of hybrid, 2 of the baselines
        append_record(path, _fake("alpine1", "gennes-hybrid", seed, 5.0, 700))
    for seed in range(2):
        append_record(path, _fake("alpine1", "lbfgs-paper", seed, 8.0, 3000))
        append_record(path, _fake("alpine1", "botorch-default", seed, 6.0, 2000))
    records = load_records(path)
    cells = group_runs(records)
    assert list(cells) == [("digits", "logei", 1, 5, 3, False), ("alpine1", "logei", 1, 5, 3, False)]
    text = write_report(records, tmp_path / "bo.md", "test", folds=10)
    assert (tmp_path / "bo_digits.png").stat().st_size > 10_000 and (tmp_path / "bo_alpine1.png").exists()
    write_report([r for r in records if r["spec"]["task"] == "alpine1"], tmp_path / "other.md", "test", folds=10)
    assert (tmp_path / "other_alpine1.png").exists() and not (tmp_path / "other_digits.png").exists()
    assert "from 47 records" in text
    assert ("digits, LogEI q=1, 5+3x1, vs `lbfgs-paper` (10/10 folds): final 0.0345 vs 0.0345 (tolerance 0.0037, "
            "better / same / worse in 0 / 10 / 0 folds, Wilcoxon p = 1.00), acquisition points 25% of theirs: "
            "met") in text
    assert "digits, LogEI q=1, 5+3x1, vs `botorch-default` (10/10 folds): final 0.0345 vs 0.02" in text
    assert "in 0 / 0 / 10 folds, Wilcoxon p = 0.00), acquisition points 7% of theirs: **missed**" in text
    assert "- **digits: missed** (met in 1 of 2 comparisons)\n" in text
    assert "alpine1, LogEI q=1, 5+3x1, vs `lbfgs-paper` (2/10 folds): final 5 vs 8" in text
    assert "23% of theirs: met (provisional)" in text and "35% of theirs: met (provisional)" in text
    assert "- **alpine1: met** (met in 2 of 2 comparisons) (provisional: incomplete folds)" in text
    paper = text[text.index("## The same criterion for the paper's `gennes`"):]
    assert ("digits, LogEI q=1, 5+3x1, vs `lbfgs-paper` (10/10 folds): final 0.0345 vs 0.0345 (tolerance 0.0037, "
            "better / same / worse in 0 / 10 / 0 folds, Wilcoxon p = 1.00), acquisition points 12% of theirs: "
            "met") in paper
    assert "- **`gennes` on digits** (met in 1 of 2 comparisons)\n" in paper
    assert "alpine1, LogEI q=1, 5+3x1, vs `lbfgs-paper`: pending (no paired folds)" in paper
    assert "| gennes-hybrid | 3/10 | 5 ± 0 | 2100 | 700 | 1.5 | 0.3 | 2.0 |" in text
    assert "| lbfgs-paper | 10/10 | 0.0345 ± 0.00303 | 1200 | 400 |" in text
