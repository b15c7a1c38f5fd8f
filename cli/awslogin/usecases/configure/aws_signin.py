"""`awslogin configure --provider aws-signin`: prepare a profile for `awslogin login`.

There is nothing to register with AWS Sign-In: the profile needs only a region (the
sign-in endpoint is regional) and, optionally, a relay for remote logins. `login_session`
is added by the first login, once the session's ARN is known. No `credential_process`
is written: a profile with one is another credential style to `aws login` (it refuses
such profiles), and botocore reads `login_session` first anyway. SDKs without the login
provider get a profile of their own with `credential_process` (the output says how).
"""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.adapters.terminal import Terminal
from awslogin.errors import ConfigError, UsageError
from awslogin.profile import (
    CREDENTIAL_PROCESS_KEY,
    PROVIDER_KEY,
    REGION_KEY,
    RELAY_KEY,
    check_region,
    credential_process_command,
    normalize_relay_url,
    other_credential_style,
)
from awslogin.usecases.configure.common import ConfigureOptions, pin_update, settle
from awslogin.usecases.profiles import load_config

PROVIDER = "aws-signin"
_OIDC_ONLY = {
    "--issuer": "issuer",
    "--client-id": "client_id",
    "--role-arn": "role_arn",
    "--scopes": "scopes",
    "--duration": "duration",
}


def configure_aws_signin(
    options: ConfigureOptions, environ: Mapping[str, str], terminal: Terminal
) -> list[str]:
    misplaced = [flag for flag, field in _OIDC_ONLY.items() if getattr(options, field) is not None]
    if misplaced:
        raise UsageError(f"{', '.join(misplaced)} do not apply to --provider {PROVIDER}")
    config = load_config(environ)
    existing = config.profile(options.profile) or {}
    provider = existing.get(PROVIDER_KEY)
    if provider not in (None, PROVIDER):
        raise ConfigError(
            f"profile {options.profile} is an awslogin {provider} profile; "
            "choose another profile name"
        )
    style = other_credential_style(options.profile, existing)
    if style is not None:
        raise ConfigError(
            f"profile {options.profile} already gets {style} credentials; "
            "choose another profile name or remove those keys"
        )

    if options.relay is not None:  # before any question: a bad option must cost no answer
        normalize_relay_url(options.relay)
    pin = pin_update(options)
    region = settle(
        terminal,
        "AWS region (--region; optional, asked at login)",
        check_region,
        given=options.region,
        existing=existing.get(REGION_KEY),
        required=False,
    )
    relay = settle(
        terminal,
        "Relay URL for --remote logins (--relay, optional)",
        normalize_relay_url,
        given=options.relay,
        existing=existing.get(RELAY_KEY),
        required=False,
    )
    updates = {
        PROVIDER_KEY: PROVIDER,
        REGION_KEY: region,
        RELAY_KEY: relay,
        **pin,
    }
    config.set_profile(options.profile, {k: v for k, v in updates.items() if v is not None})
    config.save()
    return [
        f"Profile {options.profile} written to {config.path}.",
        f"Next: awslogin login --profile {options.profile}   (add --remote without a browser)",
        "The AWS CLI v2 and boto3 then use it natively (login_session). For older SDKs, "
        "add a profile with:",
        f"  {CREDENTIAL_PROCESS_KEY} = {credential_process_command(options.profile)}",
    ]
