"""Linear constraints over a mixed space, in the conventions of BoTorch's `optimize_acqf_mixed_alternating`.

The constraints are BoTorch's `(indices, coefficients, rhs)` (:mod:`gennes_bo.acquisition.constraints`), intra-point
only (a q-batch is built one point at a time). Inequalities may involve any dimension; equalities only continuous
and fixed ones, as in BoTorch (a discrete value rarely lands on a hyperplane).

:class:`MixedConstraints` relaxes the discrete and categorical dimensions to the union of their values' Voronoi
cells and keeps the :class:`FeasibleRegion` of that relaxation: its gauge map gives the screen and the GENNES stage
feasible relaxed points, which are then decoded to valid ones (discrete values rounded) and kept only where they
are still feasible, as BoTorch's `sample_feasible_points` and `discrete_step` filter theirs. The continuous steps
run SLSQP with the discrete values substituted into the constraints (:meth:`MixedConstraints.with_held`); a result
that ends outside them is pulled back toward its feasible start (:meth:`MixedConstraints.pull_back`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.utils.sampling import draw_sobol_samples
from torch import Tensor

from gennes_bo.acquisition.constraints import (
    FeasibleRegion,
    InfeasibleConstraintsError,
    LinearConstraint,
    check_linear_constraints,
    dense_rows,
    is_inter_point,
)
from gennes_bo.acquisition.mixed_space import MixedSpace
from gennes_bo.acquisition.options import UnsupportedAcqfArgumentError

SAMPLE_ROUNDS = 10  # rounds of relaxed samples drawn to fill a screen, as BoTorch's sample_feasible_points
PULL_BACK_STEPS = 40  # bisection steps of pull_back: the segment's feasible part to 2^-40 of its length


class MixedConstraints:
    """Linear constraints on the points of a :class:`MixedSpace`; build them with :meth:`build`.

    Attributes:
        space: The mixed space.
        inequality_constraints: The inequalities (BoTorch's format), or None.
        equality_constraints: The equalities (BoTorch's format), or None.
        region: The feasible region of the searched dimensions with the discrete and categorical ones relaxed to
            the union of their values' Voronoi cells (its free features are `space.searched`); if that region is
            flat or empty, the inequalities are loosened by what rounding can move them.
        tolerance: Largest violation a feasible point may show (the region's: half of BoTorch's tolerance).
    """

    def __init__(self, space: MixedSpace, inequality_constraints: list[LinearConstraint] | None,
                 equality_constraints: list[LinearConstraint] | None, region: FeasibleRegion) -> None:
        self.space, self.region, self.tolerance = space, region, region.tolerance
        self.inequality_constraints, self.equality_constraints = inequality_constraints, equality_constraints
        work = {"dtype": space.bounds.dtype, "device": space.bounds.device}
        self._inequality_rows, self._inequality_rhs, _ = dense_rows(inequality_constraints, space.dim, 1, work)
        self._equality_rows, self._equality_rhs, _ = dense_rows(equality_constraints, space.dim, 1, work)

    @classmethod
    def build(cls, space: MixedSpace, inequality_constraints: Sequence[LinearConstraint] | None,
              equality_constraints: Sequence[LinearConstraint] | None) -> MixedConstraints | None:
        """Check the constraints against the space; None when there are none.

        Raises:
            ValueError: For constraints not in BoTorch's format.
            UnsupportedAcqfArgumentError: For nonlinear or inter-point constraints, or an equality on a searched
                discrete or categorical dimension.
            InfeasibleConstraintsError: If no point of the relaxed space satisfies the constraints with the fixed
                features (or only a flat set does).
        """
        inequality_constraints = list(inequality_constraints or []) or None
        equality_constraints = list(equality_constraints or []) or None
        if not (inequality_constraints or equality_constraints):
            return None
        for name, constraints in (("inequality_constraints", inequality_constraints),
                                  ("equality_constraints", equality_constraints)):
            check_linear_constraints(constraints, name, space.dim)
        if is_inter_point(inequality_constraints, equality_constraints):
            raise UnsupportedAcqfArgumentError(
                "inter-point constraints (2-d `indices`) are not supported by optimize_acqf_mixed_gennes: its "
                "q-batches are built one point at a time, as in optimize_acqf_mixed_alternating")
        held = {*space.ordinal, *space.categorical}
        for position, (indices, _, _) in enumerate(equality_constraints or []):
            on_held = sorted(held & set(indices.tolist()))
            if on_held:
                raise UnsupportedAcqfArgumentError(
                    f"`equality_constraints[{position}]` involves discrete or categorical dimension(s) {on_held}; "
                    "equality constraints can only be used with continuous (or fixed) dimensions, as in "
                    "optimize_acqf_mixed_alternating")
        relaxed_bounds = space.bounds.clone()
        for dim, values in {**space.ordinal, **space.categorical}.items():
            relaxed_bounds[:, dim] = _voronoi_knots(values)[[0, -1]]
        try:
            region = FeasibleRegion.from_constraints(relaxed_bounds, 1, inequality_constraints, equality_constraints,
                                                     space.fixed)
        except InfeasibleConstraintsError:
            # Inequalities on discrete dimensions can leave a flat relaxation (x1 >= 2 and x1 <= 2 pin x1 = 2)
            # though feasible points exist: loosen them by what rounding may move them, and filter after decoding.
            loosened = _loosened(inequality_constraints, space)
            if loosened is None:
                raise
            region = FeasibleRegion.from_constraints(relaxed_bounds, 1, loosened, equality_constraints, space.fixed)
        return cls(space, inequality_constraints, equality_constraints, region)

    @property
    def on_continuous(self) -> bool:
        """Whether a constraint involves a searched continuous dimension (else the continuous steps are boxed)."""
        continuous = set(self.space.continuous)
        return any(continuous & set(indices.tolist()) for constraints in (self.inequality_constraints,
                                                                          self.equality_constraints)
                   for indices, _, _ in constraints or [])

    # -- feasibility -------------------------------------------------------------------------------------------
    def violation(self, X: Tensor) -> Tensor:
        """Largest violation of a constraint by each point of `X` (`... x d` -> `...`; 0 if feasible)."""
        parts = [(self._inequality_rhs - X @ self._inequality_rows.T).clamp_min(0.0),
                 (X @ self._equality_rows.T - self._equality_rhs).abs()]
        violation = torch.cat(parts, dim=-1)
        return violation.amax(-1) if violation.shape[-1] else violation.new_zeros(violation.shape[:-1])

    def is_feasible(self, X: Tensor) -> Tensor:
        """Whether each point of `X` (`... x d`) is valid and satisfies the constraints within `tolerance`."""
        return self.space.is_valid(X) & (self.violation(X) <= self.tolerance)

    # -- feasible points ---------------------------------------------------------------------------------------
    @property
    def cube_bounds(self) -> Tensor:
        """`2 x m` bounds of the cube `[-1, 1]^m` that :meth:`relaxed` maps onto the relaxed region."""
        return torch.stack([-torch.ones(self.region.dim), torch.ones(self.region.dim)]).to(self.space.bounds)

    def relaxed(self, cube_points: Tensor) -> Tensor:
        """:class:`MixedSpace` relaxed coordinates (`n x s`) of cube points (`n x m`) mapped onto the region.

        The gauge map gives feasible values of the searched dimensions; a categorical value is then written as its
        coordinate in `[0, m_dim]`, piecewise linearly, so that its nearest category's cell holds it.
        """
        if self.region.dim == 0:  # the equalities pin the searched dimensions
            values = self.region.offset.expand(len(cube_points), -1)
        else:
            values = self.region.from_cube(cube_points).squeeze(-2)
        columns = list(values.unbind(-1))
        for position, dim in enumerate(self.space.searched):
            if dim in self.space.categorical:
                columns[position] = _cell_coordinate(columns[position], self.space.categorical[dim])
        return torch.stack(columns, dim=-1)

    def sample(self, n: int, seed: int | None = None) -> Tensor:
        """Up to `n` feasible valid points (`k x d`, k >= 1): scrambled Sobol points of the cube mapped onto the
        relaxed region, decoded, and kept where feasible (up to `SAMPLE_ROUNDS` rounds of `2 n`, as BoTorch).

        Raises:
            InfeasibleConstraintsError: If no decoded point is feasible: no discrete assignment was found that
                leaves room for the constraints.
        """
        found, n_found, n_tried = [], 0, 0
        for round_ in range(SAMPLE_ROUNDS if self.region.dim else 1):
            if self.region.dim:
                cube = draw_sobol_samples(self.cube_bounds, n=2 * n, q=1,
                                          seed=None if seed is None else seed + round_).squeeze(-2)
            else:
                cube = self.cube_bounds.new_zeros(1, 0)
            points = self.space.decode(self.relaxed(cube))[0]
            found.append(points[self.is_feasible(points)])
            n_found, n_tried = n_found + len(found[-1]), n_tried + len(points)
            if n_found >= n:
                break
        if not n_found:
            raise InfeasibleConstraintsError(
                "infeasible linear constraints: no feasible discrete assignment found (each of "
                f"{n_tried} points of the relaxed region, rounded to the allowed values, violates them)")
        return torch.cat(found)[:n]

    def evaluate(self, acq_function: AcquisitionFunction, X: Tensor) -> Tensor:
        """Acquisition values of `n x d` points at the feasible ones (attached to `X`), NaN at the others."""
        feasible = self.is_feasible(X.detach())
        values = X.new_full((len(X),), float("nan"))
        if feasible.any():
            values = values.index_put((feasible.nonzero().squeeze(-1),),
                                      acq_function(X[feasible].unsqueeze(-2)).reshape(-1))
        return values

    def pull_back(self, start: Tensor, end: Tensor) -> Tensor:
        """`end` where it is feasible, else the feasible point nearest to it on the segment from `start`.

        Args:
            start: `b x d` feasible points, or `b x q x d` feasible batches (a batch moves as one).
            end: The points or batches to reach (same shape; same discrete and categorical values).

        Returns:
            Feasible points or batches (the bisection keeps `2^-PULL_BACK_STEPS` of each segment's length).
        """
        shape = (-1, *[1] * (start.dim() - 1))

        def feasible_at(t: Tensor) -> tuple[Tensor, Tensor]:
            X = self.space.project(start + t.reshape(shape) * (end - start))
            return X, self.is_feasible(X).reshape(len(X), -1).all(-1)

        low = torch.zeros(len(start), dtype=start.dtype, device=start.device)
        high = torch.ones_like(low)
        for _ in range(PULL_BACK_STEPS):
            middle = (low + high) / 2
            inside = feasible_at(middle)[1]
            low, high = torch.where(inside, middle, low), torch.where(inside, high, middle)
        end_feasible = self.is_feasible(end).reshape(len(end), -1).all(-1)
        return torch.where(end_feasible.reshape(shape), end, feasible_at(low)[0])

    # -- constraints for the continuous steps ------------------------------------------------------------------
    def with_held(self, X: Tensor) -> dict[str, list[LinearConstraint] | None]:
        """The constraints on the continuous dimensions of points `X` (`d`, or `q x d` as inter-point rows
        `(point, feature)`), their discrete, categorical and fixed values substituted; rows left without a searched
        continuous dimension are dropped (the points already satisfy them).

        Returns:
            `{"inequality_constraints": ..., "equality_constraints": ...}` for `gen_candidates_scipy`.
        """
        points = X.reshape(-1, X.shape[-1])
        continuous = torch.tensor(self.space.continuous, dtype=torch.long, device=X.device)
        result = {}
        for name, constraints in (("inequality_constraints", self.inequality_constraints),
                                  ("equality_constraints", self.equality_constraints)):
            substituted = []
            for indices, coefficients, rhs in constraints or []:
                indices = indices.to(device=X.device, dtype=torch.long)
                coefficients = coefficients.to(X)
                searched = torch.isin(indices, continuous)
                if not searched.any():
                    continue
                for point_index, point in enumerate(points):
                    value = float(rhs) - float(coefficients[~searched] @ point[indices[~searched]])
                    kept = indices[searched]
                    if X.dim() > 1:
                        kept = torch.stack([torch.full_like(kept, point_index), kept], dim=-1)
                    substituted.append((kept, coefficients[searched], value))
            result[name] = substituted or None
        return result


def _voronoi_knots(allowed: Tensor) -> Tensor:
    """The ends of the allowed values' Voronoi cells (`m + 1` knots), the outer cells as wide as their neighbours'
    half-gaps on both sides (`MixedSpace.relaxed_bounds`'s interval for a discrete dimension)."""
    return torch.cat([1.5 * allowed[:1] - 0.5 * allowed[1:2], (allowed[1:] + allowed[:-1]) / 2,
                      1.5 * allowed[-1:] - 0.5 * allowed[-2:-1]])


def _loosened(constraints: list[LinearConstraint] | None, space: MixedSpace) -> list[LinearConstraint] | None:
    """The inequalities loosened by the most that rounding a relaxed point may change their left-hand side (half of
    each searched discrete or categorical dimension's largest gap); None if none involves such a dimension."""
    gaps = {dim: float((values[1:] - values[:-1]).max()) / 2
            for dim, values in {**space.ordinal, **space.categorical}.items()}
    loosened, changed = [], False
    for indices, coefficients, rhs in constraints or []:
        slack = sum(abs(float(c)) * gaps.get(int(i), 0.0) for i, c in zip(indices, coefficients, strict=True))
        loosened.append((indices, coefficients, float(rhs) - slack))
        changed |= slack > 0
    return loosened if changed else None


def _cell_coordinate(value: Tensor, allowed: Tensor) -> Tensor:
    """Coordinate in `[0, m]` of values in the Voronoi cells of `allowed` (:func:`_voronoi_knots`): the cell of
    `allowed[j]` maps linearly onto `[j, j + 1]` (differentiable)."""
    knots = _voronoi_knots(allowed)
    cell = torch.bucketize(value.detach().contiguous(), knots[1:-1]).clamp(0, len(allowed) - 1)
    low, high = knots[cell], knots[cell + 1]
    return cell + ((value - low) / (high - low)).clamp(0.0, 1.0)
