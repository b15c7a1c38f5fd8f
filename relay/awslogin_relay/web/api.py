"""The JSON API the host uses: create, long-poll, cancel, and discovery."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from awslogin_relay.domain.errors import invalid_token
from awslogin_relay.web.context import bearer_token, client_of, service_of
from awslogin_relay.web.routing import RouteTable
from awslogin_relay.web.schemas import (
    ERRORS,
    WellKnownOut,
)

router = RouteTable(tags=["host"])


@router.get(
    "/.well-known/awslogin-relay",
    response_model=None,
    responses={200: {"model": WellKnownOut}},
)
async def discovery(request: Request) -> JSONResponse:
    """What a host needs to know before creating a pairing."""
    settings = service_of(request).settings
    return JSONResponse(
        {
            "version": 1,
            "callback_uri": settings.callback_uri,
            "verification_uri": settings.verification_uri,
            "allowed_authorize_origins": list(settings.allowed_origins),
            "max_wait": settings.max_wait,
            "interval": settings.poll_interval,
        }
    )


@router.delete(
    "/v1/pairings/{pairing_id}",
    status_code=204,
    response_model=None,
    responses=ERRORS,
)
async def cancel_pairing(pairing_id: str, request: Request) -> Response:
    """Cancel a pairing (Bearer poll token); the browser side then sees it as cancelled."""
    token = bearer_token(request)
    if token is None:
        raise invalid_token()
    await service_of(request).host.cancel(pairing_id, token, client_of(request))
    return Response(status_code=204)
