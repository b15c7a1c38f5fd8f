"""Provider `aws-signin`: the `aws login` protocol of AWS Sign-In (AWS CLI v2.32+).

The person signs in to the AWS console; AWS Sign-In hands the CLI short-lived
credentials directly (no role to assume) and a refresh token bound, through DPoP, to a
P-256 key made for this login. The session is botocore's: it is cached where botocore's
login provider reads it (see stores/aws_signin.py), and the profile gets
`login_session`, so the AWS CLI and boto3 use it natively.

Same device: client `arn:aws:signin:::devtools/same-device` with the loopback redirect.
Remote: client `arn:aws:signin:::devtools/cross-device`, whose redirect is AWS Sign-In's
own confirmation page; it shows a verification code (base64 of `state=...&code=...`)
that comes back pasted, in the terminal or on the relay's paste page.

The ID token arrives straight from the token endpoint over TLS in exchange for this
login's code and verifier, so it is not verified again (OpenID Connect Core 3.1.3.7);
only its `sub`, the session ARN that names the cache file, is read from it.

Logout revokes the refresh token and its whole chain with RevokeOAuth2TokenWithIAM,
signed (SigV4, crypto/sigv4.py) with the session's own credentials (docs/security.md,
"Logout").
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import HttpFactory, json_answer, unreachable
from awslogin.crypto.dpop import DpopKey, DpopKeyError
from awslogin.crypto.jwt_claims import id_token_claims
from awslogin.crypto.pkce import challenge_s256, new_verifier
from awslogin.crypto.sigv4 import SigningCredentials, sign
from awslogin.errors import (
    AwsloginError,
    ConfigError,
    LoginRequired,
    ProviderError,
    one_line,
)
from awslogin.flows.base import AuthorizationRequest, Mode
from awslogin.flows.callback import check_callback
from awslogin.profile import LOGIN_SESSION_KEY, Profile, other_credential_style
from awslogin.providers.aws_retry import send_with_retries
from awslogin.providers.base import (
    RelayPrecedence,
    RemoteFlow,
    Revocation,
    SignInFlow,
    authorization_flow,
)
from awslogin.session_record import (
    SESSION_LIMIT_SECONDS,
    Credentials,
    Identity,
    ProviderState,
    SessionRecord,
    SessionWindow,
    new_credentials,
)

SAME_DEVICE_CLIENT = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE_CLIENT = "arn:aws:signin:::devtools/cross-device"
CONFIRMATION_PATH = "/v1/sessions/confirmation"
TOKEN_PATH = "/v1/token"  # noqa: S105 (a path, not a secret)
# RevokeOAuth2TokenWithIAM (botocore's signin model, 2023-01-01): SigV4-signed, signing
# name `signin`, a JSON body {"token": refresh token}, 200 with an empty body.
REVOKE_PATH = "/v1/revoke?x-amz-client-auth-method=iam"
SIGNING_NAME = "signin"
# Logout waits at most this long for one revocation request, and sends none (the
# operation is idempotent: a 5xx or 429 is sent again, as botocore would) after twice it.
REVOKE_TIMEOUT_SECONDS = 5.0
# Credentials with less than this left are refreshed before they sign a revocation: AWS
# refuses a signature made with credentials that expired on the way (ExpiredToken).
SIGNING_MARGIN_SECONDS = 60
# What `aws login` sends, and so what AWS Sign-In is known to accept.
CHALLENGE_METHOD = "SHA-256"
MAX_CREDENTIAL_SECONDS = 900
# No retry of a failed token call starts later than this after the first attempt.
TOKEN_DEADLINE_SECONDS = 20.0
_LOOPBACK_REDIRECT = re.compile(r"http://127\.0\.0\.1:\d{1,5}/oauth/callback")
# An ARN is printable ASCII without spaces: the subject is written into the config file.
_ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):[\x21-\x7e]+")

# AccessDenied reasons (botocore's signin model), as one line each.
_ENDED = {
    "TOKEN_EXPIRED": "your AWS sign-in session has ended (TOKEN_EXPIRED)",
    "USER_CREDENTIALS_CHANGED": (
        "the console credentials you signed in with have changed (USER_CREDENTIALS_CHANGED)"
    ),
}
_INSUFFICIENT = (
    "AWS Sign-In refused: your identity may not use the AWS CLI sign-in "
    "(INSUFFICIENT_PERMISSIONS); ask an administrator to allow signin:CreateOAuth2Token"
)
_AUTHCODE_EXPIRED = (
    "the sign-in code expired or was already used (AUTHCODE_EXPIRED): "
    "run `awslogin login --profile {profile}` again and paste the code within 5 minutes"
)


def signin_base_url(profile: Profile) -> str:
    """AWS Sign-In's base URL: the profile's endpoint override (Profile.endpoint), else the
    region's."""
    region = profile.region
    if not region:
        raise ConfigError(
            f"profile {profile.name} has no region for AWS Sign-In: "
            f"run `awslogin login --profile {profile.name} --region REGION`"
        )
    if region.startswith("cn-"):
        default = f"https://{region}.signin.amazonaws.cn"
    elif region.startswith("us-gov-"):
        default = f"https://{region}.signin.amazonaws-us-gov.com"
    else:
        default = f"https://{region}.signin.aws.amazon.com"
    return profile.endpoint("SIGNIN", default).rstrip("/")


