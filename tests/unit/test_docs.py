"""The repository's docs stay true to the code they point at.

docs/security.md names, beside each invariant, the tests that hold it, and code comments
cite sections of docs/; a renamed test or a removed section would leave a promise that
nothing keeps. These tests fail when a cited test, file or section no longer exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# `tests/.../test_x.py::test_name`, or `::test_name` continuing the last file named
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(test_\w+))?`")
# docs/name.md#anchor, or docs/name.md, "Section"
CODE_CITATION = re.compile(r'docs/(\w+)\.md(?:#([\w-]+)|, "([^"]+)")?')


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces to '-'."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


def _headings(markdown: str) -> set[str]:
    return {h.strip() for h in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)}


@pytest.mark.parametrize("doc", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_every_test_a_doc_names_exists(doc: Path) -> None:
    missing = []
    current: Path | None = None
    for match in TEST_REFERENCE.finditer(doc.read_text()):
        path, name = match.groups()
        if path:
            current = ROOT / path
            if not current.exists():
                missing.append(path)
                continue
        defined = rf"^(async )?def {name}\("
        if name and current and not re.search(defined, current.read_text(), re.MULTILINE):
            missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert not missing, f"{doc.name} names tests that do not exist: {missing}"


def test_every_section_the_code_cites_exists() -> None:
    sources = [
        p
        for folder in ("cli", "relay", "protocol", "tests", "bench", "deploy")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in (".py", ".md", ".lua", ".html", ".js")
        and "node_modules" not in p.parts
        and p.resolve() != Path(__file__).resolve()  # its own examples are no citations
    ]
    broken = []
    for source in sources:
        for name, anchor, section in CODE_CITATION.findall(source.read_text(errors="ignore")):
            doc = DOCS / f"{name}.md"
            if not doc.exists():
                broken.append(f"{source.relative_to(ROOT)}: docs/{name}.md")
            elif anchor and anchor not in _anchors(doc.read_text()):
                broken.append(f"{source.relative_to(ROOT)}: docs/{name}.md#{anchor}")
            elif section and section not in _headings(doc.read_text()):
                broken.append(f'{source.relative_to(ROOT)}: docs/{name}.md, "{section}"')
    assert not broken, f"citations of docs that do not exist: {broken}"
