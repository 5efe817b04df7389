"""Tests of `gennes-bo compare-acqf`: frozen states, the `--quick` grid, resuming, plug-in optimizers, the report.

The `--quick` grid runs the paper's `gennes`, which the repository's `benchmarks` package registers (imported here).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import textwrap
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import benchmarks  # noqa: F401 - registers the paper's optimizers (`gennes` of the quick grid)
from gennes_bo.cli import main
from gennes_bo.compare import frozen_states
from gennes_bo.compare import registry as acqf_optimizers
from gennes_bo.compare.compare_acqf import (
    QUICK,
    _gap,
    ei_ratio,
    make_specs,
    overall,
    plot_anytime,
    relative_gap,
    run_compare_spec,
    summarize,
    write_report,
)
from gennes_bo.compare.frozen_states import (
    QUICK_TASKS,
    FreezeTask,
    ensure_states,
    freeze_task,
    load_states,
    rebuild_acquisition,
    rebuild_model,
    save_states,
)
from gennes_bo.compare.records import load_records
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, register

QUICK_TASK = QUICK_TASKS["hartmann3-quick"]


def run_cli(*argv: str) -> str:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["compare-acqf", *argv]) == 0
    return stdout.getvalue()


@pytest.fixture(scope="module")
def quick_compare(tmp_path_factory) -> tuple[Path, Path, str]:
    """`gennes-bo compare-acqf --quick` in this process, once for the module: states path, records path, stdout."""
    root = tmp_path_factory.mktemp("compare")
    states, out = root / "states.pt", root / "runs.jsonl"
    stdout = run_cli("--quick", "--states", str(states), "--out", str(out), "--workers", "0", "--no-progress")
    return states, out, stdout


def test_quick_grid_writes_one_record_per_run(quick_compare):
    states_path, out, stdout = quick_compare
    assert "2 frozen states in" in stdout and "hartmann3-quick-early, hartmann3-quick-late" in stdout
    assert f"ran 8 runs; 8 in the grid; records in {out}" in stdout
    states = {s.name: s for s in load_states(states_path)}
    records = load_records(out)
    seen = {(r["spec"]["state"], r["spec"]["q"], r["spec"]["optimizer"]) for r in records}
    assert seen == {(s, q, o) for s in states for q in QUICK["q"] for o in QUICK["optimizers"]}
    for record in records:
        spec, result, state = record["spec"], record["result"], states[record["spec"]["state"]]
        assert spec["fingerprint"] == state.fingerprint() and spec["acquisition"] == "logei" and spec["seed"] == 0
        assert spec["options"] == ({"paper_iterations": 3} if spec["optimizer"] == "gennes" else {})
        task = AcqfTask(q=spec["q"], **spec["options"])
        assert record["settings"] == get_acqf_optimizer(spec["optimizer"]).resolved_settings(task)
        assert record["state"]["n_train"] == QUICK_TASK.n_init + state.iteration
        assert math.isfinite(result["value"]) and result["wall_time"] > 0 and result["n_evals"] > 0
        evals, best = [n for n, _ in result["trace"]], [v for _, v in result["trace"]]
        assert evals == sorted(evals) and evals[-1] == result["n_evals"] and best == sorted(best)
        assert best[-1] >= result["value"] - 1e-9
        candidates = torch.tensor(result["candidates"], dtype=torch.float64)
        assert candidates.shape == (spec["q"], 3)
        assert (candidates >= state.bounds[0] - 1e-9).all() and (candidates <= state.bounds[1] + 1e-9).all()
    gennes = [r["result"]["n_evals"] for r in records if r["spec"]["optimizer"] == "gennes"]
    assert gennes == [30] * 4  # the paper's N = 10 samples x 3 iterations, the quick task's budget


def test_rerun_reuses_the_states_and_skips_finished_runs(quick_compare):
    states, out, _ = quick_compare
    before = states.read_bytes(), out.read_text()
    stdout = run_cli("--quick", "--states", str(states), "--out", str(out), "--workers", "0", "--no-progress")
    assert "ran 0 runs; 8 in the grid" in stdout
    assert (states.read_bytes(), out.read_text()) == before


def test_a_run_is_reproducible(quick_compare):
    states_path, out, _ = quick_compare
    states = {s.name: s for s in load_states(states_path)}
    for record in load_records(out):
        if record["spec"]["optimizer"] == "gennes" and record["spec"]["q"] == 2:
            again = run_compare_spec(record["spec"], states)["result"]
            assert (again["value"], again["n_evals"], again["candidates"]) == (
                record["result"]["value"], record["result"]["n_evals"], record["result"]["candidates"])


def test_a_state_rebuilds_the_bo_loops_model_exactly(monkeypatch, tmp_path):
    seen = {}
    real_loop = frozen_states.run_bo_loop

    def spy(*args, callback, **kwargs):
        def both(iteration, model, acq_function):
            seen[iteration] = (model, acq_function)
            callback(iteration, model, acq_function)
        return real_loop(*args, callback=both, **kwargs)

    monkeypatch.setattr(frozen_states, "run_bo_loop", spy)
    task = FreezeTask("tiny", "hartmann3", n_init=5, stages=(("early", 0), ("late", 1)))
    states = freeze_task(task)
    save_states(states, tmp_path / "states.pt")
    loaded = load_states(tmp_path / "states.pt")
    assert [s.name for s in loaded] == ["tiny-early", "tiny-late"]
    assert [s.fingerprint() for s in loaded] == [s.fingerprint() for s in states]
    test_X = torch.rand(16, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for state in loaded:
        model, acq_function = seen[state.iteration]
        assert state.n_train == 5 + state.iteration == model.train_targets.shape[-1]
        rebuilt = rebuild_model(state)
        for name, value in model.named_parameters():
            assert torch.equal(dict(rebuilt.named_parameters())[name], value)
        with torch.no_grad():
            original, again = model.posterior(test_X), rebuilt.posterior(test_X)
            torch.testing.assert_close(again.mean, original.mean, rtol=0, atol=1e-12)
            torch.testing.assert_close(again.variance, original.variance, rtol=0, atol=1e-12)
            values = rebuild_acquisition(state, "logei", 1)(test_X.unsqueeze(1))
            torch.testing.assert_close(values, acq_function(test_X.unsqueeze(1)), rtol=0, atol=1e-12)
        # The states keep the data as the model saw it: untransformed targets, inputs in the problem's box.
        assert torch.equal(state.Y, state.Y.new_tensor(state.Y.tolist()))
        torch.testing.assert_close(model.outcome_transform.untransform(model.train_targets.unsqueeze(-1))[0]
                                   .squeeze(-1), state.Y)


def test_states_frozen_with_other_settings_ask_for_refreeze(quick_compare):
    states, _, _ = quick_compare
    with pytest.raises(ValueError, match="frozen with other settings.*--refreeze"):
        ensure_states([replace(QUICK_TASK, n_init=9)], states)


def test_import_path_optimizers(quick_compare, tmp_path, monkeypatch):
    states, quick_out, _ = quick_compare
    (tmp_path / "compare_acqf_plugin.py").write_text(textwrap.dedent("""
        import torch

        def random_search(acq_function, bounds, q, num_restarts, raw_samples):
            X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(raw_samples, q, bounds.shape[1], dtype=bounds.dtype)
            with torch.no_grad():
                values = acq_function(X)
            return X[values.argmax()], values.max()
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "runs.jsonl"
    out.write_text(quick_out.read_text())  # botorch-default is recorded already: resumed, not rerun
    optimizers = ["botorch-default", "compare_acqf_plugin:random_search", "botorch.optim:optimize_acqf"]
    stdout = run_cli("--quick", "--states", str(states), "--out", str(out), "--workers", "0", "--no-progress",
                     "--q", "1", "--optimizers", *optimizers)
    assert "ran 4 runs; 6 in the grid" in stdout
    runs = {(r["spec"]["state"], r["spec"]["q"], r["spec"]["optimizer"]): r["result"] for r in load_records(out)}
    for state in ("hartmann3-quick-early", "hartmann3-quick-late"):
        assert runs[(state, 1, "compare_acqf_plugin:random_search")]["n_evals"] == 1024  # raw_samples=1024 passed
        # The import path of BoTorch's optimizer is called with the settings of `botorch-default`: same run.
        imported, builtin = runs[(state, 1, "botorch.optim:optimize_acqf")], runs[(state, 1, "botorch-default")]
        assert (imported["value"], imported["n_evals"]) == (builtin["value"], builtin["n_evals"])
    settings = {r["spec"]["optimizer"]: r["settings"] for r in load_records(out)}
    assert settings["compare_acqf_plugin:random_search"] is None and settings["botorch-default"]["raw_samples"] == 1024