def signin_oauth_url(profile: Profile) -> str:
    """Where AWS Sign-In's IAM-signed OAuth operations go (the model's `IsOAuthEndpoint`
    endpoint rule): `https://{region}.oauth.signin.aws` in the aws partition, the sign-in
    endpoint in the others; the profile's endpoint override for both."""
    region = profile.region
    if region is None or region.startswith(("cn-", "us-gov-")):
        return signin_base_url(profile)
    return profile.endpoint("SIGNIN", f"https://{region}.oauth.signin.aws").rstrip("/")


def account_of(login_session: str) -> str:
    match = _ARN_ACCOUNT.fullmatch(login_session)
    if match is None:
        raise ProviderError("AWS Sign-In returned an ID token whose subject is not an ARN")
    return match.group(1)


def parse_pasted(text: str) -> dict[str, str]:
    """`code` and `state` (or `error`) from a pasted verification code or redirect URL."""
    compact = "".join(text.split())
    if "://" in compact:
        query = urlsplit(compact).query
    else:
        try:
            padded = compact + "=" * (-len(compact) % 4)
            decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
            query = decoded.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            query = ""
    fields = dict(parse_qsl(query))
    if "state" not in fields or ("code" not in fields and "error" not in fields):
        raise ProviderError(
            "the pasted text is neither the verification code nor the address of the page "
            "that showed it; run login again and paste the whole code"
        )
    return {
        key: fields[key] for key in ("code", "state", "error", "error_description") if key in fields
    }


@dataclass(frozen=True)
class SigninTokens:
    """CreateOAuth2Token's answer, checked: credentials and the tokens that continue them."""

    credentials: Credentials = field(repr=False)
    refresh_token: str = field(repr=False)
    id_token: str | None = field(repr=False)
    token_type: str


