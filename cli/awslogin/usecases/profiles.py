"""Finding the profile a command works on. Light: `credential-process` runs it on every call."""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.adapters.aws_config import AwsConfig, config_path
from awslogin.errors import ConfigError
from awslogin.providers.registry import detected_provider, provider_name


def load_config(environ: Mapping[str, str]) -> AwsConfig:
    return AwsConfig.load(config_path(environ))


def awslogin_profile(config: AwsConfig, profile: str) -> tuple[dict[str, str], str]:
    """The profile's values and provider name; a clear error for unknown or foreign profiles."""
    values = config.profile(profile)
    if values is None:
        raise ConfigError(
            f"unknown profile {profile} in {config.path}: "
            f"run `awslogin configure --profile {profile}`"
        )
    return values, provider_name(profile, values)


def awslogin_profiles(config: AwsConfig) -> list[str]:
    return [
        name
        for name in config.profile_names()
        if detected_provider(config.profile(name) or {}) is not None
    ]


def configured_region(values: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`, as the SDKs look."""
    return (
        environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or values.get("region")
        or None
    )
