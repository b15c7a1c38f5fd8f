"""oidc on a remote host without a relay, against an IdP and STS served by respx: the device
code when discovery offers one (RFC 8628), the pasted address when it does not, a
configured relay still first, and a refused sign-in revoked at the IdP."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import respx

from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, ProviderError
from awslogin.providers.base import Revocation
from awslogin.stores import store_for
from awslogin.usecases.identity_check import IdentityRefused
from awslogin.usecases.link_notice import CannotNotify
from awslogin.usecases.login import LoginOptions, login
from awslogin.usecases.profiles import awslogin_profile, load_config
from tests.support.fake_clock import SteppedClock
from tests.support.fake_idp import (
    CLIENT_ID,
    ISSUER,
    RELAY_URL,
    STS_URL,
    FakeIdp,
    sts_response,
    write_session,
)

pytestmark = pytest.mark.unit

DEVICE_ENDPOINT = f"{ISSUER}/device/auth"
COMPLETE = f"{ISSUER}/device?user_code=WDJB-MJHT"


def device_authorization(**changes: Any) -> dict[str, Any]:
    answer = {
        "device_code": "dc-1",
        "user_code": "WDJB-MJHT",
        "verification_uri": f"{ISSUER}/device",
        "verification_uri_complete": COMPLETE,
        "expires_in": 600,
        "interval": 2,
    }
    answer.update(changes)
    return {key: value for key, value in answer.items() if value is not None}


def oauth_error(error: str) -> httpx.Response:
    return httpx.Response(400, json={"error": error, "error_description": "x"})


def mock_idp(router: respx.MockRouter, idp: FakeIdp, *, device: bool) -> None:
    extra = {"device_authorization_endpoint": DEVICE_ENDPOINT} if device else {}
    router.get(f"{ISSUER}/.well-known/openid-configuration").respond(json=idp.metadata(**extra))
    router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())
    router.post(STS_URL).respond(text=sts_response())


def remote_login(
    env: dict[str, str], stdin: str = "", *, remote: bool = True, clock: SteppedClock | None = None
) -> tuple[list[str], str]:
    """`awslogin login --profile dev [--remote]`; (result lines, what the terminal showed)."""
    err = io.StringIO()
    terminal = Terminal(err=err, out=io.StringIO(), stdin=io.StringIO(stdin))
    lines = login(
        LoginOptions(profile="dev", remote=remote, qr=False),
        env,
        terminal,
        clock=clock or SteppedClock(),
    ).lines
    return lines, err.getvalue()


def cached(env: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        (Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").read_text()
    )
    return record


# device code -------------------------------------------------------------------------------


def test_the_device_code_signs_in_at_the_pace_the_idp_asks(
    env: dict[str, str], idp: FakeIdp
) -> None:
    clock = SteppedClock()
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        started = router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
        token = router.post(f"{ISSUER}/token").mock(
            side_effect=[
                oauth_error("authorization_pending"),
                oauth_error("slow_down"),
                httpx.Response(
                    200, json={"id_token": idp.id_token(nonce=None), "refresh_token": "rt-1"}
                ),
            ]
        )
        lines, shown = remote_login(env, clock=clock)

    assert lines[0] == "Signed in as arn:aws:sts::123456789012:assumed-role/dev/alice"
    # RFC 8628 3.1: the client and the scopes; no nonce, which the grant does not define.
    assert parse_qs(started.calls.last.request.content.decode()) == {
        "client_id": [CLIENT_ID],
        "scope": ["openid offline_access"],
    }
    polls = [parse_qs(call.request.content.decode()) for call in token.calls]
    assert all(
        poll
        == {
            "grant_type": ["urn:ietf:params:oauth:grant-type:device_code"],
            "device_code": ["dc-1"],
            "client_id": [CLIENT_ID],
        }
        for poll in polls
    )
    assert clock.sleeps == [2, 2, 7]  # the interval, then 5 s more after slow_down
    assert COMPLETE in shown
    assert "WDJB-MJHT" in shown
    record = cached(env)
    assert record["providerState"]["refreshToken"] == "rt-1"
    assert "nonce" not in record["providerState"]


def test_an_id_token_from_the_device_grant_is_validated_like_any_other(
    env: dict[str, str], idp: FakeIdp
) -> None:
    forged = idp.id_token(nonce=None, key=idp.other_key)
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
        router.post(f"{ISSUER}/token").respond(json={"id_token": forged})
        sts = router.post(STS_URL)
        with pytest.raises(ProviderError, match="signature does not verify"):
            remote_login(env)
        assert not sts.called
    for claims, words in (({"aud": "another"}, "not for client"), ({"iss": "https://x"}, "(iss)")):
        with respx.mock(assert_all_called=False) as router:
            mock_idp(router, idp, device=True)
            router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
            router.post(f"{ISSUER}/token").respond(
                json={"id_token": idp.id_token(nonce=None, **claims)}
            )
            with pytest.raises(ProviderError, match=words):
                remote_login(env)


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        ("access_denied", ProviderError, "denied on the verification page"),
        ("expired_token", AwsloginError, "device code expired"),
        ("invalid_grant", ProviderError, "refused to exchange the device code: invalid_grant"),
    ],
)
def test_a_device_code_that_ends_without_a_token_is_one_line(
    env: dict[str, str], idp: FakeIdp, error: str, kind: type[Exception], words: str
) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
        router.post(f"{ISSUER}/token").mock(return_value=oauth_error(error))
        with pytest.raises(kind, match=words) as ended:
            remote_login(env)
    assert "\n" not in str(ended.value)


def test_a_client_not_allowed_the_device_grant_says_what_to_change(
    env: dict[str, str], idp: FakeIdp
) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        router.post(DEVICE_ENDPOINT).mock(return_value=oauth_error("unauthorized_client"))
        with pytest.raises(
            ProviderError, match=f"allow the device code grant for client {CLIENT_ID}"
        ):
            remote_login(env)


@pytest.mark.parametrize(
    "changes",
    [
        {"verification_uri": "javascript:alert(1)", "verification_uri_complete": None},
        {"verification_uri_complete": f"{ISSUER}/device?c=\x1b[2J"},
        {"user_code": "AB\x1b]0;x\x07"},
        {"device_code": None},
        {"expires_in": "soon"},
    ],
)
def test_a_device_authorization_that_cannot_be_shown_safely_is_refused(
    env: dict[str, str], idp: FakeIdp, changes: dict[str, Any]
) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        router.post(DEVICE_ENDPOINT).respond(json=device_authorization(**changes))
        token = router.post(f"{ISSUER}/token")
        with pytest.raises(ProviderError, match="device authorization has no"):
            remote_login(env)
        assert not token.called


# pasted address ------------------------------------------------------------------------------


def paste_login(
    env: dict[str, str], idp: FakeIdp, answer: Callable[[dict[str, str]], str]
) -> tuple[list[str], str, dict[str, str]]:
    """A remote login with an IdP without device codes; `answer(query)` is what the person
    pastes, given the query of the authorization URL shown. (result lines, what the
    terminal showed, the code exchange's form)."""
    err = io.StringIO()
    query: dict[str, str] = {}

    class Person(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            shown = [line.strip() for line in err.getvalue().splitlines()]
            url = next(line for line in shown if line.startswith(f"{ISSUER}/auth?"))
            query.update({k: v[0] for k, v in parse_qs(urlsplit(url).query).items()})
            return answer(query)

    def exchange(request: httpx.Request) -> httpx.Response:
        id_token = idp.id_token(nonce=query["nonce"])
        return httpx.Response(200, json={"id_token": id_token, "refresh_token": "rt-1"})

    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=False)
        token = router.post(f"{ISSUER}/token").mock(side_effect=exchange)
        lines = login(
            LoginOptions(profile="dev", remote=True, qr=False),
            env,
            Terminal(err=err, out=io.StringIO(), stdin=Person()),
            clock=SteppedClock(),
        ).lines
        form = {k: v[0] for k, v in parse_qs(token.calls.last.request.content.decode()).items()}
    return lines, err.getvalue(), form


def failed_address(query: dict[str, str], **overrides: str) -> str:
    params = {"code": "the-code", "state": query["state"], "iss": ISSUER, **overrides}
    return f"{query['redirect_uri']}?{urlencode(params)}\n"


def test_without_device_codes_the_failed_address_is_pasted(
    env: dict[str, str], idp: FakeIdp
) -> None:
    lines, shown, exchange = paste_login(env, idp, failed_address)

    assert lines[0].startswith("Signed in as arn:aws:sts::123456789012:assumed-role/dev/")
    redirect = exchange["redirect_uri"]
    assert redirect.startswith("http://127.0.0.1:")
    assert redirect.endswith("/oauth/callback")
    assert exchange["code"] == "the-code"
    assert len(exchange["code_verifier"]) >= 43
    origin = redirect.rsplit("/oauth/callback", 1)[0]
    assert f"the browser fails to open a page at {origin}" in shown
    assert "nonce" in cached(env)["providerState"]


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"state": "another-login"}, "state mismatch"),
        ({"iss": "https://evil.example"}, "iss mismatch"),
    ],
)
def test_a_pasted_address_goes_through_the_usual_checks(
    env: dict[str, str], idp: FakeIdp, overrides: dict[str, str], words: str
) -> None:
    with pytest.raises(ProviderError, match=words):
        paste_login(env, idp, lambda query: failed_address(query, **overrides))


