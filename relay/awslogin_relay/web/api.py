"""The JSON API the host uses: create, long-poll, cancel, and discovery."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from awslogin_relay.domain.codes import format_user_code
from awslogin_relay.domain.errors import RelayError, invalid_token
from awslogin_relay.domain.service import NewPairing
from awslogin_relay.store import PairingMode
from awslogin_relay.web.context import bearer_token, client_of, service_of
from awslogin_relay.web.routing import RouteTable
from awslogin_relay.web.schemas import (
    ERRORS,
    CreatedPairingOut,
    CreatePairingIn,
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


@router.post(
    "/v1/pairings",
    status_code=201,
    response_model=None,
    responses={201: {"model": CreatedPairingOut}, **ERRORS},
)
async def create_pairing(body: CreatePairingIn, request: Request) -> JSONResponse:
    """Start a pairing; the poll token in the answer is the only copy anywhere."""
    service = service_of(request)
    required = service.settings.create_token
    if required is not None:
        token = bearer_token(request)
        if token is None or not hmac.compare_digest(token.encode(), required.encode()):
            raise RelayError(401, "invalid_token", "this relay needs a creation token")
    pairing, poll_token = await service.create(
        NewPairing(
            authorize_url=body.authorize_url,
            mode=PairingMode(body.mode),
            public_key=body.public_key,
            hostname=body.host.hostname,
            user=body.host.user,
            client=body.host.client,
        ),
        client_of(request),
    )
    settings = service.settings
    return JSONResponse(
        {
            "pairing_id": pairing.pairing_id,
            "user_code": format_user_code(pairing.user_code),
            "verification_uri": settings.verification_uri,
            "verification_uri_complete": f"{settings.public_url}/p/{pairing.pairing_id}",
            "poll_token": poll_token,
            "expires_in": settings.pairing_ttl,
            "interval": settings.poll_interval,
        },
        status_code=201,
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
    await service_of(request).cancel(pairing_id, token, client_of(request))
    return Response(status_code=204)
