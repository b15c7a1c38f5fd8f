"""What every provider's configure shares: the options, and the refusal to mix credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from awslogin.errors import ConfigError
from awslogin.profile import (
    CREDENTIAL_PROCESS_KEY,
    FOREIGN_CREDENTIAL_KEYS,
    PROVIDER_KEY,
    credential_process_command,
)


@dataclass(frozen=True)
class ConfigureOptions:
    """`awslogin configure` as given on the command line (None: ask, or keep what is there)."""

    profile: str
    provider: str = "oidc"
    region: str | None = None
    relay: str | None = None
    # oidc
    issuer: str | None = None
    client_id: str | None = None
    role_arn: str | None = None
    scopes: str | None = None
    duration: int | None = None
    # sso
    sso_session: str | None = None
    sso_start_url: str | None = None
    sso_region: str | None = None
    sso_registration_scopes: str | None = None
    account_id: str | None = None
    role_name: str | None = None
    use_device_code: bool = False
    open_browser: bool = True
    qr: bool = True
    timeout: float = 600.0
    debug: bool = False


def refuse_other_credentials(
    profile: str,
    existing: Mapping[str, str],
    *,
    own: tuple[str, ...] = (),
    provider: str | None = None,
) -> None:
    """Refuse a profile that gets credentials another way: the SDKs would pick one of the
    two silently. `own` are the foreign keys this provider writes itself (sso's
    `sso_session`); with `provider`, another awslogin provider counts as foreign too."""
    foreign = [key for key in FOREIGN_CREDENTIAL_KEYS if key in existing and key not in own]
    if existing.get(CREDENTIAL_PROCESS_KEY) not in (None, credential_process_command(profile)):
        foreign.append(CREDENTIAL_PROCESS_KEY)
    if provider is not None and existing.get(PROVIDER_KEY) not in (None, provider):
        foreign.append(PROVIDER_KEY)
    if foreign:
        raise ConfigError(
            f"profile {profile} already gets credentials another way ({', '.join(foreign)}); "
            "choose another profile name or remove those keys"
        )
