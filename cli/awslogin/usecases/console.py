"""`awslogin console`: the AWS console as the profile's role, here or on another device.

In order: find where the URL may go (this machine's browser, the terminal at the
person's explicit request, stdout for a script, or another device through the relay,
sealed to its browser), make sure the credentials outlive the federation minimum
(refreshing first), then ask the federation endpoint for a sign-in token and hand the
URL over. The where comes first so that a refusal costs no call to AWS; the token comes
last so that its 15 minutes start when the URL leaves (docs/security.md, "The console").
Through the relay that is after the other device's browser has confirmed and given its
key: the URL goes to that browser sealed to the key, and the relay cannot read it.

A console sign-in URL is a bearer credential: it is printed only when asked for with
--print, --qr or --url-only, never because this machine has no browser
(docs/security.md, invariant 13).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from awslogin.adapters.browser import BrowserOpener, open_in_browser, why_no_local_browser
from awslogin.adapters.clock import Clock, SystemClock, local_time
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.terminal import Terminal
from awslogin.errors import (
    AwsloginError,
    LoginRequired,
    ProviderError,
    UsageError,
    message_of,
    one_line,
)
from awslogin.flows.base import AuthorizationRequest, SignInOutcome
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import MAX_ANSWER_BYTES as RELAY_ANSWER_BYTES
from awslogin.flows.relay_client import RelayClient
from awslogin.profile import RELAY_KEY, Profile, check_region, normalize_relay_url
from awslogin.providers.federation import (
    MAX_ANSWER_BYTES,
    MAX_SESSION_DURATION,
    MIN_SESSION_DURATION,
    SIGNIN_TOKEN_SECONDS,
    SessionCredentials,
    federation_endpoint,
    login_url,
    signin_token,
)
from awslogin.providers.partitions import Partition, console_destination, partition_of
from awslogin.session_record import (
    SessionRecord,
    account_id,
    credentials_left,
    matches_profile,
)
from awslogin.stores import store_for
from awslogin.usecases.login import RELAY_ENV, RELAY_TOKEN_ENV
from awslogin.usecases.profiles import awslogin_profile, load_config
from awslogin.usecases.sessions import refresh_under_lock

# How the URL leaves this process: this machine's browser; the terminal (--print, --qr);
# stdout only (--url-only); another device's browser through the relay, sealed.
Delivery = Literal["browser", "print", "qr", "url-only", "relay"]
# Credentials with less than this left are refreshed before a sign-in token is asked
# for: the shortest console session AWS makes, and the token's own life.
FEDERATION_MINIMUM_SECONDS = float(MIN_SESSION_DURATION)
# AWS Sign-In's credentials come from the person's console sign-in, not from a role
# (docs/security.md, "The console"): the one line that says so.
AWS_SIGNIN_REFUSAL = (
    "profile {profile} signs in with AWS Sign-In (`aws login`): AWS documents the "
    "federation endpoint only for credentials of AssumeRole or GetFederationToken, which "
    "these are not, so awslogin does not try it: open https://{console}/ and sign in there"
)


@dataclass(frozen=True)
class Where:
    """Where a sign-in lands: the partition's federation endpoint and console page, and
    how long the console session lasts (None: AWS's default)."""

    partition: Partition
    destination: str
    duration: int | None


@dataclass(frozen=True)
class ConsoleOptions:
    profile: str
    delivery: Delivery | None = None  # None: this machine's browser, when it has one
    destination: str | None = None
    region: str | None = None
    duration: int | None = None
    remote: bool = False  # hand it to another device, even with a browser here
    relay: str | None = None  # --relay; else AWSLOGIN_RELAY_URL, then the profile's
    qr: bool = True  # the QR code of the relay's link
    timeout: float = 600.0  # for the other device to confirm
    debug: bool = False


def console(
    options: ConsoleOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    *,
    browser_opener: BrowserOpener = open_in_browser,
    clock: Clock | None = None,
) -> None:
    clock = clock or SystemClock()
    profile, provider = awslogin_profile(load_config(environ), options.profile, environ)
    region = _region(profile, options)
    partition = partition_of(region)
    if provider == "aws-signin":
        raise ProviderError(
            AWS_SIGNIN_REFUSAL.format(profile=profile.name, console=partition.console_host)
        )
    where = Where(
        partition,
        console_destination(partition, region, options.destination),
        _duration(options.duration),
    )
    relay = _relay(options, profile)
    delivery = _delivery(options, environ, relay, terminal)
    record = _credentials_for_console(profile, provider, options.debug)
    if delivery == "relay" and relay is not None:
        _hand_over(options, profile, provider, relay, terminal, clock, where)
        return
    url = _sign_in_url(profile, where, record, clock, options.debug)
    _deliver(url, delivery, record, terminal, browser_opener, clock)


def _region(profile: Profile, options: ConsoleOptions) -> str:
    region = options.region or profile.region
    if not region:
        raise UsageError(f"profile {profile.name} has no region: pass --region or set AWS_REGION")
    return check_region(region)


def _relay(options: ConsoleOptions, profile: Profile) -> str | None:
    """The relay a handover goes through: --relay, AWSLOGIN_RELAY_URL, the profile's."""
    relay = options.relay or profile.environ.get(RELAY_ENV) or profile.values.get(RELAY_KEY)
    return normalize_relay_url(relay) if relay else None


def _delivery(
    options: ConsoleOptions, environ: Mapping[str, str], relay: str | None, terminal: Terminal
) -> Delivery:
    """Where the URL goes: as asked; else this machine's browser, or with --remote or
    without one here the relay; refused when neither is there, since a bearer link is
    never printed unasked."""
    if options.delivery is not None:
        if options.remote:
            raise UsageError(
                f"--remote hands the URL to another device through the relay: it does not "
                f"go with --{options.delivery}"
            )
        return options.delivery
    reason = None if options.remote else why_no_local_browser(environ)
    if not options.remote and reason is None:
        return "browser"
    if relay is not None:
        if reason is not None:
            terminal.info(
                f"No browser on this machine ({reason}): handing the console over "
                f"through {urlsplit(relay).netloc}."
            )
        return "relay"
    where = "Without a relay" if reason is None else f"No browser on this machine ({reason})"
    raise AwsloginError(
        f"{where}, a console sign-in URL (a bearer credential) is not printed unasked: "
        "set a relay (--relay, AWSLOGIN_RELAY_URL or the profile's awslogin_relay) to "
        "hand it to another device sealed, or pass --print or --qr to show it here, or "
        "--url-only for a script"
    )


def _duration(duration: int | None) -> int | None:
    if duration is not None and not MIN_SESSION_DURATION <= duration <= MAX_SESSION_DURATION:
        raise UsageError(
            f"--duration must be {MIN_SESSION_DURATION} to {MAX_SESSION_DURATION} seconds "
            "(15 minutes to 12 hours), as AWS allows for a console session"
        )
    return duration


def _credentials_for_console(profile: Profile, provider: str, debug: bool) -> SessionRecord:
    """The session, refreshed first when its credentials would not outlive the
    federation minimum; the usual `awslogin login` advice when it has ended."""
    store = store_for(provider, profile)
    record = store.load()
    if record is None:
        raise LoginRequired(profile.name, f"not signed in with profile {profile.name}")
    needed = FEDERATION_MINIMUM_SECONDS
    if (
        not matches_profile(record, profile.values)
        or credentials_left(record, time.time()) <= needed
    ):
        record = refresh_under_lock(profile, store, debug=debug, needed=needed)
    if credentials_left(record, time.time()) <= 0 or "credentials" not in record:
        raise LoginRequired(profile.name, f"the credentials of profile {profile.name} expired")
    return record


def _hand_over(
    options: ConsoleOptions,
    profile: Profile,
    provider: str,
    relay: str,
    terminal: Terminal,
    clock: Clock,
    where: Where,
) -> None:
    """Through the relay: the person confirms on the other device, whose page gives a
    key; the sign-in URL, made then, goes to that page sealed to the key."""
    http = HttpFactory(options.debug)
    with http.client(max_bytes=RELAY_ANSWER_BYTES) as relay_http:
        flow = RelayFlow(
            RelayClient(relay, relay_http, profile.environ.get(RELAY_TOKEN_ENV)),
            terminal,
            mode="console",
            qr=options.qr,
            timeout=options.timeout,
            role=profile.role,
        )
        flow.authorize(lambda redirect_uri: AuthorizationRequest("", "", "", ""))
        try:
            # the person may have taken minutes: the credentials must still last
            record = _credentials_for_console(profile, provider, options.debug)
            url = _sign_in_url(profile, where, record, clock, options.debug)
        except BaseException as failure:  # Ctrl-C too: the page is told
            flow.finish(SignInOutcome(signed_in=False, reason=message_of(failure)))
            raise
        if not flow.hand_over(url, _signed_in(record)):
            raise ProviderError(
                f"the relay at {urlsplit(relay).netloc} did not take the sealed console "
                "sign-in; run awslogin console again"
            )
    who = one_line(record["identity"].get("arn", "the profile's role"), 300)
    terminal.info(
        f"Sent the AWS console sign-in as {who} to the browser that confirmed, sealed to "
        "its key (the relay cannot read it). It works for 15 minutes."
    )


def _signed_in(record: SessionRecord) -> SignInOutcome:
    """What the other device's page may show: the account, and the role from the
    provider's own field or the assumed-role ARN (arn:aws:sts::A:assumed-role/R/S)."""
    identity = record["identity"]
    role = identity.get("roleName")
    arn = identity.get("arn") or ""
    parts = arn.split(":", 5)
    if not role and len(parts) == 6 and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
    return SignInOutcome(signed_in=True, account_id=account_id(record), role=role or None)


def _sign_in_url(
    profile: Profile, where: Where, record: SessionRecord, clock: Clock, debug: bool
) -> str:
    credentials = record["credentials"]
    endpoint = federation_endpoint(profile.endpoint("FEDERATION", where.partition.signin_origin))
    with HttpFactory(debug).client(max_bytes=MAX_ANSWER_BYTES) as client:
        token = signin_token(
            client,
            endpoint,
            SessionCredentials(
                credentials["AccessKeyId"],
                credentials["SecretAccessKey"],
                credentials["SessionToken"],
            ),
            clock,
            session_duration=where.duration,
        )
    return login_url(endpoint, token, destination=where.destination, issuer=_issuer(record))


def _issuer(record: SessionRecord) -> str | None:
    """Where the console sends the person when the session ends: the identity provider
    (oidc) or the AWS access portal (sso) they sign in at; None (AWS's own page) else."""
    state = record["providerState"]
    for candidate in (state.get("issuer"), state.get("startUrl")):
        if candidate and candidate.startswith("https://"):
            return candidate
    return None


def _deliver(
    url: str,
    delivery: Delivery,
    record: SessionRecord,
    terminal: Terminal,
    browser_opener: BrowserOpener,
    clock: Clock,
) -> None:
    who = one_line(record["identity"].get("arn", "the profile's role"), 300)
    if delivery == "url-only":
        terminal.result(url)
        return
    if delivery == "browser":
        if not browser_opener(url):
            raise ProviderError(
                "could not open a browser here: pass --print to show the URL instead"
            )
        terminal.info(f"Opened the AWS console as {who} in your browser.")
        return
    until = local_time(clock.now() + SIGNIN_TOKEN_SECONDS)
    warning = (
        f"Warning: this link signs whoever opens it in to the AWS console as {who}. "
        f"It works until {until} (15 minutes): open it once, do not share it, and clear "
        "it from a terminal that is recorded or shared."
    )
    if delivery == "print":
        terminal.info(warning)
        terminal.result(url)
    elif not terminal.show_qr(url, caption=warning):
        raise ProviderError(
            "the sign-in URL is too long to draw as a QR code in this terminal (or it "
            "cannot draw one): widen it, or pass --print"
        )
