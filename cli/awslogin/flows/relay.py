"""Remote flow through the relay: the browser is on another device, the result comes back
sealed to a key that exists only in this process.

The relay never sees anything it could use: the authorization code it forwards is
worthless without the PKCE verifier held here, and it stores the code only encrypted.

The wait survives the network (docs/protocol.md, "Delivery"): a long-poll that is reset,
cut or refused is tried again, after a jittered backoff, until the login's deadline,
and the waiting line says so while the relay does not answer. The relay delivers the
result to the poll token's holder until the host acknowledges it, so an answer lost on
the way is collected again. Nothing the relay says can stretch the wait: the deadline is
--timeout or the pairing's lifetime, whichever ends first, and each call has its own
total deadline within it.

The flow owns the pairing until the login has ended: given up before the result came
(Ctrl-C, SIGTERM, SIGHUP, an error), the pairing is cancelled; after it came, the login
use case reports how it ended through `finish`, for the phone's page.

In console mode (docs/protocol.md, "Console handover") the result is the public key the
confirming browser made, and `hand_over` reports the console sign-in URL sealed to it:
the relay forwards ciphertext it cannot open.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import re
import socket
import time
from collections.abc import Callable

from pydantic import ValidationError

from awslogin import __version__
from awslogin.errors import AwsloginError, ProviderError, Unavailable, one_line
from awslogin.flows.base import (
    AuthorizationResponse,
    Display,
    Mode,
    RequestBuilder,
    SignInOutcome,
    WaitingLine,
)
from awslogin.flows.callback import SignInDenied, sign_in_refused
from awslogin.flows.pacing import MOST_LIFETIME, Backoff, sane_seconds
from awslogin.flows.relay_client import CALL_SECONDS, POLL_GRACE_SECONDS, RelayClient
from awslogin_protocol import REVISION
from awslogin_protocol.messages import (
    DENIED_ON_PAGE,
    MAX_HOST_USER,
    MAX_HOSTNAME,
    NOT_SHOWN,
    NUMBER_MATCHING_REVISION,
    OUTCOME_REASON_SHOWN,
    WRONG_NUMBER,
    Confirmation,
    HostDescription,
    OutcomeReport,
    PairingCreated,
    PollAnswer,
    SealedCallback,
    SealedConsoleKey,
    SealedPaste,
    well_formed_role,
    well_formed_role_name,
)
from awslogin_protocol.sealing import HostKey, SealingError, seal_to_browser

MAX_WAIT_SECONDS = 25
# The pace a relay may ask for: from back to back (long-polls wait anyway) to twice a
# minute, whatever its `interval` says.
MOST_INTERVAL = 30.0
# The least time between the starts of two long-polls, whatever the relay's interval:
# a pending answer comes after the long-poll's wait, so this costs a sane relay nothing
# and keeps one that answers at once from being asked in a tight loop.
LEAST_POLL_GAP = 1.0
# How long past the login's deadline a last long-poll's answer may still arrive.
LATE_SECONDS = 2.0
# Best-effort calls after the person is done: short, never what the login waits on.
ACK_SECONDS = 3.0
REPORT_SECONDS = 5.0
CANCEL_SECONDS = 3.0
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# What the terminal says when the relay ended the pairing for a wrong number.
WRONG_NUMBER_MESSAGE = (
    "someone chose the wrong number on the confirmation page; nothing was signed in"
)
# What the terminal says when the browser that confirmed pressed "not me" on the relay's
# page: the person's no, as a denial at the provider is (a renewal stops asking).
DENIED_ON_PAGE_MESSAGE = 'sign-in was denied on the relay\'s page ("not me"); nothing was signed in'
# The most shown of the notice's words from the relay (an address that is not one, a
# browser summary): the notice stays one short line.
MOST_NOTICE_ADDRESS = 45
MOST_NOTICE_BROWSER = 40
AFTER_CONFIRMATION = "Waiting for the sign-in..."


def host_description(role: str | None = None) -> HostDescription:
    """Shown on the relay page so the person can tell which machine asked, and for which
    AWS role. Sent as the machine has them, only cut to the protocol's lengths: the relay
    shows a name that is not well formed as "(not shown)" rather than refusing the pairing
    (docs/protocol.md, "Host fields"), so an odd hostname never stops a login. A role that
    is not well formed is left out: the page can do without it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    shown = role if role and well_formed_role(role) else ""
    return HostDescription.model_construct(
        hostname=socket.gethostname()[:MAX_HOSTNAME] or NOT_SHOWN,
        user=user[:MAX_HOST_USER],
        client=f"awslogin/{__version__}",
        role=shown,
    )


