"""Checks of the arguments that every acquisition optimizer of the BoTorch boundary shares, with clear errors."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from gennes_bo.acquisition.options import UnsupportedAcqfArgumentError


def check_count(value: Any, name: str) -> int:
    """`value` as an int if it is a positive integer (a Python or NumPy int, not a bool); `TypeError` or
    `ValueError` naming `name` otherwise."""
    if isinstance(value, bool) or torch.is_tensor(value) and value.dim() > 0:
        raise TypeError(f"`{name}` must be a positive integer, got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be a positive integer, got {value!r} ({type(value).__name__})") from None
    if count < 1:
        raise ValueError(f"`{name}` must be >= 1, got {count}")
    return count


def model_dtype(acq_function: nn.Module | None) -> torch.dtype | None:
    """The floating dtype of the acquisition's model (its first floating parameter or buffer), or None."""
    if acq_function is None:
        return None
    for tensor in (*acq_function.parameters(), *acq_function.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return None


def check_bounds(bounds: Tensor, acq_function: nn.Module | None,
                 fixed_features: Mapping[int, Any] | None = None) -> None:
    """Raise a clear error for bounds that BoTorch would reject later with a raw one, or not at all.

    Checks that `bounds` is a `2 x d` floating tensor, finite on the features that are not fixed, of the dtype of
    the acquisition's model (mixing them fails inside the GP, or silently returns candidates of another
    dtype), and that `fixed_features` names features of `0 .. d - 1`.

    Raises:
        ValueError: For a wrong shape, a dtype that differs from the model's, or fixed features out of range.
        UnsupportedAcqfArgumentError: For infinite bounds on a feature that is searched.
    """
    if not torch.is_tensor(bounds) or not (bounds.dim() == 2 and bounds.shape[0] == 2):
        shape = tuple(bounds.shape) if torch.is_tensor(bounds) else type(bounds).__name__
        raise ValueError(f"`bounds` must be a 2 x d tensor, got shape {shape}")
    if not bounds.is_floating_point():
        raise ValueError(f"`bounds` must be a floating tensor (the model's dtype), got {bounds.dtype}")
    d = bounds.shape[1]
    fixed = set(fixed_features or {})
    outside = sorted(index for index in fixed if not (isinstance(index, int) and 0 <= index < d))
    if outside:
        raise ValueError(f"`fixed_features` must name features 0 .. {d - 1} of the {d}-d bounds, got {outside}")
    free = [i for i in range(d) if i not in fixed]
    if not bounds[:, free].isfinite().all():
        raise UnsupportedAcqfArgumentError("`bounds` must be finite: GENNES samples inside a finite box")
    dtype = model_dtype(acq_function)
    if dtype is not None and dtype != bounds.dtype:
        raise ValueError(f"`bounds` are {bounds.dtype} but the acquisition's model is {dtype}: give bounds of the "
                         f"model's dtype (bounds.to({dtype})) or convert the model")