def test_nothing_pasted_is_one_line(env: dict[str, str], idp: FakeIdp) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=False)
        with pytest.raises(AwsloginError, match=r"^no address was pasted \(end of input\)$"):
            remote_login(env, stdin="")


def test_destinations_without_a_relay_or_device_codes_are_refused_before_any_link(
    env: dict[str, str], idp: FakeIdp
) -> None:
    """Nobody may be at the terminal to paste: one usage line, nothing shown or read."""
    err, stdin = io.StringIO(), io.StringIO("never read\n")
    terminal = Terminal(err=err, out=io.StringIO(), stdin=stdin)
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=False)
        with pytest.raises(CannotNotify) as refused:
            login(
                LoginOptions(profile="dev", remote=True, qr=False),
                {**env, "AWSLOGIN_NOTIFY": "json://127.0.0.1:9/hook"},
                terminal,
                clock=SteppedClock(),
            )
    assert refused.value.exit_code == 2
    assert refused.value.message == (
        "--notify needs a relay (awslogin_relay) or an identity provider with device codes: "
        "profile dev has neither"
    )
    assert err.getvalue() == ""
    assert stdin.tell() == 0


# a relay still first ---------------------------------------------------------------------------


def test_a_configured_relay_wins_over_device_codes(env: dict[str, str], idp: FakeIdp) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        device = router.post(DEVICE_ENDPOINT)
        relay = router.get(f"{RELAY_URL}/.well-known/awslogin-relay").mock(
            side_effect=httpx.ConnectError("down")
        )
        with pytest.raises(AwsloginError, match="cannot reach the relay"):
            remote_login({**env, "AWSLOGIN_RELAY_URL": RELAY_URL})
        assert relay.called
        assert not device.called


