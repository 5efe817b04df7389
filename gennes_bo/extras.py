"""Optional dependencies, imported where they are used, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the pip extra that provides it."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import `module`, or raise naming the extra that installs it.

    Args:
        module: The module to import, e.g. `"matplotlib.pyplot"`.
        extra: The gennes-bo extra that provides it, e.g. `"benchmarks"`.
        purpose: What needs it, as the subject of "... requires", e.g. `"Plotting a report's figures"`.

    Raises:
        MissingExtraError: When `module` cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(
            f"{purpose} requires `{module.split('.')[0]}`, which is not installed: python -m pip install "
            f"\"gennes-bo[{extra}]\" (or -e \".[{extra}]\" from a clone)"
        ) from err
