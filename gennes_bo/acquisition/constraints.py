"""Linear constraints in BoTorch's format, and the polytope that GENNES searches under them.

BoTorch writes a linear constraint as `(indices, coefficients, rhs)`: `sum_i coefficients[i] * x[indices[i]] >= rhs`
in `inequality_constraints`, `== rhs` in `equality_constraints`. One-dimensional `indices` name features of every
point of a q-batch (intra-point constraints); a `k x 2` `indices` names feature `j` of point `i` in each row
`(i, j)` (inter-point constraints). :func:`check_linear_constraints` validates that format.

:class:`FeasibleRegion` is the polytope that the constraints and the box leave to the free features once the fixed
features are inserted. It is written as `x = offset + basis @ z`, so that every `z` satisfies the equalities, with
`G z >= h` for the box and the inequalities, and it offers two maps onto it: :meth:`FeasibleRegion.from_cube`, a
gauge map of the cube `[-1, 1]^m` onto the polytope, through which the generators sample, and
:meth:`FeasibleRegion.restore`, which leaves feasible points alone and moves the others into the polytope (onto the
equalities, then toward an interior point). Why this design: docs/design.md#linear-constraints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real

import torch
from botorch.exceptions.errors import InfeasibilityError
from botorch.optim.parameter_constraints import get_constraint_tolerance
from botorch.utils.sampling import find_interior_point
from torch import Tensor

from gennes_bo.acquisition.options import UnsupportedAcqfArgumentError

LinearConstraint = tuple[Tensor, Tensor, float]
# An inscribed ball smaller than this share of the box is below the LP solver's tolerance (HiGHS: 1e-7): flat.
FLAT_RADIUS = 1e-6
ROUNDING = 1e-9  # a constraint row this small relative to the largest, once the equalities are eliminated, is constant


class InfeasibleConstraintsError(ValueError):
    """Linear constraints that no point of the box satisfies (given the fixed features), or only a flat set does."""


def check_linear_constraints(
    constraints: Sequence[LinearConstraint] | None, name: str, d: int, q: int | None = None
) -> None:
    """Raise `ValueError` unless `constraints` follow BoTorch's `(indices, coefficients, rhs)` format.

    Args:
        constraints: The constraints (None or empty: nothing to check).
        name: The argument's name, for the messages (e.g. `"inequality_constraints"`).
        d: Number of features.
        q: Points per q-batch, for the point index of inter-point constraints (None: not checked).
    """
    for position, constraint in enumerate(constraints or []):
        label = f"`{name}[{position}]`"
        if isinstance(constraint, (tuple, list)) and len(constraint) == 2 and callable(constraint[0]):
            raise UnsupportedAcqfArgumentError(
                f"{label} is a nonlinear constraint (callable, intra_point); only linear constraints "
                "(indices, coefficients, rhs) are supported")
        if not (isinstance(constraint, (tuple, list)) and len(constraint) == 3):
            raise ValueError(f"{label} must be a tuple (indices, coefficients, rhs), got {type(constraint).__name__}")
        indices, coefficients, rhs = constraint
        if not torch.is_tensor(indices) or indices.dtype.is_floating_point or indices.dtype.is_complex \
                or indices.dtype == torch.bool:
            raise ValueError(f"{label}: `indices` must be an integer tensor, got {_describe(indices)}")
        if indices.dim() not in (1, 2) or indices.shape[0] == 0 or (indices.dim() == 2 and indices.shape[1] != 2):
            raise ValueError(f"{label}: `indices` must have shape (k,) (features of each point) or (k, 2) (rows "
                             f"(point, feature) of a q-batch), k >= 1, got shape {tuple(indices.shape)}")
        k = indices.shape[0]
        if not torch.is_tensor(coefficients) or not coefficients.dtype.is_floating_point \
                or coefficients.shape != (k,):
            raise ValueError(f"{label}: `coefficients` must be a floating-point tensor of shape ({k},), one per "
                             f"index, got {_describe(coefficients)}")
        if not torch.isfinite(coefficients).all():
            raise ValueError(f"{label}: `coefficients` must be finite, got {coefficients.tolist()}")
        if not _is_finite_number(rhs):
            raise ValueError(f"{label}: `rhs` must be a finite number, got {rhs!r}")
        features = indices if indices.dim() == 1 else indices[:, 1]
        if features.min() < 0 or features.max() >= d:
            raise ValueError(f"{label}: feature indices must be in [0, {d - 1}] (d = {d}), got {features.tolist()}")
        if indices.dim() == 2 and q is not None and (indices[:, 0].min() < 0 or indices[:, 0].max() >= q):
            raise ValueError(f"{label}: point indices (first column) must be in [0, {q - 1}] for q = {q}, got "
                             f"{indices[:, 0].tolist()}")
        if torch.unique(indices, dim=0).shape[0] != k:
            raise ValueError(f"{label}: `indices` names a feature twice, got {indices.tolist()}; add the "
                             "coefficients into one entry")


def is_inter_point(*constraint_lists: Sequence[LinearConstraint] | None) -> bool:
    """Whether any constraint links points of a q-batch (2-d `indices`)."""
    return any(indices.dim() == 2 for constraints in constraint_lists for indices, _, _ in constraints or [])


class FeasibleRegion:
    """The polytope of feasible free features of a `q x d` batch: box, linear constraints and fixed features.

    With intra-point constraints only, each point has its own copy of one `n`-dimensional polytope (`n` free
    features) and the search shape is `q x m`; with inter-point constraints the region spans the flattened
    `q * n` features of the whole batch and the search shape is `m`. Build it with :meth:`from_constraints`.

    Attributes:
        q: Points per batch.
        n_free: Free features per point.
        n_points: Points one polytope spans: 1 (intra-point constraints) or `q` (inter-point constraints).
        dim: Dimension `m` of the polytope (free features of `n_points` points minus independent equalities).
        search_shape: Shape of one cube point given to :meth:`from_cube`: `(q, m)` or `(m,)`.
        tolerance: Largest violation a feasible point may show (half of BoTorch's constraint tolerance).
    """

    def __init__(self, q: int, n_free: int, n_points: int, rows: tuple[Tensor, Tensor, Tensor, Tensor],
                 box: Tensor, offset: Tensor, basis: Tensor, center: Tensor, gauge_rows: Tensor) -> None:
        self.q, self.n_free, self.n_points = q, n_free, n_points
        self.inequality_rows, self.inequality_rhs, self.equality_rows, self.equality_rhs = rows
        self.box, self.offset, self.basis, self.center = box, offset, basis, center
        self.gauge_rows = gauge_rows
        self.dim = basis.shape[1]
        self.search_shape = (q, self.dim) if n_points == 1 else (self.dim,)
        self.tolerance = 0.5 * get_constraint_tolerance(box.dtype)

    @classmethod
    def from_constraints(
        cls,
        bounds: Tensor,
        q: int,
        inequality_constraints: Sequence[LinearConstraint] | None = None,
        equality_constraints: Sequence[LinearConstraint] | None = None,
        fixed_features: Mapping[int, float | Tensor] | None = None,
    ) -> FeasibleRegion:
        """The region left by `bounds`, the constraints (validated beforehand) and `fixed_features`.

        Args:
            bounds: `2 x d` bounds, finite on the free features; the region follows their dtype and device.
            q: Points per batch.
            inequality_constraints: BoTorch's `(indices, coefficients, rhs)`, meaning `>= rhs`.
            equality_constraints: BoTorch's `(indices, coefficients, rhs)`, meaning `== rhs`.
            fixed_features: `{feature: value}`; a per-restart tensor value is allowed on unconstrained features.

        Raises:
            InfeasibleConstraintsError: If no point satisfies the constraints, or only a flat set does.
            UnsupportedAcqfArgumentError: For per-restart fixed values of a constrained feature.
        """
        d = bounds.shape[1]
        fixed = dict(fixed_features or {})
        free = [i for i in range(d) if i not in fixed]
        n_points = q if is_inter_point(inequality_constraints, equality_constraints) else 1
        work = {"dtype": torch.float64, "device": bounds.device}
        columns = torch.tensor([p * d + i for p in range(n_points) for i in free], dtype=torch.long,
                               device=bounds.device)
        fixed_values = _fixed_values(fixed, d, n_points, inequality_constraints, equality_constraints, work)
        reduced = []
        for name, constraints, equality in (("inequality_constraints", inequality_constraints, False),
                                            ("equality_constraints", equality_constraints, True)):
            rows, rhs, sources = dense_rows(constraints, d, n_points, work)
            rhs = rhs - rows @ fixed_values
            rows = rows[:, columns]
            # A row whose features are all fixed reads 0 >= rhs (or 0 == rhs).
            constant = _max_last(rows.abs()) == 0
            violated = constant & ((rhs.abs() if equality else rhs) > get_constraint_tolerance(torch.float64))
            if violated.any():
                raise InfeasibleConstraintsError(
                    f"`{name}[{sources[int(violated.nonzero()[0])]}]` cannot hold: `fixed_features` "
                    f"({_fixed_text(fixed)}) fix all its features and violate it")
            reduced.append((rows[~constant], rhs[~constant]))
        (inequality_rows, inequality_rhs), (equality_rows, equality_rhs) = reduced
        box = bounds[:, free].to(**work).repeat(1, n_points)
        offset, basis = _affine_hull(equality_rows, equality_rhs, box.shape[1], fixed, work)
        # The box and the inequalities in hull coordinates z: G z >= h.
        G = torch.cat([inequality_rows @ basis, basis, -basis])
        h = torch.cat([inequality_rhs - inequality_rows @ offset, box[0] - offset, offset - box[1]])
        center, gauge_rows = _interior(G, h, box, fixed, work)
        region = cls(q, len(free), n_points,
                     tuple(t.to(bounds.dtype) for t in (inequality_rows, inequality_rhs, equality_rows, equality_rhs)),
                     box.to(bounds.dtype), offset.to(bounds.dtype), basis.to(bounds.dtype), center.to(bounds.dtype),
                     gauge_rows.to(bounds.dtype))
        if region.dim == 0 and not bool(region.violation(offset.to(bounds.dtype)) <= region.tolerance):
            raise InfeasibleConstraintsError(_infeasible_message(fixed, "the equalities leave a single point "
                                                                 "outside the box or the inequalities"))
        return region

    # -- maps --------------------------------------------------------------------------------------------------
    def from_cube(self, cube_points: Tensor) -> Tensor:
        """Map points of the cube `[-1, 1]^m` onto the polytope (differentiable; a bijection for m >= 1).

        The gauge map `z = c + u * ||u||_inf / gauge(u)`, with `c` an interior point and `gauge(u) = max_i
        (-G_i u) / (G_i c - h_i)`, sends the cube's center to `c` and each ray from it linearly onto the
        polytope's ray, so the cube's surface lands on the polytope's boundary.

        Args:
            cube_points: `batch x search_shape` points in `[-1, 1]` (with intra-point constraints, any number of
                points per batch: `batch x k x m`).

        Returns:
            `batch x q x n_free` (`batch x k x n_free`) feasible free features.
        """
        batch = cube_points.shape[0]
        u = cube_points.reshape(batch, -1, self.dim)
        norm = _max_last(u.abs()).unsqueeze(-1)
        gauge = _max_last((u @ self.gauge_rows.T).clamp_min(0.0)).unsqueeze(-1)
        z = self.center + u * (norm / gauge.clamp_min(torch.finfo(u.dtype).tiny))
        return (self.offset + z @ self.basis.T).reshape(batch, -1, self.n_free)

    def restore(self, x: Tensor) -> Tensor:
        """Feasible points: `x` itself where it is feasible (within `tolerance`), else a feasible point near it.

        An infeasible point is projected orthogonally onto the equalities' affine hull, then, if it still leaves
        the polytope, moved toward the interior point `c` onto the boundary.

        Args:
            x: `batch x q x n_free` free features.

        Returns:
            `batch x q x n_free` feasible free features.
        """
        flat = x.reshape(*x.shape[:-2], -1, self.n_points * self.n_free)
        z = (flat - self.offset) @ self.basis - self.center
        gauge = _max_last((z @ self.gauge_rows.T).clamp_min(0.0)).unsqueeze(-1)
        inside = self.offset + (self.center + z / gauge.clamp_min(1.0)) @ self.basis.T
        feasible = (self.violation(flat) <= self.tolerance).unsqueeze(-1)
        return torch.where(feasible, flat, inside).reshape(x.shape)

    def violation(self, flat: Tensor) -> Tensor:
        """Largest violation of a bound or constraint by each `... x (n_points * n_free)` point (0 if feasible)."""
        parts = [(self.box[0] - flat).clamp_min(0.0), (flat - self.box[1]).clamp_min(0.0),
                 (self.inequality_rhs - flat @ self.inequality_rows.T).clamp_min(0.0),
                 (flat @ self.equality_rows.T - self.equality_rhs).abs()]
        return _max_last(torch.cat(parts, dim=-1))

    def is_feasible(self, x: Tensor) -> Tensor:
        """Whether each `batch x q x n_free` batch is feasible within `tolerance` (a `batch` boolean tensor)."""
        flat = x.reshape(x.shape[0], -1, self.n_points * self.n_free)
        return (self.violation(flat) <= self.tolerance).all(-1)


def dense_rows(constraints: Sequence[LinearConstraint] | None, d: int, n_points: int,
               work: dict) -> tuple[Tensor, Tensor, list[int]]:
    """Rows over the flattened `n_points x d` features (one per point for an intra-point constraint), their right
    hand sides, and the position of the constraint that each row comes from."""
    rows, rhs, sources = [], [], []
    for position, (indices, coefficients, value) in enumerate(constraints or []):
        indices = indices.to(device=work["device"], dtype=torch.long)
        if indices.dim() == 2:
            flat_indices = [indices[:, 0] * d + indices[:, 1]]
        else:
            flat_indices = [point * d + indices for point in range(n_points)]
        for flat in flat_indices:
            row = torch.zeros(n_points * d, **work)
            row[flat] = coefficients.to(**work)
            rows.append(row)
            rhs.append(float(value))
            sources.append(position)
    if not rows:
        return torch.zeros(0, n_points * d, **work), torch.zeros(0, **work), []
    return torch.stack(rows), torch.tensor(rhs, **work), sources


def _fixed_values(fixed: dict, d: int, n_points: int, inequality: Sequence[LinearConstraint] | None,
                  equality: Sequence[LinearConstraint] | None, work: dict) -> Tensor:
    """The fixed values on the flattened `n_points x d` features (0 elsewhere); a per-restart tensor value is
    allowed only on a feature that no constraint involves (it does not change the region)."""
    constrained = {int(feature) for constraints in (inequality, equality) for indices, _, _ in constraints or []
                   for feature in (indices if indices.dim() == 1 else indices[:, 1])}
    values = torch.zeros(d, **work)
    for index, value in fixed.items():
        if torch.is_tensor(value) and value.numel() > 1:
            if bool((value != value.reshape(-1)[0]).any()):
                if index in constrained:
                    raise UnsupportedAcqfArgumentError(
                        f"`fixed_features[{index}]` has one value per restart and a linear constraint involves "
                        f"feature {index}; give one value, or use botorch's gen_candidates_scipy")
                continue
            value = value.reshape(-1)[0]
        values[index] = float(value)
    return values.repeat(n_points)


def _affine_hull(rows: Tensor, rhs: Tensor, n: int, fixed: dict, work: dict) -> tuple[Tensor, Tensor]:
    """A point `offset` with `rows @ offset == rhs` and an orthonormal `n x m` basis of the null space of `rows`."""
    if rows.shape[0] == 0:
        return torch.zeros(n, **work), torch.eye(n, **work)
    U, S, Vh = torch.linalg.svd(rows, full_matrices=True)
    rank = int((S > S.max() * max(rows.shape) * torch.finfo(S.dtype).eps).sum())
    offset = Vh[:rank].T @ ((U[:, :rank].T @ rhs) / S[:rank])
    residual = float((rows @ offset - rhs).abs().max())
    if residual > get_constraint_tolerance(torch.float64) * (1.0 + float(rhs.abs().max())):
        raise InfeasibleConstraintsError(_infeasible_message(fixed, "`equality_constraints` contradict each other"))
    return offset, Vh[rank:].T


def _interior(G: Tensor, h: Tensor, box: Tensor, fixed: dict, work: dict) -> tuple[Tensor, Tensor]:
    """An interior point `c` of `{z : G z >= h}` (its Chebyshev center) and the gauge rows `-G_i / (G_i c - h_i)`."""
    m = G.shape[1]
    if m == 0:
        return torch.zeros(0, **work), torch.zeros(0, 0, **work)
    norms = G.norm(dim=-1)
    # Rows that the equalities make constant (a box row of a pinned feature, an inequality the equalities imply)
    # vanish up to rounding: they read 0 >= h.
    keep = norms > ROUNDING * float(norms.max())
    if bool((h[~keep] > get_constraint_tolerance(torch.float64)).any()):
        raise InfeasibleConstraintsError(_infeasible_message(fixed, "the equalities pin a feature outside the box"))
    G, h, norms = G[keep], h[keep], norms[keep]
    try:
        center = find_interior_point(A=(-G / norms.unsqueeze(-1)).cpu().numpy(), b=(-h / norms).cpu().numpy())
    except InfeasibilityError as error:
        raise InfeasibleConstraintsError(_infeasible_message(fixed, "no point of the box satisfies the linear "
                                                             "constraints")) from error
    center = torch.as_tensor(center, **work)
    if float(((G @ center - h) / norms).min()) <= FLAT_RADIUS * float((box[1] - box[0]).max()):
        raise InfeasibleConstraintsError(_infeasible_message(
            fixed, "the feasible set is flat or empty (inequalities that force an equality, e.g. x0 + x1 >= 1 and "
                   "-x0 - x1 >= -1, must be written as `equality_constraints`)"))
    center = _analytic_center(G, h, center)
    return center, -G / (G @ center - h).unsqueeze(-1)


def _analytic_center(G: Tensor, h: Tensor, start: Tensor, n_steps: int = 50) -> Tensor:
    """The maximizer of `sum_i log(G_i z - h_i)` by damped Newton steps from the interior point `start`.

    Unlike the Chebyshev center it is unique and centered along every direction (the center of a box).
    """
    z = start
    for _ in range(n_steps):
        slack = G @ z - h
        gradient = G.T @ (1.0 / slack)
        hessian = (G / slack.unsqueeze(-1) ** 2).T @ G
        step = torch.linalg.solve(hessian, gradient)
        decrement = float(gradient @ step)
        # Newton's damped step 1 / (1 + decrement^0.5) keeps the iterate interior (self-concordance).
        z = z + step / (1.0 + max(decrement, 0.0) ** 0.5)
        if decrement < 1e-12:
            break
    return z


def _max_last(values: Tensor) -> Tensor:
    """Maximum over the last dimension, 0 where it is empty."""
    if values.shape[-1] == 0:
        return values.new_zeros(values.shape[:-1])
    return values.amax(-1)


def _infeasible_message(fixed: dict, reason: str) -> str:
    if fixed:
        return f"infeasible linear constraints: {reason} with `fixed_features` ({_fixed_text(fixed)})"
    return f"infeasible linear constraints: {reason}"


def _fixed_text(fixed: dict) -> str:
    return ", ".join(f"{k}: {float(v) if not torch.is_tensor(v) or v.numel() == 1 else 'per restart'}"
                     for k, v in sorted(fixed.items()))


def _is_finite_number(value: object) -> bool:
    if torch.is_tensor(value):
        return value.numel() == 1 and not value.dtype.is_complex and bool(torch.isfinite(value).all())
    return isinstance(value, Real) and not isinstance(value, bool) and abs(float(value)) < float("inf")


def _describe(value: object) -> str:
    if torch.is_tensor(value):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__
