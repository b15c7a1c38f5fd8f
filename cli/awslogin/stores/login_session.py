"""The `aws-signin` session store: botocore's login cache read and written as session records.

botocore's file (see adapters/login_cache.py) holds the credentials and the tokens. What
awslogin needs beyond that (when the session started and ends, why it ended, when to
retry a failed refresh) goes under one extra key, `awslogin`: botocore ignores it and
keeps it when it writes its refresh back (it updates the loaded object). Writes merge
into the file, so a field the record lacks keeps the value on disk.

The refresh lock lives in awslogin's own cache directory, never beside the token files,
so no tool that lists the login cache ever meets it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from awslogin.adapters.files import (
    delete_file,
    make_private_directory,
    read_json_object,
    write_private_atomically,
)
from awslogin.adapters.login_cache import (
    cache_file_name,
    expiry_epoch,
    expiry_text,
    login_cache_dir,
)
from awslogin.adapters.token_cache import CACHE_FORMAT_VERSION, cache_dir, session_lock
from awslogin.crypto.jwt_claims import id_token_claims
from awslogin.errors import AwsloginError
from awslogin.profile import LOGIN_SESSION_KEY, Profile

EXTENSION_KEY = "awslogin"
PROVIDER = "aws-signin"
# AWS Sign-In sessions last at most 12 hours; a cache written by another tool carries no
# end, so it is taken as 12 hours after the ID token was issued.
SESSION_LIMIT_SECONDS = 12 * 3600
_REQUIRED_STRINGS = ("refreshToken", "dpopKey", "clientId")
_STATE_KEYS = ("clientId", "refreshToken", "idToken", "dpopKey", "tokenType")


def id_token_issued_at(id_token: object) -> int | None:
    """`auth_time` or `iat` of the ID token: when the session started."""
    claims = id_token_claims(id_token)
    for name in ("auth_time", "iat"):
        value = claims.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def record_from_token(
    token: Mapping[str, Any], profile: str, login_session: str
) -> dict[str, Any] | None:
    """The session record for a cache file; None when botocore could not use it either."""
    if any(not isinstance(token.get(key), str) for key in _REQUIRED_STRINGS):
        return None
    access = token.get("accessToken")
    access = access if isinstance(access, dict) else {}
    extension = token.get(EXTENSION_KEY)
    extension = extension if isinstance(extension, dict) else {}

    credentials: dict[str, Any] = {}
    expires_at = expiry_epoch(access.get("expiresAt"))
    keys = ("accessKeyId", "secretAccessKey", "sessionToken")
    if expires_at is not None and all(isinstance(access.get(key), str) for key in keys):
        credentials = {
            "AccessKeyId": access["accessKeyId"],
            "SecretAccessKey": access["secretAccessKey"],
            "SessionToken": access["sessionToken"],
            "Expiration": expiry_text(expires_at),
            "ExpiresAt": int(expires_at),
        }
    started = extension.get("sessionStart")
    if not isinstance(started, int):
        started = id_token_issued_at(token.get("idToken")) or int(time.time())
    ends = extension.get("sessionEnd")
    if not isinstance(ends, int):
        ends = started + SESSION_LIMIT_SECONDS
    account_id = access.get("accountId")
    record: dict[str, Any] = {
        "version": CACHE_FORMAT_VERSION,
        "provider": PROVIDER,
        "profile": profile,
        "config": {LOGIN_SESSION_KEY: login_session},
        "identity": {
            "arn": login_session,
            "subject": login_session,
            "accountId": account_id if isinstance(account_id, str) else None,
        },
        "credentials": credentials,
        "session": {"startedAt": started, "expiresAt": ends},
        "providerState": {
            key: token[key] for key in _STATE_KEYS if isinstance(token.get(key), str)
        },
    }
    for key in ("endedReason", "refreshRetryAfter"):
        if key in extension:
            record[key] = extension[key]
    return record


def token_from_record(
    record: Mapping[str, Any], existing: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The cache file for a record, merged over what the file held before."""
    token = dict(existing or {})
    state = record.get("providerState") or {}
    for key in _STATE_KEYS:
        if isinstance(state.get(key), str):
            token[key] = state[key]
    credentials = record.get("credentials") or {}
    old_access = token.get("accessToken")
    old_access = old_access if isinstance(old_access, dict) else {}
    identity = record.get("identity") or {}
    account_id = identity.get("accountId") or old_access.get("accountId")
    if credentials.get("AccessKeyId"):
        token["accessToken"] = {
            "accessKeyId": credentials["AccessKeyId"],
            "secretAccessKey": credentials["SecretAccessKey"],
            "sessionToken": credentials["SessionToken"],
            "accountId": account_id,
            "expiresAt": expiry_text(float(credentials["ExpiresAt"])),
        }
    session = record.get("session") or {}
    extension = {
        "sessionStart": int(session.get("startedAt", 0)),
        "sessionEnd": int(session.get("expiresAt", 0)),
    }
    for key in ("endedReason", "refreshRetryAfter"):
        if record.get(key) is not None:
            extension[key] = record[key]
    token[EXTENSION_KEY] = extension
    return token


