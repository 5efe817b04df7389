"""Warm starts: trained generators carried from one GENNES stage of `optimize_acqf_gennes` to the next.

Pass one :class:`GeneratorCarry` to every call of a BO loop (`optimize_acqf_gennes(..., warm_start=carry)`):
each GENNES stage (each greedy step of a q-batch, each restart batch of a joint search) starts from the
generators the previous stage trained, in this call or the last one, instead of a fresh initialization; the
noise schedule starts over. The acquisition surface changes mostly near the newly evaluated points between BO
iterations, and near the pending points between greedy steps, so trained generators are a start that BoTorch's
multi-start L-BFGS-B has no counterpart for. What it gains: docs/design.md#warm-starts.
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor


class GeneratorCarry:
    """The generators of the last GENNES stage, held by the caller between calls (explicit, picklable state).

    Deterministic under a seed: the same calls with the same seeds, in the same order, give the same results.
    A stage whose generators have another shape (another dimension, q or network size) starts fresh and its
    generators replace the carried ones.

    Attributes:
        generators: Parameters of the last stage's trained generators (None before the first stage).
        n_stages: GENNES stages that have run with this carry.
        n_warm: Stages among them that started from carried generators.
    """

    def __init__(self) -> None:
        self.generators: dict[str, Tensor] | None = None
        self.n_stages = 0
        self.n_warm = 0

    def update(self, generators: Mapping[str, Tensor], warm: bool) -> None:
        """Carry a finished stage's trained generators (`warm`: whether that stage started from carried ones)."""
        self.generators = {name: value.detach().clone() for name, value in generators.items()}
        self.n_stages += 1
        self.n_warm += int(warm)

    def reset(self) -> None:
        """Forget the carried generators (e.g. when the BO problem changes)."""
        self.__init__()

    def state_dict(self) -> dict[str, object]:
        """The carry as plain data, for `torch.save`."""
        return {"generators": self.generators, "n_stages": self.n_stages, "n_warm": self.n_warm}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Restore a :meth:`state_dict`."""
        self.generators = state["generators"]  # type: ignore[assignment]
        self.n_stages = int(state["n_stages"])  # type: ignore[arg-type]
        self.n_warm = int(state["n_warm"])  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"GeneratorCarry(n_stages={self.n_stages}, n_warm={self.n_warm})"
