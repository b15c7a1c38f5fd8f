"""The sso session shared with the AWS CLI and boto3, which take no awslogin lock: a sign-out
by the AWS CLI ends awslogin's credentials too, and a refresh that botocore wins is not
mistaken for the end of the session."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.fakes.sso import SsoFake
from tests.support.host import awslogin_script
from tests.support.sso_profile import (
    BOTOCORE_TIME,
    aws_sso_logout,
    botocore_credentials,
    credential_process,
    sign_in_same_device,
    token_path,
)

pytestmark = pytest.mark.integration

SIGN_IN_AGAIN = "awslogin: not signed in to SSO session corp: run `awslogin login --profile dev`"


def awslogin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [awslogin_script(), *args], env=env, capture_output=True, text=True, timeout=30
    )


def token_due_for_refresh(env: dict[str, str]) -> dict[str, str]:
    """Ten minutes left on the token: inside awslogin's and botocore's refresh windows.
    awslogin's cached role credentials go, so that its next use needs the token."""
    path = token_path(Path(env["HOME"]))
    token: dict[str, str] = json.loads(path.read_text())
    token["expiresAt"] = time.strftime(BOTOCORE_TIME, time.gmtime(time.time() + 600))
    path.write_text(json.dumps(token))
    for cached in Path(env["AWSLOGIN_CACHE_DIR"]).glob("sso--*.json"):
        cached.unlink()
    return token


def test_aws_sso_logout_stops_credential_process_export_and_status(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    assert credential_process(sso_env, "dev").returncode == 0
    cached = Path(sso_env["AWSLOGIN_CACHE_DIR"]) / "sso--dev.json"
    assert json.loads(cached.read_text())["credentials"]["ExpiresAt"] > time.time() + 3000

    aws_sso_logout(sso_env)

    assert sso_fake.calls["Logout"] == 1
    assert not token_path(Path(sso_env["HOME"])).exists()
    assert cached.exists()  # the AWS CLI does not know awslogin's cache...
    for command in ("credential-process", "export"):  # ...but awslogin no longer serves it
        done = awslogin(sso_env, command, "--profile", "dev")
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr.strip().splitlines() == [SIGN_IN_AGAIN]
    status = awslogin(sso_env, "status", "--profile", "dev")
    assert status.returncode == 0, status.stderr
    assert "  credentials: none (sign in again for new ones)" in status.stdout.splitlines()
    assert (
        "  session:     ended (not signed in to SSO session corp); "
        "run `awslogin login --profile dev`"
    ) in status.stdout.splitlines()
    assert sso_fake.calls["GetRoleCredentials"] == 1  # the login's: nothing asked since

    # A new sign-in (by the AWS CLI or by awslogin) brings the profile back.
    sign_in_same_device(sso_env)
    done = credential_process(sso_env, "dev")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == sso_fake.issued_credentials[-1].access_key_id


def test_a_sign_out_during_awslogins_refresh_is_not_undone(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    token_due_for_refresh(sso_env)
    hold = sso_fake.hold_next_token_call("refresh_token")
    with subprocess.Popen(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=sso_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as refreshing:
        hold.wait_arrived()
        aws_sso_logout(sso_env)
        hold.release()
        out, err = refreshing.communicate(timeout=30)

    assert refreshing.returncode == 1
    assert out == ""
    assert err.strip().splitlines() == [
        "awslogin: signed out of SSO session corp: run `awslogin login --profile dev`"
    ]
    # The token file the AWS CLI deleted stays deleted: botocore sees no session either.
    assert not token_path(Path(sso_env["HOME"])).exists()
    assert sso_fake.calls["GetRoleCredentials"] == 1


def test_a_refresh_that_botocore_wins_meanwhile_goes_on_with_botocores_token(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sign_in_same_device(sso_env)
    before = token_due_for_refresh(sso_env)
    hold = sso_fake.hold_next_token_call("refresh_token")
    with subprocess.Popen(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=sso_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as refreshing:
        hold.wait_arrived()
        # boto3 on another profile of the session refreshes the same token (no lock) and
        # rotates its refresh token; then awslogin's request, still with the old one, goes.
        assert botocore_credentials(sso_env, "prod")["method"] == "sso"
        rotated = json.loads(token_path(Path(sso_env["HOME"])).read_text())
        assert rotated["refreshToken"] != before["refreshToken"]
        hold.release()
        out, err = refreshing.communicate(timeout=30)

    assert refreshing.returncode == 0, err
    assert err == ""
    issued = sso_fake.issued_credentials[-1]
    assert (issued.role_name, issued.account_id) == ("Developer", "111111111111")
    assert json.loads(out)["AccessKeyId"] == issued.access_key_id
    assert sso_fake.calls["CreateToken/refresh_token"] == 2  # botocore's, and awslogin's refused
    # botocore's token is kept as botocore wrote it, and it still works for both tools.
    after = json.loads(token_path(Path(sso_env["HOME"])).read_text())
    assert after == rotated
    assert sso_fake.state.refresh_token_is_valid(after["refreshToken"])
    assert botocore_credentials(sso_env, "dev-ro")["method"] == "sso"
