"""`sso` provider end to end against the IAM Identity Center fake: awslogin signs in, botocore
reads what awslogin wrote, every profile of the session works, logout ends it all."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.sso import SsoFake
from tests.support.host import awslogin_script
from tests.support.sso_profile import (
    BOTOCORE_TIME,
    botocore_credentials,
    caller,
    credential_process,
    sign_in_same_device,
    token_path,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_login_writes_botocore_cache_and_every_profile_of_the_session_works(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    lines, authorize_url = sign_in_same_device(sso_env)

    # The authorization request is the AWS CLI's: loopback redirect with a port, PKCE,
    # `scopes` (not `scope`).
    url = urlsplit(authorize_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sso_fake.oidc_url}/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["scopes"] == "sso:account:access"
    assert query["redirect_uri"].startswith("http://127.0.0.1:")
    assert query["redirect_uri"].endswith("/oauth/callback")
    client = sso_fake.state.clients[query["client_id"]]
    assert client.grant_types == ("authorization_code", "refresh_token")
    assert client.redirect_uris == ("http://127.0.0.1/oauth/callback",)
    assert client.issuer_url == sso_fake.settings.start_url
    assert lines[0] == f"Signed in as {caller()}"

    # botocore's token file, as botocore's SSO token provider reads and refreshes it.
    home = Path(sso_env["HOME"])
    path = token_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = json.loads(path.read_text())
    assert token["startUrl"] == sso_fake.settings.start_url
    assert token["region"] == "us-east-1"
    assert sso_fake.state.access_token_is_valid(token["accessToken"])
    assert sso_fake.state.refresh_token_is_valid(token["refreshToken"])
    assert token["clientId"] == query["client_id"]
    assert time.strptime(token["expiresAt"], BOTOCORE_TIME)
    assert time.strptime(token["registrationExpiresAt"], BOTOCORE_TIME)

    # The client registration is cached separately, under the AWS CLI's key.
    others = [p for p in path.parent.iterdir() if p != path]
    assert len(others) == 1
    registration = json.loads(others[0].read_text())
    assert registration["clientId"] == query["client_id"]
    assert registration["grantTypes"] == ["authorization_code", "refresh_token"]
    assert registration["scopes"] == ["sso:account:access"]

    # credential-process on a cache hit: what login fetched, no new portal call.
    issued_at_login = sso_fake.issued_credentials[-1]
    done = credential_process(sso_env, "dev")
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["Version"] == 1
    assert output["AccessKeyId"] == issued_at_login.access_key_id
    assert sso_fake.calls["GetRoleCredentials"] == 1

    # boto3 on profiles without credential_process: botocore's own SSO provider reads
    # awslogin's token file (no second sign-in), for another role and another account.
    for profile, account, role in (
        ("dev-ro", "111111111111", "ReadOnly"),
        ("prod", "222222222222", "ReadOnly"),
    ):
        native = botocore_credentials(sso_env, profile)
        assert native["method"] == "sso"
        issued = sso_fake.issued_credentials[-1]
        assert (issued.account_id, issued.role_name) == (account, role)
        assert native["key"] == issued.access_key_id

    # credential-process for a second profile of the same session: no sign-in needed.
    done = credential_process(sso_env, "dev-ro")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == sso_fake.issued_credentials[-1].access_key_id
    assert sso_fake.issued_credentials[-1].role_name == "ReadOnly"
    assert sso_fake.calls["CreateToken/authorization_code"] == 1
    assert sso_fake.calls["RegisterClient"] == 1


def test_botocore_reads_the_profile_even_with_credential_process_removed(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    config = Path(sso_env["AWS_CONFIG_FILE"])
    line = "credential_process = awslogin credential-process --profile dev\n"
    config.write_text(config.read_text().replace(line, ""))
    assert "credential_process" not in config.read_text()
    sign_in_same_device(sso_env)
    native = botocore_credentials(sso_env, "dev")
    assert native["method"] == "sso"
    assert native["key"] == sso_fake.issued_credentials[-1].access_key_id
    assert sso_fake.issued_credentials[-1].role_name == "Developer"


def test_refresh_near_expiry_rotates_the_token_for_botocore_too(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    path = token_path(Path(sso_env["HOME"]))
    token = json.loads(path.read_text())
    # Ten minutes left: inside botocore's 15-minute window, so awslogin refreshes first.
    token["expiresAt"] = time.strftime(BOTOCORE_TIME, time.gmtime(time.time() + 600))
    path.write_text(json.dumps(token))
    done = credential_process(sso_env, "dev-ro")
    assert done.returncode == 0, done.stderr
    assert sso_fake.calls["CreateToken/refresh_token"] == 1
    refreshed = json.loads(path.read_text())
    assert refreshed["accessToken"] != token["accessToken"]
    assert refreshed["refreshToken"] != token["refreshToken"]
    assert sso_fake.state.refresh_token_is_valid(refreshed["refreshToken"])
    assert refreshed["clientId"] == token["clientId"]
    # botocore is served by the refreshed token and does not refresh again.
    assert botocore_credentials(sso_env, "prod")["method"] == "sso"
    assert sso_fake.calls["CreateToken/refresh_token"] == 1


def test_expired_sso_session_is_one_line_that_says_how_to_sign_in(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    path = token_path(Path(sso_env["HOME"]))
    token = json.loads(path.read_text())
    token["expiresAt"] = time.strftime(BOTOCORE_TIME, time.gmtime(time.time() - 60))
    path.write_text(json.dumps(token))
    sso_fake.settings.refresh_allowed = False  # the session has ended at IAM Identity Center
    for _ in range(2):  # the second time without any call to the fake
        done = credential_process(sso_env, "dev-ro")
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr.strip().splitlines() == [
            "awslogin: the SSO session corp has expired: run `awslogin login --profile dev-ro`"
        ]
    assert sso_fake.calls["CreateToken/refresh_token"] == 1
    assert sso_fake.calls["GetRoleCredentials"] == 1  # only the login's


def test_logout_calls_logout_and_removes_every_token_and_role_credential(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    assert credential_process(sso_env, "dev-ro").returncode == 0
    home = Path(sso_env["HOME"])
    access_token = json.loads(token_path(home).read_text())["accessToken"]
    # The AWS CLI's own SSO role credentials cache goes too; other cached entries stay.
    cli_cache = home / ".aws" / "cli" / "cache"
    cli_cache.mkdir(parents=True)
    (cli_cache / "sso-role.json").write_text(json.dumps({"ProviderType": "sso"}))
    (cli_cache / "assume-role.json").write_text(json.dumps({"ProviderType": "assume-role"}))
    cache = Path(sso_env["AWSLOGIN_CACHE_DIR"])
    cached = sorted(p.name for p in cache.glob("sso--*.json"))
    assert cached == ["sso--dev-ro.json", "sso--dev.json"]

    done = subprocess.run(
        [awslogin_script(), "logout", "--profile", "dev"],
        env=sso_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Successfully signed out of all SSO profiles."
    assert sso_fake.calls["Logout"] == 1
    assert not sso_fake.state.access_token_is_valid(access_token)
    assert not token_path(home).exists()
    assert list(cache.glob("sso--*.json")) == []
    assert [p.name for p in cli_cache.iterdir()] == ["assume-role.json"]
    # The registration is kept (as `aws sso logout` keeps it): the next login reuses it.
    assert len(list((home / ".aws" / "sso" / "cache").iterdir())) == 1

    done = credential_process(sso_env, "dev")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "awslogin: not signed in with profile dev: run `awslogin login --profile dev`"
    )


def test_many_processes_of_two_profiles_refresh_the_shared_token_once(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    path = token_path(Path(sso_env["HOME"]))
    token = json.loads(path.read_text())
    token["expiresAt"] = time.strftime(BOTOCORE_TIME, time.gmtime(time.time() + 600))
    path.write_text(json.dumps(token))
    cache = Path(sso_env["AWSLOGIN_CACHE_DIR"])
    for stale in cache.glob("sso--*.json"):
        stale.unlink()  # every process must fetch role credentials, hence need the token
    processes = [
        subprocess.Popen(
            [awslogin_script(), "credential-process", "--profile", profile],
            env=sso_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for profile in ("dev", "dev-ro") * 5
    ]
    results = [(*p.communicate(timeout=60), p.returncode) for p in processes]
    assert [code for _, _, code in results] == [0] * 10, results
    # Refresh tokens rotate: one refresh, whose new token every other process used.
    assert sso_fake.calls["CreateToken/refresh_token"] == 1
    assert sso_fake.calls["GetRoleCredentials"] == 1 + 2  # login's, then one per profile
    keys = {json.loads(out)["AccessKeyId"] for out, _, _ in results}
    assert len(keys) == 2


def test_a_profile_without_region_signs_in_without_asking_for_one(
    sso_env: dict[str, str],
) -> None:
    # As `aws configure sso` may write it: the sso-session names the region.
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(re.sub(r"(?m)^region = .*\n", "", config.read_text()))
    lines, _ = sign_in_same_device(sso_env)  # its terminal cannot prompt
    assert lines[0] == f"Signed in as {caller()}"
    assert "region = " not in config.read_text().split("[profile dev]")[1]
