"""What importing the library costs: the public API loads lazily, and no benchmark-only dependency is imported;
and how the code is layered: no import circles, and the library never imports the repository's experiments."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import gennes_bo
from gennes_bo.compare.plotting import panel_grid
from gennes_bo.compare.runner import make_executor
from gennes_bo.extras import MissingExtraError, require
from gennes_bo.test_functions import DigitsLogisticRegression

HEAVY = ("matplotlib", "sklearn", "dask", "distributed")  # the `benchmarks` extra: reports, digits data, Dask
INTEGRATIONS = ("optuna", "ax")  # imported by gennes_bo.integrations.<name> only
LIBRARY = ("gennes_bo", "gennes_bo.gennes", "gennes_bo.acquisition", "gennes_bo.optimizers",
           "gennes_bo.test_functions", "gennes_bo.integrations", "gennes_bo.compare", "gennes_bo.models")
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gennes_bo", "benchmarks")  # the library and the repository's experiments


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
    assert not imported & set(HEAVY + INTEGRATIONS + ("benchmarks",))


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


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Each module of `packages` (under `root`) and the modules of `packages` it imports, at any depth of its code
    (imports inside functions included, `if TYPE_CHECKING:` blocks excluded)."""
    paths = {".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
             for package in packages for path in sorted((root / package).rglob("*.py"))}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                imported.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                                for alias in node.names)
        graph[name] = {module for module in imported if module in paths and module != name}
    return graph


def _runtime_nodes(tree: ast.AST):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield child
                yield from _runtime_nodes(child)
            continue
        yield node
        yield from _runtime_nodes(node)


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm): every import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    assert {"gennes_bo.cli", "gennes_bo.compare.registry", "benchmarks.bo_batch", "benchmarks.hpo"} <= set(graph)
    assert import_cycles(graph) == []


def test_the_cycle_check_finds_a_circle(tmp_path):
    for name, code in {"a": "from pkg import b\n", "b": "def f():\n    from pkg.c import x\n", "c": "import pkg.a\n",
                       "d": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"}.items():
        (tmp_path / "pkg").mkdir(exist_ok=True)
        (tmp_path / "pkg" / f"{name}.py").write_text(code)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.d"] == set()  # imports for type checkers only do not run
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_the_library_never_imports_the_experiments():
    upward = {(module, other) for module, imported in import_graph().items() if module.startswith("gennes_bo")
              for other in imported if other.startswith("benchmarks")}
    assert upward == set()


def test_the_demo_needs_the_library_alone():
    # `pip install gennes-bo` (torch, BoTorch, scipy, tqdm) runs the demo: no extra, no experiments.
    code = ("from gennes_bo.cli import main\n"
            "main(['demo', '--iterations', '1', '--n-init', '4', '--q', '1', '--no-progress'])")
    imported = _imported_after(code)
    assert "botorch" in imported
    assert not imported & set(HEAVY + INTEGRATIONS + ("benchmarks", "cma", "evotorch", "optuna_integration", "smac"))
