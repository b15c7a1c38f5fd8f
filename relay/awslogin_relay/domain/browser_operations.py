"""What the person's browser does with a pairing: find it, confirm it, complete it.

Completing a pairing (the provider's redirect to /callback, or a pasted code) seals the
answer to the host's key and stores only the ciphertext. Only the browser that pressed
"this is my terminal" may complete it: that browser holds a binding secret (a cookie),
which is what stops a forwarded link from delivering someone else's sign-in
(docs/security.md#browser-binding). When the host shows a number, the browser must
also choose it among the three the page offers, and a wrong choice ends the pairing
(docs/security.md#number-matching); a browser that typed the code on /link, before
anyone was shown it on a page, is bound there and needs no number
(docs/security.md#typing-the-code). The same binding decides who may read how the
host's login ended (`progress`): the account, role or reason are for that browser only,
and who may end a pending pairing as a denial ("not me", `cancel`;
docs/security.md#cancelling-on-the-page).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from awslogin_protocol.messages import (
    DENIED_ON_PAGE,
    MAX_CALLBACK_VALUE,
    MAX_PASTE,
    WRONG_NUMBER,
    PairingMode,
    SealedCallback,
    SealedPaste,
)
from awslogin_protocol.sealing import SealingError, parse_public_key, seal
from awslogin_relay.domain import codes
from awslogin_relay.domain.authorize_url import STATE_PATTERN
from awslogin_relay.domain.browser_summary import browser_summary
from awslogin_relay.domain.errors import (
    already_completed,
    choose_a_number,
    confirmed_elsewhere,
    cross_site_cancellation,
    cross_site_confirmation,
    invalid_request,
    no_pairing_with_code,
    no_pairing_with_state,
    too_many_wrong_codes,
    unconfirmed_browser,
    wrong_mode,
)
from awslogin_relay.domain.operations import Client, Operations
from awslogin_relay.domain.pairing import (
    ConfirmedBy,
    GoneReason,
    Outcome,
    Pairing,
    PairingResult,
    ResultKind,
    Stage,
    Tombstone,
)
from awslogin_relay.domain.text import stripped

PublicState = Literal[
    "pending",
    "authorized",
    "finishing",
    "signed_in",
    "failed",
    "denied",
    "expired",
    "cancelled",
    "collected",
    "wrong_number",
    "denied_on_page",
]
"""What anyone with a pairing's link may learn about it: no secret, no host detail.
("collected": ended by a relay from before acknowledgements, during an upgrade.)"""

LINK_MISSES = "link_misses"
"""The store's token bucket of failed /link lookups, one for the whole relay."""

FIRST_SIGHT = "first_sight:"
"""Prefix of the store's one-token bucket per pairing (then its id): whoever first
shows the user code takes the token, a confirmation page or a code typed on /link."""

_CALLBACK_PARAMETERS = ("code", "state", "iss", "error", "error_description")


WRONG_NUMBER_DESCRIPTION = "someone chose the wrong number on the confirmation page"
DENIED_ON_PAGE_DESCRIPTION = (
    'the person pressed "not me" on the relay\'s page: nothing was signed in'
)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A confirmed pairing, and the binding secret to give the browser if this
    confirmation bound it (None when the browser already holds it, or when it chose a
    wrong number: then `wrong_number` is set and the pairing has ended)."""

    pairing: Pairing
    new_secret: str | None
    wrong_number: bool = False


@dataclass(frozen=True, slots=True)
class Shown:
    """A pending pairing's confirmation page, as one browser sees it: `bound` when this
    browser holds the binding (then the page has the one "continue" button, no numbers)."""

    pairing: Pairing
    bound: bool


@dataclass(frozen=True, slots=True)
class TypedCode:
    """A code typed on /link: its pairing, and the `Confirmation` when typing it bound
    this browser (the code was seen nowhere else first), else None."""

    pairing_id: str
    confirmation: Confirmation | None


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a pairing stands, as one browser may see it (the done page).

    `bound` says whether this browser is the one that confirmed the pairing: only then
    are the host's reported `outcome` and the provider's `denial` filled in.
    """

    state: PublicState
    hostname: str
    bound: bool
    outcome: Outcome | None = None
    denial: PairingResult | None = None


_GONE_STATES: dict[GoneReason, PublicState] = {
    GoneReason.SIGNED_IN: "signed_in",
    GoneReason.FAILED: "failed",
    GoneReason.DENIED: "denied",
    GoneReason.EXPIRED: "expired",
    GoneReason.CANCELLED: "cancelled",
    GoneReason.COLLECTED: "collected",
    GoneReason.WRONG_NUMBER: "wrong_number",
    GoneReason.DENIED_ON_PAGE: "denied_on_page",
}


