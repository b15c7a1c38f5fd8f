"""`awslogin logout`: revoke where the provider can, delete the cache, say what went."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.sso_cache import cached_tokens
from awslogin.adapters.token_cache import cache_dir, cached_sessions
from awslogin.errors import AwsloginError
from awslogin.providers.registry import KNOWN_PROVIDERS, provider_factory
from awslogin.stores import store_for
from awslogin.stores.login_session import signed_in_profiles
from awslogin.usecases.profiles import awslogin_profile, load_config
from awslogin.usecases.sessions import profile_settings


def _revoke(
    provider: str,
    profile: str,
    values: Mapping[str, str] | None,
    environ: Mapping[str, str],
    http: HttpFactory,
    record: Mapping[str, Any] | None,
) -> str:
    if record is None:
        return ""
    # Revoke with the settings the session was made with, even if the profile changed.
    settings_values = dict(values or {})
    settings_values.update(record.get("config") or {})
    try:
        config = load_config(environ)
        instance = provider_factory(provider)(
            profile_settings(config, profile, settings_values, environ), http, SystemClock()
        )
        return instance.revoke(record).detail
    except AwsloginError as exc:
        return f"refresh token not revoked ({exc.message})"


def _sign_out(
    provider: str,
    profile: str,
    values: Mapping[str, str] | None,
    environ: Mapping[str, str],
    http: HttpFactory,
) -> str:
    store = store_for(provider, profile, environ)
    if not os.path.exists(store.path):
        return f"Profile {profile}: no cached session; nothing to remove."
    with store.lock():  # not while a credential-process is refreshing this session
        record = store.load()
        revocation = _revoke(provider, profile, values, environ, http, record)
    if record is None:
        removed = store.delete()
        if removed:
            return f"Profile {profile}: removed an unreadable cache file {store.path}."
        return f"Profile {profile}: no cached session; nothing to remove."
    store.delete()
    return f"Profile {profile}: removed cached tokens and credentials ({store.path}); {revocation}."


def logout(
    profile: str | None, environ: Mapping[str, str], *, all_profiles: bool, debug: bool = False
) -> list[str]:
    http = HttpFactory(debug)
    if all_profiles:
        cached = cached_sessions(cache_dir(environ))
        # sso sign-ins belong to sso-sessions, not profiles: signed out all at once, below.
        sessions = [(p, name) for p, name in cached if p in KNOWN_PROVIDERS and p != "sso"]
        sessions += [("aws-signin", name) for name in signed_in_profiles(environ)]
        sso = any(p == "sso" for p, _ in cached) or bool(cached_tokens(environ))
        if not sessions and not sso:
            return ["No cached sessions; nothing to remove."]
        config = load_config(environ)
        lines = [_sign_out(p, name, config.profile(name), environ, http) for p, name in sessions]
        return lines + (_sso_sign_out(environ, http) if sso else [])
    assert profile is not None
    values, provider = awslogin_profile(load_config(environ), profile)
    if provider == "sso":
        return _sso_sign_out(environ, http)
    return [_sign_out(provider, profile, values, environ, http)]


def _sso_sign_out(environ: Mapping[str, str], http: HttpFactory) -> list[str]:
    """As `aws sso logout`: every SSO session ends, whichever profile was named."""
    from awslogin.providers.sso import sign_out_everywhere

    return sign_out_everywhere(environ, http)
