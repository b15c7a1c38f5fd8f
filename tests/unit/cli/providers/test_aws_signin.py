"""Provider aws-signin against a mocked AWS Sign-In (respx): requests, DPoP, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric import ec

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.crypto.dpop import DpopKey
from awslogin.errors import (
    AwsloginError,
    ConfigError,
    LoginRequired,
    ProviderError,
)
from awslogin.flows.base import AuthorizationRequest, AuthorizationResponse, RequestBuilder
from awslogin.flows.paste import PasteFlow
from awslogin.profile import Profile
from awslogin.providers.aws_signin import (
    CROSS_DEVICE_CLIENT,
    SAME_DEVICE_CLIENT,
    AwsSigninProvider,
    parse_pasted,
    signin_base_url,
)

pytestmark = pytest.mark.unit

ALICE = "arn:aws:iam::123456789012:user/alice"
BASE = "https://us-east-1.signin.aws.amazon.com"
TOKEN_URL = f"{BASE}/v1/token"
LOOPBACK = "http://127.0.0.1:45678/oauth/callback"


def settings(values: dict[str, str] | None = None, **kwargs: Any) -> Profile:
    return Profile(
        "dev",
        {"awslogin_provider": "aws-signin", **(values or {})},
        region=kwargs.get("region", "us-east-1"),
        environ=kwargs.get("environ", {}),
        services=kwargs.get("nested", {}).get("services", {}),
    )


class SleeplessClock(SystemClock):
    """The system's time, but sleeps are recorded (and the monotonic clock moved by them)
    instead of waited: retries are checked without waiting for them."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.offset = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds


def provider(
    values: dict[str, str] | None = None, clock: SystemClock | None = None
) -> AwsSigninProvider:
    return AwsSigninProvider(settings(values), HttpFactory(), clock or SleeplessClock())


@dataclass
class ScriptedFlow:
    """A flow whose person answers at once with what `answer` makes of the request."""

    name: str
    redirect_uri: str | None
    answer: Callable[[AuthorizationRequest], dict[str, str]]
    requests: list[AuthorizationRequest] = field(default_factory=list)

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        request = build(self.redirect_uri)
        self.requests.append(request)
        return AuthorizationResponse(request, self.answer(request))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def redirect_with_code(request: AuthorizationRequest) -> dict[str, str]:
    return {"code": "code-1", "state": query_of(request.url)["state"]}


def verification_code(request: AuthorizationRequest, code: str = "code-1") -> str:
    state = query_of(request.url)["state"]
    return base64.b64encode(urlencode({"state": state, "code": code}).encode()).decode()


def id_token(sub: str = ALICE) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 3600}, key, algorithm="ES256")


def token_output(
    *, expires_in: int = 900, refresh_token: str = "rt-1", **extra: Any
) -> dict[str, Any]:
    return {
        "accessToken": {
            "accessKeyId": "ASIANEW",
            "secretAccessKey": "new-secret",
            "sessionToken": "new-session",
        },
        "tokenType": "aws_sigv4",
        "expiresIn": expires_in,
        "refreshToken": refresh_token,
        **extra,
    }


def verified_proof(request: httpx.Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The DPoP header's JWS header and claims, after checking its signature."""
    proof = request.headers["DPoP"]
    header = jwt.get_unverified_header(proof)
    claims = jwt.decode(
        proof,
        jwt.PyJWK(header["jwk"], algorithm="ES256").key,
        algorithms=["ES256"],
    )
    return header, claims


def thumbprint(jwk: dict[str, str]) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.fixture
def signin() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


# endpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "environ", "nested", "values", "expected"),
    [
        ("eu-west-1", {}, {}, {}, "https://eu-west-1.signin.aws.amazon.com"),
        ("cn-north-1", {}, {}, {}, "https://cn-north-1.signin.amazonaws.cn"),
        ("us-gov-west-1", {}, {}, {}, "https://us-gov-west-1.signin.amazonaws-us-gov.com"),
        (
            "us-east-1",
            {"AWS_ENDPOINT_URL_SIGNIN": "http://127.0.0.1:9/"},
            {},
            {},
            "http://127.0.0.1:9",
        ),
        ("us-east-1", {"AWS_ENDPOINT_URL": "http://127.0.0.1:8"}, {}, {}, "http://127.0.0.1:8"),
        ("us-east-1", {}, {"services": {"signin": "http://127.0.0.1:7"}}, {}, "http://127.0.0.1:7"),
        ("us-east-1", {}, {}, {"endpoint_url": "http://127.0.0.1:6"}, "http://127.0.0.1:6"),
    ],
)
def test_endpoint_resolution(
    region: str,
    environ: dict[str, str],
    nested: dict[str, dict[str, str]],
    values: dict[str, str],
    expected: str,
) -> None:
    resolved = signin_base_url(settings(values, region=region, environ=environ, nested=nested))
    assert resolved == expected