_LIVE_STATES: dict[Stage, PublicState] = {
    Stage.PENDING: "pending",
    Stage.AUTHORIZED: "authorized",
    Stage.FINISHING: "finishing",
}


def _live_state(pairing: Pairing) -> PublicState:
    if pairing.result is not None and pairing.result.kind is ResultKind.DENIED:
        return _GONE_STATES[pairing.result.ending]
    return _LIVE_STATES[pairing.stage]


class BrowserOperations(Operations):
    async def page(self, pairing_id: str) -> Pairing:
        """The pairing a browser page is about (404/410 as a RelayError)."""
        return await self.load(pairing_id)

    async def show(self, pairing_id: str, presented: str | None) -> Shown:
        """The pairing a confirmation page is about (404/410 as a RelayError), and whether
        the browser (`presented`, its binding secret) holds it.

        A page that shows the user code of a numbered pairing to any other browser takes
        the pairing's first sight: from then on a code typed on /link may have been read
        off that page, and the typist must choose the number too (`link`).
        """
        pairing = await self.load(pairing_id)
        bound = codes.binding_secret_matches(presented, pairing.binding_hash)
        if pairing.pending and not bound and pairing.match_number is not None:
            await self._take_first_sight(pairing)
        return Shown(pairing, bound)

    async def link(self, typed: str, client: Client, *, cross_site: bool) -> TypedCode:
        """A code typed on /link (`find_user_code`), and the binding of this browser when
        the code proves that it sees the terminal.

        The code proves that only if no page showed it before: the confirmation page
        shows it to anyone who holds the link. So a numbered pairing that is pending and
        unbound binds the typist here when typing takes the pairing's first sight
        (atomically, on both stores), and the page then offers this browser the one
        "continue" button instead of the numbers (docs/security.md#typing-the-code). A
        code posted from another site (`cross_site`) or typed after a page showed it
        binds nothing: the page asks for the number, as it would anyone.
        """
        pairing_id = await self.find_user_code(typed, client)
        found = await self.find(pairing_id)
        if (
            cross_site
            or isinstance(found, Tombstone)
            or not found.pending
            or found.match_number is None
            or found.binding_hash is not None
            or not await self._take_first_sight(found)
        ):
            return TypedCode(pairing_id, None)
        secret, _ = await self._bind(found, client)
        if secret is None:  # ended, or bound by another browser in the meantime
            return TypedCode(pairing_id, None)
        return TypedCode(pairing_id, Confirmation(found, secret))

    async def _take_first_sight(self, pairing: Pairing) -> bool:
        """Take the pairing's one first-sight token; whether this call got it.

        The bucket refills over RELAY_PAIRING_TTL, and a pairing lives at most that long
        from its creation, so the token is never there twice in its life.
        """
        per_second = 1 / self.settings.pairing_ttl
        key = FIRST_SIGHT + pairing.pairing_id
        return await self.store.draw(key, 1, per_second, 1) == 0

    async def find_user_code(self, typed: str, client: Client) -> str:
        """The pairing id for a user code a person typed on /link.

        Besides each client's own limit, failed lookups draw on one budget for the whole
        relay (RELAY_LINK_MISSES per rate window, a token bucket), so that guessing
        codes from many networks at once stays too slow to matter
        (docs/security.md#guessing-user-codes). While the budget is empty every lookup
        is refused, a right code too: answering those would go on telling a guesser
        which codes exist.
        """
        await self.limit("browser", client.address, self.settings.rate_browser)
        user_code = codes.normalize_user_code(typed)
        if user_code is None:
            raise invalid_request("a code has 8 letters, like BDKM-TRWX")
        wait = await self._draw_link_budget(1)  # taken first, so racing guesses cannot overdraw
        if wait > 0:
            self.metrics.rejected.labels(reason="link_misses").inc()
            raise too_many_wrong_codes(max(1.0, math.ceil(wait)))
        pairing_id = await self.store.find_by_user_code(user_code)
        if pairing_id is None:
            raise no_pairing_with_code()
        await self._draw_link_budget(-1)  # a right code costs nothing: given back
        return pairing_id

    async def _draw_link_budget(self, cost: float) -> float:
        """Take `cost` from the relay-wide budget of failed lookups (a negative cost
        gives back); seconds until it holds that much, if it does not now (`draw`)."""
        settings = self.settings
        per_second = settings.link_misses / settings.rate_window
        return await self.store.draw(LINK_MISSES, settings.link_misses, per_second, cost)

    async def confirm(
        self,
        pairing_id: str,
        client: Client,
        presented: str | None,
        *,
        cross_site: bool,
        number: int | None = None,
    ) -> Confirmation:
        """The "this is my terminal" step: bind the pairing to this browser.

        The first browser to confirm gets a new binding secret (the caller hands it over
        as a cookie); only requests that carry it may complete the pairing, which is what
        stops a forwarded link (device-code phishing) from delivering someone else's
        sign-in. The same browser confirming again (back button) carries the secret and
        passes; any other browser is refused. A confirmation posted from another site
        (`cross_site`, from the browser's fetch metadata) is refused too: otherwise a page
        anywhere could press the button for its visitor, who would never see the code.

        When the host shows a number, the first confirmation must come with it
        (`number`, one of the three the page offers): any other ends the pairing at once
        with a WRONG_NUMBER denial that the host sees (docs/security.md#number-matching),
        so a blind guess wins once in three tries and never twice.
        """
        await self.limit("browser", client.address, self.settings.rate_browser)
        pairing = await self.load(pairing_id)
        if cross_site:
            self.refuse(pairing, client, "cross_site_confirmation")
            raise cross_site_confirmation()
        held = pairing.binding_hash
        if held is None and pairing.match_number is not None:
            if number is None:
                raise choose_a_number()
            if number != pairing.match_number:
                return await self._wrong_number(pairing, client)
        if held is None:
            secret, held = await self._bind(pairing, client)
            if secret is not None:
                return Confirmation(pairing, secret)
            if held is None:
                raise already_completed()
        elif not pairing.pending:
            raise already_completed()
        if not codes.binding_secret_matches(presented, held):
            self.refuse(pairing, client, "confirmed_elsewhere")
            raise confirmed_elsewhere()
        return Confirmation(pairing, None)

    async def _bind(self, pairing: Pairing, client: Client) -> tuple[str | None, str | None]:
        """Bind the pairing to this browser, with the confirmation notice's when and
        where (the store's first binding wins). Returns the new binding secret if this
        call bound it, else None; and the binding the pairing holds afterwards, None if
        it is no longer pending."""
        secret = codes.new_binding_secret()
        by = ConfirmedBy(client.address, browser_summary(client.user_agent))
        held = await self.store.mark_confirmed(
            pairing.pairing_id, self.clock(), codes.hash_binding_secret(secret), by
        )
        if held is None or not codes.binding_secret_matches(secret, held):
            return None, held
        self.audit("confirmed", pairing, client)
        return secret, held

    async def _wrong_number(self, pairing: Pairing, client: Client) -> Confirmation:
        """End the pairing: someone chose a number that is not the terminal's."""
        denial = PairingResult(
            kind=ResultKind.DENIED, error=WRONG_NUMBER, error_description=WRONG_NUMBER_DESCRIPTION
        )
        if not await self.store.set_result(pairing.pairing_id, denial, self.settings.result_ttl):
            raise already_completed()
        self.refuse(pairing, client, "wrong_number")
        return Confirmation(pairing, None, wrong_number=True)

    async def cancel(
        self, pairing_id: str, client: Client, presented: str | None, *, cross_site: bool
    ) -> Pairing:
        """The page's "not me" button: end the pending pairing as a denial
        (DENIED_ON_PAGE) that the waiting host sees at once, as it sees the provider's
        (docs/security.md#cancelling-on-the-page).

        Only the browser that confirmed may press it, as only it may complete the
        pairing: someone who merely holds the link (a message seen in a shared channel)
        cannot stop a person's renewals this way. A wrong number still ends a pairing
        for anyone, but as WRONG_NUMBER, which a renewal takes as a failed attempt, not
        as the person's no. Posted from another site (`cross_site`), it is refused
        before anything else, as the confirmation is.
        """
        await self.limit("browser", client.address, self.settings.rate_browser)
        pairing = await self.load(pairing_id)
        if cross_site:
            self.refuse(pairing, client, "cross_site_cancellation")
            raise cross_site_cancellation()
        if not pairing.pending:
            raise already_completed()
        self._check_binding(pairing, presented, client)
        denial = PairingResult(
            kind=ResultKind.DENIED,
            error=DENIED_ON_PAGE,
            error_description=DENIED_ON_PAGE_DESCRIPTION,
        )
        await self._finish(pairing, denial, client)
        return pairing

    def _check_binding(self, pairing: Pairing, presented: str | None, client: Client) -> None:
        """Only the browser that confirmed may complete the pairing
        (docs/security.md#browser-binding)."""
        if not codes.binding_secret_matches(presented, pairing.binding_hash):
            self.refuse(pairing, client, "unconfirmed_browser")
            raise unconfirmed_browser()

    async def callback(
        self, params: Mapping[str, list[str]], client: Client, bindings: Mapping[str, str]
    ) -> str:
        """Seal what the provider sent back (redirect mode); returns the pairing id.

        `bindings` maps pairing ids to the binding secrets the browser presented
        (cookies); the pairing's own must be among them, for a denial as for a code.
        """
        await self.limit("browser", client.address, self.settings.rate_browser)
        single: dict[str, str] = {}
        for key in _CALLBACK_PARAMETERS:
            values = params.get(key, [])
            if len(values) > 1:
                raise invalid_request(f"{key} appears more than once")
            if values:
                if len(values[0]) > MAX_CALLBACK_VALUE:
                    raise invalid_request(f"{key} is too long")
                single[key] = values[0]
        state = single.get("state", "")
        if not STATE_PATTERN.fullmatch(state):
            raise invalid_request("the provider sent no valid state")
        pairing_id = await self.store.find_by_state(state)
        if pairing_id is None:
            raise no_pairing_with_state()
        pairing = await self.load(pairing_id)
        if pairing.mode is not PairingMode.REDIRECT:
            raise wrong_mode("this sign-in request expects a pasted code")
        if not pairing.pending:
            raise already_completed()
        self._check_binding(pairing, bindings.get(pairing_id), client)
        if "error" in single:
            result = PairingResult(
                kind=ResultKind.DENIED,
                error=stripped(single["error"], 64) or "access_denied",
                error_description=stripped(single.get("error_description", ""), 300),
            )
        elif single.get("code"):
            answer = SealedCallback(code=single["code"], state=state, iss=single.get("iss"))
            result = self._sealed(pairing, answer)
        else:
            raise invalid_request("the provider sent neither a code nor an error")
        await self._finish(pairing, result, client)
        return pairing_id

    async def paste(
        self, pairing_id: str, text: str, client: Client, presented: str | None
    ) -> Pairing:
        """Seal what the person pasted (paste mode), if this browser confirmed the pairing."""
        await self.limit("browser", client.address, self.settings.rate_browser)
        pairing = await self.load(pairing_id)
        if pairing.mode is not PairingMode.PASTE:
            raise wrong_mode("this sign-in request does not take a pasted code")
        if not pairing.pending:
            raise already_completed()
        self._check_binding(pairing, presented, client)
        pasted = text.strip()
        if not pasted:
            raise invalid_request("paste the code the provider showed you")
        if len(pasted) > MAX_PASTE:
            raise invalid_request("that is too long to be a sign-in code")
        await self._finish(pairing, self._sealed(pairing, SealedPaste(pasted=pasted)), client)
        return pairing

    def _sealed(self, pairing: Pairing, answer: BaseModel) -> PairingResult:
        plaintext = answer.model_dump_json(exclude_none=True).encode()
        try:
            sealed = seal(plaintext, parse_public_key(pairing.public_key), pairing.pairing_id)
        except SealingError:
            raise invalid_request("the answer is too large to deliver") from None
        return PairingResult(kind=ResultKind.COMPLETE, sealed=sealed)

    async def _finish(self, pairing: Pairing, result: PairingResult, client: Client) -> None:
        won = await self.store.set_result(pairing.pairing_id, result, self.settings.result_ttl)
        if not won:
            raise already_completed()
        denied = result.kind is ResultKind.DENIED
        self.metrics.pairings_completed.labels(outcome="denied" if denied else "authorized").inc()
        self.audit(
            "denied" if denied else "authorized",
            pairing,
            client,
            outcome="denied" if denied else "success",
            error=result.error,
        )

    async def public_status(self, pairing_id: str) -> PublicState:
        """Where the pairing stands, for anyone with its link (404 if unknown)."""
        found = await self.find(pairing_id)
        if isinstance(found, Tombstone):
            return _GONE_STATES[found.reason]
        return _live_state(found)

    async def progress(self, pairing_id: str, presented: str | None) -> Progress:
        """Where the pairing stands, with the host's outcome or the provider's denial for
        the browser that confirmed it (`presented` is its binding secret) and nobody else."""
        found = await self.find(pairing_id)
        if isinstance(found, Tombstone):
            bound = codes.binding_secret_matches(presented, found.binding_hash)
            outcome = found.outcome if bound else None
            return Progress(_GONE_STATES[found.reason], found.hostname, bound, outcome=outcome)
        bound = codes.binding_secret_matches(presented, found.binding_hash)
        state = _live_state(found)
        denial = found.result if bound and state == "denied" else None
        return Progress(state, found.host.hostname, bound, denial=denial)
