"""Resumable experiment records: one JSON line per finished run, keyed by its spec, appended atomically."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def run_key(spec: Mapping[str, Any]) -> str:
    """Canonical string key of a run spec (sorted JSON), used to skip finished runs."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """All complete records of a JSONL file (a truncated last line from a killed run is ignored)."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    with path.open() as stream:
        for line in stream:
            if not line.endswith("\n"):
                break  # the writer died mid-line; that run will be redone
            records.append(json.loads(line))
    return records


def records_or_exit(path: str | Path, command: str) -> list[dict[str, Any]]:
    """The records of `path` for a report; exits with a message naming `command` when there are none."""
    records = load_records(path)
    if not records:
        raise SystemExit(f"no records in {path}; run `{command}` first")
    return records


def finished_keys(path: str | Path) -> set[str]:
    """Keys of the runs already recorded in `path`."""
    return {run_key(record["spec"]) for record in load_records(path)}


def append_record(path: str | Path, record: Mapping[str, Any]) -> None:
    """Append one record as a single line with one `write` + `fsync`.

    A line is written by one `os.write` on an `O_APPEND` descriptor, so concurrent writers never interleave
    within a line, and a crash leaves at most a partial last line, which :func:`load_records` ignores.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _repair_partial_tail(path)
    data = (json.dumps(record, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _repair_partial_tail(path: Path) -> None:
    """Drop a partial last line left by a killed writer, so the next record starts on its own line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as stream:
        stream.seek(-1, os.SEEK_END)
        if stream.read(1) == b"\n":
            return
        stream.seek(0)
        content = stream.read()
        stream.truncate(content.rfind(b"\n") + 1)


def environment() -> dict[str, str]:
    """Versions that a record should carry."""
    import botorch
    import torch

    import gennes_bo

    return {
        "gennes_bo": gennes_bo.__version__,
        "botorch": botorch.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def pending(specs: Iterable[Mapping[str, Any]], path: str | Path) -> list[Mapping[str, Any]]:
    """The specs whose runs are not yet in `path`."""
    done = finished_keys(path)
    return [spec for spec in specs if run_key(spec) not in done]
