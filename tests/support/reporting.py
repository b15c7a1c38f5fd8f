"""Telling the person running the suite what a slow fixture did (image sizes, build
times), past pytest's output capture."""

from __future__ import annotations

import pytest


class Say:
    """Writes a line to the terminal, past pytest's capture (image sizes, build times)."""

    def __init__(self, config: pytest.Config) -> None:
        self.reporter = config.pluginmanager.get_plugin("terminalreporter")
        self.capture = config.pluginmanager.get_plugin("capturemanager")

    def __call__(self, line: str) -> None:
        if self.reporter is None:
            return
        if self.capture is None:
            self.reporter.write_line(line)
            return
        with self.capture.global_and_fixture_disabled():
            self.reporter.write_line(line)
