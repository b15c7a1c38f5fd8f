"""Where the relay's own log lines go: stderr, one message per line (access and audit
lines are JSON already)."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    # The relay's lines never show a source location; skipping the frame walk that
    # would find it is the optimization the logging documentation recommends.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("awslogin_relay")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
