"""The relay's layers, as its imports show them (read from the source, nothing imported).

web/ (routes) uses domain/ (the pairing model, its rules and the store port); store/
implements that port, and only the composition root (app.py) opens a store. The relay
and the CLI share the wire protocol (awslogin_protocol) and import nothing of each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
RELAY = ROOT / "relay" / "awslogin_relay"
PROTOCOL = ROOT / "protocol" / "awslogin_protocol"


def imports_of(folder: Path) -> dict[str, set[str]]:
    """Module file (relative to the repository) → every module it imports, at any depth."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(folder: Path, *forbidden: str) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in imports_of(folder).items()
        for name in names
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in forbidden)
    )


def test_the_relay_and_the_protocol_import_nothing_of_the_cli() -> None:
    assert offenders(RELAY, "awslogin") == []
    assert offenders(PROTOCOL, "awslogin", "awslogin_relay") == []


def test_routes_and_rules_never_open_a_store() -> None:
    assert offenders(RELAY / "web", "awslogin_relay.store") == []
    assert offenders(RELAY / "domain", "awslogin_relay.store", "awslogin_relay.web") == []


def test_stores_know_the_domain_not_the_routes() -> None:
    assert offenders(RELAY / "store", "awslogin_relay.web", "awslogin_relay.app") == []
