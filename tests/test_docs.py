"""Every ```python block of the README and the documentation runs as written, and the README's setup is CI's.

Each block runs in-process in a fresh namespace (`__name__ == "__docs__"`, so `if __name__ == "__main__":` parts
stay off), from a temporary working directory, after `torch.manual_seed(0)`. A block may not use a deprecated
route: a `DeprecationWarning` raised from gennes_bo, or attributed to the block itself, fails it.
"""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from pathlib import Path

import pytest
import torch
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PACKAGE_DIR = str(ROOT / "gennes_bo")
# Words of gennes_bo's own deprecation messages (settings, sampler arguments, moved names, renamed result fields).
OUR_WORDS = r"AcqfSettings|GennesSampler|gennes_bo|scipy's name"
# Optional packages by the module a block imports (the dev extra installs them all, so CI skips nothing).
OPTIONAL = {"ax": "ax", "optuna": "optuna", "optuna_integration": "optuna_integration", "sklearn": "sklearn",
            "matplotlib": "matplotlib", "cma": "cma", "evotorch": "evotorch", "distributed": "distributed",
            "gennes_bo.integrations.ax": "ax", "gennes_bo.integrations.optuna": "optuna"}


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown text, dedented to their fence."""
    blocks, lines, indent = [], None, 0
    for line in text.splitlines():
        if lines is None:
            if line.strip() == "```python":
                lines, indent = [], len(line) - len(line.lstrip())
        elif line.strip() == "```":
            blocks.append("\n".join(row[indent:] for row in lines) + "\n")
            lines = None
        else:
            lines.append(line)
    return blocks


def collect() -> list[pytest.param]:
    return [pytest.param(path, source, id=f"{path.relative_to(ROOT).as_posix()}:{number}")
            for path in DOC_FILES for number, source in enumerate(python_blocks(path.read_text()), start=1)]


def imported_modules(tree: ast.Module) -> set[str]:
    """Every module a block imports, with its parents (`a.b.c` gives `a`, `a.b` and `a.b.c`)."""
    names = set()
    for node in ast.walk(tree):
        modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                   else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        for module in modules:
            parts = module.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return names


@pytest.fixture
def registries():
    """Restore the registries that a block may add to (`register(...)` in the guides)."""
    from gennes_bo.compare.registry import ACQF_OPTIMIZERS
    from gennes_bo.optimizers.registry import OPTIMIZERS
    from gennes_bo.test_functions.registry import PROBLEMS

    saved = [(registry, dict(registry)) for registry in (ACQF_OPTIMIZERS, OPTIMIZERS, PROBLEMS)]
    yield
    for registry, content in saved:
        registry.clear()
        registry.update(content)


def our_deprecation(warning: warnings.WarningMessage, filename: str) -> bool:
    """A deprecation that the block triggers itself, or one of gennes_bo's: attributed to the package, or in its
    words wherever a caller's `stacklevel` points (BoTorch's frames, on the `gen_candidates` route)."""
    if not issubclass(warning.category, DeprecationWarning):
        return False
    return (warning.filename == filename or warning.filename.startswith(PACKAGE_DIR)
            or re.search(OUR_WORDS, str(warning.message)) is not None)


def test_the_docs_have_python_blocks():
    ids = [param.id for param in collect()]
    assert any(name.startswith("README.md:") for name in ids)
    assert any(name.startswith("docs/guides/") for name in ids)


@pytest.mark.parametrize(("path", "source"), collect())
def test_doc_block_runs(path, source, request, tmp_path, monkeypatch, registries):
    filename = request.node.callspec.id
    tree = ast.parse(source, filename=filename)
    imports = imported_modules(tree)
    for module in sorted(imports & set(OPTIONAL)):
        pytest.importorskip(OPTIONAL[module])
    if "matplotlib" in imports:
        import matplotlib

        matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # files a block writes (an Optuna journal, ...) go there
    code = compile(tree, filename, "exec", dont_inherit=True)  # not this module's `from __future__` imports
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core, as the blocks' budgets assume (BLAS too: scipy's L-BFGS-B spins otherwise)
    try:
        with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            warnings.filterwarnings("error", category=DeprecationWarning, module="gennes_bo")
            # Raised where it is issued: BoTorch records the warnings of a `gen_candidates` call and drops ours.
            warnings.filterwarnings("error", message=f".*({OUR_WORDS})", category=DeprecationWarning)
            exec(code, {"__name__": "__docs__"})
    finally:
        torch.set_num_threads(threads)
    deprecations = [f"{w.filename}:{w.lineno}: {w.message}" for w in caught if our_deprecation(w, filename)]
    assert not deprecations, f"{filename} uses deprecated routes:\n" + "\n".join(deprecations)


def section(text: str, title: str) -> str:
    """The body of the `## title...` section of a Markdown text (up to the next `## ` heading)."""
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1)


def commands(markdown: str) -> list[str]:
    """The shell commands of a Markdown section: its indented lines and the lines of its non-python fences."""
    found, fence = [], None  # the language of the open fence ("" for a bare one), None outside fences
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            fence = line.strip()[3:] if fence is None else None
            continue
        if (fence is not None and fence != "python") or (fence is None and line.startswith("    ")):
            command = line.strip().removeprefix("$ ")
            if command and not command.startswith("#"):
                found.append(command)
    return found


def test_readme_setup_is_what_ci_runs():
    ci = [shlex.split(line) for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.startswith("python -m ")]
    install = next(words for words in ci if words[:4] == ["python", "-m", "pip", "install"])
    torch_pin = next(word for word in install if word.startswith("torch=="))
    extras = next(word for word in install if word.startswith(".["))
    tests = next(words for words in ci if words[:3] == ["python", "-m", "pytest"])
    setup = commands(section((ROOT / "README.md").read_text(), "Setup"))
    assert len(setup) == 2, f"the README's Setup section should hold two commands, got {setup}"
    assert re.fullmatch(r'python -m pip install "?(\S+?)"? -e "?(\S+?)"? && gennes-bo demo', setup[0]), setup[0]
    assert shlex.split(setup[0])[4:7] == [torch_pin, "-e", extras], (setup[0], install)
    assert shlex.split(setup[1]) == tests == ["python", "-m", "pytest", "-q", "-n", "2"]
