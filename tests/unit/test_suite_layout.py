"""The test suite's own layout rules (tests/README.md): helpers live in tests/support, so
no module under tests/ imports from a conftest; conftests hold fixtures only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.append(node.module)
            modules.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
    return modules


def test_no_module_under_tests_imports_from_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in _imported_modules(path)
        if module.split(".")[-1] == "conftest" or ".conftest." in module
    ]
    assert offenders == [], "import the helper from tests/support instead"


def test_the_scan_sees_an_import_from_a_conftest(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests.integration.cli.conftest import awslogin_script\n")
    assert "tests.integration.cli.conftest" in _imported_modules(sample)


def _is_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ("fixture", "hookimpl"):
            return True
    return False


def test_conftests_define_only_fixtures_and_hooks() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("conftest.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                offenders.append(f"{path.relative_to(TESTS.parent)}: class {node.name}")
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith(("_", "pytest_")) or _is_fixture(node):
                continue
            offenders.append(f"{path.relative_to(TESTS.parent)}: {node.name}()")
    assert offenders == [], "move the helper to tests/support"
