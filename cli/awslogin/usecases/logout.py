"""`awslogin logout`: revoke where the provider can, delete the cache, say what went.

A revocation that fails (refused, unreachable) does not keep the local session: it is
removed all the same, one line on stderr says what did not happen, and the exit code
is 0, as `aws sso logout` goes on when its Logout call fails (docs/security.md, "Logout").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.sso_cache import cached_tokens
from awslogin.adapters.token_cache import cache_dir, cached_sessions
from awslogin.errors import AwsloginError
from awslogin.profile import Profile, load_profile
from awslogin.providers.base import Revocation
from awslogin.providers.registry import KNOWN_PROVIDERS, provider_factory
from awslogin.session_record import SessionRecord
from awslogin.stores import store_for
from awslogin.stores.aws_signin import signed_in_profiles
from awslogin.usecases.profiles import awslogin_profile, awslogin_profiles, load_config


@dataclass(frozen=True)
class LogoutReport:
    """What logout says: `lines` on stdout, `warnings` (failed revocations) on stderr."""

    lines: list[str]
    warnings: list[str] = field(default_factory=list)


def _revoke(
    provider: str, profile: Profile, http: HttpFactory, record: SessionRecord
) -> Revocation:
    # Revoke with the settings the session was made with, even if the profile changed.
    made_with = profile.with_values(record["config"])
    try:
        instance = provider_factory(provider)(made_with, http, SystemClock())
        return instance.revoke(record)
    except AwsloginError as exc:
        return Revocation(False, f"refresh token not revoked ({exc.message})", failed=True)


def _sign_out(provider: str, profile: Profile, http: HttpFactory) -> LogoutReport:
    store = store_for(provider, profile)
    name = profile.name
    nothing = LogoutReport([f"Profile {name}: no cached session; nothing to remove."])
    if not os.path.exists(store.path):
        return nothing
    with store.lock():  # not while a credential-process is refreshing this session
        record = store.load()
        revocation = None if record is None else _revoke(provider, profile, http, record)
    if revocation is None:
        if store.delete():
            return LogoutReport([f"Profile {name}: removed an unreadable cache file {store.path}."])
        return nothing
    store.delete()
    removed = f"Profile {name}: removed cached tokens and credentials ({store.path})"
    if revocation.failed:
        return LogoutReport([f"{removed}."], [f"profile {name}: {revocation.detail}"])
    return LogoutReport([f"{removed}; {revocation.detail}."])


def logout(
    profile: str | None, environ: Mapping[str, str], *, all_profiles: bool, debug: bool = False
) -> LogoutReport:
    http = HttpFactory(debug)
    config = load_config(environ)
    if all_profiles:
        cached = cached_sessions(cache_dir(environ))
        # sso sign-ins belong to sso-sessions, not profiles: signed out all at once, below.
        sessions = [(p, name) for p, name in cached if p in KNOWN_PROVIDERS and p != "sso"]
        signed_in = signed_in_profiles(awslogin_profiles(config, environ))
        sessions += [("aws-signin", name) for name in signed_in]
        sso = any(p == "sso" for p, _ in cached) or bool(cached_tokens(environ))
        if not sessions and not sso:
            return LogoutReport(["No cached sessions; nothing to remove."])
        reports = [_sign_out(p, load_profile(config, name, environ), http) for p, name in sessions]
        return LogoutReport(
            [line for report in reports for line in report.lines]
            + (_sso_sign_out(environ, http) if sso else []),
            [warning for report in reports for warning in report.warnings],
        )
    assert profile is not None
    chosen, provider = awslogin_profile(config, profile, environ)
    if provider == "sso":
        return LogoutReport(_sso_sign_out(environ, http))
    return _sign_out(provider, chosen, http)


def _sso_sign_out(environ: Mapping[str, str], http: HttpFactory) -> list[str]:
    """As `aws sso logout`: every SSO session ends, whichever profile was named."""
    from awslogin.providers.sso import sign_out_everywhere

    return sign_out_everywhere(environ, http)
