"""Runs the fake on a real loopback socket so that clients speak real HTTP to it.

One origin serves both services (their paths do not collide), so
`AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO` both point at `base_url`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from tests.fakes.hold import HoldPoints, RequestHold
from tests.fakes.sso.api import api_routes
from tests.fakes.sso.model import DEFAULT_ACCOUNTS, Account, FakeSettings, IssuedRoleCredentials
from tests.fakes.sso.pages import page_routes
from tests.fakes.sso.state import SsoState


@dataclass
class SsoFake:
    """What a test holds: where the fake listens, its knobs, its state and counters."""

    base_url: str
    state: SsoState
    holds: HoldPoints

    @property
    def oidc_url(self) -> str:
        return self.base_url

    @property
    def portal_url(self) -> str:
        return self.base_url

    @property
    def settings(self) -> FakeSettings:
        return self.state.settings

    @property
    def calls(self) -> Counter[str]:
        return self.state.calls

    @property
    def issued_credentials(self) -> list[IssuedRoleCredentials]:
        return self.state.issued_credentials

    def hold_next_token_call(self, grant_type: str) -> RequestHold:
        """Hold the next CreateToken request of `grant_type`, before the service sees it,
        until the test releases it (tests/fakes/hold.py)."""
        return self.holds.arm(f"token/{grant_type}")

    def endpoint_env(self) -> dict[str, str]:
        """The environment that points botocore (and awslogin) at this fake, and at the
        STS that minted its role credentials when there is one."""
        env = {"AWS_ENDPOINT_URL_SSO_OIDC": self.base_url, "AWS_ENDPOINT_URL_SSO": self.base_url}
        if self.settings.sts_url is not None:
            env["AWS_ENDPOINT_URL_STS"] = self.settings.sts_url
        return env


def create_app(state: SsoState, base_url: str, holds: HoldPoints) -> Starlette:
    return Starlette(routes=[*api_routes(state, lambda: base_url, holds), *page_routes(state)])


@contextmanager
def run_sso_fake(
    settings: FakeSettings | None = None,
    accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
) -> Iterator[SsoFake]:
    """Serves a fresh fake IAM Identity Center on 127.0.0.1 (a free port) for the block."""
    state = SsoState(settings or FakeSettings(), accounts)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    holds = HoldPoints()
    config = uvicorn.Config(
        create_app(state, base_url, holds),
        log_level="warning",
        access_log=False,  # URLs carry codes and states
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sso-fake", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sso fake did not start")
        time.sleep(0.01)
    try:
        yield SsoFake(base_url=base_url, state=state, holds=holds)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
