"""Per-request facts the routes need: the service and who is asking."""

from __future__ import annotations

from starlette.requests import Request

from awslogin_relay.domain.operations import Client
from awslogin_relay.domain.service import PairingService
from awslogin_relay.web.client_address import client_address


def service_of(request: Request) -> PairingService:
    service: PairingService = request.app.state.service
    return service


def client_of(request: Request) -> Client:
    service = service_of(request)
    return Client(
        address=client_address(request.scope, service.settings.trusted_proxies),
        user_agent=request.headers.get("user-agent", "")[:256],
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
