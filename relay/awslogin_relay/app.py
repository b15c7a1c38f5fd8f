"""The relay application: `create_app(settings)` wires store, service, routes and middleware."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from awslogin_relay.domain.service import PairingService
from awslogin_relay.domain.store import Now, PairingStore
from awslogin_relay.logs import configure_logging
from awslogin_relay.metrics import RelayMetrics
from awslogin_relay.settings import Settings
from awslogin_relay.store import open_store
from awslogin_relay.web import browser, console, host_api, link, ops
from awslogin_relay.web.client_address import client_address
from awslogin_relay.web.errors import install_error_handlers
from awslogin_relay.web.fastpaths import FastPathDispatch
from awslogin_relay.web.middleware import RelayMiddleware, security_headers
from awslogin_relay.web.openapi import document_fast_paths

SWEEP_SECONDS = 1.0
# FastAPI's built-in OpenTelemetry (newer releases) records request URLs, which on
# /callback carry the authorization code and state, and exception messages. The relay
# keeps its own access log without query strings, so it switches all of that off.
_NO_TELEMETRY: dict[str, Any] = (
    {
        "telemetry": {
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }
    }
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)
_log = logging.getLogger("awslogin_relay")


def create_app(
    settings: Settings,
    *,
    store: PairingStore | None = None,
    clock: Now = time.time,
) -> FastAPI:
    """Build the relay. `store` and `clock` default to RELAY_STORE and the wall clock."""
    pairing_store = store or open_store(
        settings.store, clock=clock, tombstone_ttl=settings.tombstone_ttl
    )
    metrics = RelayMetrics()
    service = PairingService(settings, pairing_store, metrics, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.allowed_origins:
            _log.warning("RELAY_ALLOWED_ORIGINS is empty: every pairing will be refused")
        sweeper = asyncio.create_task(_sweep_forever(service))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await pairing_store.close()

    app = FastAPI(
        **_NO_TELEMETRY,
        title="awslogin relay",
        version="1",
        summary="Pairs a browser-side sign-in with a host waiting for it (protocol v1).",
        lifespan=lifespan,
        docs_url=None,  # the docs UI loads third-party scripts; the schema stays available
        redoc_url=None,
    )
    app.state.service = service
    install_error_handlers(app)
    for table in (host_api.router, browser.router, console.router, link.router, ops.router):
        table.install(app)
    # the pairing lifecycle's four requests, served ahead of FastAPI (see web.fastpaths)
    fast_paths = (
        *host_api.fast_paths.paths,
        *browser.fast_paths.paths,
        *console.fast_paths.paths,
    )
    app.mount(
        "/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="static",
    )
    app.add_middleware(FastPathDispatch, paths=fast_paths)
    app.add_middleware(  # outside the fast paths: it applies to every answer
        RelayMiddleware,
        max_body=settings.max_body,
        headers=security_headers(settings.allowed_origins),
        metrics=metrics,
        client_of=partial(_scope_client, proxies=settings.trusted_proxies),
    )
    document_fast_paths(app, ((fast.method, fast.path, fast.operation) for fast in fast_paths))
    return app


def _scope_client(scope: dict[str, object], *, proxies: tuple[object, ...]) -> str:
    return client_address(scope, proxies)  # type: ignore[arg-type]


async def _sweep_forever(service: PairingService) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await service.sweep()
        except Exception as exc:  # keep sweeping; a store hiccup must not end expiry
            _log.warning("sweep failed: %s", type(exc).__name__)


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (used with several workers): settings from os.environ."""
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level)
    return create_app(settings)
