"""What every provider's configure shares: the options, asking for a value until it is
a good one, and the refusal to mix credentials."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from awslogin.adapters.terminal import Terminal
from awslogin.errors import ConfigError, UsageError
from awslogin.profile import (
    CREDENTIAL_PROCESS_KEY,
    EXPECTED_IDENTITY_KEY,
    FOREIGN_CREDENTIAL_KEYS,
    PROVIDER_KEY,
    credential_process_command,
    expected_identity,
)


@dataclass(frozen=True)
class ConfigureOptions:
    """`awslogin configure` as given on the command line (None: ask, or keep what is there)."""

    profile: str
    provider: str = "oidc"
    region: str | None = None
    relay: str | None = None
    expected_identity: str | None = None  # oidc, aws-signin
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


# Bad answers to one question before configure gives up (the file is then left as it was).
MAX_TRIES = 3
# Checks a value and returns it as it is to be written; raises UsageError saying why not.
Check = Callable[[str], str]


def settle(
    terminal: Terminal,
    question: str,
    check: Check,
    *,
    given: str | None = None,
    existing: str | None = None,
    required: bool = True,
) -> str | None:
    """The value of one setting, checked the moment it is known: the option `given`, else
    an answer (the `existing` value is the default), else `existing` where nobody can be
    asked. A bad answer is said at once and asked again, up to MAX_TRIES times, so that a
    typo costs one line and not every answer before it. An option is not asked again: a
    bad one is a usage error. None: an optional setting left empty."""
    if given is not None:
        return check(given)
    if not terminal.can_prompt:
        if existing:
            return check(existing)
        if required:
            raise UsageError(f"missing {question}: pass it as an option (no terminal to ask on)")
        return None
    attempt = 0
    while True:
        attempt += 1
        answer = terminal.prompt(question, existing)
        try:
            if not answer.strip():
                if not required:
                    return None
                raise UsageError(f"{question} is required")
            return check(answer)
        except UsageError as bad:
            if attempt >= MAX_TRIES:
                gave_up = f"{bad.message} ({MAX_TRIES} tries; nothing was written)"
                raise UsageError(gave_up) from None
            terminal.info(f"  {bad.message}; try again ({MAX_TRIES - attempt} left)")


def pin_update(options: ConfigureOptions) -> dict[str, str]:
    """`awslogin_expected_identity` from --expected-identity, checked as login checks it
    (call before any question: a bad option must cost no answer); nothing when not given,
    so a pin set earlier stays."""
    if options.expected_identity is None:
        return {}
    pin = expected_identity(options.profile, {EXPECTED_IDENTITY_KEY: options.expected_identity})
    return {EXPECTED_IDENTITY_KEY: pin} if pin is not None else {}
