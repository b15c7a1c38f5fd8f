"""The CI rule for peers: a missing peer skips a test locally and fails it in CI."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """CI runs set CI=true (see .ci/run)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require_peer(is_available: bool, what: str) -> None:
    """Skip the test when `what` is missing here, but fail it when running in CI."""
    if is_available:
        return
    message = f"{what} is not available here (`bash scripts/setup` installs the test peers)"
    if in_ci():
        pytest.fail(f"{message}; with CI=true a missing peer is a failure", pytrace=False)
    pytest.skip(message)


def require_containers(reason: str | None) -> None:
    """Like require_peer, with the exact reason: skip here, fail loudly in CI."""
    if reason is None:
        return
    message = f"cannot build or run containers here: {reason}"
    if in_ci():
        pytest.fail(f"{message}; with CI=true this is a failure", pytrace=False)
    pytest.skip(message)
