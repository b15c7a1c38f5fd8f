"""A held token call waits at the fake until released, and only that one: what the race
tests rely on to let another party act in the middle of awslogin's refresh. A held
revocation, likewise, lets a test interrupt awslogin in the middle of one."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from tests.fakes.hold import RequestHold
from tests.fakes.signin import run_signin_fake
from tests.fakes.sso import run_sso_fake

pytestmark = pytest.mark.integration


def in_thread(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[int]]:
    statuses: list[int] = []
    thread = threading.Thread(target=lambda: statuses.append(call().status_code), daemon=True)
    thread.start()
    return thread, statuses


def held_then_released(
    hold: RequestHold,
    call: Callable[[], httpx.Response],
    calls_seen: Callable[[], int],
    refused_with: int,
) -> None:
    """`call` twice: the first waits at the hold, the second passes; then release."""
    held, held_status = in_thread(call)
    hold.wait_arrived(10)
    assert calls_seen() == 0  # held before the service saw it
    assert call().status_code == refused_with  # the next one passes while the first waits
    assert calls_seen() == 1
    assert held_status == []
    hold.release()
    held.join(10)
    assert held_status == [refused_with]
    assert calls_seen() == 2


def test_the_signin_fake_holds_the_next_token_call_until_released() -> None:
    with run_signin_fake() as fake:
        hold = fake.hold_next_token_call()

        def call() -> httpx.Response:
            return httpx.post(fake.token_url, json={"grantType": "refresh_token"}, timeout=15)

        held_then_released(hold, call, lambda: fake.token_calls, 400)


def test_the_signin_fake_holds_the_next_revocation_until_released() -> None:
    with run_signin_fake() as fake:
        hold = fake.hold_next_revocation()

        def call() -> httpx.Response:
            url = f"{fake.base_url}/v1/revoke?x-amz-client-auth-method=iam"
            return httpx.post(url, json={"token": "ASORx"}, timeout=15)  # unsigned

        held_then_released(hold, call, lambda: fake.revoke_calls, 403)


def test_the_sso_fake_holds_the_next_token_call_of_one_grant_until_released() -> None:
    with run_sso_fake() as fake:
        hold = fake.hold_next_token_call("refresh_token")

        def token_call(grant_type: str, timeout: float = 15) -> httpx.Response:
            body = {"grantType": grant_type, "clientId": "c", "clientSecret": "s"}
            return httpx.post(f"{fake.oidc_url}/token", json=body, timeout=timeout)

        assert token_call("authorization_code", 5).status_code == 401  # not held: another grant

        def call() -> httpx.Response:
            return token_call("refresh_token")

        held_then_released(hold, call, lambda: fake.calls["CreateToken/refresh_token"], 401)
