"""`awslogin login`: pick the flow, run the provider's sign-in, cache the session.

The flow choice is the only place that knows about browsers and relays: same device when
a browser can open here, the relay with `--remote` or when this machine has no browser
(an SSH session or no display), saying why. A provider with a remote sign-in of its own
names it in `remote_flow`: sso's device code, or aws-signin's verification code typed
here when no relay is configured (as `aws login --remote` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    check_region,
    configured_region,
    normalize_relay_url,
)
from awslogin.providers.base import SignInFlow
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


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{seconds / 60:.0f} min"


def _profile_changes(
    profile: str, values: Mapping[str, str], record: SessionRecord, terminal: Terminal
) -> dict[str, str | None]:
    """Profile keys the new session needs (aws-signin: `login_session`); asks, as `aws
    login` does, before a profile is pointed away from the session it names."""
    changes: dict[str, str | None] = {
        key: value for key, value in record["config"].items() if values.get(key) != value
    }
    for key, new in changes.items():
        old = values.get(key)
        if old is None:
            continue
        if not terminal.can_prompt:
            raise AwsloginError(
                f"profile {profile} uses {key} {old}, not {new} that you signed in as; "
                "nothing was changed (confirm in a terminal, or use another --profile)"
            )
        answer = terminal.prompt(
            f"Profile {profile} is configured to use {key} {old}. Use {new} instead? (y/n)"
        )
        if answer.strip().lower() not in ("y", "yes"):
            raise AwsloginError(
                f"profile {profile} still uses {old}; the new sign-in was not saved"
            )
    return changes


def login(
    options: LoginOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    *,
    browser_opener: BrowserOpener = open_in_browser,
    clock: Clock | None = None,
) -> list[str]:
    clock = clock or SystemClock()
    config = load_config(environ)
    profile, provider_name = awslogin_profile(config, options.profile, environ)
    values = profile.values
    factory = provider_factory(provider_name)
    region = options.region or profile.region
    # Remembered when the profile has none and the person named it (flag or prompt), so
    # that later refreshes by credential-process use the same region.
    remember_region = (
        factory.needs_region and not values.get(REGION_KEY) and not configured_region({}, environ)
    )
    if region:
        region = check_region(region)
    elif factory.needs_region:
        if not terminal.can_prompt:
            raise UsageError(
                f"profile {options.profile} has no region: pass --region "
                "(it is then remembered) or set AWS_REGION"
            )
        region = check_region(
            terminal.prompt("AWS region for this profile (for example us-east-1)")
        )
    http = HttpFactory(options.debug)
    profile = profile.with_region(region)
    provider = factory(profile, http, clock)

    relay_url = options.relay or environ.get(RELAY_ENV) or values.get(RELAY_KEY)
    # Providers with their own remote sign-in (sso: device code) use a relay only when
    # --relay names one for this login.
    device_code = provider.remote_flow == "device" and not options.relay
    # Without any relay, aws-signin reads its verification code here, as `aws login --remote`.
    paste_here = provider.remote_flow == "paste" and not relay_url
    remote = options.remote
    if not remote and options.open_browser:
        reason = why_no_local_browser(environ)
        if reason is not None and device_code:
            remote = True
            terminal.info(f"No browser on this machine ({reason}): signing in with a device code.")
        elif reason is not None and paste_here:
            remote = True
            terminal.info(f"No browser on this machine ({reason}): sign in on another device.")
        elif reason is not None:
            if not relay_url:
                raise AwsloginError(
                    f"no browser on this machine ({reason}) and no relay configured: pass "
                    f"--relay URL or set {RELAY_ENV} (or use --no-browser and open the URL here)"
                )
            remote = True
            relay_url = normalize_relay_url(relay_url)
            terminal.info(
                f"No browser on this machine ({reason}): "
                f"signing in through {urlsplit(relay_url).netloc}."
            )

    with http.client() as relay_http:
        flow: SignInFlow
        if remote and device_code:
            flow = DeviceFlow(
                TerminalDevicePresenter(terminal, qr=options.qr),
                clock=clock,
                timeout=options.timeout,
            )
        elif remote and paste_here:
            flow = PasteFlow(terminal, terminal.stdin.readline, qr=options.qr)
        elif remote:
            if not relay_url:
                raise AwsloginError(
                    f"--remote needs a relay: pass --relay URL, set {RELAY_ENV}, "
                    f"or run `awslogin configure --profile {options.profile} --relay URL`"
                )
            relay = RelayClient(relay_url, relay_http, environ.get(RELAY_TOKEN_ENV))
            flow = RelayFlow(
                relay,
                terminal,
                mode=provider.relay_mode,
                qr=options.qr,
                timeout=options.timeout,
            )
        else:
            flow = LoopbackFlow(
                terminal,
                browser_opener if options.open_browser else None,
                port=options.redirect_port,
                timeout=options.timeout,
            )
        record = provider.login(flow)

    changes = _profile_changes(options.profile, values, record, terminal)
    store_for(provider_name, profile).save(record)
    if remember_region and region:
        changes[REGION_KEY] = region
    if changes:
        latest = load_config(environ)
        latest.set_profile(options.profile, changes)
        latest.save()
    now = clock.now()
    session_end = record["session"]["expiresAt"]
    return [
        f"Signed in as {record['identity']['arn']}",
        f"Credentials refresh automatically until {local_time(session_end)} "
        f"({_hours(session_end - now)}). Use them with:",
        f"  aws sts get-caller-identity --profile {options.profile}",
    ]
