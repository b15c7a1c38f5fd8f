"""Messages to the person's Apprise destinations (ntfy, Slack, Teams, email over SMTP, a
JSON webhook...): how a sign-in link reaches someone who is not at the host's terminal.

Apprise is an optional extra (`pip install 'awslogin[notify]'`), imported here and only
when a message goes out: `credential-process` and an idle `serve` never load it
(docs/architecture.md, "Rules that keep it changeable").

Each destination is sent to on a thread of its own and waited for until one deadline
shared by all: one that hangs, refuses or fails is reported, and never keeps the others
from getting the message or the caller from going on (a thread still stuck when the
deadline passes is left behind as a daemon). A destination is named in reports by its
scheme and host only: the rest of an Apprise URL often is a token or a password
(docs/security.md, "Renewal").
"""

from __future__ import annotations

import importlib.util
import ipaddress
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from awslogin.errors import UsageError, one_line

SEND_SECONDS = 20.0
EXTRA_MISSING = (
    "sending to notification destinations needs the notify extra: pip install 'awslogin[notify]'"
)


@dataclass(frozen=True)
class Message:
    """What a destination receives; never a secret (docs/security.md, invariant 13)."""

    title: str
    body: str


@dataclass(frozen=True)
class Undelivered:
    """A destination that did not take the message: its redacted name, and why."""

    destination: str
    reason: str


def redacted(url: str) -> str:
    """`scheme://host[:port]` of a destination, or `scheme://` when its host part is not a
    host name (Telegram's and ntfy's short forms put a token or a topic there)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return "(a destination that is not a URL)"
    scheme = one_line(parts.scheme, 20) or "?"
    if not _is_host_name(host):
        return f"{scheme}://"
    try:
        port = parts.port
    except ValueError:
        port = None
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}" if port else f"{scheme}://{shown}"


def _is_host_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.split(".")
        return len(labels) > 1 and all(label and label.isascii() for label in labels)


def require_extra(destinations: Sequence[str]) -> None:
    """A usage error naming the extra when destinations are given and Apprise is absent;
    checked before a command starts, so that nobody waits for a link that cannot go out;
    found without importing it (an idle `serve` never holds it)."""
    if destinations and importlib.util.find_spec("apprise") is None:
        raise UsageError(EXTRA_MISSING)


def send(
    destinations: Sequence[str], message: Message, seconds: float = SEND_SECONDS
) -> list[Undelivered]:
    """Send `message` to every destination at once; those that did not take it within
    `seconds` (all together), with why."""
    try:
        import apprise  # noqa: F401 (loaded here, before the threads that use it)
    except ImportError:
        return [Undelivered(redacted(url), EXTRA_MISSING) for url in destinations]
    deadline = time.monotonic() + seconds
    outcomes: dict[int, str | None] = {}
    threads = []
    for index, url in enumerate(destinations):

        def deliver(index: int = index, url: str = url) -> None:
            outcomes[index] = _deliver(url, message)

        thread = threading.Thread(target=deliver, name="awslogin-notify", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    undelivered = []
    for index, url in enumerate(destinations):
        if index not in outcomes:
            undelivered.append(Undelivered(redacted(url), f"no answer within {seconds:.0f} s"))
        elif outcomes[index] is not None:
            undelivered.append(Undelivered(redacted(url), str(outcomes[index])))
    return undelivered


def _deliver(url: str, message: Message) -> str | None:
    """None once the destination took the message, else why not (one line)."""
    import apprise

    sender = apprise.Apprise()
    try:
        if not sender.add(url):
            return "not a destination Apprise knows (check the URL)"
        # Text, said so: else an email's plain part loses the message's line breaks.
        if sender.notify(
            title=message.title, body=message.body, body_format=apprise.NotifyFormat.TEXT
        ):
            return None
    except Exception:  # a plugin's own failure is this destination's only
        return "Apprise failed while sending"
    return "it did not take the message (refused, unreachable or an error)"
