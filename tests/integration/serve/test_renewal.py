"""Renewal in `exec` and `serve` (oidc through the relay, sso by device code, aws-signin
through the relay's paste page): the link goes to the destinations before the session
ends, the scripted phone takes it from there and signs in, and the command's child never
sees a failed credentials request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.signin import SigninFake, run_signin_fake
from tests.fakes.sso import SsoFake
from tests.peers.oidc import OidcProvider
from tests.support.destinations import JsonWebhook, link_in, refused_destination, smtp_server
from tests.support.host import awslogin_script
from tests.support.oidc_profile import renew_through, sign_in_oidc
from tests.support.phone import (
    approve_device_from_message,
    cancel_from_message,
    paste_from_message,
    phone_from_message,
)
from tests.support.serve_clients import (
    BOTO3_EVERY_HALF_SECOND,
    answer_renewals,
    assert_new_credentials_after_each,
    calls_in,
    failed,
)
from tests.support.signin_profile import (
    ALICE,
    BOB,
    cache_path,
    read_cache,
    sign_in_here,
    signin_environ,
)
from tests.support.sso_profile import caller, sign_in_same_device, token_path
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SESSION_SECONDS = 90
RENEW_BEFORE = "60s"


@pytest.fixture
def renewing_env(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, relay_process: Any
) -> Iterator[dict[str, str]]:
    """Profile dev with a relay and a 90-second session, signed in; STS's credentials
    last 60 s, so the endpoint refreshes them all along."""
    relay = relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)
    renew_through(cli_env, relay.url, SESSION_SECONDS)
    sts.credential_seconds = 60
    sign_in_oidc(cli_env, oidc_provider)
    yield cli_env
    sts.credential_seconds = None


def test_exec_renews_three_times_and_the_child_never_fails(
    renewing_env: dict[str, str], oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    log, stop_file = tmp_path / "calls.jsonl", tmp_path / "stop"
    with (
        JsonWebhook() as webhook,
        smtp_server() as mail,
        JsonWebhook("hang") as hanging,
        JsonWebhook("fail") as failing,
        (tmp_path / "exec.err").open("w") as err_out,
    ):
        destinations = [webhook.url, mail.url, hanging.url, failing.url, refused_destination()]
        argv = [awslogin_script(), "exec", "--profile", "dev", "--renew-before", RENEW_BEFORE]
        for url in destinations:
            argv += ["--notify", url]
        argv += ["--", sys.executable, "-c", BOTO3_EVERY_HALF_SECOND, str(log), str(stop_file)]
        process = subprocess.Popen(argv, env=renewing_env, stdin=subprocess.DEVNULL, stderr=err_out)
        try:
            # Each renewal's link, taken from the email and the webhook in turn.
            receivers = [mail, webhook, mail]
            renewals = answer_renewals(oidc_provider, renewing_env, receivers, SESSION_SECONDS)
            wait_until(
                lambda: any(call["at"] > renewals[-1][1] + 1 for call in calls_in(log)),
                "the child's calls after the last renewal",
            )
        finally:
            stop_file.touch()
            process.wait(timeout=60)
    err = (tmp_path / "exec.err").read_text()
    assert process.returncode == 0, err
    calls = calls_in(log)
    assert failed(calls) == []
    assert calls[-1]["at"] - calls[0]["at"] > 2 * (SESSION_SECONDS - 60)
    assert_new_credentials_after_each(calls, renewals)
    assert "could not notify json://127.0.0.1:" in err
    assert "Traceback" not in err
    assert err.count("was renewed: serving the new credentials") == 3


def serve_process(
    env: dict[str, str], *notify: str, renew_before: str = "80s"
) -> subprocess.Popen[str]:
    """`serve` with its messages and audit lines in a file (a pipe nobody reads while it
    serves would fill up and stop it): `stop` returns them."""
    argv = [awslogin_script(), "serve", "--profile", "dev", "--renew-before", renew_before]
    for url in notify:
        argv += ["--notify", url]
    err = tempfile.TemporaryFile("w+")  # noqa: SIM115 (read and closed by `stop`)
    process = subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True
    )
    process.stderr = err
    return process


def said(process: subprocess.Popen[str]) -> str:
    """What serve wrote on stderr so far."""
    assert process.stderr is not None
    process.stderr.seek(0)
    return process.stderr.read()


def stop(process: subprocess.Popen[str]) -> str:
    """Stop serve; what it wrote on stderr."""
    process.terminate()
    process.wait(timeout=30)
    assert process.stderr is not None
    process.stderr.seek(0)
    with process.stderr:
        return process.stderr.read()


def endpoint_of(process: subprocess.Popen[str]) -> tuple[str, str]:
    assert process.stdout is not None
    variables: dict[str, str] = {}
    while len(variables) < 2:
        line = process.stdout.readline()
        assert line, "serve printed no variables"
        name, _, value = line.removeprefix("export ").strip().partition("=")
        if name.startswith("AWS_CONTAINER_"):
            variables[name] = value.strip("'")
    return (
        variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
    )


def test_nobody_answers_links_are_re_sent_then_serve_answers_login_required(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, relay_process: Any
) -> None:
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=oidc_provider.issuer, RELAY_PAIRING_TTL="30", RELAY_RESULT_TTL="20"
    )
    config = Path(cli_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + f"awslogin_relay = {relay.url}\nawslogin_session_limit = 75\n"
    )
    sts.credential_seconds = 60
    try:
        sign_in_oidc(cli_env, oidc_provider)
        ends = time.time() + 75
        with JsonWebhook() as webhook:
            # Links at about 5, 35 and 65 s (each pairing lives 30 s); the end at 75 s.
            process = serve_process(cli_env, webhook.url, renew_before="70s")
            try:
                url, token = endpoint_of(process)
                first = webhook.wait_for_message(1, 30)
                second = webhook.wait_for_message(2, 50)
                assert first != second  # a new link for each pairing
                shown = subprocess.run(
                    [awslogin_script(), "status", "--profile", "dev"],
                    env=cli_env,
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=True,
                ).stdout
                assert "  renewal:     link sent " in shown
                assert "to 1 destination, waiting" in shown
                served = httpx.get(url, headers={"Authorization": token}, timeout=10)
                assert served.status_code == 200
                wait_until(
                    lambda: (
                        httpx.get(url, headers={"Authorization": token}, timeout=10).status_code
                        == 403
                    ),
                    "LoginRequired after the session's end",
                    timeout=max(5.0, ends - time.time() + 75),
                )
                ended = httpx.get(url, headers={"Authorization": token}, timeout=10)
                assert ended.json()["code"] == "LoginRequired"
                sent_by_the_end = len(webhook.bodies)
                assert sent_by_the_end >= 3
                # After the end the renewal is still offered: the next link signs in.
                phone_from_message(oidc_provider, webhook, sent_by_the_end + 1, timeout=40)
                wait_until(
                    lambda: (
                        httpx.get(url, headers={"Authorization": token}, timeout=10).status_code
                        == 200
                    ),
                    "credentials again after the renewal",
                )
            finally:
                err = stop(process)
    finally:
        sts.credential_seconds = None
    assert "Traceback" not in err


def test_a_denial_stops_the_renewals_with_one_last_message(
    renewing_env: dict[str, str], oidc_provider: OidcProvider
) -> None:
    with JsonWebhook() as webhook:
        process = serve_process(renewing_env, webhook.url)
        try:
            endpoint_of(process)
            phone_from_message(oidc_provider, webhook, 1, deny=True, timeout=30)
            last = webhook.wait_for_message(2, 30)
            wait_until(lambda: "renewals of profile dev stopped" in said(process), "the stop")
        finally:
            err = stop(process)
    assert "stopped" in last.splitlines()[0]
    assert "awslogin login --profile dev" in last
    assert len(webhook.bodies) == 2  # no link after the denial
    assert "renewals of profile dev stopped: sign-in was denied" in err


def test_a_logout_withdraws_the_renewal_and_no_link_goes_out_until_a_login_by_hand(
    renewing_env: dict[str, str], oidc_provider: OidcProvider
) -> None:
    """A renewal is under way (80 s before the end of a 90 s session: at once); the
    person signs out: serve answers LoginRequired, withdraws the renewal (its pairing
    cancelled) and sends no new link; a login by hand serves again and renews again."""
    with JsonWebhook() as webhook:
        process = serve_process(renewing_env, webhook.url)
        try:
            url, token = endpoint_of(process)
            webhook.wait_for_message(1, 30)
            subprocess.run(
                [awslogin_script(), "logout", "--profile", "dev"],
                env=renewing_env,
                capture_output=True,
                timeout=30,
                check=True,
            )
            ended = httpx.get(url, headers={"Authorization": token}, timeout=30)
            assert ended.json()["code"] == "LoginRequired"
            wait_until(lambda: "withdrawn: it was signed out" in said(process), "the withdrawal")
            assert len(webhook.bodies) == 1
            sign_in_oidc(renewing_env, oidc_provider)
            wait_until(
                lambda: (
                    httpx.get(url, headers={"Authorization": token}, timeout=10).status_code == 200
                ),
                "credentials after the login by hand",
            )
            # The new session's renewal is due at once too (80 s of 90): its link.
            assert "renew the session of profile dev" in webhook.wait_for_message(2, 90)
        finally:
            err = stop(process)
    assert "no renewal link is sent after a logout" in err
    assert "Traceback" not in err


def test_serve_started_after_the_end_answers_login_required_and_renews_at_once(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, relay_process: Any
) -> None:
    """A systemd unit restarted after a reboot past the session's end: serve starts,
    answers LoginRequired, and the renewal's link goes out at once."""
    relay = relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)
    renew_through(cli_env, relay.url, 10)
    sts.credential_seconds = 60
    try:
        sign_in_oidc(cli_env, oidc_provider)
        wait_until(
            lambda: (
                subprocess.run(
                    [awslogin_script(), "credential-process", "--profile", "dev"],
                    env=cli_env,
                    capture_output=True,
                    timeout=30,
                ).returncode
                == 1
            ),
            "the session's end",
            timeout=40,
        )
        config = Path(cli_env["AWS_CONFIG_FILE"])
        limit = f"awslogin_session_limit = {SESSION_SECONDS}"
        config.write_text(config.read_text().replace("awslogin_session_limit = 10", limit))
        with JsonWebhook() as webhook:
            process = serve_process(cli_env, webhook.url, renew_before="1s")
            try:
                url, token = endpoint_of(process)
                ended = httpx.get(url, headers={"Authorization": token}, timeout=30)
                assert ended.json()["code"] == "LoginRequired"
                phone_from_message(oidc_provider, webhook, 1, timeout=30)
                wait_until(
                    lambda: (
                        httpx.get(url, headers={"Authorization": token}, timeout=10).status_code
                        == 200
                    ),
                    "credentials after the renewal",
                )
            finally:
                err = stop(process)
    finally:
        sts.credential_seconds = None
    assert "time limit: run `awslogin login --profile dev`; until the renewal signs in" in err
    assert "profile dev was renewed" in err
    assert "Traceback" not in err


