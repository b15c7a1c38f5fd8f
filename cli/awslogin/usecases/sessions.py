"""Refreshing a session: one process at a time per session, however many ask at once.

Refresh tokens rotate, so two processes refreshing with the same token would make the
IdP revoke the whole grant. Every refresher takes the session's file lock and reads the
cache again once it holds it: the first one refreshes, the others find fresh credentials
and make no call at all.

The AWS CLI and the SDKs share the aws-signin and sso caches but not the lock, so the
cache is read once more after a refresh. A refusal of the refresh token (invalid_grant,
TOKEN_EXPIRED) ends the session only if the cache still holds the refused token: another
tool may have rotated it meanwhile, and then what it wrote is used. New credentials are
not handed out if the cache was deleted meanwhile (`aws logout` signed out).
"""

from __future__ import annotations

import sys

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.errors import LoginRequired, ProviderError
from awslogin.profile import Profile
from awslogin.providers.registry import provider_factory, provider_name
from awslogin.session_record import (
    REFRESH_MARGIN_SECONDS,
    SessionRecord,
    credentials_left,
    matches_profile,
    session_left,
)
from awslogin.stores import SessionStore

# Credentials with less than this left are not handed out after a failed refresh.
USABLE_SECONDS = 60.0
RETRY_AFTER_SECONDS = 30.0


def refresh_under_lock(
    profile: Profile,
    store: SessionStore,
    *,
    debug: bool = False,
    needed: float = REFRESH_MARGIN_SECONDS,
) -> SessionRecord:
    """The session of `profile` in `store`, refreshed unless another process just did.

    `needed`: how long the credentials must still work to be used without a refresh
    (`console` asks for the federation minimum, usecases/console.py)."""
    clock = SystemClock()
    name = profile.name
    with store.lock():
        record = store.load()
        if record is None:
            raise LoginRequired(name, f"not signed in with profile {name}")
        if not matches_profile(record, profile.values):
            raise LoginRequired(name, f"profile {name} was reconfigured since you signed in")
        if credentials_left(record, clock.now()) > needed:
            return record
        if _keep_for_now(record, clock.now()):
            return record
        if session_left(record, clock.now()) <= 0:
            reason = record.get("endedReason") or "the session has reached its time limit"
            raise LoginRequired(name, reason)
        provider = provider_factory(provider_name(profile))(profile, HttpFactory(debug), clock)
        for attempt in (1, 2):
            try:
                refreshed = provider.refresh(record)
                break
            except LoginRequired as ended:
                latest = store.load()
                if latest is None:
                    raise  # signed out meanwhile: nothing to remember the end in
                if attempt == 1 and _rotated_since(record, latest):
                    # Another tool refreshed meanwhile: its session, as it is or refreshed
                    # once more with the token it left.
                    if credentials_left(latest, clock.now()) > needed:
                        return latest
                    record = latest
                    continue
                # Remember the end so that the next callers fail at once, without the network.
                latest["session"]["expiresAt"] = 0
                latest["endedReason"] = ended.reason
                latest["providerState"].pop("refreshToken", None)
                store.save(latest)
                raise
            except ProviderError as failure:
                # The IdP or STS is unreachable or failing: credentials that still work are
                # better than none, and the next callers should not all wait on it again.
                if credentials_left(record, clock.now()) <= USABLE_SECONDS:
                    raise
                record["refreshRetryAfter"] = int(clock.now() + RETRY_AFTER_SECONDS)
                store.save(record)
                print(
                    f"awslogin: refresh failed, using current credentials: {failure.message}",
                    file=sys.stderr,
                )
                return record
        if store.load() is None:
            raise _signed_out(name)
        store.save(refreshed)
        return refreshed


def _rotated_since(refused: SessionRecord, latest: SessionRecord) -> bool:
    """Whether the cache now holds another refresh token than the one just refused."""
    token = latest["providerState"].get("refreshToken")
    return token is not None and token != refused["providerState"].get("refreshToken")


def _signed_out(profile: str) -> LoginRequired:
    """The cache went away while this process refreshed it: signed out by another tool."""
    return LoginRequired(profile, f"signed out of profile {profile} while it was being refreshed")


def _keep_for_now(record: SessionRecord, now: float) -> bool:
    """After a failed refresh, skip new attempts for a while if the credentials still work."""
    retry_after = record.get("refreshRetryAfter")
    return (
        retry_after is not None
        and retry_after > now
        and credentials_left(record, now) > USABLE_SECONDS
    )
