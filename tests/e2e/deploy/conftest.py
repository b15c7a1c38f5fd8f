"""The deploy tests' peers: podman and the images (built once, cached by their inputs);
the host with its own home comes from tests/e2e/conftest.py."""

from __future__ import annotations

import pytest

from tests.peers.ci import require_containers
from tests.peers.podman import Images, Podman, build_images, missing
from tests.support.reporting import Say


@pytest.fixture(scope="session")
def say(pytestconfig: pytest.Config) -> Say:
    return Say(pytestconfig)


@pytest.fixture(scope="session")
def podman(_peer_scratch: None) -> Podman:
    require_containers(missing())
    return Podman()


@pytest.fixture(scope="session")
def images(podman: Podman, say: Say) -> Images:
    built, report = build_images(podman)
    for name, seconds in report.seconds.items():
        state = "cached" if seconds is None else f"built in {seconds:.0f} s"
        say(f"\nimage {name}: {state}")
    return built
