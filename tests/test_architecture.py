"""The shape of the code: layer contracts that hold and that fail on an upward import, module and
function sizes, and no code that reaches into scripts/."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
# Numeric kernels whose length is their unrolled inner loop, documented in their module: the
# Horowitz-Sahni sweep runs four independent chains by hand (approx.engine.subset_sum's
# _mitm_kernels module docstring says why).
LONG_KERNELS = {("approx/engine/subset_sum/_mitm_kernels.py", "_sweep")}


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The packages and pyproject.toml, copied so a test can break them."""
    root = tmp_path_factory.mktemp("repo")
    for name in ("approx", "proofs_check"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_import_contracts_hold(tree_copy):
    done = _lint_imports(tree_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("approx/basics/masks.py", "import approx.pipeline.run", "Each layer imports only"),
        ("approx/engine/subset_sum/_greedy.py", "import approx.constructions", "Each layer"),
        ("approx/measurement/bounds.py", "import matplotlib", "Only the figures package"),
        ("approx/pipeline/report.py", "import proofs_check", "never imports proofs_check"),
        ("approx/basics/errors.py", "import torch", "import no torch"),
    ],
)
def test_an_upward_or_forbidden_import_breaks_a_contract(tree_copy, module, line, contract):
    path = tree_copy / module
    original = path.read_text()
    try:
        path.write_text(original + f"\n{line}  # deliberately breaks a contract\n")
        done = _lint_imports(tree_copy)
    finally:
        path.write_text(original)
    assert done.returncode != 0, done.stdout
    broken = [ln for ln in done.stdout.splitlines() if "BROKEN" in ln]
    assert any(contract in ln for ln in broken), done.stdout


def _library_files() -> list[Path]:
    return sorted((REPO / "approx").rglob("*.py"))


def test_no_module_over_the_line_limit():
    long = {
        str(p.relative_to(REPO)): n
        for p in _library_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_over_the_line_limit_except_documented_kernels():
    long = {}
    for p in _library_files():
        rel = str(p.relative_to(REPO))
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and (rel, node.name) not in LONG_KERNELS:
                    long[f"{rel}:{node.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_nothing_imports_scripts():
    """scripts/ are entry points run as programs (tests run them as subprocesses); no module
    of the library, proofs_check or the tests imports one or loads one from its path."""
    offenders = []
    for folder in ("approx", "proofs_check", "tests", "scripts"):
        for p in (REPO / folder).rglob("*.py"):
            text = p.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(text)):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                if any(n == "scripts" or n.startswith("scripts.") for n in names):
                    offenders.append(f"{p.relative_to(REPO)}: import {names}")
            if "spec_from_file_location" in text and p.name != Path(__file__).name:
                offenders.append(f"{p.relative_to(REPO)}: loads a file as a module")
    assert not offenders
