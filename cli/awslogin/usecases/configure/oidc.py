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
from awslogin.usecases.configure.common import ConfigureOptions, refuse_other_credentials
from awslogin.usecases.profiles import load_config

ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def check_issuer(issuer: str) -> str:
    parts = urlsplit(issuer.strip())
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if (
        not parts.hostname
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback)
    ):
        raise UsageError(f"issuer {issuer!r} must be an https URL")
    if parts.query or parts.fragment:
        raise UsageError(f"issuer {issuer} must not have a query or fragment")
    return issuer.strip().rstrip("/")


def check_role_arn(role_arn: str) -> str:
    if not ROLE_ARN_PATTERN.match(role_arn.strip()):
        raise UsageError(
            f"{role_arn!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        )
    return role_arn.strip()


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

    def value(given: str | None, key: str, question: str, *, required: bool) -> str | None:
        if given is not None:
            return given
        if not terminal.can_prompt:
            if required and not existing.get(key):
                raise UsageError(
                    f"missing {question}: pass it as an option (no terminal to ask on)"
                )
            return existing.get(key)
        answer = terminal.prompt(question, existing.get(key))
        if required and not answer:
            raise UsageError(f"{question} is required")
        return answer or None

    issuer = check_issuer(
        value(options.issuer, ISSUER_KEY, "OIDC issuer URL (--issuer)", required=True) or ""
    )
    client_id = (
        value(options.client_id, CLIENT_ID_KEY, "OIDC client id (--client-id)", required=True) or ""
    ).strip()
    if not client_id or any(c.isspace() for c in client_id):
        raise UsageError("--client-id must be a non-empty value without spaces")
    role_arn = check_role_arn(
        value(options.role_arn, ROLE_ARN_KEY, "IAM role ARN (--role-arn)", required=True) or ""
    )
    relay = value(
        options.relay,
        RELAY_KEY,
        "Relay URL for --remote logins (--relay, optional)",
        required=False,
    )
    region = value(options.region, REGION_KEY, "AWS region (--region, optional)", required=False)
    scopes = options.scopes if options.scopes is not None else existing.get(SCOPES_KEY)
    updates: dict[str, str | None] = {
        PROVIDER_KEY: "oidc",
        ISSUER_KEY: issuer,
        CLIENT_ID_KEY: client_id,
        ROLE_ARN_KEY: role_arn,
        RELAY_KEY: normalize_relay_url(relay) if relay else None,
        REGION_KEY: check_region(region) if region else None,
    }
    if scopes is not None:
        if "openid" not in scopes.split():
            raise UsageError(f"--scopes must include openid (default: {DEFAULT_SCOPES})")
        updates[SCOPES_KEY] = " ".join(scopes.split())
    if options.duration is not None:
        updates[DURATION_KEY] = str(check_duration(options.duration))
    updates[CREDENTIAL_PROCESS_KEY] = credential_process_command(options.profile)
    config.set_profile(options.profile, {k: v for k, v in updates.items() if v is not None})
    config.save()
    return [
        f"Profile {options.profile} written to {config.path}.",
        f"Next: awslogin login --profile {options.profile}",
    ]
