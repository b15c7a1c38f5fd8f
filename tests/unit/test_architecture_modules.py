"""docs/architecture.md lists every module of the relay and the protocol with its job.

The relay's and the protocol's sections each hold a table of modules (paths relative to
the package); a module added, moved or removed without the table changing fails here,
so the map a reader starts from stays complete.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def section(heading: str) -> str:
    """The text of a `## heading` section, up to the next `## `."""
    start = ARCHITECTURE.index(f"\n## {heading}\n")
    end = ARCHITECTURE.find("\n## ", start + 1)
    return ARCHITECTURE[start : end if end != -1 else None]


def listed(text: str) -> set[str]:
    """The modules a section's tables name in their first column."""
    return set(re.findall(r"^\| `([\w/]+\.py)` \|", text, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("heading", "package"),
    [
        ("The relay: `awslogin_relay`", ROOT / "relay" / "awslogin_relay"),
        ("The protocol: `awslogin_protocol`", ROOT / "protocol" / "awslogin_protocol"),
    ],
)
def test_every_module_is_listed_with_its_job(heading: str, package: Path) -> None:
    """Every module but a package's `__init__.py` (listed where it has a job of its own),
    and nothing that does not exist."""
    table = listed(section(heading))
    files = {path.relative_to(package).as_posix() for path in package.rglob("*.py")}
    modules = {name for name in files if not name.endswith("__init__.py")}
    assert sorted(modules - table) == []
    assert sorted(table - files) == []
