"""Tests of the resumable JSONL records."""

from __future__ import annotations

import json

from gennes_bo.compare.records import append_record, environment, finished_keys, load_records, pending, run_key


def record(seed: int, value: float = 1.0) -> dict:
    return {"spec": {"problem": "p", "seed": seed}, "result": {"value": value}}


def test_append_load_roundtrip(tmp_path):
    path = tmp_path / "sub" / "records.jsonl"  # parent folders are created
    assert load_records(path) == []
    records = [record(0, 0.5), record(1, -2.25), {"spec": {"nested": {"a": [1, 2]}}, "result": {"text": "é"}}]
    for r in records:
        append_record(path, r)
    assert load_records(path) == records
    assert path.read_text().count("\n") == 3


def test_partial_last_line_is_ignored_and_repaired(tmp_path):
    path = tmp_path / "records.jsonl"
    append_record(path, record(0))
    append_record(path, record(1))
    with path.open("a") as stream:  # a writer killed mid-line
        stream.write(json.dumps(record(2))[:17])
    assert load_records(path) == [record(0), record(1)]
    assert pending([record(2)["spec"]], path) == [record(2)["spec"]]  # that run will be redone

    append_record(path, record(3))
    assert load_records(path) == [record(0), record(1), record(3)]
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)


def test_partial_only_line_is_repaired(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('{"spec": {"se')
    assert load_records(path) == []
    append_record(path, record(5))
    assert load_records(path) == [record(5)]


def test_pending_skips_finished_specs(tmp_path):
    path = tmp_path / "records.jsonl"
    specs = [record(seed)["spec"] for seed in range(4)]
    assert pending(specs, path) == specs
    append_record(path, record(1))
    append_record(path, record(3))
    assert pending(specs, path) == [specs[0], specs[2]]
    # Keys do not depend on the order of the spec's keys.
    assert pending([{"seed": 1, "problem": "p"}], path) == []
    assert finished_keys(path) == {run_key(specs[1]), run_key(specs[3])}


def test_run_key_is_canonical():
    assert run_key({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == run_key({"a": [1, {"c": 3, "d": 2}], "b": 1})
    assert run_key({"a": 1}) != run_key({"a": 1.5})


def test_environment_names_versions():
    env = environment()
    assert set(env) == {"gennes_bo", "botorch", "torch", "python", "machine"}
    assert all(isinstance(v, str) and v for v in env.values())
