"""A console handover: the browser's side of a console pairing (docs/protocol.md,
"Console handover").

The host wants to hand the person an AWS console sign-in URL, a bearer credential, and
the relay must never be able to read it (docs/security.md, invariant 13). So after the
"this is my terminal" step the console page makes a key pair in WebCrypto and posts its
public key: once, and only from the browser that confirmed (the binding cookie). The
relay seals that key to the host, as it seals any result; the host seals the URL to the
browser's key and reports it with its outcome; the relay hands the ciphertext back to the
bound browser only, which opens it and goes there. The relay holds ciphertext only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from awslogin_protocol.messages import PairingMode, SealedConsoleKey
from awslogin_protocol.sealing import SealingError, check_browser_key
from awslogin_relay.domain import codes
from awslogin_relay.domain.browser_operations import BrowserOperations
from awslogin_relay.domain.errors import (
    already_completed,
    invalid_request,
    unconfirmed_browser,
    wrong_mode,
)
from awslogin_relay.domain.operations import Client
from awslogin_relay.domain.pairing import GoneReason, Pairing, Tombstone


@dataclass(frozen=True, slots=True)
class Handover:
    """What the console page learns: `waiting` for the host, `ready` with the sealed URL,
    or `ended` (the host failed, the pairing expired or was cancelled)."""

    status: Literal["waiting", "ready", "ended"]
    sealed: str | None = None


class ConsoleOperations(BrowserOperations):
    async def post_key(
        self, pairing_id: str, browser_key: str, client: Client, presented: str | None
    ) -> Pairing:
        """Take the confirming browser's public key, once, sealed to the host."""
        await self.limit("browser", client.address, self.settings.rate_browser)
        pairing = await self.load(pairing_id)
        if pairing.mode is not PairingMode.CONSOLE:
            raise wrong_mode("this sign-in request is no console handover")
        self._check_binding(pairing, presented, client)
        if not pairing.pending:
            self.refuse(pairing, client, "key_replayed")
            raise already_completed()
        try:
            check_browser_key(browser_key)
        except SealingError as exc:
            raise invalid_request(f"public_key is {exc}") from None
        result = self._sealed(pairing, SealedConsoleKey(browser_key=browser_key))
        await self._finish(pairing, result, client)
        return pairing

    async def handover(self, pairing_id: str, presented: str | None) -> Handover:
        """The sealed console URL for the browser that confirmed, once the host sent it;
        403 for any other browser, whatever the pairing's state."""
        found = await self.find(pairing_id)
        if not codes.binding_secret_matches(presented, found.binding_hash):
            raise unconfirmed_browser()
        if isinstance(found, Tombstone):
            sealed = found.outcome.sealed_console if found.outcome is not None else None
            if found.reason is GoneReason.SIGNED_IN and sealed is not None:
                return Handover("ready", sealed)
            return Handover("ended")
        if found.mode is not PairingMode.CONSOLE:
            raise wrong_mode("this sign-in request is no console handover")
        return Handover("waiting")
