"""`awslogin login`: pick the flow, run the provider's sign-in, save the session, report.

`login` reads as those four steps; the helpers below it follow in the same order. The
flow choice is the only place that knows about browsers and relays: same device when a
browser can open here, the relay with `--remote` or when this machine has no browser (an
SSH session or no display), saying why. A provider with a remote sign-in of its own
names it in `remote_flow`: sso's device code, or aws-signin's verification code typed
here when no relay is configured (as `aws login --remote` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from awslogin.adapters.browser import BrowserOpener, open_in_browser, why_no_local_browser
from awslogin.adapters.clock import Clock, SystemClock, local_time
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, UsageError
from awslogin.flows.device import DeviceFlow, TerminalDevicePresenter
from awslogin.flows.loopback import LoopbackFlow
from awslogin.flows.paste import PasteFlow
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import RelayClient
from awslogin.profile import (
    REGION_KEY,
    RELAY_KEY,
    Profile,
    check_region,
    configured_region,
    normalize_relay_url,
)
from awslogin.providers.base import Provider, ProviderFactory, RemoteFlow, SignInFlow
from awslogin.providers.registry import provider_factory
from awslogin.session_record import SessionRecord
from awslogin.stores import store_for
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


def login(
    options: LoginOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    *,
    browser_opener: BrowserOpener = open_in_browser,
    clock: Clock | None = None,
) -> list[str]:
    clock = clock or SystemClock()
    profile, provider_name = awslogin_profile(load_config(environ), options.profile, environ)
    factory = provider_factory(provider_name)
    region = _region(profile, factory, options, terminal)
    http = HttpFactory(options.debug)
    provider = factory(profile.with_region(region), http, clock)

    with http.client() as relay_http:
        flow = _flow(provider, profile, options, terminal, browser_opener, clock, relay_http)
        record = provider.login(flow)

    changes = _profile_changes(profile, record, terminal)
    store_for(provider_name, profile).save(record)
    if region and _remember_region(profile, factory):
        changes[REGION_KEY] = region
    if changes:
        latest = load_config(environ)
        latest.set_profile(profile.name, changes)
        latest.save()
    return _signed_in(record, profile.name, clock.now())


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
    browser_opener: BrowserOpener,
    clock: Clock,
    relay_http: httpx.Client,
) -> SignInFlow:
    """The flow of this login: loopback here, or the provider's remote one."""
    environ = profile.environ
    relay_url = options.relay or environ.get(RELAY_ENV) or profile.values.get(RELAY_KEY)
    remote_flow = _remote_flow(provider, options, relay_url)
    remote = options.remote
    reason = why_no_local_browser(environ) if not remote and options.open_browser else None
    if reason is not None:
        remote = True
        if remote_flow == "device":
            terminal.info(f"No browser on this machine ({reason}): signing in with a device code.")
        elif remote_flow == "paste":
            terminal.info(f"No browser on this machine ({reason}): sign in on another device.")
        elif not relay_url:
            raise AwsloginError(
                f"no browser on this machine ({reason}) and no relay configured: pass "
                f"--relay URL or set {RELAY_ENV} (or use --no-browser and open the URL here)"
            )
        else:
            relay_url = normalize_relay_url(relay_url)
            terminal.info(
                f"No browser on this machine ({reason}): "
                f"signing in through {urlsplit(relay_url).netloc}."
            )

    if not remote:
        return LoopbackFlow(
            terminal,
            browser_opener if options.open_browser else None,
            port=options.redirect_port,
            timeout=options.timeout,
        )
    if remote_flow == "device":
        presenter = TerminalDevicePresenter(terminal, qr=options.qr)
        return DeviceFlow(presenter, clock=clock, timeout=options.timeout)
    if remote_flow == "paste":
        return PasteFlow(terminal, terminal.stdin.readline, qr=options.qr)
    if not relay_url:
        raise AwsloginError(
            f"--remote needs a relay: pass --relay URL, set {RELAY_ENV}, "
            f"or run `awslogin configure --profile {profile.name} --relay URL`"
        )
    relay = RelayClient(relay_url, relay_http, environ.get(RELAY_TOKEN_ENV))
    return RelayFlow(
        relay, terminal, mode=provider.relay_mode, qr=options.qr, timeout=options.timeout
    )


def _remote_flow(provider: Provider, options: LoginOptions, relay_url: str | None) -> RemoteFlow:
    """How this provider signs in from another device for this login. sso's device code
    gives way to the relay only when --relay names one for this login; aws-signin's
    code typed here, to any relay configured (as `aws login --remote` has no relay)."""
    if provider.remote_flow == "device" and not options.relay:
        return "device"
    if provider.remote_flow == "paste" and not relay_url:
        return "paste"
    return "relay"


def _profile_changes(
    profile: Profile, record: SessionRecord, terminal: Terminal
) -> dict[str, str | None]:
    """Profile keys the new session needs (aws-signin: `login_session`); asks, as `aws
    login` does, before a profile is pointed away from the session it names."""
    values = profile.values
    changes: dict[str, str | None] = {
        key: value for key, value in record["config"].items() if values.get(key) != value
    }
    for key, new in changes.items():
        old = values.get(key)
        if old is None:
            continue
        if not terminal.can_prompt:
            raise AwsloginError(
                f"profile {profile.name} uses {key} {old}, not {new} that you signed in as; "
                "nothing was changed (confirm in a terminal, or use another --profile)"
            )
        answer = terminal.prompt(
            f"Profile {profile.name} is configured to use {key} {old}. Use {new} instead? (y/n)"
        )
        if answer.strip().lower() not in ("y", "yes"):
            raise AwsloginError(
                f"profile {profile.name} still uses {old}; the new sign-in was not saved"
            )
    return changes


def _signed_in(record: SessionRecord, profile: str, now: float) -> list[str]:
    """What the person reads after a login: who, until when, and how to use it."""
    session_end = record["session"]["expiresAt"]
    return [
        f"Signed in as {record['identity'].get('arn', 'unknown')}",
        f"Credentials refresh automatically until {local_time(session_end)} "
        f"({_hours(session_end - now)}). Use them with:",
        f"  aws sts get-caller-identity --profile {profile}",
    ]


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{seconds / 60:.0f} min"