@pytest.fixture
def registry(monkeypatch):
    """The acquisition-optimizer registry, restored after the test."""
    monkeypatch.setattr(acqf_optimizers, "ACQF_OPTIMIZERS", dict(acqf_optimizers.ACQF_OPTIMIZERS))
    return acqf_optimizers.ACQF_OPTIMIZERS


def best_raw_sample(acq_function, bounds, q, raw_samples):
    """The best of `raw_samples` uniform q-batches (torch's global RNG)."""
    X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(raw_samples, q, bounds.shape[1], dtype=bounds.dtype)
    with torch.no_grad():
        values = acq_function(X)
    return X[values.argmax()], values.max()


def test_a_registered_optimizer_runs_through_the_harness(quick_compare, tmp_path, registry):
    states, _, _ = quick_compare
    tasks = []

    def factory(task):
        tasks.append(task)
        return lambda acq_function, bounds, q: best_raw_sample(acq_function, bounds, q, 16 * task.q)

    entry = register("raw-search", factory, lambda task: {"raw_samples": 16 * task.q}, description="raw samples")
    assert registry["raw-search"] is entry
    assert ("raw-search", "raw samples") in acqf_optimizers.describe_acqf_optimizers()
    out = tmp_path / "runs.jsonl"
    stdout = run_cli("--quick", "--states", str(states), "--out", str(out), "--workers", "0", "--no-progress",
                     "--optimizers", "raw-search")
    assert "ran 4 runs; 4 in the grid" in stdout
    records = load_records(out)
    assert {(r["spec"]["q"], r["result"]["n_evals"]) for r in records} == {(1, 16), (2, 32)}  # one batch a point
    assert all(r["settings"] == {"raw_samples": 16 * r["spec"]["q"]} for r in records)
    assert {task.q for task in tasks} == {1, 2}  # the factory is given each case's task
    report = write_report(records, tmp_path / "r.md", "cmd")
    assert "| `raw-search` | 2 | 2 | `raw_samples=32` |" in report  # the settings measured, per q


