"""The CLI's import structure: no import cycle, layers that import only downward, and
adapters that know nothing of each other.

All are promises the code makes in writing (awslogin/adapters/__init__.py,
docs/architecture.md, "Layers"); these tests keep them true as the code changes.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

import awslogin
import awslogin.errors

pytestmark = pytest.mark.unit

PACKAGE = Path(awslogin.__file__).parent
# What an adapter may import of awslogin, besides itself (awslogin/adapters/__init__.py).
ADAPTERS_MAY_USE = {"awslogin", "awslogin.errors", "awslogin.adapters.files"}
EXCEPTIONS = {
    "awslogin.adapters.terminal": {"awslogin.adapters.qr", "awslogin.adapters.waiting_line"},
    # the endpoint's connection cap, a policy of its own (docs/security.md)
    "awslogin.adapters.credentials_endpoint": {"awslogin.adapters.connection_cap"},
}
WRAPPED_LIBRARIES = {
    "awslogin.adapters.credentials_endpoint": {"h11"},
    "awslogin.adapters.files": {"filelock"},
    # httpx, and the httpcore pool under it that bounds each request (adapters.http)
    "awslogin.adapters.http": {"httpx", "httpcore"},
    # Apprise, only when a message goes out (the notify extra)
    "awslogin.adapters.notify": {"apprise"},
    "awslogin.adapters.qr": {"qrcode"},
}


def module_name(path: Path) -> str:
    parts = ["awslogin", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {
    name: {imported for imported in imports_of(path) if imported in MODULES and imported != name}
    for name, path in MODULES.items()
}


def cycles() -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in GRAPH[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_the_cli_has_no_import_cycle() -> None:
    assert len(MODULES) > 30  # the walk found the package
    assert cycles() == []


# The CLI's layers, top to bottom (docs/architecture.md, "Layers"): a module imports its
# own layer and those below it, never one above. providers/ and flows/ are one layer (a
# provider hands its sign-in to a flow, through flows/base.py); errors.py,
# session_record.py, crypto/ and the package itself (its version) import nothing of
# awslogin, so they are the bottom (adapters still keep to their stricter rule below).
LAYERS = (
    {"cli"},
    {"usecases"},
    {"providers", "flows"},
    {"stores"},
    {"profile"},
    {"adapters"},
    {"errors", "session_record", "crypto", ""},
)


def part_of(module: str) -> str:
    """The part after `awslogin.` that places a module in a layer ("" for the package)."""
    return module.split(".")[1] if "." in module else ""


def layer_of(module: str) -> int:
    """0 for the top layer."""
    return next(rank for rank, parts in enumerate(LAYERS) if part_of(module) in parts)


def test_every_module_has_a_layer() -> None:
    assert {part_of(name) for name in MODULES} - set().union(*LAYERS) == set()


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in GRAPH.items()
        for imported in imported_modules
        if layer_of(imported) < layer_of(module)
    )
    assert upward == []


def test_the_layers_are_ordered_as_drawn() -> None:
    """The check above means something: the entry point is above the use cases, and the
    use cases above the adapters they drive."""
    assert layer_of("awslogin.cli.main") < layer_of("awslogin.usecases.login")
    assert layer_of("awslogin.usecases.login") < layer_of("awslogin.providers.oidc")
    assert layer_of("awslogin.flows.relay") < layer_of("awslogin.stores.sso")
    assert layer_of("awslogin.stores.sso") < layer_of("awslogin.profile")
    assert layer_of("awslogin.profile") < layer_of("awslogin.adapters.http")
    assert layer_of("awslogin.adapters.http") < layer_of("awslogin.errors")


def test_flows_never_know_which_provider_asked() -> None:
    """Within their shared layer, providers use flows and never the other way round
    (docs/architecture.md, "Rules that keep it changeable")."""
    offenders = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in GRAPH.items()
        if module.startswith("awslogin.flows")
        for imported in imported_modules
        if imported.startswith("awslogin.providers")
    )
    assert offenders == []


@pytest.mark.parametrize(
    "adapter", sorted(name for name in MODULES if name.startswith("awslogin.adapters."))
)
def test_an_adapter_imports_no_other_part_of_awslogin(adapter: str) -> None:
    allowed = ADAPTERS_MAY_USE | EXCEPTIONS.get(adapter, set()) | {adapter}
    assert GRAPH[adapter] - allowed == set()
    top_level = {name.split(".")[0] for name in imports_of(MODULES[adapter])}
    others = top_level - set(sys.stdlib_module_names) - {"awslogin", "__future__"}
    assert others <= WRAPPED_LIBRARIES.get(adapter, set())


def test_the_cli_never_imports_the_relay() -> None:
    """The two sides share only awslogin_protocol (docs/architecture.md)."""
    relay_imports = {
        name: sorted(found for found in imports_of(path) if found.split(".")[0] == "awslogin_relay")
        for name, path in MODULES.items()
    }
    assert {name: found for name, found in relay_imports.items() if found} == {}


def drawn_error_tree() -> dict[str, str | None]:
    """Each class of the tree in errors.py's docstring → the class it is drawn under."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in (awslogin.errors.__doc__ or "").splitlines():
        bullet = line.lstrip()
        if bullet[:2] not in ("* ", "x ", "+ "):
            continue
        depth = (len(line) - len(bullet)) // 2
        name = bullet[2:].split()[0]
        del path[depth:]
        parents[name] = path[-1] if path else None
        path.append(name)
    return parents


def test_the_error_tree_drawn_in_errors_py_is_the_real_one() -> None:
    """Every error a person can meet is in the drawing, under its real base class."""
    for name in sorted(MODULES):
        importlib.import_module(name)
    real: dict[str, str | None] = {}
    pending: list[type[BaseException]] = [awslogin.errors.AwsloginError, KeyboardInterrupt]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("awslogin"):
            base = cls.__base__
            real[cls.__name__] = base.__name__ if base is not Exception else None
        pending.extend(cls.__subclasses__())
    real["KeyboardInterrupt"] = None
    assert drawn_error_tree() == real
