"""The cached login session: the one record type every provider, store and use case shares.

TypedDicts, so a record is a plain dict at run time: `credential-process` reads one on
every SDK start, and these cost nothing to import or build (no dataclasses, no datetime).
Layout, version 1, as awslogin's own cache file holds it (the aws-signin store maps the
same record onto botocore's login cache):

    {
      "version": 1,
      "provider": "oidc",
      "profile": "dev",
      "config": {"awslogin_issuer": "...", ...},      # profile keys this session depends on
      "identity": {"arn": "arn:aws:sts::...:assumed-role/dev/alice", "subject": "alice"},
      "credentials": {"AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ...,
                      "Expiration": "2026-11-22T01:00:00Z", "ExpiresAt": 1795309200},
      "session": {"startedAt": 1795305600, "expiresAt": 1795348800},
      "providerState": {...},                           # tokens etc., opaque to use cases
      "endedReason": "...", "refreshRetryAfter": ...    # only after a refusal or a failure
    }

Whatever comes from disk goes through `parse_record`: a file may have been edited, cut
short or written by an older awslogin, so each value is kept only when it has its type.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Literal, NotRequired, TypedDict, get_args

# Like `aws login`: credentials rotate, and the session ends after 12 hours at the most.
SESSION_LIMIT_SECONDS = 12 * 3600
# Refresh when less than this is left, as botocore's refreshable credentials do.
REFRESH_MARGIN_SECONDS = 300.0


class Credentials(TypedDict):
    """AWS credentials as credential_process hands them out, plus their expiry in seconds."""

    AccessKeyId: str
    SecretAccessKey: str
    SessionToken: str
    Expiration: str  # UTC ISO 8601, as credential_process's `Expiration`
    ExpiresAt: int  # the same instant, in seconds since the epoch


class Identity(TypedDict, total=False):
    """Who the session is: what `login` and `status` show, and the account for the SDKs."""

    arn: str  # an ARN, or sso's "role R in account A (SSO session S)"
    subject: str | None  # the ID token's `sub` (oidc, aws-signin)
    accountId: str | None  # when the provider states it (aws-signin, sso)
    roleName: str  # sso


class SessionWindow(TypedDict):
    """When the sign-in happened and when it stops giving credentials (epoch seconds)."""

    startedAt: int
    expiresAt: int


class ProviderState(TypedDict, total=False):
    """What a provider keeps to refresh and revoke, by provider.

    One type with every provider's keys rather than one per provider: the state is read
    back from a file that any version (or botocore) may have written, so every key is
    optional and every read checks it; a union of per-provider types would need an
    unchecked cast at each provider to say which one the file holds.
    """

    # oidc and aws-signin
    clientId: str
    refreshToken: str | None
    # oidc
    issuer: str
    tokenEndpoint: str
    jwksUri: str
    revocationEndpoint: str | None
    subject: str | None
    nonce: str
    # aws-signin (botocore's names: the store writes them into its login cache as they are)
    idToken: str
    dpopKey: str
    tokenType: str
    # sso (the token itself stays in botocore's file of the sso-session)
    ssoSession: str
    startUrl: str
    ssoRegion: str
    # a new sign-in's token fields (adapters/sso_cache.SsoToken), carried from the login
    # to the store, which writes them to botocore's file only once the session may be
    # saved, and never to awslogin's own
    ssoToken: dict[str, str]


class SessionRecord(TypedDict):
    """One login session of one profile."""

    provider: str
    profile: str
    config: dict[str, str]  # the profile keys it was made with (see `matches_profile`)
    identity: Identity
    credentials: NotRequired[Credentials]  # absent until the first credentials
    session: SessionWindow
    providerState: ProviderState
    endedReason: NotRequired[str]  # why the session ended, when a provider said so
    refreshRetryAfter: NotRequired[int]  # after a failed refresh: no new try before this
    version: NotRequired[int]  # stamped by awslogin's own cache file


class ProcessOutput(TypedDict):
    """The credential_process JSON (Version 1) that every AWS SDK reads."""

    Version: int
    AccessKeyId: str
    SecretAccessKey: str
    SessionToken: str
    Expiration: str
    AccountId: NotRequired[str]


def new_credentials(
    access_key_id: str, secret_access_key: str, session_token: str, expires_at: float
) -> Credentials:
    """Credentials a provider just received, expiring at `expires_at` (epoch seconds)."""
    return Credentials(
        AccessKeyId=access_key_id,
        SecretAccessKey=secret_access_key,
        SessionToken=session_token,
        Expiration=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at)),
        ExpiresAt=int(expires_at),
    )


_StateString = Literal[
    "clientId",
    "issuer",
    "tokenEndpoint",
    "jwksUri",
    "nonce",
    "idToken",
    "dpopKey",
    "tokenType",
    "ssoSession",
    "startUrl",
    "ssoRegion",
]
_StateOptional = Literal["refreshToken", "revocationEndpoint", "subject"]
_STATE_STRINGS: tuple[_StateString, ...] = get_args(_StateString)
_STATE_OPTIONAL_STRINGS: tuple[_StateOptional, ...] = get_args(_StateOptional)


def _seconds(value: object) -> int | None:
    """A time in whole seconds, or None for anything that is not a number (bools included)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _credentials(value: object) -> Credentials | None:
    if not isinstance(value, Mapping):
        return None
    strings = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
    expires_at = _seconds(value.get("ExpiresAt"))
    if expires_at is None or not all(isinstance(value.get(key), str) for key in strings):
        return None
    return Credentials(
        AccessKeyId=value["AccessKeyId"],
        SecretAccessKey=value["SecretAccessKey"],
        SessionToken=value["SessionToken"],
        Expiration=value["Expiration"],
        ExpiresAt=expires_at,
    )