def test_a_refresh_refused_by_the_idp_starts_a_renewal_at_once(
    renewing_env: dict[str, str], oidc_provider: OidcProvider
) -> None:
    cache = Path(renewing_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    with JsonWebhook() as webhook:
        process = serve_process(renewing_env, webhook.url, renew_before="1s")
        try:
            url, token = endpoint_of(process)
            state = json.loads(cache.read_text())["providerState"]
            revoked = httpx.post(
                state["revocationEndpoint"],
                data={
                    "token": state["refreshToken"],
                    "token_type_hint": "refresh_token",
                    "client_id": oidc_provider.client_id,
                },
                timeout=10,
            )
            assert revoked.status_code == 200
            started = time.monotonic()
            body = webhook.wait_for_message(1, 60)
            assert time.monotonic() - started < 45  # long before the session's end
            assert "renew the session of profile dev" in body
            phone_from_message(oidc_provider, webhook, 1)
            wait_until(
                lambda: (
                    httpx.get(url, headers={"Authorization": token}, timeout=10).status_code == 200
                ),
                "credentials again after the renewal",
            )
        finally:
            err = stop(process)
    assert "was renewed" in err
    assert os.path.exists(cache)


def test_sso_renews_by_device_code_and_a_denial_there_stops_it(
    sso_env: dict[str, str], sso_fake: SsoFake, tmp_path: Path
) -> None:
    """sso's own remote flow is a device code: the message carries IAM Identity Center's
    verification link; the person allows once (renewed), then denies (stopped). The token
    is refreshable (its registration lasts 90 days): the session's end is the sign-in
    plus `awslogin_session_limit`, so the renewal is due."""
    assert sso_fake.settings.refresh_allowed
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text().replace(
            "[profile dev]\n", "[profile dev]\nawslogin_session_limit = 90\n", 1
        )
    )
    sign_in_same_device(sso_env)
    first = token_path(tmp_path).read_text()
    with JsonWebhook() as webhook:
        process = serve_process(sso_env, webhook.url, renew_before="85s")
        try:
            url, token = endpoint_of(process)
            body = webhook.wait_for_message(1, 30)
            assert "user_code=" in link_in(body)
            approve_device_from_message(webhook, 1)
            wait_until(lambda: token_path(tmp_path).read_text() != first, "the new sso token")
            assert httpx.get(url, headers={"Authorization": token}, timeout=10).status_code == 200
            # The new session is due at once too (85 s of 90): its link, denied this time.
            approve_device_from_message(webhook, 2, approve=False)
            last = webhook.wait_for_message(3, 30)
            wait_until(lambda: "renewals of profile dev stopped" in said(process), "the stop")
        finally:
            err = stop(process)
    assert "profile dev was renewed" in err
    assert "renewals of profile dev stopped: sign-in was denied" in err
    assert "stopped" in last.splitlines()[0]
    assert len(webhook.bodies) == 3