class LoginCacheStore:
    """The botocore cache file of one login session, seen as an awslogin SessionStore.

    `login_session` is the profile's; a login saves to the session its record names
    (the ID token's subject), which may be a new one.
    """

    def __init__(
        self, directory: str, lock_directory: str, profile: str, login_session: str | None
    ) -> None:
        self.directory = directory
        self.lock_directory = lock_directory
        self.profile = profile
        self.login_session = login_session
        self.path = self._path_of(login_session)
        self._loaded_refresh_token: object = None

    def _path_of(self, login_session: str | None) -> str:
        name = cache_file_name(login_session) if login_session else "(no login_session)"
        return os.path.join(self.directory, name)

    def _read(self) -> dict[str, Any] | None:
        if not self.login_session:
            return None
        return read_json_object(self.path)

    def load(self) -> dict[str, Any] | None:
        token = self._read()
        if token is None or not self.login_session:
            return None
        self._loaded_refresh_token = token.get("refreshToken")
        return record_from_token(token, self.profile, self.login_session)

    def save(self, data: Mapping[str, Any]) -> None:
        login_session = (data.get("config") or {}).get(LOGIN_SESSION_KEY)
        if not isinstance(login_session, str) or not login_session:
            raise AwsloginError("cannot cache an aws-signin session without its login_session")
        if login_session != self.login_session:
            self.login_session, self.path = login_session, self._path_of(login_session)
            existing = None  # another session's file: nothing of it carries over
        else:
            existing = self._read()
            if (
                data.get("endedReason")
                and existing is not None
                and existing.get("refreshToken") != self._loaded_refresh_token
            ):
                # botocore (which takes no awslogin lock) rotated the token meanwhile: the
                # refusal was for the token it replaced; the session goes on with the new one.
                return
        payload = json.dumps(token_from_record(data, existing), indent=2).encode("utf-8")
        make_private_directory(self.directory)
        write_private_atomically(self.path, payload)

    def delete(self) -> bool:
        return bool(self.login_session) and delete_file(self.path)

    def lock(self) -> AbstractContextManager[object]:
        """awslogin's refresh lock for this session, in awslogin's cache directory."""
        key = cache_file_name(self.login_session or "")[: -len(".json")]
        return session_lock(self.lock_directory, PROVIDER, key)


def store_for_profile(profile: Profile) -> LoginCacheStore:
    """The store of the session the profile names with `login_session` (if any yet)."""
    return LoginCacheStore(
        login_cache_dir(profile.environ),
        cache_dir(profile.environ),
        profile.name,
        profile.values.get(LOGIN_SESSION_KEY),
    )


def signed_in_profiles(profiles: Iterable[Profile]) -> list[str]:
    """The aws-signin profiles among `profiles` whose session has a cache file (for
    `logout --all`)."""
    names = []
    for profile in profiles:
        session = profile.values.get(LOGIN_SESSION_KEY)
        if profile.provider != PROVIDER or not session:
            continue
        directory = login_cache_dir(profile.environ)
        if os.path.exists(os.path.join(directory, cache_file_name(session))):
            names.append(profile.name)
    return names
