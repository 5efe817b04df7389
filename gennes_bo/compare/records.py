"""Resumable experiment records: one JSON line per finished run, keyed by its spec, appended atomically."""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gennes_bo.compare.legacy_names import canonical_record


def run_key(spec: Mapping[str, Any]) -> str:
    """Canonical string key of a run spec (sorted JSON), used to skip finished runs."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """All complete records of a JSONL file (a truncated last line from a killed run is ignored), optimizers under
    today's names (:func:`~gennes_bo.compare.legacy_names.canonical_record`)."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    with path.open() as stream:
        for line in stream:
            if not line.endswith("\n"):
                break  # the writer died mid-line; that run will be redone
            records.append(canonical_record(json.loads(line)))
    return records


def thin_trace(trace: Sequence[tuple[int, float]], max_points: int = 200) -> list[list[float]]:
    """Keep an anytime curve small for a record: its improvements only, at most `max_points` of them plus the end.

    Args:
        trace: `(n_evals, best value so far)` pairs, e.g. `AcqfEvalCounter.trace`.
        max_points: Improvements kept at most (evenly subsampled beyond that).

    Returns:
        `[n_evals, best value so far]` lists (JSON-ready), ending with the trace's last pair.
    """
    improvements = [[n, v] for i, (n, v) in enumerate(trace) if i == 0 or v > trace[i - 1][1]]
    if len(improvements) > max_points:
        step = math.ceil(len(improvements) / max_points)
        improvements = improvements[::step] + [improvements[-1]]
    if trace:
        improvements.append([trace[-1][0], trace[-1][1]])
    return improvements


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


class StaleRecordsError(ValueError):
    """Records of a grid's runs that were made with other optimizer settings than the current ones."""


def check_settings(specs: Iterable[Mapping[str, Any]], path: str | Path,
                   settings: Callable[[Mapping[str, Any]], Any]) -> None:
    """Refuse to resume a grid whose records in `path` were run with other settings than `settings(spec)` now.

    A record's `settings` (written by :func:`~gennes_bo.compare.runner.run_grid`) is what the optimizer's
    defaults resolved to when it ran; if a default changed since, resuming would mix two settings under one
    name. Records without `settings` (written before they were recorded) cannot be checked and are accepted.

    Raises:
        StaleRecordsError: Naming how many records differ, one of them with both settings, and the ways out.
    """
    wanted = {run_key(spec): spec for spec in specs}
    stale = []
    for record in load_records(path):
        spec = wanted.get(run_key(record["spec"]))
        if spec is not None and "settings" in record:
            now = json.loads(json.dumps(settings(spec)))  # tuples -> lists, as the record holds them
            if record["settings"] != now:
                stale.append((spec, record["settings"], now))
    if stale:
        spec, old, now = stale[0]
        raise StaleRecordsError(
            f"{len(stale)} record(s) in {path} were run with other settings than the current ones, e.g. "
            f"{run_key(spec)} recorded {json.dumps(old, sort_keys=True)}, now {json.dumps(now, sort_keys=True)}; "
            "a default changed since they ran. Keep them apart (rename the optimizer in their specs, e.g. to "
            "'NAME-old', as the reports show any name) or write to another --out."
        )
