"""Provider names and their (lazily imported) implementations.

Light: `credential-process` names the provider of a profile on every cache hit; the
implementation (httpx, cryptography...) is imported only when a refresh or login needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from awslogin.errors import ConfigError
from awslogin.profile import PROVIDER_KEY, Profile, other_credential_style

if TYPE_CHECKING:
    from awslogin.providers.base import ProviderFactory

_IMPLEMENTATIONS = {
    "oidc": "awslogin.providers.oidc:OidcProvider",
    "sso": "awslogin.providers.sso:SsoProvider",
    "aws-signin": "awslogin.providers.aws_signin:AwsSigninProvider",
}
KNOWN_PROVIDERS = tuple(_IMPLEMENTATIONS)


def provider_name(profile: Profile) -> str:
    """The profile's provider; a clear error for a profile that is not awslogin's."""
    name = profile.provider
    if not name:
        style = other_credential_style(profile.name, profile.values)
        if style is not None:  # configure would refuse it: mixing styles is ambiguous
            raise ConfigError(
                f"profile {profile.name} gets {style} credentials from the AWS config file, "
                "not from awslogin: the AWS CLI and SDKs use it as it is, with no login. To "
                "sign in with awslogin, give it a profile of its own: "
                "`awslogin configure --profile NEW_NAME`"
            )
        raise ConfigError(
            f"profile {profile.name} is not an awslogin profile: "
            f"run `awslogin configure --profile {profile.name}`"
        )
    if name not in _IMPLEMENTATIONS:
        raise ConfigError(
            f"profile {profile.name} has unknown {PROVIDER_KEY} = {name} "
            f"(known: {', '.join(KNOWN_PROVIDERS)})"
        )
    return name


def provider_factory(name: str) -> ProviderFactory:
    module_name, _, attribute = _IMPLEMENTATIONS[name].partition(":")
    factory: ProviderFactory = getattr(importlib.import_module(module_name), attribute)
    return factory
