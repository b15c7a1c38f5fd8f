"""The federation fake keeps what AWS documents, so tests against it mean something:
long-term keys refused, SessionDuration refused for role chaining and out of range, a
token that dies after 15 minutes, `login` redirecting to the destination."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fakes.federation import FederationFake

pytestmark = pytest.mark.integration

SESSION = {"sessionId": "ASIAROLE", "sessionKey": "secret", "sessionToken": "token"}
DESTINATION = "https://console.aws.amazon.com/s3/home"


def get_token(fake: FederationFake, session: dict[str, str], **extra: str) -> httpx.Response:
    params = {"Action": "getSigninToken", "Session": json.dumps(session), **extra}
    return httpx.get(fake.endpoint, params=params, timeout=10)


def login(fake: FederationFake, token: str) -> httpx.Response:
    params = {"Action": "login", "SigninToken": token, "Destination": DESTINATION}
    return httpx.get(fake.endpoint, params=params, timeout=10)


def test_temporary_credentials_get_a_token_that_signs_in(federation_fake: FederationFake) -> None:
    answer = get_token(federation_fake, SESSION)
    assert answer.status_code == 200
    signed_in = login(federation_fake, answer.json()["SigninToken"])
    assert signed_in.status_code == 302
    assert signed_in.headers["location"] == DESTINATION


def test_long_term_keys_are_refused(federation_fake: FederationFake) -> None:
    keys = {"sessionId": "AKIALONGTERM", "sessionKey": "secret"}
    answer = get_token(federation_fake, keys)
    assert answer.status_code == 400
    assert "Long-term credentials" in answer.text


def test_session_duration_is_refused_for_role_chaining_only(
    federation_fake: FederationFake,
) -> None:
    assert get_token(federation_fake, SESSION, SessionDuration="43200").status_code == 200
    federation_fake.state.chained_keys.add("ASIAROLE")
    chained = get_token(federation_fake, SESSION, SessionDuration="3600")
    assert chained.status_code == 400
    assert "role chaining" in chained.text
    assert get_token(federation_fake, SESSION).status_code == 200


@pytest.mark.parametrize("duration", ["899", "43201", "1h", ""])
def test_session_duration_out_of_range_is_refused(
    federation_fake: FederationFake, duration: str
) -> None:
    assert get_token(federation_fake, SESSION, SessionDuration=duration).status_code == 400


def test_a_token_lives_15_minutes(federation_fake: FederationFake) -> None:
    token = get_token(federation_fake, SESSION).json()["SigninToken"]
    federation_fake.state.advance(899)
    assert login(federation_fake, token).status_code == 302
    federation_fake.state.advance(2)
    assert login(federation_fake, token).status_code == 400
    assert login(federation_fake, "made-up").status_code == 400
