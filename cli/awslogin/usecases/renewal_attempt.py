"""One attempt of a renewal, in a worker process of `serve` or `exec`:
`python -P -m awslogin.usecases.renewal_attempt PROFILE [--debug]`.

It is `login --remote` for the same profile with the link sent to the notification
destinations (AWSLOGIN_NOTIFY in its environment, set by serve: never on a command line
that `ps` shows), in renewal mode: only the identity of the session it renews is saved,
under the refresh lock (docs/security.md, "Renewal"). One pairing per attempt; serve
starts the next one when this one ends without a sign-in.

In a worker so that an idle `serve` never holds the flows, httpx and Apprise
(docs/architecture.md, "Rules that keep it changeable"). It answers with one JSON line
on stdout (`AttemptAnswer`); the terminal's lines (the link, undelivered destinations,
what became of a refused sign-in) go to stderr, serve's own. SIGTERM (serve stopping)
ends it as Ctrl-C ends a login: the pairing is cancelled.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Literal, NotRequired, TypedDict

from awslogin.adapters.notify import Undelivered, send
from awslogin.adapters.terminal import Terminal
from awslogin.errors import UNEXPECTED, AwsloginError, message_of
from awslogin.flows.callback import SignInDenied
from awslogin.profile import notify_destinations
from awslogin.usecases.identity_check import IdentityRefused
from awslogin.usecases.link_notice import CannotNotify, Sending, Sent, stop_message
from awslogin.usecases.login import LoginOptions, login
from awslogin.usecases.profiles import awslogin_profile, load_config
from awslogin.usecases.renewal_status import RenewalState, write_state

# unusable: the profile cannot renew from a phone at all (link_notice.CannotNotify).
Outcome = Literal["saved", "denied", "unusable", "refused", "failed"]


class UndeliveredWire(TypedDict):
    destination: str
    reason: str


class AttemptAnswer(TypedDict):
    """The worker's one line: how the attempt ended, in one line, and the destinations
    that did not take a message (for the audit log). A refused attempt says whether its
    session was revoked at the provider (`revoked`); the line that says why went to
    stderr with the rest of the terminal's lines."""

    outcome: Outcome
    message: str
    undelivered: list[UndeliveredWire]
    revoked: NotRequired[bool]


def attempt(profile: str, environ: Mapping[str, str], *, debug: bool) -> AttemptAnswer:
    undelivered: list[UndeliveredWire] = []

    def note(failed: Undelivered) -> None:
        undelivered.append(UndeliveredWire(destination=failed.destination, reason=failed.reason))

    def sent(sent: Sent) -> None:
        state = RenewalState(state="waiting", sentAt=sent.at or 0.0, delivered=sent.delivered)
        write_state(profile, environ, state)

    terminal = Terminal(err=sys.stderr, out=io.StringIO(), stdin=io.StringIO())
    options = LoginOptions(profile=profile, remote=True, qr=False, renewal=True, debug=debug)
    try:
        login(options, environ, terminal, on_undelivered=note, on_sent=sent)
    except SignInDenied as denied:
        _last_message(profile, environ, denied.message, note)
        return AttemptAnswer(outcome="denied", message=denied.message, undelivered=undelivered)
    except CannotNotify as unusable:
        _last_message(profile, environ, unusable.message, note)
        return AttemptAnswer(outcome="unusable", message=unusable.message, undelivered=undelivered)
    except IdentityRefused as refused:
        answer = AttemptAnswer(outcome="refused", message=refused.message, undelivered=undelivered)
        if refused.revocation is not None:
            answer["revoked"] = refused.revocation.revoked
        return answer
    except AwsloginError as failure:
        return AttemptAnswer(outcome="failed", message=failure.message, undelivered=undelivered)
    except KeyboardInterrupt:
        return AttemptAnswer(outcome="failed", message="stopped", undelivered=undelivered)
    except Exception as failure:  # the worker's promise, as the CLI's: one line
        message = message_of(failure) if debug else UNEXPECTED
        return AttemptAnswer(outcome="failed", message=message, undelivered=undelivered)
    return AttemptAnswer(outcome="saved", message="signed in again", undelivered=undelivered)


def _last_message(
    profile: str, environ: Mapping[str, str], reason: str, note: Callable[[Undelivered], None]
) -> None:
    """The message that says the renewals stopped, to the same destinations."""
    chosen, _ = awslogin_profile(load_config(environ), profile, environ)
    sending = Sending(
        profile, notify_destinations((), environ, chosen.values), role=chosen.role, renewal=True
    )
    for failed in send(sending.destinations, stop_message(sending, f"Renewal stopped: {reason}")):
        note(failed)


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(
            "usage: python -P -m awslogin.usecases.renewal_attempt PROFILE [--debug]",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    answer = attempt(argv[0], os.environ, debug="--debug" in argv[1:])
    try:
        print(json.dumps(answer), flush=True)
    except BrokenPipeError:  # serve stopped meanwhile
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
