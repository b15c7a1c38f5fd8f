"""`awslogin console` as a subprocess against the federation fake, with sessions from the
real peers: node-oidc-provider and moto STS (oidc), the IAM Identity Center fake (sso)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.host import HostProcess
from tests.fakes.federation import FederationFake
from tests.fakes.sso import SsoFake
from tests.peers.oidc import OidcProvider
from tests.support.host import awslogin_script, host_environ
from tests.support.oidc_profile import sign_in_oidc
from tests.support.phone import NUMBER_PATTERN, console_handover, give_console_key
from tests.support.sso_profile import sign_in_same_device
from tests.support.token_proxy import TokenProxy, route_refreshes

pytestmark = pytest.mark.integration

CONSOLE_HOME = "https://console.aws.amazon.com/console/home?region=us-east-1"


def console(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [awslogin_script(), "console", "--profile", "dev", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def landing(url: str) -> str:
    """Where the federation endpoint sends a browser that opens `url`."""
    answer = httpx.get(url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


@pytest.fixture
def oidc_env(
    cli_env: dict[str, str], oidc_provider: OidcProvider, federation_fake: FederationFake
) -> dict[str, str]:
    """Profile dev signed in with the OIDC peer, the console pointed at the fake."""
    env = {**cli_env, **federation_fake.endpoint_env()}
    sign_in_oidc(env, oidc_provider)
    return env


def cached_credentials(env: dict[str, str]) -> dict[str, Any]:
    record = json.loads((Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").read_text())
    credentials: dict[str, Any] = record["credentials"]
    return credentials


def test_url_only_prints_the_sign_in_url_and_nothing_else(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    result = console(oidc_env, "--url-only")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    url = result.stdout.strip()
    assert result.stdout == url + "\n"
    assert url.startswith(federation_fake.endpoint + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["Action"] == ["login"]
    assert query["SigninToken"][0] in federation_fake.state.tokens
    sent = federation_fake.state.sessions[-1]
    credentials = cached_credentials(oidc_env)
    assert sent.access_key_id == credentials["AccessKeyId"]
    assert sent.session_token == credentials["SessionToken"]
    assert sent.session_duration is None
    assert landing(url) == CONSOLE_HOME


def test_destination_service_and_region(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    result = console(oidc_env, "--url-only", "--destination", "s3", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    assert landing(result.stdout.strip()) == (
        "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    )


def test_a_destination_off_the_console_is_refused_before_any_call(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    result = console(oidc_env, "--url-only", "--destination", "https://evil.example/console")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "console.aws.amazon.com" in result.stderr
    assert federation_fake.state.sessions == []


def test_duration_is_asked_for_and_bounded(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    result = console(oidc_env, "--url-only", "--duration", "3600")
    assert result.returncode == 0, result.stderr
    assert federation_fake.state.sessions[-1].session_duration == 3600
    too_short = console(oidc_env, "--url-only", "--duration", "60")
    assert too_short.returncode == 2
    assert "900 to 43200" in too_short.stderr


def test_a_refusal_of_the_endpoint_is_one_line(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    federation_fake.state.chained_keys.add(cached_credentials(oidc_env)["AccessKeyId"])
    result = console(oidc_env, "--url-only", "--duration", "3600")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "role chaining" in result.stderr
    assert "Traceback" not in result.stderr


def test_passing_faults_are_retried(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    federation_fake.state.fail_next(503, 500)
    result = console(oidc_env, "--url-only")
    assert result.returncode == 0, result.stderr
    assert landing(result.stdout.strip()) == CONSOLE_HOME


def test_print_warns_that_the_link_is_a_bearer_credential(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    result = console(oidc_env, "--print")
    assert result.returncode == 0, result.stderr
    assert "Warning: this link signs whoever opens it in" in result.stderr
    assert "15 minutes" in result.stderr
    assert landing(result.stdout.strip()) == CONSOLE_HOME


def test_opens_this_machines_browser(
    oidc_env: dict[str, str], federation_fake: FederationFake, tmp_path: Path
) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    browser.chmod(0o755)
    result = console({**oidc_env, "BROWSER": f"{browser} %s"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Opened the AWS console as arn:aws:sts::123456789012:assumed-role/dev/" in (
        result.stderr
    )
    assert landing(opened.read_text()) == CONSOLE_HOME


def test_without_a_browser_the_url_is_not_printed_unasked(
    oidc_env: dict[str, str], federation_fake: FederationFake
) -> None:
    env = {key: value for key, value in oidc_env.items() if key != "DISPLAY"}
    result = console({**env, "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "No browser on this machine (SSH session)" in result.stderr
    assert "--print" in result.stderr
    assert federation_fake.state.sessions == []


def test_credentials_short_of_the_federation_minimum_are_refreshed_first(
    oidc_env: dict[str, str], federation_fake: FederationFake, token_proxy: TokenProxy
) -> None:
    cache = Path(oidc_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    # 10 minutes left: fresh for credential-process, short of the console's 15.
    route_refreshes(cache, token_proxy, expires_in=600)
    before = cached_credentials(oidc_env)["AccessKeyId"]
    result = console(oidc_env, "--url-only")
    assert result.returncode == 0, result.stderr
    assert token_proxy.refreshes == 1
    after = cached_credentials(oidc_env)["AccessKeyId"]
    assert after != before
    assert federation_fake.state.sessions[-1].access_key_id == after


def test_not_signed_in_gets_the_login_advice(
    cli_env: dict[str, str], federation_fake: FederationFake
) -> None:
    result = console({**cli_env, **federation_fake.endpoint_env()}, "--url-only")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "awslogin: not signed in with profile dev: run `awslogin login --profile dev`"
    )
    assert federation_fake.state.sessions == []


def test_sso_role_credentials_open_the_console(
    sso_env: dict[str, str], sso_fake: SsoFake, federation_fake: FederationFake
) -> None:
    env = {**sso_env, **federation_fake.endpoint_env()}
    sign_in_same_device(env)
    result = console(
        env, "--url-only", "--destination", "https://us-east-1.console.aws.amazon.com/ec2/home"
    )
    assert result.returncode == 0, result.stderr
    issued = sso_fake.issued_credentials[-1]
    assert federation_fake.state.sessions[-1].access_key_id == issued.access_key_id
    assert landing(result.stdout.strip()) == "https://us-east-1.console.aws.amazon.com/ec2/home"


def test_aws_signin_credentials_are_refused_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile dev]\nawslogin_provider = aws-signin\n"
        "login_session = arn:aws:iam::123456789012:user/alice\nregion = us-east-1\n"
    )
    env = host_environ(AWS_CONFIG_FILE=str(config), HOME=str(tmp_path), DISPLAY=":0")
    result = console(env, "--url-only")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "AWS documents the federation endpoint only for" in result.stderr
    assert "https://console.aws.amazon.com/" in result.stderr


@pytest.mark.slow
def test_remote_hands_the_url_to_the_confirming_phone_sealed(
    oidc_env: dict[str, str], federation_fake: FederationFake, relay_process: Any
) -> None:
    relay = relay_process(RELAY_POLL_INTERVAL="0", RELAY_CONSOLE_ORIGINS=federation_fake.base_url)
    argv = [awslogin_script(), "console", "--profile", "dev", "--no-qr"]
    env = {**oidc_env, "AWSLOGIN_RELAY_URL": relay.url, "SSH_CONNECTION": "10.0.0.1 1 10.0.0.2 22"}
    env.pop("DISPLAY")
    with HostProcess(argv, env) as host, httpx.Client(timeout=10) as phone:
        link = host.wait_for(rf"^ {{6}}({re.escape(relay.url)}/p/\S+)$").group(1)
        key = give_console_key(phone, link, int(host.wait_for(NUMBER_PATTERN).group(0)))
        handover = console_handover(phone, link)
        assert host.wait(timeout=30) == 0, host.transcript()
    assert handover["status"] == "ready"
    url = key.open(handover["sealed"], link.rsplit("/", 1)[1])
    assert landing(url) == CONSOLE_HOME
    assert host.lines["stdout"] == []
    assert "handing the console over through 127.0.0.1" in host.transcript()
    assert "SigninToken" not in host.transcript()


@pytest.mark.slow
def test_a_handover_whose_sign_in_fails_ends_on_both_sides(
    oidc_env: dict[str, str], federation_fake: FederationFake, relay_process: Any
) -> None:
    relay = relay_process(RELAY_POLL_INTERVAL="0")
    federation_fake.state.chained_keys.add(cached_credentials(oidc_env)["AccessKeyId"])
    argv = [awslogin_script(), "console", "--profile", "dev", "--remote", "--relay", relay.url]
    with HostProcess([*argv, "--no-qr", "--duration", "3600"], oidc_env) as host:
        with httpx.Client(timeout=10) as phone:
            link = host.wait_for(rf"^ {{6}}({re.escape(relay.url)}/p/\S+)$").group(1)
            give_console_key(phone, link, int(host.wait_for(NUMBER_PATTERN).group(0)))
            assert console_handover(phone, link) == {"status": "ended"}
        assert host.wait(timeout=30) == 1, host.transcript()
    assert "role chaining" in host.lines["stderr"][-1]
    assert host.lines["stderr"][-1].startswith("awslogin: ")
