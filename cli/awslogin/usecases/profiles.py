"""Finding the profile a command works on. Light: `credential-process` runs it on every call."""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.adapters.aws_config import AwsConfig, config_path
from awslogin.errors import ConfigError
from awslogin.profile import Profile, load_profile
from awslogin.providers.registry import provider_name


def load_config(environ: Mapping[str, str]) -> AwsConfig:
    return AwsConfig.load(config_path(environ))


def awslogin_profile(
    config: AwsConfig, name: str, environ: Mapping[str, str], *, region: str | None = None
) -> tuple[Profile, str]:
    """The profile and its provider; a clear error for unknown or foreign profiles."""
    if config.profile(name) is None:
        raise ConfigError(
            f"unknown profile {name} in {config.path}: run `awslogin configure --profile {name}`"
        )
    profile = load_profile(config, name, environ, region=region)
    return profile, provider_name(profile)


def awslogin_profiles(config: AwsConfig, environ: Mapping[str, str]) -> list[Profile]:
    """Every profile of the file that awslogin can serve (its own, `aws login`'s, SSO's)."""
    profiles = [load_profile(config, name, environ) for name in config.profile_names()]
    return [profile for profile in profiles if profile.provider is not None]
