"""`serve` and `exec` for the aws-signin and sso providers, against their fakes: the
credentials reach boto3, refresh while nobody asks, and the end of a session reaches
boto3 as awslogin's one line (then a new sign-in is served without a restart)."""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.signin import run_signin_fake
from tests.fakes.sso import FakeSettings, SsoFake, run_sso_fake
from tests.support.host import awslogin_script
from tests.support.serve_clients import ServeProcess, boto3_failure, boto3_identity, client_env
from tests.support.signin_profile import ALICE, sign_in_here, signin_environ
from tests.support.sso_profile import person_at_browser
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.timeout(120)
def test_aws_signin_session_end_reaches_boto3_then_a_new_sign_in_is_served(
    tmp_path: Path,
) -> None:
    with run_signin_fake(accounts={"alice": ALICE}, session_lifetime=8) as fake:
        env = signin_environ(tmp_path, fake)
        sign_in_here(env)
        with ServeProcess(env, "dev", log=tmp_path / "serve.log") as serve:
            clients = client_env(serve.variables, tmp_path)
            seen = boto3_identity(clients)
            assert seen["method"] == "container-role"
            # Issued for this session (the keeper may have refreshed since).
            assert seen["key"] in {issued.access_key_id for issued in fake.sessions[0].credentials}

            time.sleep(max(0.0, fake.sessions[0].ends_at - time.time()) + 1.0)
            ended = "awslogin: your AWS sign-in session has ended (TOKEN_EXPIRED): " + (
                "run `awslogin login --profile dev`"
            )
            failure = boto3_failure(clients)
            assert failure.startswith("botocore.exceptions.CredentialRetrievalError: ")
            assert "Received non 200 response 403 from container metadata: " in failure
            assert json.loads(failure.split("container metadata: ", 1)[1]) == {
                "code": "LoginRequired",
                "message": ended,
            }
            wait_until(
                lambda: any("until then" in line for line in serve.messages()),
                "the ended-session note",
            )
            assert f"{ended}; until then, clients get this message" in serve.stderr()

            fake.settings.session_lifetime = 3600  # the next session lasts
            sign_in_here(env)  # a new session: no restart of serve needed
            time.sleep(5.5)  # the last failure is answered for 5 s
            again = boto3_identity(clients)
            assert len(fake.sessions) == 2
            assert again["key"] in {issued.access_key_id for issued in fake.sessions[1].credentials}
            assert "awslogin: profile dev is signed in again: serving its credentials" in (
                serve.messages()
            )
        outcomes = [line["outcome"] for line in serve.audit()]
    assert outcomes[0] == "served"
    assert "login_required" in outcomes
    assert outcomes[-1] == "served"
    assert "Traceback" not in serve.stderr()


@pytest.mark.timeout(120)
def test_aws_signin_exec_keeps_the_command_going_across_refreshes(tmp_path: Path) -> None:
    with run_signin_fake(accounts={"alice": ALICE}, access_token_lifetime=6) as fake:
        env = signin_environ(tmp_path, fake)
        sign_in_here(env)
        probe = (
            "import boto3, time\n"
            "session = boto3.Session(); keys = set()\n"
            "for _ in range(20):\n"
            "    credentials = session.get_credentials()\n"
            "    keys.add(credentials.get_frozen_credentials().access_key)\n"
            "    assert credentials._expiry_time.timestamp() > time.time()\n"
            "    time.sleep(0.5)\n"
            "print(len(keys))\n"
        )
        done = subprocess.run(
            [awslogin_script(), "exec", "--profile", "dev", "--", "python", "-c", probe],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0, done.stderr
        assert int(done.stdout) >= 2
        assert fake.token_calls_by_grant["refresh_token"] >= 2


@pytest.fixture
def sso_fake(sts: Any) -> Iterator[SsoFake]:
    """IAM Identity Center whose role credentials last 8 s (the sso tests' `sso_env`)."""
    with run_sso_fake(FakeSettings(role_credentials_ttl=8, sts_url=sts.endpoint_url)) as fake:
        yield fake


def test_sso_serve_refreshes_role_credentials_while_idle(
    sso_fake: SsoFake, sso_env: dict[str, str], tmp_path: Path
) -> None:
    env = sso_env
    login(
        LoginOptions(profile="dev", timeout=30),
        env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=person_at_browser([]),
    )
    with ServeProcess(env, "dev", log=tmp_path / "serve.log") as serve:
        clients = client_env(serve.variables, tmp_path / "client")
        first = boto3_identity(clients)
        assert first["method"] == "container-role"
        issued = {c.access_key_id: c for c in sso_fake.issued_credentials}[first["key"]]
        assert (issued.account_id, issued.role_name) == ("111111111111", "Developer")
        calls = sso_fake.calls["GetRoleCredentials"]
        # Nobody asks; the 8-second role credentials are renewed all the same.
        wait_until(
            lambda: sso_fake.calls["GetRoleCredentials"] >= calls + 2, "two more role fetches"
        )
        later = boto3_identity(clients)
        assert later["key"] in {issued.access_key_id for issued in sso_fake.issued_credentials}
        assert later["key"] != first["key"]
