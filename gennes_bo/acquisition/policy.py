"""Which pipeline an acquisition optimization runs when its settings say `pipeline="auto"`.

Two pipelines share everything (raw-sample screen, restarts, greedy steps, joint polish) but one stage:
`"gennes"` trains generators before the L-BFGS-B polish and adds their best samples to its starts; `"lbfgs"` runs
BoTorch's L-BFGS-B from the initial conditions alone. The rule below is the one measured on the regime map's
dev cells (docs/results/regime_map.md; history in docs/design.md#the-pipeline-policy).
"""

from __future__ import annotations

PIPELINES = ("auto", "gennes", "lbfgs")


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
    return "gennes"
