"""Running a person's or another party's steps on a thread while the test goes on."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Background(threading.Thread):
    """A daemon thread running `action`; `errors` holds what it raised, for the test."""

    def __init__(self, action: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.action = action
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            self.action()
        except BaseException as exc:  # reported by the test through `errors`
            self.errors.append(exc)


def in_background(action: Callable[[], object]) -> Background:
    """Start `action` on its own thread."""
    thread = Background(action)
    thread.start()
    return thread
