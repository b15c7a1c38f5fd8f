"""What the host does with a pairing: create it, long-poll for its result, cancel it.

The poll token is the host's proof of ownership: it exists only in the answer to
`create` (the store keeps its hash), and every later request must carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

from awslogin_protocol.messages import PairingMode
from awslogin_protocol.sealing import SealingError, check_public_key
from awslogin_relay.domain import codes
from awslogin_relay.domain.authorize_url import AuthorizeUrlRefused, check_authorize_url
from awslogin_relay.domain.errors import (
    RelayError,
    invalid_request,
    invalid_token,
    slow_down,
    too_many_pending,
    unknown_pairing,
)
from awslogin_relay.domain.operations import Client, Operations
from awslogin_relay.domain.pairing import HostInfo, Pairing, PairingResult, ResultKind
from awslogin_relay.domain.store import DuplicateKey


@dataclass(frozen=True, slots=True)
class NewPairing:
    """What a host asks for (the body of `POST /v1/pairings`, validated)."""

    authorize_url: str
    mode: PairingMode
    public_key: str
    hostname: str
    user: str
    client: str


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What a poll returns: still pending (None), or the result that this poll collected."""

    result: PairingResult | None


class HostOperations(Operations):
    async def create(self, new: NewPairing, client: Client) -> tuple[Pairing, str]:
        """Create a pairing; returns it and the poll token (which exists nowhere else)."""
        await self.limit("create", client.address, self.settings.rate_create)
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
        if await self.store.count_pending() >= self.settings.max_pending:
            self.metrics.rejected.labels(reason="max_pending").inc()
            raise too_many_pending()
        token = codes.new_poll_token()
        now = self.clock()
        host = HostInfo(
            hostname=new.hostname,
            user=new.user,
            client=new.client,
            address=client.address,
            user_agent=client.user_agent[:256],
        )
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
            )
            try:
                await self.store.create(pairing)
            except DuplicateKey as exc:
                if exc.field == "state":
                    raise invalid_request("state was already used by another pairing") from None
                continue
            break
        else:  # pragma: no cover - 5 collisions of 71-bit ids do not happen
            raise RelayError(503, "temporarily_unavailable", "could not allocate a pairing")
        self.metrics.pairings_created.inc()
        self.audit("created", pairing, client)
        return pairing, token

    async def _authorized(self, pairing_id: str, token: str | None) -> Pairing:
        pairing = await self.load(pairing_id)
        if token is None or not codes.poll_token_matches(token, pairing.poll_token_hash):
            raise invalid_token()
        return pairing

    async def poll(
        self, pairing_id: str, token: str | None, wait: float, client: Client
    ) -> PollOutcome:
        """Long-poll for the result; delivers it to exactly one caller."""
        await self.limit("collect", client.address, self.settings.rate_collect)
        pairing = await self._authorized(pairing_id, token)
        interval = self.settings.poll_interval
        if interval > 0 and not await self.store.begin_poll(pairing_id, interval):
            self.metrics.rejected.labels(reason="slow_down").inc()
            raise slow_down(interval)
        if pairing.pending and wait > 0:
            timeout = min(wait, self.settings.max_wait, pairing.expires_at - self.clock())
            if timeout > 0:
                self.metrics.active_long_polls.inc()
                try:
                    await self.store.wait_for_result(pairing_id, timeout)
                finally:
                    self.metrics.active_long_polls.dec()
        result = await self.store.take_result(pairing_id)
        if result is not None:
            self.metrics.pairings_collected.inc()
            outcome = "success" if result.kind is ResultKind.COMPLETE else "denied"
            self.audit("collected", pairing, client, outcome=outcome)
            return PollOutcome(result)
        await self.load(pairing_id)  # 410 if it ended while we waited (taken, expired, ...)
        return PollOutcome(None)

    async def cancel(self, pairing_id: str, token: str | None, client: Client) -> None:
        await self.limit("collect", client.address, self.settings.rate_collect)
        pairing = await self._authorized(pairing_id, token)
        if not await self.store.cancel(pairing_id):
            await self.load(pairing_id)
            raise unknown_pairing()  # pragma: no cover - load raised already
        self.metrics.pairings_cancelled.inc()
        self.audit("cancelled", pairing, client)
