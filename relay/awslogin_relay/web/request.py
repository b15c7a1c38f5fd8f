"""What routes read from a request: the service, who is asking, tokens and cookies.

Fast paths and FastAPI routes alike take a Starlette `Request` and use these helpers, so
a request is parsed the same way whichever way it was routed.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from awslogin_relay.domain.operations import Client
from awslogin_relay.domain.service import PairingService
from awslogin_relay.web.binding import presented_bindings
from awslogin_relay.web.client_address import client_address

_SERVICE = "awslogin_relay.service"


def service_of(request: Request) -> PairingService:
    """The app's pairing service (looked up once per request, then kept in the scope)."""
    scope = request.scope
    service: PairingService | None = scope.get(_SERVICE)
    if service is None:
        service = scope[_SERVICE] = scope["app"].state.service
    return service


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """Every (name, value) of the query string, repeats and blanks included, in order.

    Parsed on each call and not cached on the request, so that nothing of it outlives
    the handler's use (a waiting long-poll holds its request).
    """
    return parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)


async def body_of(request: Request) -> bytes:
    """The whole request body (the body limit applies while it is read: `web.middleware`).

    A plain loop over `receive`: Starlette's `Request.body()` goes through an async
    generator, which costs more on a fast path than the read itself.
    """
    chunks = []
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def header(request: Request, name: bytes) -> str | None:
    """The first value of a header (`name` in lower case, as ASGI gives names).

    Read straight from the ASGI scope: the fast paths read a few headers each, and
    Starlette's `Headers` costs a few microseconds more per request for the same answer.
    """
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def client_of(request: Request) -> Client:
    """The client address (X-Forwarded-For only from trusted proxies) and user agent."""
    return Client(
        address=client_address(request.scope, service_of(request).settings.trusted_proxies),
        user_agent=(header(request, b"user-agent") or "")[:256],
    )


def posted_cross_site(request: Request) -> bool:
    """Whether the browser says this form was posted from another site.

    Fetch metadata first (every current browser sends Sec-Fetch-Site); else the Origin
    header against the relay's public origin. A client that sends neither is no
    browser a phishing page could drive, and passes.
    """
    site = header(request, b"sec-fetch-site")
    if site is not None:
        return site != "same-origin"
    origin = header(request, b"origin")
    return origin is not None and origin != service_of(request).settings.public_origin


def bearer_token(request: Request) -> str | None:
    scheme, _, token = (header(request, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def binding_secrets(request: Request) -> dict[str, str]:
    """Pairing id → binding secret, for every binding cookie the browser sent.

    Every Cookie header counts (HTTP/2 may send one per cookie).
    """
    cookies = [value for key, value in request.scope["headers"] if key == b"cookie"]
    joined = b"; ".join(cookies).decode("latin-1")
    return presented_bindings(joined, service_of(request).settings.secure_cookies)


def binding_secret(request: Request, pairing_id: str) -> str | None:
    """The binding secret this browser holds for the pairing, if any."""
    return binding_secrets(request).get(pairing_id)