def test_an_sso_renewal_by_another_identity_center_user_is_refused_and_saves_nothing(
    sso_env: dict[str, str], tmp_path: Path
) -> None:
    """Bob has the same assignment as Alice: his sign-in from the renewal link is refused
    (STS names him in the assumed-role ARN) and neither the role credentials nor the
    sso-session's token change; the next link, which Alice completes, is saved."""
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text().replace(
            "[profile dev]\n", "[profile dev]\nawslogin_session_limit = 90\n", 1
        )
    )
    sign_in_same_device(sso_env)
    record = Path(sso_env["AWSLOGIN_CACHE_DIR"]) / "sso--dev.json"
    first = (record.read_text(), token_path(tmp_path).read_text())
    with JsonWebhook() as webhook:
        process = serve_process(sso_env, webhook.url, renew_before="85s")
        try:
            approve_device_from_message(webhook, 1, user="bob")
            wait_until(lambda: "nothing was saved" in said(process), "the refusal")
            assert (record.read_text(), token_path(tmp_path).read_text()) == first
            approve_device_from_message(webhook, 2, user="alice")
            wait_until(lambda: "was renewed" in said(process), "the renewal saved")
        finally:
            err = stop(process)
    assert f"signed in as {caller('bob')}, not {caller('alice')}; nothing was saved" in err
    assert json.loads(record.read_text())["identity"]["arn"] == caller("alice")
    assert token_path(tmp_path).read_text() != first[1]


