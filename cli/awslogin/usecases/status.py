"""`awslogin status`: what each profile's session holds, read from the cache only."""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.adapters.clock import local_time
from awslogin.errors import ConfigError
from awslogin.profile import Profile
from awslogin.providers.registry import provider_name
from awslogin.session_record import credentials_left, matches_profile, session_left
from awslogin.stores import store_for
from awslogin.usecases.profiles import awslogin_profile, awslogin_profiles, load_config
from awslogin.usecases.renewal_status import renewal_line


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min"


def profile_status(profile: Profile, now: float) -> list[str]:
    provider = provider_name(profile)
    record = store_for(provider, profile).load()
    lines = [f"profile {profile.name}", f"  provider:    {provider}"]
    if record is None:
        return [*lines, "  session:     not signed in"]
    lines.append(f"  identity:    {record['identity'].get('arn', 'unknown')}")
    if not matches_profile(record, profile.values):
        lines.append("  note:        the profile changed since this sign-in; log in again")
    left = credentials_left(record, now)
    remaining = session_left(record, now)
    if "credentials" in record and left > 0:
        expiration = local_time(record["credentials"]["ExpiresAt"])
        lines.append(f"  credentials: expire {expiration} ({_duration(left)} left)")
    elif remaining > 0:
        lines.append("  credentials: expired (renewed on next use while the session lasts)")
    else:
        lines.append("  credentials: none (sign in again for new ones)")
    if remaining > 0:
        session_end = local_time(record["session"]["expiresAt"])
        lines.append(f"  session:     ends {session_end} ({_duration(remaining)} left)")
    else:
        reason = record.get("endedReason") or "time limit reached"
        lines.append(
            f"  session:     ended ({reason}); run `awslogin login --profile {profile.name}`"
        )
    renewal = renewal_line(profile.name, profile.environ)
    if renewal is not None:
        lines.append(f"  renewal:     {renewal}")
    return lines


def status(
    profile: str | None, environ: Mapping[str, str], now: float, *, all_profiles: bool
) -> str:
    config = load_config(environ)
    if not all_profiles:
        assert profile is not None
        return "\n".join(profile_status(awslogin_profile(config, profile, environ)[0], now))
    profiles = awslogin_profiles(config, environ)
    if not profiles:
        raise ConfigError(
            "no awslogin profiles configured: run `awslogin configure --profile NAME`"
        )
    return "\n".join("\n".join(profile_status(each, now)) for each in profiles)
