"""`gennes-bo device-timing`: the cells, a quick CPU run through the CLI (records, resume, report, `--estimate`),
the clear exit without a CUDA device, and a report that shows failed and missing calls."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.device_timing import CELLS, make_specs, write_report
from gennes_bo.compare.records import load_records
from tests.conftest import run_cli


def test_default_cells_are_bo_batchs_criterion_c_cells_at_the_middle_iteration() -> None:
    specs = make_specs()
    assert {(s["problem"], s["q"]) for s in specs} == set(CELLS)
    assert {s["device"] for s in specs} == {"cpu", "cuda"}
    assert {s["optimizer"] for s in specs} == {"gennes-hybrid", "botorch-default", "botorch-sequential"}
    assert all(s["n_points"] == 2 * s["q"] + 5 * s["q"] for s in specs)  # 2q initial points + 5 of 10 iterations
    assert len(specs) == len(CELLS) * 3 * 2


@pytest.mark.parametrize("kwargs, message", [
    ({"devices": ["tpu"]}, "unknown device"),
    ({"optimizers": ["no-such-optimizer"]}, "no-such-optimizer"),
    ({"cells": [("hartmann6", 0)]}, "q must be >= 1"),
    ({"repeats": 0}, "repeats"),
])
def test_bad_arguments_name_what_is_wrong(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_specs(**kwargs)


def test_quick_cpu_run_records_times_values_and_settings_and_resumes(tmp_path) -> None:
    out = tmp_path / "device.jsonl"
    args = ["device-timing", "--quick", "--out", str(out), "--workers", "0", "--no-progress"]
    assert "ran 2 calls" in run_cli(*args)
    records = load_records(out)
    assert [r["spec"]["optimizer"] for r in records] == ["random", "botorch-default"]
    for record in records:
        assert record["wall_time"] > 0 and record["acqf_points"] >= 1
        assert record["spec"]["device"] == "cpu" and record["settings"] is not None
    assert records[1]["acqf_value"] > records[0]["acqf_value"]  # the optimized batch beats the random one
    assert "ran 0 calls" in run_cli(*args)
    text = run_cli("device-timing", "--out", str(out), "--report", str(tmp_path / "device.md"))
    assert "hartmann6, qLogNEI q=2, 6 points" in text and "| `botorch-default` |" in text


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the exit on a machine without CUDA")
def test_cuda_without_a_device_exits_with_the_way_out(tmp_path) -> None:
    with pytest.raises(SystemExit, match="--devices cpu"):
        run_cli("device-timing", "--quick", "--devices", "cuda", "--out", str(tmp_path / "x.jsonl"))
    assert not (tmp_path / "x.jsonl").exists()


def _record(optimizer: str, device: str, wall_time: float, **extra) -> dict:
    spec = {"problem": "hartmann6", "acquisition": "qlognei", "q": 16, "n_points": 112, "optimizer": optimizer,
            "device": device, "repeat": 0}
    body = {"wall_time": wall_time, "acqf_value": -1.0, "acqf_points": 10,
            "device_name": "GPU" if device == "cuda" else "CPU"}
    return {"spec": spec, **({"error": extra["error"]} if "error" in extra else body)}


def test_report_gives_ratios_verdicts_failures_and_missing_calls(tmp_path) -> None:
    records = [_record("gennes-hybrid", "cpu", 4.0), _record("gennes-hybrid", "cuda", 8.0),
               _record("botorch-default", "cpu", 5.0), _record("botorch-default", "cuda", 2.0),
               _record("botorch-sequential", "cpu", 6.0),
               _record("botorch-sequential", "cuda", 0.0, error="RuntimeError: boom")]
    text = write_report(json.loads(json.dumps(records)), str(tmp_path / "r.md"), "CMD")
    assert "**1 call(s) failed**" in text and "RuntimeError: boom" in text
    assert "hartmann6, qLogNEI q=16 `botorch-sequential` on cuda" in text  # listed as not run
    assert "| `gennes-hybrid` | 1 | 2 | 2 – 2 |" in text  # CUDA / CPU = 8 / 4
    assert "| `botorch-default` | 1 | 0.4 | 0.4 – 0.4 |" in text
    assert "`gennes-hybrid` 4 s vs `botorch-default` 5 s (at most)" in text  # cpu
    assert "`gennes-hybrid` 8 s vs `botorch-default` 2 s (slower)" in text  # cuda
    assert "| `botorch-sequential` | 6 | -1 | not run | — | — |" in text


def test_estimate_times_each_call_once_per_device_and_records_nothing(tmp_path) -> None:
    out = tmp_path / "device.jsonl"
    lines = run_cli("device-timing", "--quick", "--estimate", "--devices", "cpu", "cuda", "--optimizers", "random",
                    "--out", str(out)).splitlines()
    assert ("no CUDA device here" in lines[0]) is not torch.cuda.is_available()
    cells = [line.split() for line in lines if line.startswith("hartmann6:2 ")]
    assert [(c[3], c[4], c[7]) for c in cells] == [("random", "cpu", "1"), ("random", "cuda", "1")]
    assert lines[-1].startswith("estimated CPU hours: 0.0 for 2 runs (0.0 for the 2 not yet recorded)")
    assert not out.exists()
