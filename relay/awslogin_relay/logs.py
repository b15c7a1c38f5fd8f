"""Where the relay's own log lines go: stderr, one message per line (access and audit
lines are JSON already)."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("awslogin_relay")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
