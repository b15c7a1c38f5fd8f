"""Provider `sso` with respx: credential-process over the shared sso-session token, the
expired-session line, configure as the AWS CLI writes it, paste-mode parsing, the light path."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.support.command_line import isolated_environ, run
from tests.support.private_files import assert_owner_only

pytestmark = pytest.mark.unit

OIDC = "https://oidc.eu-west-1.amazonaws.com"
PORTAL = "https://portal.sso.eu-west-1.amazonaws.com"
START_URL = "https://d-1234567890.awsapps.com/start"
BOTOCORE_TIME = "%Y-%m-%dT%H:%M:%SZ"
CONFIG = f"""\
# my settings, keep me
[default]
region = us-west-2

[sso-session corp]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile dev]
awslogin_provider = sso
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
region = eu-west-1
credential_process = awslogin credential-process --profile dev

[profile ops]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Operator
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_environ(tmp_path, CONFIG)


def at(seconds_from_now: float) -> str:
    return time.strftime(BOTOCORE_TIME, time.gmtime(time.time() + seconds_from_now))


def token_file(env: dict[str, str]) -> Path:
    name = hashlib.sha1(b"corp").hexdigest()
    return Path(env["HOME"]) / ".aws" / "sso" / "cache" / f"{name}.json"


def write_token(env: dict[str, str], *, left: float = 3600, refresh: bool = True) -> Path:
    token: dict[str, Any] = {
        "startUrl": START_URL,
        "region": "eu-west-1",
        "accessToken": "at-1",
        "expiresAt": at(left),
        "clientId": "client-1",
        "clientSecret": "secret-1",
        "registrationExpiresAt": at(80 * 86400),
    }
    if refresh:
        token["refreshToken"] = "rt-1"
    path = token_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(token))
    return path


def role_credentials(key: str = "ASIAONE", expires_in: float = 3600) -> dict[str, Any]:
    return {
        "roleCredentials": {
            "accessKeyId": key,
            "secretAccessKey": "secret",
            "sessionToken": "session",
            "expiration": int((time.time() + expires_in) * 1000),
        }
    }


