"""What every pairing operation shares: the store, the limits, finding a pairing, audit.

The host's operations (`host_operations`) and the browser's (`browser_operations`) build
on this; `service.PairingService` puts them together for the web layer. Nothing here
keeps state of its own (everything lives in the store), so several replicas sharing a
Redis store behave as one relay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from awslogin_relay.domain import codes
from awslogin_relay.domain.audit import audit
from awslogin_relay.domain.errors import gone_error, too_many_requests, unknown_pairing
from awslogin_relay.domain.networks import ClientNetwork, client_networks
from awslogin_relay.domain.pairing import Pairing, Tombstone
from awslogin_relay.domain.store import Now, PairingStore
from awslogin_relay.metrics import RelayMetrics
from awslogin_relay.settings import Settings


@dataclass(frozen=True, slots=True)
class Client:
    """Who sent a request, as far as the relay can tell (for limits and the audit log)."""

    address: str
    user_agent: str


class Operations:
    def __init__(
        self, settings: Settings, store: PairingStore, metrics: RelayMetrics, clock: Now
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.clock = clock

    def networks_of(self, address: str) -> tuple[ClientNetwork, ...]:
        """The networks the per-client limits count `address` under (`domain.networks`)."""
        settings = self.settings
        return client_networks(address, settings.ipv4_prefix, settings.ipv6_prefixes)

    async def limit(self, bucket: str, address: str, allowed: int) -> tuple[ClientNetwork, ...]:
        """Count this request against `bucket` for each of the address's networks, the
        client's own first; 429 past `allowed` times the network's scale. A refused
        request counts no further: a client's own refusals never use up the larger
        networks' shares (docs/security.md#fair-share). Returns the networks."""
        networks = self.networks_of(address)
        for network in networks:
            await self.charge(bucket, f"{bucket}:{network.key}", allowed * network.scale)
        return networks

    async def charge(self, bucket: str, key: str, allowed: int) -> None:
        """Count one hit on the rate key `key`; 429 (counted as `bucket`) past `allowed`."""
        hit = await self.store.hit_rate(key, self.settings.rate_window)
        if hit.count > allowed:
            self.metrics.rejected.labels(reason=f"rate_{bucket}").inc()
            raise too_many_requests(max(1.0, math.ceil(hit.retry_after)))

    async def find(self, pairing_id: str) -> Pairing | Tombstone:
        """The live pairing, or the tombstone of one that ended recently; else 404."""
        if not codes.is_pairing_id(pairing_id):
            raise unknown_pairing()
        pairing = await self.store.get(pairing_id)
        if pairing is not None:
            return pairing
        tomb = await self.store.gone(pairing_id)
        if tomb is not None:
            return tomb
        raise unknown_pairing()

    async def load(self, pairing_id: str) -> Pairing:
        """The live pairing, or 410 if it ended recently, or 404."""
        found = await self.find(pairing_id)
        if isinstance(found, Tombstone):
            raise gone_error(found)
        return found

    def audit(
        self,
        action: str,
        pairing: Pairing,
        client: Client,
        *,
        outcome: str = "success",
        error: str | None = None,
    ) -> None:
        audit(
            action,
            pairing,
            address=client.address,
            user_agent=client.user_agent,
            outcome=outcome,
            error=error,
        )

    def refuse(self, pairing: Pairing, client: Client, outcome: str) -> None:
        """Count and audit a refusal that concerns a pairing (the caller raises the error)."""
        self.metrics.rejected.labels(reason=outcome).inc()
        self.audit("refused", pairing, client, outcome=outcome)
