"""The one GP builder of the library: the model of the BO loops that the comparison harness and the experiments run."""

from __future__ import annotations

import warnings

from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Normalize, Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood
from torch import Tensor


def make_gp(X: Tensor, Y: Tensor, bounds: Tensor) -> SingleTaskGP:
    """The BO loop's model, unfitted: SingleTaskGP with BoTorch's default priors, inputs normalized to the `2 x d`
    box, outputs standardized (`X`: `n x d`, `Y`: `n`)."""
    return SingleTaskGP(X, Y.unsqueeze(-1), input_transform=Normalize(X.shape[-1], bounds=bounds),
                        outcome_transform=Standardize(1))


def fit_gp(X: Tensor, Y: Tensor, bounds: Tensor) -> SingleTaskGP:
    """:func:`make_gp`, fitted by maximizing the marginal log-likelihood (`fit_gpytorch_mll`)."""
    model = make_gp(X, Y, bounds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return model
