"""`gennes-bo hpo-bayesmark`: its splits and protocols, a quick run and the report's scores and paired tests."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

from benchmarks.bayesmark_problems import DEV_PROBLEMS, TEST_PROBLEMS  # noqa: E402
from benchmarks.hpo_bayesmark import make_specs  # noqa: E402
from benchmarks.hpo_bayesmark_report import common, paired_scores, write_report  # noqa: E402
from benchmarks.hpo_bayesmark_spec import DEV_LEVERS, PROTOCOLS, SAMPLERS, make_sampler  # noqa: E402
from gennes_bo.cli import main  # noqa: E402


def test_specs_keep_to_the_split_and_give_the_external_samplers_fewer_seeds():
    specs = make_specs("test", problems=TEST_PROBLEMS[:2], protocols=["sequential"])
    assert {s["problem"] for s in specs} == set(TEST_PROBLEMS[:2]) and {s["trials"] for s in specs} == {60}
    seeds = {name: {s["seed"] for s in specs if s["sampler"] == name} for name in SAMPLERS}
    assert seeds["gennes"] == set(range(5)) and seeds["hebo"] == seeds["vizier"] == set(range(3))
    assert not any(seeds[name] for name in DEV_LEVERS)  # levers are chosen on dev: test never runs them unasked
    assert {s["sampler"] for s in make_specs("dev", problems=DEV_PROBLEMS[:1])} == set(SAMPLERS)
    batch = make_specs("dev", problems=DEV_PROBLEMS[:1], samplers=["tpe"], protocols=["batch8"])
    assert {(s["batch"], s["trials"]) for s in batch} == {(8, 64)} and len(batch) == 10
    with pytest.raises(ValueError, match="belongs to the test split"):
        make_specs("dev", problems=TEST_PROBLEMS[:1])
    with pytest.raises(ValueError, match="unknown sampler"):
        make_specs("dev", samplers=["cmaes"])


def test_tpe_is_multivariate_with_a_constant_liar_in_batches():
    sampler = make_sampler("tpe", 0, {}, PROTOCOLS["batch8"]["trials"], 8)
    assert sampler._multivariate and sampler._constant_liar
    assert not make_sampler("tpe", 0, {}, 60, 1)._constant_liar


def test_paired_scores_count_problem_seed_pairs():
    runs = {"p": {"gennes": {0: [3.0, 1.0], 1: [2.0, 2.0]}, "tpe": {0: [3.0, 2.0], 1: [2.0, 1.5]},
                  "random": {0: [4.0, 3.0], 1: [5.0, 2.5]}}}
    kept = common(runs, ["gennes", "tpe", "random"])
    (wins, ties, losses), p = paired_scores(kept, [2], "gennes", "tpe")
    assert (wins, ties, losses) == (1, 0, 1) and 0 < p <= 1
    assert common({"p": {"gennes": {0: [1.0]}}}, ["gennes", "tpe"]) == {}


def test_quick_run_and_report(tmp_path):
    out, report = tmp_path / "hb.jsonl", tmp_path / "hb.md"
    assert main(["hpo-bayesmark", "--quick", "--workers", "0", "--out", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["spec"]["sampler"] for r in records} == {"random", "tpe"}
    assert all(len(r["values"]) == 60 and np.isfinite(r["final_best"]) for r in records)
    assert main(["hpo-bayesmark", "--out", str(out), "--report", str(report)]) == 0
    text = report.read_text()
    assert "## Dev split, sequential protocol" in text and "| `tpe` |" in text


def test_dev_report_compares_the_dev_default_with_later_levers(tmp_path):
    rng = np.random.default_rng(0)
    records = [{"spec": {"kind": "hpo-bayesmark", "split": "dev", "protocol": "sequential", "problem": problem,
                         "sampler": sampler, "seed": seed},
                "values": rng.uniform(0.0, 1.0, 60).tolist(), "sampler_time": [0.01] * 60}
               for problem in ("p1", "p2") for seed in range(3)
               for sampler in ("random", "tpe", "gp", "gennes", "gennes-refit5", "gennes-gamma")]
    text = write_report(records, tmp_path / "hb.md", "gennes-bo hpo-bayesmark --report")
    reference = text.split("`gennes-refit5` (today's defaults on dev")[1]
    assert "| `gennes-gamma` |" in reference and "| `gennes` |" in reference
    assert "| `gennes-refit5` |" not in reference.split("\n\n")[1]


def test_report_holds_back_an_incomplete_test_grid(tmp_path):
    spec = make_specs("test", samplers=["random"], protocols=["sequential"], seeds=1)[0]
    record = {"spec": spec, "values": [1.0] * 60, "sampler_time": [0.01] * 60}
    text = write_report([record], tmp_path / "hb.md", "gennes-bo hpo-bayesmark --report")
    total = len(make_specs("test", samplers=["random", "tpe", "gp", "botorch", "smac", "gennes"],
                           protocols=["sequential"]))
    assert "## Test split, sequential protocol: held back" in text and f"1 of the {total} runs" in text
    assert "score @60" not in text
