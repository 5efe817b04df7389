"""The one GP builder of the library, shared by the Optuna sampler, the comparison harness and the experiments.

:func:`make_gp` / :func:`fit_gp` build BoTorch's `SingleTaskGP` with its default (dimension-scaled) priors, inputs
normalized to a box when one is given, outputs standardized. :class:`GPSurrogate` is the Optuna sampler's
default surrogate on top of them: output warping and fits warm-started from the previous one. Any callable
`surrogate(X, Y, n_objectives=...) -> fitted BoTorch model` plugs into the sampler in its place.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.model import Model
from botorch.models.transforms import Normalize, Standardize
from botorch.models.transforms.input import ChainedInputTransform
from gpytorch.mlls import ExactMarginalLogLikelihood
from torch import Tensor

# L-BFGS-B's relative tolerance on the marginal log likelihood (per point) of warm-started fits: 6.6x faster than
# cold ones at scipy's 2.2e-9, their likelihood a median 4e-3 below (docs/design.md#gp-fit-warm-starts)
WARM_FIT_FTOL = 1e-6
# A fit on every 5th trial: as good on the bayesmark dev problems (20/33/19, p = 0.7) at half the sampler time
# (docs/design.md#the-time-lever-fewer-gp-fits)
REFIT_EVERY = 5
PRIORS = ("dimension-scaled", "gamma")  # make_gp's hyperparameter priors


def _check_priors(priors: str) -> None:
    """Raise ValueError unless `priors` is one of `PRIORS`."""
    if priors not in PRIORS:
        raise ValueError(f"`priors` must be one of {', '.join(map(repr, PRIORS))}, got {priors!r}")


def make_gp(X: Tensor, Y: Tensor, bounds: Tensor | None = None, *, input_warping: bool = False,
            priors: str = "dimension-scaled") -> SingleTaskGP:
    """`SingleTaskGP` with BoTorch's default priors (or `priors`), unfitted.

    Args:
        X: `n x d` inputs.
        Y: `n` or `n x m` outputs (standardized by the model).
        bounds: `2 x d` box the inputs are normalized to; None: inputs already in the unit cube.
        input_warping: Learn a Kumaraswamy CDF per input dimension (BoTorch's `Warp`, as HEBO and BoTorch's
            warping tutorial do), its concentrations under LogNormal(0, 0.75) priors, fitted with the GP.
        priors: `"dimension-scaled"`, BoTorch's default (an RBF kernel whose lengthscales have LogNormal priors
            scaled with the dimension, Hvarfner et al. 2024); `"gamma"`, BoTorch's default before 0.12 (a Matern-5/2
            kernel with Gamma(3, 6) lengthscale and Gamma(2, 0.15) outputscale priors, a Gamma(1.1, 0.05) noise
            prior), through BoTorch's own builders.
    """
    _check_priors(priors)
    Y = Y.unsqueeze(-1) if Y.dim() == 1 else Y
    transforms = [] if bounds is None else [Normalize(X.shape[-1], bounds=bounds)]
    if input_warping:
        from botorch.models.transforms.input import Warp
        from gpytorch.priors import LogNormalPrior

        d = X.shape[-1]
        transforms.append(Warp(d, list(range(d)), concentration1_prior=LogNormalPrior(0.0, 0.75**0.5),
                               concentration0_prior=LogNormalPrior(0.0, 0.75**0.5)))
    transform = (None if not transforms else transforms[0] if len(transforms) == 1
                 else ChainedInputTransform(**{f"tf{i}": t for i, t in enumerate(transforms)}))
    modules = {}
    if priors == "gamma":
        from botorch.models.utils.gpytorch_modules import (
            get_gaussian_likelihood_with_gamma_prior,
            get_matern_kernel_with_gamma_prior,
        )

        batch_shape = torch.Size([Y.shape[-1]]) if Y.shape[-1] > 1 else torch.Size()
        modules = {"covar_module": get_matern_kernel_with_gamma_prior(X.shape[-1], batch_shape=batch_shape),
                   "likelihood": get_gaussian_likelihood_with_gamma_prior(batch_shape=batch_shape)}
    return SingleTaskGP(X, Y, input_transform=transform, outcome_transform=Standardize(m=Y.shape[-1]), **modules)


def fit_gp(X: Tensor, Y: Tensor, bounds: Tensor | None = None, *, start: dict[str, Tensor] | None = None,
           ftol: float | None = None, input_warping: bool = False, priors: str = "dimension-scaled") -> SingleTaskGP:
    """:func:`make_gp`, fitted by maximizing the marginal log-likelihood (`fit_gpytorch_mll`).

    Args:
        X: `n x d` inputs.
        Y: `n` or `n x m` outputs.
        bounds: As in :func:`make_gp`.
        start: Raw hyperparameters by name (`model.named_parameters()` of an earlier fit of the same shape) that the
            first fitting attempt starts from.
        ftol: L-BFGS-B's relative tolerance on the likelihood (None: BoTorch's default).
        input_warping: As in :func:`make_gp`.
        priors: As in :func:`make_gp`.
    """
    model = make_gp(X, Y, bounds, input_warping=input_warping, priors=priors)
    if start is not None:
        _load(model, start)
    options = None if ftol is None else {"ftol": ftol}
    if options and model.num_outputs > 1:  # several outputs go to BoTorch's batched L-BFGS-B: ftol needs factr unset
        options["factr"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fitting warnings on tiny data sets (BoTorch retries on its own)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model),
                         optimizer_kwargs=None if options is None else {"options": options})
    return model


def _load(model: SingleTaskGP, parameters: dict[str, Tensor]) -> SingleTaskGP:
    """`model` with its raw hyperparameters set to `parameters` (by name, as `named_parameters()` gives them)."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(parameters[name])
    return model