def _identity(value: object) -> Identity:
    identity = Identity()
    if not isinstance(value, Mapping):
        return identity
    if isinstance(value.get("arn"), str):
        identity["arn"] = value["arn"]
    if isinstance(value.get("roleName"), str):
        identity["roleName"] = value["roleName"]
    if "subject" in value and (value["subject"] is None or isinstance(value["subject"], str)):
        identity["subject"] = value["subject"]
    if "accountId" in value and (value["accountId"] is None or isinstance(value["accountId"], str)):
        identity["accountId"] = value["accountId"]
    return identity


def _provider_state(value: object) -> ProviderState:
    state = ProviderState()
    if not isinstance(value, Mapping):
        return state
    for key in _STATE_STRINGS:
        text = value.get(key)
        if isinstance(text, str):
            state[key] = text
    for optional in _STATE_OPTIONAL_STRINGS:
        if optional in value and (value[optional] is None or isinstance(value[optional], str)):
            state[optional] = value[optional]
    return state


def parse_record(data: Mapping[str, object] | None) -> SessionRecord | None:
    """The session record in `data` (a JSON object from disk), or None when it is not one.

    A record needs its `config` (an object of strings): without it nothing says which
    profile settings it was made with. Every other part is kept only when well-typed:
    credentials that lack a field are no credentials (the next use refreshes them), a
    session window that cannot be read has ended (the next use asks for a login).
    """
    if data is None:
        return None
    config = data.get("config")
    if not isinstance(config, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in config.items()
    ):
        return None
    window = data.get("session")
    window = window if isinstance(window, Mapping) else {}
    provider, profile = data.get("provider"), data.get("profile")
    record = SessionRecord(
        provider=provider if isinstance(provider, str) else "",
        profile=profile if isinstance(profile, str) else "",
        config=dict(config),
        identity=_identity(data.get("identity")),
        session=SessionWindow(
            startedAt=_seconds(window.get("startedAt")) or 0,
            expiresAt=_seconds(window.get("expiresAt")) or 0,
        ),
        providerState=_provider_state(data.get("providerState")),
    )
    credentials = _credentials(data.get("credentials"))
    if credentials is not None:
        record["credentials"] = credentials
    if isinstance(data.get("endedReason"), str):
        record["endedReason"] = str(data["endedReason"])
    retry_after = _seconds(data.get("refreshRetryAfter"))
    if retry_after is not None:
        record["refreshRetryAfter"] = retry_after
    version = _seconds(data.get("version"))
    if version is not None:
        record["version"] = version
    return record


def credentials_left(record: SessionRecord, now: float) -> float:
    credentials = record.get("credentials")
    return credentials["ExpiresAt"] - now if credentials is not None else -1.0


def session_left(record: SessionRecord, now: float) -> float:
    return record["session"]["expiresAt"] - now


def is_fresh(record: SessionRecord, now: float) -> bool:
    return credentials_left(record, now) > REFRESH_MARGIN_SECONDS


def matches_profile(record: SessionRecord, profile_values: Mapping[str, str]) -> bool:
    """False when the profile was reconfigured since this session was made."""
    return all(profile_values.get(key) == value for key, value in record["config"].items())


def account_id(record: SessionRecord) -> str | None:
    """The AWS account of the session: stated by the provider, or read off the ARN."""
    identity = record.get("identity") or Identity()
    stated = identity.get("accountId")
    if stated:
        return stated
    arn = identity.get("arn")
    fields = arn.split(":") if arn is not None and arn.startswith("arn:") else []
    return fields[4] if len(fields) > 5 and len(fields[4]) == 12 and fields[4].isdigit() else None


def process_output(record: SessionRecord) -> ProcessOutput:
    """The credential_process JSON (Version 1) that every AWS SDK reads.

    `AccountId` lets current SDKs use account-based endpoints, as they do with the same
    session through their native login and SSO providers; older SDKs ignore it.
    """
    credentials = record["credentials"]
    output = ProcessOutput(
        Version=1,
        AccessKeyId=credentials["AccessKeyId"],
        SecretAccessKey=credentials["SecretAccessKey"],
        SessionToken=credentials["SessionToken"],
        Expiration=credentials["Expiration"],
    )
    account = account_id(record)
    if account is not None:
        output["AccountId"] = account
    return output
