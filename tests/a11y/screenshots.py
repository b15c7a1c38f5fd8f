"""Screenshots of every relay page, for a person to look at: `scripts/screenshots DIR`.

The pages are those of the accessibility tour (tests/a11y/relay_pages.py), each reached
for real against local `awslogin-relay` processes, and taken at an iPhone's size (390x844
CSS px at 3x, touch) and a laptop's (1280x800), in the light and in the dark colour
scheme: DIR/<page>-<size>-<scheme>.png, whole pages (below the fold too).
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.a11y.relay_pages import Tour, tour_relays
from tests.peers.browser import ChromiumBrowser
from tests.peers.relay import RelayServer

SIZES: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
SCHEMES = ("light", "dark")


def take_screenshots(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    with ExitStack() as stack:

        def start(**settings: str) -> RelayServer:
            return stack.enter_context(RelayServer(settings))

        relays = stack.enter_context(tour_relays(start))
        chromium = stack.enter_context(ChromiumBrowser())
        tour = Tour(relays)
        for size, options in SIZES.items():

            def shoot(name: str, page: Page, size: str = size) -> None:
                for scheme in SCHEMES:
                    page.emulate_media(color_scheme=scheme)
                    path = folder / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=str(path), full_page=True)
                    taken.append(path)
                    print(f"  {path}", flush=True)

            print(f"{size}:", flush=True)
            tour.run(chromium.browser, {"locale": "en-US", **options}, shoot)
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/screenshots",
        description="Screenshots of every relay page at phone and desktop sizes, light and "
        "dark, into FOLDER (about a minute: one page waits for a pairing to expire).",
    )
    parser.add_argument("folder", type=Path, help="where the PNG files go (made if missing)")
    options = parser.parse_args(argv)
    started = time.monotonic()
    taken = take_screenshots(options.folder)
    print(f"{len(taken)} screenshots in {options.folder} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
