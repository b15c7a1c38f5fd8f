"""Where an `sso` profile's session lives: role credentials per profile, the token per sso-session.

The sign-in belongs to the sso-session (botocore's token file, shared by all its profiles);
the role credentials belong to one profile (awslogin's cache file). So the store reads
the profile's file for the credentials and derives the session from the shared token on
every load: a sign-in made through any profile of the session, or by `aws sso login`,
brings every other profile back to life, and a profile never signed in with itself
still gets a record to refresh from. Without the token (signed out: `aws sso logout`
deletes it, and the AWS CLI's own cached role credentials with it) the record carries no
credentials, so none are handed out. Light on purpose: `credential-process` runs it.

The session's end is capped (`session_end`): a refreshable token names no end but its
client registration's (about 90 days), while IAM Identity Center ends the session itself
(8 hours by default, configurable), which no cache records. So the end is the sign-in
time plus the profile's `awslogin_session_limit`, never past what the token file allows
(docs/security.md, "Renewal").
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from awslogin.adapters.sso_cache import SsoToken, SsoTokenFile, parse_time, parse_token
from awslogin.profile import SSO_PROFILE_KEYS, SSO_SESSION_KEY, Profile, session_limit
from awslogin.session_record import (
    SESSION_LIMIT_SECONDS,
    Identity,
    ProviderState,
    SessionRecord,
    SessionWindow,
)
from awslogin.stores.record_file import RecordFile

PROVIDER = "sso"


def token_session_end(token: SsoToken | None, now: float) -> float:
    """Until when the token file allows credentials: its own expiry, or, if it can be
    refreshed, its client registration's (the cache records no more than that)."""
    if token is None:
        return 0.0
    access_end = parse_time(token.get("expiresAt")) or 0.0
    refreshable = all(key in token for key in ("refreshToken", "clientId", "clientSecret"))
    registration_end = parse_time(token.get("registrationExpiresAt")) or 0.0
    if refreshable and registration_end > now:
        return max(access_end, registration_end)
    return access_end


def session_end(token: SsoToken | None, started: float, limit: int, now: float) -> float:
    """The end of a session signed in at `started`: `limit` seconds later (the profile's
    `awslogin_session_limit`), or sooner when the token file allows less."""
    return min(token_session_end(token, now), started + limit)


def profile_session_limit(profile: Profile) -> int:
    """The profile's `awslogin_session_limit`, 12 hours by default."""
    return session_limit(profile.name, profile.values, SESSION_LIMIT_SECONDS)


def caller_arn(record: SessionRecord) -> str | None:
    """The assumed-role ARN STS gave for the session's sign-in; None for a record written
    before awslogin asked (its `arn` only described the account and role)."""
    arn = record["identity"].get("arn") or ""
    return arn if arn.startswith("arn:") and ":assumed-role/" in arn else None


def ended_reason(session_name: str, token: SsoToken | None, *, limit: int, limited: bool) -> str:
    if token is None:
        return f"not signed in to SSO session {session_name}"
    if limited:
        return (
            f"the SSO session {session_name} reached its limit of {limit} s "
            "(awslogin_session_limit)"
        )
    return f"the SSO session {session_name} has expired"


class SsoProfileStore:
    """The store `credential-process`, `status` and `login` use for an `sso` profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._credentials = RecordFile(PROVIDER, profile)
        self.path = self._credentials.path

    @property
    def session_file(self) -> str:
        """The sso-session's token (`aws sso logout` deletes it), else the profile's file."""
        session_name = self.profile.values.get(SSO_SESSION_KEY)
        if not session_name:
            return self.path
        return SsoTokenFile(self.profile.environ, session_name).path

    def load(self) -> SessionRecord | None:
        values = self.profile.values
        session_name = values.get(SSO_SESSION_KEY)
        record = self._credentials.load()
        if not session_name:
            return record
        config = {key: values[key] for key in SSO_PROFILE_KEYS if key in values}
        if record is not None and record["config"] != config:
            record = None  # another account or role: the session's sign-in still serves it
        token = SsoTokenFile(self.profile.environ, session_name).load()
        if record is None:
            if token is None:
                return None
            record = SessionRecord(
                provider=PROVIDER,
                profile=self.profile.name,
                config=config,
                identity=Identity(),
                session=SessionWindow(startedAt=0, expiresAt=0),
                providerState=ProviderState(),
            )
        if token is None:
            record.pop("credentials", None)  # signed out: no role credentials of it any more
        now = time.time()
        # A sign-in that awslogin did not make (`aws sso login`, another profile of the
        # session) is counted from the first time its credentials are saved for this
        # profile: the refresh keeps that time (providers/sso.py).
        started = record["session"]["startedAt"] or int(now)
        limit = profile_session_limit(self.profile)
        end = session_end(token, started, limit, now)
        record["session"] = SessionWindow(startedAt=started, expiresAt=int(end))
        record.pop("endedReason", None)
        if end <= now:
            limited = token_session_end(token, now) > end
            record["endedReason"] = ended_reason(session_name, token, limit=limit, limited=limited)
        return record

    def save(self, record: SessionRecord) -> None:
        """The role credentials, and a new sign-in's token (which the login carries in
        `ssoToken` until it may be saved) where botocore and every profile read it."""
        token = parse_token(record["providerState"].pop("ssoToken", None))
        session_name = self.profile.values.get(SSO_SESSION_KEY)
        if token is not None and session_name:
            SsoTokenFile(self.profile.environ, session_name).save(token)
        self._credentials.save(record)

    def delete(self) -> bool:
        return self._credentials.delete()

    def lock(self) -> AbstractContextManager[object]:
        return self._credentials.lock()
