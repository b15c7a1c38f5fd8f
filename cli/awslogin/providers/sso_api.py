"""The `sso-oidc` and `sso` (portal) operations over plain httpx, shaped as botocore's models.

sso-oidc is rest-json: POST /client/register, /device_authorization and /token with JSON
bodies; errors carry `error` / `error_description` (and `x-amzn-ErrorType`). The portal
takes its input in the query string and the access token in `x-amz-sso_bearer_token`;
its errors carry `message`. No boto3: the CLI stays small and starts fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from awslogin.adapters.http import come_back_later, json_answer, unreachable
from awslogin.errors import ProviderError, one_line

BEARER_HEADER = "x-amz-sso_bearer_token"
PARTY = "IAM Identity Center"
# More pages of accounts or roles than any organisation has (AWS's own limit on
# accounts is in the thousands, a page holds up to 100): a portal that pages on is wrong.
MOST_PAGES = 1000
# The latest expiration believed, in milliseconds since 1970 (the year 2200).
MOST_EXPIRATION_MS = 7_258_118_400_000


def _text(value: object) -> str:
    """A field of an error answer as text; "" when it is absent or not a string."""
    return value if isinstance(value, str) else ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SsoOidcError(ProviderError):
    """A modelled sso-oidc error; `error` is the OAuth name (authorization_pending, ...)."""

    def __init__(self, error: str, description: str, status: int) -> None:
        detail = f"{error}: {description}" if description else error
        super().__init__(f"IAM Identity Center refused the request: {detail}")
        self.error = error
        self.description = description
        self.status = status


class PortalError(ProviderError):
    """A modelled sso portal error; `kind` is the exception name (UnauthorizedException...)."""

    def __init__(self, kind: str, message: str, status: int) -> None:
        detail = f"{kind}: {message}" if message else kind
        super().__init__(f"the AWS access portal refused the request: {detail}")
        self.kind = kind
        self.status = status


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: float


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    account_name: str
    email_address: str


class SsoOidcClient:
    def __init__(self, client: httpx.Client, endpoint: str) -> None:
        self.client = client
        self.endpoint = endpoint.rstrip("/")
        self._service = f"IAM Identity Center at {_origin(self.endpoint)}"

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.endpoint}/authorize"

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = {key: value for key, value in body.items() if value is not None}
        try:
            response = self.client.post(f"{self.endpoint}{path}", json=payload)
        except httpx.HTTPError as exc:
            raise unreachable(exc, self._service, party=PARTY) from exc
        unavailable = come_back_later(response, self._service, party=PARTY)
        if unavailable is not None:
            raise unavailable
        try:
            data = json_answer(response)
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code != 200:
            error = _text(data.get("error")) or response.headers.get("x-amzn-ErrorType", "")
            error = one_line(error.split(":")[0] or f"HTTP {response.status_code}", 60)
            raise SsoOidcError(
                error, one_line(_text(data.get("error_description"))), response.status_code
            )
        return data

    def register_client(
        self,
        client_name: str,
        scopes: list[str],
        *,
        grant_types: list[str] | None = None,
        redirect_uris: list[str] | None = None,
        issuer_url: str | None = None,
    ) -> dict[str, Any]:
        data = self._post(
            "/client/register",
            {
                "clientName": client_name,
                "clientType": "public",
                "scopes": scopes or None,
                "grantTypes": grant_types,
                "redirectUris": redirect_uris,
                "issuerUrl": issuer_url,
            },
        )
        for key in ("clientId", "clientSecret"):
            if not isinstance(data.get(key), str):
                raise ProviderError(f"IAM Identity Center registered a client without {key}")
        if not isinstance(data.get("clientSecretExpiresAt"), int | float):
            raise ProviderError("IAM Identity Center registered a client without an expiry")
        return data

    def start_device_authorization(
        self, client_id: str, client_secret: str, start_url: str
    ) -> dict[str, Any]:
        data = self._post(
            "/device_authorization",
            {"clientId": client_id, "clientSecret": client_secret, "startUrl": start_url},
        )
        for key in ("deviceCode", "userCode", "verificationUri"):
            if not isinstance(data.get(key), str):
                raise ProviderError(f"IAM Identity Center's device authorization lacks {key}")
        return data

    def create_token(self, body: Mapping[str, Any]) -> Tokens:
        data = self._post("/token", body)
        access_token = data.get("accessToken")
        expires_in = data.get("expiresIn")
        if not isinstance(access_token, str) or not isinstance(expires_in, int):
            raise ProviderError("IAM Identity Center answered CreateToken without a token")
        refresh = data.get("refreshToken")
        return Tokens(access_token, expires_in, refresh if isinstance(refresh, str) else None)


class PortalClient:
    def __init__(self, client: httpx.Client, endpoint: str) -> None:
        self.client = client
        self.endpoint = endpoint.rstrip("/")

    def _request(
        self, method: str, path: str, access_token: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        try:
            response = self.client.request(
                method,
                f"{self.endpoint}{path}",
                params=dict(params),
                headers={BEARER_HEADER: access_token},
            )
        except httpx.HTTPError as exc:
            raise unreachable(
                exc,
                f"the AWS access portal at {_origin(self.endpoint)}",
                party="the AWS access portal",
            ) from exc
        try:
            data = json_answer(response) if response.content else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code != 200:
            kind = response.headers.get("x-amzn-ErrorType", "").split(":")[0]
            kind = one_line(kind or f"HTTP {response.status_code}", 60)
            message = data.get("message") or data.get("Message") or ""
            raise PortalError(kind, one_line(message), response.status_code)
        return data

    def get_role_credentials(
        self, access_token: str, account_id: str, role_name: str
    ) -> RoleCredentials:
        data = self._request(
            "GET",
            "/federation/credentials",
            access_token,
            {"role_name": role_name, "account_id": account_id},
        )
        found = data.get("roleCredentials")
        if not isinstance(found, dict):
            raise ProviderError("the AWS access portal answered without role credentials")
        values = [found.get(k) for k in ("accessKeyId", "secretAccessKey", "sessionToken")]
        expiration = found.get("expiration")
        if (
            not all(isinstance(v, str) and v for v in values)
            or not isinstance(expiration, int | float)
            or not 0 < expiration < MOST_EXPIRATION_MS
        ):
            raise ProviderError("the AWS access portal answered with incomplete role credentials")
        return RoleCredentials(
            str(values[0]), str(values[1]), str(values[2]), float(expiration) / 1000.0
        )

    def _pages(
        self, path: str, access_token: str, params: Mapping[str, str], key: str
    ) -> Iterator[dict[str, Any]]:
        next_token: str | None = None
        seen: set[str] = set()
        for _ in range(MOST_PAGES):
            query = dict(params)
            if next_token:
                query["next_token"] = next_token
            data = self._request("GET", path, access_token, query)
            items = data.get(key)
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    yield item
            token = data.get("nextToken")
            if not isinstance(token, str) or not token or token in seen:
                return  # the last page, or a portal that would send us round in circles
            seen.add(token)
            next_token = token
        raise ProviderError(f"the AWS access portal sent more than {MOST_PAGES} pages")

    def list_accounts(self, access_token: str) -> list[AccountInfo]:
        return [
            AccountInfo(
                str(item.get("accountId", "")),
                str(item.get("accountName", "")),
                str(item.get("emailAddress", "")),
            )
            for item in self._pages("/assignment/accounts", access_token, {}, "accountList")
            if isinstance(item.get("accountId"), str)
        ]

    def list_account_roles(self, access_token: str, account_id: str) -> list[str]:
        return [
            str(item["roleName"])
            for item in self._pages(
                "/assignment/roles", access_token, {"account_id": account_id}, "roleList"
            )
            if isinstance(item.get("roleName"), str)
        ]

    def logout(self, access_token: str) -> None:
        self._request("POST", "/logout", access_token, {})