def test_every_profile_of_the_session_gets_role_credentials_then_a_cache_hit(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    with respx.mock() as router:
        portal = router.get(f"{PORTAL}/federation/credentials").mock(
            side_effect=[
                httpx.Response(200, json=role_credentials("ASIADEV")),
                httpx.Response(200, json=role_credentials("ASIAOPS")),
            ]
        )
        assert (
            json.loads(run(capsys, env, "credential-process", "--profile", "dev")[1])["AccessKeyId"]
            == "ASIADEV"
        )
        assert (
            json.loads(run(capsys, env, "credential-process", "--profile", "ops")[1])["AccessKeyId"]
            == "ASIAOPS"
        )
        # Cache hits: no further call.
        assert (
            json.loads(run(capsys, env, "credential-process", "--profile", "ops")[1])["AccessKeyId"]
            == "ASIAOPS"
        )
    queries = [dict(call.request.url.params) for call in portal.calls]
    assert queries == [
        {"role_name": "Developer", "account_id": "111111111111"},
        {"role_name": "Operator", "account_id": "222222222222"},
    ]
    assert {call.request.headers["x-amz-sso_bearer_token"] for call in portal.calls} == {"at-1"}
    cached = Path(env["AWSLOGIN_CACHE_DIR"]) / "sso--ops.json"
    assert_owner_only(cached)
    assert "at-1" not in cached.read_text()  # the SSO token lives only in botocore's file


def test_a_refresh_keeps_the_sign_in_time_that_the_session_limit_counts_from(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    with respx.mock() as router:
        router.get(f"{PORTAL}/federation/credentials").mock(
            side_effect=[
                httpx.Response(200, json=role_credentials("ASIAONE", expires_in=60)),
                httpx.Response(200, json=role_credentials("ASIATWO")),
            ]
        )
        assert run(capsys, env, "credential-process", "--profile", "dev")[0] == 0
        cached = Path(env["AWSLOGIN_CACHE_DIR"]) / "sso--dev.json"
        record = json.loads(cached.read_text())
        started = record["session"]["startedAt"] - 1000  # signed in a while ago
        record["session"]["startedAt"] = started
        cached.write_text(json.dumps(record))
        code, out, _ = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 0
    assert json.loads(out)["AccessKeyId"] == "ASIATWO"  # refreshed: the first ran short
    assert json.loads(cached.read_text())["session"] == {
        "startedAt": started,
        "expiresAt": started + 43200,
    }


def test_near_expiry_token_is_refreshed_once_and_written_back_for_botocore(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_token(env, left=300)
    with respx.mock() as router:
        refresh = router.post(f"{OIDC}/token").respond(
            json={"accessToken": "at-2", "expiresIn": 3600, "refreshToken": "rt-2"}
        )
        portal = router.get(f"{PORTAL}/federation/credentials").respond(json=role_credentials())
        code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 0, err
    assert json.loads(refresh.calls[0].request.content) == {
        "grantType": "refresh_token",
        "clientId": "client-1",
        "clientSecret": "secret-1",
        "refreshToken": "rt-1",
    }
    assert portal.calls[0].request.headers["x-amz-sso_bearer_token"] == "at-2"
    token = json.loads(path.read_text())
    assert (token["accessToken"], token["refreshToken"]) == ("at-2", "rt-2")
    assert time.mktime(time.strptime(token["expiresAt"], BOTOCORE_TIME)) > time.mktime(
        time.gmtime(time.time() + 3000)
    )


def test_expired_session_is_one_line_and_then_needs_no_network(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env, left=-60)
    with respx.mock() as router:
        refresh = router.post(f"{OIDC}/token").respond(
            400,
            json={"error": "invalid_grant", "error_description": "expired"},
            headers={"x-amzn-ErrorType": "InvalidGrantException"},
        )
        first = run(capsys, env, "credential-process", "--profile", "dev")
        second = run(capsys, env, "credential-process", "--profile", "ops")
        assert refresh.call_count == 1
    assert first == (
        1,
        "",
        "awslogin: the SSO session corp has expired: run `awslogin login --profile dev`\n",
    )
    assert second[2] == (
        "awslogin: the SSO session corp has expired: run `awslogin login --profile ops`\n"
    )


def test_signed_out_elsewhere_says_so(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    with respx.mock() as router:
        router.get(f"{PORTAL}/federation/credentials").respond(
            401,
            json={"message": "Session token not found or invalid"},
            headers={"x-amzn-ErrorType": "UnauthorizedException"},
        )
        code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 1
    assert err == (
        "awslogin: the SSO session corp is no longer valid (signed out?): "
        "run `awslogin login --profile dev`\n"
    )


def test_not_signed_in_at_all(capsys: pytest.CaptureFixture[str], env: dict[str, str]) -> None:
    with respx.mock() as router:
        code, _, err = run(capsys, env, "credential-process", "--profile", "ops")
        assert not router.calls
    assert (code, err) == (
        1,
        "awslogin: not signed in with profile ops: run `awslogin login --profile ops`\n",
    )


def test_status_reads_the_session_from_the_shared_token(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env, left=3600, refresh=False)
    code, out, _ = run(capsys, env, "status", "--profile", "ops")
    assert code == 0
    assert "provider:    sso" in out
    assert "session:     ends" in out


def test_cache_hit_imports_nothing_heavy(env: dict[str, str]) -> None:
    write_token(env)
    cache = Path(env["AWSLOGIN_CACHE_DIR"])
    cache.mkdir()
    expires = time.time() + 3600
    (cache / "sso--dev.json").write_text(
        json.dumps(
            {
                "version": 1,
                "provider": "sso",
                "profile": "dev",
                "config": {
                    "sso_session": "corp",
                    "sso_account_id": "111111111111",
                    "sso_role_name": "Developer",
                },
                "credentials": {
                    "AccessKeyId": "ASIAHIT",
                    "SecretAccessKey": "s",
                    "SessionToken": "t",
                    "Expiration": time.strftime(BOTOCORE_TIME, time.gmtime(expires)),
                    "ExpiresAt": int(expires),
                },
            }
        )
    )
    probe = (
        "import sys\nfrom awslogin.cli.main import main\n"
        "code = main(['credential-process', '--profile', 'dev'])\n"
        "heavy = {'httpx', 'cryptography', 'qrcode', 'jwt', 'filelock', 'argparse'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy), file=sys.stderr); sys.exit(code or bool(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == "ASIAHIT"


def test_configure_writes_what_the_aws_cli_writes_and_keeps_the_rest(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], tmp_path: Path
) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text("# my settings, keep me\n[default]\nregion = us-west-2\n")
    write_token(env)  # a working token: configure lists without a new sign-in
    with respx.mock() as router:
        router.get(f"{PORTAL}/assignment/accounts").mock(
            side_effect=[
                httpx.Response(
                    200,
                    json={
                        "accountList": [
                            {
                                "accountId": "111111111111",
                                "accountName": "dev",
                                "emailAddress": "d@x",
                            }
                        ],
                        "nextToken": "page-2",
                    },
                ),
                httpx.Response(
                    200,
                    json={
                        "accountList": [
                            {
                                "accountId": "222222222222",
                                "accountName": "prod",
                                "emailAddress": "p@x",
                            }
                        ]
                    },
                ),
            ]
        )
        roles = router.get(f"{PORTAL}/assignment/roles").respond(
            json={"roleList": [{"roleName": "ReadOnly", "accountId": "222222222222"}]}
        )
        code, out, err = run(
            capsys,
            env,
            "configure",
            "--provider",
            "sso",
            "--profile",
            "prod",
            "--sso-session",
            "corp",
            "--sso-start-url",
            START_URL,
            "--sso-region",
            "eu-west-1",
            "--account-id",
            "222222222222",
        )
    assert code == 0, err
    assert dict(roles.calls[0].request.url.params) == {"account_id": "222222222222"}
    assert "The only role you can use: ReadOnly" in err
    assert config.read_text() == (
        "# my settings, keep me\n[default]\nregion = us-west-2\n\n"
        "[sso-session corp]\n"
        f"sso_start_url = {START_URL}\n"
        "sso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n\n"
        "[profile prod]\n"
        "awslogin_provider = sso\n"
        "sso_session = corp\n"
        "sso_account_id = 222222222222\n"
        "sso_role_name = ReadOnly\n"
        "region = eu-west-1\n"
        "credential_process = awslogin credential-process --profile prod\n"
    )
    assert "Profile prod written to" in out


def test_configure_without_a_terminal_names_the_choices(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    before = Path(env["AWS_CONFIG_FILE"]).read_text()
    with respx.mock() as router:
        router.get(f"{PORTAL}/assignment/accounts").respond(
            json={
                "accountList": [
                    {"accountId": "111111111111", "accountName": "dev", "emailAddress": "d@x"},
                    {"accountId": "222222222222", "accountName": "prod", "emailAddress": "p@x"},
                ]
            }
        )
        code, _, err = run(
            capsys,
            env,
            "configure",
            "--provider",
            "sso",
            "--profile",
            "new",
            "--sso-session",
            "corp",
        )
    assert code == 2
    assert err == (
        "awslogin: choose the account with --account-id (you can use: 111111111111, 222222222222)\n"
    )
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == before


def test_configure_refuses_an_account_you_cannot_use(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    with respx.mock() as router:
        router.get(f"{PORTAL}/assignment/accounts").respond(
            json={"accountList": [{"accountId": "111111111111", "accountName": "dev"}]}
        )
        code, _, err = run(
            capsys,
            env,
            "configure",
            "--provider",
            "sso",
            "--profile",
            "new",
            "--sso-session",
            "corp",
            "--account-id",
            "999999999999",
        )
    assert code == 2
    assert "--account-id 999999999999: not one you can use (you can use: 111111111111)" in err


def test_logout_signs_out_of_every_sso_session_even_when_the_portal_is_down(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_token(env)
    cache = Path(env["AWSLOGIN_CACHE_DIR"])
    cache.mkdir()
    (cache / "sso--dev.json").write_text("{}")
    with respx.mock() as router:
        logout = router.post(f"{PORTAL}/logout").mock(side_effect=httpx.ConnectError("down"))
        code, out, err = run(capsys, env, "logout", "--profile", "ops")
    assert code == 0, err
    assert logout.calls[0].request.headers["x-amz-sso_bearer_token"] == "at-1"
    assert out.splitlines() == [
        "Successfully signed out of all SSO profiles.",
        "(the sign-out call failed, the local cache is removed anyway: cannot reach the AWS "
        "access portal at https://portal.sso.eu-west-1.amazonaws.com: could not connect)",
    ]
    assert not path.exists()
    assert not (cache / "sso--dev.json").exists()


def test_logout_all_covers_sso_sessions_and_other_providers(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    cache = Path(env["AWSLOGIN_CACHE_DIR"])
    cache.mkdir()
    (cache / "oidc--someone.json").write_text("{}")
    with respx.mock() as router:
        logout = router.post(f"{PORTAL}/logout").respond(200)
        code, out, err = run(capsys, env, "logout", "--all")
    assert code == 0, err
    assert logout.call_count == 1
    assert out.splitlines()[-1] == "Successfully signed out of all SSO profiles."
    assert "Profile someone: removed an unreadable cache file" in out
    assert list(cache.glob("*.json")) == []


def test_another_role_in_the_profile_needs_no_new_sign_in(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_token(env)
    config = Path(env["AWS_CONFIG_FILE"])
    with respx.mock() as router:
        portal = router.get(f"{PORTAL}/federation/credentials").mock(
            side_effect=[
                httpx.Response(200, json=role_credentials("ASIADEV")),
                httpx.Response(200, json=role_credentials("ASIAADMIN")),
            ]
        )
        run(capsys, env, "credential-process", "--profile", "dev")
        config.write_text(
            config.read_text().replace("sso_role_name = Developer", "sso_role_name = Admin")
        )
        code, out, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 0, err
    assert json.loads(out)["AccessKeyId"] == "ASIAADMIN"
    assert portal.calls[1].request.url.params["role_name"] == "Admin"


def test_unreachable_oidc_while_the_token_still_works_uses_it(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_token(env, left=300)
    with respx.mock() as router:
        router.post(f"{OIDC}/token").mock(side_effect=httpx.ConnectError("down"))
        portal = router.get(f"{PORTAL}/federation/credentials").respond(json=role_credentials())
        code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 0, err
    assert portal.calls[0].request.headers["x-amz-sso_bearer_token"] == "at-1"
    assert json.loads(path.read_text())["refreshToken"] == "rt-1"  # kept for the next try
