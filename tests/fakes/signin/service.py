"""The sign-in service's state machine: authorizations, one-time codes, sessions, rotation.

HTTP-free so the rules read in one place; app.py only translates requests and
errors. All public methods take the lock because tests read and turn knobs from
the test thread while uvicorn serves from its own thread.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.signin.dpop import DpopError, DpopProof, b64url_encode, verify_proof

SAME_DEVICE_CLIENT = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE_CLIENT = "arn:aws:signin:::devtools/cross-device"
CLIENT_IDS = (SAME_DEVICE_CLIENT, CROSS_DEVICE_CLIENT)
CONFIRMATION_PATH = "/v1/sessions/confirmation"
TOKEN_PATH = "/v1/token"

# Status codes per the AccessDeniedException documentation in the service model.
DENIAL_STATUS = {
    "TOKEN_EXPIRED": 401,
    "AUTHCODE_EXPIRED": 401,
    "USER_CREDENTIALS_CHANGED": 403,
    "INSUFFICIENT_PERMISSIONS": 403,
}

_LOOPBACK_REDIRECT = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/oauth/callback")
_CLIENT_ID = re.compile(r"arn:aws:signin:::devtools/(cross-device|same-device)")
_GRANT_TYPE = re.compile(r"(authorization_code|refresh_token)")
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]+")
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
# The AWS CLI sends "SHA-256"; RFC 7636 names the same method "S256".
_S256_METHODS = ("S256", "SHA-256")
_STRING_FIELDS = ("clientId", "grantType", "code", "redirectUri", "codeVerifier", "refreshToken")


class AuthorizeError(Exception):
    """An /v1/authorize request the service shows an error page for (never redirects)."""


class ServiceError(Exception):
    """A modeled CreateOAuth2Token error: shape name, OAuth2ErrorCode and HTTP status."""

    def __init__(self, shape: str, error: str, status: int, message: str) -> None:
        super().__init__(message)
        self.shape = shape
        self.error = error
        self.status = status
        self.message = message


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationException", "INVALID_REQUEST", 400, message)


def access_denied(reason: str, message: str) -> ServiceError:
    return ServiceError("AccessDeniedException", reason, DENIAL_STATUS[reason], message)


@dataclass
class Settings:
    """Knobs; tests may change them while the fake runs."""

    accounts: dict[str, str] = field(
        default_factory=lambda: {"alice": "arn:aws:iam::123456789012:user/alice"}
    )
    access_token_lifetime: int = 900
    session_lifetime: float = 12 * 3600
    code_lifetime: float = 300
    dpop_max_age: float = 60
    dpop_max_skew: float = 5
    # The model calls refresh "idempotent within token validity window": within this many
    # seconds a just-rotated refresh token gets the same answer again. 0 = strict rotation.
    refresh_replay_window: float = 0


@dataclass
class PendingAuthorization:
    """A validated /v1/authorize request waiting for the person's decision."""

    request_id: str
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    login_session: str
    issued_at: float
    used: bool = False
    session: LoginSession | None = None


@dataclass
class IssuedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float


@dataclass
class LoginSession:
    """One signed-in session: the identity, the bound DPoP key, its refresh-token chain."""

    login_session: str
    account_id: str
    client_id: str
    jkt: str
    started_at: float
    ends_at: float
    refresh_token: str
    retired_refresh_tokens: list[str] = field(default_factory=list)
    credentials: list[IssuedCredentials] = field(default_factory=list)
    revoked: bool = False

    def ended(self, now: float) -> bool:
        return self.revoked or now >= self.ends_at


def account_id_of(login_session: str) -> str:
    """The account is the fifth field of the ARN, as the AWS CLI derives it."""
    parts = login_session.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[4].isdigit():
        raise ValueError("login session must be an ARN with an account id")
    return parts[4]


def s256(verifier: str) -> str:
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def verification_code(code: str, state: str) -> str:
    """What the confirmation page shows: standard base64 of `state=...&code=...`.

    `aws login --remote` base64-decodes the pasted text and reads `code` and
    `state` from it as a query string.
    """
    return base64.b64encode(urlencode({"state": state, "code": code}).encode()).decode("ascii")


def _random_key_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))


