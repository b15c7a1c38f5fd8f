"""Every page of the relay, light and dark, at phone and desktop sizes: no axe-core
violation (WCAG 2.0-2.2 A and AA, and axe's best practices), and every link and button
at least 24x24 CSS px (WCAG 2.2's target size, which axe passes for a small link that
has room around it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.a11y import axe
from tests.a11y.relay_pages import Tour, tour_relays
from tests.peers.ci import require_peer
from tests.peers.relay import RelayFactory

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
SCHEMES = ("light", "dark")
MIN_TARGET = 24
_TARGETS = """() => [...document.querySelectorAll('a[href], button')].map(e => {
  const box = e.getBoundingClientRect();
  return [e.outerHTML.slice(0, 80), box.width, box.height];
})"""


def _problems(page: Page) -> list[str]:
    found = [str(violation) for violation in axe.violations(page)]
    for element, width, height in page.evaluate(_TARGETS):
        if width < MIN_TARGET or height < MIN_TARGET:
            found.append(f"target {width:.0f}x{height:.0f} px: {element}")
    return found


def test_every_relay_page_is_accessible_light_and_dark(
    browser: Browser, relay_process: RelayFactory
) -> None:
    require_peer(axe.available(), "axe-core (npm, tests/a11y)")
    problems: list[str] = []

    def check(name: str, page: Page) -> None:
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                problems.extend(f"{name} ({size}, {scheme}): {p}" for p in _problems(page))

    with tour_relays(relay_process) as relays:
        visited = Tour(relays).run(browser, {"locale": "en-US"}, check)
    assert {
        "home",
        "link",
        "confirm",
        "paste",
        "done-finishing",
        "done-signed-in",
        "done-scanned-again",
        "done-could-not-finish",
        "done-denied",
    } <= set(visited)
    assert sum(name.startswith("error-") for name in visited) >= 11
    assert problems == []
