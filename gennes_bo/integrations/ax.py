"""`GennesAcquisition`: Ax's BoTorch acquisition with its optimizer swapped for GENNES, for any Ax search space.

    GenerationStep(generator=Generators.BOTORCH_MODULAR, num_trials=-1,
                   generator_kwargs={"acquisition_class": GennesAcquisition})

Ax's `Acquisition.optimize` picks a BoTorch optimizer from the search space. This subclass keeps Ax's surrogate,
acquisition function, transforms and choice of route, and replaces the optimizer on the routes GENNES covers:

- continuous spaces (Ax's `optimize_acqf`): `optimize_acqf_gennes`;
- integer, ordered-choice and choice parameters next to continuous ones (Ax's `optimize_acqf_mixed` and
  `optimize_acqf_mixed_alternating`): `optimize_acqf_mixed_gennes`, with Ax's ordinal features as
  `discrete_dims` and its categorical features as `cat_dims`;
- fully discrete spaces, candidate sets and Thompson sampling: Ax's own optimizers, unchanged (enumeration or
  discrete local search; GENNES has nothing to add where there is no continuous part).

Ax one-hot encodes an unordered choice parameter of more than two values into columns relaxed to [0, 1] and rounds
them afterwards (its `rounding_func`, which both GENNES routes apply); integers and ordered choices reach the mixed
optimizer as discrete dimensions.

The optimizers run with their own defaults; `optimizer_kwargs` of `model_gen_options` override them (BoTorch's
names, plus `settings=AcqfSettings(...)` and `seed`, on both routes). The `gen_candidates` route of
docs/guides/ax.md works only on continuous spaces: Ax passes `optimizer_kwargs` to `optimize_acqf_mixed_alternating`
too, which rejects `gen_candidates`.
"""

from __future__ import annotations

from typing import Any

from gennes_bo.extras import require

require("ax", "ax", "The Ax integration (gennes_bo.integrations.ax)")

import torch
from ax.core.search_space import SearchSpaceDigest
from ax.generators.torch.botorch_modular.acquisition import (
    Acquisition,
    determine_optimizer,
    mk_discrete_choices,
)
from torch import Tensor

from gennes_bo.acquisition.mixed import optimize_acqf_mixed_gennes
from gennes_bo.acquisition.optimize import optimize_acqf_gennes
from gennes_bo.acquisition.settings import SETTINGS_KEY

GENNES_ROUTES = {"optimize_acqf", "optimize_acqf_mixed", "optimize_acqf_mixed_alternating"}
# Keys of the GENNES routes (our `settings` and `seed`, and `options` with L-BFGS settings); dropped where Ax's own
# discrete optimizers run, which reject them.
_GENNES_ONLY_KEYS = ("gen_candidates", "options", "settings", "seed")


class GennesAcquisition(Acquisition):
    """Ax `Acquisition` that maximizes with `optimize_acqf_gennes` / `optimize_acqf_mixed_gennes`.

    Pass it as `generator_kwargs={"acquisition_class": GennesAcquisition}` of a `BOTORCH_MODULAR` generation step.
    The attribute `last_optimizer` names the optimizer of the latest `optimize` call (for logs and tests).
    """

    last_optimizer: str | None = None

    def optimize(
        self,
        n: int,
        search_space_digest: SearchSpaceDigest,
        inequality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
        equality_constraints: list[tuple[Tensor, Tensor, float]] | None = None,
        fixed_features: dict[int, float] | None = None,
        rounding_func: Any = None,
        optimizer_options: dict[str, Any] | None = None,
        candidate_set: Tensor | None = None,
        sampling_strategy: Any = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Generate `n` candidates; Ax's signature and return (candidates, acquisition values, arm weights)."""
        ssd = search_space_digest
        route = determine_optimizer(
            search_space_digest=ssd, discrete_choices=mk_discrete_choices(ssd=ssd, fixed_features=fixed_features),
            acqf=self.acqf,
        )
        options = dict(optimizer_options or {})
        if route not in GENNES_ROUTES or candidate_set is not None or sampling_strategy is not None:
            self.last_optimizer = route
            for key in _GENNES_ONLY_KEYS:
                options.pop(key, None)
            return super().optimize(
                n=n, search_space_digest=ssd, inequality_constraints=inequality_constraints,
                equality_constraints=equality_constraints, fixed_features=fixed_features,
                rounding_func=rounding_func, optimizer_options=options, candidate_set=candidate_set,
                sampling_strategy=sampling_strategy,
            )
        bounds = self._bounds(ssd)
        common = dict(acq_function=self.acqf, bounds=bounds, q=n, fixed_features=fixed_features,
                      inequality_constraints=inequality_constraints, equality_constraints=equality_constraints,
                      post_processing_func=rounding_func)
        if route == "optimize_acqf":
            self.last_optimizer = "optimize_acqf_gennes"
            candidates, values = optimize_acqf_gennes(**common, **options)
        else:
            self.last_optimizer = "optimize_acqf_mixed_gennes"
            settings = options.pop("settings", None)
            if settings is not None:  # the mixed optimizer takes them in its options, as the gen_candidates hook does
                options["options"] = {**options.get("options", {}), SETTINGS_KEY: settings}
            choices = ssd.discrete_choices
            candidates, values = optimize_acqf_mixed_gennes(
                **common,
                discrete_dims={k: list(v) for k, v in choices.items() if k in ssd.ordinal_features},
                cat_dims={k: list(v) for k, v in choices.items() if k in ssd.categorical_features},
                **options,
            )
        weights = candidates.new_ones(candidates.shape[0])
        return candidates, values, weights

    def _bounds(self, ssd: SearchSpaceDigest) -> Tensor:
        """`2 x d` bounds of the digest, on the acquisition's dtype and device."""
        return torch.tensor(ssd.bounds, dtype=self.dtype, device=self.device).t()
