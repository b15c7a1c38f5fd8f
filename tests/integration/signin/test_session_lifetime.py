"""The life of an aws-signin session against the fake: refreshes under the cross-process
lock, the end of the session, AccessDenied reasons, and switching a profile's session."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from awslogin.errors import AwsloginError
from tests.fakes.signin import SigninFake, run_signin_fake
from tests.support.host import awslogin_script
from tests.support.signin_profile import (
    ALICE,
    BOB,
    cache_path,
    one_line_error,
    read_cache,
    run_cli,
    sign_in_here,
    signin_environ,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_many_processes_refreshing_at_once_make_one_token_call(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env)  # 2-minute credentials: each process below wants a refresh
    fake.settings.access_token_lifetime = 900  # and the first refresh satisfies them all
    processes = [
        subprocess.Popen(
            [awslogin_script(), "credential-process", "--profile", "dev"],
            env=signin_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    keys = {json.loads(out)["AccessKeyId"] for out, _ in outputs}
    assert fake.token_calls_by_grant == {"authorization_code": 1, "refresh_token": 1}
    assert keys == {fake.sessions[0].credentials[-1].access_key_id}


def test_the_end_of_the_session_is_one_line_then_no_more_calls(tmp_path: Path) -> None:
    with run_signin_fake(session_lifetime=2) as fake:
        env = signin_environ(tmp_path, fake)
        sign_in_here(env)
        time.sleep(2.2)  # the credentials (capped by the session) and the session are over

        done = run_cli(env, "credential-process", "--profile", "dev")

        assert done.returncode == 1
        line = one_line_error(done)
        assert "your AWS sign-in session has ended (TOKEN_EXPIRED)" in line
        assert line.endswith("run `awslogin login --profile dev`")
        calls = fake.token_calls
        again = run_cli(env, "credential-process", "--profile", "dev")
        assert again.returncode == 1
        assert "(TOKEN_EXPIRED)" in one_line_error(again)
        assert fake.token_calls == calls  # remembered: no new call for an ended session
        status = run_cli(env, "status", "--profile", "dev")
        assert "session:     ended (your AWS sign-in session has ended" in status.stdout
        # botocore still finds the fields it needs (the dead token is kept for it).
        assert {"refreshToken", "dpopKey", "clientId"} <= set(read_cache(env))


def test_the_twelve_hour_limit_needs_no_call(fake: SigninFake, signin_env: dict[str, str]) -> None:
    sign_in_here(signin_env)
    path = cache_path(signin_env)
    cache = json.loads(path.read_text())
    cache["awslogin"]["sessionStart"] -= 12 * 3600
    cache["awslogin"]["sessionEnd"] = int(time.time()) - 1
    cache["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(cache))

    done = run_cli(signin_env, "credential-process", "--profile", "dev")

    assert done.returncode == 1
    assert "time limit" in one_line_error(done)
    assert fake.token_calls == 1


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("TOKEN_EXPIRED", "your AWS sign-in session has ended (TOKEN_EXPIRED)"),
        ("USER_CREDENTIALS_CHANGED", "have changed (USER_CREDENTIALS_CHANGED)"),
        ("INSUFFICIENT_PERMISSIONS", "(INSUFFICIENT_PERMISSIONS)"),
    ],
)
def test_access_denied_on_refresh_is_one_line_and_exit_1(
    fake: SigninFake, signin_env: dict[str, str], reason: str, words: str
) -> None:
    sign_in_here(signin_env)
    fake.deny_next(reason)
    done = run_cli(signin_env, "credential-process", "--profile", "dev")
    assert done.returncode == 1
    assert done.stdout == ""
    line = one_line_error(done)
    assert words in line
    assert read_cache(signin_env)["refreshToken"] not in line


@pytest.mark.parametrize("shape", ["InternalServerException", "TooManyRequestsError"])
def test_a_passing_failure_of_the_service_is_retried_as_botocore_retries_it(
    fake: SigninFake, signin_env: dict[str, str], shape: str
) -> None:
    sign_in_here(signin_env)  # 2-minute credentials: the next use refreshes
    fake.fail_next(shape)

    done = run_cli(signin_env, "credential-process", "--profile", "dev")

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["AccessKeyId"] == fake.sessions[0].credentials[-1].access_key_id
    assert fake.token_calls_by_grant == {"authorization_code": 1, "refresh_token": 2}
    assert read_cache(signin_env)["refreshToken"] == fake.sessions[0].refresh_token


def test_an_expired_code_at_login_is_one_line_and_exit_1(
    fake: SigninFake, signin_env: dict[str, str], tmp_path: Path
) -> None:
    browser = tmp_path / "browser.py"
    browser.write_text(
        "import sys\nimport httpx\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
        "from tests.fakes.signin.person import answer_sign_in\n"
        "httpx.get(answer_sign_in(sys.argv[1]), timeout=10)\n"
    )
    env = {**signin_env, "BROWSER": f"{sys.executable} {browser} %s"}
    fake.deny_next("AUTHCODE_EXPIRED")

    done = run_cli(env, "login", "--profile", "dev", "--timeout", "30")

    assert done.returncode == 1, done.stderr
    assert "(AUTHCODE_EXPIRED)" in done.stderr.strip().splitlines()[-1]
    assert not cache_path(signin_env).exists()

    login = run_cli(env, "login", "--profile", "dev", "--timeout", "30")
    assert login.returncode == 0, login.stderr
    assert f"Signed in as {ALICE}" in login.stdout


def test_pointing_a_profile_at_another_session_asks_first(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env, username="alice")
    config = Path(signin_env["AWS_CONFIG_FILE"])

    with pytest.raises(AwsloginError, match="nothing was saved"):
        sign_in_here(signin_env, username="bob")  # no terminal to ask on
    assert f"login_session = {ALICE}\n" in config.read_text()
    assert not cache_path(signin_env, BOB).exists()

    with pytest.raises(AwsloginError, match="not saved"):
        sign_in_here(signin_env, username="bob", answers="n\n")
    assert f"login_session = {ALICE}\n" in config.read_text()

    lines, err = sign_in_here(signin_env, username="bob", answers="y\n")
    assert f"Profile dev was signed in as {ALICE}. Save {BOB} instead? (y/n)" in err
    assert lines[0] == f"Signed in as {BOB}"
    assert f"login_session = {BOB}\n" in config.read_text()
    assert read_cache(signin_env, BOB)["accessToken"]["accountId"] == "210987654321"


def test_signing_in_again_as_the_same_person_replaces_the_session_silently(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env)
    first = read_cache(signin_env)
    config_before = Path(signin_env["AWS_CONFIG_FILE"]).read_text()

    lines, err = sign_in_here(signin_env)  # no terminal: there must be nothing to ask

    assert lines[0] == f"Signed in as {ALICE}"
    assert "configured to use" not in err
    second = read_cache(signin_env)
    assert second["refreshToken"] == fake.sessions[1].refresh_token
    assert second["dpopKey"] != first["dpopKey"]  # a new key for each login
    assert Path(signin_env["AWS_CONFIG_FILE"]).read_text() == config_before
