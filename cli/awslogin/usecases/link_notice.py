"""The sign-in link sent where the person is: `login --notify` and the renewals of `serve`
and `exec` (docs/security.md, "Renewal").

`NotifyingDisplay` stands in for the terminal of a remote flow (relay or device code): it
shows the link on the terminal as always, and once the flow knows until when the link
works (its waiting line), sends the message to every destination. Undelivered
destinations are said on the terminal in one line each, and passed to `on_undelivered`
(the audit log of serve and exec).

The message names the host, the profile, the role, the link, the code to check, the
number to choose on the page (number matching: the message stands in for the terminal)
and the deadline: nothing secret (invariant 13). The link alone signs in nobody: the person
still signs in at the identity provider, and a renewal saves only the same identity.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from awslogin.adapters.clock import local_time
from awslogin.adapters.notify import Message, Undelivered, send
from awslogin.errors import UsageError, one_line
from awslogin.flows.base import Display, WaitingLine

MAX_SHOWN = 300


class CannotNotify(UsageError):
    """Destinations were given, but the profile's remote flow is the paste flow: it reads
    the answer from this terminal and has no link that could wait on a phone (no relay,
    and an identity provider without device codes). Refused before anything is shown:
    from cron it would fail with "end of input", and a renewal could never succeed
    (docs/security.md, "Renewal")."""

    def __init__(self, profile: str) -> None:
        super().__init__(
            "--notify needs a relay (awslogin_relay) or an identity provider with device "
            f"codes: profile {profile} has neither"
        )


@dataclass(frozen=True)
class Sending:
    """Why and for what a link goes out."""

    profile: str
    destinations: Sequence[str]
    role: str | None = None
    renewal: bool = False


@dataclass
class Sent:
    """What went out so far: when the last link did, and to how many destinations."""

    at: float | None = None
    delivered: int = 0
    undelivered: list[Undelivered] = field(default_factory=list)


def host_name() -> str:
    """`user@host` as the message names this machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return one_line(f"{user}@{socket.gethostname()}", 120)


def link_message(
    sending: Sending,
    link: str,
    user_code: str | None,
    ends_at: float,
    number: int | None = None,
) -> Message:
    """The message for one link; every part that came from a server made one line."""
    host = host_name()
    what = "renew the session of" if sending.renewal else "sign in for"
    title = f"awslogin: {host} asks you to {what} profile {sending.profile}"
    lines = [
        f"Host: {host}",
        f"Profile: {sending.profile}",
    ]
    if sending.role:
        lines.append(f"Role: {one_line(sending.role, MAX_SHOWN)}")
    lines.append(f"Open: {one_line(link, MAX_SHOWN)}")
    if user_code:
        lines.append(f"Check that the page shows this code: {one_line(user_code, 40)}")
    if number is not None:
        lines.append(f"Choose this number on the page: {number:02d}")
    lines.append(f"The link works until {local_time(ends_at)}.")
    lines.append("If you did not expect this, ignore it: the link alone signs in nobody.")
    return Message(title, "\n".join(lines))


def stop_message(sending: Sending, reason: str) -> Message:
    """The last message of a renewal that stopped (a denial): what to do instead."""
    host = host_name()
    return Message(
        f"awslogin: renewals of profile {sending.profile} on {host} stopped",
        f"{one_line(reason, MAX_SHOWN)}\n"
        f"Sign in on {host} with `awslogin login --profile {sending.profile}` when you want.",
    )


class NotifyingDisplay:
    """A flow's display that also sends each link to the destinations (see above)."""

    def __init__(
        self,
        terminal: Display,
        sending: Sending,
        *,
        on_undelivered: Callable[[Undelivered], None] | None = None,
        on_sent: Callable[[Sent], None] | None = None,
        sender: Callable[[Sequence[str], Message], list[Undelivered]] = send,
    ) -> None:
        """`on_sent`: told after each link went out (a renewal's status, for `status`)."""
        self.terminal = terminal
        self.sending = sending
        self.sent = Sent()
        self._on_undelivered = on_undelivered
        self._on_sent = on_sent
        self._sender = sender
        self._link: tuple[str, str | None, int | None] | None = None

    def info(self, text: str) -> None:
        self.terminal.info(text)

    def show_link(
        self,
        url: str,
        *,
        user_code: str | None = None,
        qr: bool = True,
        type_at: str | None = None,
        number: int | None = None,
    ) -> None:
        self.terminal.show_link(url, user_code=user_code, qr=qr, type_at=type_at, number=number)
        self._link = (url, user_code, number)

    def countdown(self, text: str, deadline: float) -> AbstractContextManager[WaitingLine]:
        """The terminal's waiting line, once the link went out (`deadline` is monotonic)."""
        if self._link is not None:
            url, user_code, number = self._link
            self._link = None
            ends_at = time.time() + max(0.0, deadline - time.monotonic())
            self.send_link(url, user_code, ends_at, number)
        return self._countdown(text, deadline)

    @contextmanager
    def _countdown(self, text: str, deadline: float) -> Iterator[WaitingLine]:
        with self.terminal.countdown(text, deadline) as line:
            yield line

    def send_link(
        self, url: str, user_code: str | None, ends_at: float, number: int | None = None
    ) -> None:
        message = link_message(self.sending, url, user_code, ends_at, number)
        self._deliver(message)
        self.sent.at = time.time()
        if self._on_sent is not None:
            self._on_sent(self.sent)

    def send_stop(self, reason: str) -> None:
        self._deliver(stop_message(self.sending, reason))

    def _deliver(self, message: Message) -> None:
        destinations = self.sending.destinations
        undelivered = self._sender(destinations, message)
        self.sent.delivered = len(destinations) - len(undelivered)
        self.sent.undelivered = undelivered
        for failed in undelivered:
            self.terminal.info(f"awslogin: could not notify {failed.destination}: {failed.reason}")
            if self._on_undelivered is not None:
                self._on_undelivered(failed)
        if destinations:
            self.terminal.info(
                f"awslogin: message sent to {self.sent.delivered} of {len(destinations)} "
                "notification destinations"
            )