@pytest.fixture
def signin_fake() -> Iterator[SigninFake]:
    with run_signin_fake(accounts={"alice": ALICE, "bob": BOB}) as fake:
        yield fake


def test_aws_signin_renews_through_the_relays_paste_and_refuses_another_identity(
    signin_fake: SigninFake, tmp_path: Path, relay_process: Any
) -> None:
    """aws-signin's remote flow through the relay is its paste page. A renewal that Bob
    completes for Alice's profile is refused, nothing is saved and Bob's session is
    revoked at AWS Sign-In (the audit says so); the next link, which Alice completes, is
    saved (--renew-before longer than the 12 h session: at once)."""
    env = signin_environ(tmp_path, signin_fake)
    relay = relay_process(RELAY_ALLOWED_ORIGINS=signin_fake.base_url)
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + f"awslogin_relay = {relay.url}\n")
    sign_in_here(env)
    first = read_cache(env)["accessToken"]["accessKeyId"]
    with JsonWebhook() as webhook:
        process = serve_process(env, webhook.url, renew_before="13h")
        try:
            url, token = endpoint_of(process)
            paste_from_message(webhook, 1, username="bob")
            paste_from_message(webhook, 2, username="alice")
            wait_until(lambda: "was renewed" in said(process), "the renewal saved")
            served = httpx.get(url, headers={"Authorization": token}, timeout=10)
            assert served.json()["AccessKeyId"] != first
        finally:
            err = stop(process)
    assert f"signed in as {BOB}, not {ALICE}; nothing was saved" in err
    assert "Ended the new sign-in at the provider: refresh token revoked at AWS Sign-In" in err
    assert '"outcome": "renewal_refused", "revoked": "yes"' in err
    assert [
        session.revoked for session in signin_fake.sessions if session.login_session == BOB
    ] == [True]
    assert "profile dev was renewed" in err
    assert not cache_path(env, BOB).exists()


