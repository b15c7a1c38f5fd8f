"""The deploy tests' peers: podman, the images (built once, cached by their inputs) and
a host with its own home; the host fixtures are those of tests/e2e/login."""

from __future__ import annotations

import pytest

from tests.e2e.login.conftest import host_env, host_home, start_login
from tests.peers.ci import in_ci
from tests.peers.podman import Images, Podman, build_images, missing

__all__ = ["host_env", "host_home", "images", "podman", "require", "say", "start_login"]


def require(reason: str | None) -> None:
    """Like require_peer, with the exact reason: skip here, fail loudly in CI."""
    if reason is None:
        return
    message = f"cannot build or run containers here: {reason}"
    if in_ci():
        pytest.fail(f"{message}; with CI=true this is a failure", pytrace=False)
    pytest.skip(message)


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


@pytest.fixture(scope="session")
def say(pytestconfig: pytest.Config) -> Say:
    return Say(pytestconfig)


@pytest.fixture(scope="session")
def podman(_peer_scratch: None) -> Podman:
    require(missing())
    return Podman()


@pytest.fixture(scope="session")
def images(podman: Podman, say: Say) -> Images:
    built, report = build_images(podman)
    for name, seconds in report.seconds.items():
        state = "cached" if seconds is None else f"built in {seconds:.0f} s"
        say(f"\nimage {name}: {state}")
    return built
