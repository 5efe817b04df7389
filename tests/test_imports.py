"""What importing the library costs: the public API loads lazily, and no benchmark-only dependency is imported."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import gennes_bo
from gennes_bo.benchmarks.runner import make_executor
from gennes_bo.extras import MissingExtraError, require
from gennes_bo.plotting import panel_grid
from gennes_bo.test_functions import DigitsLogisticRegression

HEAVY = ("matplotlib", "sklearn", "dask", "distributed")  # the `benchmarks` extra: reports, digits data, Dask
INTEGRATIONS = ("optuna", "ax")  # imported by gennes_bo.integrations.<name> only
LIBRARY = ("gennes_bo", "gennes_bo.gennes", "gennes_bo.acquisition", "gennes_bo.optimizers",
           "gennes_bo.test_functions", "gennes_bo.integrations")


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
    assert not imported & set(HEAVY + INTEGRATIONS)


def test_public_names_resolve_lazily():
    assert gennes_bo.__all__ == sorted(gennes_bo._EXPORTS)  # the public API is stated once
    assert set(gennes_bo.__all__) <= set(dir(gennes_bo))
    for name in gennes_bo.__all__:
        assert getattr(gennes_bo, name) is not None
    from gennes_bo.acquisition import optimize_acqf_gennes

    assert gennes_bo.optimize_acqf_gennes is optimize_acqf_gennes
    assert "gennes_bo.optimizers" in _imported_after("import gennes_bo; gennes_bo.optimizers.minimize")  # subpackage
    with pytest.raises(AttributeError, match="has no attribute 'not_a_name'"):
        gennes_bo.not_a_name  # noqa: B018


def test_a_missing_extra_names_the_extra_to_install():
    with pytest.raises(MissingExtraError, match=r'Testing requires `no_such_module`.*pip install "gennes-bo\[bench'):
        require("no_such_module.sub", "benchmarks", "Testing")


@pytest.mark.parametrize(("module", "use"), [
    ("matplotlib", lambda tmp_path: panel_grid(1, tmp_path / "f.png", max_cols=1, panel_size=(1, 1)).__enter__()),
    ("sklearn", lambda tmp_path: DigitsLogisticRegression()),
    ("distributed", lambda tmp_path: make_executor(scheduler="tcp://127.0.0.1:1").__enter__()),
])
def test_benchmark_dependencies_fail_with_the_extra_named(monkeypatch, tmp_path, module, use):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    with pytest.raises(MissingExtraError, match=rf"requires `{module}`.*gennes-bo\[benchmarks\]"):
        use(tmp_path)


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_an_integration_fails_with_its_extra_named(monkeypatch, name):
    monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    monkeypatch.delitem(sys.modules, f"gennes_bo.integrations.{name}", raising=False)
    with pytest.raises(MissingExtraError, match=rf"requires `{name}`.*gennes-bo\[{name}\]"):
        importlib.import_module(f"gennes_bo.integrations.{name}")


def test_instrumentation_moved_out_of_the_top_level_still_reads_with_a_warning():
    from gennes_bo.acquisition import count_acqf_evals

    assert "count_acqf_evals" not in gennes_bo.__all__
    with pytest.warns(DeprecationWarning, match="now `gennes_bo.acquisition.count_acqf_evals`"):
        assert gennes_bo.count_acqf_evals is count_acqf_evals
