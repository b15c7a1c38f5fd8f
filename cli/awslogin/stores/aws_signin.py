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
from typing import Literal, get_args

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
from awslogin.session_record import (
    SESSION_LIMIT_SECONDS,
    Credentials,
    Identity,
    ProviderState,
    SessionRecord,
    SessionWindow,
)

EXTENSION_KEY = "awslogin"
PROVIDER = "aws-signin"
_REQUIRED_STRINGS = ("refreshToken", "dpopKey", "clientId")
_StateKey = Literal["clientId", "refreshToken", "idToken", "dpopKey", "tokenType"]
# The tokens botocore's file and the record's providerState share, under the same names.
_STATE_KEYS: tuple[_StateKey, ...] = get_args(_StateKey)


def id_token_issued_at(id_token: object) -> int | None:
    """`auth_time` or `iat` of the ID token: when the session started."""
    claims = id_token_claims(id_token)
    for name in ("auth_time", "iat"):
        value = claims.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _object(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _credentials(access: Mapping[str, object]) -> Credentials | None:
    expires_at = expiry_epoch(access.get("expiresAt"))
    key_id, secret, token = (
        access.get("accessKeyId"),
        access.get("secretAccessKey"),
        access.get("sessionToken"),
    )
    if expires_at is None or not (
        isinstance(key_id, str) and isinstance(secret, str) and isinstance(token, str)
    ):
        return None
    return Credentials(
        AccessKeyId=key_id,
        SecretAccessKey=secret,
        SessionToken=token,
        Expiration=expiry_text(expires_at),
        ExpiresAt=int(expires_at),
    )


def record_from_token(
    token: Mapping[str, object], profile: str, login_session: str
) -> SessionRecord | None:
    """The session record for a cache file; None when botocore could not use it either.

    The file may come from `aws login`, botocore's refresh or an older awslogin: every
    value is checked, and what awslogin added (`awslogin`) may be missing.
    """
    if any(not isinstance(token.get(key), str) for key in _REQUIRED_STRINGS):
        return None
    access = _object(token.get("accessToken"))
    extension = _object(token.get(EXTENSION_KEY))
    started = _whole(extension.get("sessionStart"))
    if started is None:
        started = id_token_issued_at(token.get("idToken")) or int(time.time())
    ends = _whole(extension.get("sessionEnd"))
    if ends is None:
        # A cache written by another tool carries no end: AWS Sign-In's limit from its start.
        ends = started + SESSION_LIMIT_SECONDS
    account_id = access.get("accountId")
    state = ProviderState()
    for key in _STATE_KEYS:
        value = token.get(key)
        if isinstance(value, str):
            state[key] = value
    record = SessionRecord(
        version=CACHE_FORMAT_VERSION,
        provider=PROVIDER,
        profile=profile,
        config={LOGIN_SESSION_KEY: login_session},
        identity=Identity(
            arn=login_session,
            subject=login_session,
            accountId=account_id if isinstance(account_id, str) else None,
        ),
        session=SessionWindow(startedAt=started, expiresAt=ends),
        providerState=state,
    )
    credentials = _credentials(access)
    if credentials is not None:
        record["credentials"] = credentials
    ended_reason, retry_after = extension.get("endedReason"), extension.get("refreshRetryAfter")
    if isinstance(ended_reason, str):
        record["endedReason"] = ended_reason
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        record["refreshRetryAfter"] = int(retry_after)
    return record


def token_from_record(
    record: SessionRecord, existing: Mapping[str, object] | None
) -> dict[str, object]:
    """The cache file for a record, merged over what the file held before."""
    token = dict(existing or {})
    state = record["providerState"]
    for key in _STATE_KEYS:
        value = state.get(key)
        if isinstance(value, str):
            token[key] = value
    old_access = _object(token.get("accessToken"))
    account_id = record["identity"].get("accountId") or old_access.get("accountId")
    credentials = record.get("credentials")
    if credentials is not None and credentials["AccessKeyId"]:
        token["accessToken"] = {
            "accessKeyId": credentials["AccessKeyId"],
            "secretAccessKey": credentials["SecretAccessKey"],
            "sessionToken": credentials["SessionToken"],
            "accountId": account_id,
            "expiresAt": expiry_text(credentials["ExpiresAt"]),
        }
    extension: dict[str, object] = {
        "sessionStart": record["session"]["startedAt"],
        "sessionEnd": record["session"]["expiresAt"],
    }
    if "endedReason" in record:
        extension["endedReason"] = record["endedReason"]
    if "refreshRetryAfter" in record:
        extension["refreshRetryAfter"] = record["refreshRetryAfter"]
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

    @property
    def session_file(self) -> str:
        return self.path  # `aws logout` deletes it

    def _path_of(self, login_session: str | None) -> str:
        name = cache_file_name(login_session) if login_session else "(no login_session)"
        return os.path.join(self.directory, name)

    def _read(self) -> dict[str, object] | None:
        if not self.login_session:
            return None
        return read_json_object(self.path)

    def load(self) -> SessionRecord | None:
        token = self._read()
        if token is None or not self.login_session:
            return None
        self._loaded_refresh_token = token.get("refreshToken")
        return record_from_token(token, self.profile, self.login_session)

    def save(self, data: SessionRecord) -> None:
        login_session = data["config"].get(LOGIN_SESSION_KEY)
        if not login_session:
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
