"""A low-dimensional problem embedded in a high-dimensional box: the high-d benchmark of SAASBO and TuRBO.

`EmbeddedFunction(base, dim, active)(x) = base(x[active])`: `dim - base.dim` coordinates do nothing, and the
model has to find the few that matter. :func:`random_embedding` chooses the active coordinates at random per seed
(so that no optimizer can profit from their place), after moving the base's optimum at random:

    from gennes_bo.test_functions import get_problem, random_embedding

    problem = random_embedding(get_problem("hartmann", 6), dim=60, seed=3)   # Hartmann6 in [0, 1]^60
"""

from __future__ import annotations

import torch
from botorch.test_functions.synthetic import SyntheticTestFunction
from torch import Tensor

from gennes_bo.test_functions.translation import random_translation


class EmbeddedFunction(SyntheticTestFunction):
    """`base` on the coordinates `active` of a `dim`-dimensional box; the other coordinates are ignored.

    The active coordinates keep `base`'s bounds; the others span `inactive_bounds`. The optimal value is
    `base`'s, reached on a `(dim - base.dim)`-dimensional set.

    Args:
        base: A minimization `SyntheticTestFunction` (not negated, no noise) with a known optimum.
        dim: Dimension of the embedding box, at least `base.dim`.
        active: The `base.dim` distinct coordinates of the box where `base`'s coordinates go, in order.
        inactive_bounds: `(lower, upper)` of every ignored coordinate (default the unit interval).
        noise_std: Observation noise.
        negate: Negate the function.
    """

    def __init__(self, base: SyntheticTestFunction, dim: int, active: list[int] | Tensor,
                 inactive_bounds: tuple[float, float] = (0.0, 1.0), noise_std: float | None = None,
                 negate: bool = False) -> None:
        if base.negate or base.noise_std is not None:
            raise ValueError("`base` must be a plain minimization problem (negate=False, noise_std=None)")
        active = [int(i) for i in (active.tolist() if torch.is_tensor(active) else active)]
        if not isinstance(dim, int) or dim < base.dim:
            raise ValueError(f"`dim` must be an integer >= base.dim = {base.dim}, got {dim!r}")
        if len(active) != base.dim or len(set(active)) != base.dim or not all(0 <= i < dim for i in active):
            raise ValueError(f"`active` must be {base.dim} distinct coordinates of 0 .. {dim - 1}, got {active}")
        lower, upper = inactive_bounds
        if not lower < upper:
            raise ValueError(f"`inactive_bounds` must be (lower, upper) with lower < upper, got {inactive_bounds}")
        self.dim = dim
        self.continuous_inds = list(range(dim))
        bounds = [(lower, upper)] * dim
        base_bounds = base.bounds.t().tolist()
        for position, index in enumerate(active):
            bounds[index] = tuple(base_bounds[position])
        self._bounds = bounds
        optimizer = [0.5 * (lower + upper)] * dim
        for position, index in enumerate(active):
            optimizer[index] = float(base.optimizers[0][position])
        self._optimizers = [tuple(optimizer)]
        self._optimal_value = float(base.optimal_value)
        super().__init__(noise_std=noise_std, negate=negate, dtype=base.bounds.dtype)
        self.base = base
        self.register_buffer("active", torch.tensor(active, dtype=torch.long))

    def _evaluate_true(self, X: Tensor) -> Tensor:
        return self.base._evaluate_true(X[..., self.active])


def random_embedding(base: SyntheticTestFunction, dim: int, seed: int) -> EmbeddedFunction:
    """`base` with its optimum moved at random (:func:`random_translation`), on `base.dim` coordinates of a
    `dim`-dimensional box chosen at random; both draws seeded by `seed`.

    Args:
        base: A minimization `SyntheticTestFunction` that :func:`random_translation` supports.
        dim: Dimension of the box.
        seed: Seeds the translation and the choice of the active coordinates.
    """
    translated = random_translation(base, seed)
    generator = torch.Generator().manual_seed(seed)
    active = torch.randperm(dim, generator=generator)[: base.dim].tolist()
    return EmbeddedFunction(translated, dim, active)
