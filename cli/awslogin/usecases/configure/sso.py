"""`awslogin configure --provider sso`: an sso-session and a profile, as `aws configure sso`
writes them, with the account and role chosen from what the person may use.

Writes `[sso-session NAME]` (`sso_start_url`, `sso_region`, `sso_registration_scopes`) and
`[profile P]` (`sso_session`, `sso_account_id`, `sso_role_name`, `region`), so botocore and
the AWS CLI use the profile natively; plus `awslogin_provider` and `credential_process` for
SDKs without sso-session support. To list accounts and roles it needs a token: the
session's cached one when it still works, else a sign-in (browser here, or device code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from awslogin.adapters.aws_config import AwsConfig
from awslogin.adapters.browser import BrowserOpener, open_in_browser, why_no_local_browser
from awslogin.adapters.clock import Clock, SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.terminal import Terminal
from awslogin.errors import ConfigError, LoginRequired, UsageError, message_of
from awslogin.flows.base import AuthorizationFlow, SignInOutcome
from awslogin.flows.device import DeviceFlow, TerminalDevicePresenter
from awslogin.flows.loopback import LoopbackFlow
from awslogin.profile import (
    CREDENTIAL_PROCESS_KEY,
    PROVIDER_KEY,
    REGION_KEY,
    SSO_ACCOUNT_KEY,
    SSO_REGION_KEY,
    SSO_ROLE_KEY,
    SSO_SCOPES_KEY,
    SSO_SESSION_KEY,
    SSO_START_URL_KEY,
    check_region,
    credential_process_command,
    load_profile,
)
from awslogin.providers.sso_api import AccountInfo, PortalClient
from awslogin.providers.sso_auth import DEFAULT_SCOPES, SsoSession, SsoSessionAuth
from awslogin.usecases.configure.common import (
    Check,
    ConfigureOptions,
    pin_update,
    refuse_other_credentials,
    settle,
)
from awslogin.usecases.profiles import load_config

SESSION_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SCOPE_PATTERN = re.compile(r"^[A-Za-z0-9:_.-]+$")


def check_start_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(f"SSO start URL {url!r} must be an https URL")
    return url.strip()


def check_session_name(name: str) -> str:
    if not SESSION_NAME_PATTERN.match(name.strip()):
        raise UsageError(f"SSO session name {name!r}: letters, digits, '_', '.', '-'")
    return name.strip()


def check_scopes(scopes: str) -> tuple[str, ...]:
    found = tuple(s.strip() for s in scopes.split(",") if s.strip())
    if not found or not all(SCOPE_PATTERN.match(s) for s in found):
        raise UsageError(f"--sso-registration-scopes {scopes!r}: a comma-separated list of scopes")
    return found


@dataclass(frozen=True)
class ChosenRole:
    """The account and the role in it that the profile gets credentials for."""

    account_id: str
    role_name: str


def configure_sso(
    options: ConfigureOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    *,
    browser_opener: BrowserOpener = open_in_browser,
    clock: Clock | None = None,
) -> list[str]:
    """Write the sso-session and the profile `options` describe; the lines to print.

    The steps, in order: refuse a profile that gets credentials another way, check every
    option given before any question, settle the session (asking for what is missing),
    sign in, choose the account and the role, and only then write the file.
    """
    clock = clock or SystemClock()
    config = load_config(environ)
    existing = config.profile(options.profile) or {}
    refuse_other_credentials(options.profile, existing, own=(SSO_SESSION_KEY,), provider="sso")
    _check_given(options)
    pin = pin_update(options)
    session = _settle_session(options, config, existing, terminal)
    region = check_region(options.region or existing.get(REGION_KEY) or session.region)

    profile = load_profile(config, options.profile, environ)
    http = HttpFactory(options.debug)
    auth = SsoSessionAuth(session, environ, session.oidc_endpoint(profile), http, clock)
    access_token = _signed_in_token(auth, options, environ, terminal, browser_opener, clock)
    portal = session.portal_endpoint(profile)
    role = _choose_role(http, portal, access_token, options, terminal)

    path = _write(environ, options.profile, session, region, role, pin)
    return [
        f"Profile {options.profile} written to {path}: role {role.role_name} in account "
        f"{role.account_id}, SSO session {session.name}.",
        "Use it with:",
        f"  aws sts get-caller-identity --profile {options.profile}",
    ]


def _check_given(options: ConfigureOptions) -> None:
    """Check every option given, before any question: a bad option must cost no answer."""
    for given, check in (
        (options.sso_session, check_session_name),
        (options.sso_start_url, check_start_url),
        (options.sso_region, check_region),
        (options.region, check_region),
    ):
        if given is not None:
            check(given)
    if options.sso_registration_scopes is not None:
        check_scopes(options.sso_registration_scopes)


def _settle_session(
    options: ConfigureOptions,
    config: AwsConfig,
    existing: Mapping[str, str],
    terminal: Terminal,
) -> SsoSession:
    """The sso-session: each value from its option, else asked for, the file's value (the
    profile's session, that session's section) being the default."""

    def value(given: str | None, default: str | None, question: str, check: Check) -> str:
        return settle(terminal, question, check, given=given, existing=default) or ""

    name = value(
        options.sso_session,
        existing.get(SSO_SESSION_KEY),
        "SSO session name (--sso-session)",
        check_session_name,
    )
    section = config.section(f"sso-session {name}") or {}
    start_url = value(
        options.sso_start_url,
        section.get(SSO_START_URL_KEY),
        "SSO start URL (--sso-start-url)",
        check_start_url,
    )
    sso_region = value(
        options.sso_region, section.get(SSO_REGION_KEY), "SSO region (--sso-region)", check_region
    )
    scopes = check_scopes(
        options.sso_registration_scopes
        if options.sso_registration_scopes is not None
        else section.get(SSO_SCOPES_KEY) or ",".join(DEFAULT_SCOPES)
    )
    return SsoSession(name, start_url, sso_region, scopes)


def _signed_in_token(
    auth: SsoSessionAuth,
    options: ConfigureOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    browser_opener: BrowserOpener,
    clock: Clock,
) -> str:
    """The session's cached token when it still works; else a new sign-in."""
    try:
        return auth.access_token(options.profile)
    except LoginRequired:
        pass
    flow: AuthorizationFlow | DeviceFlow
    reason = why_no_local_browser(environ) if options.open_browser else None
    if options.use_device_code or reason is not None:
        if reason is not None:
            terminal.info(f"No browser on this machine ({reason}): signing in with a device code.")
        flow = DeviceFlow(
            TerminalDevicePresenter(terminal, qr=options.qr), clock=clock, timeout=options.timeout
        )
    else:
        flow = LoopbackFlow(
            terminal,
            browser_opener if options.open_browser else None,
            timeout=options.timeout,
        )
    try:
        token = auth.sign_in(flow)
        auth.save(token)  # configure names the profile anew: no identity to keep
    except BaseException as failure:
        flow.finish(SignInOutcome(signed_in=False, reason=message_of(failure)))
        raise
    flow.finish(SignInOutcome(signed_in=True))
    return str(token["accessToken"])


