"""The house keeps its shape: layered imports (import-linter's contracts, which a planted upward import or
cycle breaks), no private names imported across modules, small modules and functions, and an
ARCHITECTURE.md that names every module there is."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "lstm_trace"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
LINT = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(root), "PATH": str(Path(sys.executable).parent), "NO_COLOR": "1"}
    return subprocess.run(
        [LINT, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_are_kept() -> None:
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout and r.stdout.count("KEPT") == 8


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        ("numeric/engine.py", "from ..render.text import fmt_number", "Layers"),  # the engine importing a renderer
        ("scenario/load.py", "from ..symbolic import derive", "Layers"),  # two independent layers
        ("render/text.py", "from .equations import EquationPrinter", "No import cycles"),  # text <-> equations
        ("cli/run.py", "from .check import check", "The commands are independent"),
        ("grading/grade.py", "import click", "Only the command line imports click"),
    ],
)
def test_a_planted_violation_breaks_a_contract(tmp_path: Path, module: str, planted: str, broken: str) -> None:
    shutil.copytree(PACKAGE, tmp_path / "lstm_trace", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / "lstm_trace" / module
    path.write_text(path.read_text() + f"\n{planted}  # noqa\n")
    r = _lint(tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert any(line.startswith(broken) and line.endswith("BROKEN") for line in r.stdout.splitlines()), r.stdout


def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_names(path: Path) -> None:
    private = [
        f"line {n.lineno}: {a.name} from {'.' * n.level}{n.module or ''}"
        for n in _imports(path)
        if isinstance(n, ast.ImportFrom) and n.module != "__future__"
        for a in n.names
        if a.name.startswith("_") and not a.name.startswith("__")
    ]
    assert not private, private


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    """Modules under 300 lines, functions under 40 (not counting the docstring)."""
    text = path.read_text()
    assert text.count("\n") <= 300
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None and len(node.body) > 1 else node.body
            assert node.end_lineno - body[0].lineno + 1 <= 40, f"{node.name} at line {node.lineno}"  # type: ignore[operator]


def test_sub_package_init_files_import_nothing() -> None:
    """So that importing one module of a layer imports only what that module needs (the CLI stays fast)."""
    for init in PACKAGE.glob("*/__init__.py"):
        if init.parent.name != "cli":  # the command group registers its commands
            assert [n for n in _imports(init) if getattr(n, "module", "") != "__future__"] == [], init


def test_the_architecture_map_names_every_module() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    missing = [str(p.relative_to(PACKAGE)) for p in MODULES if p.name != "__init__.py" and p.name not in text]
    packages = [p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"]
    missing += [f"{p.name}/" for p in packages if f"{p.name}/" not in text]
    assert not missing, missing
