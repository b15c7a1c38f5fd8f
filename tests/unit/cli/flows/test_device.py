"""Device authorization for `sso` with respx: the link shown, the pace of polling (interval,
slow_down), and every way it ends (token, expired_token, access_denied, timeout, Ctrl-C)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from awslogin.adapters.terminal import Terminal
from awslogin.cli.main import main
from awslogin.errors import AwsloginError, ProviderError
from awslogin.usecases.login import LoginOptions, login
from tests.support.command_line import isolated_environ
from tests.support.fake_clock import SteppedClock
from tests.support.fake_idp import STS_URL, caller_response

pytestmark = pytest.mark.unit

OIDC = "https://oidc.us-east-1.amazonaws.com"
PORTAL = "https://portal.sso.us-east-1.amazonaws.com"
START_URL = "https://d-1234567890.awsapps.com/start"
COMPLETE = "https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK"
CALLER = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Developer_0a1b/alice"


@pytest.fixture
def sso_env(tmp_path: Path) -> dict[str, str]:
    return isolated_environ(
        tmp_path,
        f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n\n"
        "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n"
        "sso_role_name = Developer\nregion = us-east-1\n",
    )


def oidc_error(error: str, status: int = 400) -> httpx.Response:
    kind = {
        "authorization_pending": "AuthorizationPendingException",
        "slow_down": "SlowDownException",
        "expired_token": "ExpiredTokenException",
        "access_denied": "AccessDeniedException",
    }[error]
    return httpx.Response(
        status,
        json={"error": error, "error_description": "x"},
        headers={"x-amzn-ErrorType": kind},
    )


def token_response() -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "accessToken": "at-1",
            "tokenType": "Bearer",
            "expiresIn": 28800,
            "refreshToken": "rt-1",
        },
    )


def mock_service(router: respx.MockRouter, poll_answers: list[httpx.Response]) -> respx.Route:
    router.post(f"{OIDC}/client/register").respond(
        json={
            "clientId": "client-1",
            "clientSecret": "secret-1",
            "clientIdIssuedAt": 1_800_000_000,
            "clientSecretExpiresAt": 1_807_776_000,
        }
    )
    router.post(f"{OIDC}/device_authorization").respond(
        json={
            "deviceCode": "dc-1",
            "userCode": "BCDF-GHJK",
            "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
            "verificationUriComplete": COMPLETE,
            "expiresIn": 600,
            "interval": 2,
        }
    )
    router.get(f"{PORTAL}/federation/credentials").respond(
        json={
            "roleCredentials": {
                "accessKeyId": "ASIASSO",
                "secretAccessKey": "secret",
                "sessionToken": "session",
                "expiration": 1_800_003_600_000,
            }
        }
    )
    router.post(STS_URL).respond(text=caller_response(CALLER))
    return router.post(f"{OIDC}/token").mock(side_effect=poll_answers)


def remote_login(
    env: dict[str, str], clock: SteppedClock, timeout: float = 600
) -> tuple[list[str], str]:
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    lines = login(
        LoginOptions(profile="dev", remote=True, timeout=timeout),
        env,
        Terminal(err=err, out=io.StringIO(), stdin=io.StringIO()),
        clock=clock,
    ).lines
    err.seek(0)
    return lines, err.read()


def test_device_code_polls_at_the_interval_and_slows_down_by_five_seconds(
    sso_env: dict[str, str],
) -> None:
    clock = SteppedClock()
    with respx.mock(assert_all_called=False) as router:
        token = mock_service(
            router,
            [
                oidc_error("authorization_pending"),
                oidc_error("slow_down"),
                oidc_error("authorization_pending"),
                oidc_error("slow_down"),
                token_response(),
            ],
        )
        lines, shown = remote_login(sso_env, clock)
        bodies = [json.loads(call.request.content) for call in token.calls]
    assert clock.sleeps == [2, 2, 7, 7, 12]
    assert {b["grantType"] for b in bodies} == {"urn:ietf:params:oauth:grant-type:device_code"}
    assert {b["deviceCode"] for b in bodies} == {"dc-1"}
    # The person sees the complete URL, a QR code of it and the user code.
    assert COMPLETE in shown
    assert "\u2580" in shown or "\u2584" in shown
    assert "BCDF-GHJK" in shown
    # Or the verification page without the code in its URL, where the person types it.
    assert "or open https://device.sso.us-east-1.amazonaws.com/ and type BCDF-GHJK" in shown
    assert "dc-1" not in shown
    assert lines[0] == f"Signed in as {CALLER}"
    token_file = next((Path(sso_env["HOME"]) / ".aws" / "sso" / "cache").glob("*.json"))
    cached = [json.loads(p.read_text()) for p in token_file.parent.glob("*.json")]
    assert any(c.get("accessToken") == "at-1" and c.get("refreshToken") == "rt-1" for c in cached)


def test_device_registration_has_no_grant_types_and_is_cached_for_next_time(
    sso_env: dict[str, str],
) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_service(router, [token_response(), token_response()])
        remote_login(sso_env, SteppedClock())
        remote_login(sso_env, SteppedClock())
        registrations = [
            json.loads(call.request.content)
            for call in router.calls
            if call.request.url.path == "/client/register"
        ]
    assert len(registrations) == 1
    assert registrations[0] == {
        "clientName": "awslogin-client-corp",
        "clientType": "public",
        "scopes": ["sso:account:access"],
    }


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        ("expired_token", AwsloginError, "the device code expired before sign-in finished"),
        ("access_denied", ProviderError, "sign-in was denied on the verification page"),
    ],
)
def test_device_code_ends_on_expired_token_and_access_denied(
    sso_env: dict[str, str], error: str, expected: type[Exception], message: str
) -> None:
    clock = SteppedClock()
    with respx.mock(assert_all_called=False) as router:
        token = mock_service(router, [oidc_error("authorization_pending"), oidc_error(error)])
        with pytest.raises(expected, match=message):
            remote_login(sso_env, clock)
        assert token.call_count == 2
    cache = Path(sso_env["HOME"]) / ".aws" / "sso" / "cache"
    assert not [p for p in cache.glob("*.json") if "accessToken" in p.read_text()]
    assert not list(Path(sso_env["AWSLOGIN_CACHE_DIR"]).glob("sso--*.json"))


def test_device_code_gives_up_at_the_timeout(sso_env: dict[str, str]) -> None:
    clock = SteppedClock()
    with respx.mock(assert_all_called=False) as router:
        token = mock_service(router, [oidc_error("authorization_pending")] * 20)
        with pytest.raises(AwsloginError, match=r"did not finish within 9 s \(--timeout\)"):
            remote_login(sso_env, clock, timeout=9)
        assert token.call_count == 4  # at 2, 4, 6 and 8 s; the sleep to 10 s is past 9


def test_ctrl_c_while_polling_exits_130(
    sso_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("awslogin.adapters.clock.time.sleep", interrupted)
    with respx.mock(assert_all_called=False) as router:
        token = mock_service(router, [token_response()])
        code = main(["login", "--profile", "dev", "--remote", "--no-qr"], sso_env)
        assert token.call_count == 0
    assert code == 130
    assert "interrupted" in capsys.readouterr().err


def test_ssh_session_goes_to_device_code_without_a_relay(
    sso_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("awslogin.adapters.clock.time.sleep", lambda seconds: None)
    env: dict[str, Any] = {**sso_env, "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}
    with respx.mock(assert_all_called=False) as router:
        mock_service(router, [token_response()])
        code = main(["login", "--profile", "dev", "--no-qr"], env)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "No browser on this machine (SSH session): signing in with a device code." in err
    assert COMPLETE in err
    assert out.startswith(f"Signed in as {CALLER}\n")