def test_register_rejects_bad_entries_and_lookup_lists_the_names(registry):
    register("constant-settings", lambda task: best_raw_sample, {"raw_samples": 8})
    settings = get_acqf_optimizer("constant-settings").resolved_settings(AcqfTask(q=3))
    assert settings == {"raw_samples": 8}
    settings["raw_samples"] = 9  # a copy: the entry's settings cannot be changed through it
    assert get_acqf_optimizer("constant-settings").resolved_settings() == {"raw_samples": 8}
    assert register("unknown-settings", lambda task: best_raw_sample).resolved_settings() is None
    with pytest.raises(ValueError, match="`name` 'gennes' is registered already; pass replace=True"):
        register("gennes", lambda task: best_raw_sample)
    replaced = register("constant-settings", lambda task: best_raw_sample, replace=True)
    assert registry["constant-settings"] is replaced
    for name in ("", "a:b", "two words"):
        with pytest.raises(ValueError, match="`name` must be non-empty, without whitespace or ':'"):
            register(name, lambda task: best_raw_sample)
    with pytest.raises(ValueError, match="`factory` must be callable"):
        register("x", best_raw_sample(torch.nn.Identity(), torch.zeros(2, 1), 1, 1))
    with pytest.raises(ValueError, match="`settings` must be a dict, a function of the task or None, got int"):
        register("x", lambda task: best_raw_sample, 3)
    with pytest.raises(ValueError, match="unknown acquisition optimizer 'nope': use one of gennes-hybrid, .*"
                                         "constant-settings, unknown-settings, a name added with register"):
        get_acqf_optimizer("nope")
    with pytest.raises(ValueError, match="`q` must be >= 1, got 0"):
        AcqfTask(q=0)


def test_bad_options_exit_before_freezing(tmp_path):
    states = tmp_path / "states.pt"
    with pytest.raises(SystemExit, match="unknown acquisition optimizer 'nope'"):
        main(["compare-acqf", "--quick", "--states", str(states), "--optimizers", "nope"])
    with pytest.raises(SystemExit, match="cannot import acquisition optimizer 'no_such_module:f'"):
        main(["compare-acqf", "--quick", "--states", str(states), "--optimizers", "no_such_module:f"])
    with pytest.raises(SystemExit, match="`q` must be >= 1"):
        main(["compare-acqf", "--quick", "--states", str(states), "--q", "0"])
    assert not states.exists()