def outcome_report(outcome: SignInOutcome) -> OutcomeReport:
    """The report of `outcome`, each field within what the protocol allows or left out."""
    if not outcome.signed_in:
        return OutcomeReport(
            outcome="failed", reason=one_line(outcome.reason or "failed", OUTCOME_REASON_SHOWN)
        )
    account = outcome.account_id if _ACCOUNT_ID.fullmatch(outcome.account_id or "") else None
    role = outcome.role if outcome.role and well_formed_role_name(outcome.role) else None
    return OutcomeReport(outcome="signed_in", account_id=account, role=role)


def confirmation_notice(confirmation: Confirmation) -> str:
    """The line that tells the person who confirmed their pairing, so that they can
    press Ctrl-C if it was not them (docs/protocol.md, "The confirmation notice").

    Everything in it comes from the relay: the time is formatted here, an address that
    is not an IP address and the browser's words are shown as `one_line` filters them.
    """
    try:
        when = f" at {time.strftime('%H:%M', time.localtime(confirmation.at))}"
    except (OverflowError, OSError, ValueError):
        when = ""
    try:
        address = str(ipaddress.ip_address(confirmation.address))
    except ValueError:
        address = one_line(confirmation.address, MOST_NOTICE_ADDRESS)
    where = f" from {address}" if address else ""
    browser = one_line(confirmation.browser, MOST_NOTICE_BROWSER)
    what = f" ({browser})" if browser else ""
    return f"  Confirmed{when}{where}{what}. Not you? Ctrl-C."


