"""Device authorization (RFC 8628): the person opens a URL on any device, the host polls.

There is no redirect, so this is not an AuthorizationFlow: a provider that supports it
starts the device authorization itself and hands this flow the response and one poll
step. The flow shows the link (URL, QR code, user code) and polls
at the pace the server asks for: `authorization_pending` waits `interval` again,
`slow_down` adds 5 seconds to it for good, `expired_token` and `access_denied` end it.
Ctrl-C ends it too (KeyboardInterrupt reaches the command line: exit 130).

The server's numbers are made sane (flows.pacing): an interval between 1 s and a
minute, a code that lives a day at most, nothing that is not a finite number. A poll
that fails for a reason that may pass (no connection, 429, 502-504: `Unavailable`) is
tried again after a jittered backoff until the code expires, the waiting line saying
that the service does not answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import TypeVar

from awslogin.adapters.clock import Clock, SystemClock
from awslogin.errors import AwsloginError, ProviderError, Unavailable, one_line
from awslogin.flows.base import (
    DeviceAuthorization,
    DevicePresenter,
    Display,
    SignInOutcome,
    WaitingLine,
)
from awslogin.flows.callback import SignInDenied
from awslogin.flows.pacing import MOST_LIFETIME, Backoff, sane_seconds

# The grant a device code is redeemed with at the token endpoint (RFC 8628 3.4).
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# The token endpoint's answers that this flow handles (RFC 8628 3.5): a poll step turns
# them into DevicePending.
POLL_ERRORS = ("authorization_pending", "slow_down", "expired_token", "access_denied")
DEFAULT_INTERVAL = 5.0
SLOW_DOWN_STEP = 5.0
# The pace asked of any server, whatever its `interval` says.
LEAST_INTERVAL = 1.0
MOST_INTERVAL = 60.0

T = TypeVar("T")


class DevicePending(Exception):
    """A poll step's way to say the token is not ready: `error` is the OAuth error name."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.description = description


class TerminalDevicePresenter:
    """Shows the verification link with a QR code and the user code, then a waiting line."""

    def __init__(self, display: Display, *, qr: bool = True) -> None:
        self.display = display
        self.qr = qr

    @contextmanager
    def _presenting(self, authorization: DeviceAuthorization) -> Iterator[WaitingLine]:
        deadline = time.monotonic() + authorization.expires_in
        complete = authorization.verification_uri_complete
        self.display.show_link(
            complete or authorization.verification_uri,
            user_code=authorization.user_code,
            qr=self.qr,
            type_at=authorization.verification_uri if complete else None,
        )
        if not complete:
            self.display.info(f"  Enter the code there: {one_line(authorization.user_code, 64)}")
        with self.display.countdown("Waiting for you to sign in...", deadline) as line:
            yield line

    def present(self, authorization: DeviceAuthorization) -> AbstractContextManager[WaitingLine]:
        return self._presenting(authorization)


class DeviceFlow:
    """The `device` flow: runs the polling loop of a device authorization a provider began."""

    name = "device"

    def __init__(
        self,
        presenter: DevicePresenter,
        *,
        clock: Clock | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.presenter = presenter
        self.clock = clock or SystemClock()
        self.timeout = timeout

    def finish(self, outcome: SignInOutcome) -> None:
        """Nothing waits on a device sign-in once the token came: the service's page has
        already said what it knows."""

    def wait(self, authorization: DeviceAuthorization, poll: Callable[[], T]) -> T:
        """Poll until `poll` returns (the token) or raises something other than DevicePending
        or Unavailable."""
        party = authorization.party
        lifetime = sane_seconds(
            authorization.expires_in, 0, MOST_LIFETIME, what="code lifetime", party=party
        )
        asked = sane_seconds(
            authorization.interval, 0, MOST_INTERVAL, what="poll interval", party=party
        )
        interval = max(asked, LEAST_INTERVAL) if asked > 0 else DEFAULT_INTERVAL
        expires_first = lifetime <= self.timeout
        waiting = min(lifetime, self.timeout)
        deadline = self.clock.monotonic() + waiting
        backoff = Backoff()
        pause = interval
        with self.presenter.present(replace(authorization, expires_in=waiting)) as line:
            while True:
                self.clock.sleep(max(0.0, min(pause, deadline - self.clock.monotonic())))
                if self.clock.monotonic() >= deadline:
                    self._give_up(expires_first)
                try:
                    return poll()
                except Unavailable as fault:
                    if fault.silent:
                        line.note(f"Waiting for {fault.party} to answer again...")
                    pause = max(interval, backoff.next(fault.retry_after))
                    continue
                except DevicePending as pending:
                    line.note(None)
                    backoff.reset()
                    pause = interval
                    if pending.error == "authorization_pending":
                        continue
                    if pending.error == "slow_down":
                        interval += SLOW_DOWN_STEP
                        pause = interval
                        continue
                    if pending.error == "expired_token":
                        raise AwsloginError(
                            "the device code expired before sign-in finished; run login again"
                        ) from None
                    if pending.error == "access_denied":
                        raise SignInDenied(
                            "sign-in was denied on the verification page; run login again to retry"
                        ) from None
                    detail = f": {one_line(pending.description)}" if pending.description else ""
                    raise ProviderError(
                        f"device sign-in failed: {one_line(pending.error, 60)}{detail}"
                    ) from None

    def _give_up(self, expires_first: bool) -> None:
        if expires_first:
            raise AwsloginError("the device code expired before sign-in finished; run login again")
        raise AwsloginError(
            f"sign-in did not finish within {int(self.timeout)} s (--timeout); run login again"
        )
