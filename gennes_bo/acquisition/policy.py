"""Which pipeline an acquisition optimization runs when its settings say `pipeline="auto"`, how many restarts each
step of a greedy q-batch takes when its settings leave `num_restarts` to the default, and how a q-batch is built
when they say `batch_strategy="auto"`.

Two pipelines share everything (raw-sample screen, restarts, greedy steps, joint polish) but one stage:
`"gennes"` trains generators before the L-BFGS-B polish and adds their best samples to its starts; `"lbfgs"` runs
BoTorch's L-BFGS-B from the initial conditions alone. The table below is what the rule of
docs/design.md#the-pipeline-policy gave on the regime map's 84 dev states (docs/results/regime_map.md): in no bucket
was the GENNES stage clearly better than the same pipeline without it, so the faster of the two runs (in high
dimensions at q = 2-32 by a few percent). The greedy steps' restarts are what the batch-strategy lever's rule gave
on the dev states of d < 30 with q > 1 (docs/design.md#the-batch-strategy-lever-the-rule-committed-before-the-probe).
Its second round decided qUCB apart, and its third decided qUCB on whole dev BO loops: there a q-batch is built in
BoTorch's sequential scheme, without the joint polish
(docs/design.md#the-batch-strategy-lever-round-3-the-rule-committed-before-the-loops).
"""

from __future__ import annotations

PIPELINES = ("auto", "gennes", "lbfgs")
ACQUISITION_FAMILIES = ("qUCB", "other acquisitions")  # what the batch strategy's policy tells apart
# (search dimension of at least 30, batch size bucket) -> pipeline; the regime map's dev rule (see module doc).
# d >= 30 with q >= 33 had no dev state: the GENNES stage stays there, as before the policy.
POLICY = {
    (False, "q = 1"): "lbfgs",
    (False, "q = 2-32"): "lbfgs",
    (False, "q >= 33"): "lbfgs",
    (True, "q = 1"): "lbfgs",
    (True, "q = 2-32"): "gennes",
    (True, "q >= 33"): "gennes",
}


# (search dimension of at least 30, batch size bucket) -> L-BFGS-B restarts of each greedy step, where the rule of
# docs/design.md#the-batch-strategy-lever-the-rule-committed-before-the-probe changed them; elsewhere a greedy step
# takes `recommended_restarts`.
GREEDY_STEP_RESTARTS = {(False, "q = 2-32"): 2}

# (search dimension of at least 30, batch size bucket, acquisition family) -> batch strategy, where a default call
# does not build its q-batch greedily (round 3 of the batch-strategy lever; see module doc).
BATCH_POLICY = {(False, "q = 2-32", "qUCB"): "sequential"}


def policy_bucket(*, q: int, d: int) -> tuple[bool, str]:
    """The key of `POLICY` and `GREEDY_STEP_RESTARTS` for a call of `q` candidates in `d` dimensions:
    `(d >= 30, "q = 1" | "q = 2-32" | "q >= 33")`."""
    if q < 1 or d < 0:
        raise ValueError(f"`q` must be >= 1 and `d` >= 0, got q={q}, d={d}")
    return d >= 30, "q = 1" if q == 1 else "q = 2-32" if q <= 32 else "q >= 33"


def choose_pipeline(*, q: int, d: int, greedy: bool) -> str:
    """The pipeline of a call with `q` candidates in `d` dimensions.

    Args:
        q: Candidates of the call.
        d: Dimension of the search space (free features; 0 when every feature is fixed).
        greedy: Whether the q-batch is built one point at a time.

    Returns:
        `"gennes"` or `"lbfgs"`.
    """
    return POLICY[policy_bucket(q=q, d=d)]


def greedy_step_restarts(*, q: int, d: int) -> int | None:
    """L-BFGS-B restarts of each step of a greedy q-batch of `q` candidates in `d` dimensions, where the policy
    sets them (None: `recommended_restarts`).

    Args:
        q: Candidates of the call.
        d: Dimension of the search space (free features).
    """
    return GREEDY_STEP_RESTARTS.get(policy_bucket(q=q, d=d)) if q > 1 else None


def acquisition_family(acquisition: object) -> str:
    """The family of an acquisition function (or of its name as the benchmarks spell it, e.g. `"qucb"`) that the
    batch strategy's policy tells apart: `"qUCB"` for BoTorch's upper confidence bounds, else
    `"other acquisitions"`."""
    if isinstance(acquisition, str):
        return "qUCB" if acquisition.lower() in ("qucb", "ucb") else "other acquisitions"
    from botorch.acquisition import UpperConfidenceBound, qUpperConfidenceBound

    return "qUCB" if isinstance(acquisition, (qUpperConfidenceBound, UpperConfidenceBound)) else "other acquisitions"


def choose_batch_strategy(*, q: int, d: int, family: str) -> str:
    """How a default call builds a q-batch of `q` candidates in `d` dimensions for an acquisition of `family`.

    Returns:
        `BATCH_POLICY`'s strategy for the call's bucket, else `"greedy"`.

    Raises:
        ValueError: For a family outside `ACQUISITION_FAMILIES`, or bad `q` or `d`.
    """
    if family not in ACQUISITION_FAMILIES:
        raise ValueError(f"`family` must be one of {ACQUISITION_FAMILIES}, got {family!r}")
    return BATCH_POLICY.get((*policy_bucket(q=q, d=d), family), "greedy") if q > 1 else "greedy"