def test_no_region_is_a_clear_configuration_error() -> None:
    with pytest.raises(ConfigError, match="no region"):
        signin_base_url(settings(region=None))


# same-device login ---------------------------------------------------------------------


def test_same_device_login_sends_what_aws_login_sends(signin: respx.MockRouter) -> None:
    route = signin.post(TOKEN_URL).respond(
        200, json=token_output(expires_in=3600, idToken=id_token())
    )
    flow = ScriptedFlow("loopback", LOOPBACK, redirect_with_code)

    record = provider().login(flow)

    (request,) = flow.requests
    assert request.url.startswith(f"{BASE}/v1/authorize?")
    query = query_of(request.url)
    assert query["response_type"] == "code"
    assert query["client_id"] == SAME_DEVICE_CLIENT
    assert query["redirect_uri"] == LOOPBACK
    assert query["scope"] == "openid"
    assert query["code_challenge_method"] == "SHA-256"
    assert len(query["code_challenge"]) == 43
    assert str(uuid.UUID(query["state"])) == query["state"]

    sent = route.calls.last.request
    body = json.loads(sent.content)
    assert set(body) == {"clientId", "grantType", "code", "redirectUri", "codeVerifier"}
    assert body["clientId"] == SAME_DEVICE_CLIENT
    assert body["grantType"] == "authorization_code"
    assert body["code"] == "code-1"
    assert body["redirectUri"] == LOOPBACK
    challenge = base64.urlsafe_b64encode(hashlib.sha256(body["codeVerifier"].encode()).digest())
    assert challenge.rstrip(b"=").decode() == query["code_challenge"]

    header, claims = verified_proof(sent)
    assert header["typ"] == "dpop+jwt"
    assert claims["htm"] == "POST"
    assert claims["htu"] == TOKEN_URL
    assert abs(claims["iat"] - time.time()) < 5
    # The cached key is the one that signed the proof: refreshes stay bound to it.
    cached_key = DpopKey.from_pem(record["providerState"]["dpopKey"])
    assert thumbprint(cached_key.public_jwk()) == thumbprint(header["jwk"])

    assert record["config"] == {"login_session": ALICE}
    assert record["identity"] == {"arn": ALICE, "subject": ALICE, "accountId": "123456789012"}
    assert record["providerState"]["clientId"] == SAME_DEVICE_CLIENT
    assert record["providerState"]["refreshToken"] == "rt-1"
    # Credentials rotate at least every 15 minutes, whatever expiresIn says.
    assert record["credentials"]["ExpiresAt"] - time.time() <= 900
    session = record["session"]
    assert session["expiresAt"] - session["startedAt"] == 12 * 3600


def test_a_forged_state_is_refused_before_any_token_call(signin: respx.MockRouter) -> None:
    route = signin.post(TOKEN_URL).respond(200, json=token_output(idToken=id_token()))
    flow = ScriptedFlow("loopback", LOOPBACK, lambda r: {"code": "c", "state": "forged"})
    with pytest.raises(ProviderError, match="state mismatch"):
        provider().login(flow)
    assert not route.called


def test_a_denied_sign_in_says_so(signin: respx.MockRouter) -> None:
    flow = ScriptedFlow(
        "loopback",
        LOOPBACK,
        lambda r: {"error": "access_denied", "state": query_of(r.url)["state"]},
    )
    with pytest.raises(ProviderError, match="denied"):
        provider().login(flow)


def test_a_relay_redirect_is_refused_with_a_reason() -> None:
    flow = ScriptedFlow("relay", "https://relay.example.test/callback", redirect_with_code)
    with pytest.raises(ProviderError, match="paste"):
        provider().login(flow)