def test_aws_signin_without_a_relay_stops_its_renewals_at_once_in_one_line(
    signin_fake: SigninFake, tmp_path: Path
) -> None:
    """No relay: aws-signin's remote flow is a paste at this terminal, which no phone can
    answer. The renewal stops at its first attempt (no retry every 30 s), says why in one
    line, on the phone too, and `status` shows it; the session is still served."""
    env = signin_environ(tmp_path, signin_fake)
    sign_in_here(env)
    with JsonWebhook() as webhook:
        process = serve_process(env, webhook.url, renew_before="13h")
        try:
            url, token = endpoint_of(process)
            wait_until(lambda: "renewals of profile dev stopped" in said(process), "the stop")
            last = webhook.wait_for_message(1, 30)
            shown = subprocess.run(
                [awslogin_script(), "status", "--profile", "dev"],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
            served = httpx.get(url, headers={"Authorization": token}, timeout=10)
            assert served.status_code == 200
        finally:
            err = stop(process)
    assert "renewal:     stopped (no relay, and no device codes); no link went out" in shown
    assert (
        "renewals of profile dev stopped: --notify needs a relay (awslogin_relay) or an "
        "identity provider with device codes: profile dev has neither" in err
    )
    assert err.count("renewing profile dev") == 1
    assert "stopped" in last.splitlines()[0]
    assert len(webhook.bodies) == 1
    assert "Traceback" not in err


def test_not_me_on_an_aws_signin_renewals_paste_page_stops_the_renewals(
    signin_fake: SigninFake, tmp_path: Path, relay_process: Any
) -> None:
    """aws-signin has no denial at AWS Sign-In that reaches the relay: "not me" on the
    paste page is how the person says no to a renewal. The renewals stop with one last
    message, no other link goes out, and the host serves the session it had."""
    env = signin_environ(tmp_path, signin_fake)
    relay = relay_process(RELAY_ALLOWED_ORIGINS=signin_fake.base_url)
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + f"awslogin_relay = {relay.url}\n")
    sign_in_here(env)
    with JsonWebhook() as webhook:
        process = serve_process(env, webhook.url, renew_before="13h")
        try:
            url, token = endpoint_of(process)
            cancel_from_message(webhook, 1)
            last = webhook.wait_for_message(2, 30)
            wait_until(lambda: "renewals of profile dev stopped" in said(process), "the stop")
            served = httpx.get(url, headers={"Authorization": token}, timeout=10)
            assert served.status_code == 200  # the session it had is served on
        finally:
            err = stop(process)
    assert "stopped" in last.splitlines()[0]
    assert "awslogin login --profile dev" in last
    assert len(webhook.bodies) == 2  # no link after the denial
    assert "renewals of profile dev stopped: sign-in was denied on the relay's page" in err
    assert "Traceback" not in err
    assert len(signin_fake.sessions) == 1  # nobody signed in at AWS Sign-In again
