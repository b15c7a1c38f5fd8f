"""What routes read from a request: the service, who is asking, tokens and cookies.

Fast paths and FastAPI routes alike take a Starlette `Request` and use these helpers, so
a request is parsed the same way whichever way it was routed.
"""

from __future__ import annotations

from starlette.requests import Request

from awslogin_relay.domain.operations import Client
from awslogin_relay.domain.service import PairingService
from awslogin_relay.web.binding import presented_bindings
from awslogin_relay.web.client_address import client_address


def service_of(request: Request) -> PairingService:
    service: PairingService = request.app.state.service
    return service


def client_of(request: Request) -> Client:
    """The client address (X-Forwarded-For only from trusted proxies) and user agent."""
    return Client(
        address=client_address(request.scope, service_of(request).settings.trusted_proxies),
        user_agent=request.headers.get("user-agent", "")[:256],
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def binding_secrets(request: Request) -> dict[str, str]:
    """Pairing id → binding secret, for every binding cookie the browser sent.

    Every Cookie header counts (HTTP/2 may send one per cookie).
    """
    header = "; ".join(request.headers.getlist("cookie"))
    return presented_bindings(header, service_of(request).settings.secure_cookies)


def binding_secret(request: Request, pairing_id: str) -> str | None:
    """The binding secret this browser holds for the pairing, if any."""
    return binding_secrets(request).get(pairing_id)
