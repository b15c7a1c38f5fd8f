"""An endpoint serving one profile's live credentials, as `serve` and `exec` run it.

One endpoint serves one profile with a token of its own (README, "Several profiles"): the
URL alone says which credentials a client gets, a token given to a container opens one
profile and no other, and one session's end or failure touches no other endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Mapping
from urllib.parse import quote

from awslogin.adapters.credentials_endpoint import (
    TOKEN_VARIABLE,
    URI_VARIABLE,
    AuditSink,
    CredentialsEndpoint,
)
from awslogin.usecases.live_credentials import LiveCredentials, Say
from awslogin.usecases.refusal_audit import MergedRefusals
from awslogin.usecases.renewal import AuditEvent, Renewal, RenewalOptions
from awslogin.usecases.snapshot import Snapshot


def credentials_path(profile: str) -> str:
    return "/credentials/" + quote(profile, safe="")


class Serving:
    """The live credentials of `profile` behind an endpoint on `host:port` (0: any port)."""

    def __init__(
        self,
        profile: str,
        environ: Mapping[str, str],
        *,
        host: str,
        port: int,
        audit: AuditSink,
        say: Say,
        debug: bool = False,
        renewal: RenewalOptions | None = None,
        renewal_audit: AuditEvent | None = None,
    ) -> None:
        """`renewal`: renew the session from the phone before it ends (usecases/renewal.py)."""
        self.profile = profile
        self.token = secrets.token_urlsafe(32)
        self.live = LiveCredentials(profile, environ, say=say, debug=debug)
        if renewal is not None:
            self.live.renewal = Renewal(
                profile,
                environ,
                renewal,
                say=say,
                audit=renewal_audit or (lambda detail: None),
                on_saved=self.live.fetch,
                debug=debug,
            )
        # Refusals are merged per client and minute: a flood of them cannot flood the log.
        self._audit = MergedRefusals(audit)
        self.endpoint = CredentialsEndpoint(
            host=host,
            port=port,
            path=credentials_path(profile),
            token=self.token,
            credentials=self.live.answer,
            audit=self._audit,
        )

    async def open(self, *, ended_ok: bool = False) -> Snapshot | None:
        """Fetch the first credentials (nothing to serve: the failure, raised), then listen.
        `ended_ok` (serve): with a renewal, a session that has ended is no failure: it
        listens, answers LoginRequired and renews at once (None; LiveCredentials.start),
        so that a unit restarted after the session's end does not fail over and over."""
        snapshot = await self.live.start(ended_ok=ended_ok)
        await self.endpoint.start()
        return snapshot

    def variables(self) -> dict[str, str]:
        """What a client's environment needs to reach this endpoint: the URL and the token
        (the region is `usecases.child_region`'s)."""
        return {URI_VARIABLE: self.endpoint.url, TOKEN_VARIABLE: self.token}

    async def run(self, stopped: asyncio.Event) -> None:
        """Serve and keep the session alive until `stopped` is set; then close."""
        keeper = asyncio.ensure_future(self.live.keep_alive())
        try:
            await stopped.wait()
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            await self.close()

    async def close(self) -> None:
        """Stop listening, let the fetch under way finish, write the refusals counted."""
        await self.endpoint.close()
        await self.live.drain()  # requests still open get no new fetch
        self._audit.close()
