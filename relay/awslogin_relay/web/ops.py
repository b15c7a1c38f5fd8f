"""Liveness, readiness and metrics for whoever runs the relay."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from awslogin_relay.domain.store import StoreError
from awslogin_relay.web.context import service_of
from awslogin_relay.web.routing import RouteTable

router = RouteTable(tags=["operations"])


@router.get("/healthz", response_model=None)
async def healthz() -> JSONResponse:
    """The process serves requests (no dependency checked)."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    """The store answers; a load balancer should stop sending traffic otherwise."""
    try:
        await service_of(request).store.ping()
    except (StoreError, OSError):
        return JSONResponse(
            {"error": "temporarily_unavailable", "error_description": "store unavailable"},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_model=None)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    registry = service_of(request).metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """Browsers ask for it on every page; an empty answer keeps their consoles clean."""
    return Response(status_code=204)
