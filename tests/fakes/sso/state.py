"""The fake's behaviour, without HTTP: what IAM Identity Center decides for each call.

Requests are served on uvicorn's thread while a test reads counters or approves a
device code on its own thread, so every public method takes the one lock.

Each refusal says why beside it: what botocore's `sso-oidc`/`sso` models (2019-06-10)
document, what an RFC requires, or, where AWS documents nothing, that the fake accepts
at least what AWS's own clients send (the AWS CLI v2's SSOTokenFetcher and
SSOTokenFetcherAuth in awscli/botocore/utils.py, botocore's SSOTokenProvider in
botocore/tokens.py): those work against the real service, so the fake must take them.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.fakes.sso.device import DeviceGrant
from tests.fakes.sso.inputs import (
    LOOPBACK_HOSTS,
    is_loopback_match,
    s256,
    text_field,
    text_list,
)
from tests.fakes.sso.model import (
    DEFAULT_ACCOUNTS,
    DEVICE_CODE_GRANT,
    AccessToken,
    Account,
    AuthorizationCode,
    AuthorizeRequest,
    DeviceAuthorization,
    FakeSettings,
    IssuedRoleCredentials,
    PageCursor,
    RefreshToken,
    RegisteredClient,
    SignIn,
    oidc_error,
)
from tests.fakes.sso.portal import PortalOperations

_VERIFIER_PATTERN = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_GRANT_TYPES = ("authorization_code", "refresh_token", DEVICE_CODE_GRANT)


class SsoState(DeviceGrant, PortalOperations):
    """All clients, sign-ins, codes and tokens of one fake IAM Identity Center instance.

    sso-oidc's registration, /authorize and token grants live here; the device grant
    (device.py) and the portal (portal.py) are mixins over the same records and lock.
    """

    def __init__(
        self,
        settings: FakeSettings,
        accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.accounts: dict[str, Account] = {a.account_id: a for a in accounts}
        self.calls: Counter[str] = Counter()
        self.device_poll_script: deque[str] = deque()
        self.issued_credentials: list[IssuedRoleCredentials] = []
        self.clients: dict[str, RegisteredClient] = {}
        self._clock = clock
        self._clock_offset = 0.0
        self._lock = threading.RLock()
        self._devices: dict[str, DeviceAuthorization] = {}
        self._authorize_requests: dict[str, AuthorizeRequest] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._access_tokens: dict[str, AccessToken] = {}
        self._refresh_tokens: dict[str, RefreshToken] = {}
        self._cursors: dict[str, PageCursor] = {}

    # ----------------------------------------------------------------- clock, test helpers

    def now(self) -> float:
        return self._clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Moves the fake's own clock (codes, tokens, intervals); botocore's clock is not moved."""
        with self._lock:
            self._clock_offset += seconds

    def expire_access_tokens(self) -> None:
        with self._lock:
            for token in self._access_tokens.values():
                token.expires_at = min(token.expires_at, self.now())

    def access_token_is_valid(self, token: str) -> bool:
        with self._lock:
            record = self._access_tokens.get(token)
            return (
                record is not None and not record.sign_in.ended and record.expires_at > self.now()
            )

    def refresh_token_is_valid(self, token: str) -> bool:
        with self._lock:
            record = self._refresh_tokens.get(token)
            return record is not None and not record.used and not record.sign_in.ended

    # ----------------------------------------------------------------- sso-oidc

    def register_client(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls["RegisterClient"] += 1
            # The model: clientName and clientType are required.
            name = text_field(body, "clientName")
            client_type = text_field(body, "clientType")
            # The model: "The service supports only public as a client type. Anything other
            # than public will be rejected by the service."
            if client_type != "public":
                raise oidc_error("InvalidClientMetadataException", "clientType must be public")
            # The model's InvalidScopeException: "the scope provided in the request is
            # invalid". Every scope AWS's clients register is known (FakeSettings).
            scopes = text_list(body, "scopes") or ()
            unknown = [s for s in scopes if s not in self.settings.known_scopes]
            if unknown:
                raise oidc_error("InvalidScopeException", f"Invalid scopes: {' '.join(unknown)}")
            # The model: grantTypes supports authorization_code, the device code grant and
            # refresh_token; anything else is UnsupportedGrantTypeException.
            grant_types = text_list(body, "grantTypes")
            if grant_types is not None:
                bad = [g for g in grant_types if g not in _GRANT_TYPES]
                if bad:
                    raise oidc_error("UnsupportedGrantTypeException", f"Unsupported: {bad}")
            # A native client's redirect: http on a loopback host (RFC 8252 7.3; the AWS CLI
            # registers http://127.0.0.1/oauth/callback) or https (RFC 8252 7.2), never
            # with a fragment (RFC 6749 3.1.2).
            redirect_uris = text_list(body, "redirectUris") or ()
            for uri in redirect_uris:
                parts = urlsplit(uri)
                loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
                if not (loopback or parts.scheme == "https") or parts.fragment:
                    raise oidc_error("InvalidRedirectUriException", "Invalid redirect URI")
            # RFC 6749 3.1.2.2: a public client must register its redirect URIs; the AWS CLI
            # always sends one with grantTypes authorization_code.
            if grant_types and "authorization_code" in grant_types and not redirect_uris:
                raise oidc_error(
                    "InvalidRequestException", "redirectUris is required for authorization_code"
                )
            issuer_url = text_field(body, "issuerUrl", required=False)
            now = int(self.now())
            client = RegisteredClient(
                client_id=secrets.token_urlsafe(16),
                client_secret=secrets.token_urlsafe(48),
                client_name=str(name),
                scopes=scopes,
                grant_types=grant_types,
                redirect_uris=redirect_uris,
                issuer_url=issuer_url,
                issued_at=now,
                secret_expires_at=now + self.settings.registration_ttl,
            )
            self.clients[client.client_id] = client
            return {
                "clientId": client.client_id,
                "clientSecret": client.client_secret,
                "clientIdIssuedAt": client.issued_at,
                "clientSecretExpiresAt": client.secret_expires_at,
            }

    def create_token(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls["CreateToken"] += 1
            grant_type = text_field(body, "grantType")
            self.calls[f"CreateToken/{grant_type}"] += 1
            client = self._authenticated_client(body)
            # The model: grantType is one of the three grants, else
            # UnsupportedGrantTypeException; a grant the client did not register is
            # UnauthorizedClientException (RFC 6749 5.2 unauthorized_client).
            if grant_type not in _GRANT_TYPES:
                raise oidc_error("UnsupportedGrantTypeException", "Unsupported grant type")
            if not client.allows_grant(str(grant_type)):
                raise oidc_error("UnauthorizedClientException", "Client may not use this grant")
            if grant_type == DEVICE_CODE_GRANT:
                sign_in = self._redeem_device_code(client, body)
            elif grant_type == "authorization_code":
                sign_in = self._redeem_authorization_code(client, body)
            else:
                return self._refresh(client, body)
            return self._issue_tokens(sign_in, client)

    def begin_authorize(self, params: Mapping[str, str]) -> tuple[str | None, str | None]:
        """Checks /authorize; returns (request id to sign in, None) or (None, error redirect).

        Raises FakeApiError when the redirect URI cannot be trusted: the page shows the
        error instead of redirecting (no open redirect).
        """
        with self._lock:
            self.calls["Authorize"] += 1
            # RFC 6749 4.1.2.1: an unknown client or a redirect URI that is not registered
            # is shown, never redirected to. A loopback redirect registered without a port
            # matches any port (RFC 8252 7.3): the CLI registers http://127.0.0.1/oauth/
            # callback and sends its listener's port here.
            client = self.clients.get(params.get("client_id", ""))
            if client is None:
                raise oidc_error("InvalidClientException", "Unknown client_id")
            redirect_uri = params.get("redirect_uri", "")
            if not any(is_loopback_match(r, redirect_uri) for r in client.redirect_uris):
                raise oidc_error("InvalidRedirectUriException", "redirect_uri is not registered")
            state = params.get("state")
            # The rest are redirected errors (RFC 6749 4.1.2.1). The AWS CLI's request
            # (SSOTokenFetcherAuth._get_authorization_uri) passes all of them.

            def fail(error: str) -> tuple[None, str]:
                query = {"error": error, **({"state": state} if state is not None else {})}
                return None, f"{redirect_uri}?{urlencode(query)}"

            # RFC 6749 4.1.1 response_type=code; the client must have registered the grant.
            if params.get("response_type") != "code":
                return fail("unsupported_response_type")
            if not client.allows_grant("authorization_code"):
                return fail("unauthorized_client")
            # PKCE S256 with a 43-character challenge (RFC 7636 4.2, 4.3): what the CLI sends,
            # trimming the base64 `=` itself.
            challenge = params.get("code_challenge", "")
            if params.get("code_challenge_method") != "S256" or not re.fullmatch(
                r"[A-Za-z0-9_-]{43}", challenge
            ):
                return fail("invalid_request")
            # The parameter is `scopes` (botocore: "scopes must be space separated"), a
            # subset of what the client registered (model: registered scopes "restrict
            # permissions when granting an access token"). The CLI always sends them.
            scopes = tuple(params.get("scopes", "").split())
            if not scopes or any(s not in client.scopes for s in scopes):
                return fail("invalid_scope")
            request_id = secrets.token_urlsafe(16)
            self._authorize_requests[request_id] = AuthorizeRequest(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                state=state,
                code_challenge=challenge,
                scopes=scopes,
            )
            return request_id, None

    def finish_authorize(self, request_id: str, *, approve: bool, user: str) -> str | None:
        """The sign-in form's answer: the redirect back to the client, or None if unknown."""
        with self._lock:
            request = self._authorize_requests.pop(request_id, None)
            if request is None:
                return None
            query: dict[str, str]
            if approve:
                code = secrets.token_urlsafe(32)
                self._codes[code] = AuthorizationCode(
                    request, user, self.now() + self.settings.auth_code_ttl
                )
                query = {"code": code}
            else:
                query = {"error": "access_denied"}
            if request.state is not None:
                query["state"] = request.state
            return f"{request.redirect_uri}?{urlencode(query)}"

    # ----------------------------------------------------------------- internals

    def _authenticated_client(self, body: Mapping[str, Any]) -> RegisteredClient:
        """The model's InvalidClientException: "an incorrect clientId or an expired
        clientSecret" (botocore's SSOTokenProvider does not even try a refresh then)."""
        client_id = text_field(body, "clientId")
        secret = text_field(body, "clientSecret")
        client = self.clients.get(str(client_id))
        if client is None or not secrets.compare_digest(client.client_secret, str(secret)):
            raise oidc_error("InvalidClientException", "Invalid client credentials")
        if client.secret_expires_at <= self.now():
            raise oidc_error("InvalidClientException", "Client registration has expired")
        return client

    def _redeem_authorization_code(
        self, client: RegisteredClient, body: Mapping[str, Any]
    ) -> SignIn:
        """RFC 6749 4.1.3 and RFC 7636 4.6: a code redeemed once, by the client it was
        issued to, with the redirect URI of its /authorize and the matching verifier."""
        code = str(text_field(body, "code"))
        redirect_uri = text_field(body, "redirectUri")
        verifier = str(text_field(body, "codeVerifier"))
        # RFC 7636 4.1: 43-128 unreserved characters (the CLI sends 64).
        if not _VERIFIER_PATTERN.fullmatch(verifier):
            raise oidc_error("InvalidRequestException", "codeVerifier is malformed")
        record = self._codes.get(code)
        if record is None or record.used or record.expires_at <= self.now():
            raise oidc_error("InvalidGrantException", "Invalid authorization code")
        # Single use, even when the checks below fail (RFC 6749 4.1.2: a code is used once;
        # no client retries an exchange with other parameters).
        record.used = True
        request = record.request
        if request.client_id != client.client_id or request.redirect_uri != redirect_uri:
            raise oidc_error("InvalidGrantException", "Invalid authorization code")
        if not secrets.compare_digest(s256(verifier), request.code_challenge):
            raise oidc_error("InvalidGrantException", "PKCE verification failed")
        return SignIn(user=record.user, client_id=client.client_id, scopes=request.scopes)

    def _refresh(self, client: RegisteredClient, body: Mapping[str, Any]) -> dict[str, Any]:
        """invalid_grant (AWS: "Invalid refresh token provided") for a token that is
        unknown, of another client, of an ended sign-in (Logout, or the portal session's
        end: the `refresh_allowed` knob), or already rotated away.

        Whether IAM Identity Center rotates refresh tokens AWS does not document; botocore
        (SSOTokenProvider._attempt_create_token) saves whichever refresh token the answer
        carries, so both work with it. The default rotates and refuses the old token, as
        RFC 9700 2.2.2 asks for public clients and the harder case for a client sharing
        the cache; `rotate_refresh_tokens = False` gives the other behaviour.
        """
        presented = str(text_field(body, "refreshToken"))
        record = self._refresh_tokens.get(presented)
        if (
            not self.settings.refresh_allowed
            or record is None
            or record.used
            or record.sign_in.ended
            or record.sign_in.client_id != client.client_id
        ):
            raise oidc_error("InvalidGrantException", "Invalid refresh token provided")
        if self.settings.rotate_refresh_tokens:
            record.used = True
            return self._issue_tokens(record.sign_in, client)
        response = self._issue_tokens(record.sign_in, client, with_refresh=False)
        response["refreshToken"] = presented
        return response

    def _issue_tokens(
        self, sign_in: SignIn, client: RegisteredClient, *, with_refresh: bool = True
    ) -> dict[str, Any]:
        access = "aoa" + secrets.token_urlsafe(48)
        self._access_tokens[access] = AccessToken(
            sign_in, self.now() + self.settings.access_token_ttl
        )
        response: dict[str, Any] = {
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": self.settings.access_token_ttl,
        }
        # IAM Identity Center issues refresh tokens only to clients registered with scopes:
        # the AWS CLI documents the "legacy non-refreshable configuration" (no sso-session,
        # hence no sso_registration_scopes) as getting none. Not a refusal: the client
        # simply signs in again when the access token ends.
        refreshable = client.allows_grant("refresh_token") and bool(client.scopes)
        if with_refresh and refreshable and self.settings.refresh_allowed:
            refresh = "aor" + secrets.token_urlsafe(48)
            self._refresh_tokens[refresh] = RefreshToken(sign_in)
            response["refreshToken"] = refresh
        return response