class AwsSigninProvider:
    name: ClassVar[str] = "aws-signin"
    session_keys: ClassVar[tuple[str, ...]] = (LOGIN_SESSION_KEY,)
    # Remote sign-ins come back as a pasted verification code: on the relay's page when a
    # relay is configured, else in the terminal (as `aws login --remote`).
    relay_precedence: ClassVar[RelayPrecedence] = "configured"
    relay_mode: ClassVar[Mode] = "paste"
    needs_region: ClassVar[bool] = True  # the sign-in endpoint is regional

    def __init__(self, profile: Profile, http: HttpFactory, clock: Clock) -> None:
        self.profile = profile
        self.http = http
        self.clock = clock

    @cached_property
    def base_url(self) -> str:
        """Resolved on first use: logout needs no region."""
        return signin_base_url(self.profile)

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    # -- token endpoint ------------------------------------------------------------------

    def _create_token(
        self, client: httpx.Client, body: dict[str, str], key: DpopKey
    ) -> SigninTokens:
        """CreateOAuth2Token (rest-json; tokenInput is the body, tokenOutput the answer).

        A 5xx or 429 is sent again as botocore would (providers/aws_retry.py), each time
        with a new DPoP proof: a proof is for one request (RFC 9449 4.2, `jti`).
        """

        def send() -> httpx.Response:
            proof = key.proof("POST", self.token_url, now=self.clock.now())
            return client.post(self.token_url, json=body, headers={"DPoP": proof})

        try:
            response = send_with_retries(send, self.clock, deadline_seconds=TOKEN_DEADLINE_SECONDS)
        except httpx.HTTPError as exc:
            raise unreachable(exc, f"AWS Sign-In at {self.base_url}", party="AWS Sign-In") from exc
        try:
            answer = json_answer(response)
        except ValueError:
            answer = None
        output = answer if isinstance(answer, dict) else {}
        if response.status_code != 200:
            raise self._refusal(response, output)
        access = output.get("accessToken")
        refresh_token, expires_in = output.get("refreshToken"), output.get("expiresIn")
        if not (
            isinstance(access, dict)
            and all(
                isinstance(access.get(k), str)
                for k in ("accessKeyId", "secretAccessKey", "sessionToken")
            )
            and isinstance(refresh_token, str)
            and isinstance(expires_in, int)
        ):
            raise ProviderError("AWS Sign-In sent an incomplete token response; try again")
        # Credentials rotate every 15 minutes at the most, whatever expiresIn says.
        expires_at = int(self.clock.now()) + max(1, min(expires_in, MAX_CREDENTIAL_SECONDS))
        id_token, token_type = output.get("idToken"), output.get("tokenType")
        return SigninTokens(
            credentials=new_credentials(
                access["accessKeyId"], access["secretAccessKey"], access["sessionToken"], expires_at
            ),
            refresh_token=refresh_token,
            id_token=id_token if isinstance(id_token, str) else None,
            token_type=token_type if isinstance(token_type, str) and token_type else "aws_sigv4",
        )

    def _refusal(self, response: httpx.Response, body: Mapping[str, Any]) -> AwsloginError:
        shape = response.headers.get("x-amzn-ErrorType", "").split(":")[0]
        error = body.get("error")
        reason = error if isinstance(error, str) else None
        if shape == "AccessDeniedException" or reason in (*_ENDED, "INSUFFICIENT_PERMISSIONS"):
            if reason in _ENDED:
                return LoginRequired(self.profile.name, _ENDED[str(reason)])
            if reason == "INSUFFICIENT_PERMISSIONS":
                return AwsloginError(_INSUFFICIENT)
            if reason == "AUTHCODE_EXPIRED":
                return AwsloginError(_AUTHCODE_EXPIRED.format(profile=self.profile.name))
        detail = one_line(body.get("message") or reason or shape or "", 160)
        if response.status_code == 429 or response.status_code >= 500:
            return ProviderError(
                f"AWS Sign-In is unavailable (HTTP {response.status_code}); try again shortly"
            )
        return ProviderError(
            f"AWS Sign-In refused the request (HTTP {response.status_code}"
            + (f": {detail})" if detail else ")")
        )

    # -- Provider interface --------------------------------------------------------------

    def remote_flow(self) -> RemoteFlow:
        return "paste"

    def login(self, flow: SignInFlow) -> SessionRecord:
        authorization = authorization_flow(flow, self.name)
        style = other_credential_style(self.profile.name, self.profile.values)
        if style is not None:
            raise ConfigError(
                f"profile {self.profile.name} already gets {style} credentials; "
                "sign in with another profile name or remove those keys first"
            )
        verifier, state = new_verifier(), str(uuid.uuid4())

        def build(redirect_uri: str | None) -> AuthorizationRequest:
            if redirect_uri is None:  # remote: AWS Sign-In's own page shows the code
                client_id, redirect_uri = CROSS_DEVICE_CLIENT, self.base_url + CONFIRMATION_PATH
            elif _LOOPBACK_REDIRECT.fullmatch(redirect_uri):
                client_id = SAME_DEVICE_CLIENT
            else:
                raise ProviderError(
                    "AWS Sign-In redirects only to 127.0.0.1 or to its own confirmation page; "
                    "a remote login pastes the verification code instead"
                )
            return AuthorizationRequest.for_code(
                f"{self.base_url}/v1/authorize",
                client_id=client_id,
                redirect_uri=redirect_uri,
                state=state,
                code_challenge_method=CHALLENGE_METHOD,
                scope="openid",
                code_challenge=challenge_s256(verifier),
            )

        response = authorization.authorize(build)
        params = dict(response.params)
        if "pasted" in params:
            params = parse_pasted(params["pasted"])
        code = check_callback(params, response.request, party="AWS Sign-In")
        key = DpopKey.generate()
        with self.http.client() as client:
            tokens = self._create_token(
                client,
                {
                    "clientId": response.request.client_id,
                    "grantType": "authorization_code",
                    "code": code,
                    "redirectUri": response.request.redirect_uri,
                    "codeVerifier": verifier,
                },
                key,
            )
        subject = id_token_claims(tokens.id_token).get("sub")
        if not isinstance(subject, str):
            raise ProviderError("AWS Sign-In returned no usable ID token; try again")
        now = int(self.clock.now())
        return SessionRecord(
            provider=self.name,
            profile=self.profile.name,
            config={LOGIN_SESSION_KEY: subject},
            identity=Identity(arn=subject, subject=subject, accountId=account_of(subject)),
            credentials=tokens.credentials,
            session=SessionWindow(startedAt=now, expiresAt=now + SESSION_LIMIT_SECONDS),
            providerState=ProviderState(
                clientId=response.request.client_id,
                refreshToken=tokens.refresh_token,
                idToken=str(tokens.id_token),
                dpopKey=key.to_pem(),
                tokenType=tokens.token_type,
            ),
        )

    def refresh(self, record: SessionRecord) -> SessionRecord:
        state = record["providerState"].copy()
        refresh_token, client_id = state.get("refreshToken"), state.get("clientId")
        if refresh_token is None or client_id is None:
            raise LoginRequired(self.profile.name, "the cached session has no refresh token")
        try:
            key = DpopKey.from_pem(state.get("dpopKey") or "")
        except DpopKeyError as exc:
            raise LoginRequired(
                self.profile.name, f"the cached session is unusable ({exc})"
            ) from exc
        with self.http.client() as client:
            tokens = self._create_token(
                client,
                {
                    "clientId": client_id,
                    "refreshToken": refresh_token,
                    "grantType": "refresh_token",
                },
                key,
            )
        state["refreshToken"] = tokens.refresh_token
        refreshed = record.copy()
        refreshed.pop("endedReason", None)
        refreshed.pop("refreshRetryAfter", None)
        refreshed["credentials"] = tokens.credentials
        refreshed["providerState"] = state
        return refreshed

    def revoke(self, record: SessionRecord) -> Revocation:
        """RevokeOAuth2TokenWithIAM with the session's own credentials, refreshed first
        when they are about to expire: the refresh token and its chain end at AWS Sign-In.
        Credentials already handed out work until they expire (15 minutes at most)."""
        if not record["providerState"].get("refreshToken"):
            return Revocation(False, "no refresh token to revoke")
        if record["credentials"]["ExpiresAt"] - self.clock.now() < SIGNING_MARGIN_SECONDS:
            try:
                record = self.refresh(record)
            except LoginRequired:
                return Revocation(False, "the session had already ended at AWS Sign-In")
        return self._send_revocation(record)

    def _send_revocation(self, record: SessionRecord) -> Revocation:
        base = signin_oauth_url(self.profile)
        url = base + REVOKE_PATH
        region = str(self.profile.region)  # signin_oauth_url refused a profile without one
        credentials = record["credentials"]
        signer = SigningCredentials(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
        )
        body = json.dumps({"token": record["providerState"].get("refreshToken")}).encode()

        def send() -> httpx.Response:
            headers = sign(
                "POST",
                url,
                {"Content-Type": "application/json"},
                body,
                credentials=signer,
                region=region,
                service=SIGNING_NAME,
                now=self.clock.now(),
            )
            return client.post(url, content=body, headers=headers)

        with self.http.client(REVOKE_TIMEOUT_SECONDS) as client:
            try:
                response = send_with_retries(
                    send, self.clock, deadline_seconds=2 * REVOKE_TIMEOUT_SECONDS
                )
            except httpx.HTTPError as exc:
                failure = unreachable(exc, f"AWS Sign-In at {base}", party="AWS Sign-In")
                return Revocation(False, f"refresh token not revoked: {failure.message}", True)
        return self._revocation_answer(response)

    def _revocation_answer(self, response: httpx.Response) -> Revocation:
        if response.status_code == 200:
            return Revocation(
                True,
                "refresh token revoked at AWS Sign-In (credentials already handed out work "
                "until they expire, 15 minutes at most)",
            )
        try:
            answer = json_answer(response)
        except ValueError:
            answer = None
        body = answer if isinstance(answer, dict) else {}
        shape = one_line(response.headers.get("x-amzn-ErrorType", "").split(":")[0], 60)
        # Fields of another type than the model's are no answer: never a crash that
        # leaves the local session in place.
        error, message = body.get("error"), body.get("message")
        reason = error if isinstance(error, str) else None
        if reason in _ENDED:
            return Revocation(False, "the session had already ended at AWS Sign-In")
        if reason == "INSUFFICIENT_PERMISSIONS":
            return Revocation(
                False,
                "refresh token not revoked: your identity may not call "
                "signin:RevokeOAuth2TokenWithIAM (INSUFFICIENT_PERMISSIONS)",
                True,
            )
        detail = one_line((message if isinstance(message, str) else None) or reason or "", 160)
        said = f"{shape}: {detail}" if shape and detail else shape or detail
        return Revocation(
            False,
            f"refresh token not revoked: AWS Sign-In answered HTTP {response.status_code}"
            + (f" ({said})" if said else ""),
            True,
        )
