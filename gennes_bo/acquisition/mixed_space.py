"""A mixed search space in the conventions of BoTorch's `optimize_acqf_mixed_alternating`, and its relaxation.

`discrete_dims` and `cat_dims` map a dimension index to its allowed values, as in BoTorch;
:meth:`MixedSpace.build` checks them against `bounds` and `fixed_features` and fails with a message naming the
argument. GENNES searches a *relaxed* box with one coordinate per searched dimension, and
:meth:`MixedSpace.decode` maps relaxed points to valid ones:

- a continuous dimension is its own relaxed coordinate;
- a discrete (ordinal) dimension's coordinate spans the allowed values' Voronoi cells and is rounded to the value
  of its cell, with a straight-through gradient (the acquisition's gradient at the rounded value);
- a categorical dimension with `m` values has a coordinate in `[0, m]`, one unit cell per value; its category is
  sampled from a softmax over the distances to the cells' centres at temperature `tau` (the cell itself when
  `tau = 0`), and its log-probability carries a score-function (REINFORCE) gradient, since a categorical kernel
  has no gradient with respect to a category.

Why these choices, with the measurements: docs/design.md#mixed-spaces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from botorch.optim.optimize_mixed import get_categorical_neighbors, get_nearest_neighbors
from botorch.optim.utils import fix_features
from botorch.utils.sampling import draw_sobol_samples
from torch import Tensor


@dataclass(frozen=True)
class MixedSpace:
    """A validated mixed space: which dimensions are searched, and how.

    Attributes:
        bounds: `2 x d` bounds; a candidate's continuous dimensions lie in them.
        ordinal: Searched discrete dimensions -> their sorted allowed values (a tensor of at least two).
        categorical: Searched categorical dimensions -> their sorted allowed values (a tensor of at least two).
        continuous: Searched continuous dimensions, ascending.
        fixed: Fixed dimensions -> value: the user's `fixed_features` and dimensions with a single allowed value.
    """

    bounds: Tensor
    ordinal: dict[int, Tensor]
    categorical: dict[int, Tensor]
    continuous: tuple[int, ...]
    fixed: dict[int, float]

    @classmethod
    def build(
        cls,
        bounds: Tensor,
        discrete_dims: Mapping[int, Sequence[float]] | None = None,
        cat_dims: Mapping[int, Sequence[float]] | None = None,
        fixed_features: Mapping[int, float | Tensor] | None = None,
    ) -> MixedSpace:
        """Check a space given in `optimize_acqf_mixed_alternating`'s conventions.

        Args:
            bounds: `2 x d` tensor of lower and upper bounds.
            discrete_dims: Discrete (ordinal, integer, binary) dimension -> allowed values, inside the bounds.
            cat_dims: Categorical dimension -> allowed values (their encodings), inside the bounds.
            fixed_features: Dimension -> fixed value; a discrete or categorical dimension must be fixed to one of
                its values.

        Raises:
            ValueError: For a malformed `bounds`, an unknown dimension, an empty or non-finite set of values, a
                value outside the bounds, a dimension both discrete and categorical, a dimension fixed to a value
                outside its set, or a searched continuous dimension without a finite box.
        """
        if not isinstance(bounds, Tensor) or bounds.dim() != 2 or bounds.shape[0] != 2:
            shape = tuple(bounds.shape) if isinstance(bounds, Tensor) else type(bounds).__name__
            raise ValueError(f"`bounds` must be a 2 x d tensor, got {shape}")
        d = bounds.shape[1]
        if not (bounds[0] <= bounds[1]).all():
            raise ValueError("`bounds` must satisfy lower <= upper in every dimension")
        sets = {}
        for name, spec in (("discrete_dims", discrete_dims), ("cat_dims", cat_dims)):
            sets[name] = {_dimension(dim, d, name): _values(dim, values, bounds, name)
                          for dim, values in (spec or {}).items()}
        both = sorted(set(sets["discrete_dims"]) & set(sets["cat_dims"]))
        if both:
            raise ValueError(f"dimension(s) {both} are in both `discrete_dims` and `cat_dims`; each dimension is "
                             "either discrete (ordered values) or categorical")
        fixed = {}
        for dim, value in (fixed_features or {}).items():
            dim = _dimension(dim, d, "fixed_features")
            fixed[dim] = _fixed_value(dim, value, {**sets["discrete_dims"], **sets["cat_dims"]}.get(dim), bounds)
        searched = {}
        for name in ("discrete_dims", "cat_dims"):
            searched[name] = {}
            for dim, values in sets[name].items():
                if dim in fixed:
                    continue
                if len(values) == 1:
                    fixed[dim] = float(values[0])
                else:
                    searched[name][dim] = values
        continuous = tuple(i for i in range(d) if i not in fixed and i not in sets["discrete_dims"]
                           and i not in sets["cat_dims"])
        for dim in continuous:
            low, high = bounds[:, dim].tolist()
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"`bounds` of continuous dimension {dim} must be finite with lower < upper (GENNES "
                                 f"samples a box), got [{low}, {high}]; fix the dimension with `fixed_features`")
        return cls(bounds=bounds, ordinal=searched["discrete_dims"], categorical=searched["cat_dims"],
                   continuous=continuous, fixed=fixed)

    # -- shapes ------------------------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Dimension `d` of a candidate."""
        return self.bounds.shape[1]

    @property
    def searched(self) -> tuple[int, ...]:
        """The searched dimensions (continuous, discrete and categorical), ascending: the relaxed coordinates."""
        return tuple(sorted((*self.continuous, *self.ordinal, *self.categorical)))

    def relaxed_bounds(self) -> Tensor:
        """`2 x s` box of the relaxed coordinates, one per searched dimension (see the module doc)."""
        columns = []
        for dim in self.searched:
            if dim in self.ordinal:
                values = self.ordinal[dim]
                columns.append(torch.stack([1.5 * values[0] - 0.5 * values[1], 1.5 * values[-1] - 0.5 * values[-2]]))
            elif dim in self.categorical:
                columns.append(torch.tensor([0.0, float(len(self.categorical[dim]))]).to(self.bounds))
            else:
                columns.append(self.bounds[:, dim])
        return torch.stack(columns, dim=1) if columns else self.bounds[:, :0]

    # -- relaxed points -> valid points ------------------------------------------------------------------------
    def decode(self, relaxed: Tensor, tau: float = 0.0) -> tuple[Tensor, Tensor]:
        """Valid points from relaxed ones, differentiable as the module doc describes.

        Args:
            relaxed: `n x s` relaxed coordinates (`s = len(self.searched)`), possibly attached to a graph.
            tau: Temperature of the categorical sampling in cell units; 0 takes each coordinate's own cell.

        Returns:
            `n x d` valid points (fixed features included), and the `n` log-probabilities of their sampled
            categories (zeros when `tau = 0` or without categorical dimensions), both attached to `relaxed`.
        """
        columns = dict(zip(self.searched, relaxed.unbind(-1), strict=True))
        log_prob = torch.zeros(relaxed.shape[:-1], dtype=relaxed.dtype, device=relaxed.device)
        for dim, values in self.ordinal.items():
            coordinate = columns[dim]
            rounded = values[torch.bucketize(coordinate.detach().contiguous(), (values[1:] + values[:-1]) / 2)]
            columns[dim] = coordinate + (rounded - coordinate).detach()
        for dim, values in self.categorical.items():
            index, dim_log_prob = sample_category(columns[dim], len(values), tau)
            columns[dim] = values[index]
            log_prob = log_prob + dim_log_prob
        for dim, value in self.fixed.items():
            columns[dim] = torch.full_like(log_prob, value)
        return torch.stack([columns[dim] for dim in range(self.dim)], dim=-1), log_prob

    def sample(self, n: int, seed: int | None = None) -> Tensor:
        """`n x d` valid points: scrambled Sobol points of the relaxed box, decoded at `tau = 0`."""
        relaxed = draw_sobol_samples(self.relaxed_bounds(), n=n, q=1, seed=seed).squeeze(-2)
        return self.decode(relaxed)[0]

    def project(self, X: Tensor) -> Tensor:
        """The nearest valid points: discrete and categorical values rounded to the nearest allowed value,
        continuous values clamped to the bounds, fixed features set (shape `... x d`, detached)."""
        X = X.detach().clone()
        for dim, values in {**self.ordinal, **self.categorical}.items():
            X[..., dim] = values[(X[..., dim].unsqueeze(-1) - values).abs().argmin(-1)]
        for dim in self.continuous:
            X[..., dim] = X[..., dim].clamp(self.bounds[0, dim], self.bounds[1, dim])
        for dim, value in self.fixed.items():
            X[..., dim] = value
        return X

    def is_valid(self, X: Tensor) -> Tensor:
        """Whether each point of `X` (`... x d`) is valid, exactly (shape `...`)."""
        valid = torch.ones(X.shape[:-1], dtype=torch.bool, device=X.device)
        for dim, values in {**self.ordinal, **self.categorical}.items():
            valid &= (X[..., dim].unsqueeze(-1) == values).any(-1)
        for dim in self.continuous:
            valid &= (X[..., dim] >= self.bounds[0, dim]) & (X[..., dim] <= self.bounds[1, dim])
        for dim, value in self.fixed.items():
            valid &= X[..., dim] == X.new_tensor(value)
        return valid

    # -- discrete neighbourhoods -------------------------------------------------------------------------------
    def neighbours(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """Points one discrete move away: an adjacent allowed value of one discrete dimension, or any other value
        of one categorical dimension (BoTorch's `get_nearest_neighbors` / `get_categorical_neighbors`).

        Args:
            X: `b x d` valid points.

        Returns:
            `m x d` neighbours and the `m` rows of `X` they belong to.
        """
        ordinal = {dim: values.tolist() for dim, values in self.ordinal.items()}
        categorical = {dim: values.tolist() for dim, values in self.categorical.items()}
        largest = max((len(values) for values in categorical.values()), default=1)
        found, owners = [], []
        for row, x in enumerate(X.detach()):
            parts = []
            if ordinal:
                parts.append(get_nearest_neighbors(x, self.bounds, ordinal))
            if categorical:  # every value: BoTorch samples (with Python's RNG) only above `largest`
                parts.append(get_categorical_neighbors(x, categorical, max_num_cat_values=largest))
            if parts:
                found.append(torch.cat(parts))
                owners.append(torch.full((len(found[-1]),), row, dtype=torch.long, device=X.device))
        if not found:
            return X[:0], torch.zeros(0, dtype=torch.long, device=X.device)
        # The neighbour helpers clamp every column to `bounds`: a fixed value outside them is set back.
        neighbours = fix_features(torch.cat(found), self.fixed or None, replace_current_value=True)
        return neighbours, torch.cat(owners)


def sample_category(coordinate: Tensor, n_values: int, tau: float) -> tuple[Tensor, Tensor]:
    """Category indices of relaxed coordinates in `[0, n_values]` and their log-probabilities.

    Index `j` has probability proportional to `exp(-(coordinate - (j + 1/2))^2 / (2 tau^2))`; at `tau = 0` the
    index is the unit cell holding the coordinate, with log-probability 0.

    Args:
        coordinate: `n` relaxed coordinates (possibly attached to a graph).
        n_values: Number of categories `m`.
        tau: Temperature in cell units (>= 0).

    Returns:
        `n` indices (long) and `n` log-probabilities, differentiable with respect to `coordinate`.
    """
    if tau <= 0:
        index = coordinate.detach().floor().long().clamp(0, n_values - 1)
        return index, torch.zeros_like(coordinate)
    centres = torch.arange(n_values, dtype=coordinate.dtype, device=coordinate.device) + 0.5
    log_probs = torch.log_softmax(-((coordinate.unsqueeze(-1) - centres) ** 2) / (2 * tau**2), dim=-1)
    index = torch.multinomial(log_probs.detach().exp(), 1).squeeze(-1)
    return index, log_probs.gather(-1, index.unsqueeze(-1)).squeeze(-1)


def _dimension(dim: object, d: int, name: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int) or not 0 <= dim < d:
        raise ValueError(f"`{name}` names dimension {dim!r}, but `bounds` has d = {d} dimensions (0 to {d - 1})")
    return dim


def _values(dim: int, values: Sequence[float], bounds: Tensor, name: str) -> Tensor:
    try:
        tensor = torch.as_tensor(list(values), dtype=bounds.dtype, device=bounds.device)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}[{dim}]` must be a sequence of numbers, got {values!r}") from error
    if tensor.dim() != 1 or tensor.numel() == 0:
        raise ValueError(f"`{name}[{dim}]` must hold at least one value, got {values!r}")
    if not tensor.isfinite().all():
        raise ValueError(f"`{name}[{dim}]` must hold finite values, got {values!r}")
    low, high = bounds[0, dim], bounds[1, dim]
    outside = tensor[(tensor < low) | (tensor > high)]
    if outside.numel():
        raise ValueError(f"`{name}[{dim}]` holds value(s) {outside.tolist()} outside the bounds "
                         f"[{float(low)}, {float(high)}] of dimension {dim}")
    return tensor.unique(sorted=True)


def _fixed_value(dim: int, value: float | Tensor, allowed: Tensor | None, bounds: Tensor) -> float:
    if torch.is_tensor(value):
        if value.numel() != 1:
            raise ValueError(f"`fixed_features[{dim}]` must be a number or a one-element tensor, "
                             f"got shape {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"`fixed_features[{dim}]` must be a finite number, got {value!r}")
    if allowed is not None and not (allowed == bounds.new_tensor(value)).any():
        raise ValueError(f"`fixed_features[{dim}]` = {value} is not one of the allowed values {allowed.tolist()} "
                         f"of dimension {dim}")
    return float(value)
