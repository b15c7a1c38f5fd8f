"""The protocol package's public surface is what the host and the relay use of it.

`awslogin_protocol` is the one implementation of the wire format both sides share
(docs/architecture.md), so what it exports is an interface between two programs. Each of
its modules declares `__all__`; this test holds every `__all__` to the names the CLI and
the relay import from that module (read from their source), so that exporting something
new, or leaving an export nobody uses, is a deliberate change of this test's input.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "awslogin_protocol"
CONSUMERS = (ROOT / "cli" / "awslogin", ROOT / "relay" / "awslogin_relay")
MODULES = sorted(
    PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"
    for path in (ROOT / "protocol" / PACKAGE).glob("*.py")
)


def imported_from_the_protocol() -> dict[str, set[str]]:
    """Protocol module → the names the CLI and the relay import from it.

    `from awslogin_protocol.messages import X` uses `X` of `messages` and `messages` of
    the package; `import awslogin_protocol.sealing` uses `sealing` of the package.
    """
    used: dict[str, set[str]] = defaultdict(set)
    for folder in CONSUMERS:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                    names = {alias.name for alias in node.names}
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                    names = set()
                else:
                    continue
                for module in modules:
                    if module != PACKAGE and not module.startswith(f"{PACKAGE}."):
                        continue
                    if module != PACKAGE:
                        used[PACKAGE].add(module.removeprefix(f"{PACKAGE}."))
                    used[module].update(names)
    return used


def test_the_host_and_the_relay_import_only_from_the_protocols_modules() -> None:
    assert set(imported_from_the_protocol()) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_exactly_what_the_host_and_the_relay_import(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} declares no __all__"
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    assert set(exported) == imported_from_the_protocol()[name]


@pytest.mark.parametrize("name", MODULES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    for exported in module.__all__:
        if not hasattr(module, exported):  # a submodule of the package, not yet imported
            importlib.import_module(f"{name}.{exported}")
        assert hasattr(module, exported), f"{name}.{exported}"