def test_an_ssh_session_without_a_relay_says_it_uses_a_device_code(
    env: dict[str, str], idp: FakeIdp
) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
        router.post(f"{ISSUER}/token").respond(
            json={"id_token": idp.id_token(nonce=None), "refresh_token": "rt-1"}
        )
        _, shown = remote_login({**env, "SSH_CONNECTION": "a b c d"}, remote=False)
    assert "No browser on this machine (SSH session): signing in with a device code." in shown


def test_a_refresh_under_way_does_not_write_the_old_session_over_the_new_one(
    env: dict[str, str], idp: FakeIdp
) -> None:
    """A refresh of the previous session (another process, holding the refresh lock)
    ends while the new login is saving: the new session must be the one left."""
    store = store_for("oidc", awslogin_profile(load_config(env), "dev", env)[0])
    locked = threading.Event()

    def refresh_of_the_old_session() -> None:
        with store.lock():
            locked.set()
            time.sleep(1.0)  # the login finishes meanwhile and wants to save
            write_session(env, refresh_token="rt-old")

    refresher = threading.Thread(target=refresh_of_the_old_session)
    refresher.start()
    locked.wait(5)
    with respx.mock(assert_all_called=False) as router:
        mock_idp(router, idp, device=True)
        router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
        router.post(f"{ISSUER}/token").respond(
            json={"id_token": idp.id_token(nonce=None), "refresh_token": "rt-new"}
        )
        remote_login(env)
    refresher.join()
    assert cached(env)["providerState"]["refreshToken"] == "rt-new"