@pytest.mark.parametrize(
    ("values", "style"),
    [
        ({"aws_access_key_id": "AKIA"}, "Access Key"),
        ({"role_arn": "arn:aws:iam::1:role/x"}, "Assume Role"),
        ({"sso_session": "corp"}, "SSO"),
        ({"web_identity_token_file": "/t"}, "Web Identity"),
        ({"credential_process": "other-tool"}, "Credential Process"),
    ],
)
def test_a_profile_with_another_credential_style_is_refused(
    values: dict[str, str], style: str
) -> None:
    flow = ScriptedFlow("loopback", LOOPBACK, redirect_with_code)
    with pytest.raises(ConfigError, match=style):
        provider(values).login(flow)
    assert flow.requests == []


def test_awslogins_own_credential_process_is_not_another_style(signin: respx.MockRouter) -> None:
    signin.post(TOKEN_URL).respond(200, json=token_output(idToken=id_token()))
    values = {"credential_process": "awslogin credential-process --profile dev"}
    record = provider(values).login(ScriptedFlow("loopback", LOOPBACK, redirect_with_code))
    assert record["config"] == {"login_session": ALICE}


# remote (paste) login ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "paste",
    [
        lambda r: verification_code(r),
        lambda r: "  " + verification_code(r).rstrip("=") + "\n",  # padding lost in the copy
        lambda r: (
            f"{BASE}/v1/sessions/confirmation?"
            + urlencode({"code": "code-1", "state": query_of(r.url)["state"]})
        ),
    ],
    ids=["verification-code", "unpadded", "redirect-url"],
)
def test_cross_device_login_takes_the_code_or_the_url(
    signin: respx.MockRouter, paste: Callable[[AuthorizationRequest], str]
) -> None:
    route = signin.post(TOKEN_URL).respond(200, json=token_output(idToken=id_token()))
    flow = ScriptedFlow("paste", None, lambda r: {"pasted": paste(r)})

    record = provider().login(flow)

    (request,) = flow.requests
    assert request.redirect_uri == f"{BASE}/v1/sessions/confirmation"  # the page to paste from
    query = query_of(request.url)
    assert query["client_id"] == CROSS_DEVICE_CLIENT
    assert query["redirect_uri"] == f"{BASE}/v1/sessions/confirmation"
    body = json.loads(route.calls.last.request.content)
    assert body["clientId"] == CROSS_DEVICE_CLIENT
    assert body["redirectUri"] == f"{BASE}/v1/sessions/confirmation"
    assert body["code"] == "code-1"
    assert record["providerState"]["clientId"] == CROSS_DEVICE_CLIENT


def test_through_the_relay_the_challenge_method_is_named_as_aws_login_names_it(
    signin: respx.MockRouter,
) -> None:
    signin.post(TOKEN_URL).respond(200, json=token_output(idToken=id_token()))
    flow = ScriptedFlow("relay", None, lambda r: {"pasted": verification_code(r)})
    provider().login(flow)
    assert query_of(flow.requests[0].url)["code_challenge_method"] == "SHA-256"


@pytest.mark.parametrize("text", ["hello", "", "aGVsbG8=", "https://example.test/?code=1"])
def test_pasted_nonsense_is_refused(text: str) -> None:
    with pytest.raises(ProviderError, match="pasted text"):
        parse_pasted(text)


def test_a_pasted_code_for_another_login_is_refused(signin: respx.MockRouter) -> None:
    route = signin.post(TOKEN_URL).respond(200, json=token_output(idToken=id_token()))
    other = base64.b64encode(b"state=someone-else&code=c").decode()
    with pytest.raises(ProviderError, match="state mismatch"):
        provider().login(ScriptedFlow("paste", None, lambda r: {"pasted": other}))
    assert not route.called


def test_an_id_token_without_an_arn_subject_is_refused(signin: respx.MockRouter) -> None:
    signin.post(TOKEN_URL).respond(200, json=token_output(idToken=id_token(sub="alice")))
    with pytest.raises(ProviderError, match="not an ARN"):
        provider().login(ScriptedFlow("loopback", LOOPBACK, redirect_with_code))


# refresh ------------------------------------------------------------------------------------


def session_record(key: DpopKey, now: int | None = None) -> dict[str, Any]:
    now = int(time.time()) if now is None else now
    return {
        "provider": "aws-signin",
        "profile": "dev",
        "config": {"login_session": ALICE},
        "identity": {"arn": ALICE, "subject": ALICE, "accountId": "123456789012"},
        "credentials": {},
        "session": {"startedAt": now, "expiresAt": now + 40000},
        "providerState": {
            "clientId": CROSS_DEVICE_CLIENT,
            "refreshToken": "rt-old",
            "idToken": id_token(),
            "dpopKey": key.to_pem(),
            "tokenType": "aws_sigv4",
        },
        "refreshRetryAfter": now - 1,
    }


