"""Serve the fake on a real loopback port from a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import uvicorn

from tests.fakes.hold import HoldPoints, RequestHold
from tests.fakes.signin.app import build_app
from tests.fakes.signin.authorize import CROSS_DEVICE_CLIENT, SAME_DEVICE_CLIENT
from tests.fakes.signin.records import LoginSession
from tests.fakes.signin.service import Settings, SigninService


@dataclass
class SigninFake:
    """Handle given to tests: where the fake listens, what it issued, and its knobs."""

    service: SigninService
    holds: HoldPoints

    @property
    def base_url(self) -> str:
        return self.service.base_url

    @property
    def token_url(self) -> str:
        return self.service.token_url

    @property
    def confirmation_url(self) -> str:
        return self.service.confirmation_url

    @property
    def settings(self) -> Settings:
        return self.service.settings

    @property
    def sessions(self) -> list[LoginSession]:
        return list(self.service.sessions)

    @property
    def token_calls(self) -> int:
        return self.service.token_calls

    @property
    def token_calls_by_grant(self) -> dict[str, int]:
        return dict(self.service.token_calls_by_grant)

    @property
    def proof_jtis(self) -> list[str]:
        return list(self.service.proof_jtis)

    def deny_next(self, reason: str, count: int = 1) -> None:
        self.service.deny_next(reason, count)

    def fail_next(self, shape: str, count: int = 1) -> None:
        self.service.fail_next(shape, count)

    def revoke(self, login_session: str) -> None:
        self.service.revoke(login_session)

    @property
    def revoke_calls(self) -> int:
        """RevokeOAuth2TokenWithIAM requests received, refused ones too."""
        return self.service.revoke_calls

    @property
    def revoked_tokens(self) -> list[str]:
        return list(self.service.revoked_tokens)

    def deny_revocation(self, denied: bool = True) -> None:
        """Refuse RevokeOAuth2TokenWithIAM as IAM does without the permission."""
        self.settings.revocation_denied = denied

    def hold_next_token_call(self) -> RequestHold:
        """Hold the next CreateOAuth2Token request, before the service sees it, until the
        test releases it (tests/fakes/hold.py)."""
        return self.holds.arm("token")

    def hold_next_revocation(self) -> RequestHold:
        """Hold the next RevokeOAuth2TokenWithIAM request, before the service sees it,
        until the test releases it."""
        return self.holds.arm("revoke")

    def authorize_url(
        self,
        *,
        state: str,
        code_challenge: str,
        redirect_uri: str | None = None,
        cross_device: bool = False,
        method: str = "SHA-256",
    ) -> str:
        """The URL a client opens; cross-device uses the confirmation page as redirect."""
        params = {
            "response_type": "code",
            "client_id": CROSS_DEVICE_CLIENT if cross_device else SAME_DEVICE_CLIENT,
            "state": state,
            "code_challenge_method": method,
            "scope": "openid",
            "redirect_uri": self.confirmation_url if cross_device else redirect_uri or "",
            "code_challenge": code_challenge,
        }
        return f"{self.base_url}/v1/authorize?{urlencode(params)}"


@contextmanager
def run_signin_fake(
    *,
    accounts: Mapping[str, str] | None = None,
    access_token_lifetime: int = 900,
    session_lifetime: float = 12 * 3600,
    code_lifetime: float = 600,
    dpop_max_age: float = 300,
    refresh_replay_window: float | None = None,
) -> Iterator[SigninFake]:
    """Start the fake on 127.0.0.1 (free port) and stop it on exit."""
    settings = Settings(
        access_token_lifetime=access_token_lifetime,
        session_lifetime=session_lifetime,
        code_lifetime=code_lifetime,
        dpop_max_age=dpop_max_age,
        refresh_replay_window=refresh_replay_window,
    )
    if accounts is not None:
        settings.accounts = dict(accounts)
    service = SigninService(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    service.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    holds = HoldPoints()
    config = uvicorn.Config(
        build_app(service, holds), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("sign-in fake did not start")
        time.sleep(0.01)
    try:
        yield SigninFake(service, holds)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
