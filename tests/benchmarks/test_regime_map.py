"""The regime map: its splits, its oracle, its records and the report's verdicts."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.regime_map import Oracle
from benchmarks.regime_report import cell_summary, dev_wtl, verdicts, write_report
from benchmarks.regime_spec import (
    CELLS,
    DEV_CELLS,
    POLICY_CELLS,
    TEST_CELLS,
    make_specs,
    oracle_components,
    spec_settings,
)
from gennes_bo.cli import main
from gennes_bo.compare.registry import AcqfTask, register


def test_dev_and_test_cells_cover_the_same_regimes_on_other_problems():
    assert {c.regime for c in TEST_CELLS} <= {c.regime for c in DEV_CELLS}
    test_problems = {(c.problem, c.dim) for c in TEST_CELLS}
    assert not test_problems & {(c.problem, c.dim) for c in DEV_CELLS}
    assert all(c.split == "dev" for c in DEV_CELLS) and all(c.split == "test" for c in TEST_CELLS)


def test_test_specs_run_every_optimizer_and_the_oracle_on_its_seeds_only():
    specs = make_specs("test", ["hartmann6-q1", "hartmann6-q64"])
    cell = CELLS["hartmann6-q64"]
    oracle_seeds = {s["seed"] for s in specs if s["cell"] == cell.name and s["optimizer"] == "oracle"}
    assert oracle_seeds == set(range(cell.oracle_seeds))
    assert {s["seed"] for s in specs if s["cell"] == cell.name and s["optimizer"] == "sobol"} == set(range(cell.seeds))
    assert not [s for s in specs if s["cell"] == "hartmann6-q1" and s["optimizer"] == "botorch-sequential"]
    assert specs[0]["seed"] == 0 and specs[-1]["seed"] == max(c.seeds for c in TEST_CELLS[:1] + (cell,)) - 1
    with pytest.raises(ValueError, match="unknown test cell"):
        make_specs("test", ["levy6-q1"])  # a dev cell
    dev = make_specs("dev")
    assert {s["optimizer"] for s in dev} == {"dev-probe"} and {s["cell"] for s in dev} == set(POLICY_CELLS)
    assert len(dev) == sum(CELLS[name].seeds for name in POLICY_CELLS)  # lever-only dev cells run when named
    assert all("compared" not in s for s in dev)  # the policy's probe: the resume keys of its records


def test_a_lever_probe_names_the_optimizers_it_compares_on_the_dev_states():
    from benchmarks.regime_spec import DEV_OPTIMIZERS, compared_of

    probe = make_specs("dev", ["levy10-q64", "levy6-q1"], ["lbfgs-same-starts-joint", "botorch-sequential"])
    assert {s["optimizer"] for s in probe} == {"dev-probe"}
    by_cell = {s["cell"]: s for s in probe}
    assert compared_of(by_cell["levy10-q64"]) == ("lbfgs-same-starts-joint", "botorch-sequential")
    assert compared_of(by_cell["levy6-q1"]) == ("lbfgs-same-starts-joint",)  # q = 1 has one BoTorch mode
    assert set(spec_settings(by_cell["levy10-q64"])) == {"lbfgs-same-starts-joint", "botorch-sequential"}
    assert compared_of(make_specs("dev", ["levy10-q64"])[0]) == DEV_OPTIMIZERS


def test_the_oracle_takes_botorchs_10x_modes_and_both_pipelines():
    spec = make_specs("test", ["ackley10-q16-ucb"])[0]
    components = oracle_components(spec)
    assert {"botorch-10x", "botorch-10x-sequential", "gennes-stage", "lbfgs-same-starts",
            "botorch-default", "botorch-sequential"} <= set(components)
    settings = spec_settings({**spec, "optimizer": "oracle"})
    assert set(settings) == set(components) and settings["gennes-stage"]["pipeline"] == "gennes"
    ours = spec_settings({**spec, "optimizer": "gennes-hybrid"})
    assert ours["pipeline"] in ("gennes", "lbfgs")  # the policy's choice for the cell's q and d


def _constant(offset: float):
    def optimizer(acq_function, bounds, q):
        return torch.full((q, bounds.shape[1]), offset, dtype=bounds.dtype), torch.tensor(0.0)

    return optimizer


def test_oracle_returns_the_batch_of_highest_value_and_records_the_pick(monkeypatch):
    import gennes_bo.compare.registry as registry

    monkeypatch.setattr(registry, "ACQF_OPTIMIZERS", dict(registry.ACQF_OPTIMIZERS))  # the test names stay here
    for name, offset in (("test-low", 0.1), ("test-high", 0.6)):
        register(name, lambda task, offset=offset: _constant(offset), replace=True)
    oracle = Oracle(["test-low", "test-high"], AcqfTask(q=2))
    acqf = lambda X: -((X - 0.6) ** 2).sum(dim=(-1, -2))  # noqa: E731 - highest at 0.6
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    candidates, value = oracle(acqf, bounds, 2)
    assert torch.allclose(candidates, torch.full((2, 2), 0.6, dtype=torch.float64)) and float(value) == 0.0
    assert oracle.picks == ["test-high"]


def _record(cell: str, optimizer: str, seed: int, regret: float, settings=None) -> dict:
    return {"spec": {"kind": "regime-test", "cell": cell, "optimizer": optimizer, "seed": seed},
            "final_regret": regret, "acqf_cpu_time": [1.0], "acqf_time": [1.0], "settings": settings, "picks": []}


def test_headroom_capture_and_verdicts_from_records():
    cell = CELLS["hartmann6-q1"]
    runs = {"botorch-default": {}, "gennes-hybrid": {}, "oracle": {}}
    for seed in range(cell.seeds):
        runs["botorch-default"][seed] = _record(cell.name, "botorch-default", seed, 1.0 + seed)
        runs["gennes-hybrid"][seed] = _record(cell.name, "gennes-hybrid", seed, 0.5 + seed, {"pipeline": "lbfgs"})
    for seed in range(cell.oracle_seeds):
        runs["oracle"][seed] = _record(cell.name, "oracle", seed, 0.0 + seed)
    summary = cell_summary(cell, runs)
    assert summary["best_mode"] == "botorch-default" and summary["headroom"]
    assert summary["capture"] == pytest.approx(0.5) and summary["pipeline"] == "lbfgs"
    assert summary["vs botorch-default"][0] == (cell.seeds, 0, 0)
    text = "\n".join(verdicts([summary]))
    assert "1 of 1 cells: hartmann6-q1 50%" in text
    assert "(target: at least 2 cells):** so far, on the recorded runs: 1 (hartmann6-q1)" in text
    from benchmarks.regime_report import _cell_row

    no_oracle = {name: seeds for name, seeds in runs.items() if name != "oracle"}
    row = _cell_row(cell_summary(cell, no_oracle))  # a cell whose oracle has not run yet: empty, not "nan"
    assert row[7] == "" and row[8] == "" and "nan" not in " ".join(map(str, row))
    assert "not started: hartmann6-in60-q1" in text  # a one-cell map: the verdicts say they are partial
    assert "would take loops that end lower" not in text  # the reason is given only where no cell has headroom
    for seed in range(cell.oracle_seeds):  # the oracle now ahead in mean but within noise: no capture to speak of
        runs["oracle"][seed] = _record(cell.name, "oracle", seed, 1.0 + seed - (0.5 if seed == 0 else -0.01))
    summary = cell_summary(cell, runs)
    assert not summary["headroom"] and math.isnan(summary["capture"])
    assert "1 (hartmann6-q1); no cell has headroom, so this would take loops that end lower" in \
        "\n".join(verdicts([summary]))


def test_dev_wtl_compares_log_values_by_difference():
    cell = CELLS["levy6-q1"]
    states = [{"gennes-stage": {"value": -1.0}, "lbfgs-same-starts": {"value": -1.1}},
              {"gennes-stage": {"value": -2.0}, "lbfgs-same-starts": {"value": -2.0005}},
              {"gennes-stage": {"value": -3.0}, "lbfgs-same-starts": {"value": -2.0}}]
    assert dev_wtl(states, cell, "gennes-stage", "lbfgs-same-starts") == (1, 1, 1)


def test_quick_run_records_and_reports(tmp_path):
    out, report = tmp_path / "map.jsonl", tmp_path / "docs" / "regime_map.md"
    assert main(["regime-map", "--quick", "--workers", "0", "--out", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["spec"]["optimizer"] for r in records} == {"botorch-default", "sobol"}
    assert all(len(r["regret"]) == 10 + 3 and r["settings"] for r in records)  # --quick: 3 iterations
    assert main(["regime-map", "--out", str(out), "--dev-out", str(tmp_path / "none.jsonl"),
                 "--timing-out", str(tmp_path / "none.jsonl"), "--report", str(report)]) == 0
    text = report.read_text()
    assert "| hartmann6-q1 | low-d, sequential | 6 | 1 | qlognei | `botorch-default` |" in text
    assert text == write_report(records, report, text.split("`")[1])


def test_the_oracle_runs_botorchs_sequential_mode_at_10x_where_the_joint_one_is_out_of_reach():
    components = oracle_components(make_specs("test", ["hartmann6-in60-q16"])[0])
    assert "botorch-10x-sequential" in components and "botorch-10x" not in components


def _state(gennes: float, lbfgs: float, times: tuple[float, float, float]) -> dict:
    return {"gennes-stage": {"value": gennes, "cpu_time": times[0]},
            "lbfgs-same-starts": {"value": lbfgs, "cpu_time": times[1]},
            "botorch-default": {"value": lbfgs, "cpu_time": times[2]}}


def test_the_policy_rule_takes_a_clear_value_winner_within_time_else_the_faster_pipeline():
    from benchmarks.regime_report import policy_rule

    def record(cell, states):
        return {"spec": {"kind": "regime-dev", "cell": cell}, "states": states}

    clear = [_state(-1.0, -1.1, (1.0, 0.5, 2.0))] * 5  # gennes wins every state, within 1.1x of the default's time
    ties = [_state(-1.0, -1.0, (1.0, 0.5, 2.0))] * 5  # the same values: the faster pipeline
    slow = [_state(-1.0, -1.1, (3.0, 0.5, 2.0))] * 5  # gennes wins but is slower than 1.1x the default
    rules = policy_rule([record("levy6-q1", clear), record("levy60-q1", ties), record("levy10-q64", slow)])
    assert rules[("d < 30", "q = 1")]["choice"] == "gennes" and rules[("d < 30", "q = 1")]["wtl"] == (5, 0, 0)
    assert rules[("d >= 30", "q = 1")]["choice"] == "lbfgs"
    assert rules[("d < 30", "q >= 33")]["choice"] == "lbfgs"


def test_the_batch_rule_takes_the_fast_candidate_of_best_value_else_the_fastest():
    from benchmarks.regime_report import batch_rule

    def state(times, values, iteration=1):  # current, joint, lite, default, sequential
        names = ("lbfgs-same-starts", "joint", "lite", "botorch-default", "botorch-sequential")
        rows = zip(names, times, values, strict=True)
        return {"iteration": iteration, **{n: {"cpu_time": t, "value": v} for n, t, v in rows}}

    def probe(cell, states):
        return {"spec": {"kind": "regime-dev", "cell": cell, "seed": 0, "compared": ["joint", "lite"]},
                "states": states}

    # q = 2-32: the current choice is slow; joint is fast but loses on value, lite is fast and ties: lite
    q16 = [state((4.0, 1.0, 2.0, 2.0, 5.0), (-1.0, -1.5, -1.0, -1.2, -1.1), i) for i in (1, 3, 7)]
    # q >= 33: nobody is fast: the fastest
    q64 = [state((9.0, 5.0, 6.0, 1.0, 50.0), (-1.0, -1.0, -1.0, -1.0, -1.0), i) for i in (1, 3)]
    rules = batch_rule([probe("levy10-q16-ucb", q16), probe("levy10-q64", q64)])
    assert rules[("d < 30", "q = 2-32")]["choice"] == "lite"
    assert rules[("d < 30", "q = 2-32")]["candidates"]["joint"]["wtl"] == (0, 0, 3)
    assert rules[("d < 30", "q >= 33")]["choice"] == "joint"
    assert rules[("d < 30", "q >= 33")]["faster mode"] == 1.0
    # qUCB apart: the q = 16 states of a qUCB cell and of a qLogNEI cell make two buckets
    split = batch_rule([probe("levy10-q16-ucb", q16), probe("levy10-q16", q16[:2])], by_acquisition=True)
    assert {bucket: rule["states"] for bucket, rule in split.items()} == {
        ("d < 30", "q = 2-32", "qUCB"): 3, ("d < 30", "q = 2-32", "other acquisitions"): 2}


def test_a_lever_finds_its_probes_by_the_optimizers_it_compared():
    from benchmarks.regime_report import lever_probes
    from benchmarks.regime_spec import LEVERS

    def probe(compared):
        return {"spec": {"kind": "regime-dev", "cell": "levy10-q16", "seed": 0, "compared": list(compared)},
                "states": []}

    second = LEVERS["batch-strategy lever, round 2"].compared
    found = lever_probes([probe(second), probe(second[:3]), {"spec": {"kind": "regime-dev", "cell": "levy6-q1"}}])
    assert list(found) == ["batch-strategy lever, round 2"] and len(found["batch-strategy lever, round 2"]) == 1


def test_the_policy_is_what_the_rule_gave_on_the_committed_dev_states():
    from pathlib import Path

    from benchmarks.regime_report import policy_rule
    from gennes_bo.acquisition.policy import POLICY
    from gennes_bo.compare.records import load_records

    path = Path(__file__).resolve().parents[2] / "results" / "regime_dev.jsonl"
    rules = policy_rule(load_records(path))
    assert rules and all(POLICY[(d == "d >= 30", q)] == rule["choice"] for (d, q), rule in rules.items())


def test_the_greedy_step_restarts_are_what_the_batch_rule_gave_on_the_committed_probe():
    from pathlib import Path

    from benchmarks.regime_report import batch_rule, lever_probes
    from gennes_bo.acquisition.policy import GREEDY_STEP_RESTARTS
    from gennes_bo.compare.records import load_records

    path = Path(__file__).resolve().parents[2] / "results" / "regime_dev.jsonl"
    rules = batch_rule(lever_probes(load_records(path))["batch-strategy lever"])
    restarts = {"lbfgs-same-starts": None, "lbfgs-greedy-2starts": 2}  # what each candidate's choice sets
    assert rules and all(GREEDY_STEP_RESTARTS.get((d == "d >= 30", q)) == restarts[rule["choice"]]
                         for (d, q), rule in rules.items())


def test_the_batch_policy_is_what_rounds_2_and_3_of_the_rule_gave_on_the_committed_records():
    from pathlib import Path

    from benchmarks.regime_report import batch_rule, group_test, lever_probes, loop_rule
    from benchmarks.regime_spec import LEVERS
    from gennes_bo.acquisition.policy import BATCH_POLICY
    from gennes_bo.compare.records import load_records

    records = load_records(Path(__file__).resolve().parents[2] / "results" / "regime_dev.jsonl")
    round2 = batch_rule(lever_probes(records)["batch-strategy lever, round 2"], by_acquisition=True)
    # Round 2: the other acquisitions stay greedy (no entry); its qUCB choice was replaced by round 3's.
    assert round2[("d < 30", "q = 2-32", "other acquisitions")]["choice"] == "lbfgs-same-starts"
    assert (False, "q = 2-32", "other acquisitions") not in BATCH_POLICY
    lever = LEVERS["batch-strategy lever, round 3"]
    round3 = loop_rule({lever.cells[0]: group_test(records, "regime-dev-loop")[lever.cells[0]]}, lever.compared)
    strategy = {"gennes-sequential": "sequential", "gennes-hybrid": None}  # what each choice puts in the table
    assert strategy[round3["choice"]] == BATCH_POLICY.get((False, "q = 2-32", "qUCB"))

def test_dev_loops_run_each_named_optimizer_on_the_dev_cells():
    specs = make_specs("dev", ["levy10-q16-ucb"], ["gennes-hybrid", "botorch-default"], seeds=2, loops=True)
    assert [(s["kind"], s["optimizer"], s["seed"]) for s in specs] == [
        ("regime-dev-loop", "gennes-hybrid", 0), ("regime-dev-loop", "botorch-default", 0),
        ("regime-dev-loop", "gennes-hybrid", 1), ("regime-dev-loop", "botorch-default", 1)]
    with pytest.raises(ValueError, match="dev loops need"):
        make_specs("test", loops=True, optimizers=["gennes-hybrid"])
    with pytest.raises(ValueError, match="dev loops need"):
        make_specs("dev", loops=True)


def test_the_loop_rule_takes_a_fast_candidate_that_beats_the_current_choice_else_keeps_it():
    from benchmarks.regime_report import loop_rule

    def runs(regrets, time):
        return {seed: {"final_regret": r, "acqf_cpu_time": [time] * 3, "acqf_time": [time] * 3}
                for seed, r in enumerate(regrets)}

    current = runs([5.0] * 10, 1.0)
    table = {"current": current, "better": runs([4.0] * 9 + [6.0], 1.05), "slow": runs([1.0] * 10, 3.0),
             "close": runs([4.8] * 5 + [5.1] * 5, 1.0), "botorch-default": runs([5.0] * 10, 1.0),
             "botorch-sequential": runs([4.0] * 10, 2.0)}
    rule = loop_rule({"cell": table}, ["current", "better", "slow", "close", "botorch-default", "botorch-sequential"])
    assert rule["reference time"] == 1.0 and rule["choice"] == "better"
    assert not rule["candidates"]["slow"]["fast"] and not rule["candidates"]["close"]["beats current"]
    assert rule["candidates"]["better"]["wtl"] == (9, 0, 1)
    assert loop_rule({"cell": {**table, "better": runs([5.0] * 10, 1.0)}}, list(table))["choice"] == "current"


def test_the_loop_rule_pools_the_pairs_of_several_cells_and_asks_for_a_lower_mean_in_each():
    from benchmarks.regime_report import loop_rule

    def runs(regrets, time):
        return {seed: {"final_regret": r, "acqf_cpu_time": [time] * 3, "acqf_time": [time] * 3}
                for seed, r in enumerate(regrets)}

    one = {"current": runs([5.0] * 10, 2.0), "candidate": runs([4.0] * 6 + [6.0] * 4, 2.1)}
    two = {"current": runs([50.0] * 10, 2.0), "candidate": runs([45.0] * 5 + [54.0] * 5, 2.1)}
    # Time against the current choice (no BoTorch mode ran); 11/0/9 over 20 pairs is short of 20 % (4).
    rule = loop_rule({"one": one, "two": two}, ["current", "candidate"], reference="current")
    assert rule["reference time"] == 2.0 and rule["candidates"]["candidate"]["fast"]
    assert rule["candidates"]["candidate"]["wtl"] == (11, 0, 9) and rule["choice"] == "current"
    two["candidate"] = runs([40.0] * 8 + [60.0] * 2, 2.1)  # 14/0/6: enough, and lower in both cells
    assert loop_rule({"one": one, "two": two}, ["current", "candidate"], reference="current")["choice"] == "candidate"
    two["candidate"] = runs([40.0] * 9 + [200.0], 2.1)  # 15/0/5, but a higher mean in the second cell
    assert loop_rule({"one": one, "two": two}, ["current", "candidate"], reference="current")["choice"] == "current"
    two["candidate"] = runs([40.0] * 8 + [60.0] * 2, 2.5)  # 1.25x the current choice's time: not fast
    assert loop_rule({"one": one, "two": two}, ["current", "candidate"], reference="current")["choice"] == "current"


def test_the_cheapest_unbeaten_rule_takes_the_first_budget_the_richest_does_not_beat():
    from benchmarks.regime_report import loop_rule

    def runs(regrets, time=1.0):
        return {seed: {"final_regret": r, "acqf_cpu_time": [time] * 3, "acqf_time": [time] * 3}
                for seed, r in enumerate(regrets)}

    order = ["cheap", "middle", "rich"]
    one = {"cheap": runs([6.0] * 10), "middle": runs([5.0] * 10, 2.0), "rich": runs([5.0] * 7 + [4.0] * 3, 4.0)}
    two = {"cheap": runs([60.0] * 10), "middle": runs([50.0] * 10, 2.0), "rich": runs([50.0] * 10, 4.0)}
    rule = loop_rule({"one": one, "two": two}, order, reference="cheap", rule="cheapest unbeaten")
    # The richest beats the cheap build on every pair; against the middle one 3/17/0 is short of 20 % of 20 pairs.
    assert rule["candidates"]["cheap"]["richest wtl"] == (20, 0, 0) and rule["candidates"]["cheap"]["beaten"]
    assert rule["candidates"]["middle"]["richest wtl"] == (3, 17, 0) and not rule["candidates"]["middle"]["beaten"]
    assert rule["choice"] == "middle" and rule["candidates"]["rich"]["time"] == 4.0
    one["cheap"], two["cheap"] = runs([5.0] * 10), runs([51.0] * 5 + [49.0] * 5)  # 8/7/5 from the richest
    assert loop_rule({"one": one, "two": two}, order, rule="cheapest unbeaten")["choice"] == "cheap"
    one["cheap"] = runs([5.5] * 10)  # 15/0/5: enough pairs, and the richest lower on average relative to it
    assert loop_rule({"one": one, "two": two}, order, rule="cheapest unbeaten")["choice"] == "middle"
    two["cheap"] = runs([51.0] * 5 + [10.0] * 5)  # 15/0/5, but the richest higher on average relative to it
    assert loop_rule({"one": one, "two": two}, order, rule="cheapest unbeaten")["choice"] == "cheap"
    with pytest.raises(ValueError, match="`rule` must be one of"):
        loop_rule({"one": one}, order, rule="cheapest")


def test_a_dev_loop_section_names_no_choice_until_every_loop_has_run(tmp_path):
    from benchmarks.regime_report import _loop_section
    from benchmarks.regime_spec import LEVERS
    from gennes_bo.compare.report import Report

    lever = LEVERS["batch-strategy lever, round 5"]
    current, candidate = lever.compared

    def runs(regret, n):
        return {seed: {"final_regret": regret, "acqf_cpu_time": [1.0] * 4, "acqf_time": [1.0] * 4}
                for seed in range(n)}

    partial = {cell: {current: runs(5.0, 3), candidate: runs(1.0, 3)} for cell in lever.cells}
    report = Report(tmp_path / "r.md", "r")
    _loop_section(report, "batch-strategy lever, round 5", partial)
    assert "In progress:** 12 of 40 loops" in report.text and "**chosen**" not in report.text
    complete = {cell: {current: runs(5.0, 10), candidate: runs(1.0, 10)} for cell in lever.cells}
    report = Report(tmp_path / "r.md", "r")
    _loop_section(report, "batch-strategy lever, round 5", complete)
    assert "In progress" not in report.text and f"| `{candidate}` |" in report.text
    assert report.text.count("**chosen**") == 1


def test_every_lever_links_a_section_of_the_design_notes():
    import re
    from pathlib import Path

    from benchmarks.regime_spec import LEVERS

    text = (Path(__file__).resolve().parents[2] / "docs" / "design.md").read_text()
    slugs = {re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", line.lstrip("#").strip().lower()))
             for line in text.splitlines() if line.startswith("#")}
    assert all(lever.anchor in slugs for lever in LEVERS.values()), [l.anchor for l in LEVERS.values()]


def test_the_greedy_candidates_stay_greedy_where_the_policy_builds_batches_otherwise():
    from benchmarks.regime_spec import task_of

    spec = make_specs("dev", ["levy10-q16-ucb"], ["gennes-hybrid"], seeds=1, loops=True)[0]
    assert spec_settings(spec)["batch_strategy"] == "sequential"  # the policy's choice for qUCB at d = 10, q = 16
    for name in ("lbfgs-greedy-2starts", "lbfgs-greedy-cap15"):
        from gennes_bo.compare.registry import get_acqf_optimizer

        settings = get_acqf_optimizer(name).resolved_settings(task_of(spec))
        assert (settings["batch_strategy"], settings["num_restarts"], settings["raw_samples"]) == ("greedy", 2, 512)


def test_timing_specs_time_botorchs_modes_and_ours_on_the_states_of_test_cells():
    from benchmarks.regime_spec import TIMED, TIMING_SEEDS, compared_of

    specs = make_specs("test", ["hartmann6-q1", "hartmann6-q64"], timing=True)
    assert {s["kind"] for s in specs} == {"regime-timing"} and {s["optimizer"] for s in specs} == {"timing-probe"}
    assert len(specs) == 2 * TIMING_SEEDS
    by_cell = {s["cell"]: s for s in specs}
    assert compared_of(by_cell["hartmann6-q64"]) == TIMED
    assert compared_of(by_cell["hartmann6-q1"]) == ("botorch-default", "gennes-hybrid")  # one BoTorch mode at q = 1
    assert set(spec_settings(by_cell["hartmann6-q64"])) == set(TIMED)
    dev = make_specs("dev", ["levy10-q16-ucb"], ["lbfgs-seq-cap10-1start", "botorch-default"], timing=True)
    assert [s["compared"] for s in dev] == [["lbfgs-seq-cap10-1start", "botorch-default"]] * TIMING_SEEDS


def _timed(default: float, sequential: float, ours: float) -> dict:
    return {"botorch-default": {"cpu_time": default}, "botorch-sequential": {"cpu_time": sequential},
            "gennes-hybrid": {"cpu_time": ours}}


def test_the_time_ratio_comes_from_the_same_states_where_a_cell_has_them():
    from benchmarks.regime_report import _cell_row, timing_states

    cell = CELLS["ackley10-q16-ucb"]
    runs = {name: {seed: _record(cell.name, name, seed, 1.0) for seed in range(2)}
            for name in ("botorch-default", "botorch-sequential", "gennes-hybrid")}
    runs["gennes-hybrid"][0]["acqf_cpu_time"] = runs["gennes-hybrid"][1]["acqf_cpu_time"] = [3.0]  # 3x in loops
    loops_only = cell_summary(cell, runs)
    assert loops_only["time_ratio"] == pytest.approx(3.0) and _cell_row(loops_only)[13] == "3.00x (loops)"
    records = [{"spec": {"kind": "regime-timing", "cell": cell.name, "seed": seed},
                "states": [_timed(2.0, 4.0, 2.1), _timed(1.0, 3.0, 1.2), _timed(3.0, 5.0, 2.9)]} for seed in range(2)]
    states = timing_states(records)[cell.name]
    summary = cell_summary(cell, runs, states)
    assert len(states) == 6 and summary["time_ratio"] == pytest.approx(2.1 / 2.0)  # medians: 2.1 over 2.0
    assert summary["loop_time_ratio"] == pytest.approx(3.0) and _cell_row(summary)[13] == "1.05x"
    assert "met." in verdicts([summary])[-1]
    assert "from loop records" in verdicts([loops_only])[-1] and "missed in ackley10-q16-ucb 3.00x" in \
        verdicts([loops_only])[-1]


def test_dev_timing_rows_time_a_levers_candidates_against_the_faster_mode():
    from benchmarks.regime_report import dev_timing_rows

    compared = ["gennes-hybrid", "lbfgs-seq-cap10-1start", "botorch-default", "botorch-sequential"]
    state = {"gennes-hybrid": {"cpu_time": 3.0, "value": 10.0}, "lbfgs-seq-cap10-1start": {"cpu_time": 1.5,
             "value": 9.0}, "botorch-default": {"cpu_time": 2.0, "value": 12.0},
             "botorch-sequential": {"cpu_time": 6.0, "value": 11.0}}
    records = [{"spec": {"kind": "regime-timing", "cell": "levy10-q16-ucb", "seed": 0, "compared": compared},
                "states": [state, state]}]
    rows = {row[2]: row for row in dev_timing_rows(records)}
    assert rows["`gennes-hybrid`"][3:] == ["3.00", "1.50x", ""]
    assert rows["`lbfgs-seq-cap10-1start`"][3:] == ["1.50", "0.75x", "0/0/2"]  # 10 % lower in value on both
    # The same cell and seed timed for a second lever: both keep their rows, neither replaces the other's states.
    other = {"gennes-hybrid": {"cpu_time": 4.0, "value": 10.0}, "botorch-default": {"cpu_time": 2.0, "value": 9.0}}
    records.append({"spec": {**records[0]["spec"], "compared": ["gennes-hybrid", "botorch-default"]},
                    "states": [other]})
    rows = dev_timing_rows(records)
    assert sorted((row[1], row[3]) for row in rows if row[2] == "`gennes-hybrid`") == [(1, "4.00"), (2, "3.00")]


def test_the_estimate_reads_recorded_runs_and_times_nothing_for_them():
    from benchmarks.regime_map import estimate, estimate_key, recorded_cpu_times
    from gennes_bo.compare.records import run_key

    specs = make_specs("test", ["hartmann6-q64"], ["sobol", "oracle"])
    records = [{"spec": spec, "cpu_time": 360.0 if spec["optimizer"] == "sobol" else 7200.0}
               for spec in specs if spec["seed"] < 2]
    recorded = recorded_cpu_times(records)
    assert recorded[estimate_key(specs[0])] == [360.0, 360.0]
    lines = list(estimate(specs, {run_key(s) for s in specs if s["seed"] >= 2}, recorded))
    assert "(GP fit)" not in "\n".join(lines) and all("(recorded)" in line for line in lines[1:-1])
    # Sobol: 10 runs of 0.1 h; the oracle: 5 of 2 h. Left: 8 Sobol runs and 3 oracle runs.
    assert lines[-1] == "estimated CPU hours: 11.0 for 15 runs (6.8 for the 11 not yet recorded)"
