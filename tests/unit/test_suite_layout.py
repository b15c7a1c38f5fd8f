"""The test suite's own layout rules (tests/README.md): helpers live in tests/support, so
no module under tests/ imports from a conftest; conftests hold fixtures only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


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


# Where the unit tests of each package live: `tests/unit/cli/adapters/test_http.py` holds
# the tests of `cli/awslogin/adapters/http.py`.
MIRRORS = {
    "cli/awslogin": "tests/unit/cli",
    "relay/awslogin_relay": "tests/unit/relay",
    "protocol/awslogin_protocol": "tests/unit/protocol",
}


# Modules with no unit test file of their own, on purpose. Adding a module here needs a
# reason as good as these; a module that gets its own test file leaves the list.
WITHOUT_UNIT_TESTS = frozenset(
    {
        # Types and interfaces without behaviour of their own: their implementations'
        # tests cover them (the store contract in tests/support/store_contract.py).
        "cli/awslogin/flows/base.py",
        "cli/awslogin/providers/base.py",
        "relay/awslogin_relay/domain/pairing.py",
        "relay/awslogin_relay/domain/store.py",
        # The one base64url of the protocol, tested with the sealing that uses it.
        "protocol/awslogin_protocol/base64url.py",
        # Generated at build and install from the git tag (setuptools-scm): one constant,
        # held to the installed distribution by tests/integration/release/test_version.py.
        "protocol/awslogin_protocol/_version.py",
        # Wiring that only makes sense whole: reached through `main` (tests/unit/cli/cli)
        # or through the app over HTTP (tests/unit/relay/web), and in the integration tier.
        "cli/awslogin/adapters/clock.py",
        "cli/awslogin/cli/base.py",
        "cli/awslogin/cli/configure.py",
        "cli/awslogin/cli/console.py",
        "cli/awslogin/cli/credential_process.py",
        "cli/awslogin/cli/exec.py",
        "cli/awslogin/cli/export.py",
        "cli/awslogin/cli/login.py",
        "cli/awslogin/cli/logout.py",
        "cli/awslogin/cli/serve.py",
        "cli/awslogin/cli/signals.py",
        "cli/awslogin/cli/status.py",
        "cli/awslogin/flows/paste.py",
        "cli/awslogin/flows/relay_client.py",
        "cli/awslogin/providers/aws_retry.py",
        "cli/awslogin/providers/registry.py",
        "cli/awslogin/providers/sso_auth.py",
        "cli/awslogin/stores/record_file.py",
        "cli/awslogin/usecases/configure/oidc.py",
        "cli/awslogin/usecases/configure/sso.py",
        "cli/awslogin/usecases/profiles.py",
        "cli/awslogin/usecases/sessions.py",
        "cli/awslogin/usecases/snapshot.py",
        "relay/awslogin_relay/app.py",
        "relay/awslogin_relay/domain/audit.py",
        "relay/awslogin_relay/metrics.py",
        "relay/awslogin_relay/domain/browser_operations.py",
        "relay/awslogin_relay/domain/console_operations.py",
        "relay/awslogin_relay/domain/errors.py",
        "relay/awslogin_relay/domain/operations.py",
        "relay/awslogin_relay/domain/service.py",
        "relay/awslogin_relay/web/errors.py",
        "relay/awslogin_relay/web/link.py",
        "relay/awslogin_relay/web/middleware.py",
        "relay/awslogin_relay/web/ops.py",
        "relay/awslogin_relay/web/render.py",
        "relay/awslogin_relay/web/request.py",
        "relay/awslogin_relay/web/routing.py",
        # Tested against real peers only (tests/integration): the IdP's device grant, the
        # credentials endpoint and its clients, the relay as a process, Redis.
        "cli/awslogin/providers/oidc_device.py",
        "cli/awslogin/usecases/serve.py",
        "cli/awslogin/usecases/profile_endpoint.py",
        # a remote login in a worker process, the relay, the IdP and the destinations
        # (tests/integration/serve/test_renewal.py)
        "cli/awslogin/usecases/renewal_attempt.py",
        "relay/awslogin_relay/__main__.py",
        "relay/awslogin_relay/store/redis_connect.py",
        "relay/awslogin_relay/store/redis_records.py",
        "relay/awslogin_relay/store/redis_store.py",
        "relay/awslogin_relay/store/redis_typed.py",
        "relay/awslogin_relay/store/redis_wakeups.py",
    }
)


def _mirrored_test(module: Path, package: str) -> Path:
    relative = module.relative_to(ROOT / package)
    return ROOT / MIRRORS[package] / relative.parent / f"test_{relative.name}"


def _modules() -> dict[str, Path]:
    return {
        str(module.relative_to(ROOT)): _mirrored_test(module, package)
        for package in MIRRORS
        for module in sorted((ROOT / package).rglob("*.py"))
        if module.name != "__init__.py"
    }


def test_every_module_has_a_unit_test_file_named_after_it_or_a_reason_not_to() -> None:
    unmirrored = sorted(
        name
        for name, test in _modules().items()
        if not test.exists() and name not in WITHOUT_UNIT_TESTS
    )
    assert unmirrored == [], "add tests/unit/<package>/.../test_<module>.py"


def test_the_list_of_modules_without_unit_tests_holds_no_stale_name() -> None:
    modules = _modules()
    stale = sorted(
        name for name in WITHOUT_UNIT_TESTS if name not in modules or modules[name].exists()
    )
    assert stale == [], "a module that moved, went or got its own test file leaves the list"


def _named_after_a_module(path: Path, expected: set[Path]) -> bool:
    """`test_<module>.py`, or `test_<module>_<aspect>.py` beside it: a module with many
    tests may spread them over several files."""
    return path in expected or any(
        path.parent == test.parent and path.stem.startswith(f"{test.stem}_") for test in expected
    )


def test_no_unit_test_file_is_named_after_a_module_that_does_not_exist() -> None:
    expected = set(_modules().values())
    kept = {  # tests of a package or of the suite, not of one module
        TESTS / "unit" / "cli" / "test_structure.py",
        TESTS / "unit" / "relay" / "test_layers.py",
        TESTS / "unit" / "relay" / "test_package_data.py",
        TESTS / "unit" / "test_architecture_modules.py",
        TESTS / "unit" / "test_docs.py",
        TESTS / "unit" / "test_protocol_surface.py",
        TESTS / "unit" / "test_suite_layout.py",
    }
    strays = sorted(
        str(path.relative_to(ROOT))
        for path in (TESTS / "unit").rglob("test_*.py")
        if path not in kept and not _named_after_a_module(path, expected)
    )
    assert strays == [], "name a unit test file after the module it tests"
