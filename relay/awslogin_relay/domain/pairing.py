"""A pairing: one remote login attempt, as the relay keeps it between the host and the browser.

These records are what every store holds and every route reads; they carry no secret in
clear. The poll token and the browser's binding secret appear only as SHA-256 hashes, the
host's key is its public half, and a result is ciphertext sealed to that key
(docs/security.md#what-the-relay-stores). How a result reaches the relay (`PairingMode`)
is part of the wire protocol, so it comes from `awslogin_protocol.messages`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from awslogin_protocol.messages import DENIED_ON_PAGE, WRONG_NUMBER, PairingMode


class ResultKind(enum.StrEnum):
    COMPLETE = "complete"  # a sealed result waits for the host
    DENIED = "denied"  # the provider refused (callback with error=); nothing sealed


class Stage(enum.StrEnum):
    """Where a live pairing stands (docs/protocol.md, "States")."""

    PENDING = "pending"  # waiting for the browser side
    AUTHORIZED = "authorized"  # holds a result, delivered to the host until it acknowledges
    FINISHING = "finishing"  # the host acknowledged; the sealed blob is gone; no outcome yet


class GoneReason(enum.StrEnum):
    """Why a pairing no longer exists; kept in a tombstone so that callers get 410, not 404."""

    SIGNED_IN = "signed_in"  # the host reported that it signed in
    FAILED = "failed"  # the host reported that it could not finish
    DENIED = "denied"  # the host saw the provider's refusal: nobody is signed in
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    WRONG_NUMBER = "wrong_number"  # a browser chose a wrong number: nobody signed in
    DENIED_ON_PAGE = "denied_on_page"  # the confirming browser said "not me": nobody signed in
    # Written by relays from before acknowledgements (found during a rolling upgrade):
    # the host took the result, and nothing more is known.
    COLLECTED = "collected"


HOST_ENDINGS = frozenset(
    {
        GoneReason.SIGNED_IN,
        GoneReason.FAILED,
        GoneReason.DENIED,
        GoneReason.WRONG_NUMBER,
        GoneReason.DENIED_ON_PAGE,
    }
)
"""Tombstones of pairings whose host acknowledged the result: acking again is a no-op,
and reporting again is refused as already reported."""


RELAY_DENIALS = {
    WRONG_NUMBER: GoneReason.WRONG_NUMBER,
    DENIED_ON_PAGE: GoneReason.DENIED_ON_PAGE,
}
"""The denials the relay itself makes (the `error` of the result), and the end each
keeps in the tombstone; the Redis scripts know the same names (store/lua/lib.lua)."""


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What the host said about itself, plus what the relay saw; shown on the pages.

    `hostname`, `user`, `role` and `client` are stored as `domain.host_text` cleaned
    them at creation: well formed or "(not shown)", so no character in them is
    invisible or reorders text.
    """

    hostname: str
    user: str
    client: str
    address: str
    user_agent: str
    role: str = ""  # the AWS role the host says the sign-in is for; "" when it did not say


@dataclass(frozen=True, slots=True)
class ConfirmedBy:
    """The browser that confirmed a pairing, as the relay saw it: its address (with
    RELAY_TRUSTED_PROXIES) and its User-Agent in a few words (`domain.browser_summary`).
    The host is told, so that the person can stop a login that is not theirs."""

    address: str
    browser: str


@dataclass(frozen=True, slots=True)
class PairingResult:
    """The outcome the browser side produced. `sealed` is ciphertext only (never a code)."""

    kind: ResultKind
    sealed: str | None = None
    error: str | None = None
    error_description: str | None = None

    @property
    def ending(self) -> GoneReason:
        """How the pairing ends once this denial is acted on: DENIED for the provider's
        refusal, or the relay's own denial by name (a wrong number, "not me" on the
        page), so that the pages can say what happened."""
        return RELAY_DENIALS.get(self.error or "", GoneReason.DENIED)


@dataclass(frozen=True, slots=True)
class Pairing:
    """One remote login attempt.

    `user_code` is stored normalized (8 letters, no dash). `state` is the OAuth `state` of
    the authorize URL, the key that /callback uses to find the pairing. `poll_token_hash`
    is the hex SHA-256 of the host's poll token. `binding_hash` is the hex SHA-256 of the
    secret given (as a cookie) to the browser that confirmed the pairing: only that
    browser may complete it, so a link forwarded to someone else cannot be.
    `match_number` is the number the host's terminal shows and `match_choices` the three
    the page offers, in page order (None and () for a host of revision 1, which shows
    none); `confirmed_by` is who confirmed, for the host's confirmation notice.
    """

    pairing_id: str
    user_code: str
    state: str
    mode: PairingMode
    authorize_url: str
    public_key: str
    poll_token_hash: str
    host: HostInfo
    created_at: float
    expires_at: float
    confirmed_at: float | None = None
    binding_hash: str | None = None
    result: PairingResult | None = None
    acknowledged: bool = False  # the host opened the result; its sealed blob is dropped
    match_number: int | None = None
    match_choices: tuple[int, ...] = ()
    confirmed_by: ConfirmedBy | None = None

    @property
    def pending(self) -> bool:
        return self.result is None

    @property
    def stage(self) -> Stage:
        if self.result is None:
            return Stage.PENDING
        return Stage.FINISHING if self.acknowledged else Stage.AUTHORIZED


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the host's login ended, as it reported it (`OutcomeReport`, made safe to show).

    Only the browser that confirmed the pairing is shown the account, role or reason,
    and (console pairings) given `sealed_console`: the console sign-in URL sealed to that
    browser's key, which the relay cannot open (docs/protocol.md, "Console handover").
    """

    signed_in: bool
    account_id: str | None = None
    role: str | None = None
    reason: str | None = None  # one line, without control, format or bidi characters
    sealed_console: str | None = None

    @property
    def gone_reason(self) -> GoneReason:
        return GoneReason.SIGNED_IN if self.signed_in else GoneReason.FAILED


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What remains of a pairing after it is gone, for a while (the store's tombstone TTL).

    It keeps only what the pages need to tell the person what happened (the host name is
    shown on the public confirmation page anyway): the host's reported `outcome`, and
    the hash of the binding secret that decides which browser may see it. No token hash,
    no key, no result.
    """

    pairing_id: str
    reason: GoneReason
    hostname: str
    gone_at: float
    binding_hash: str | None = None
    outcome: Outcome | None = None
