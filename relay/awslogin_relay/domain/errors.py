"""Every refusal of the relay, in OAuth error style: one constructor per reason.

The web layer turns a RelayError into a JSON body (`awslogin_protocol.messages.ErrorBody`)
for the API, or into a page for people on browser routes; `description` must therefore
be safe to show and to log (it never holds a code, state, token or key).
"""

from __future__ import annotations

import math

from awslogin_relay.domain.pairing import GoneReason, Tombstone


class RelayError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        retry_after: float | None = None,
        hostname: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.retry_after = retry_after
        self.hostname = hostname


# -- any request ---------------------------------------------------------------------------


def invalid_request(description: str) -> RelayError:
    return RelayError(400, "invalid_request", description)


def too_many_requests(retry_after: float) -> RelayError:
    return RelayError(
        429, "too_many_requests", "too many requests from this address", retry_after=retry_after
    )


def too_many_wrong_codes(retry_after: float) -> RelayError:
    """The relay-wide budget of failed /link lookups is used up (docs/security.md)."""
    return RelayError(
        429,
        "too_many_requests",
        "too many wrong codes were tried here lately; scan the QR code, or try again shortly",
        retry_after=retry_after,
    )


def store_unavailable() -> RelayError:
    return RelayError(503, "temporarily_unavailable", "the store is unavailable", retry_after=5)


def request_too_large() -> RelayError:
    return RelayError(413, "request_too_large", "the request body is too large")


def unsupported_media_type() -> RelayError:
    return RelayError(
        415, "unsupported_media_type", "the body must be sent as Content-Type: application/json"
    )


# -- finding a pairing -----------------------------------------------------------------------

_USED = ("already_collected", "this pairing was already used")
_GONE_ERRORS = {
    GoneReason.SIGNED_IN: _USED,
    GoneReason.FAILED: _USED,
    GoneReason.DENIED: _USED,
    GoneReason.COLLECTED: _USED,
    GoneReason.EXPIRED: ("expired_token", "this pairing expired"),
    GoneReason.CANCELLED: ("cancelled", "this pairing was cancelled by its host"),
    GoneReason.WRONG_NUMBER: (
        "wrong_number",
        "someone chose the wrong number on the confirmation page; this pairing ended",
    ),
    GoneReason.DENIED_ON_PAGE: (
        "denied_on_page",
        "this sign-in request was cancelled on its page; this pairing ended",
    ),
}


def unknown_pairing() -> RelayError:
    return RelayError(404, "not_found", "no such pairing")


def gone_error(tomb: Tombstone) -> RelayError:
    """410 for a pairing that ended recently, saying how (the pages name its host)."""
    error, description = _GONE_ERRORS[tomb.reason]
    return RelayError(410, error, description, hostname=tomb.hostname)


def no_pairing_with_code() -> RelayError:
    return RelayError(404, "not_found", "no sign-in request has this code")


def no_pairing_with_state() -> RelayError:
    return RelayError(404, "not_found", "no sign-in request matches this answer")


# -- the host's requests ---------------------------------------------------------------------


def invalid_token() -> RelayError:
    return RelayError(401, "invalid_token", "missing or wrong poll token")


def invalid_create_token() -> RelayError:
    return RelayError(401, "invalid_token", "this relay needs a creation token")


def too_many_pending() -> RelayError:
    return RelayError(
        503,
        "temporarily_unavailable",
        "too many pairings are waiting; try again shortly",
        retry_after=30,
    )


def result_acknowledged() -> RelayError:
    """410 for a poll after the host acknowledged: the relay no longer holds the result."""
    return RelayError(410, "already_collected", "the host acknowledged this result already")


def not_authorized() -> RelayError:
    return RelayError(409, "not_authorized", "this pairing has no result yet")


def already_reported() -> RelayError:
    return RelayError(409, "already_reported", "the outcome of this pairing is already known")


def too_many_pending_here(retry_after: float, *, token: bool) -> RelayError:
    """429: this client's (or this creation token's) share of pending pairings is full."""
    whose = "with this creation token" if token else "from this network"
    return RelayError(
        429,
        "too_many_requests",
        f"too many sign-ins started {whose} are waiting; finish or cancel one first",
        retry_after=max(1.0, math.ceil(retry_after)),
    )


def slow_down(interval: float) -> RelayError:
    return RelayError(
        429,
        "slow_down",
        f"poll at most every {interval:g} seconds",
        retry_after=max(1.0, math.ceil(interval)),
    )


# -- the browser's requests (docs/security.md#browser-binding) -------------------------------


def already_completed() -> RelayError:
    return RelayError(410, "already_used", "this sign-in request was already completed")


def unconfirmed_browser() -> RelayError:
    return RelayError(
        403,
        "unconfirmed_browser",
        "this sign-in did not start from the relay's confirmation page in this browser, "
        "so nothing was sent to the terminal",
    )


def cross_site_cancellation() -> RelayError:
    return RelayError(
        403,
        "cross_site_cancellation",
        "this button only works on the relay's own page for this sign-in",
    )


def cross_site_confirmation() -> RelayError:
    return RelayError(
        403,
        "cross_site_confirmation",
        "this button only works on the relay's own page for this sign-in",
    )


def wrong_mode(description: str) -> RelayError:
    """The pairing takes its result the other way (redirect or paste): the request is
    well formed, the pairing's mode is what refuses it."""
    return RelayError(409, "wrong_mode", description)


def number_required() -> RelayError:
    """A host of revision 1 (it shows no number) on a relay with RELAY_REQUIRE_NUMBER."""
    return RelayError(
        400,
        "upgrade_required",
        "this relay asks for number matching: update awslogin on this machine",
    )


def choose_a_number() -> RelayError:
    return RelayError(400, "invalid_request", "choose the number your terminal shows")


def confirmed_elsewhere() -> RelayError:
    return RelayError(
        409, "confirmed_elsewhere", "this sign-in was already confirmed on another device"
    )
