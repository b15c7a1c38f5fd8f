"""`awslogin login --remote --notify URL` with nobody at a terminal: the link goes to the
destinations (a JSON webhook, an email through a real SMTP server), the scripted phone
takes it from there and signs in; failing destinations are said in one line each."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.signin import run_signin_fake
from tests.peers.oidc import OidcProvider
from tests.support.background import in_background
from tests.support.destinations import JsonWebhook, refused_destination, smtp_server
from tests.support.host import awslogin_script
from tests.support.phone import phone_from_message
from tests.support.signin_profile import ALICE, signin_environ

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def idp_relay_process(relay_process: Any, oidc_provider: OidcProvider) -> Any:
    return relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)


def unattended_login(env: dict[str, str], relay: str, *notify: str) -> subprocess.Popen[str]:
    """`login --remote` as cron or a systemd unit runs it: no terminal on 0, 1 or 2."""
    argv = [awslogin_script(), "login", "--profile", "dev", "--remote", "--relay", relay]
    for url in notify:
        argv += ["--notify", url]
    return subprocess.Popen(
        [*argv, "--timeout", "60"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_link_reaches_a_webhook_and_an_email_and_the_phone_signs_in(
    cli_env: dict[str, str], oidc_provider: OidcProvider, idp_relay_process: Any
) -> None:
    with JsonWebhook() as webhook, smtp_server() as mail, JsonWebhook("fail") as failing:
        started = time.monotonic()
        process = unattended_login(
            cli_env,
            idp_relay_process.url,
            webhook.url,
            mail.url,
            failing.url,
            refused_destination(),
        )
        phone = in_background(lambda: phone_from_message(oidc_provider, mail, 1))
        out, err = process.communicate(timeout=90)
        phone.join(30)
        assert phone.errors == []
        assert process.returncode == 0, err
        assert time.monotonic() - started < 60  # the failing ones held nothing up
        [hook_body] = webhook.bodies
        [mail_body] = mail.bodies
    assert "Signed in as arn:aws:sts::123456789012:assumed-role/dev/" in out
    link = f"{idp_relay_process.url}/p/"
    for body in (hook_body, mail_body):
        assert link in body
        assert "Profile: dev" in body
        assert "Role: arn:aws:iam::123456789012:role/dev" in body
        assert "Check that the page shows this code:" in body
    lines = err.splitlines()
    assert sum("could not notify json://127.0.0.1:" in line for line in lines) == 2
    assert "message sent to 2 of 4 notification destinations" in err
    assert "Traceback" not in err
    cache = json.loads((Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").read_text())
    secrets = [cache["providerState"]["refreshToken"], cache["credentials"]["SessionToken"]]
    for body in (hook_body, mail_body):
        assert not any(secret in body for secret in secrets)


def test_a_denial_on_the_phone_exits_1_in_one_line(
    cli_env: dict[str, str], oidc_provider: OidcProvider, idp_relay_process: Any
) -> None:
    with JsonWebhook() as webhook:
        process = unattended_login(cli_env, idp_relay_process.url, webhook.url)
        phone = in_background(lambda: phone_from_message(oidc_provider, webhook, 1, deny=True))
        _, err = process.communicate(timeout=90)
        phone.join(30)
        assert phone.errors == []
    assert process.returncode == 1
    assert err.strip().splitlines()[-1].startswith("awslogin: sign-in was denied")
    assert "Traceback" not in err


def test_the_profile_and_environment_give_destinations_too(
    cli_env: dict[str, str], oidc_provider: OidcProvider, idp_relay_process: Any
) -> None:
    config = Path(cli_env["AWS_CONFIG_FILE"])
    with JsonWebhook() as from_profile, JsonWebhook() as from_env:
        config.write_text(config.read_text() + f"awslogin_notify = {from_profile.url}\n")
        process = unattended_login(cli_env, idp_relay_process.url)
        phone = in_background(lambda: phone_from_message(oidc_provider, from_profile, 1))
        _, err = process.communicate(timeout=90)
        phone.join(30)
        assert phone.errors == []
        assert process.returncode == 0, err
        env = {**cli_env, "AWSLOGIN_NOTIFY": from_env.url}
        process = unattended_login(env, idp_relay_process.url)
        phone = in_background(lambda: phone_from_message(oidc_provider, from_env, 1))
        _, err = process.communicate(timeout=90)
        phone.join(30)
        assert phone.errors == []
        assert process.returncode == 0, err
        assert len(from_profile.bodies) == 1  # the environment wins over the profile


def test_without_a_relay_or_device_codes_it_refuses_in_one_usage_line(tmp_path: Path) -> None:
    """aws-signin without a relay signs in by a paste at this terminal: from cron nobody
    pastes, so the link is not sent and the login refused before it starts."""
    with run_signin_fake(accounts={"alice": ALICE}) as fake, JsonWebhook() as webhook:
        env = signin_environ(tmp_path, fake)
        argv = [awslogin_script(), "login", "--profile", "dev", "--remote"]
        process = subprocess.run(
            [*argv, "--notify", webhook.url, "--timeout", "60"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert webhook.bodies == []
    assert process.returncode == 2
    assert process.stderr.splitlines() == [
        "awslogin: --notify needs a relay (awslogin_relay) or an identity provider with "
        "device codes: profile dev has neither"
    ]
