"""Fixtures for HTTP-level relay tests: the real app over httpx's ASGI transport
(tests/support/relay_app.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from tests.support.fake_clock import FakeClock
from tests.support.relay_app import Relay, build_relay


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_relay_app(clock: FakeClock) -> Callable[..., Relay]:
    """Build the app with BASE_ENV plus keyword settings: `make_relay_app(RELAY_...="...")`."""
    return lambda **env: build_relay(clock, **env)


@pytest.fixture
async def relay_app(make_relay_app: Callable[..., Relay]) -> AsyncIterator[Relay]:
    built = make_relay_app()
    async with built.client:
        yield built
