"""`gennes-bo table1`: the grid, exact regret curves, the paper's numbers, kill-and-resume and the report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import paper_table1
from benchmarks.standalone import regret_at
from benchmarks.table1 import (
    METHOD_OPTIONS,
    cell_stats,
    convention_records,
    curve_regret,
    describe_gennes_setting,
    group_runs,
    make_specs,
    other_option_records,
    parse_options,
    run_table1_spec,
    write_report,
)
from gennes_bo.cli import main
from gennes_bo.compare.records import append_record, load_records, run_key


def test_grid_order_and_options() -> None:
    specs = make_specs()
    assert len(specs) == 4 * 2 * 5 * 10 and len({run_key(s) for s in specs}) == len(specs)
    # complete rows first: every d = 10 run before any d = 30 run, Rastrigin d = 10 first
    assert [s["dim"] for s in specs] == sorted(s["dim"] for s in specs)
    assert {s["function"] for s in specs[:50]} == {"rastrigin"} and {s["method"] for s in specs[:50]} == set(
        METHOD_OPTIONS) == {"gennes", "lbfgs", "snes", "acma", "bipop-acma"}
    assert all(s["max_evals"] == 100_000 and s["options"] == METHOD_OPTIONS[s["method"]] for s in specs)
    assert METHOD_OPTIONS["gennes"] == {"population_size": 20, "alpha": 0.99, "lr": 1e-3, "restart_noise": 1e-3,
                                        "restart_slowdown": 2}
    assert METHOD_OPTIONS["snes"]["population_size"] == METHOD_OPTIONS["acma"]["population_size"] == 20
    assert METHOD_OPTIONS["bipop-acma"] == {"population_size": 20}
    with pytest.raises(ValueError, match="`methods` must be among"):
        make_specs(methods=["ga"])


def test_options_record_a_tried_setting_apart_from_the_grid(tmp_path: Path) -> None:
    assert parse_options(["alpha=0.999", "restart_noise=None", "lr=1e-3", "name=abc"]) == {
        "alpha": 0.999, "restart_noise": None, "lr": 1e-3, "name": "abc"}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_options(["alpha"])
    specs = make_specs(["schwefel"], [30], ["gennes"], folds=2, options={"alpha": 0.999})
    assert [s["options"] for s in specs] == [{**METHOD_OPTIONS["gennes"], "alpha": 0.999}] * 2
    with pytest.raises(ValueError, match="one method"):
        make_specs(methods=["gennes", "snes"], options={"alpha": 0.999})
    with pytest.raises(TypeError, match="unknown option"):
        make_specs(methods=["gennes"], options={"alfa": 0.999})  # misspelled: refused before any run
    out = tmp_path / "t1.jsonl"
    args = ["table1", "--quick", "--functions", "ackley", "--methods", "gennes", "--seeds", "1", "--out", str(out),
            "--no-progress", "--workers", "0"]
    assert main([*args, "--options", "alpha=0.9"]) == 0
    assert main(args) == 0  # the grid's own setting is a different run, not skipped
    records = load_records(out)
    assert [r["spec"]["options"]["alpha"] for r in records] == [0.9, METHOD_OPTIONS["gennes"]["alpha"]]
    assert other_option_records(records) == records[:1] and len(group_runs(records)[("ackley", 2, "gennes")]) == 1
    text = write_report(records, tmp_path / "table1.md", "test", folds=1)
    assert "## Other settings kept in the records" in text and "alpha=0.9, lr=0.001" in text
    tried = next(line for line in text.splitlines() if "alpha=0.9, lr=0.001" in line)
    grid_run = group_runs(records)[("ackley", 2, "gennes")][0]  # the grid's run of the same fold, at 1e2
    assert float(tried.split("|")[-2]) == pytest.approx(curve_regret(grid_run, 100), rel=1e-2)
    assert describe_gennes_setting(METHOD_OPTIONS["gennes"]) in text  # the header names the grid's setting
    assert describe_gennes_setting({"alpha": 0.999, "lr": 1e-3, "restart_noise": None}) == (
        "GENNES noise decay alpha = 0.999 (Appendix C's value for highly multimodal objectives; the paper's Table 1 "
        "used 0.99), Adam lr 0.001, one generator for the whole budget")
    assert describe_gennes_setting({"alpha": 0.95}).startswith("GENNES noise decay alpha = 0.95 (the paper used 0.99)")
    assert describe_gennes_setting(METHOD_OPTIONS["gennes"]).endswith(
        "shrunk 1000x, each run annealing 2x as slowly as the one before (alpha^(1/2^k) for run k)")
    with pytest.raises(SystemExit, match="unknown option"):
        main([*args, "--options", "alfa=0.9"])


def test_curve_gives_the_regret_at_every_evaluation_count() -> None:
    spec = make_specs(["styblinski_tang"], dims=[3], methods=["gennes"], folds=1, max_evals=240)[0]
    record = run_table1_spec(spec)
    curve = record["curve"]
    assert curve[-1] == [240, record["regret"]] and record["n_evals"] == 240
    counts, regrets = [c[0] for c in curve], [c[1] for c in curve]
    assert counts == sorted(set(counts)) and regrets == sorted(regrets, reverse=True) and min(regrets) >= 0
    assert curve_regret(record, 100) == record["regret_at"]["100"]
    assert curve_regret(record, counts[0] - 1) is None and curve_regret(record, 241) is None
    assert curve_regret(record, counts[1]) == regrets[1] and curve_regret(record, counts[1] - 1) == regrets[0]
    assert json.loads(json.dumps(curve)) == curve  # exact through JSON
    assert run_table1_spec(spec)["curve"] == curve  # same fold, same run


def test_paper_table_is_complete_and_transcribed() -> None:
    assert "1805.08594" in paper_table1.SOURCE
    assert len(paper_table1.TABLE1) == 8
    assert all(set(row) == set(paper_table1.METHODS) for row in paper_table1.TABLE1.values())
    assert paper_table1.paper_regret("rastrigin", 10, "gennes", 10_000) == 4.1
    assert paper_table1.paper_regret("schwefel", 30, "acma", 100_000) == 5658.7
    assert paper_table1.paper_regret("ackley", 10, "acma", 100_000) == 1e-14
    assert paper_table1.paper_regret("ackley", 10, "acma", 500) is None
    assert paper_table1.is_approximate("schwefel", 30, 1_000) and paper_table1.is_approximate("ackley", 10, 10_000)
    assert not paper_table1.is_approximate("rastrigin", 10, 1_000)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from gennes_bo.cli import main; sys.exit(main())", "table1", *args]


def test_killed_grid_resumes_without_losing_or_duplicating_records(tmp_path: Path) -> None:
    out = tmp_path / "table1.jsonl"
    args = ["--quick", "--out", str(out), "--workers", "1", "--no-progress"]
    specs = make_specs(dims=[2], folds=2, max_evals=200)
    process = subprocess.Popen(_cli(*args), start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(load_records(out)) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the parent and its worker, mid-grid
    process.wait()
    done = len(load_records(out))
    assert 1 <= done < len(specs), process.stderr.read().decode()
    with out.open("a") as stream:
        stream.write('{"spec": {"kind": "table1", "func')  # a record cut mid-write by the kill
    # resume in this process (no worker to spawn: the test stays fast); the process pool ran the first part
    assert main(["table1", *args[:-3], "--workers", "0", "--no-progress"]) == 0
    records = load_records(out)
    keys = [run_key(r["spec"]) for r in records]
    assert len(keys) == len(set(keys)) == len(specs)
    assert set(keys) == {run_key(s) for s in specs}
    bad = [r for r in records if not (r["n_evals"] == 200 and r["curve"][-1][1] == r["regret"] >= -1e-9)]
    assert not bad, bad


def _fake_record(function: str, dim: int, method: str, seed: int, regret: float) -> dict:
    spec = {"kind": "table1", "function": function, "dim": dim, "method": method, "seed": seed,
            "max_evals": 100_000, "options": METHOD_OPTIONS[method]}
    curve = [[20, 10 * regret + 1.0], [5_000, 2 * regret], [50_000, regret], [100_000, regret]]
    return {"spec": spec, "curve": curve, "regret": regret, "n_evals": 100_000, "wall_time": 1.0,
            "regret_at": {}, "env": {}}


def test_report_marks_best_partial_cells_and_targets(tmp_path: Path) -> None:
    records_path = tmp_path / "records.jsonl"
    regrets = {"gennes": 1.0, "lbfgs": 5.0, "snes": 3.0, "acma": 4.0, "bipop-acma": 2.0}
    for method, regret in regrets.items():
        for seed in range(10):
            append_record(records_path, _fake_record("rastrigin", 10, method, seed, regret + 0.1 * seed))
    for seed in range(3):  # a partial row
        append_record(records_path, _fake_record("ackley", 10, "gennes", seed, 0.5))
    stale = _fake_record("rastrigin", 10, "gennes", 0, 100.0)  # an earlier GENNES setting: never mixed in
    stale["spec"]["options"] = {"population_size": 20, "alpha": 0.99}
    append_record(records_path, stale)
    records = load_records(records_path)
    assert other_option_records(records) == [records[-1]]
    cells = group_runs(records)
    mean, std, folds = cell_stats(cells[("rastrigin", 10, "gennes")], 100_000)
    assert folds == 10 and mean == pytest.approx(1.45) and std == pytest.approx(0.302765, rel=1e-5)
    assert cell_stats(cells[("rastrigin", 10, "snes")], 10_000)[0] == pytest.approx(2 * 3.45)
    assert cell_stats(cells[("rastrigin", 10, "snes")], 19) is None
    assert regret_at(cells[("rastrigin", 10, "snes")][0]["curve"], 4_999, 0.0) == 31.0
    text = write_report(records, tmp_path / "results" / "table1.md", "test", folds=10)
    assert (tmp_path / "results" / "table1_regret.png").stat().st_size > 10_000
    assert "| Rastrigin d=10 | 10/10 | 10/10 | 10/10 | 10/10 | 10/10 | complete |" in text
    assert "| Ackley d=10 | 3/10 | 0/10 | 0/10 | 0/10 | 0/10 | **partial** |" in text
    gennes_row = next(line for line in text.splitlines() if line.startswith("| Rastrigin d=10 | GENNES |"))
    assert "**1.45 ± 0.303** | **3.9** |" in gennes_row  # best of ours and best of the paper, bold
    lbfgs_row = next(line for line in text.splitlines() if line.startswith("| Rastrigin d=10 | repeated L-BFGS |"))
    assert lbfgs_row.endswith("| 5.45 ± 0.303 | 5.4 |")
    ackley_row = next(line for line in text.splitlines() if line.startswith("| Ackley d=10 | GENNES |"))
    assert "0.5 ± 0 (3/10)" in ackley_row and "**0.5" not in ackley_row
    assert "≈2.5" in ackley_row
    assert "GENNES Rastrigin d=10 at 1e5 <= paper: 1.45 vs 3.9: met" in text
    assert "GENNES Rastrigin d=10 at 1e4 <= paper: 2.9 vs 4.1: met" in text
    assert "GENNES Ackley d=10 at 1e5 <= paper: 5.0e-03: pending" in text
    bipop_row = next(line for line in text.splitlines() if line.startswith("| Rastrigin d=10 | BIPOP-aCMA-ES |"))
    assert bipop_row.endswith("| 2.45 ± 0.303 |  |")  # no paper number: the paper did not run it
    assert "GENNES <= our BIPOP-aCMA-ES on Schwefel d=30 at 1e5: pending" in text


def test_other_translation_runs_are_reported_apart(tmp_path: Path) -> None:
    specs = make_specs(["schwefel"], [30], ["acma"], folds=2, max_evals=1000, translation="public-code")
    assert [s["translation"] for s in specs] == ["public-code"] * 2 and "translation" not in make_specs()[0]
    with pytest.raises(ValueError, match="`translation` must be one of"):
        make_specs(translation="anywhere")
    run = run_table1_spec(make_specs(["styblinski_tang"], [3], ["acma"], folds=1, max_evals=200,
                                     translation="public-code")[0])
    uniform = run_table1_spec(make_specs(["styblinski_tang"], [3], ["acma"], folds=1, max_evals=200)[0])
    assert run["regret"] >= 0.0 and run["regret"] != uniform["regret"]  # same method and seed, another function
    records = []
    for seed in range(2):
        records.append(_fake_record("schwefel", 30, "acma", seed, 4000.0))
        moved = _fake_record("schwefel", 30, "acma", seed, 50.0)
        moved["spec"]["translation"] = "public-code"
        records.append(moved)
    cells = group_runs(records)
    assert [r["regret"] for r in cells[("schwefel", 30, "acma")]] == [4000.0, 4000.0]  # never mixed into the table
    assert convention_records(records) == records[1::2] and other_option_records(records) == []
    text = write_report(records, tmp_path / "table1.md", "test", folds=2)
    assert "## Translation convention check" in text
    line = next(line for line in text.splitlines() if line.startswith("| Schwefel d=30 | aCMA-ES | public-code |"))
    assert "| grid's | 2 |" in line and "**50** / 5659 / 4000" in line  # ours / the paper / our table, at 1e5


def test_paper_cells_met_counts_complete_rows_at_1e4_and_1e5() -> None:
    from benchmarks.table1 import paper_cells_met

    def runs(regret_1e4: float, regret_1e5: float, folds: int) -> list[dict]:
        curve = [[10_000, regret_1e4], [100_000, regret_1e5]]
        return [{"n_evals": 100_000, "curve": curve}] * folds

    paper = {n: paper_table1.paper_regret("rastrigin", 10, "gennes", n) for n in (10_000, 100_000)}
    rows = {("rastrigin", 10): runs(paper[10_000] * 2, paper[100_000], 10),  # 1e4 missed, 1e5 met (equal)
            ("ackley", 10): runs(0.0, 0.0, 9)}  # 9 folds: not counted
    assert paper_cells_met(rows) == (1, 2)
    assert paper_cells_met(rows, folds=9) == (3, 4)


def test_runs_given_a_smaller_budget_are_reported_at_that_budget(tmp_path: Path) -> None:
    from benchmarks.table1 import budget_cells_met, budget_run_groups

    records = []
    for seed in range(10):
        records.append(_fake_record("rastrigin", 10, "gennes", seed, 3.0))  # 1e4: 6 (paper 4.1), 1e5: 3 (3.9)
        short = _fake_record("rastrigin", 10, "gennes", seed, 1.0)
        short["spec"]["max_evals"] = short["n_evals"] = 10_000
        short["curve"] = [[20, 50.0], [10_000, 2.0]]
        records.append(short)
    cells = group_runs(records)
    assert [r["n_evals"] for r in cells[("rastrigin", 10, "gennes")]] == [100_000] * 10  # the table: 1e5 runs only
    assert list(budget_run_groups(records)) == [("uniform", "grid's", "rastrigin", 10, "gennes", 10_000)]
    assert budget_cells_met(records) == {("uniform", "grid's"): (2, 2)}  # 1e4 from the short runs: 2 <= 4.1
    assert budget_cells_met(records[:-1]) == {}  # 9 folds at 1e4: not counted
    text = write_report(records, tmp_path / "table1.md", "test", folds=10)
    assert "GENNES Rastrigin d=10 at 1e4 <= paper: 6 vs 4.1: **missed**" in text  # the table keeps the 1e5 runs
    assert "under the uniform translation, the grid's setting: 2 of 2" in text
    assert "| Rastrigin d=10 | GENNES | uniform | grid's | 1e4 | 10 | **2** / 4.1 / 6 |" in text


def test_options_text_names_grid_options_a_record_lacks() -> None:
    from benchmarks.table1 import _options_text

    older = {"method": "gennes", "options": {"population_size": 20, "alpha": 0.99, "lr": 1e-3}}
    assert _options_text(older) == "restart_noise unset, restart_slowdown unset"
    assert _options_text({"method": "gennes", "options": {**METHOD_OPTIONS["gennes"], "alpha": 0.999}}) == \
        "alpha=0.999"