def test_refresh_rotates_the_token_with_a_proof_from_the_cached_key(
    signin: respx.MockRouter,
) -> None:
    key = DpopKey.generate()
    route = signin.post(TOKEN_URL).respond(200, json=token_output(refresh_token="rt-new"))

    now = int(time.time())  # both records below: the same second, whenever they are made
    refreshed = provider().refresh(session_record(key, now))

    sent = route.calls.last.request
    assert json.loads(sent.content) == {
        "clientId": CROSS_DEVICE_CLIENT,
        "refreshToken": "rt-old",
        "grantType": "refresh_token",
    }
    header, claims = verified_proof(sent)
    assert thumbprint(header["jwk"]) == thumbprint(key.public_jwk())
    assert claims["htu"] == TOKEN_URL
    assert refreshed["providerState"]["refreshToken"] == "rt-new"
    assert refreshed["credentials"]["AccessKeyId"] == "ASIANEW"
    assert refreshed["session"] == session_record(key, now)["session"]
    assert "refreshRetryAfter" not in refreshed


ENDED = [
    ("TOKEN_EXPIRED", 401, LoginRequired, "session has ended (TOKEN_EXPIRED)"),
    ("USER_CREDENTIALS_CHANGED", 403, LoginRequired, "have changed (USER_CREDENTIALS_CHANGED)"),
    ("INSUFFICIENT_PERMISSIONS", 403, AwsloginError, "signin:CreateOAuth2Token"),
    ("AUTHCODE_EXPIRED", 401, AwsloginError, "expired or was already used"),
]


@pytest.mark.parametrize(("reason", "status", "kind", "words"), ENDED)
def test_access_denied_reasons_become_one_line_messages(
    signin: respx.MockRouter, reason: str, status: int, kind: type[Exception], words: str
) -> None:
    signin.post(TOKEN_URL).respond(
        status,
        json={"error": reason, "message": "Access denied"},
        headers={"x-amzn-ErrorType": "AccessDeniedException"},
    )
    with pytest.raises(kind) as caught:
        provider().refresh(session_record(DpopKey.generate()))
    assert type(caught.value) is kind  # not a ProviderError: no retrying these
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    assert "rt-old" not in message


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_unavailable_service_is_a_provider_error_after_three_attempts(
    signin: respx.MockRouter, status: int
) -> None:
    route = signin.post(TOKEN_URL).respond(status, json={"message": "busy"})
    clock = SleeplessClock()
    with pytest.raises(ProviderError, match=f"unavailable \\(HTTP {status}\\)"):
        provider(clock=clock).refresh(session_record(DpopKey.generate()))
    # botocore's standard retry mode: 3 attempts, full-jitter pauses of up to 1 s, then 2 s.
    assert route.call_count == 3
    assert len(clock.slept) == 2
    assert 0 <= clock.slept[0] <= 1
    assert 0 <= clock.slept[1] <= 2


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_one_transient_failure_is_retried_with_a_fresh_proof(
    signin: respx.MockRouter, status: int
) -> None:
    route = signin.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(status, json={"message": "busy"}),
            httpx.Response(200, json=token_output(refresh_token="rt-new")),
        ]
    )
    refreshed = provider().refresh(session_record(DpopKey.generate()))
    assert refreshed["providerState"]["refreshToken"] == "rt-new"
    first, second = (verified_proof(call.request)[1] for call in route.calls)
    assert first["jti"] != second["jti"]
    assert json.loads(route.calls[0].request.content) == json.loads(route.calls[1].request.content)


def test_a_refusal_is_not_retried(signin: respx.MockRouter) -> None:
    route = signin.post(TOKEN_URL).respond(
        401,
        json={"error": "TOKEN_EXPIRED", "message": "Access denied"},
        headers={"x-amzn-ErrorType": "AccessDeniedException"},
    )
    with pytest.raises(LoginRequired):
        provider().refresh(session_record(DpopKey.generate()))
    assert route.call_count == 1


def test_no_retry_starts_after_the_deadline(signin: respx.MockRouter) -> None:
    class SlowService(SleeplessClock):
        """Each answer takes 15 s (the HTTP timeout): the second one ends past 20 s."""

        def monotonic(self) -> float:
            return super().monotonic() + 15.0 * route.call_count

    route = signin.post(TOKEN_URL).respond(503, json={"message": "busy"})
    with pytest.raises(ProviderError, match="unavailable"):
        provider(clock=SlowService()).refresh(session_record(DpopKey.generate()))
    assert route.call_count == 2


