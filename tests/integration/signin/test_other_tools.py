"""The aws-signin session shared with the AWS CLI and boto3, which take no awslogin lock:
`aws logout` ends awslogin's credentials too, and a refresh that botocore wins is not
mistaken for the end of the session."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest

from tests.fakes.signin import SigninFake, run_signin_fake
from tests.support.host import awslogin_script
from tests.support.signin_profile import (
    ALICE,
    aws_logout,
    cache_path,
    one_line_error,
    read_cache,
    run_cli,
    sign_in_here,
    signin_environ,
    use_in_process,
)

pytestmark = pytest.mark.integration

NOT_SIGNED_IN = "awslogin: not signed in with profile dev: run `awslogin login --profile dev`"


@pytest.fixture
def strict_fake() -> Iterator[SigninFake]:
    """2-minute credentials (each use refreshes), and a rotated-away refresh token is
    refused at once: the race below is lost, not smoothed over by Sign-In's idempotency
    window (which the fake follows by default)."""
    with run_signin_fake(
        accounts={"alice": ALICE}, access_token_lifetime=120, refresh_replay_window=0
    ) as fake:
        yield fake


def refreshing_in_background(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_aws_logout_stops_credential_process_export_and_status(
    fake: SigninFake,
    signin_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    fake.settings.access_token_lifetime = 900  # served from the cache, no refresh needed
    sign_in_here(signin_env)
    assert run_cli(signin_env, "credential-process", "--profile", "dev").returncode == 0

    use_in_process(monkeypatch, signin_env)
    if how == "deleted":
        aws_logout()  # what the AWS CLI does
    else:
        cache_path(signin_env).write_text("")  # a cache left empty means no session too
    for command in ("credential-process", "export"):
        done = run_cli(signin_env, command, "--profile", "dev")
        assert done.returncode == 1
        assert done.stdout == ""
        assert one_line_error(done) == NOT_SIGNED_IN
    status = run_cli(signin_env, "status", "--profile", "dev")
    assert "  session:     not signed in" in status.stdout.splitlines()
    assert fake.token_calls == 1  # the login's: a signed-out session is not refreshed


def test_aws_logout_during_awslogins_refresh_is_not_undone(
    strict_fake: SigninFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = signin_environ(tmp_path, strict_fake)
    sign_in_here(env)
    use_in_process(monkeypatch, env)
    hold = strict_fake.hold_next_token_call()

    with refreshing_in_background(env) as refreshing:
        hold.wait_arrived()
        aws_logout()
        hold.release()  # Sign-In has no logout: the refresh itself succeeds
        out, err = refreshing.communicate(timeout=30)

    assert refreshing.returncode == 1
    assert out == ""
    assert err.strip().splitlines() == [
        "awslogin: signed out of profile dev while it was being refreshed: "
        "run `awslogin login --profile dev`"
    ]
    assert not cache_path(env).exists()  # not written back for botocore to find
    assert strict_fake.token_calls_by_grant["refresh_token"] == 1


@pytest.mark.parametrize("botocore_lifetime", [900, 120])
def test_a_refresh_that_botocore_wins_meanwhile_goes_on_with_botocores_session(
    strict_fake: SigninFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    botocore_lifetime: int,
) -> None:
    """botocore's credentials are used as they are when they are fresh (15 minutes), and
    refreshed once more with botocore's refresh token when they are not (2 minutes)."""
    env = signin_environ(tmp_path, strict_fake)
    sign_in_here(env)  # 2-minute credentials: awslogin and botocore both want to refresh
    signed_in = read_cache(env)
    use_in_process(monkeypatch, env)
    hold = strict_fake.hold_next_token_call()

    with refreshing_in_background(env) as refreshing:
        hold.wait_arrived()
        # boto3 refreshes the same session (botocore's LoginProvider, no lock) and rotates
        # the refresh token; then awslogin's request, with the old token, goes on.
        strict_fake.settings.access_token_lifetime = botocore_lifetime
        credentials = botocore.session.Session(profile="dev").get_credentials()
        assert credentials.method == "login"
        botocore_keys = credentials.get_frozen_credentials()
        hold.release()
        out, err = refreshing.communicate(timeout=30)

    assert refreshing.returncode == 0, err
    assert err == ""
    (session,) = strict_fake.sessions
    assert not session.revoked
    served = json.loads(out)
    assert served["AccessKeyId"] == session.credentials[-1].access_key_id
    if botocore_lifetime == 900:
        assert served["AccessKeyId"] == botocore_keys.access_key
        assert served["SessionToken"] == botocore_keys.token
        assert strict_fake.token_calls_by_grant["refresh_token"] == 2  # botocore's, ours refused
    else:
        assert served["AccessKeyId"] != botocore_keys.access_key
        assert strict_fake.token_calls_by_grant["refresh_token"] == 3  # and ours with its token
    # The cache holds the latest rotation, and no end of the session.
    cache = read_cache(env)
    assert cache["refreshToken"] == session.refresh_token != signed_in["refreshToken"]
    assert "endedReason" not in cache["awslogin"]
    # The session goes on: the next refresh is accepted.
    strict_fake.settings.access_token_lifetime = 120
    before = strict_fake.token_calls_by_grant["refresh_token"]
    cache["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z"
    cache_path(env).write_text(json.dumps(cache))
    again = run_cli(env, "credential-process", "--profile", "dev")
    assert again.returncode == 0, again.stderr
    assert strict_fake.token_calls_by_grant["refresh_token"] == before + 1
    assert read_cache(env)["refreshToken"] == session.refresh_token
