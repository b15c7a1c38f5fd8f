"""A login made by awslogin is botocore's own: boto3 loads and refreshes it, and awslogin
keeps working with what boto3 wrote (and the other way round). Older SDKs get the same
session through credential_process."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import boto3
import pytest

from tests.fakes.signin import SigninFake
from tests.support.signin_profile import (
    ALICE,
    cache_path,
    read_cache,
    run_cli,
    sign_in_here,
    use_in_process,
)

pytestmark = pytest.mark.integration


def newest_key(fake: SigninFake) -> str:
    return fake.sessions[-1].credentials[-1].access_key_id


def test_login_writes_botocores_cache_and_the_profile(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    lines, _ = sign_in_here(signin_env)
    assert lines[0] == f"Signed in as {ALICE}"
    cache = read_cache(signin_env)
    assert set(cache) == {
        "accessToken",
        "tokenType",
        "clientId",
        "refreshToken",
        "idToken",
        "dpopKey",
        "awslogin",
    }
    assert set(cache["accessToken"]) == {
        "accessKeyId",
        "secretAccessKey",
        "sessionToken",
        "accountId",
        "expiresAt",
    }
    assert cache["accessToken"]["accountId"] == "123456789012"
    assert cache["accessToken"]["expiresAt"].endswith("Z")
    assert cache["clientId"] == "arn:aws:signin:::devtools/same-device"
    assert cache["dpopKey"].startswith("-----BEGIN EC PRIVATE KEY-----")
    assert stat.S_IMODE(cache_path(signin_env).stat().st_mode) == 0o600
    config = Path(signin_env["AWS_CONFIG_FILE"]).read_text()
    assert config.startswith("# written by the test\n")
    assert f"login_session = {ALICE}\n" in config
    # The refresh lock sits in awslogin's cache, not among botocore's files.
    assert [p.name for p in cache_path(signin_env).parent.iterdir()] == [
        cache_path(signin_env).name
    ]


def test_botocore_loads_our_cache_without_a_call(
    fake: SigninFake, signin_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.settings.access_token_lifetime = 900  # far from botocore's 5-minute refresh point
    sign_in_here(signin_env)
    use_in_process(monkeypatch, signin_env)

    credentials = boto3.Session(profile_name="dev").get_credentials()

    assert credentials.method == "login"
    frozen = credentials.get_frozen_credentials()
    assert frozen.access_key == read_cache(signin_env)["accessToken"]["accessKeyId"]
    assert frozen.access_key == newest_key(fake)
    assert fake.token_calls == 1


def test_botocore_and_awslogin_refresh_each_others_writes(
    fake: SigninFake, signin_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_here(signin_env)  # 2-minute credentials: every reader below refreshes
    ours = read_cache(signin_env)
    use_in_process(monkeypatch, signin_env)

    # 1. botocore's own login provider refreshes near expiry and writes the cache back.
    frozen = boto3.Session(profile_name="dev").get_credentials().get_frozen_credentials()
    session = fake.sessions[0]
    assert fake.token_calls_by_grant == {"authorization_code": 1, "refresh_token": 1}
    assert frozen.access_key == newest_key(fake)
    by_botocore = read_cache(signin_env)
    assert by_botocore["refreshToken"] == session.refresh_token != ours["refreshToken"]
    assert by_botocore["accessToken"]["accessKeyId"] == frozen.access_key
    assert by_botocore["awslogin"] == ours["awslogin"]  # botocore keeps our extension

    # 2. awslogin goes on from botocore's write (the token it had itself is dead now).
    done = run_cli(signin_env, "credential-process", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == newest_key(fake)
    assert fake.token_calls_by_grant["refresh_token"] == 2
    by_awslogin = read_cache(signin_env)
    assert by_awslogin["refreshToken"] == session.refresh_token
    assert by_awslogin["dpopKey"] == ours["dpopKey"]

    # 3. and botocore goes on from awslogin's write, with the same DPoP key.
    frozen = boto3.Session(profile_name="dev").get_credentials().get_frozen_credentials()
    assert fake.token_calls_by_grant["refresh_token"] == 3
    assert frozen.access_key == newest_key(fake)
    assert read_cache(signin_env)["refreshToken"] == session.refresh_token
    assert [s.login_session for s in fake.sessions] == [ALICE]


def test_an_sdk_without_the_login_provider_gets_the_same_session(
    fake: SigninFake, signin_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.settings.access_token_lifetime = 900
    sign_in_here(signin_env)
    config = Path(signin_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text()
        + "\n[profile legacy]\ncredential_process = awslogin credential-process --profile dev\n"
    )
    use_in_process(monkeypatch, signin_env)

    legacy = boto3.Session(profile_name="legacy").get_credentials()
    native = boto3.Session(profile_name="dev").get_credentials()

    assert legacy.method == "custom-process"
    assert native.method == "login"
    old, new = legacy.get_frozen_credentials(), native.get_frozen_credentials()
    assert (old.access_key, old.secret_key, old.token) == (
        new.access_key,
        new.secret_key,
        new.token,
    )
    assert old.access_key == newest_key(fake)
    assert fake.token_calls == 1