class RelayFlow:
    name = "relay"

    def __init__(
        self,
        relay: RelayClient,
        display: Display,
        *,
        mode: Mode = "redirect",
        qr: bool = True,
        timeout: float = 600.0,
        role: str | None = None,
    ) -> None:
        """`role`: the AWS role the sign-in is for, when known before it (the page shows it)."""
        self.relay = relay
        self.display = display
        self.mode = mode
        self.qr = qr
        self.timeout = timeout
        self.role = role
        # The pairing whose result was opened: its outcome is still to be reported.
        self._unreported: PairingCreated | None = None
        # Console mode: the key of the browser that took the handover.
        self._browser_key: str | None = None

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        login_deadline = time.monotonic() + self.timeout
        metadata = self.relay.metadata(self._call_seconds(login_deadline))
        type_at = self.relay.on_relay_origin(metadata.verification_uri, "page to type codes")
        request = build(metadata.callback_uri if self.mode == "redirect" else None)
        key = HostKey()
        revision = min(REVISION, metadata.revision)
        pairing = self.relay.create_pairing(
            request.url,
            self.mode,
            key.public_key,
            host_description(self.role),
            self._call_seconds(login_deadline),
            revision=revision,
        )
        received = False
        try:
            link = self.relay.on_relay_origin(pairing.verification_uri_complete, "sign-in link")
            party = f"the relay at {self.relay.display_host}"
            lifetime = sane_seconds(
                pairing.expires_in, 0, MOST_LIFETIME, what="pairing lifetime", party=party
            )
            interval = sane_seconds(
                pairing.interval, 0, MOST_INTERVAL, what="poll interval", party=party
            )
            self.display.show_link(
                link,
                user_code=pairing.user_code,
                qr=self.qr,
                type_at=type_at,
                number=pairing.match_number,
            )
            notices = revision >= NUMBER_MATCHING_REVISION
            now = time.monotonic()
            expires_first = now + lifetime <= login_deadline
            deadline = min(now + lifetime, login_deadline)
            waiting = (
                "Waiting for you to confirm on the other device..."
                if self.mode == "console"
                else "Waiting for you to sign in..."
            )
            with self.display.countdown(waiting, deadline) as line:
                answer = self._wait(pairing, interval, deadline, line, expires_first, notices)
            received = True
            if answer.status == "denied":
                # The relay keeps the denial as the pairing's end: nothing to report.
                self._acknowledge(pairing)
                if answer.error == WRONG_NUMBER:
                    raise AwsloginError(WRONG_NUMBER_MESSAGE)
                if answer.error == DENIED_ON_PAGE:
                    raise SignInDenied(DENIED_ON_PAGE_MESSAGE)
                raise sign_in_refused(
                    answer.error or "access_denied",
                    answer.error_description or "",
                    party="the identity provider",
                )
            self._unreported = pairing
            self._acknowledge(pairing)
            return AuthorizationResponse(request, self._open(key, pairing, answer.sealed or ""))
        finally:
            if not received:
                self._best_effort(
                    lambda seconds: self.relay.cancel(pairing, seconds), CANCEL_SECONDS
                )

    def finish(self, outcome: SignInOutcome) -> None:
        """Report how the login ended, for the phone's page (best effort, a few seconds)."""
        pairing, self._unreported = self._unreported, None
        if pairing is not None:
            report = outcome_report(outcome)
            self._best_effort(
                lambda seconds: self.relay.report(pairing, report, seconds), REPORT_SECONDS
            )

    def hand_over(self, console_url: str, outcome: SignInOutcome) -> bool:
        """Console mode: report `outcome` with `console_url` sealed to the key of the
        browser that took the handover; whether the relay took it (best effort, bounded)."""
        pairing, self._unreported = self._unreported, None
        if pairing is None or self._browser_key is None:
            return False
        try:
            sealed = seal_to_browser(console_url.encode(), self._browser_key, pairing.pairing_id)
        except SealingError:
            return False
        report = outcome_report(outcome).model_copy(update={"sealed_console": sealed})
        return self._best_effort(
            lambda seconds: self.relay.report(pairing, report, seconds), REPORT_SECONDS
        )

    def _acknowledge(self, pairing: PairingCreated) -> None:
        """The result is here: the relay may drop it (best effort; else it expires)."""
        self._best_effort(lambda seconds: self.relay.ack(pairing, seconds), ACK_SECONDS)

    def _call_seconds(self, login_deadline: float) -> float:
        """A call's deadline before the link shows: its own, within the login's."""
        return max(0.0, min(CALL_SECONDS, login_deadline - time.monotonic()))

    def _wait(
        self,
        pairing: PairingCreated,
        interval: float,
        deadline: float,
        line: WaitingLine,
        expires_first: bool,
        notices: bool,
    ) -> PollAnswer:
        """The relay's answer once it is not pending; raises on expiry or --timeout.

        `notices`: the relay tells who confirmed the pairing; until it has, each poll
        asks it to answer as soon as a browser confirms, and the line says who it was.
        """
        backoff = Backoff()
        unconfirmed = notices
        not_before = 0.0  # no long-poll starts before this
        silent_since: float | None = None  # the relay has not answered since
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise self._too_late(expires_first, silent_since, now)
            if now < not_before:
                time.sleep(min(not_before, deadline) - now)
                continue
            wait = max(1, min(MAX_WAIT_SECONDS, int(deadline - now)))
            seconds = min(wait + POLL_GRACE_SECONDS, deadline + LATE_SECONDS - now)
            try:
                answer = self.relay.poll(pairing, wait, seconds, until_confirmed=unconfirmed)
            except Unavailable as fault:
                if fault.silent:
                    silent_since = silent_since or now
                    line.note(f"Waiting for {fault.party} to answer again...")
                not_before = time.monotonic() + backoff.next(fault.retry_after)
                continue
            backoff.reset()
            if silent_since is not None:
                silent_since = None
                line.note(None)
            if answer.status != "pending":
                return answer
            if unconfirmed and answer.confirmation is not None:
                unconfirmed = False
                line.announce(confirmation_notice(answer.confirmation), AFTER_CONFIRMATION)
            not_before = now + max(interval, LEAST_POLL_GAP)

    def _too_late(
        self, expires_first: bool, silent_since: float | None, now: float
    ) -> AwsloginError:
        silent = (
            f" (the relay at {self.relay.display_host} has not answered for "
            f"{int(now - silent_since)} s)"
            if silent_since is not None
            else ""
        )
        if expires_first:
            return AwsloginError(
                f"the pairing expired before sign-in finished{silent}; run login again"
            )
        return AwsloginError(
            f"sign-in did not finish within {int(self.timeout)} s (--timeout){silent}; "
            "run login again"
        )

    def _best_effort(self, call: Callable[[float], bool], seconds: float) -> bool:
        """`call(seconds left)` until it answers or `seconds` pass, transient faults tried
        again; False when the relay did not take it (the pairing then ends by itself)."""
        deadline = time.monotonic() + seconds
        backoff = Backoff(first=0.25)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                return call(left)
            except Unavailable as fault:
                pause = backoff.next(fault.retry_after)
                if time.monotonic() + pause >= deadline:
                    return False
                time.sleep(pause)
            except AwsloginError:
                return False

    def _open(self, key: HostKey, pairing: PairingCreated, sealed: str) -> dict[str, str]:
        """The sealed result in clear: what the provider sent to the relay's callback, or
        what the person pasted on its page (the models say which fields, and how long)."""
        try:
            payload = json.loads(key.open(sealed, pairing.pairing_id))
        except (SealingError, ValueError, RecursionError) as exc:
            raise ProviderError("the relay's result does not open with this login's key") from exc
        model: type[SealedPaste | SealedCallback | SealedConsoleKey] = SealedCallback
        if self.mode == "paste":
            model = SealedPaste
        elif self.mode == "console":
            model = SealedConsoleKey
        try:
            params = model.model_validate(payload).model_dump(exclude_none=True)
        except ValidationError:
            raise ProviderError("the relay's result is not a sign-in response") from None
        if self.mode == "console":
            self._browser_key = params["browser_key"]
        return params
