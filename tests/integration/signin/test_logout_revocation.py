"""`awslogin logout` on an aws-signin profile revokes the refresh token chain at AWS
Sign-In (the fake, RevokeOAuth2TokenWithIAM with SigV4), and removes the local session
whatever AWS Sign-In answers: a refusal or no answer is one line on stderr, exit 0."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from awslogin.providers.aws_signin import REVOKE_TIMEOUT_SECONDS
from tests.fakes.signin import SigninFake
from tests.support.signin_profile import (
    cache_path,
    one_line_error,
    read_cache,
    run_cli,
    sign_in_here,
)

pytestmark = pytest.mark.integration


def test_logout_revokes_the_chain_and_a_later_refresh_is_refused(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env)
    saved = cache_path(signin_env).read_text()
    token = read_cache(signin_env)["refreshToken"]

    done = run_cli(signin_env, "logout", "--profile", "dev")

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "refresh token revoked at AWS Sign-In" in done.stdout
    assert not cache_path(signin_env).exists()
    assert fake.revoked_tokens == [token]
    # The session comes back from a backup: its refresh token no longer works (the fake's
    # credentials last 2 minutes, so credential-process refreshes at once).
    cache_path(signin_env).write_text(saved)
    again = run_cli(signin_env, "credential-process", "--profile", "dev")
    assert again.returncode == 1
    assert again.stdout == ""
    assert "awslogin login --profile dev" in one_line_error(again)
    assert fake.token_calls_by_grant["refresh_token"] == 1


def test_a_denied_revocation_says_so_in_one_line_and_still_removes_the_session(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env)
    fake.deny_revocation()

    done = run_cli(signin_env, "logout", "--profile", "dev")

    assert done.returncode == 0, done.stderr
    line = one_line_error(done)
    assert "profile dev: refresh token not revoked" in line
    assert "signin:RevokeOAuth2TokenWithIAM" in line
    assert "Profile dev: removed cached tokens and credentials" in done.stdout
    assert not cache_path(signin_env).exists()
    assert fake.revoke_calls == 1
    assert fake.revoked_tokens == []
    assert not fake.sessions[0].revoked


@pytest.fixture
def silent_peer() -> Iterator[str]:
    """A loopback address that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.slow
def test_a_silent_sign_in_service_delays_logout_by_the_revocation_timeout_only(
    fake: SigninFake, signin_env: dict[str, str], silent_peer: str
) -> None:
    sign_in_here(signin_env)
    signin_env["AWS_ENDPOINT_URL_SIGNIN"] = silent_peer

    started = time.monotonic()
    done = run_cli(signin_env, "logout", "--profile", "dev")
    took = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    line = one_line_error(done)
    assert "refresh token not revoked: cannot reach AWS Sign-In" in line
    assert not cache_path(signin_env).exists()
    assert REVOKE_TIMEOUT_SECONDS <= took < REVOKE_TIMEOUT_SECONDS + 10
