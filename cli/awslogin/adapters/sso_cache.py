"""botocore's SSO cache (~/.aws/sso/cache): the sso-session's token and the client registration.

These files are the contract with botocore and the AWS CLI, so names and fields are theirs:

* token: `<sha1(session name)>.json` with `startUrl`, `region`, `accessToken`, `expiresAt`
  (`%Y-%m-%dT%H:%M:%SZ`), `refreshToken`, `clientId`, `clientSecret`,
  `registrationExpiresAt`: botocore's SSO token provider reads it and refreshes it in place;
* registration: `<sha1(json {tool, startUrl, region, scopes, session_name})>.json` with
  `clientId`, `clientSecret`, `expiresAt`, `scopes` and `grantTypes`, as the AWS CLI keeps it;
* the AWS CLI's role credentials from SSO (~/.aws/cli/cache, `ProviderType` `sso`), which
  a sign-out removes as `aws sso logout` does.

`credential-process` reads the token file on each start, so this module imports only
hashlib and json. The lock that serialises refreshes of a token is not here: it lives in
awslogin's own cache directory (`token_cache.session_lock`), never beside botocore's files.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, Required, TypedDict, get_args

from awslogin.adapters.files import (
    delete_file,
    home_directory,
    json_files,
    read_json_object,
    write_private_atomically,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Older AWS CLI versions wrote these; botocore's dateutil parser reads them all.
_OTHER_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%SUTC", "%Y-%m-%dT%H:%M:%S+00:00", "%Y-%m-%dT%H:%M:%S.%fZ")


def sso_cache_dir(environ: Mapping[str, str]) -> str:
    """botocore fixes this at ~/.aws/sso/cache; the given environment decides `~`."""
    home = home_directory(environ)
    return os.path.join(home, ".aws", "sso", "cache")


def format_time(epoch: float) -> str:
    return time.strftime(TIME_FORMAT, time.gmtime(epoch))


def parse_time(value: object) -> float | None:
    """Seconds since the epoch of a cache timestamp, or None when it is not one."""
    if not isinstance(value, str):
        return None
    for fmt in (TIME_FORMAT, *_OTHER_TIME_FORMATS):
        try:
            return float(calendar.timegm(time.strptime(value, fmt)))
        except ValueError:
            continue
    return None


def token_file_name(session_name: str) -> str:
    return hashlib.sha1(session_name.encode("utf-8")).hexdigest() + ".json"  # noqa: S324


def registration_file_name(
    start_url: str, region: str, scopes: Sequence[str], session_name: str
) -> str:
    key = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": list(scopes),
        "session_name": session_name,
    }
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode("utf-8"))  # noqa: S324
    return digest.hexdigest() + ".json"


class SsoToken(TypedDict, total=False):
    """The token file of an sso-session, as botocore writes and refreshes it."""

    accessToken: Required[str]
    expiresAt: str  # TIME_FORMAT, UTC
    startUrl: str
    region: str
    refreshToken: str
    clientId: str
    clientSecret: str
    registrationExpiresAt: str


class Registration(TypedDict):
    """A client registration as the AWS CLI caches it."""

    clientId: str
    clientSecret: str
    expiresAt: str  # TIME_FORMAT, UTC
    scopes: list[str]
    grantTypes: NotRequired[list[str]]  # absent: registered for the device code


_TokenText = Literal[
    "expiresAt",
    "startUrl",
    "region",
    "refreshToken",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
]
_TOKEN_TEXTS: tuple[_TokenText, ...] = get_args(_TokenText)


def _strings(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def token_fields(token: SsoToken) -> dict[str, str]:
    """The token as the plain strings it is made of (`parse_token` reads them back)."""
    return {key: value for key, value in token.items() if isinstance(value, str)}


def parse_token(data: Mapping[str, object] | None) -> SsoToken | None:
    """The token in a file botocore (or anyone) wrote; None without an access token.
    Fields of the wrong type are left out, as if the file did not have them."""
    access_token = data.get("accessToken") if data is not None else None
    if data is None or not isinstance(access_token, str):
        return None
    token = SsoToken(accessToken=access_token)
    for key in _TOKEN_TEXTS:
        value = data.get(key)
        if isinstance(value, str):
            token[key] = value
    return token


def parse_registration(data: Mapping[str, object] | None) -> Registration | None:
    if data is None:
        return None
    client_id, secret, expires_at = (
        data.get("clientId"),
        data.get("clientSecret"),
        data.get("expiresAt"),
    )
    scopes = _strings(data.get("scopes"))
    if not (
        isinstance(client_id, str)
        and isinstance(secret, str)
        and isinstance(expires_at, str)
        and scopes is not None
    ):
        return None
    registration = Registration(
        clientId=client_id, clientSecret=secret, expiresAt=expires_at, scopes=scopes
    )
    grants = _strings(data.get("grantTypes"))
    if grants is not None:
        registration["grantTypes"] = grants
    elif "grantTypes" in data:
        return None  # grant types it cannot say: not one to reuse
    return registration


def _write_json(path: str, data: Mapping[str, object]) -> None:
    write_private_atomically(path, json.dumps(dict(data), indent=2).encode("utf-8"))


class SsoTokenFile:
    """The token of one sso-session, shared by every profile that names the session."""

    def __init__(self, environ: Mapping[str, str], session_name: str) -> None:
        self.session_name = session_name
        self.path = os.path.join(sso_cache_dir(environ), token_file_name(session_name))

    def load(self) -> SsoToken | None:
        """The token as botocore would read it, or None (absent, unreadable, no accessToken)."""
        return parse_token(read_json_object(self.path))

    def save(self, token: SsoToken) -> None:
        _write_json(self.path, token)

    def delete(self) -> bool:
        return delete_file(self.path)


class RegistrationFile:
    """A cached RegisterClient result (the client id and secret are reused until expiry)."""

    def __init__(
        self,
        environ: Mapping[str, str],
        start_url: str,
        region: str,
        scopes: Sequence[str],
        session_name: str,
    ) -> None:
        self.path = os.path.join(
            sso_cache_dir(environ), registration_file_name(start_url, region, scopes, session_name)
        )

    def load(self) -> Registration | None:
        return parse_registration(read_json_object(self.path))

    def save(self, registration: Registration) -> None:
        _write_json(self.path, registration)


def cached_tokens(environ: Mapping[str, str]) -> list[tuple[str, SsoToken | None]]:
    """(path, token) of every file in the SSO cache that holds an access token (None when
    the file names one it cannot use: a sign-out removes that file all the same)."""
    directory = sso_cache_dir(environ)
    tokens = []
    for name in json_files(directory):
        path = os.path.join(directory, name)
        data = read_json_object(path)
        if data is not None and "accessToken" in data:
            tokens.append((path, parse_token(data)))
    return tokens


def aws_cli_role_credentials(environ: Mapping[str, str]) -> list[str]:
    """Role credentials the AWS CLI cached from SSO in ~/.aws/cli/cache (`aws sso logout`
    removes these too)."""
    directory = os.path.join(home_directory(environ), ".aws", "cli", "cache")
    found = []
    for name in json_files(directory):
        data = read_json_object(os.path.join(directory, name))
        if data is not None and data.get("ProviderType") == "sso":
            found.append(os.path.join(directory, name))
    return found
