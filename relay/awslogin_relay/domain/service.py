"""The pairing service: every rule of relay protocol v1, independent of HTTP.

Routes parse requests and render answers; the service decides. `host` holds what the
host does (create, poll, cancel; `host_operations`), `browser` what the person's browser
does (confirm, callback, paste, ...; `browser_operations`), `console` the console
page's part of a console handover (`console_operations`); refusals are the
constructors of `errors`. The composition root (`awslogin_relay.app`) builds one service
per app, on the store it chose.
"""

from __future__ import annotations

from awslogin_relay.domain.audit import audit
from awslogin_relay.domain.browser_operations import BrowserOperations
from awslogin_relay.domain.console_operations import ConsoleOperations
from awslogin_relay.domain.host_operations import HostOperations
from awslogin_relay.domain.operations import Operations
from awslogin_relay.domain.store import Now, PairingStore
from awslogin_relay.metrics import RelayMetrics
from awslogin_relay.settings import Settings


class PairingService(Operations):
    def __init__(
        self, settings: Settings, store: PairingStore, metrics: RelayMetrics, clock: Now
    ) -> None:
        super().__init__(settings, store, metrics, clock)
        self.host = HostOperations(settings, store, metrics, clock)
        self.browser = BrowserOperations(settings, store, metrics, clock)
        self.console = ConsoleOperations(settings, store, metrics, clock)

    async def sweep(self) -> int:
        """Expire what is due (for the audit log and metrics); returns how many expired."""
        expired = await self.store.sweep_expired()
        for pairing in expired:
            self.metrics.pairings_expired.inc()
            audit("expired", pairing, address="-", user_agent="awslogin-relay", outcome="expired")
        return len(expired)