def _choose_role(
    http: HttpFactory,
    portal_endpoint: str,
    access_token: str,
    options: ConfigureOptions,
    terminal: Terminal,
) -> ChosenRole:
    """The account, then the role in it, from those the person may use (the access portal
    lists them): the one given, else the only one, else asked for."""
    with http.client() as client:
        portal = PortalClient(client, portal_endpoint)
        accounts = portal.list_accounts(access_token)
        account_id = _choose(
            terminal,
            "account",
            "--account-id",
            options.account_id,
            [(a.account_id, _account_label(a)) for a in accounts],
        )
        roles = portal.list_account_roles(access_token, account_id)
        role_name = _choose(
            terminal, "role", "--role-name", options.role_name, [(r, r) for r in roles]
        )
    return ChosenRole(account_id, role_name)


def _choose(
    terminal: Terminal, what: str, flag: str, given: str | None, choices: Sequence[tuple[str, str]]
) -> str:
    """`given` if it is one of `choices` (value, label); else the only one; else ask."""
    values = [value for value, _ in choices]
    if given is not None:
        if given not in values:
            known = ", ".join(values) or "none"
            raise UsageError(f"{flag} {given}: not one you can use (you can use: {known})")
        return given
    if not choices:
        raise ConfigError(f"this SSO session gives you no {what}")
    if len(choices) == 1:
        terminal.info(f"The only {what} you can use: {choices[0][1]}")
        return values[0]
    if not terminal.can_prompt:
        raise UsageError(f"choose the {what} with {flag} (you can use: {', '.join(values)})")
    terminal.info(f"There are {len(choices)} {what}s you can use:")
    for number, (_, label) in enumerate(choices, start=1):
        terminal.info(f"  {number}. {label}")

    def pick(answer: str) -> str:
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return values[int(answer) - 1]
        if answer in values:
            return answer
        raise UsageError(f"{answer!r} is not one of the numbers above")

    return settle(terminal, f"Choose the {what} (1-{len(choices)})", pick) or ""


def _account_label(account: AccountInfo) -> str:
    return f"{account.account_id}  {account.account_name}  ({account.email_address})"


def _write(
    environ: Mapping[str, str],
    profile: str,
    session: SsoSession,
    region: str,
    role: ChosenRole,
    pin: Mapping[str, str],
) -> str:
    """Write the sso-session and the profile together, into the file as it is now; its path.
    `pin`: the profile's `awslogin_expected_identity`, when --expected-identity gave one.

    Only now: a failed sign-in or choice leaves the file as it was.
    """
    latest = load_config(environ)
    latest.set_section(
        f"sso-session {session.name}",
        {
            SSO_START_URL_KEY: session.start_url,
            SSO_REGION_KEY: session.region,
            SSO_SCOPES_KEY: ",".join(session.scopes),
        },
    )
    latest.set_profile(
        profile,
        {
            PROVIDER_KEY: "sso",
            SSO_SESSION_KEY: session.name,
            SSO_ACCOUNT_KEY: role.account_id,
            SSO_ROLE_KEY: role.role_name,
            REGION_KEY: region,
            CREDENTIAL_PROCESS_KEY: credential_process_command(profile),
            **pin,
        },
    )
    latest.save()
    return latest.path
