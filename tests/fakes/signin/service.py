"""The sign-in service's state machine: authorizations, one-time codes, sessions, rotation.

HTTP-free so the rules read in one place; app.py only translates requests and
errors. All public methods take the lock because tests read and turn knobs from
the test thread while uvicorn serves from its own thread.
"""

from __future__ import annotations

import base64
import hashlib
import math
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

from tests.fakes.signin.authorize import (
    AuthorizeError,
    PendingAuthorization,
    check_authorize_request,
)
from tests.fakes.signin.dpop import DpopError, DpopProof, b64url_encode, verify_proof
from tests.fakes.signin.records import (
    AuthorizationCode,
    IssuedCredentials,
    LoginSession,
    RotatedAnswer,
    account_id_of,
)
from tests.fakes.signin.revoke_request import parse_revoke_request
from tests.fakes.signin.sigv4 import IssuedKey, SignedRequest, verify
from tests.fakes.signin.token_request import (
    DENIAL_STATUS,
    FAILURE_STATUS,
    ServiceError,
    access_denied,
    failure,
    parse_token_request,
    validation_error,
)

CONFIRMATION_PATH = "/v1/sessions/confirmation"
TOKEN_PATH = "/v1/token"


@dataclass
class Settings:
    """Knobs; tests may change them while the fake runs."""

    accounts: dict[str, str] = field(
        default_factory=lambda: {"alice": "arn:aws:iam::123456789012:user/alice"}
    )
    # The model's ExpiresIn: "at most 900 (15 minutes)".
    access_token_lifetime: int = 900
    session_lifetime: float = 12 * 3600
    # AWS documents no code lifetime; RFC 6749 4.1.2 recommends at most 10 minutes, and the
    # fake takes that maximum so that a slow paste is never refused here and accepted there.
    code_lifetime: float = 600
    # AWS documents no DPoP window for Sign-In. The fake takes 5 minutes either way, the
    # clock skew AWS tolerates for SigV4-signed requests, rather than refusing a client
    # whose clock is a few seconds off that AWS might well accept.
    dpop_max_age: float = 300
    dpop_max_skew: float = 300
    # The model documents refresh as "Idempotent within token validity window: multiple
    # calls with same refresh_token return consistent results within validity window".
    # None (the default) follows it: a rotated refresh token gets the same answer again
    # while the credentials of that answer are valid. A number of seconds narrows the
    # window (0 = strict rotation), for tests that need a replay refused.
    refresh_replay_window: float | None = None
    # The region of the credential scope RevokeOAuth2TokenWithIAM's signature must name.
    region: str = "us-east-1"
    # AWS refuses a SigV4 request whose x-amz-date is more than 5 minutes off its clock.
    sigv4_max_skew: float = 300
    # As IAM would when no policy allows signin:RevokeOAuth2TokenWithIAM.
    revocation_denied: bool = False


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
        self._forced: deque[ServiceError] = deque()
        self._rotated: dict[str, RotatedAnswer] = {}
        self.sessions: list[LoginSession] = []
        self.token_calls = 0
        self.token_calls_by_grant: dict[str, int] = {}
        self.proof_jtis: list[str] = []  # the jti of every proof that verified, in order
        self.revoke_calls = 0
        self.revoked_tokens: list[str] = []  # tokens whose chain a revocation ended

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
            self._forced.extend(
                access_denied(reason, f"Access denied ({reason})") for _ in range(count)
            )

    def fail_next(self, shape: str, count: int = 1) -> None:
        """Make the next `count` token calls fail with a 500 or 429 (`FAILURE_STATUS`)."""
        if shape not in FAILURE_STATUS:
            raise ValueError(f"not a forceable failure: {shape}")
        with self._lock:
            self._forced.extend(failure(shape) for _ in range(count))

    def revoke(self, login_session: str) -> None:
        """End every session of this identity now (e.g. the console session was signed out)."""
        with self._lock:
            for session in self.sessions:
                if session.login_session == login_session:
                    session.revoked = True

    # revocation ----------------------------------------------------------------

    def revoke_token(self, request: SignedRequest) -> None:
        """RevokeOAuth2TokenWithIAM (revoke_request.py): the signature (sigv4.py), the
        body, IAM's permission, then the chain of the token ends. Raises SignatureError
        or ServiceError."""
        with self._lock:
            self.revoke_calls += 1
            now = self._clock()
            access_key = verify(
                request,
                issued=self._issued_key,
                region=self.settings.region,
                now=now,
                max_skew=self.settings.sigv4_max_skew,
            )
            token = parse_revoke_request(request.body)
            caller = self._session_of_key(access_key)
            if self.settings.revocation_denied:
                raise access_denied(
                    "INSUFFICIENT_PERMISSIONS",
                    f"User: {caller.login_session} is not authorized to perform: "
                    "signin:RevokeOAuth2TokenWithIAM because no identity-based policy "
                    "allows the signin:RevokeOAuth2TokenWithIAM action",
                )
            session = self._refresh_index.get(token)
            if session is None:
                return  # RFC 7009 2.2: an unknown token is answered as revoked
            # RFC 7009 2.1: the server checks that the token was issued to who asks.
            if session.login_session != caller.login_session:
                raise access_denied(
                    "INSUFFICIENT_PERMISSIONS", "The token was not issued to the caller"
                )
            session.revoked = True  # the whole chain: every token of it finds this session
            self.revoked_tokens.append(token)

    def _issued_key(self, access_key_id: str) -> IssuedKey | None:
        for session in self.sessions:
            for issued in session.credentials:
                if issued.access_key_id == access_key_id:
                    return IssuedKey(
                        issued.secret_access_key, issued.session_token, issued.expires_at
                    )
        return None

    def _session_of_key(self, access_key_id: str) -> LoginSession:
        return next(
            session
            for session in self.sessions
            if any(c.access_key_id == access_key_id for c in session.credentials)
        )

    # authorization -----------------------------------------------------------

    def start_authorization(self, query: Mapping[str, str]) -> PendingAuthorization:
        pending = check_authorize_request(query, self.confirmation_url)
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

    def create_token(
        self, raw_body: bytes, dpop_header: str | None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        """CreateOAuth2Token: returns the `tokenOutput` payload or raises ServiceError.

        Every call counts, refused ones too, so tests can assert "exactly one refresh".
        """
        with self._lock:
            self.token_calls += 1
            token_input = parse_token_request(raw_body, content_type)
            grant = token_input["grantType"]
            self.token_calls_by_grant[grant] = self.token_calls_by_grant.get(grant, 0) + 1
            proof = self._check_dpop(dpop_header)
            if self._forced:
                raise self._forced.popleft()
            if grant == "authorization_code":
                output = self._redeem_code(token_input, proof)
            else:
                output = self._refresh(token_input, proof)
            # A proof is spent only by a call that succeeded. botocore builds the proof once
            # per API call (a before-call handler, botocore/credentials.py
            # _build_add_dpop_header_handler) and its retries of a 500 or 429 send the same
            # proof again, so AWS must take a proof again after a failed attempt.
            self._seen_jti[proof.jti] = self._clock()
            return output

    def _check_dpop(self, header: str | None) -> DpopProof:
        """RFC 9449 4.3 checks (dpop.py), then the jti replay check of its point 11."""
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
        self.proof_jtis.append(proof.jti)
        horizon = now - self.settings.dpop_max_age - self.settings.dpop_max_skew
        for jti in [j for j, seen in self._seen_jti.items() if seen < horizon]:
            del self._seen_jti[jti]
        if proof.jti in self._seen_jti:
            raise validation_error("DPoP proof jti was already used")
        return proof

    def _redeem_code(self, token_input: dict[str, Any], proof: DpopProof) -> dict[str, Any]:
        now = self._clock()
        grant = self._codes.get(token_input["code"])
        # AUTHCODE_EXPIRED is the model's reason for a code that cannot be redeemed.
        if grant is None:
            raise access_denied("AUTHCODE_EXPIRED", "The authorization code is invalid")
        # The model: "Each authorization code can only be used ONCE" (NOT idempotent). RFC
        # 6749 4.1.2: a code used twice SHOULD revoke what it was exchanged for.
        if grant.used:
            if grant.session is not None:
                grant.session.revoked = True
            raise access_denied("AUTHCODE_EXPIRED", "The authorization code was already used")
        grant.used = True
        if now - grant.issued_at > self.settings.code_lifetime:
            raise access_denied("AUTHCODE_EXPIRED", "The authorization code has expired")
        # The model: redirectUri "must match exactly what was sent in the original
        # authorization request"; RFC 6749 4.1.3 binds client_id the same way, and RFC 7636
        # 4.6 the verifier to the challenge. The model's error for a wrong value is
        # ValidationException (its AccessDenied reasons do not cover these).
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
        presented = token_input["refreshToken"]
        session = self._refresh_index.get(presented)
        # TOKEN_EXPIRED is the model's reason for a refresh token that no longer works
        # (botocore's login provider turns it into LoginRefreshRequired).
        if session is None:
            raise access_denied("TOKEN_EXPIRED", "The refresh token is invalid")
        if session.ended(now):
            raise access_denied("TOKEN_EXPIRED", "The session has ended; sign in again")
        if token_input["clientId"] != session.client_id:
            raise validation_error("clientId does not match the session")
        # The model: the refresh token carries cnf.jkt, the thumbprint of the key it was
        # issued to (RFC 9449 5): a proof made with another key is refused.
        if proof.jkt != session.jkt:
            raise validation_error("DPoP key is not the key the refresh token is bound to")
        if presented != session.refresh_token:
            return self._repeat_rotation(presented, now)
        session.retired_refresh_tokens.append(presented)
        session.refresh_token = self._new_refresh_token()
        self._refresh_index[session.refresh_token] = session
        output = self._token_output(session, now)
        self._rotated[presented] = RotatedAnswer(now, output, session.credentials[-1].expires_at)
        return output

    def _repeat_rotation(self, presented: str, now: float) -> dict[str, Any]:
        """A rotated-away refresh token: the same answer inside the window, else refused.

        The model's "consistent results": the same credentials and the same next refresh
        token; `expiresIn` counts to the same expiry instant from now.
        """
        rotated = self._rotated.get(presented)
        if rotated is not None:
            window = self.settings.refresh_replay_window
            window_ends = (
                rotated.credentials_expire_at if window is None else rotated.rotated_at + window
            )
            if now <= window_ends and now < rotated.credentials_expire_at:
                answer = dict(rotated.output)
                answer["expiresIn"] = max(1, math.ceil(rotated.credentials_expire_at - now))
                return answer
        raise access_denied("TOKEN_EXPIRED", "The refresh token was already used")

    def _new_refresh_token(self) -> str:
        """The model's RevocationToken pattern says what a refresh token looks like:
        `ASOR` and base64 (url-safe here) characters."""
        return "ASOR" + secrets.token_urlsafe(48)

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
