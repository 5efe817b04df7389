"""`gennes-bo hpo`: the grid, a tiny run through the CLI (records per trial, resume, batched ask/tell, `--report`),
the tasks' search spaces, and the normalized score."""

from __future__ import annotations

import math

import pytest
from conftest import run_cli

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

from benchmarks.hpo import make_specs, run_hpo_spec  # noqa: E402
from benchmarks.hpo_report import Normalizer, group_runs  # noqa: E402
from benchmarks.hpo_spec import BATCH_TASKS, SAMPLERS  # noqa: E402
from benchmarks.hpo_tasks import TASKS  # noqa: E402
from gennes_bo.compare.records import load_records  # noqa: E402


def test_grid_is_sequential_first_then_batched_on_half_the_tasks() -> None:
    specs = make_specs()
    sequential = [s for s in specs if s["batch"] == 1]
    assert len(sequential) == len(TASKS) * len(SAMPLERS) * 5 and specs[: len(sequential)] == sequential
    assert {s["task"] for s in specs if s["batch"] == 8} == set(BATCH_TASKS) and len(BATCH_TASKS) * 2 == len(TASKS)
    assert [s["seed"] for s in sequential[:: len(TASKS) * len(SAMPLERS)]] == list(range(5))
    with pytest.raises(ValueError, match="unknown sampler 'hebo'"):
        make_specs(samplers=["hebo"])


def test_every_task_has_3_to_9_parameters_of_mixed_kinds() -> None:
    for task in TASKS.values():
        space = task.space()
        assert 3 <= len(space) <= 9, task.name
        assert len({type(d).__name__ for d in space.values()}) >= 2, task.name


def test_quick_run_records_every_trial_resumes_and_reports(tmp_path) -> None:
    out, report = tmp_path / "hpo.jsonl", tmp_path / "hpo.md"
    args = ["hpo", "--quick", "--out", str(out), "--workers", "0", "--no-progress"]
    assert "ran 2 runs; 2 in the grid" in run_cli(*args)
    assert "ran 0 runs; 2 in the grid" in run_cli(*args)
    records = load_records(out)
    for record in records:
        assert len(record["values"]) == len(record["best"]) == len(record["sampler_time"]) == 3
        assert record["best"] == [min(record["values"][: i + 1]) for i in range(3)]
        assert all(t >= 0 for t in record["sampler_time"] + record["objective_time"])
    estimate = run_cli(*args, "--estimate")  # the runs are recorded already: only the objective is timed
    assert "ran 1 runs; 3 in the grid" in estimate and "estimated CPU hours" in estimate
    assert [r["spec"]["kind"] for r in load_records(out)] == ["hpo", "hpo", "hpo-timing"]
    text = run_cli("hpo", "--out", str(out), "--report", str(report))
    assert "**Partial results**" in text and "Normalized score at 20 trials" not in text  # 3-trial runs
    assert "`svr-diabetes`" in text and report.exists()


def test_batched_mode_asks_eight_before_telling() -> None:
    spec = {"kind": "hpo", "task": "svr-diabetes", "sampler": "random", "batch": 8, "trials": 10, "seed": 0}
    record = run_hpo_spec(spec)
    assert len(record["values"]) == 10 and record["final_best"] == min(record["values"])
    sequential = run_hpo_spec({**spec, "batch": 1})
    assert sequential["values"] == record["values"]  # random search does not depend on the batch size


def test_normalized_score_is_0_at_random_mean_and_1_at_the_best() -> None:
    def record(sampler, seed, best):
        return {"spec": {"kind": "hpo", "task": "t", "sampler": sampler, "batch": 1, "trials": 2, "seed": seed},
                "best": best, "final_best": best[-1]}

    grouped = group_runs([record("random", 0, [4.0, 2.0]), record("random", 1, [2.0, 2.0]),
                          record("gennes", 0, [3.0, 1.0])])
    norm = Normalizer(grouped)
    assert norm.score("t", [3.0, 2.0]) == 0.0 and norm.score("t", [3.0, 1.0]) == 1.0
    assert norm.score("t", [3.0, 1.0], n=1) == 0.0 and math.isnan(norm.score("other", [1.0]))


def test_report_verdicts_from_synthetic_records(tmp_path) -> None:
    from benchmarks.hpo_report import write_report

    final = {"random": 4.0, "tpe": 3.0, "gp": 1.5, "botorch": 2.5, "gennes": 1.0}  # lower is better
    records = []
    for task in ("sgd-digits", "svr-diabetes"):
        for seed in range(6):
            for sampler, loss in final.items():
                best = [5.0] * 20 + [loss + 0.1 * seed] * 20
                records.append({"spec": {"kind": "hpo", "task": task, "sampler": sampler, "batch": 1,
                                         "trials": 40, "seed": seed},
                                "best": best, "final_best": best[-1], "values": best, "cpu_time": 1.0,
                                "sampler_time": [0.3 if sampler == "gennes" else 0.2 if task == "sgd-digits" else 0.1]
                                * 40,
                                "objective_time": [0.01] * 40})
    text = write_report(records, tmp_path / "hpo.md", "gennes-bo hpo --report")
    assert "`gennes` has the best mean normalized score over the grid (2 tasks): 0.92 vs the best other, `gp`, 0.77" \
        in text
    assert "0.92 vs 0.31 over 12 pairs, W/T/L 12/0/0, Wilcoxon p = 4.9e-04" in text  # random 4.25, best 1
    assert "worse on 0 (none)" in text and "0.3 s vs 0.15 s (2.00x)" in text
    assert "| `sgd-digits` | 0.2 | 0.3 | 1.5 | 1.5 |" in text and "| `svr-diabetes` | 0.1 | 0.3 | 3 | 3 |" in text
    assert "| mean rank (ablations left out) | 5.00 | 4.00 | 2.00 | 3.00 | 1.00 |" in text
    assert (tmp_path / "hpo_score_sequential.png").exists()


