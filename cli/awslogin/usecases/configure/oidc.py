"""`awslogin configure --provider oidc`: an OpenID Connect sign-in turned into a role.

The profile gets `credential_process`, so `aws --profile P` and every SDK use it with no
further step. A profile that already has another credential style is left alone: mixing
two would make the SDKs pick one silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from awslogin.adapters.terminal import Terminal
from awslogin.errors import UsageError
from awslogin.profile import (
    CLIENT_ID_KEY,
    CREDENTIAL_PROCESS_KEY,
    DURATION_KEY,
    ISSUER_KEY,
    PROVIDER_KEY,
    REGION_KEY,
    RELAY_KEY,
    ROLE_ARN_KEY,
    SCOPES_KEY,
    check_region,
    credential_process_command,
    normalize_relay_url,
)
from awslogin.providers.oidc import DEFAULT_SCOPES
from awslogin.providers.sts import MAX_DURATION, MIN_DURATION
from awslogin.usecases.configure.common import (
    Check,
    ConfigureOptions,
    pin_update,
    refuse_other_credentials,
    settle,
)
from awslogin.usecases.profiles import load_config

ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def check_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if (
        not parts.hostname
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback)
    ):
        raise UsageError(f"issuer {issuer!r} must be an https URL")
    if parts.query or parts.fragment:
        raise UsageError(f"issuer {issuer} must not have a query or fragment")
    return issuer.rstrip("/")


def check_role_arn(role_arn: str) -> str:
    if not ROLE_ARN_PATTERN.match(role_arn.strip()):
        raise UsageError(
            f"{role_arn!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        )
    return role_arn.strip()


def check_client_id(client_id: str) -> str:
    if not client_id.strip() or any(c.isspace() for c in client_id.strip()):
        raise UsageError("--client-id must be a non-empty value without spaces")
    return client_id.strip()


def check_duration(duration: int) -> int:
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise UsageError(f"--duration must be between {MIN_DURATION} and {MAX_DURATION} seconds")
    return duration


def configure_oidc(
    options: ConfigureOptions, environ: Mapping[str, str], terminal: Terminal
) -> list[str]:
    config = load_config(environ)
    existing = config.profile(options.profile) or {}
    refuse_other_credentials(options.profile, existing)

    if options.scopes is not None and "openid" not in options.scopes.split():
        raise UsageError(f"--scopes must include openid (default: {DEFAULT_SCOPES})")
    if options.duration is not None:
        check_duration(options.duration)
    pin = pin_update(options)
    # (key, option, question, check, required), in the order asked
    questions: list[tuple[str, str | None, str, Check, bool]] = [
        (ISSUER_KEY, options.issuer, "OIDC issuer URL (--issuer)", check_issuer, True),
        (CLIENT_ID_KEY, options.client_id, "OIDC client id (--client-id)", check_client_id, True),
        (ROLE_ARN_KEY, options.role_arn, "IAM role ARN (--role-arn)", check_role_arn, True),
        (
            RELAY_KEY,
            options.relay,
            "Relay URL for --remote logins (--relay, optional)",
            normalize_relay_url,
            False,
        ),
        (REGION_KEY, options.region, "AWS region (--region, optional)", check_region, False),
    ]
    for _, given, _, check, _ in questions:  # options first: a bad one must cost no answer
        if given is not None:
            check(given)
    updates: dict[str, str | None] = {PROVIDER_KEY: "oidc", **pin}
    for key, given, question, check, required in questions:
        updates[key] = settle(
            terminal, question, check, given=given, existing=existing.get(key), required=required
        )
    scopes = options.scopes if options.scopes is not None else existing.get(SCOPES_KEY)
    if scopes is not None:
        updates[SCOPES_KEY] = " ".join(scopes.split())
    if options.duration is not None:
        updates[DURATION_KEY] = str(options.duration)
    updates[CREDENTIAL_PROCESS_KEY] = credential_process_command(options.profile)
    config.set_profile(options.profile, {k: v for k, v in updates.items() if v is not None})
    config.save()
    return [
        f"Profile {options.profile} written to {config.path}.",
        f"Next: awslogin login --profile {options.profile}",
    ]