def test_report_from_records(quick_compare, tmp_path, capsys):
    _, out, _ = quick_compare
    report = tmp_path / "docs" / "compare.md"
    assert main(["compare-acqf", "--out", str(out), "--report", str(report)]) == 0
    text = report.read_text()
    assert text == capsys.readouterr().out.rstrip("\n") + "\n"
    assert text.startswith("# Acquisition optimizers on GP states frozen from real BO runs")
    assert "| hartmann3-quick-early | hartmann3 | 0 | 6 | 3 |" in text
    assert "| hartmann3-quick-late | 7 | logei | 2 | `botorch-default` | 1 |" in text
    assert "| 2 | `gennes` | 2 | 2 |" in text  # the summary row of GENNES at q = 2: two cases, two runs
    assert "![anytime curves](compare_anytime.png)" in text
    assert "## Optimizer settings measured" in text
    assert "| `botorch-default` | 1 | 2 | `num_restarts=20, raw_samples=1024` |" in text
    assert (tmp_path / "docs" / "compare_anytime.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_records_exits_with_a_message(tmp_path):
    with pytest.raises(SystemExit, match="no records in"):
        main(["compare-acqf", "--out", str(tmp_path / "none.jsonl"), "--report", str(tmp_path / "r.md")])


# ------------------------------------------------------------------------------------------ summaries, by hand


def fake(optimizer: str, seed: int, value: float, trace: list[list[float]] | None = None, *, q: int = 1,
         acquisition: str = "logei", state: str = "t-early", fingerprint: str = "abc") -> dict:
    meta = {"task": "t", "problem": "hartmann6", "stage": state.split("-")[-1], "iteration": 0, "n_train": 10,
            "dim": 6, "best_f": 1.0, "bo_seed": 0, "paper_starts": 20, "paper_iterations": 20}
    spec = {"kind": "compare-acqf", "state": state, "fingerprint": fingerprint, "acquisition": acquisition, "q": q,
            "optimizer": optimizer, "options": {}, "seed": seed}
    n_evals = trace[-1][0] if trace else 100
    return {"spec": spec, "state": meta, "env": {},
            "result": {"value": value, "n_evals": n_evals, "wall_time": n_evals / 100, "trace": trace or []}}


FAKE = [
    fake("botorch-default", 0, -2.0, [[100, -2.0]]),
    fake("botorch-default", 1, -1.0, [[200, -1.0]]),
    fake("gennes", 0, -2.0005, [[10, -3.0], [50, -2.0005]]),  # a tie (EI 0.05 % below)
    fake("gennes", 1, -0.6, [[10, -2.0], [300, -0.5]]),  # a win; its trace holds the best value of the case
    fake("mine", 1, -3.0, [[40, -3.0]]),  # a partial grid: seed 1 only, a loss
    fake("botorch-default", 0, 0.0, q=4, acquisition="ei"),  # legacy EI underflowing to 0 everywhere
    fake("gennes", 0, 0.0, q=4, acquisition="ei"),
]


def test_ei_ratio_and_relative_gap():
    assert ei_ratio(-1.0, -1.0, "logei") == 1.0 and ei_ratio(-math.inf, -math.inf, "logei") == 1.0
    assert ei_ratio(-2.0, -1.0, "logei") == pytest.approx(math.exp(-1.0))
    assert ei_ratio(-math.inf, -1.0, "logei") == 0.0 and ei_ratio(-1.0, -math.inf, "logei") > 1e300
    assert ei_ratio(0.5, 2.0, "ei") == 0.25 and ei_ratio(1e-9, 0.0, "ei") == math.inf and ei_ratio(0, 0, "ei") == 1
    assert relative_gap(-2.0, -1.0, "logei") == pytest.approx(1 - math.exp(-1.0))
    assert relative_gap(0.5, 2.0, "ei") == 0.75 and relative_gap(3.0, 2.0, "ei") == 0.0
    assert [_gap(g) for g in (0.0, 3e-13, 0.0123)] == ["0", "<1e-9", "1.23e-02"]  # as the report prints gaps


def test_summarize_numbers():
    rows = {(r["acquisition"], r["optimizer"]): r for r in summarize(FAKE)}
    assert list(rows) == [("logei", "botorch-default"), ("logei", "gennes"), ("logei", "mine"),
                          ("ei", "botorch-default"), ("ei", "gennes")]
    default, gennes, mine = rows[("logei", "botorch-default")], rows[("logei", "gennes")], rows[("logei", "mine")]
    assert default["best"] == gennes["best"] == -0.5  # from the trace of gennes, seed 1
    assert default["gap"] == pytest.approx(((1 - math.exp(-1.5)) + (1 - math.exp(-0.5))) / 2)
    assert gennes["gap"] == pytest.approx(((1 - math.exp(-1.5005)) + (1 - math.exp(-0.1))) / 2)
    assert (default["value"], gennes["value"], mine["value"]) == (-1.5, pytest.approx(-1.30025), -3.0)
    assert (default["wtl"], gennes["wtl"], mine["wtl"]) == (None, (1, 1, 0), (0, 0, 1))
    assert (gennes["seeds"], mine["seeds"], default["at_best"], gennes["at_best"]) == (2, 1, 0, 0)
    assert (gennes["n_evals"], gennes["wall_time"]) == (175, 1.75)
    ei_default, ei_gennes = rows[("ei", "botorch-default")], rows[("ei", "gennes")]
    assert (ei_default["gap"], ei_gennes["gap"], ei_gennes["at_best"], ei_gennes["wtl"]) == (0.0, 0.0, 1, (0, 1, 0))
    totals = {(r["q"], r["optimizer"]): r for r in overall(summarize(FAKE))}
    assert totals[(1, "gennes")]["wtl"] == (1, 1, 0) and totals[(4, "gennes")]["wtl"] == (0, 1, 0)
    assert totals[(1, "botorch-default")]["wtl"] is None


def test_refrozen_states_are_reported_apart():
    rows = summarize([fake("botorch-default", 0, -1.0), fake("botorch-default", 0, -2.0, fingerprint="def")])
    assert [r["state"] for r in rows] == ["t-early @abc", "t-early @def"]


def test_write_report_of_fake_records(tmp_path):
    text = write_report(FAKE, tmp_path / "r.md", "gennes-bo compare-acqf --report r.md")
    assert "| t-early | 10 | logei | 1 | `gennes` | 2 | -1.3003 | 4.36e-01 | 0/2 | 175 | 1.75 | 1/1/0 |" in text
    assert "| t-early | 10 | logei | 1 | `mine` | 1 | -3 | 9.18e-01 | 0/1 | 40 | 0.40 | 0/0/1 |" in text
    assert "| t-early | 10 | ei | 4 | `botorch-default` | 1 | 0 | 0 | 1/1 | 100 | 1.00 | — |" in text
    assert (tmp_path / "r_anytime.png").exists()
    assert not plot_anytime(FAKE[5:], tmp_path / "none.png")  # no traces, no figure
    assert not (tmp_path / "none.png").exists()


def test_make_specs_grid_and_errors(quick_compare):
    states = load_states(quick_compare[0])
    specs = make_specs(states, ["botorch-default", "gennes", "lbfgs-paper"], ["logei", "ei"], [1, 4], 2)
    assert len(specs) == 2 * 2 * 2 * 2 * 3
    assert [s["optimizer"] for s in specs[:3]] == ["botorch-default", "gennes", "lbfgs-paper"]
    assert [s["options"] for s in specs[:3]] == [{}, {"paper_iterations": 3}, {"paper_starts": 2}]
    assert len({json.dumps(s, sort_keys=True) for s in specs}) == len(specs)
    with pytest.raises(ValueError, match="`acquisitions` must be among"):
        make_specs(states, ["gennes"], ["pi"], [1], 1)
    with pytest.raises(ValueError, match="`seeds` must be >= 1, got 0"):
        make_specs(states, ["gennes"], ["logei"], [1], 0)


@pytest.mark.parametrize(("changes", "message"), [
    ({"problem": "branin"}, "`problem` must be one of"),
    ({"n_init": 1}, "`n_init` must be >= 2, got 1"),
    ({"stages": ()}, "`stages` must name at least one"),
    ({"stages": (("early", 0), ("late", 0))}, "distinct names and iterations"),
    ({"stages": (("early", -1),)}, "iterations must be >= 0"),
    ({"paper_starts": 0}, "`paper_starts` and `paper_iterations` must be >= 1"),
])
def test_freeze_task_validation(changes, message):
    with pytest.raises(ValueError, match=message):
        replace(QUICK_TASK, **changes)


def test_default_tasks_are_the_papers_settings():
    tasks = frozen_states.TASKS
    assert (tasks["digits"].n_init, tasks["digits"].paper_starts, tasks["digits"].paper_iterations) == (20, 20, 20)
    assert (tasks["alpine1"].n_init, tasks["alpine1"].paper_starts, tasks["alpine1"].paper_iterations) == (100, 100, 30)
    assert [stage for stage, _ in tasks["digits"].stages] == ["early", "middle", "late"]
    assert tasks["digits"].n_iterations == 40
