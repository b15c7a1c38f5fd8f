"""`awslogin console`: the AWS console as the profile's role, here or on another device.

In order: find where the URL may go (this machine's browser, the terminal at the
person's explicit request, stdout for a script, or another device through the relay,
sealed to its browser), make sure the credentials outlive the federation minimum
(refreshing first), then ask the federation endpoint for a sign-in token and hand the
URL over. The where comes first so that a refusal costs no call to AWS; the token comes
last so that its 15 minutes start when the URL leaves (docs/security.md, "The console").

A console sign-in URL is a bearer credential: it is printed only when asked for with
--print, --qr or --url-only, never because this machine has no browser (invariant 13).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from awslogin.adapters.browser import BrowserOpener, open_in_browser, why_no_local_browser
from awslogin.adapters.clock import Clock, SystemClock, local_time
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, LoginRequired, ProviderError, UsageError, one_line
from awslogin.profile import Profile, check_region
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
from awslogin.session_record import SessionRecord, credentials_left, matches_profile
from awslogin.stores import store_for
from awslogin.usecases.profiles import awslogin_profile, load_config
from awslogin.usecases.sessions import refresh_under_lock

# How the URL leaves this process: this machine's browser; the terminal (--print, --qr);
# stdout only (--url-only).
Delivery = Literal["browser", "print", "qr", "url-only"]
# Credentials with less than this left are refreshed before a sign-in token is asked
# for: the shortest console session AWS makes, and the token's own life.
FEDERATION_MINIMUM_SECONDS = float(MIN_SESSION_DURATION)
# AWS Sign-In's credentials come from the person's console sign-in, not from a role
# (docs/security.md, "The console"): the one line that says so.
AWS_SIGNIN_REFUSAL = (
    "profile {profile} signs in with AWS Sign-In (`aws login`), whose credentials the "
    "AWS federation endpoint does not take (it takes role credentials only): open "
    "https://{console}/ and sign in there"
)


@dataclass(frozen=True)
class ConsoleOptions:
    profile: str
    delivery: Delivery | None = None  # None: this machine's browser, when it has one
    destination: str | None = None
    region: str | None = None
    duration: int | None = None
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
    destination = console_destination(partition, region, options.destination)
    delivery = _delivery(options, environ)
    duration = _duration(options.duration)
    record = _credentials_for_console(profile, provider, options.debug)
    url = _sign_in_url(profile, partition, record, destination, duration, clock, options.debug)
    _deliver(url, delivery, record, terminal, browser_opener, clock)


def _region(profile: Profile, options: ConsoleOptions) -> str:
    region = options.region or profile.region
    if not region:
        raise UsageError(f"profile {profile.name} has no region: pass --region or set AWS_REGION")
    return check_region(region)


def _delivery(options: ConsoleOptions, environ: Mapping[str, str]) -> Delivery:
    """Where the URL goes; refused when this machine has no browser and none was asked."""
    if options.delivery is not None:
        return options.delivery
    reason = why_no_local_browser(environ)
    if reason is not None:
        raise AwsloginError(
            f"No browser on this machine ({reason}). A console sign-in URL is a bearer "
            "credential, so it is not printed unasked: pass --print or --qr to show it "
            "here, or --url-only for a script"
        )
    return "browser"


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


def _sign_in_url(
    profile: Profile,
    partition: Partition,
    record: SessionRecord,
    destination: str,
    duration: int | None,
    clock: Clock,
    debug: bool,
) -> str:
    credentials = record["credentials"]
    endpoint = federation_endpoint(profile.endpoint("FEDERATION", partition.signin_origin))
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
            session_duration=duration,
        )
    return login_url(endpoint, token, destination=destination, issuer=_issuer(record))


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
