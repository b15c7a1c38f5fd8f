"""What the host does with a pairing: create it, long-poll for its result, acknowledge
the result, report how its login ended, or cancel it.

The poll token is the host's proof of ownership: it exists only in the answer to
`create` (the store keeps its hash), and every later request must carry it. Delivery is
at-least-once to the token's holder: every poll returns the result again until the host
acknowledges it or the redelivery window ends (docs/protocol.md, "Delivery").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from awslogin_protocol.messages import (
    NUMBER_MATCHING_REVISION,
    OUTCOME_REASON_SHOWN,
    OutcomeReport,
    PairingMode,
)
from awslogin_protocol.sealing import SealingError, check_public_key
from awslogin_relay.domain import codes, host_text
from awslogin_relay.domain.authorize_url import AuthorizeUrlRefused, check_authorize_url
from awslogin_relay.domain.errors import (
    RelayError,
    already_reported,
    gone_error,
    invalid_request,
    invalid_token,
    not_authorized,
    number_required,
    result_acknowledged,
    slow_down,
    too_many_pending,
    too_many_pending_here,
    unknown_pairing,
)
from awslogin_relay.domain.networks import ClientNetwork
from awslogin_relay.domain.operations import Client, Operations
from awslogin_relay.domain.pairing import (
    HOST_ENDINGS,
    ConfirmedBy,
    HostInfo,
    Outcome,
    Pairing,
    PairingResult,
    ResultKind,
    Tombstone,
)
from awslogin_relay.domain.store import (
    DuplicateKey,
    PendingCapReached,
    PendingCaps,
    PendingShare,
)
from awslogin_relay.domain.text import stripped


@dataclass(frozen=True, slots=True)
class NewPairing:
    """What a host asks for (the body of `POST /v1/pairings`, validated)."""

    authorize_url: str
    mode: PairingMode
    public_key: str
    hostname: str
    user: str
    client: str
    create_token_id: str | None = None  # the creation token it came with (codes.create_token_id)
    role: str = ""
    revision: int = 1  # the protocol revision the host speaks


@dataclass(frozen=True, slots=True)
class Confirmed:
    """When and by whom a pairing was confirmed, for the host's confirmation notice."""

    at: float
    by: ConfirmedBy


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What a poll returns: still pending (None), or the result (the same on every poll
    until the host acknowledges it); and who confirmed the pairing, once someone has."""

    result: PairingResult | None
    confirmed: Confirmed | None = None


def _confirmed(pairing: Pairing) -> Confirmed | None:
    if pairing.confirmed_at is None or pairing.confirmed_by is None:
        return None
    return Confirmed(pairing.confirmed_at, pairing.confirmed_by)


def reported_outcome(report: OutcomeReport) -> Outcome:
    """What the relay keeps of a host's report: the fields of its outcome, made safe to
    show on the person's page (a role name or "(not shown)"; a reason of one line, no
    control, format or bidi characters)."""
    if report.outcome == "signed_in":
        role = host_text.shown_role_name(report.role)
        return Outcome(signed_in=True, account_id=report.account_id, role=role)
    reason = stripped(report.reason or "", OUTCOME_REASON_SHOWN)
    return Outcome(signed_in=False, reason=reason or None)


def _result_word(pairing: Pairing) -> str:
    """The audit outcome of a delivery or acknowledgement: never anything the host said."""
    denied = pairing.result is not None and pairing.result.kind is ResultKind.DENIED
    return "denied" if denied else "success"


class HostOperations(Operations):
    async def create(self, new: NewPairing, client: Client) -> tuple[Pairing, str]:
        """Create a pairing; returns it and the poll token (which exists nowhere else)."""
        networks = await self.limit("create", client.address, self.settings.rate_create)
        numbered = new.revision >= NUMBER_MATCHING_REVISION
        if not numbered and self.settings.require_number:
            raise number_required()
        try:
            check_public_key(new.public_key)
        except SealingError as exc:
            raise invalid_request(f"public_key is {exc}") from None
        callback = self.settings.callback_uri if new.mode is PairingMode.REDIRECT else None
        try:
            checked = check_authorize_url(
                new.authorize_url,
                allowed_origins=self.settings.allowed_origins,
                callback_uri=callback,
            )
        except AuthorizeUrlRefused as exc:
            raise invalid_request(str(exc)) from None
        caps = self._caps(networks, new.create_token_id)
        token = codes.new_poll_token()
        now = self.clock()
        host = HostInfo(  # cleaned once, here: pages and audit lines show them as stored
            hostname=host_text.shown_hostname(new.hostname),
            user=host_text.shown_user(new.user),
            client=host_text.shown_client(new.client),
            address=client.address,
            user_agent=client.user_agent[:256],
            role=host_text.shown_role(new.role),
        )
        match_number, match_choices = codes.new_match_numbers() if numbered else (None, ())
        for _ in range(5):
            pairing = Pairing(
                pairing_id=codes.new_pairing_id(),
                user_code=codes.new_user_code(),
                state=checked.state,
                mode=new.mode,
                authorize_url=checked.url,
                public_key=new.public_key,
                poll_token_hash=codes.hash_poll_token(token),
                host=host,
                created_at=now,
                expires_at=now + self.settings.pairing_ttl,
                match_number=match_number,
                match_choices=match_choices,
            )
            try:
                await self.store.create(pairing, caps)
            except DuplicateKey as exc:
                if exc.field == "state":
                    raise invalid_request("state was already used by another pairing") from None
                continue
            except PendingCapReached as full:
                raise self._full(full) from None
            break
        else:  # pragma: no cover - 5 collisions of 71-bit ids do not happen
            raise RelayError(503, "temporarily_unavailable", "could not allocate a pairing")
        self.metrics.pairings_created.inc()
        self.audit("created", pairing, client)
        return pairing, token

    def _caps(
        self, networks: tuple[ClientNetwork, ...], create_token_id: str | None
    ) -> PendingCaps:
        """The total cap, and the shares this pairing counts against: each of its client's
        networks (a larger network a larger share) and, if it came with one, its creation
        token (docs/security.md#fair-share)."""
        settings = self.settings
        shares = [
            PendingShare(f"client:{network.key}", settings.max_pending_per_client * network.scale)
            for network in networks
        ]
        if create_token_id is not None:
            shares.append(PendingShare(f"token:{create_token_id}", settings.max_pending_per_token))
        return PendingCaps(total=settings.max_pending, shares=tuple(shares))

    def _full(self, full: PendingCapReached) -> RelayError:
        """503 when the relay is full; 429 when the client's or the token's share is."""
        if full.share is None:
            self.metrics.rejected.labels(reason="max_pending").inc()
            return too_many_pending()
        token = full.share.group.startswith("token:")
        self.metrics.rejected.labels(
            reason="max_pending_token" if token else "max_pending_client"
        ).inc()
        retry_after = full.retry_after if full.retry_after is not None else 30.0
        return too_many_pending_here(retry_after, token=token)

    @staticmethod
    def _check_token(pairing: Pairing, token: str | None) -> None:
        if token is None or not codes.poll_token_matches(token, pairing.poll_token_hash):
            raise invalid_token()

    async def _owned(
        self, pairing_id: str, token: str | None, client: Client
    ) -> Pairing | Tombstone:
        """The live pairing whose poll token this is, or the pairing's tombstone; the
        request is counted only after this is known (docs/security.md#fair-share).

        With the right token, the request counts against its pairing's own rate bucket
        and nothing else: whatever a neighbour on the same network (the same IPv6 /64,
        the same IPv4 NAT) sends without it cannot make the host's requests answer 429.
        Anything else (no or a wrong token, an unknown pairing, a tombstone, which
        needs no token) counts against the client's networks, like an anonymous request.
        The token is compared in constant time (`codes.poll_token_matches`). A request
        with no token at all is anonymous from the start: it is counted before the store
        is read, so a flood of them costs the store nothing past the limit.
        """
        if token is None:
            await self.limit("collect", client.address, self.settings.rate_collect)
            found = await self.find(pairing_id)
            if isinstance(found, Pairing):
                raise invalid_token()
            return found
        try:
            found = await self.find(pairing_id)
            if isinstance(found, Pairing):
                self._check_token(found, token)
        except RelayError:
            await self.limit("collect", client.address, self.settings.rate_collect)
            raise
        if isinstance(found, Tombstone):
            await self.limit("collect", client.address, self.settings.rate_collect)
        else:
            await self.charge("collect", f"pairing:{pairing_id}", self.settings.rate_collect)
        return found

    async def _authorized(self, pairing_id: str, token: str | None, client: Client) -> Pairing:
        """The live pairing whose poll token this is (`_owned`); 410 if it ended."""
        found = await self._owned(pairing_id, token, client)
        if isinstance(found, Tombstone):
            raise gone_error(found)
        return found

    async def _ended(self, pairing_id: str) -> Tombstone:
        """The tombstone of a pairing that the store just found no longer live."""
        found = await self.find(pairing_id)
        if isinstance(found, Tombstone):
            return found
        raise unknown_pairing()  # pragma: no cover - a store that contradicts itself

    async def poll(
        self,
        pairing_id: str,
        token: str | None,
        wait: float,
        client: Client,
        *,
        until_confirmed: bool = False,
    ) -> PollOutcome:
        """Long-poll for the result; every poll with the token gets it until acknowledged.

        `until_confirmed`: the host has not seen a confirmation yet, so the wait also
        ends when a browser confirms (or at once if one has): the terminal then shows
        who it was within moments (docs/protocol.md, "The confirmation notice").
        """
        pairing = await self._authorized(pairing_id, token, client)
        if pairing.acknowledged:
            raise result_acknowledged()
        interval = self.settings.poll_interval
        if interval > 0 and not await self.store.begin_poll(pairing_id, interval):
            self.metrics.rejected.labels(reason="slow_down").inc()
            raise slow_down(interval)
        if pairing.pending and wait > 0:
            timeout = min(wait, self.settings.max_wait, pairing.expires_at - self.clock())
            if timeout > 0:
                self.metrics.active_long_polls.inc()
                try:
                    await self._wait(pairing, timeout, until_confirmed)
                finally:
                    self.metrics.active_long_polls.dec()
        result = await self.store.deliver(pairing_id, self.settings.redelivery_ttl)
        if result is not None:
            self.metrics.pairings_collected.inc()
            outcome = "success" if result.kind is ResultKind.COMPLETE else "denied"
            self.audit("collected", pairing, client, outcome=outcome)
            return PollOutcome(result)
        # 410 if it ended or was acknowledged while we waited
        latest = await self.load(pairing_id)
        if latest.acknowledged:
            raise result_acknowledged()
        return PollOutcome(None, _confirmed(latest))

    async def _wait(self, pairing: Pairing, timeout: float, until_confirmed: bool) -> None:
        """Wait up to `timeout` s for the pairing's result (or, `until_confirmed`, for
        its confirmation). The store also wakes waiters when a browser confirms; a host
        that did not ask for that goes on waiting, so its long-poll is as before."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if until_confirmed and pairing.confirmed_by is not None:
                return
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0 or not await self.store.wait_for_result(pairing.pairing_id, left):
                return
            latest = await self.store.get(pairing.pairing_id)
            if latest is None or not latest.pending:
                return
            pairing = latest

    async def _holding_result(
        self, pairing_id: str, token: str | None, client: Client
    ) -> Pairing | Tombstone:
        """The pairing whose result the token's holder acts on (ack, outcome), checked:
        a live one needs the token and a result; a tombstone answers without a token."""
        found = await self._owned(pairing_id, token, client)
        if isinstance(found, Pairing) and found.pending:
            raise not_authorized()
        return found

    async def acknowledge(self, pairing_id: str, token: str | None, client: Client) -> None:
        """The host opened the result: the relay drops the sealed blob at once.

        Idempotent: acknowledging again, or after the outcome was reported (which implies
        the acknowledgement), changes nothing and succeeds. A tombstone keeps no token
        hash, so that answer needs no token: it tells no more than the public status.
        """
        found = await self._holding_result(pairing_id, token, client)
        if isinstance(found, Pairing):
            before = await self.store.acknowledge(pairing_id, self.settings.result_ttl)
            if before is not None:
                if not before.acknowledged:
                    self.metrics.pairings_acknowledged.inc()
                    self.audit("acknowledged", before, client, outcome=_result_word(before))
                return
            found = await self._ended(pairing_id)
        if found.reason not in HOST_ENDINGS:
            raise gone_error(found)

    async def report(
        self, pairing_id: str, token: str | None, report: OutcomeReport, client: Client
    ) -> None:
        """How the host's login ended; the person's page shows it. Once per pairing.

        The audit line records the outcome word only, never the account, role or reason.
        """
        found = await self._holding_result(pairing_id, token, client)
        if isinstance(found, Pairing):
            outcome = reported_outcome(report)
            before = await self.store.report(pairing_id, outcome)
            if before is not None:
                denied = _result_word(before) == "denied"
                word = "denied" if denied else outcome.gone_reason.value
                self.metrics.pairings_reported.labels(outcome=word).inc()
                self.audit("reported", before, client, outcome=word)
                return
            found = await self._ended(pairing_id)
        if found.reason in HOST_ENDINGS:
            raise already_reported()
        raise gone_error(found)

    async def cancel(self, pairing_id: str, token: str | None, client: Client) -> None:
        """End the pairing (the host gives up before it has a result to act on)."""
        pairing = await self._authorized(pairing_id, token, client)
        if not await self.store.cancel(pairing_id):
            await self.load(pairing_id)
            raise unknown_pairing()  # pragma: no cover - load raised already
        self.metrics.pairings_cancelled.inc()
        self.audit("cancelled", pairing, client)
