"""Records written under earlier optimizer names are read under today's, and never rewritten."""

from __future__ import annotations

import json

from gennes_bo.compare.legacy_names import BENCH_ACQF_NAMES, RENAMED, canonical_record
from gennes_bo.compare.records import append_record, finished_keys, load_records, run_key
from gennes_bo.compare.registry import ACQF_OPTIMIZERS

CASE = {"problem": "hartmann6", "n_train": 30, "q": 4, "acqf": "qlogei"}


def test_old_bench_acqf_records_get_a_kind_and_todays_names(tmp_path):
    path = tmp_path / "acqf.jsonl"
    old = {"spec": {"case": CASE, "seed": 2, "method": "gennes", "settings": {"optimizer": "gennes"}},
           "result": {"value": 1.0}}
    append_record(path, old)
    (record,) = load_records(path)
    assert record["spec"] == {"kind": "bench-acqf", "case": CASE, "seed": 2, "optimizer": "gennes-hybrid",
                              "settings": {"optimizer": "gennes"}}
    assert record["result"] == old["result"]
    assert json.loads(path.read_text()) == old  # the file is not rewritten
    assert finished_keys(path) == {run_key(record["spec"])}


def test_renamed_records_of_the_grid_commands():
    spec = {"kind": "compare-acqf", "state": "s", "q": 4, "optimizer": "lbfgs-same-starts-256", "seed": 0}
    record = {"spec": spec, "settings": None}
    assert canonical_record(record)["spec"] == {**spec, "optimizer": "lbfgs-same-starts-greedy256"}
    assert record["spec"]["optimizer"] == "lbfgs-same-starts-256"  # the record given is left as it was
    for current in ({"kind": "bo", "task": "digits", "optimizer": "gennes"},
                    {"kind": "bench-acqf", "case": CASE, "seed": 0, "optimizer": "gennes"},  # today's `gennes`
                    {"kind": "table1", "function": "ackley", "method": "gennes"}):  # standalone optimizers
        assert canonical_record({"spec": current}) == {"spec": current}


def test_todays_names_are_hyphenated_and_built_ins_keep_theirs():
    new_names = set(BENCH_ACQF_NAMES.values()) | set(RENAMED.values())
    assert all("_" not in name for name in new_names | set(ACQF_OPTIMIZERS))
    assert {"gennes-hybrid", "botorch-default", "botorch-10x", "lbfgs-same-starts"} <= set(ACQF_OPTIMIZERS)
    assert not set(RENAMED) & set(ACQF_OPTIMIZERS)  # an old name never shadows a registered one