def warp(Y: Tensor) -> Tensor:
    """Each column of `n x m` values through a Yeo-Johnson power transform fitted to it (standardized first).

    Monotone, so rankings and the incumbent stay, while a long tail of bad values (a diverging model, a capped loss)
    no longer squeezes the good ones together after standardization, as in HEBO. A constant column is left as it is.
    """
    from scipy.stats import yeojohnson

    columns = []
    for column in Y.T:
        y = column.cpu().numpy()
        spread = y.std()
        if not np.isfinite(spread) or spread == 0:
            columns.append(column)
            continue
        warped, _ = yeojohnson((y - y.mean()) / spread)
        columns.append(torch.as_tensor(warped, dtype=Y.dtype, device=Y.device))
    return torch.stack(columns, dim=-1)


class GPSurrogate:
    """The Optuna sampler's default surrogate: a `SingleTaskGP` on unit-cube inputs.

    Called as `surrogate(X, Y, n_objectives=k)` with `n x d` inputs and `n x m` outputs, the first `k` of them
    objectives (to maximize) and the rest constraint values (feasible when <= 0); returns the fitted model.

    Args:
        warp_outputs: Fit the objectives through :func:`warp` (constraint values never: their sign decides
            feasibility).
        warm_start: Start each fit from the hyperparameters of this surrogate's previous fit of the same shape, and
            stop L-BFGS-B at `WARM_FIT_FTOL`: about 6x faster, nearly as good (docs/design.md#gp-fit-warm-starts).
            The fits then depend on the surrogate's history; False fits each from BoTorch's initial values.
        input_warping: Learn a Kumaraswamy CDF per input (:func:`make_gp`).
        refit_every: Fit the hyperparameters on every `refit_every`-th call only; the calls in between condition a
            GP with the last fit's hyperparameters on the new data, without fitting. 1 fits on every call. None:
            `REFIT_EVERY` with `warm_start`, 1 without (a value > 1 needs `warm_start`).
        priors: The GP's hyperparameter priors (:func:`make_gp`).
    """

    def __init__(self, *, warp_outputs: bool = True, warm_start: bool = True, input_warping: bool = False,
                 refit_every: int | None = None, priors: str = "dimension-scaled") -> None:
        _check_priors(priors)
        if refit_every is None:
            refit_every = REFIT_EVERY if warm_start else 1
        if not isinstance(refit_every, int) or isinstance(refit_every, bool) or refit_every < 1:
            raise ValueError(f"`refit_every` must be an integer >= 1 or None, got {refit_every!r}")
        if refit_every > 1 and not warm_start:
            raise ValueError("`refit_every` > 1 reuses the last fit's hyperparameters: it needs `warm_start=True`")
        self.warp_outputs = bool(warp_outputs)
        self.warm_start = bool(warm_start)
        self.input_warping = bool(input_warping)
        self.refit_every = refit_every
        self.priors = priors
        self._last: tuple[tuple[int, int], dict[str, Tensor]] | None = None  # (input dim, outputs), parameters
        self._since_fit = 0  # calls since the last fit of the hyperparameters

    def __call__(self, X: Tensor, Y: Tensor, n_objectives: int = 1) -> Model:
        if self.warp_outputs:
            Y = torch.cat([warp(Y[:, :n_objectives]), Y[:, n_objectives:]], dim=-1)
        if not self.warm_start:
            return fit_gp(X, Y, input_warping=self.input_warping, priors=self.priors)
        shape = (X.shape[-1], Y.shape[-1])
        start = self._last[1] if self._last is not None and self._last[0] == shape else None
        if start is not None and self._since_fit + 1 < self.refit_every:
            self._since_fit += 1
            return _load(make_gp(X, Y, input_warping=self.input_warping, priors=self.priors), start).eval()
        model = fit_gp(X, Y, start=start, ftol=WARM_FIT_FTOL, input_warping=self.input_warping, priors=self.priors)
        self._last = shape, {name: value.detach().clone() for name, value in model.named_parameters()}
        self._since_fit = 0
        return model

    def to_dict(self) -> dict[str, Any]:
        """The settings, for records."""
        return {"model": "SingleTaskGP", "warp_outputs": self.warp_outputs, "warm_start": self.warm_start,
                **({"input_warping": "Kumaraswamy"} if self.input_warping else {}),
                **({"refit_every": self.refit_every} if self.refit_every > 1 else {}),
                **({"priors": self.priors} if self.priors != "dimension-scaled" else {}),
                **({"ftol": WARM_FIT_FTOL} if self.warm_start else {})}