class SigninService:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self._lock = threading.RLock()
        self.base_url = ""
        self.id_token_key = ec.generate_private_key(ec.SECP256R1())
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._refresh_index: dict[str, LoginSession] = {}
        self._seen_jti: dict[str, float] = {}
        self._forced: deque[str] = deque()
        self._rotated: dict[str, tuple[float, dict[str, Any]]] = {}
        self.sessions: list[LoginSession] = []
        self.token_calls = 0
        self.token_calls_by_grant: dict[str, int] = {}

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    @property
    def confirmation_url(self) -> str:
        return self.base_url + CONFIRMATION_PATH

    # knobs -----------------------------------------------------------------

    def deny_next(self, reason: str, count: int = 1) -> None:
        """Make the next `count` token calls fail with AccessDenied `reason`."""
        if reason not in DENIAL_STATUS:
            raise ValueError(f"unknown AccessDenied reason {reason}")
        with self._lock:
            self._forced.extend([reason] * count)

    def revoke(self, login_session: str) -> None:
        """End every session of this identity now (e.g. the console session was signed out)."""
        with self._lock:
            for session in self.sessions:
                if session.login_session == login_session:
                    session.revoked = True

    # authorization -----------------------------------------------------------

    def start_authorization(self, query: Mapping[str, str]) -> PendingAuthorization:
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in CLIENT_IDS:
            raise AuthorizeError("unknown client_id")
        if client_id == SAME_DEVICE_CLIENT:
            match = _LOOPBACK_REDIRECT.fullmatch(redirect_uri)
            if match is None or not 0 < int(match.group(1)) < 65536:
                raise AuthorizeError(
                    "redirect_uri must be http://127.0.0.1:PORT/oauth/callback for same-device"
                )
        elif redirect_uri != self.confirmation_url:
            raise AuthorizeError(f"redirect_uri must be {self.confirmation_url} for cross-device")
        if query.get("response_type") != "code":
            raise AuthorizeError("response_type must be code")
        if "openid" not in query.get("scope", "").split():
            raise AuthorizeError("scope must include openid")
        state = query.get("state", "")
        if not state:
            raise AuthorizeError("state is required")
        if query.get("code_challenge_method") not in _S256_METHODS:
            raise AuthorizeError("code_challenge_method must be SHA-256 (S256)")
        challenge = query.get("code_challenge", "")
        if not _CODE_CHALLENGE.fullmatch(challenge):
            raise AuthorizeError("code_challenge must be a base64url SHA-256 digest")
        pending = PendingAuthorization(
            request_id=secrets.token_urlsafe(24),
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
        )
        with self._lock:
            self._pending[pending.request_id] = pending
        return pending

    def decide(self, request_id: str, username: str, allow: bool) -> str:
        """The person's answer on the sign-in page; returns where the browser goes next."""
        with self._lock:
            pending = self._pending.pop(request_id, None)
            if pending is None:
                raise AuthorizeError("this sign-in request is unknown or was already answered")
            if not allow:
                params = {
                    "error": "access_denied",
                    "error_description": "The user denied the request",
                    "state": pending.state,
                }
                return f"{pending.redirect_uri}?{urlencode(params)}"
            login_session = self.settings.accounts.get(username)
            if login_session is None:
                self._pending[request_id] = pending
                raise AuthorizeError("unknown user name")
            code = secrets.token_urlsafe(32)
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=pending.client_id,
                redirect_uri=pending.redirect_uri,
                code_challenge=pending.code_challenge,
                login_session=login_session,
                issued_at=self._clock(),
            )
        return f"{pending.redirect_uri}?{urlencode({'code': code, 'state': pending.state})}"

    def knows_code(self, code: str) -> bool:
        with self._lock:
            return code in self._codes

    # token -------------------------------------------------------------------

    def create_token(self, raw_body: bytes, dpop_header: str | None) -> dict[str, Any]:
        """CreateOAuth2Token: returns the `tokenOutput` payload or raises ServiceError.

        Every call counts, refused ones too, so tests can assert "exactly one refresh".
        """
        with self._lock:
            self.token_calls += 1
            try:
                body = json.loads(raw_body)
            except ValueError as exc:
                raise validation_error("Request body is not valid JSON") from exc
            token_input = self._validate_body(body)
            grant = token_input["grantType"]
            self.token_calls_by_grant[grant] = self.token_calls_by_grant.get(grant, 0) + 1
            proof = self._check_dpop(dpop_header)
            if self._forced:
                reason = self._forced.popleft()
                raise access_denied(reason, f"Access denied ({reason})")
            if grant == "authorization_code":
                return self._redeem_code(token_input, proof)
            return self._refresh(token_input, proof)

    def _validate_body(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error("Request body must be a JSON object")
        for name in _STRING_FIELDS:
            if name in body and not isinstance(body[name], str):
                raise validation_error(f"{name} must be a string")
        if not _CLIENT_ID.fullmatch(body.get("clientId", "")):
            raise validation_error("clientId is missing or not a devtools client")
        if not _GRANT_TYPE.fullmatch(body.get("grantType", "")):
            raise validation_error("grantType must be authorization_code or refresh_token")
        limits = {"code": (1, 512), "redirectUri": (1, 2048), "refreshToken": (1, 2048)}
        for name, (low, high) in limits.items():
            if name in body and not low <= len(body[name]) <= high:
                raise validation_error(f"{name} has an invalid length")
        verifier = body.get("codeVerifier")
        if verifier is not None and not (
            43 <= len(verifier) <= 128 and _CODE_VERIFIER.fullmatch(verifier)
        ):
            raise validation_error("codeVerifier must be 43-128 unreserved characters")
        if body["grantType"] == "authorization_code":
            missing = [n for n in ("code", "redirectUri", "codeVerifier") if n not in body]
        else:
            missing = [n for n in ("refreshToken",) if n not in body]
        if missing:
            raise validation_error(f"Missing required field(s): {', '.join(missing)}")
        return body

    def _check_dpop(self, header: str | None) -> DpopProof:
        now = self._clock()
        try:
            proof = verify_proof(
                header,
                htm="POST",
                htu=self.token_url,
                now=now,
                max_age=self.settings.dpop_max_age,
                max_skew=self.settings.dpop_max_skew,
            )
        except DpopError as exc:
            raise validation_error(str(exc)) from exc
        horizon = now - self.settings.dpop_max_age - self.settings.dpop_max_skew
        for jti in [j for j, seen in self._seen_jti.items() if seen < horizon]:
            del self._seen_jti[jti]
        if proof.jti in self._seen_jti:
            raise validation_error("DPoP proof jti was already used")
        self._seen_jti[proof.jti] = now
        return proof

    def _redeem_code(self, token_input: dict[str, Any], proof: DpopProof) -> dict[str, Any]:
        now = self._clock()
        grant = self._codes.get(token_input["code"])
        if grant is None:
            raise access_denied("AUTHCODE_EXPIRED", "The authorization code is invalid")
        if grant.used:
            # RFC 6749 4.1.2: a replayed code revokes what it was exchanged for.
            if grant.session is not None:
                grant.session.revoked = True
            raise access_denied("AUTHCODE_EXPIRED", "The authorization code was already used")
        grant.used = True
        if now - grant.issued_at > self.settings.code_lifetime:
            raise access_denied("AUTHCODE_EXPIRED", "The authorization code has expired")
        if token_input["clientId"] != grant.client_id:
            raise validation_error("clientId does not match the authorization request")
        if token_input["redirectUri"] != grant.redirect_uri:
            raise validation_error("redirectUri does not match the authorization request")
        if s256(token_input["codeVerifier"]) != grant.code_challenge:
            raise validation_error("codeVerifier does not match the code challenge")
        session = LoginSession(
            login_session=grant.login_session,
            account_id=account_id_of(grant.login_session),
            client_id=grant.client_id,
            jkt=proof.jkt,
            started_at=now,
            ends_at=now + self.settings.session_lifetime,
            refresh_token=self._new_refresh_token(),
        )
        self._refresh_index[session.refresh_token] = session
        grant.session = session
        self.sessions.append(session)
        output = self._token_output(session, now)
        output["idToken"] = self._id_token(session, now)
        return output

    def _refresh(self, token_input: dict[str, Any], proof: DpopProof) -> dict[str, Any]:
        now = self._clock()
        session = self._refresh_index.get(token_input["refreshToken"])
        if session is None:
            raise access_denied("TOKEN_EXPIRED", "The refresh token is invalid")
        if session.ended(now):
            raise access_denied("TOKEN_EXPIRED", "The session has ended; sign in again")
        if token_input["clientId"] != session.client_id:
            raise validation_error("clientId does not match the session")
        if proof.jkt != session.jkt:
            raise validation_error("DPoP key is not the key the refresh token is bound to")
        if token_input["refreshToken"] != session.refresh_token:
            rotated_at, answer = self._rotated.get(token_input["refreshToken"], (0.0, {}))
            if answer and now - rotated_at <= self.settings.refresh_replay_window:
                return dict(answer)
            raise access_denied("TOKEN_EXPIRED", "The refresh token was already used")
        old_token = session.refresh_token
        session.retired_refresh_tokens.append(old_token)
        session.refresh_token = self._new_refresh_token()
        self._refresh_index[session.refresh_token] = session
        output = self._token_output(session, now)
        self._rotated[old_token] = (now, output)
        return output

    def _new_refresh_token(self) -> str:
        return "rt." + secrets.token_urlsafe(48)

    def _token_output(self, session: LoginSession, now: float) -> dict[str, Any]:
        remaining = int(session.ends_at - now)
        expires_in = max(1, min(self.settings.access_token_lifetime, 900, remaining))
        credentials = IssuedCredentials(
            access_key_id=_random_key_id(),
            secret_access_key=secrets.token_urlsafe(30)[:40],
            session_token=secrets.token_urlsafe(180),
            expires_at=now + expires_in,
        )
        session.credentials.append(credentials)
        return {
            "accessToken": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": expires_in,
            "refreshToken": session.refresh_token,
        }

    def _id_token(self, session: LoginSession, now: float) -> str:
        claims = {
            "iss": self.base_url,
            "sub": session.login_session,
            "aud": session.client_id,
            "iat": int(now),
            "auth_time": int(now),
            "exp": int(session.ends_at),
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.id_token_key, algorithm="ES256", headers={"kid": "fake-1"})
