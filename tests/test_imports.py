"""What importing the library costs: the public API loads lazily, and no benchmark-only dependency is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gennes_bo

HEAVY = ("matplotlib", "sklearn", "dask", "distributed")  # the `benchmarks` extra: reports, digits data, Dask
LIBRARY = ("gennes_bo", "gennes_bo.gennes", "gennes_bo.acquisition", "gennes_bo.optimizers",
           "gennes_bo.test_functions")


def _imported_after(code: str) -> set[str]:
    """Modules and top-level packages in `sys.modules` after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(sorted(set(sys.modules) | {{name.split('.')[0] for name in sys.modules}}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(eval(result.stdout.splitlines()[-1]))  # noqa: S307 - our own printed list


def test_import_gennes_bo_imports_no_torch():
    assert "torch" not in _imported_after("import gennes_bo; assert gennes_bo.__version__")


@pytest.mark.parametrize("module", LIBRARY)
def test_library_imports_no_benchmark_dependency(module):
    code = f"import {module}\nfrom gennes_bo import optimize_acqf_gennes, minimize, GennesConfig"
    imported = _imported_after(code)
    assert "torch" in imported  # the public names did load
    assert not imported & set(HEAVY)


def test_public_names_resolve_lazily():
    assert set(gennes_bo.__all__) <= set(dir(gennes_bo))
    for name in gennes_bo.__all__:
        assert getattr(gennes_bo, name) is not None
    from gennes_bo.acquisition import optimize_acqf_gennes

    assert gennes_bo.optimize_acqf_gennes is optimize_acqf_gennes
    assert "gennes_bo.optimizers" in _imported_after("import gennes_bo; gennes_bo.optimizers.minimize")  # subpackage
    with pytest.raises(AttributeError, match="has no attribute 'not_a_name'"):
        gennes_bo.not_a_name  # noqa: B018
