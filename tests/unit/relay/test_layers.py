"""The relay's layers, as its imports show them (read from the source, nothing imported).

Top to bottom (docs/architecture.md#the-relay-awslogin_relay): the process (`__main__`, `server`,
`edge`), the composition root (`app`), the routes (`web/`) beside the stores (`store/`),
the pairing rules and the store's contract (`domain/`), and what every layer reads
(`settings`, `redis_urls`, `metrics`, `logs`). A module imports its own group and the
layers below, never upward and never its sibling: `web/` and `domain/` never open a
store; only `app.py` does. Every module of the relay has a place in `LAYERS`, so a new
one is placed on purpose. The relay and the CLI share the wire protocol
(awslogin_protocol) and import nothing of each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
RELAY = ROOT / "relay" / "awslogin_relay"
PROTOCOL = ROOT / "protocol" / "awslogin_protocol"

# Top to bottom; each layer holds groups that import nothing of one another.
LAYERS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("__main__.py", "server.py", "edge.py"),),
    (("app.py",),),
    (("web/",), ("store/",)),
    (("domain/",),),
    (("settings.py", "redis_urls.py", "metrics.py", "logs.py", "__init__.py"),),
)


def place(module: Path) -> tuple[int, int]:
    """(layer, group) of a relay module file, by `LAYERS`."""
    relative = module.relative_to(RELAY).as_posix()
    for layer, groups in enumerate(LAYERS):
        for group, prefixes in enumerate(groups):
            if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in prefixes):
                return layer, group
    raise AssertionError(f"{relative} has no place in LAYERS")


def module_file(dotted: str) -> Path | None:
    """The relay module file that `dotted` (a module, or a name in one) comes from."""
    parts = dotted.split(".")
    if parts[0] != RELAY.name:
        return None
    for end in range(len(parts), 0, -1):
        base = RELAY.parent.joinpath(*parts[:end])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def imported_names(path: Path) -> set[str]:
    """Every module or name `path` imports, at any depth (functions and TYPE_CHECKING
    blocks included), and modules it loads by `importlib.import_module("...")`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import (the layer check reads absolute)"
            assert node.module is not None
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def offenders(folder: Path, *forbidden: str) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(folder.rglob("*.py"))
        for name in imported_names(path)
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in forbidden)
    )


def test_the_relay_and_the_protocol_import_nothing_of_the_cli() -> None:
    assert offenders(RELAY, "awslogin") == []
    assert offenders(PROTOCOL, "awslogin", "awslogin_relay") == []


def test_every_relay_module_has_a_layer() -> None:
    for path in RELAY.rglob("*.py"):
        place(path)


def runs_up_or_across(importer: Path, name: str) -> bool:
    """Whether `importer` importing `name` breaks the layers (names outside the relay
    never do)."""
    target = module_file(name)
    if target is None:
        return False
    layer, group = place(importer)
    to_layer, to_group = place(target)
    return to_layer < layer or (to_layer == layer and to_group != group)


def test_no_relay_module_imports_upward_or_sideways() -> None:
    wrong = [
        f"{path.relative_to(RELAY)} imports {name}"
        for path in sorted(RELAY.rglob("*.py"))
        for name in sorted(imported_names(path))
        if runs_up_or_across(path, name)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("settings.py", "awslogin_relay.store.redis_connect.check_url"),  # config to a store
        ("domain/audit.py", "awslogin_relay.web.render"),  # the rules to the routes
        ("web/browser.py", "awslogin_relay.store"),  # a route opening a store
        ("store/memory.py", "awslogin_relay.web.errors"),  # a store knowing the routes
        ("metrics.py", "awslogin_relay.domain.pairing.Pairing"),  # a foundation to the domain
    ],
)
def test_the_check_catches_an_import_that_runs_up_or_across(importer: str, imported: str) -> None:
    assert runs_up_or_across(RELAY / importer, imported)


def test_a_module_outside_the_layers_is_caught() -> None:
    with pytest.raises(AssertionError, match="no place in LAYERS"):
        place(RELAY / "audit.py")  # where the audit log was before it joined the domain
