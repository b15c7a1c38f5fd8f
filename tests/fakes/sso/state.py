"""The fake's behaviour, without HTTP: what IAM Identity Center decides for each call.

Requests are served on uvicorn's thread while a test reads counters or approves a
device code on its own thread, so every public method takes the one lock.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.fakes.sso.model import (
    ACCOUNT_ACCESS_SCOPE,
    DEFAULT_ACCOUNTS,
    DEVICE_CODE_GRANT,
    FORCEABLE_DEVICE_ERRORS,
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
    portal_error,
)

_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_VERIFIER_PATTERN = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_GRANT_TYPES = ("authorization_code", "refresh_token", DEVICE_CODE_GRANT)
_NO_SESSION = "Session token not found or invalid"


def _text(body: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise oidc_error("InvalidRequestException", f"{key} is required")
        return None
    if not isinstance(value, str) or not value:
        raise oidc_error("InvalidRequestException", f"{key} must be a non-empty string")
    return value


def _text_list(body: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise oidc_error("InvalidRequestException", f"{key} must be a list of strings")
    return tuple(value)


def s256(verifier: str) -> str:
    """PKCE S256 challenge, base64url without padding (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def is_loopback_match(registered: str, presented: str) -> bool:
    """RFC 8252 7.3: a registered loopback redirect matches the same URI on any port."""
    if registered == presented:
        return True
    reg, pre = urlsplit(registered), urlsplit(presented)
    return (
        reg.scheme == pre.scheme == "http"
        and reg.hostname == pre.hostname
        and reg.hostname in ("127.0.0.1", "localhost", "::1")
        and reg.port is None
        and reg.path == pre.path
        and not pre.query
        and not pre.fragment
    )


class SsoState:
    """All clients, sign-ins, codes and tokens of one fake IAM Identity Center instance."""

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

    def force_device_poll_errors(self, *errors: str) -> None:
        """Queues outcomes for the next device-code CreateToken calls, before normal logic."""
        unknown = [e for e in errors if e not in FORCEABLE_DEVICE_ERRORS]
        if unknown:
            raise ValueError(f"not a device poll error: {unknown}")
        with self._lock:
            self.device_poll_script.extend(errors)

    def decide_device(self, user_code: str, *, approve: bool, user: str = "alice") -> bool:
        """What the verification page's buttons do; False if the code is unknown or spent."""
        with self._lock:
            device = self._device_by_user_code(user_code)
            if device is None or device.status != "pending" or device.expires_at <= self.now():
                return False
            device.status = "approved" if approve else "denied"
            device.user = user
            return True

    def expire_device_codes(self) -> None:
        with self._lock:
            for device in self._devices.values():
                device.expires_at = min(device.expires_at, self.now())

    def expire_access_tokens(self) -> None:
        with self._lock:
            for token in self._access_tokens.values():
                token.expires_at = min(token.expires_at, self.now())

    def pending_user_codes(self) -> list[str]:
        with self._lock:
            return [d.user_code for d in self._devices.values() if d.status == "pending"]

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
            name = _text(body, "clientName")
            client_type = _text(body, "clientType")
            if client_type != "public":
                raise oidc_error("InvalidClientMetadataException", "clientType must be public")
            scopes = _text_list(body, "scopes") or ()
            unknown = [s for s in scopes if s not in self.settings.known_scopes]
            if unknown:
                raise oidc_error("InvalidScopeException", f"Invalid scopes: {' '.join(unknown)}")
            grant_types = _text_list(body, "grantTypes")
            if grant_types is not None:
                bad = [g for g in grant_types if g not in _GRANT_TYPES]
                if bad:
                    raise oidc_error("UnsupportedGrantTypeException", f"Unsupported: {bad}")
            redirect_uris = _text_list(body, "redirectUris") or ()
            for uri in redirect_uris:
                parts = urlsplit(uri)
                loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
                if not (loopback or parts.scheme == "https") or parts.fragment:
                    raise oidc_error("InvalidRedirectUriException", "Invalid redirect URI")
            if grant_types and "authorization_code" in grant_types and not redirect_uris:
                raise oidc_error(
                    "InvalidRequestException", "redirectUris is required for authorization_code"
                )
            issuer_url = _text(body, "issuerUrl", required=False)
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

    def start_device_authorization(self, body: Mapping[str, Any], base_url: str) -> dict[str, Any]:
        with self._lock:
            self.calls["StartDeviceAuthorization"] += 1
            client = self._authenticated_client(body)
            start_url = _text(body, "startUrl")
            if str(start_url).rstrip("/") != self.settings.start_url.rstrip("/"):
                raise oidc_error("InvalidRequestException", "Invalid start URL")
            user_code = "-".join(
                "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(4)) for _ in range(2)
            )
            device = DeviceAuthorization(
                device_code=secrets.token_urlsafe(32),
                user_code=user_code,
                client_id=client.client_id,
                start_url=str(start_url),
                expires_at=self.now() + self.settings.device_code_ttl,
                interval=self.settings.device_interval,
            )
            self._devices[device.device_code] = device
            return {
                "deviceCode": device.device_code,
                "userCode": user_code,
                "verificationUri": f"{base_url}/device",
                "verificationUriComplete": (
                    f"{base_url}/device?{urlencode({'user_code': user_code})}"
                ),
                "expiresIn": self.settings.device_code_ttl,
                "interval": device.interval,
            }

    def create_token(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls["CreateToken"] += 1
            grant_type = _text(body, "grantType")
            self.calls[f"CreateToken/{grant_type}"] += 1
            client = self._authenticated_client(body)
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
            client = self.clients.get(params.get("client_id", ""))
            if client is None:
                raise oidc_error("InvalidClientException", "Unknown client_id")
            redirect_uri = params.get("redirect_uri", "")
            if not any(is_loopback_match(r, redirect_uri) for r in client.redirect_uris):
                raise oidc_error("InvalidRedirectUriException", "redirect_uri is not registered")
            state = params.get("state")

            def fail(error: str) -> tuple[None, str]:
                query = {"error": error, **({"state": state} if state is not None else {})}
                return None, f"{redirect_uri}?{urlencode(query)}"

            if params.get("response_type") != "code":
                return fail("unsupported_response_type")
            if not client.allows_grant("authorization_code"):
                return fail("unauthorized_client")
            challenge = params.get("code_challenge", "")
            if params.get("code_challenge_method") != "S256" or not re.fullmatch(
                r"[A-Za-z0-9_-]{43}", challenge
            ):
                return fail("invalid_request")
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

    def device_for_page(self, user_code: str) -> DeviceAuthorization | None:
        with self._lock:
            return self._device_by_user_code(user_code)

    # ----------------------------------------------------------------- sso (portal)

    def list_accounts(
        self, token: str | None, max_result: str | None, next_token: str | None
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["ListAccounts"] += 1
            self._signed_in(token)
            items = [
                {
                    "accountId": a.account_id,
                    "accountName": a.account_name,
                    "emailAddress": a.email_address,
                }
                for a in self.accounts.values()
            ]
            page, cursor = self._page("accounts", None, items, max_result, next_token)
            return {"accountList": page, **({"nextToken": cursor} if cursor else {})}

    def list_account_roles(
        self,
        token: str | None,
        account_id: str | None,
        max_result: str | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["ListAccountRoles"] += 1
            self._signed_in(token)
            account = self._assigned_account(account_id)
            items = [{"roleName": r, "accountId": account.account_id} for r in account.roles]
            page, cursor = self._page("roles", account.account_id, items, max_result, next_token)
            return {"roleList": page, **({"nextToken": cursor} if cursor else {})}

    def get_role_credentials(
        self, token: str | None, account_id: str | None, role_name: str | None
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["GetRoleCredentials"] += 1
            self._signed_in(token)
            if not role_name:
                raise portal_error("InvalidRequestException", "role_name is required")
            account = self._assigned_account(account_id)
            if role_name not in account.roles:
                raise portal_error("ForbiddenException", "No access")
            issued = IssuedRoleCredentials(
                account_id=account.account_id,
                role_name=role_name,
                access_key_id="ASIA"
                + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
                secret_access_key=secrets.token_urlsafe(30)[:40],
                session_token=secrets.token_urlsafe(96),
                expiration_ms=int((self.now() + self.settings.role_credentials_ttl) * 1000),
            )
            self.issued_credentials.append(issued)
            return {
                "roleCredentials": {
                    "accessKeyId": issued.access_key_id,
                    "secretAccessKey": issued.secret_access_key,
                    "sessionToken": issued.session_token,
                    "expiration": issued.expiration_ms,
                }
            }

    def logout(self, token: str | None) -> None:
        with self._lock:
            self.calls["Logout"] += 1
            self._signed_in(token).ended = True

    # ----------------------------------------------------------------- internals

    def _device_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        wanted = user_code.strip().upper()
        return next((d for d in self._devices.values() if d.user_code == wanted), None)

    def _authenticated_client(self, body: Mapping[str, Any]) -> RegisteredClient:
        client_id = _text(body, "clientId")
        secret = _text(body, "clientSecret")
        client = self.clients.get(str(client_id))
        if client is None or not secrets.compare_digest(client.client_secret, str(secret)):
            raise oidc_error("InvalidClientException", "Invalid client credentials")
        if client.secret_expires_at <= self.now():
            raise oidc_error("InvalidClientException", "Client registration has expired")
        return client

    def _redeem_device_code(self, client: RegisteredClient, body: Mapping[str, Any]) -> SignIn:
        device = self._devices.get(str(_text(body, "deviceCode")))
        if device is None or device.client_id != client.client_id:
            raise oidc_error("InvalidGrantException", "Invalid device code provided")
        now = self.now()
        if device.expires_at <= now:
            raise oidc_error("ExpiredTokenException", "Device code has expired")
        too_early = (
            self.settings.enforce_interval
            and device.last_poll is not None
            and now - device.last_poll < device.interval - 0.05
        )
        device.last_poll = now
        if self.device_poll_script:
            forced = self.device_poll_script.popleft()
            raise oidc_error(FORCEABLE_DEVICE_ERRORS[forced], f"Forced {forced}")
        if too_early:
            raise oidc_error("SlowDownException", "Client is polling too fast")
        if device.status == "pending":
            raise oidc_error("AuthorizationPendingException", "Authorization is still pending")
        if device.status == "denied":
            raise oidc_error("AccessDeniedException", "The user denied the authorization")
        if device.status == "consumed":
            raise oidc_error("InvalidGrantException", "Device code has already been used")
        device.status = "consumed"
        return SignIn(user=str(device.user), client_id=client.client_id, scopes=client.scopes)

    def _redeem_authorization_code(
        self, client: RegisteredClient, body: Mapping[str, Any]
    ) -> SignIn:
        code = str(_text(body, "code"))
        redirect_uri = _text(body, "redirectUri")
        verifier = str(_text(body, "codeVerifier"))
        if not _VERIFIER_PATTERN.fullmatch(verifier):
            raise oidc_error("InvalidRequestException", "codeVerifier is malformed")
        record = self._codes.get(code)
        if record is None or record.used or record.expires_at <= self.now():
            raise oidc_error("InvalidGrantException", "Invalid authorization code")
        record.used = True  # single use, even when the checks below fail
        request = record.request
        if request.client_id != client.client_id or request.redirect_uri != redirect_uri:
            raise oidc_error("InvalidGrantException", "Invalid authorization code")
        if not secrets.compare_digest(s256(verifier), request.code_challenge):
            raise oidc_error("InvalidGrantException", "PKCE verification failed")
        return SignIn(user=record.user, client_id=client.client_id, scopes=request.scopes)

    def _refresh(self, client: RegisteredClient, body: Mapping[str, Any]) -> dict[str, Any]:
        presented = str(_text(body, "refreshToken"))
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
        # IAM Identity Center issues refresh tokens only to clients registered with scopes.
        refreshable = client.allows_grant("refresh_token") and bool(client.scopes)
        if with_refresh and refreshable and self.settings.refresh_allowed:
            refresh = "aor" + secrets.token_urlsafe(48)
            self._refresh_tokens[refresh] = RefreshToken(sign_in)
            response["refreshToken"] = refresh
        return response

    def _signed_in(self, token: str | None) -> SignIn:
        record = self._access_tokens.get(token or "")
        if record is None or record.sign_in.ended or record.expires_at <= self.now():
            raise portal_error("UnauthorizedException", _NO_SESSION)
        scopes = record.sign_in.scopes
        if scopes and ACCOUNT_ACCESS_SCOPE not in scopes:
            raise portal_error("UnauthorizedException", _NO_SESSION)
        return record.sign_in

    def _assigned_account(self, account_id: str | None) -> Account:
        if not account_id:
            raise portal_error("InvalidRequestException", "account_id is required")
        account = self.accounts.get(account_id)
        if account is None:
            raise portal_error("ForbiddenException", "No access")
        return account

    def _page(
        self,
        kind: str,
        account_id: str | None,
        items: list[dict[str, str]],
        max_result: str | None,
        next_token: str | None,
    ) -> tuple[list[dict[str, str]], str | None]:
        size = self.settings.default_page_size
        if max_result is not None:
            if not max_result.isdigit() or not 1 <= int(max_result) <= 100:
                raise portal_error("InvalidRequestException", "max_result must be 1..100")
            size = int(max_result)
        offset = 0
        if next_token is not None:
            cursor = self._cursors.get(next_token)
            if cursor is None or cursor.kind != kind or cursor.account_id != account_id:
                raise portal_error("InvalidRequestException", "Invalid next_token")
            offset = cursor.offset
        end = offset + size
        if end >= len(items):
            return items[offset:], None
        token = secrets.token_urlsafe(24)
        self._cursors[token] = PageCursor(kind, account_id, end)
        return items[offset:end], token
