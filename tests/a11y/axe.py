"""axe-core (npm, installed by scripts/setup into tests/a11y/node_modules) run in a page.

The script is evaluated through the DevTools protocol rather than added as a <script>
tag: the relay's Content-Security-Policy (default-src 'self') rightly blocks inline
scripts, and the check must see the page under its real policy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 AA brings target-size), and axe's best
# practices (one h1, landmarks, ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


def available() -> bool:
    return AXE_SCRIPT.is_file()


@functools.cache
def _source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    """A rule axe-core found broken, or could not clear ("needs review")."""

    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets)}"


def violations(page: Page) -> list[Violation]:
    """What axe-core finds wrong on the page as it is displayed now.

    Results that axe leaves for review count too: some real faults land there, such as
    an aria-label on a <p> (naming is prohibited on a paragraph, but axe reports it as
    "incomplete" when the paragraph has text).
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        Violation(
            rule=item["id"],
            impact=f"{item.get('impact')}{', needs review' if kind == 'incomplete' else ''}",
            help=item["help"],
            targets=[" ".join(map(str, node["target"])) for node in item["nodes"]],
        )
        for kind in ("violations", "incomplete")
        for item in result[kind]
    ]
