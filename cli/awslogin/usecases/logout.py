"""`awslogin logout`: revoke where the provider can, delete the cache, say what went."""

from __future__ import annotations

import os
from collections.abc import Mapping

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.sso_cache import cached_tokens
from awslogin.adapters.token_cache import cache_dir, cached_sessions
from awslogin.errors import AwsloginError
from awslogin.profile import Profile, load_profile
from awslogin.providers.registry import KNOWN_PROVIDERS, provider_factory
from awslogin.session_record import SessionRecord
from awslogin.stores import store_for
from awslogin.stores.aws_signin import signed_in_profiles
from awslogin.usecases.profiles import awslogin_profile, awslogin_profiles, load_config


def _revoke(
    provider: str, profile: Profile, http: HttpFactory, record: SessionRecord | None
) -> str:
    if record is None:
        return ""
    # Revoke with the settings the session was made with, even if the profile changed.
    made_with = profile.with_values(record["config"])
    try:
        instance = provider_factory(provider)(made_with, http, SystemClock())
        return instance.revoke(record).detail
    except AwsloginError as exc:
        return f"refresh token not revoked ({exc.message})"


def _sign_out(provider: str, profile: Profile, http: HttpFactory) -> str:
    store = store_for(provider, profile)
    name = profile.name
    if not os.path.exists(store.path):
        return f"Profile {name}: no cached session; nothing to remove."
    with store.lock():  # not while a credential-process is refreshing this session
        record = store.load()
        revocation = _revoke(provider, profile, http, record)
    if record is None:
        removed = store.delete()
        if removed:
            return f"Profile {name}: removed an unreadable cache file {store.path}."
        return f"Profile {name}: no cached session; nothing to remove."
    store.delete()
    return f"Profile {name}: removed cached tokens and credentials ({store.path}); {revocation}."


def logout(
    profile: str | None, environ: Mapping[str, str], *, all_profiles: bool, debug: bool = False
) -> list[str]:
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
            return ["No cached sessions; nothing to remove."]
        lines = [_sign_out(p, load_profile(config, name, environ), http) for p, name in sessions]
        return lines + (_sso_sign_out(environ, http) if sso else [])
    assert profile is not None
    chosen, provider = awslogin_profile(config, profile, environ)
    if provider == "sso":
        return _sso_sign_out(environ, http)
    return [_sign_out(provider, chosen, http)]


def _sso_sign_out(environ: Mapping[str, str], http: HttpFactory) -> list[str]:
    """As `aws sso logout`: every SSO session ends, whichever profile was named."""
    from awslogin.providers.sso import sign_out_everywhere

    return sign_out_everywhere(environ, http)
