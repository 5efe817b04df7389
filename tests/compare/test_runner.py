"""`run_grid` on thread, process and Dask executors: one record per spec, written by the parent, resumable."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.table1 import make_specs, run_table1_spec
from gennes_bo.compare.records import StaleRecordsError, append_record, load_records, run_key
from gennes_bo.compare.report import describe_settings, settings_rows
from gennes_bo.compare.runner import (
    CellCost,
    add_grid_arguments,
    make_executor,
    print_estimate,
    run_grid,
    seeds_or_default,
)


def _square(spec: dict) -> dict:
    return {"value": spec["x"] ** 2}


def _fail_on_three(spec: dict) -> dict:
    if spec["x"] == 3:
        raise RuntimeError("boom")
    return _square(spec)


def test_run_grid_records_every_spec_once_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    specs = [{"x": x} for x in range(7)]
    with ThreadPoolExecutor(3) as executor:
        assert run_grid(specs[:4], _square, out, executor, progress=False) == 4
        assert run_grid(specs, _square, out, executor, progress=False) == 3  # only the new ones
        assert run_grid(specs, _square, out, executor, progress=False) == 0
    records = load_records(out)
    assert sorted(r["spec"]["x"] for r in records) == list(range(7))
    assert all(r["value"] == r["spec"]["x"] ** 2 and "torch" in r["env"] for r in records)


def test_a_failing_run_keeps_the_finished_records(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    specs = [{"x": x} for x in range(6)]
    with ThreadPoolExecutor(1) as executor:
        with pytest.raises(RuntimeError, match="boom"):
            run_grid(specs, _fail_on_three, out, executor, progress=False, max_in_flight=1)
        assert [r["spec"]["x"] for r in load_records(out)] == [0, 1, 2]
        assert run_grid(specs, _square, out, executor, progress=False) == 3
    assert len({run_key(r["spec"]) for r in load_records(out)}) == len(load_records(out)) == 6


def test_run_grid_records_settings_and_refuses_records_of_other_settings(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    specs = [{"kind": "k", "optimizer": "opt", "q": q, "x": q} for q in (1, 2)]
    legacy = {"kind": "k", "optimizer": "opt", "q": 3, "x": 3}
    append_record(out, {"spec": legacy, "value": 9})  # written before settings were recorded: accepted
    with ThreadPoolExecutor(1) as executor:
        assert run_grid([*specs, legacy], _square, out, executor, progress=False,
                        settings=lambda spec: {"steps": (10, spec["q"])}) == 2
        assert run_grid(specs, _square, out, executor, progress=False,
                        settings=lambda spec: {"steps": [10, spec["q"]]}) == 0  # a tuple is recorded as a list
        with pytest.raises(StaleRecordsError, match=r"2 record\(s\) in .* other settings .* now \{\"steps\": \[20, "):
            run_grid(specs, _square, out, executor, progress=False, settings=lambda spec: {"steps": [20, spec["q"]]})
        # a new cell is not blocked by another cell's records
        assert run_grid([{**specs[0], "q": 5}], _square, out, executor, progress=False,
                        settings=lambda spec: {"steps": [20, spec["q"]]}) == 1
    records = load_records(out)
    assert [r.get("settings") for r in records] == [None, {"steps": [10, 1]}, {"steps": [10, 2]}, {"steps": [20, 5]}]
    assert settings_rows(records, "k") == [
        ("`opt`", 1, 1, "`steps=[10, 1]`"), ("`opt`", 2, 1, "`steps=[10, 2]`"),
        ("`opt`", 3, 1, "not recorded"), ("`opt`", 5, 1, "`steps=[20, 5]`")]
    assert describe_settings({"z": 1, "a": {"b": None, "c": 0.5}, "m": "x"}) == 'm="x", z=1, a(b=null, c=0.5)'
    assert describe_settings(None) == "null"
    assert settings_rows(records, "other") == []


def test_make_executor_rejects_negative_workers_and_runs_serially_with_none(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="`workers` must be >= 0, got -1"):
        with make_executor(-1):
            pass
    with make_executor(0) as executor:
        assert executor.submit(pow, 3, 2).result() == 9
        with pytest.raises(RuntimeError, match="boom"):
            run_grid([{"x": 2}, {"x": 3}], _fail_on_three, tmp_path / "r.jsonl", executor, progress=False)
    assert [r["value"] for r in load_records(tmp_path / "r.jsonl")] == [4]


def test_dask_local_cluster_runs_the_same_grid(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    specs = make_specs(["rastrigin", "schwefel"], dims=[2], methods=["gennes", "snes"], folds=1, max_evals=100)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
                                  protocol="tcp") as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        with make_executor(scheduler=cluster.scheduler_address) as executor:
            assert run_grid(specs, run_table1_spec, tmp_path / "dask.jsonl", executor, progress=False) == 4
    records = {run_key(r["spec"]): r for r in load_records(tmp_path / "dask.jsonl")}
    assert set(records) == {run_key(s) for s in specs}
    for spec in specs[:2]:  # same spec, same numbers as a local run
        local = run_table1_spec(spec)
        assert records[run_key(spec)]["curve"] == local["curve"]
        assert records[run_key(spec)]["regret"] == local["regret"]


def test_grid_arguments_show_their_defaults_and_report_to_the_default_path(capsys) -> None:
    parser = argparse.ArgumentParser(prog="cmd")
    quick = {"seeds": 1}
    add_grid_arguments(parser, default_out="results/r.jsonl", default_report="docs/r.md", default_seeds=3, quick=quick)
    args = parser.parse_args([])
    assert (args.out, args.seeds, args.workers, args.scheduler, args.report) == ("results/r.jsonl", None, 1, None, None)
    assert seeds_or_default(args, quick, 3) == 3
    assert seeds_or_default(parser.parse_args(["--quick"]), quick, 3) == 1
    assert seeds_or_default(parser.parse_args(["--quick", "--seeds", "2"]), quick, 3) == 2
    assert parser.parse_args(["--report"]).report == "docs/r.md"
    assert parser.parse_args(["--report", "other.md"]).report == "other.md"
    text = " ".join(parser.format_help().split())
    for shown in ("(default results/r.jsonl)", "(default 3)", "(default 1; 0: in this process)", "(default: none)",
                  "MARKDOWN defaults to docs/r.md"):
        assert shown in text
    for bad in (["--seeds", "0"], ["--workers", "-1"], ["--seeds", "x"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    assert "argument --seeds: must be >= 1, got 0" in capsys.readouterr().err


def test_print_estimate_totals_the_cells_and_what_is_not_yet_recorded(tmp_path: Path, capsys) -> None:
    out = tmp_path / "records.jsonl"
    specs = [{"x": x} for x in range(5)]
    append_record(out, {"spec": specs[0], "value": 0})
    measured = ["cell   runs  CPU h", CellCost("cheap", specs[:2], 0.25), CellCost("dear", specs[2:], 1.5)]
    assert print_estimate(measured, specs, out) == pytest.approx(0.25 + 3 * 1.5)
    assert capsys.readouterr().out.splitlines() == [
        "cell   runs  CPU h", "cheap     2    0.50", "dear     3    4.50",
        "estimated CPU hours: 5.0 for 5 runs (4.8 for the 4 not yet recorded)"]
    with pytest.raises(ValueError, match="costed 2 runs of a grid of 5"):
        print_estimate([CellCost("cheap", specs[:2], 0.25)], specs, out)  # a run left out is a bug, not zero hours


def test_the_watchdog_ends_a_worker_whose_parent_is_gone() -> None:
    from gennes_bo.compare.runner import exit_when_orphaned

    exits = []
    exit_when_orphaned(os.getppid() + 1, interval=0.01, exit_process=exits.append)  # not our parent: orphaned
    assert exits == [1]


@pytest.mark.slow
def test_killing_the_grid_process_ends_its_pool_workers(tmp_path: Path) -> None:
    script = tmp_path / "grid.py"
    script.write_text(
        "import os, time\n"
        "from gennes_bo.compare.runner import make_executor\n"
        "if __name__ == '__main__':\n"
        "    with make_executor(1) as executor:\n"
        "        print(executor.submit(os.getpid).result(), flush=True)\n"
        "        executor.submit(time.sleep, 120)\n"
        "        time.sleep(1)\n"
        "        os._exit(0)  # as `kill` leaves it: no shutdown, the worker in the middle of its run\n")
    root = str(Path(__file__).resolve().parents[2])  # the checkout, installed or not
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True,
                          env=env)
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
