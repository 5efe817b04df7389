"""Which pipeline an acquisition optimization runs when its settings say `pipeline="auto"`.

Two pipelines share everything (raw-sample screen, restarts, greedy steps, joint polish) but one stage:
`"gennes"` trains generators before the L-BFGS-B polish and adds their best samples to its starts; `"lbfgs"` runs
BoTorch's L-BFGS-B from the initial conditions alone. The table below is what the rule of
docs/design.md#the-pipeline-policy gave on the regime map's 84 dev states (docs/results/regime_map.md): in no bucket
was the GENNES stage clearly better than the same pipeline without it, so the faster of the two runs (in high
dimensions at q = 2-32 by a few percent).
"""

from __future__ import annotations

PIPELINES = ("auto", "gennes", "lbfgs")
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


def choose_pipeline(*, q: int, d: int, greedy: bool) -> str:
    """The pipeline of a call with `q` candidates in `d` dimensions.

    Args:
        q: Candidates of the call.
        d: Dimension of the search space (free features; 0 when every feature is fixed).
        greedy: Whether the q-batch is built one point at a time.

    Returns:
        `"gennes"` or `"lbfgs"`.
    """
    if q < 1 or d < 0:
        raise ValueError(f"`q` must be >= 1 and `d` >= 0, got q={q}, d={d}")
    return POLICY[(d >= 30, "q = 1" if q == 1 else "q = 2-32" if q <= 32 else "q >= 33")]
