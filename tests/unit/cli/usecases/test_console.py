"""`awslogin console` in process, the federation endpoint over respx: where the URL may go,
the refusals that cost no call, the QR code, a browser that will not open."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import pytest
import respx

from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, ProviderError, UsageError
from awslogin.usecases.console import ConsoleOptions, console
from tests.support.command_line import isolated_environ, run

pytestmark = pytest.mark.unit

FEDERATION = "https://signin.aws.amazon.com/federation"
OIDC_CONFIG = (
    "[profile dev]\nawslogin_provider = oidc\nawslogin_issuer = https://idp.example\n"
    "awslogin_client_id = cli\nawslogin_role_arn = arn:aws:iam::123456789012:role/dev\n"
    "region = us-east-1\n"
)
ARN = "arn:aws:sts::123456789012:assumed-role/dev/alice"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Profile dev (oidc) with an hour of credentials in its cache."""
    environ = isolated_environ(tmp_path, OIDC_CONFIG)
    now = int(time.time())
    record = {
        "version": 1,
        "provider": "oidc",
        "profile": "dev",
        "config": {},
        "identity": {"arn": ARN},
        "credentials": {
            "AccessKeyId": "ASIACACHED",
            "SecretAccessKey": "secret",
            "SessionToken": "cached-token",
            "Expiration": "2030-01-01T00:00:00Z",
            "ExpiresAt": now + 3600,
        },
        "session": {"startedAt": now, "expiresAt": now + 40000},
        "providerState": {"issuer": "https://idp.example"},
    }
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    (cache / "oidc--dev.json").write_text(json.dumps(record))
    return environ


class Utf8Text(io.StringIO):
    """A stream that says it is UTF-8, as a terminal's does (so a QR code can be drawn)."""

    @property
    def encoding(self) -> str:
        return "utf-8"


def terminal() -> Terminal:
    return Terminal(err=Utf8Text(), out=Utf8Text(), stdin=io.StringIO())


def test_the_issuer_is_the_sessions_identity_provider(env: dict[str, str]) -> None:
    shown = terminal()
    with respx.mock() as router:
        router.get(FEDERATION).respond(200, json={"SigninToken": "tok"})
        console(ConsoleOptions("dev", delivery="url-only"), env, shown)
    url = shown.out.getvalue().strip()  # type: ignore[attr-defined]
    assert "Issuer=https%3A%2F%2Fidp.example" in url
    assert shown.err.getvalue() == ""  # type: ignore[attr-defined]


def test_aws_signin_is_refused_without_a_call(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    environ = isolated_environ(
        tmp_path,
        "[profile dev]\nawslogin_provider = aws-signin\n"
        "login_session = arn:aws:iam::123456789012:user/alice\nregion = cn-north-1\n",
    )
    with respx.mock():
        code, out, err = run(capsys, environ, "console", "--profile", "dev", "--print")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "https://console.amazonaws.cn/" in err  # the partition's own console


def test_no_browser_and_nothing_asked_makes_no_call(env: dict[str, str]) -> None:
    # an SSH session has no browser on every platform (a Windows host has no DISPLAY)
    headless = {**env, "SSH_CONNECTION": "203.0.113.9 50000 10.0.0.2 22"}
    with respx.mock(), pytest.raises(AwsloginError, match="not printed unasked"):
        console(ConsoleOptions("dev"), headless, terminal())


def test_a_browser_that_does_not_open_says_what_to_do(env: dict[str, str]) -> None:
    with respx.mock() as router:
        router.get(FEDERATION).respond(200, json={"SigninToken": "tok"})
        with pytest.raises(ProviderError, match="pass --print"):
            console(ConsoleOptions("dev"), env, terminal(), browser_opener=lambda url: False)


def test_qr_draws_the_url_under_the_warning_and_prints_no_text(env: dict[str, str]) -> None:
    shown = terminal()
    with respx.mock() as router:
        router.get(FEDERATION).respond(200, json={"SigninToken": "tok"})
        console(ConsoleOptions("dev", delivery="qr"), env, shown)
    err = shown.err.getvalue()  # type: ignore[attr-defined]
    assert err.startswith(
        f"Warning: this link signs whoever opens it in to the AWS console as {ARN}"
    )
    assert "\u2580" in err or "\u2584" in err or "\u2588" in err  # half blocks
    assert "SigninToken" not in err
    assert shown.out.getvalue() == ""  # type: ignore[attr-defined]


def test_qr_too_long_to_draw_shows_nothing(env: dict[str, str]) -> None:
    shown = terminal()
    with respx.mock() as router:
        router.get(FEDERATION).respond(200, json={"SigninToken": "t" * 3000})
        with pytest.raises(ProviderError, match="too long to draw"):
            console(ConsoleOptions("dev", delivery="qr"), env, shown)
    assert shown.err.getvalue() == ""  # type: ignore[attr-defined]


def test_the_federation_endpoint_follows_the_sdk_override(env: dict[str, str]) -> None:
    shown = terminal()
    with respx.mock() as router:
        route = router.get("http://127.0.0.1:9/federation").mock(
            return_value=httpx.Response(200, json={"SigninToken": "tok"})
        )
        console(
            ConsoleOptions("dev", delivery="url-only"),
            {**env, "AWS_ENDPOINT_URL_FEDERATION": "http://127.0.0.1:9"},
            shown,
        )
    assert route.called


def test_remote_does_not_go_with_printing(env: dict[str, str]) -> None:
    with respx.mock(), pytest.raises(UsageError, match="does not go with --print"):
        console(ConsoleOptions("dev", delivery="print", remote=True), env, terminal())


def test_remote_without_a_relay_says_how_to_get_one(env: dict[str, str]) -> None:
    with respx.mock(), pytest.raises(AwsloginError, match="Without a relay") as failure:
        console(ConsoleOptions("dev", remote=True), env, terminal())
    assert "--relay, AWSLOGIN_RELAY_URL or the profile's awslogin_relay" in failure.value.message
