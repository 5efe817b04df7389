"""Records written before every command used one name per acquisition optimizer, read under today's names.

Records are never rewritten: :func:`~gennes_bo.compare.records.load_records` passes each record it reads
through :func:`canonical_record`, so reports, resumption and settings checks see one name per optimizer.
"""

from __future__ import annotations

from typing import Any

# `bench-acqf` records before the registry: no `kind`, the optimizer under `method`, its own names.
BENCH_ACQF_NAMES = {
    "gennes": "gennes-hybrid",  # `optimize_acqf_gennes`'s defaults; `gennes` is now the paper's GENNES everywhere
    "default": "botorch-default",
    "default_10x": "botorch-10x",
    "lbfgs_same_starts": "lbfgs-same-starts",
    "gennes_joint": "gennes-hybrid-joint",
    "lbfgs_joint_same_starts": "lbfgs-same-starts-joint",
    "gennes_greedy256": "gennes-hybrid-greedy256",
    "lbfgs_same_starts_greedy256": "lbfgs-same-starts-greedy256",
    "gennes_fullscreen": "gennes-hybrid-fullscreen",
    "lbfgs_same_starts_fullscreen": "lbfgs-same-starts-fullscreen",
}
# `compare-acqf` and `bo` records under an earlier spelling.
RENAMED = {"lbfgs-same-starts-256": "lbfgs-same-starts-greedy256"}


def canonical_record(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with its optimizer under today's name (and, for an old `bench-acqf` record, today's spec keys)."""
    spec = record["spec"]
    if "kind" not in spec and "case" in spec and "method" in spec:
        spec = {"kind": "bench-acqf", **{k: v for k, v in spec.items() if k != "method"},
                "optimizer": BENCH_ACQF_NAMES.get(spec["method"], spec["method"])}
        return {**record, "spec": spec}
    if spec.get("optimizer") in RENAMED:
        return {**record, "spec": {**spec, "optimizer": RENAMED[spec["optimizer"]]}}
    return record