def test_a_validation_error_names_the_service_message(signin: respx.MockRouter) -> None:
    signin.post(TOKEN_URL).respond(
        400,
        json={"error": "INVALID_REQUEST", "message": "DPoP proof htu does not match"},
        headers={"x-amzn-ErrorType": "ValidationException"},
    )
    with pytest.raises(ProviderError, match="htu does not match"):
        provider().refresh(session_record(DpopKey.generate()))


def test_an_unreachable_service_is_a_provider_error(signin: respx.MockRouter) -> None:
    signin.post(TOKEN_URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ProviderError, match="cannot reach AWS Sign-In"):
        provider().refresh(session_record(DpopKey.generate()))


def test_an_incomplete_answer_is_refused(signin: respx.MockRouter) -> None:
    signin.post(TOKEN_URL).respond(200, json={"accessToken": {}, "expiresIn": 900})
    with pytest.raises(ProviderError, match="incomplete"):
        provider().refresh(session_record(DpopKey.generate()))


def test_a_session_without_refresh_token_needs_a_login() -> None:
    record = session_record(DpopKey.generate())
    record["providerState"].pop("refreshToken")
    with pytest.raises(LoginRequired):
        provider().refresh(record)


# terminal paste flow ------------------------------------------------------------------------


class Shown:
    """A Display that records what the person is shown."""

    def __init__(self) -> None:
        self.links: list[tuple[str, bool]] = []
        self.lines: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    def show_link(
        self,
        url: str,
        *,
        user_code: str | None = None,
        qr: bool = True,
        type_at: str | None = None,
        number: int | None = None,
    ) -> None:
        self.links.append((url, qr))

    def countdown(self, text: str, deadline: float) -> Any:
        raise AssertionError("the paste flow has no countdown")


def test_paste_flow_shows_the_url_and_returns_the_first_non_blank_line() -> None:
    typed = iter(["\n", "   \n", "  dGhlIGNvZGU=  \n"])
    shown = Shown()
    flow = PasteFlow(shown, lambda: next(typed), qr=False)
    built: list[str | None] = []

    def build(redirect_uri: str | None) -> AuthorizationRequest:
        built.append(redirect_uri)
        return AuthorizationRequest(
            "https://signin.example.test/v1/authorize?x=1", "s", "c", "https://shown.test/"
        )

    response = flow.authorize(build)

    assert built == [None]  # no redirect: the provider's own page shows the code
    assert shown.links == [("https://signin.example.test/v1/authorize?x=1", False)]
    assert "Paste the verification code" in shown.lines[-1]
    assert response.params == {"pasted": "dGhlIGNvZGU="}


@pytest.mark.parametrize(
    ("redirect_uri", "asked", "missing"),
    [
        # AWS Sign-In's own page, even on a loopback address (as the test fake runs).
        (
            "http://127.0.0.1:9/v1/sessions/confirmation",
            "Paste the verification code",
            "verification code",
        ),
        (
            "http://127.0.0.1:50123/oauth/callback",
            "fails to open a page at http://127.0.0.1:50123: copy the whole address",
            "address",
        ),
    ],
)
def test_paste_flow_asks_for_what_the_other_device_will_show(
    redirect_uri: str, asked: str, missing: str
) -> None:
    shown = Shown()
    flow = PasteFlow(shown, lambda: "", qr=False)
    request = AuthorizationRequest("https://x.test/a", "s", "c", redirect_uri)
    with pytest.raises(AwsloginError, match=f"no {missing}.* \\(end of input\\)"):
        flow.authorize(lambda uri: request)
    assert asked in shown.lines[-1]


def test_paste_flow_at_end_of_input_fails_clearly() -> None:
    flow = PasteFlow(Shown(), lambda: "")
    with pytest.raises(AwsloginError, match="end of input"):
        flow.authorize(
            lambda uri: AuthorizationRequest("https://x.test/a", "s", "c", "https://x.test/")
        )


def test_a_sign_in_subject_that_is_no_plain_arn_is_refused() -> None:
    from awslogin.providers.aws_signin import account_of

    arn = "arn:aws:sts::123456789012:assumed-role/dev/alice"
    assert account_of(arn) == "123456789012"
    with pytest.raises(ProviderError, match="not an ARN"):
        account_of(arn + "\rcredential_process = touch /tmp/pwn")
