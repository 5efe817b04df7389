"""Tests of the acquisition-optimizer benchmark: the `--quick` path, resuming, and the generated report."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.acqf import (
    QUICK_METHODS,
    QUICK_SUITE,
    SUITE,
    Case,
    make_specs,
    run_acqf_spec,
    run_method,
    spec_settings,
    summarize,
    thin_trace,
    write_report,
)
from gennes_bo.cli import main
from gennes_bo.compare.records import StaleRecordsError, load_records
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer
from gennes_bo.compare.runner import SerialExecutor, run_grid

TABLE_HEADER = ("| problem | n_train | q | acqf | seeds | default | 10x budget | L-BFGS, GENNES's starts "
                "| GENNES joint | GENNES |")


def test_quick_run_writes_one_record_per_case_and_method(quick_bench):
    out, stdout = quick_bench
    assert f"ran 4 runs; 4 in the grid; records in {out}" in stdout
    records = load_records(out)
    assert len(records) == len(QUICK_SUITE) * len(QUICK_METHODS) == 4
    seen = {(r["spec"]["case"]["q"], r["spec"]["optimizer"]) for r in records}
    assert seen == {(1, "gennes-hybrid"), (1, "botorch-default"), (2, "gennes-hybrid"), (2, "botorch-default")}
    for r in records:
        result = r["result"]
        assert math.isfinite(result["value"]) and result["wall_time"] > 0
        assert result["n_evals"] >= 512  # at least the raw samples
        trace_evals = [n for n, _ in result["trace"]]
        trace_best = [v for _, v in result["trace"]]
        assert trace_evals == sorted(trace_evals) and trace_evals[-1] == result["n_evals"]
        assert trace_best == sorted(trace_best)
        assert trace_best[-1] >= result["value"] - 1e-9  # the returned candidate was evaluated on the way
        assert r["env"]["botorch"]
        assert r["spec"]["kind"] == "bench-acqf"
        entry = get_acqf_optimizer(r["spec"]["optimizer"])
        assert result["resolved"] == entry.resolved_settings(AcqfTask(q=r["spec"]["case"]["q"]))
        assert r["settings"] == spec_settings(r["spec"]) == result["resolved"]  # for stale-record checks


def test_rerun_resumes_and_skips_finished_runs(quick_bench):
    out, _ = quick_bench
    before = out.read_text()
    specs = make_specs(QUICK_SUITE, QUICK_METHODS, [0])
    assert run_grid(specs, run_acqf_spec, out, SerialExecutor(), progress=False, settings=spec_settings) == 0
    assert out.read_text() == before


def test_records_of_other_gennes_defaults_are_refused(quick_bench, tmp_path, monkeypatch):
    import gennes_bo.acquisition.settings as module

    out, _ = quick_bench
    copy = tmp_path / "acqf.jsonl"
    copy.write_text(out.read_text())
    changed = module.default_acqf_config(1).replace(alpha=0.5)  # a default changed since the runs
    monkeypatch.setattr(module, "default_acqf_config", lambda q: changed)
    with pytest.raises(SystemExit, match=r"bench-acqf: 2 record\(s\) in .* other settings"):
        main(["bench-acqf", "--quick", "--out", str(copy), "--workers", "0", "--no-progress"])
    assert copy.read_text() == out.read_text()
    with pytest.raises(StaleRecordsError):
        run_grid(make_specs(QUICK_SUITE, QUICK_METHODS, [0]), run_acqf_spec, copy, SerialExecutor(), progress=False,
                 settings=spec_settings)


def test_report_from_records(quick_bench, tmp_path, capsys):
    out, _ = quick_bench
    report = tmp_path / "docs" / "acquisition.md"
    assert main(["bench-acqf", "--out", str(out), "--report", str(report)]) == 0
    text = report.read_text()
    assert text == capsys.readouterr().out.rstrip("\n") + "\n"
    assert text.startswith("# Acquisition-optimizer benchmark")
    assert TABLE_HEADER in text
    assert "| hartmann6 | 20 | 1 | logei | 1 |" in text
    assert "| hartmann6 | 20 | 2 | qlogei | 1 |" in text
    assert "## Targets" in text


def test_unknown_method_exits_before_running(tmp_path):
    out = tmp_path / "runs.jsonl"
    with pytest.raises(SystemExit, match="gennes-bo bench-acqf: unknown acquisition optimizer 'nope'"):
        main(["bench-acqf", "--quick", "--out", str(out), "--methods", "botorch-default", "nope"])
    assert not out.exists()


def test_report_without_records_exits_with_a_message(tmp_path):
    with pytest.raises(SystemExit, match="no records in"):
        main(["bench-acqf", "--out", str(tmp_path / "none.jsonl"), "--report", str(tmp_path / "r.md")])


def fake_record(problem: str, q: int, seed: int, method: str, value: float, wall_time: float, n_evals: int,
                trace: list[list[float]]) -> dict:
    case = {"problem": problem, "n_train": 10, "q": q, "acqf": "qlogei"}
    return {"spec": {"kind": "bench-acqf", "case": case, "seed": seed, "optimizer": method},
            "result": {"value": value, "wall_time": wall_time, "n_evals": n_evals, "trace": trace},
            "env": {"torch": "x"}}


FAKE = [
    # q = 1, seed 0: GENNES +10% better (win), half the time, reaches the default's value after 50 of 200 points.
    fake_record("p", 1, 0, "botorch-default", -2.0, 2.0, 200, [[200, -2.0]]),
    fake_record("p", 1, 0, "gennes-hybrid", -1.8, 1.0, 100, [[10, -3.0], [50, -2.0], [100, -1.8]]),
    # q = 1, seed 1: a tie within 1e-3, never reaching the target before the end... it ends 5e-4 below.
    fake_record("p", 1, 1, "botorch-default", -1.0, 1.0, 100, [[100, -1.0]]),
    fake_record("p", 1, 1, "gennes-hybrid", -1.0005, 3.0, 300, [[300, -1.0005]]),
    # q = 4: a loss, and never within 1e-3 of the default.
    fake_record("p", 4, 0, "botorch-default", 2.0, 1.0, 100, [[100, 2.0]]),
    fake_record("p", 4, 0, "gennes-hybrid", 1.0, 1.0, 100, [[100, 1.0]]),
    fake_record("p", 4, 0, "botorch-10x", 2.5, 10.0, 1000, [[1000, 2.5]]),
]


def test_summarize_numbers():
    rows = summarize(FAKE)
    assert [(r["case"]["q"], r["n_seeds"]) for r in rows] == [(1, 2), (4, 1)]
    q1, q4 = rows
    assert q1["rel_gain"] == pytest.approx([0.1, -0.0005])
    assert (q1["wins"], q1["ties"], q1["losses"]) == (1, 1, 0)
    assert q1["time_ratio"] == pytest.approx((0.5 + 3.0) / 2)
    assert q1["eval_ratio"] == pytest.approx((0.5 + 3.0) / 2)
    assert q1["reach_ratio"] == pytest.approx((50 / 200 + 300 / 100) / 2)
    assert q1["medians"]["gennes-hybrid"] == pytest.approx((-1.8 - 1.0005) / 2)
    assert q4["rel_gain"] == pytest.approx([-0.5])
    assert (q4["wins"], q4["ties"], q4["losses"]) == (0, 0, 1)
    assert q4["reach_ratio"] == math.inf
    assert q4["medians"]["botorch-10x"] == 2.5


def test_write_report_table_and_targets(tmp_path):
    text = write_report(FAKE, tmp_path / "r.md", "gennes-bo bench-acqf --report r.md")
    assert (tmp_path / "r.md").read_text() == text
    assert TABLE_HEADER in text
    assert "    gennes-bo bench-acqf --report r.md" in text
    rows = ["| p | 10 | 1 | qlogei | 2 | -1.5000 | nan | nan | — | -1.4002 | +4.98e-02 | 1/1/0 | 1.75 | 1.75 | 1.62 |",
            "| p | 10 | 4 | qlogei | 1 | 2.0000 | 2.5000 | nan | — | 1.0000 | -5.00e-01 | 0/0/1 | 1.00 | 1.00 | inf |"]
    assert all(row in text for row in rows)
    assert "worst run -5.00e-04 -> met" in text
    assert "q >= 4 median better than default: 0 of 1 cases -> **missed**" in text
    assert "Methods:" not in text  # the method table of records written before the registry
    # The q = 4 case has anytime traces, so the report embeds the generated figure beside itself.
    assert "![anytime curves](r_anytime.png)" in text
    assert (tmp_path / "r_anytime.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_plot_without_q_batches(tmp_path):
    from benchmarks.acqf import plot_anytime

    assert not plot_anytime(FAKE[:4], tmp_path / "none.png")  # q = 1 only
    assert not (tmp_path / "none.png").exists()


def test_thin_keeps_improvements_and_the_end():
    trace = [(1, 0.0), (2, 0.0), (3, 1.0), (4, 1.0), (5, 2.0), (6, 2.0)]
    assert thin_trace(trace) == [[1, 0.0], [3, 1.0], [5, 2.0], [6, 2.0]]
    long = [(i, float(i)) for i in range(1, 1001)]
    thinned = thin_trace(long, max_points=100)
    assert len(thinned) <= 102 and thinned[0] == [1, 1.0] and thinned[-1] == [1000, 1000.0]
    assert thin_trace([]) == []


def test_report_of_records_written_before_the_registry_uses_todays_names(tmp_path):
    legacy = [{**r, "spec": {"case": r["spec"]["case"], "seed": r["spec"]["seed"], "method": old,
                             "settings": {"optimizer": "botorch"}}}
              for r, old in zip(FAKE, ["default", "gennes", "default", "gennes", "default", "gennes", "default_10x"],
                                strict=True)]
    path = tmp_path / "legacy.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in legacy))
    records = load_records(path)
    assert [r["spec"]["optimizer"] for r in records] == [r["spec"]["optimizer"] for r in FAKE]
    assert summarize(records) == summarize(FAKE)
    text = write_report(records, tmp_path / "r.md", "cmd")
    assert "Methods: `botorch-10x` = {\"optimizer\": \"botorch\"}; `botorch-default` = " in text


def test_run_method_rejects_an_unknown_optimizer():
    acqf = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError,
                       match="unknown acquisition optimizer 'nope': use one of gennes-hybrid, gennes-hybrid-fresh"):
        run_method(acqf, torch.tensor([[0.0], [1.0]]), 1, "nope", seed=0)


def test_suites_are_well_formed():
    assert all(isinstance(c, Case) for c in SUITE + QUICK_SUITE)
    assert all(c.acqf == "qlogei" for c in SUITE if c.q > 1)  # analytic LogEI is q = 1 only
    assert len({json.dumps(c.__dict__, sort_keys=True) for c in SUITE}) == len(SUITE)


@pytest.mark.parametrize("q", [1, 2])
def test_ablation_uses_the_restarts_gennes_gets(monkeypatch, q):
    import benchmarks.acqf as module
    import gennes_bo.acquisition.optimize as pipeline
    from gennes_bo.acquisition import recommended_restarts

    seen = {}

    def spy(acqf, bounds, q, num_restarts, raw_samples, options, **kwargs):
        seen.update(num_restarts=num_restarts, raw_samples=raw_samples, q=q,
                    pipeline=options["gennes_settings"].pipeline)
        return torch.zeros(q, bounds.shape[1], dtype=bounds.dtype), torch.tensor(0.0)

    # q = 1: optimize_acqf from GENNES's restarts; q > 1: GENNES's greedy pipeline with L-BFGS-B steps
    monkeypatch.setattr(pipeline, "optimize_acqf" if q == 1 else "optimize_acqf_greedy", spy)
    acqf = torch.nn.Identity()  # run_method only needs a module; the spy never calls it
    acqf.forward = lambda X: X.sum(dim=(-1, -2))
    acqf.set_X_pending = lambda X=None: None  # an acquisition that takes pending points: greedy q-batches
    bounds = torch.stack([torch.zeros(2), torch.ones(2)]).double()
    from gennes_bo.acquisition.policy import greedy_step_restarts

    result = run_method(acqf, bounds, q, "lbfgs-same-starts", seed=3)
    restarts, raw_samples = recommended_restarts(q)
    expected = (greedy_step_restarts(q=q, d=2) or restarts, raw_samples)  # the default's, policy included
    assert (seen["num_restarts"], seen["raw_samples"]) == expected
    # the record's task has no fixed dimension: a greedy q-batch's restarts are left to each call's policy
    assert (result["resolved"]["num_restarts"], result["resolved"]["raw_samples"]) == (
        restarts if q == 1 else None, raw_samples)
    assert "lbfgs-same-starts" in module.METHODS
    assert seen["q"] == q and seen["pipeline"] == "lbfgs"


def test_a_worker_fits_each_gp_once_for_the_methods_of_a_case_and_seed(monkeypatch):
    import benchmarks.acqf as module

    fits = []
    monkeypatch.setattr(module._LAST_ACQUISITION, "key", None, raising=False)
    monkeypatch.setattr(module, "build_acquisition", lambda case, seed: fits.append((case.q, seed)) or ("acqf", "b"))
    monkeypatch.setattr(module, "run_method", lambda acqf, bounds, q, settings, seed: {"acqf": acqf, "q": q})
    specs = make_specs(QUICK_SUITE, QUICK_METHODS, [0, 1])
    assert [run_acqf_spec(spec) for spec in specs] == [{"result": {"acqf": "acqf", "q": s["case"]["q"]}} for s in specs]
    assert fits == [(1, 0), (1, 1), (2, 0), (2, 1)]  # specs run case, seed, then method


@pytest.mark.parametrize(("name", "stages"), [("gennes-hybrid", 2), ("gennes-hybrid-noretry", 1)])
def test_a_polish_warning_makes_botorch_redo_the_search_unless_the_retry_is_off(monkeypatch, logei, bounds, name,
                                                                                  stages):
    import warnings

    from botorch.exceptions.warnings import OptimizationWarning

    import gennes_bo.acquisition.gen_candidates as gen_candidates_module

    polish = gen_candidates_module.gen_candidates_scipy
    calls = {"stages": 0}  # polishes, one per search whichever pipeline the policy picks

    def warning_polish(*args, **kwargs):
        calls["stages"] += 1
        result = polish(*args, **kwargs)
        warnings.warn("Optimization failed within `scipy.optimize.minimize` with status 2", OptimizationWarning,
                      stacklevel=2)
        return result

    monkeypatch.setattr(gen_candidates_module, "gen_candidates_scipy", warning_polish)
    entry = get_acqf_optimizer(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        candidates, _ = entry.make(AcqfTask(q=1))(logei, bounds, 1)
    assert calls["stages"] == stages
    assert candidates.shape == (1, 3)
    assert entry.resolved_settings(AcqfTask(q=4)).get("retry_on_optimization_warning", True) is (stages == 2)
