"""`awslogin login`: pick the flow, run the provider's sign-in, confirm who signed in,
save the session, report. A sign-in that is not confirmed is revoked at its provider.

`login` reads as those five steps; the helpers below it follow in the same order. The
flow choice is the only place that knows about browsers and relays: same device when a
browser can open here; with `--remote`, or when this machine has no browser (an SSH
session or no display, said so), the relay or the provider's own remote flow. Which of
the two, each provider says (`relay_precedence`): sso keeps its device code unless this
login names a relay; oidc and aws-signin take any configured relay, and without one
sign in as their `remote_flow()` says: a device code, or what the person pastes here (as
`aws login --remote` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from awslogin.adapters.browser import BrowserOpener, open_in_browser, why_no_local_browser
from awslogin.adapters.clock import Clock, SystemClock, local_time
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.notify import Undelivered, require_extra
from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, UsageError, message_of, one_line
from awslogin.flows.base import Display, SignInOutcome
from awslogin.flows.device import DeviceFlow, TerminalDevicePresenter
from awslogin.flows.loopback import LoopbackFlow
from awslogin.flows.paste import PasteFlow
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import MAX_ANSWER_BYTES, RelayClient
from awslogin.profile import (
    REGION_KEY,
    RELAY_KEY,
    Profile,
    check_region,
    configured_region,
    normalize_relay_url,
    notify_destinations,
)
from awslogin.providers.base import Provider, ProviderFactory, Revocation, SignInFlow
from awslogin.providers.registry import provider_factory
from awslogin.session_record import SessionRecord
from awslogin.stores import SessionStore, store_for
from awslogin.usecases.identity_check import (
    IdentityRefused,
    identity_of,
    judge,
    last_identity,
    profile_pin,
)
from awslogin.usecases.link_notice import CannotNotify, NotifyingDisplay, Sending, Sent
from awslogin.usecases.profiles import awslogin_profile, load_config

RELAY_ENV = "AWSLOGIN_RELAY_URL"
RELAY_TOKEN_ENV = "AWSLOGIN_RELAY_TOKEN"  # noqa: S105 (a variable name, not a secret)


@dataclass(frozen=True)
class LoginOptions:
    profile: str
    remote: bool = False
    relay: str | None = None
    qr: bool = True
    open_browser: bool = True
    redirect_port: int | None = None
    region: str | None = None
    timeout: float = 600.0
    debug: bool = False
    force: bool = False  # save a new identity without asking (docs/security.md, invariant 14)
    notify: tuple[str, ...] = ()  # --notify: Apprise URLs the link goes to
    # A renewal by serve or exec: only the identity of the session it renews is saved.
    renewal: bool = False


@dataclass(frozen=True)
class SignedIn:
    """A login that ended well: what a program is told (`login --json`) and the lines a
    person reads."""

    profile: str
    identity: str
    session_expires_at: int  # epoch seconds
    lines: list[str]


def login(
    options: LoginOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    *,
    browser_opener: BrowserOpener = open_in_browser,
    clock: Clock | None = None,
    on_undelivered: Callable[[Undelivered], None] | None = None,
    on_sent: Callable[[Sent], None] | None = None,
) -> SignedIn:
    """`on_undelivered`: told of each notification destination that did not take a link;
    `on_sent`: after each link went out to them."""
    clock = clock or SystemClock()
    profile, provider_name = awslogin_profile(load_config(environ), options.profile, environ)
    factory = provider_factory(provider_name)
    pin = profile_pin(profile)
    region = _region(profile, factory, options, terminal)
    http = HttpFactory(options.debug)
    provider = factory(profile.with_region(region), http, clock)
    display: Display = terminal
    sending = Sending(
        profile.name,
        notify_destinations(options.notify, environ, profile.values),
        role=profile.role,
        renewal=options.renewal,
    )
    if sending.destinations:
        require_extra(sending.destinations)
        display = NotifyingDisplay(
            terminal, sending, on_undelivered=on_undelivered, on_sent=on_sent
        )

    with http.client(max_bytes=MAX_ANSWER_BYTES) as relay_http:
        flow = _flow(
            provider, profile, options, terminal, display, browser_opener, clock, relay_http
        )
        try:
            record = provider.login(flow)
            store = store_for(provider_name, profile)
            _confirm_identity(profile, store, record, pin, options, terminal)
            changes = _profile_changes(profile, record)
            # Under the refresh lock: a refresh of the old session that is under way
            # would otherwise write it back over this one when it ends.
            with store.lock():
                store.save(record)
            if region and _remember_region(profile, factory):
                changes[REGION_KEY] = region
            if changes:
                latest = load_config(environ)
                latest.set_profile(profile.name, changes)
                latest.save()
        except BaseException as failure:  # Ctrl-C and SIGTERM too: the phone is told
            reason = (
                failure.outside if isinstance(failure, IdentityRefused) else message_of(failure)
            )
            flow.finish(SignInOutcome(signed_in=False, reason=reason))
            if isinstance(failure, IdentityRefused):  # raised once `record` is there
                failure.revocation = _end_refused(provider, record, terminal)
            raise
        flow.finish(_outcome(record))
    return SignedIn(
        profile=profile.name,
        identity=one_line(record["identity"].get("arn", "unknown"), 300),
        session_expires_at=record["session"]["expiresAt"],
        lines=_signed_in(record, profile.name, clock.now()),
    )


def _region(
    profile: Profile, factory: ProviderFactory, options: LoginOptions, terminal: Terminal
) -> str | None:
    """--region, the configured region, or (for a provider that needs one) the answer to
    a question, as `aws login` asks."""
    region = options.region or profile.region
    if region:
        return check_region(region)
    if not factory.needs_region:
        return None
    if not terminal.can_prompt:
        raise UsageError(
            f"profile {profile.name} has no region: pass --region "
            "(it is then remembered) or set AWS_REGION"
        )
    return check_region(terminal.prompt("AWS region for this profile (for example us-east-1)"))


def _remember_region(profile: Profile, factory: ProviderFactory) -> bool:
    """Whether the region of this login goes into the profile: when it has none and the
    person named one (flag or answer), so later refreshes by credential-process use it."""
    return (
        factory.needs_region
        and not profile.values.get(REGION_KEY)
        and not configured_region({}, profile.environ)
    )


def _flow(
    provider: Provider,
    profile: Profile,
    options: LoginOptions,
    terminal: Terminal,
    display: Display,
    browser_opener: BrowserOpener,
    clock: Clock,
    relay_http: httpx.Client,
) -> SignInFlow:
    """The flow of this login: loopback here, or the relay, or the provider's own remote
    flow (a device code, or a code or address pasted here). A remote flow shows its link
    on `display`: the terminal, or one that also sends it to notification destinations."""
    environ = profile.environ
    relay_url = options.relay or environ.get(RELAY_ENV) or profile.values.get(RELAY_KEY)
    if provider.relay_precedence == "named":
        relay_url = options.relay
    remote = options.remote
    reason = why_no_local_browser(environ) if not remote and options.open_browser else None
    if not remote and reason is None:
        return LoopbackFlow(
            terminal,
            browser_opener if options.open_browser else None,
            port=options.redirect_port,
            timeout=options.timeout,
        )
    relay = normalize_relay_url(relay_url) if relay_url else None
    remote_flow = provider.remote_flow() if relay is None else None
    if relay is None and remote_flow != "device" and isinstance(display, NotifyingDisplay):
        raise CannotNotify(profile.name)  # destinations given: nobody may be here to paste
    if reason is not None:
        if relay is not None:
            how = f"signing in through {urlsplit(relay).netloc}."
        elif remote_flow == "device":
            how = "signing in with a device code."
        else:
            how = "sign in on another device."
        terminal.info(f"No browser on this machine ({reason}): {how}")
    if relay is not None:
        return RelayFlow(
            RelayClient(relay, relay_http, environ.get(RELAY_TOKEN_ENV)),
            display,
            mode=provider.relay_mode,
            qr=options.qr,
            timeout=options.timeout,
            role=profile.role,
        )
    if remote_flow == "device":
        presenter = TerminalDevicePresenter(display, qr=options.qr)
        return DeviceFlow(presenter, clock=clock, timeout=options.timeout)
    return PasteFlow(display, terminal.stdin.readline, qr=options.qr)


def _confirm_identity(
    profile: Profile,
    store: SessionStore,
    record: SessionRecord,
    pin: str | None,
    options: LoginOptions,
    terminal: Terminal,
) -> None:
    """Go on only if the new session may be saved: the profile's pin matches it, and it
    is the identity the profile last had, or --force or the person's answer says so, as
    `aws login` asks before it points a profile at another session (docs/security.md,
    invariant 14, "Continuity")."""
    new = identity_of(record)
    if new is None:
        raise IdentityRefused(f"the sign-in for profile {profile.name} did not say who it was")
    verdict = judge(
        profile.name,
        new,
        last_identity(profile, store),
        pin=pin,
        mode="renewal" if options.renewal else "login",
        force=options.force,
        interactive=terminal.can_prompt and not options.renewal,
    )
    if verdict.action == "refuse":
        raise IdentityRefused(verdict.text)
    if verdict.action == "ask":
        answer = terminal.prompt(verdict.text)
        if answer.strip().lower() not in ("y", "yes"):
            raise IdentityRefused(
                f"profile {profile.name} keeps its session; the new sign-in was not saved"
            )


def _end_refused(provider: Provider, record: SessionRecord, terminal: Terminal) -> Revocation:
    """Revoke a session the profile refused, best effort, after the browser or phone was
    told: it is not kept, so nothing should stay live at the provider for its lifetime
    (docs/security.md, invariant 14, "Continuity"). Each provider's `revoke` is bounded by
    the http deadlines; a Ctrl-C cuts it short. One line says what became of it."""
    try:
        revocation = provider.revoke(record)
    except AwsloginError as failure:
        revocation = Revocation(False, failure.message, failed=True)
    except KeyboardInterrupt:  # SIGTERM and SIGHUP too: the refusal stands, said below
        revocation = Revocation(False, "interrupted", failed=True)
    detail = one_line(revocation.detail, 300)
    if revocation.revoked:
        terminal.info(f"Ended the new sign-in at the provider: {detail}.")
    else:
        terminal.info(f"Could not end the new sign-in at the provider: {detail}.")
    return revocation


def _profile_changes(profile: Profile, record: SessionRecord) -> dict[str, str | None]:
    """Profile keys the new session needs (aws-signin: `login_session`), once its
    identity is confirmed."""
    values = profile.values
    return {key: value for key, value in record["config"].items() if values.get(key) != value}


def _outcome(record: SessionRecord) -> SignInOutcome:
    """What the person's browser may be told of the new session: the account and role,
    from the provider's own fields or the assumed-role ARN (arn:aws:sts::A:assumed-role/R/S)."""
    identity = record["identity"]
    account, role = identity.get("accountId"), identity.get("roleName")
    arn = identity.get("arn") or ""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        account = account or parts[4]
        kind, _, rest = parts[5].partition("/")
        if kind == "assumed-role":
            role = role or rest.split("/")[0]
    return SignInOutcome(signed_in=True, account_id=account or None, role=role or None)


def _signed_in(record: SessionRecord, profile: str, now: float) -> list[str]:
    """What the person reads after a login: who, until when, and how to use it (each
    line but the ARN well inside 80 columns, whatever the time zone's name)."""
    session_end = record["session"]["expiresAt"]
    return [
        f"Signed in as {one_line(record['identity'].get('arn', 'unknown'), 300)}",
        f"Credentials refresh automatically until {local_time(session_end)} "
        f"({_hours(session_end - now)}).",
        "Use them with:",
        f"  aws sts get-caller-identity --profile {profile}",
    ]


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{seconds / 60:.0f} min"
