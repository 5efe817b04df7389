"""`gennes-bo bo-batch`: the grids, a quick grid through the CLI (records, shared initial design, resume,
`--estimate`, `--report`), the registry's new entries, noisy observations, and the report from synthetic records."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
import torch
from botorch.models import SingleTaskGP
from conftest import run_cli

from benchmarks.bo_batch import make_specs, spec_settings
from benchmarks.bo_batch_report import write_report
from benchmarks.bo_batch_spec import MAIN_PROBLEMS, OPTIMIZERS, noise_std, planned_seeds
from gennes_bo.compare.bo_loop import build_acquisition, run_bo_loop
from gennes_bo.compare.records import load_records, run_key
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, run_acqf_optimizer


def _main(*args: str) -> str:
    return run_cli("bo-batch", *args)


@pytest.fixture(scope="module")
def quick_grid(tmp_path_factory) -> tuple[Path, list[str]]:
    """The `--quick` preset (Hartmann6, q = 2, 2 seeds, 2 iterations; random, sobol, botorch-default) in this
    process."""
    out = tmp_path_factory.mktemp("bo_batch") / "bo_batch.jsonl"
    args = ["--quick", "--out", str(out), "--workers", "0", "--no-progress"]
    assert "ran 6 runs; 6 in the grid" in _main(*args)
    return out, args


def test_main_grid_is_seed_major_with_the_issue_protocol() -> None:
    specs = make_specs()
    assert len(specs) == len(MAIN_PROBLEMS) * len(OPTIMIZERS) * 10 == len({run_key(s) for s in specs})
    per_seed = len(MAIN_PROBLEMS) * len(OPTIMIZERS)
    assert [s["seed"] for s in specs[::per_seed]] == list(range(10))
    assert {(s["problem"], s["optimizer"]) for s in specs[:per_seed]} == \
        {(p, o) for p in MAIN_PROBLEMS for o in OPTIMIZERS}
    assert {(s["acquisition"], s["q"], s["n_init"], s["iterations"], s["noise_std"]) for s in specs} == \
        {("qlognei", 16, 32, 10, 0.0)}
    assert all(planned_seeds(s) == 10 for s in specs)
    assert spec_settings(specs[0]) == get_acqf_optimizer("gennes-hybrid").resolved_settings(AcqfTask(q=16))


def test_secondary_grid_cells_and_replacements() -> None:
    specs = make_specs("secondary", optimizers=["random"])
    cells = {(s["problem"], s["acquisition"], s["q"], s["noise_std"] > 0) for s in specs}
    three = ("hartmann6", "ackley10", "michalewicz10")
    assert cells == ({(p, "qlognei", q, False) for p in three for q in (8, 32)}
                     | {(p, "qucb", 16, False) for p in three} | {("hartmann6", "qlognei", 16, True)})
    assert len(specs) == len(cells) * 5 and all(s.get("beta") == 2.0 for s in specs if s["acquisition"] == "qucb")
    noisy = next(s for s in specs if s["noise_std"] > 0)
    assert noisy["noise_std"] == noise_std("hartmann6", 0.05) == pytest.approx(0.05 * 3.32237, rel=1e-3)
    assert len(make_specs("all", optimizers=["random"])) == 60 + len(specs)
    custom = make_specs("main", ["random", "sobol"], problems=["levy10"], q=[4], seeds=2, iterations=3)
    assert [(s["problem"], s["q"], s["n_init"], s["seed"], s["optimizer"]) for s in custom] == [
        ("levy10", 4, 8, 0, "random"), ("levy10", 4, 8, 0, "sobol"), ("levy10", 4, 8, 1, "random"),
        ("levy10", 4, 8, 1, "sobol")]
    assert planned_seeds(custom[0]) is None
    only = make_specs("secondary", ["random"], q=[32], acquisitions=["qlognei"])  # the noiseless qLogNEI cells, q = 32
    assert {(s["problem"], s["acquisition"], s["q"], s["noise_std"]) for s in only} == {
        (p, "qlognei", 32, 0.0) for p in three}
    assert make_specs("main", ["random"], acquisitions=["qucb"]) == []
    both = make_specs("secondary", ["random"], q=[16], acquisitions=["qlognei", "qucb"])
    assert {(s["acquisition"], s["q"], s["noise_std"]) for s in both} == {("qlognei", 16, 0.0), ("qucb", 16, 0.0)}
    with pytest.raises(ValueError, match="`acquisitions` must be among"):
        make_specs("main", ["random"], acquisitions=["ei"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"grid": "tiny"}, "`grid` must be one of"),
    ({"problems": ["branin"]}, "must be a registered problem's name followed by its dimension"),
    ({"optimizers": ["adam"]}, "unknown acquisition optimizer 'adam'"),
    ({"q": [0]}, "`q` must be >= 1, got 0"),
])
def test_bad_grid_arguments_name_the_argument(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_specs(**kwargs)


def test_quick_records_share_the_initial_design_and_hold_every_field(quick_grid) -> None:
    out, _ = quick_grid
    records = load_records(out)
    assert sorted((r["spec"]["seed"], r["spec"]["optimizer"]) for r in records) == \
        sorted((seed, o) for seed in (0, 1) for o in ("random", "sobol", "botorch-default"))
    initial = {}
    for record in records:
        spec = record["spec"]
        assert (spec["kind"], spec["problem"], spec["q"], spec["n_init"], spec["iterations"]) == \
            ("bo-batch", "hartmann6", 2, 4, 2)
        assert len(record["values"]) == len(record["regret"]) == 4 + 2 * 2
        regret = [min(record["values"][:i + 1]) for i in range(len(record["values"]))]
        assert record["regret"] == pytest.approx(regret) and record["final_regret"] == regret[-1] >= 0
        assert record["f_star"] == pytest.approx(-3.32237, abs=1e-5)
        for key in ("acqf_time", "acqf_points", "acqf_value", "fit_time"):
            assert len(record[key]) == 2, key
        assert all(math.isfinite(v) for v in record["acqf_value"])
        assert record["acqf_points"] == [1, 1] if spec["optimizer"] in ("random", "sobol") else \
            min(record["acqf_points"]) > 1024
        assert record["cpu_time"] > 0 and record["wall_time"] > sum(record["acqf_time"])
        assert record["settings"] == spec_settings(spec)
        initial.setdefault(spec["seed"], []).append(record["values"][:4])
    for seed, designs in initial.items():
        assert all(design == designs[0] for design in designs), seed  # the same design for every optimizer
    assert initial[0][0] != initial[1][0]  # and another one per seed


def test_rerun_skips_finished_runs_and_report_renders(quick_grid, tmp_path) -> None:
    out, args = quick_grid
    assert "ran 0 runs; 6 in the grid" in _main(*args)
    report = tmp_path / "docs" / "bo_batch.md"
    text = _main("--out", str(out), "--report", str(report))
    assert report.read_text() + "\n" == text and "hartmann6, qLogNEI q=2, 2 iterations" in text  # printed
    assert (tmp_path / "docs" / "bo_batch_regret_qlognei_q2_2it.png").stat().st_size > 0


def test_estimate_times_each_optimizer_of_the_quick_case(quick_grid) -> None:
    out, _ = quick_grid
    text = _main("--quick", "--estimate", "--out", str(out), "--optimizers", "random", "sobol")
    lines = text.splitlines()
    assert [line.split()[-6] for line in lines if " random " in line or " sobol " in line] == ["random", "sobol"]
    assert lines[-1].startswith("estimated CPU hours: 0.0 for 4 runs (0.0 for the 0 not yet recorded)")


@pytest.mark.parametrize("name", ["botorch-sequential", "random", "sobol"])
def test_new_registry_entries_return_valid_batches_inside_the_bounds(name) -> None:
    X = torch.rand(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    bounds = torch.tensor([[-2.0, -1.0, 0.5], [2.0, 1.0, 3.0]], dtype=torch.float64)
    optimizer = get_acqf_optimizer(name).make(AcqfTask(q=4))

    def fresh_acquisition():  # as each BO iteration builds its own: a model's caches and pending points are state
        model = SingleTaskGP(X, (X**2).sum(-1, keepdim=True)).eval()
        return build_acquisition(model, 0.0, "qlognei", 4, X_baseline=X)

    def run(seed: int):
        return run_acqf_optimizer(optimizer, fresh_acquisition(), bounds, 4, seed=seed)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first, again, other = run(0), run(0), run(1)
    assert first.candidates.shape == (4, 3) and math.isfinite(first.value)
    assert ((first.candidates >= bounds[0]) & (first.candidates <= bounds[1])).all()
    assert torch.equal(first.candidates, again.candidates) and not torch.equal(first.candidates, other.candidates)
    if name == "botorch-sequential":
        assert first.n_evals > 1024
        assert get_acqf_optimizer(name).resolved_settings(AcqfTask(q=4)) == \
            {"num_restarts": 20, "raw_samples": 1024, "sequential": True}
    else:
        assert first.n_evals == 1
        with torch.no_grad():
            assert first.value == pytest.approx(float(fresh_acquisition()(first.candidates.unsqueeze(0))))


def test_noisy_loop_observes_noise_and_keeps_the_noiseless_values() -> None:
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    X_init = torch.tensor([[0.1, 0.2], [0.7, 0.4], [0.3, 0.9], [0.5, 0.5]], dtype=torch.float64)
    runs = [run_bo_loop(lambda X: -(X**2).sum(-1), bounds, get_acqf_optimizer("random").make(), n_iterations=2, q=2,
                        acquisition="qlognei", seed=3, X_init=X_init, noise_std=noise) for noise in (0.0, 0.5, 0.5)]
    plain, noisy, again = runs
    assert torch.equal(plain.X[:4], X_init) and torch.equal(plain.Y, plain.noiseless_Y)
    assert torch.allclose(noisy.noiseless_Y, -(noisy.X**2).sum(-1)) and not torch.allclose(noisy.Y, noisy.noiseless_Y)
    assert torch.equal(noisy.Y, again.Y)  # seeded noise
    with pytest.raises(ValueError, match="`noise_std` must be >= 0"):
        run_bo_loop(lambda X: X.sum(-1), bounds, get_acqf_optimizer("random").make(), noise_std=-1.0)


# ------------------------------------------------------------------------------------------ the report
def _record(problem: str, optimizer: str, seed: int, final: float, acqf_time: float, q: int = 16) -> dict:
    n = 2 * q + 10 * q
    regret = [final * (1 + 2 * (n - 1 - i) / (n - 1)) for i in range(n)]
    return {"spec": {"kind": "bo-batch", "problem": problem, "acquisition": "qlognei", "q": q, "noise_std": 0.0,
                     "seed": seed, "optimizer": optimizer, "n_init": 2 * q, "iterations": 10},
            "regret": regret, "values": regret, "final_regret": final, "f_star": 0.0, "acqf_time": [acqf_time] * 10,
            "acqf_points": [5000] * 10, "acqf_value": [-1.0] * 10, "fit_time": [0.5] * 10, "wall_time": 100.0,
            "cpu_time": 90.0, "settings": {"num_restarts": 20}}


def _synthetic(complete: bool) -> list[dict]:
    """gennes-hybrid better than both BoTorch modes on 4 main problems and worse on 2, faster than the faster mode
    except on michalewicz10 at q = 32, and a `random` floor; ackley10 has 3 seeds unless `complete`."""
    records = []
    for index, problem in enumerate(MAIN_PROBLEMS):
        for seed in range(10 if complete or problem != "ackley10" else 3):
            ours = 0.5 * (1 + 0.01 * seed) if index < 4 else 1.2 + 0.01 * seed
            records += [_record(problem, "gennes-hybrid", seed, ours, 2.0),
                        _record(problem, "botorch-default", seed, 1 + 0.02 * seed, 3.0),
                        _record(problem, "botorch-sequential", seed, 1 + 0.03 * seed, 4.0),
                        _record(problem, "random", seed, 5.0 + seed, 0.001)]
    for problem in ("hartmann6", "ackley10", "michalewicz10"):
        for seed in range(5):
            ours = 9.0 if problem == "michalewicz10" else 2.0
            records += [_record(problem, "gennes-hybrid", seed, 0.5, ours, q=32),
                        _record(problem, "botorch-default", seed, 1.0, 3.0, q=32),
                        _record(problem, "botorch-sequential", seed, 1.0, 8.0, q=32)]
    return records


def test_report_from_synthetic_records_gives_verdicts_with_numbers(tmp_path) -> None:
    text = write_report(_synthetic(complete=True), tmp_path / "bo_batch.md", "gennes-bo bo-batch --report")
    # lbfgs-same-starts, gennes and sobol have no runs: the cell is partial, the verdicts (on the target and both
    # BoTorch modes) final
    assert ("| hartmann6, qLogNEI q=16 | 0/10 | **partial** | 0: `lbfgs-same-starts`, `gennes`, `sobol` | 40 | 1.00 "
            "| 0.00 + 30 runs |") in text
    assert ("hartmann6, qLogNEI q=16 (10/10 seeds): `gennes-hybrid` 0.523 vs `botorch-default` 1.09 (W/T/L 10/0/0, "
            "p = 0.002) and `botorch-sequential` 1.14 (W/T/L 10/0/0, p = 0.002)") in text
    assert ("**(a)** at q = 16, `gennes-hybrid` has a lower mean final regret than both BoTorch modes with p < 0.05 "
            "on at least 3 of the 6 problems: on 4 (hartmann6, ackley10, levy20, rastrigin10): met") in text
    assert "worse on 2 (griewank10, michalewicz10): **missed**" in text
    assert "slower on 1 (michalewicz10 q=32): **missed**" in text
    assert ("michalewicz10, qLogNEI q=32 (5 seeds timed): `gennes-hybrid` 9 s per iteration vs `botorch-default` "
            "(the faster mode) 3 s") in text
    assert "| `gennes-hybrid` | 10 | 0.523 ± 0.00479 | 10/0/0, p = 0.002 | 10/0/0, p = 0.002 | 2 | 5000 | 0.5 |" in text
    assert "| `random` | 10 | 9.5 ± 0.957 | 0/0/10, p = 0.002 | 0/0/10, p = 0.002 | 0.001 | 5000 | 0.5 |" in text
    assert "![regret against evaluations, qLogNEI q=16](bo_batch_regret_qlognei_q16.png)" in text
    assert (tmp_path / "bo_batch_regret_qlognei_q32.png").stat().st_size > 0
    assert "## Optimizer settings measured" in text


def test_contended_runs_keep_their_regrets_but_are_left_out_of_the_times(tmp_path) -> None:
    records = _synthetic(complete=True)
    for record in records:  # the target's q = 32 Hartmann6 runs of seeds 0-2 shared their core: 2 s -> 10 s
        spec = record["spec"]
        if (spec["problem"], spec["q"], spec["optimizer"]) == ("hartmann6", 32, "gennes-hybrid") and spec["seed"] < 3:
            record.update(acqf_time=[10.0] * 10, cpu_time=30.0)
    text = write_report(records, tmp_path / "bo_batch.md", "gennes-bo bo-batch --report")
    assert "Timing: 3 of 285 runs shared their CPU core" in text
    assert ("hartmann6, qLogNEI q=32 (2 seeds timed): `gennes-hybrid` 2 s per iteration vs `botorch-default` "
            "(the faster mode) 3 s") in text
    assert "slower on 1 (michalewicz10 q=32)" in text  # counted in, Hartmann6 would be slower too
    assert "| `gennes-hybrid` | 5 | 0.5 ± 0 | 5/0/0, p = 0.062 | 5/0/0, p = 0.062 | 2 | 5000 | 0.5 |" in text


def test_report_marks_partial_cells_and_pending_verdicts(tmp_path) -> None:
    records = [r for r in _synthetic(complete=False) if r["spec"]["optimizer"] != "random"]
    text = write_report(records, tmp_path / "bo_batch.md", "gennes-bo bo-batch --report")
    assert ("| ackley10, qLogNEI q=16 | 0/10 | **partial** | 3: `gennes-hybrid`, `botorch-default`, "
            "`botorch-sequential`; 0: `lbfgs-same-starts`, `gennes`, `random`, `sobol` | 9 | 0.23 | 0.53 + 40 runs |") \
        in text
    assert "ackley10, qLogNEI q=16 (3/10 seeds)" in text
    assert "on 3 (hartmann6, levy20, rastrigin10): not yet measured (cells incomplete; so far met)" in text  # p = 0.25
    empty = write_report([], tmp_path / "empty.md", "gennes-bo bo-batch --report")
    assert empty.count(": not yet measured") == 3 + len(MAIN_PROBLEMS)


def test_the_qlognei_baseline_does_not_depend_on_the_global_rng_state() -> None:
    # Pruning the baseline draws posterior samples; unseeded, the pruned baseline (so the acquisition, so the
    # optimizer's result) depended on whatever ran before in the worker process: 2 baselines over these 30 states.
    X = torch.rand(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    model = SingleTaskGP(X, (X**2).sum(-1, keepdim=True)).eval()
    baselines = set()
    for global_seed in range(30):
        torch.manual_seed(global_seed)
        acq_function = build_acquisition(model, 0.0, "qlognei", 4, X_baseline=X)
        baselines.add(tuple(map(tuple, acq_function.X_baseline.tolist())))
    assert len(baselines) == 1


def test_a_variant_run_on_every_main_cell_gets_its_own_verdicts(tmp_path) -> None:
    records = _synthetic(complete=True)
    # a variant on every main cell (worse than both modes everywhere), another on one cell only
    records += [_record(problem, "gennes-variant", seed, 2.0 + 0.01 * seed, 1.0)
                for problem in MAIN_PROBLEMS for seed in range(10)]
    records += [_record("levy20", "gennes-partial", seed, 0.1, 1.0) for seed in range(10)]
    text = write_report(records, tmp_path / "bo_batch.md", "gennes-bo bo-batch --report")
    assert text.count("The same verdicts for") == 1 and "The same verdicts for `gennes-variant`" in text
    assert "`gennes-variant` has a lower mean final regret than both BoTorch modes" in text
    assert "worse on 6 (hartmann6, ackley10, levy20, rastrigin10, griewank10, michalewicz10)" in text
    assert "on 4 (hartmann6, ackley10, levy20, rastrigin10): met" in text  # the target's verdict is unchanged


def test_timing_repeats_pair_runs_that_evaluated_the_same_points() -> None:
    from benchmarks.bo_batch_report import _repeatability_text, group_runs, timing_repeats

    records = [_record("hartmann6", "gennes-hybrid", 0, 0.5, 2.0), _record("hartmann6", "variant", 0, 0.5, 2.2),
               _record("hartmann6", "other", 0, 0.7, 2.0),  # other points: not a repeat
               _record("hartmann6", "gennes-hybrid", 1, 0.5, 2.0), _record("hartmann6", "variant", 1, 0.5, 9.0)]
    records[-1]["cpu_time"] = 10.0  # contended: left out
    cells = group_runs(records)
    assert timing_repeats(cells) == pytest.approx([1.1])
    text = _repeatability_text(cells)
    assert "(1 pair of runs, under two optimizer names," in text and "median of 10% and at most 10%" in text
    assert _repeatability_text(group_runs(records[:1])) == ""
