"""Provider names and their (lazily imported) implementations.

Light: `credential-process` names the provider of a profile on every cache hit; the
implementation (httpx, cryptography...) is imported only when a refresh or login needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from awslogin.errors import ConfigError

if TYPE_CHECKING:
    from awslogin.providers.base import ProviderFactory

PROVIDER_KEY = "awslogin_provider"
_IMPLEMENTATIONS = {
    "oidc": "awslogin.providers.oidc:OidcProvider",
    "sso": "awslogin.providers.sso:SsoProvider",
    "aws-signin": "awslogin.providers.aws_signin:AwsSigninProvider",
}
KNOWN_PROVIDERS = tuple(_IMPLEMENTATIONS)


def detected_provider(values: Mapping[str, str]) -> str | None:
    """The provider a profile names, or the one its keys imply, or None for other profiles.

    A profile the AWS CLI wrote for an sso-session is an `sso` profile as it stands, and
    one that `aws login` wrote is an `aws-signin` profile.
    """
    if values.get(PROVIDER_KEY):
        return values[PROVIDER_KEY]
    if values.get("sso_session"):
        return "sso"
    if values.get("login_session"):
        return "aws-signin"
    return None


def provider_name(profile: str, values: Mapping[str, str]) -> str:
    name = detected_provider(values)
    if not name:
        raise ConfigError(
            f"profile {profile} is not an awslogin profile: "
            f"run `awslogin configure --profile {profile}`"
        )
    if name not in _IMPLEMENTATIONS:
        raise ConfigError(
            f"profile {profile} has unknown {PROVIDER_KEY} = {name} "
            f"(known: {', '.join(KNOWN_PROVIDERS)})"
        )
    return name


def provider_factory(name: str) -> ProviderFactory:
    module_name, _, attribute = _IMPLEMENTATIONS[name].partition(":")
    factory: ProviderFactory = getattr(importlib.import_module(module_name), attribute)
    return factory
