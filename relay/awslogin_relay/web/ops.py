"""Liveness, readiness and metrics for whoever runs the relay."""

from __future__ import annotations

import contextlib
from typing import Literal

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from awslogin_protocol.messages import ErrorBody
from awslogin_relay.domain.store import StoreError
from awslogin_relay.web.openapi import Answer, responses
from awslogin_relay.web.render import json_answer
from awslogin_relay.web.request import service_of
from awslogin_relay.web.routing import RouteTable

router = RouteTable(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]


@router.get(
    "/healthz",
    response_model=None,
    responses=responses({200: Answer("the process serves requests", model=Health)}),
)
async def healthz() -> Response:
    """The process serves requests (no dependency checked)."""
    return json_answer(Health(status="ok"))


@router.get(
    "/readyz",
    response_model=None,
    responses=responses(
        {
            200: Answer("the store answers", model=Readiness),
            503: Answer("the store is unavailable", model=ErrorBody),
        }
    ),
)
async def readyz(request: Request) -> Response:
    """The store answers; a load balancer should stop sending traffic otherwise."""
    try:
        await service_of(request).store.ping()
    except (StoreError, OSError):
        unavailable = ErrorBody(
            error="temporarily_unavailable", error_description="store unavailable"
        )
        return json_answer(unavailable, 503)
    return json_answer(Readiness(status="ready"))


@router.get(
    "/metrics",
    response_model=None,
    response_class=PlainTextResponse,
    responses=responses({200: Answer("Prometheus text exposition")}),
)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    service = service_of(request)
    # shared by all replicas when the store is: read it now, keep the last value if it
    # cannot answer (readiness reports that)
    with contextlib.suppress(StoreError, OSError):
        service.metrics.pending_pairings.set(await service.store.count_pending())
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """Browsers ask for it on every page; an empty answer keeps their consoles clean."""
    return Response(status_code=204)
