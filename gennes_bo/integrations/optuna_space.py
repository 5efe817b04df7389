"""The Optuna search space as GennesSampler sees it: parameters encoded in the unit cube, and the discrete moves
that follow the continuous search (to a better neighbor, or off a configuration already evaluated)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gennes_bo.extras import require

require("optuna", "optuna", "The Optuna sampler (gennes_bo.integrations.optuna)")

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction
from optuna._transform import _SearchSpaceTransform
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from torch import Tensor

MAX_DISCRETE_MOVES = 10  # moves of the discrete local search after rounding
MAX_AVOID_RINGS = 3  # how many discrete moves away the search for an unevaluated parameter set looks


def in_search_space(params: dict[str, Any], search_space: dict[str, BaseDistribution]) -> bool:
    """Whether `params` holds a valid value of every parameter of `search_space` (a running trial may lack some)."""
    for name, distribution in search_space.items():
        if name not in params:
            return False
        if isinstance(distribution, CategoricalDistribution):
            if params[name] not in distribution.choices:
                return False
        elif not distribution.low <= params[name] <= distribution.high:
            return False
    return True


def encode(transform: _SearchSpaceTransform, params: list[dict[str, Any]]) -> Tensor:
    """`n x d` unit-cube encodings of `n` parameter sets."""
    return torch.as_tensor(np.stack([transform.transform(p) for p in params]), dtype=torch.float64)


def discrete_local_search(acqf: AcquisitionFunction, params: dict[str, Any],
                           search_space: dict[str, BaseDistribution],
                           transform: _SearchSpaceTransform) -> dict[str, Any]:
    """Move `params` to its best discrete neighbor while that raises the acquisition value (at most
    `MAX_DISCRETE_MOVES` moves); continuous parameters stay where GENNES put them."""
    for _ in range(MAX_DISCRETE_MOVES):
        candidates = [params, *discrete_neighbors(params, search_space)]
        if len(candidates) == 1:
            break
        with torch.no_grad():
            values = acqf(encode(transform, candidates).unsqueeze(-2))
        best = int(values.argmax())
        if best == 0:
            break
        params = candidates[best]
    return transform.untransform(transform.transform(params))  # exact steps after the +- step arithmetic


def param_key(params: dict[str, Any], search_space: dict[str, BaseDistribution]) -> tuple:
    """The values of `params` in `search_space`'s order: equal keys, the same configuration."""
    return tuple(params[name] for name in search_space)


def best_unseen_neighbor(acqf: AcquisitionFunction, params: dict[str, Any],
                          search_space: dict[str, BaseDistribution], transform: _SearchSpaceTransform,
                          avoid: set[tuple]) -> dict[str, Any]:
    """The parameter set of highest acquisition value whose key is not in `avoid`, among the discrete neighbors of
    `params`, then their neighbors, up to `MAX_AVOID_RINGS` moves away; `params` itself when every one is taken
    (or there are no discrete parameters)."""
    frontier, visited = [params], {param_key(params, search_space)}
    for _ in range(MAX_AVOID_RINGS):
        ring = []
        for point in frontier:
            for neighbor in discrete_neighbors(point, search_space):
                neighbor = transform.untransform(transform.transform(neighbor))  # exact steps
                key = param_key(neighbor, search_space)
                if key not in visited:
                    visited.add(key)
                    ring.append(neighbor)
        unseen = [point for point in ring if param_key(point, search_space) not in avoid]
        if unseen:
            with torch.no_grad():
                values = acqf(encode(transform, unseen).unsqueeze(-2))
            return unseen[int(values.argmax())]
        if not ring:
            break
        frontier = ring
    return params


def discrete_neighbors(params: dict[str, Any], search_space: dict[str, BaseDistribution]) -> Iterator[dict]:
    """`params` with one categorical changed to another choice, or one int / stepped float moved by one step."""
    for name, distribution in search_space.items():
        if isinstance(distribution, CategoricalDistribution):
            current = distribution.to_internal_repr(params[name])
            values = [distribution.to_external_repr(i) for i in range(len(distribution.choices)) if i != current]
        elif isinstance(distribution, IntDistribution) or (
                isinstance(distribution, FloatDistribution) and distribution.step is not None):
            step = distribution.step
            values = [v for v in (params[name] - step, params[name] + step)
                      if distribution.low <= v <= distribution.high]
        else:
            continue
        for value in values:
            yield {**params, name: value}