def test_grid_extended_to_more_seeds_for_some_samplers_plans_them_everywhere() -> None:
    from benchmarks.hpo_report import _complete, _seeds_text
    from benchmarks.hpo_spec import SAMPLERS, SEEDS

    def records(sampler, seeds, task="svr-diabetes", batch=1):
        return [{"spec": {"kind": "hpo", "task": task, "sampler": sampler, "batch": batch, "trials": 2, "seed": s},
                 "best": [1.0, 1.0], "final_best": 1.0} for s in range(seeds)]

    extended = ("random", "tpe")
    grid = [r for s in SAMPLERS for r in records(s, 2 * SEEDS if s in extended else SEEDS)]
    grouped = group_runs(grid + [r for s in SAMPLERS for r in records(s, SEEDS, task="sgd-digits")])
    assert _seeds_text(grouped, 1, "svr-diabetes") == (
        f"{2 * SEEDS}/{2 * SEEDS}: `random`, `tpe`; {SEEDS}/{SEEDS}: "
        + ", ".join(f"`{s}`" for s in SAMPLERS if s not in extended))
    assert _seeds_text(grouped, 1, "sgd-digits").startswith(f"{SEEDS}/{2 * SEEDS}: `random`, `tpe`; ")
    assert not _complete(grouped)


def test_report_shows_where_later_suggestions_land(tmp_path) -> None:
    from benchmarks.hpo_report import write_report

    records = []
    for sampler, later in (("random", 0.8), ("gennes", 0.5)):
        for seed in range(2):
            values = [1.0] * 16 + [later + 0.1 * seed] * 24
            best = [min(values[: i + 1]) for i in range(40)]
            records.append({"spec": {"kind": "hpo", "task": "svr-diabetes", "sampler": sampler, "batch": 1,
                                     "trials": 40, "seed": seed},
                            "values": values, "best": best, "final_best": best[-1], "cpu_time": 1.0,
                            "sampler_time": [0.1] * 40, "objective_time": [0.01] * 40})
    text = write_report(records, tmp_path / "hpo.md", "gennes-bo hpo --report")
    assert "| `svr-diabetes` | 0.85 | 0.55 | 0.85 / 0.5 |" in text  # medians of trials 17-40; random's span


def _smac_space() -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    return {"lr": FloatDistribution(1e-4, 1.0, log=True), "x": FloatDistribution(-1.0, 1.0),
            "width": IntDistribution(4, 256, log=True), "depth": IntDistribution(1, 4),
            "act": CategoricalDistribution(["relu", None, 3])}


def test_smac_sampler_batches_and_tells_every_trial() -> None:
    import optuna

    pytest.importorskip("smac")
    space = _smac_space()
    sampler = SAMPLERS["smac"].build(0, space, 12)
    study = optuna.create_study(sampler=sampler)
    for _ in range(3):  # batches of 4: four asks before any tell
        trials = [study.ask(space) for _ in range(4)]
        for trial in trials:
            study.tell(trial, (trial.params["x"] - 0.3) ** 2 + (trial.params["act"] == "relu"))
    params = [t.params for t in study.trials]
    assert len({tuple(sorted((k, str(v)) for k, v in p.items())) for p in params}) == 12
    for p in params:
        assert 1e-4 <= p["lr"] <= 1.0 and -1.0 <= p["x"] <= 1.0 and 4 <= p["width"] <= 256 and 1 <= p["depth"] <= 4
        assert isinstance(p["width"], int) and isinstance(p["depth"], int) and p["act"] in ("relu", None, 3)
    assert len(sampler._smac.runhistory) == 12


def test_smac_sampler_tells_failed_trials_as_crashes_and_rejects_stepped_floats() -> None:
    import optuna
    from optuna.distributions import FloatDistribution

    pytest.importorskip("smac")
    from smac.runhistory import StatusType

    from benchmarks.hpo_smac import SMACSampler

    space = _smac_space()
    study = optuna.create_study(sampler=SMACSampler(space, 6, seed=1))
    study.tell(study.ask(space), state=optuna.trial.TrialState.FAIL)  # before any value: told with the first
    assert [v.status for v in study.sampler._smac.runhistory.values()] == [StatusType.RUNNING]
    for value in (1.0, 3.0, None, 2.0):
        study.tell(study.ask(space), value, state=optuna.trial.TrialState.FAIL if value is None else None)
    study.ask(space)  # SMAC's model sees finite costs only
    told = [(v.status.name, v.cost) for v in study.sampler._smac.runhistory.values()]
    assert told[:5] == [("CRASHED", 1.0), ("SUCCESS", 1.0), ("SUCCESS", 3.0), ("CRASHED", 3.0), ("SUCCESS", 2.0)]
    assert told[5][0] == "RUNNING" and len(told) == 6
    with pytest.raises(ValueError, match="cannot map parameter 'y'"):
        SMACSampler({"y": FloatDistribution(0.0, 1.0, step=0.1)}, 5)


def test_smac_sampler_is_reproducible_under_a_seed() -> None:
    pytest.importorskip("smac")
    spec = {"kind": "hpo", "task": "svr-diabetes", "sampler": "smac", "batch": 1, "trials": 12, "seed": 3}
    assert run_hpo_spec(spec)["values"] == run_hpo_spec(spec)["values"]