# a refused sign-in is revoked ------------------------------------------------------------------

REVOCATION = f"{ISSUER}/revoke"


def refused_login(
    env: dict[str, str], idp: FakeIdp, revocation: httpx.Response | BaseException | None
) -> tuple[IdentityRefused, str, list[dict[str, list[str]]]]:
    """A device-code login as alice of profile dev, which is pinned to carol: refused.
    The IdP's revocation endpoint answers `revocation` (None: discovery names none).
    (The refusal, what the terminal showed, the forms the revocation endpoint got.)"""
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + "awslogin_expected_identity = arn:aws:sts::*:assumed-role/dev/carol\n"
    )
    err = io.StringIO()
    metadata = idp.metadata(device_authorization_endpoint=DEVICE_ENDPOINT)
    if revocation is None:
        del metadata["revocation_endpoint"]
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{ISSUER}/.well-known/openid-configuration").respond(json=metadata)
        router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())
        router.post(STS_URL).respond(text=sts_response())
        router.post(DEVICE_ENDPOINT).respond(json=device_authorization())
        router.post(f"{ISSUER}/token").respond(
            json={"id_token": idp.id_token(nonce=None), "refresh_token": "rt-refused"}
        )

        def answer(request: httpx.Request) -> httpx.Response:
            if isinstance(revocation, BaseException):
                raise revocation
            assert revocation is not None
            return revocation

        revoke = router.post(REVOCATION).mock(side_effect=answer)
        with pytest.raises(IdentityRefused) as refused:
            login(
                LoginOptions(profile="dev", remote=True, qr=False),
                env,
                Terminal(err=err, out=io.StringIO(), stdin=io.StringIO()),
                clock=SteppedClock(),
            )
    assert not (Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").exists()
    forms = [parse_qs(call.request.content.decode()) for call in revoke.calls]
    return refused.value, err.getvalue(), forms


def last_line(shown: str) -> str:
    return shown.strip().splitlines()[-1]


def test_a_refused_sign_in_is_revoked_at_the_idp(env: dict[str, str], idp: FakeIdp) -> None:
    refused, shown, forms = refused_login(env, idp, httpx.Response(200))

    assert str(refused).startswith("profile dev expects arn:aws:sts::*:assumed-role/dev/carol")
    assert forms == [
        {"token": ["rt-refused"], "token_type_hint": ["refresh_token"], "client_id": [CLIENT_ID]}
    ]
    assert last_line(shown) == (
        f"Ended the new sign-in at the provider: refresh token revoked at {ISSUER}."
    )
    assert refused.revocation == Revocation(True, f"refresh token revoked at {ISSUER}")
    assert "rt-refused" not in shown


def test_an_idp_without_revocation_is_said_so(env: dict[str, str], idp: FakeIdp) -> None:
    refused, shown, forms = refused_login(env, idp, None)

    assert forms == []
    assert last_line(shown) == (
        "Could not end the new sign-in at the provider: "
        "the identity provider has no revocation endpoint."
    )
    assert refused.revocation == Revocation(
        False, "the identity provider has no revocation endpoint"
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (httpx.Response(503), "the identity provider refused the revocation (HTTP 503)."),
        (httpx.ConnectError("refused"), f"could not reach {ISSUER} to revoke: "),
    ],
)
def test_a_revocation_that_fails_is_one_line_and_the_refusal_stands(
    env: dict[str, str], idp: FakeIdp, answer: httpx.Response | Exception, said: str
) -> None:
    refused, shown, forms = refused_login(env, idp, answer)

    assert len(forms) == 1
    assert last_line(shown).startswith(f"Could not end the new sign-in at the provider: {said}")
    assert refused.revocation is not None
    assert refused.revocation.failed
    assert str(refused).endswith("nothing was saved")


def test_ctrl_c_during_the_revocation_cuts_it_short_and_the_refusal_stands(
    env: dict[str, str], idp: FakeIdp
) -> None:
    refused, shown, _ = refused_login(env, idp, KeyboardInterrupt())

    assert last_line(shown) == "Could not end the new sign-in at the provider: interrupted."
    assert str(refused).endswith("nothing was saved")
