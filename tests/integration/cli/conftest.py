"""Wiring for CLI integration tests: a profile pointed at the shared peers, and a headless
"person" who signs in (through the loopback redirect or through the relay's pages).

The peers themselves (node-oidc-provider, moto STS behind a token-checking proxy, the
relay process) come from the shared fixtures in tests/conftest.py.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.peers.oidc import OidcProvider

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
USER = "alice"


def awslogin_script() -> str:
    return str(Path(sys.executable).parent / "awslogin")


@pytest.fixture
def cli_env(tmp_path: Path, oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """A config with profile `dev` for the OIDC peer and STS peer; a private cache dir."""
    config = tmp_path / "config"
    config.write_text(
        "# written by the test\n[profile dev]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {oidc_provider.issuer}\n"
        f"awslogin_client_id = {oidc_provider.client_id}\n"
        f"awslogin_role_arn = {ROLE_ARN}\nregion = us-east-1\n"
        "credential_process = awslogin credential-process --profile dev\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "AWSLOGIN_", "SSH_")) and k not in ("BROWSER", "DISPLAY")
    }
    env.update(
        {
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWSLOGIN_CACHE_DIR": str(tmp_path / "cache"),
            "AWS_ENDPOINT_URL_STS": sts.endpoint_url,
            "DISPLAY": ":0",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


def finish_at_idp(oidc_provider: OidcProvider, authorize_url: str, *, deny: bool = False) -> str:
    """Sign in (or cancel) at the IdP; the URL the IdP sends the browser back to."""
    return oidc_provider.complete_login(authorize_url, USER, deny=deny)


def phone_through_relay(
    oidc_provider: OidcProvider, verification_url: str, *, deny: bool = False
) -> httpx.Response:
    """What the person does on the phone: open the relay page, confirm, sign in, come back."""
    with httpx.Client(follow_redirects=False, timeout=15.0) as phone:
        page = phone.get(verification_url)
        assert page.status_code == 200, page.text
        confirm_path = urlsplit(verification_url).path + "/confirm"
        confirmed = phone.post(urljoin(verification_url, confirm_path))
        assert confirmed.status_code == 303, confirmed.text
        back = finish_at_idp(oidc_provider, confirmed.headers["location"], deny=deny)
        return phone.get(back)


def in_background(action: Callable[[], Any]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # reported by the test through the thread's errors
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread
