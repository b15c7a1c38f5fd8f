"""The cached login session: a JSON object shared by every provider's use cases.

Kept as plain dicts and functions (no dataclasses, no datetime) because
`credential-process` reads it on every SDK start. Layout, version 1:

    {
      "version": 1,
      "provider": "oidc",
      "profile": "dev",
      "config": {"awslogin_issuer": "...", ...},      # profile keys this session depends on
      "identity": {"arn": "arn:aws:sts::...:assumed-role/dev/alice", "subject": "alice"},
      "credentials": {"AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ...,
                      "Expiration": "2026-11-22T01:00:00Z", "ExpiresAt": 1795309200},
      "session": {"startedAt": 1795305600, "expiresAt": 1795348800},
      "providerState": {...}                            # tokens etc., opaque to use cases
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Refresh when less than this is left, as botocore's refreshable credentials do.
REFRESH_MARGIN_SECONDS = 300.0

Record = dict[str, Any]


def credentials_left(record: Mapping[str, Any], now: float) -> float:
    credentials = record.get("credentials")
    if not isinstance(credentials, dict):
        return -1.0
    expires_at = credentials.get("ExpiresAt")
    return float(expires_at) - now if isinstance(expires_at, int | float) else -1.0


def session_left(record: Mapping[str, Any], now: float) -> float:
    session = record.get("session")
    if not isinstance(session, dict):
        return -1.0
    expires_at = session.get("expiresAt")
    return float(expires_at) - now if isinstance(expires_at, int | float) else -1.0


def is_fresh(record: Mapping[str, Any], now: float) -> bool:
    return credentials_left(record, now) > REFRESH_MARGIN_SECONDS and has_credentials(record)


def has_credentials(record: Mapping[str, Any]) -> bool:
    credentials = record.get("credentials")
    return isinstance(credentials, dict) and all(
        isinstance(credentials.get(key), str)
        for key in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
    )


def matches_profile(record: Mapping[str, Any], profile_values: Mapping[str, str]) -> bool:
    """False when the profile was reconfigured since this session was made."""
    config = record.get("config")
    if not isinstance(config, dict):
        return False
    return all(profile_values.get(key) == value for key, value in config.items())


def account_id(record: Mapping[str, Any]) -> str | None:
    """The AWS account of the session: stated by the provider, or read off the ARN."""
    identity = record.get("identity")
    if not isinstance(identity, dict):
        return None
    stated = identity.get("accountId")
    if isinstance(stated, str) and stated:
        return stated
    arn = identity.get("arn")
    fields = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return fields[4] if len(fields) > 5 and len(fields[4]) == 12 and fields[4].isdigit() else None


def process_output(record: Mapping[str, Any]) -> dict[str, Any]:
    """The credential_process JSON (Version 1) that every AWS SDK reads.

    `AccountId` lets current SDKs use account-based endpoints, as they do with the same
    session through their native login and SSO providers; older SDKs ignore it.
    """
    credentials = record["credentials"]
    output = {
        "Version": 1,
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "SessionToken": credentials["SessionToken"],
        "Expiration": credentials["Expiration"],
    }
    account = account_id(record)
    if account is not None:
        output["AccountId"] = account
    return output
