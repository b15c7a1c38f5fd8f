"""The four requests of every pairing, served as raw ASGI ahead of FastAPI's router.

Creation (`POST /v1/pairings`), the browser's "this is my terminal" button
(`POST /p/{pairing_id}/confirm`), the provider's redirect (`GET /callback`) and the
host's long-poll (`GET /v1/pairings/{pairing_id}/result`) are the whole life of a
pairing, and
the long-poll is held open by every waiting host at once. Through FastAPI's routing,
dependency solving and per-request exit stacks, a waiting long-poll kept about 19 KB
alive and each of these requests cost 50-90 µs more than the work itself. Here they are
parsed by hand, validated with the same pydantic models, answered with the same
Starlette responses and errors, and described in the OpenAPI document by `web.openapi`.
The middleware that dispatches here still adds the security headers, the body limit,
the access log line, latency metrics and the last-resort JSON 500.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope

from awslogin_protocol.messages import PairingMode
from awslogin_relay.domain.codes import format_user_code
from awslogin_relay.domain.errors import (
    RelayError,
    invalid_create_token,
    request_too_large,
    store_unavailable,
)
from awslogin_relay.domain.host_operations import NewPairing, PollOutcome
from awslogin_relay.domain.operations import Client
from awslogin_relay.domain.pairing import ResultKind
from awslogin_relay.domain.service import PairingService
from awslogin_relay.domain.store import StoreError
from awslogin_relay.web.binding import presented_bindings, set_binding_cookie
from awslogin_relay.web.client_address import client_address
from awslogin_relay.web.errors import (
    BodyTooLarge,
    error_response,
    invalid_input,
)
from awslogin_relay.web.schemas import CreatePairingIn

MAX_WAIT_PARAMETER = 3600.0


@dataclass(frozen=True, slots=True)
class HotRequest:
    scope: Scope
    receive: Receive
    service: PairingService
    path_parameter: str

    def header(self, name: bytes) -> str | None:
        for key, value in self.scope["headers"]:
            if key == name:
                return str(value.decode("latin-1"))
        return None

    def cookie_header(self) -> str | None:
        """Every Cookie header joined (HTTP/2 may send one per cookie)."""
        values = [value for key, value in self.scope["headers"] if key == b"cookie"]
        if not values:
            return None
        return "; ".join(value.decode("latin-1") for value in values)

    def bearer_token(self) -> str | None:
        scheme, _, credentials = (self.header(b"authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return None
        return credentials.strip()

    def client(self) -> Client:
        return Client(
            address=client_address(self.scope, self.service.settings.trusted_proxies),
            user_agent=(self.header(b"user-agent") or "")[:256],
        )

    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.scope["query_string"].decode("latin-1"), keep_blank_values=True)

    async def body(self) -> bytes:
        chunks = []
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


async def create_pairing(request: HotRequest) -> Response:
    """Start a pairing; the poll token in the answer is the only copy anywhere."""
    service = request.service
    required = service.settings.create_token
    if required is not None:
        token = request.bearer_token()
        if token is None or not hmac.compare_digest(token.encode(), required.encode()):
            raise invalid_create_token()
    try:
        body = CreatePairingIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_input=False), ("body",)) from None
    pairing, poll_token = await service.host.create(
        NewPairing(
            authorize_url=body.authorize_url,
            mode=PairingMode(body.mode),
            public_key=body.public_key,
            hostname=body.host.hostname,
            user=body.host.user,
            client=body.host.client,
        ),
        request.client(),
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


def poll_body(outcome: PollOutcome) -> dict[str, str | None]:
    result = outcome.result
    if result is None:
        return {"status": "pending"}
    if result.kind is ResultKind.COMPLETE:
        return {"status": "complete", "sealed": result.sealed}
    return {
        "status": "denied",
        "error": result.error or "access_denied",
        "error_description": result.error_description or "",
    }


def _wait_seconds(query: list[tuple[str, str]]) -> float:
    """The `wait` query parameter: 0 to 3600 seconds (the service caps it at RELAY_MAX_WAIT)."""
    wait = 0.0
    for name, value in query:
        if name != "wait":
            continue
        try:
            wait = float(value)
        except ValueError:
            wait = math.nan
        if not 0 <= wait <= MAX_WAIT_PARAMETER:  # also refuses nan and inf
            raise RelayError(
                422, "invalid_request", "query.wait: a number of seconds from 0 to 3600"
            )
    return wait


async def poll_result(request: HotRequest) -> Response:
    """Long-poll for the sealed result (Bearer poll token); it is delivered once."""
    wait = _wait_seconds(request.query())
    answer = await request.service.host.poll(
        request.path_parameter, request.bearer_token(), wait, request.client()
    )
    return JSONResponse(poll_body(answer))


async def callback(request: HotRequest) -> Response:
    """Where the provider sends the browser back (redirect mode): seal, store, move on.

    Only the browser that confirmed the pairing (it carries the binding cookie) gets here
    with effect; any other is refused with a page, and the pairing stays pending.
    """
    params: dict[str, list[str]] = {}
    for key, value in request.query():
        params.setdefault(key, []).append(value)
    service = request.service
    bindings = presented_bindings(request.cookie_header(), service.settings.secure_cookies)
    pairing_id = await service.browser.callback(params, request.client(), bindings)
    return RedirectResponse(f"/p/{pairing_id}/done", status_code=303)


def _cross_site(request: HotRequest) -> bool:
    """Whether the browser says this form was posted from another site.

    Fetch metadata first (every current browser sends Sec-Fetch-Site); else the Origin
    header against the relay's public origin. A client that sends neither is no
    browser a phishing page could drive, and passes.
    """
    site = request.header(b"sec-fetch-site")
    if site is not None:
        return site != "same-origin"
    origin = request.header(b"origin")
    return origin is not None and origin != request.service.settings.public_origin


async def confirm(request: HotRequest) -> Response:
    """The "this is my terminal" button: bind the pairing to this browser (a cookie) and
    go on to the provider (redirect mode) or the paste page."""
    service = request.service
    settings = service.settings
    pairing_id = request.path_parameter
    presented = presented_bindings(request.cookie_header(), settings.secure_cookies)
    confirmation = await service.browser.confirm(
        pairing_id, request.client(), presented.get(pairing_id), cross_site=_cross_site(request)
    )
    pairing = confirmation.pairing
    if pairing.mode is PairingMode.REDIRECT:
        target = pairing.authorize_url  # allow-listed when the pairing was created
    else:
        target = f"/p/{pairing_id}/paste"
    response = RedirectResponse(target, status_code=303)
    if confirmation.new_secret is not None:
        set_binding_cookie(
            response,
            pairing_id,
            confirmation.new_secret,
            max_age=int(pairing.expires_at - service.clock()),
            secure=settings.secure_cookies,
        )
    return response


Handler = Callable[[HotRequest], Awaitable[Response]]

# (method, path pattern, route template for metrics, handler), most frequent first
HOT_ROUTES: tuple[tuple[str, re.Pattern[str], str, Handler], ...] = (
    (
        "GET",
        re.compile(r"/v1/pairings/([^/]+)/result"),
        "/v1/pairings/{pairing_id}/result",
        poll_result,
    ),
    ("POST", re.compile(r"/v1/pairings()"), "/v1/pairings", create_pairing),
    ("GET", re.compile(r"/callback()"), "/callback", callback),
    ("POST", re.compile(r"/p/([^/]+)/confirm"), "/p/{pairing_id}/confirm", confirm),
)


def _method_not_allowed(allowed: str) -> Handler:
    async def refuse(request: HotRequest) -> Response:
        error = RelayError(405, "invalid_request", "method not allowed")
        response = error_response(request.scope["path"], error)
        response.headers["allow"] = allowed
        return response

    return refuse


def find_hot_route(method: str, path: str) -> tuple[str, Handler, str] | None:
    """(route template, handler, path parameter) if this request takes the hot path."""
    for route_method, pattern, template, handler in HOT_ROUTES:
        if match := pattern.fullmatch(path):
            if method == route_method:
                return template, handler, match[1]
            return template, _method_not_allowed(route_method), match[1]
    return None


async def serve(request: HotRequest, handler: Handler) -> Response:
    """Run a hot handler; every refusal becomes the same answer FastAPI's handlers give."""
    try:
        return await handler(request)
    except RelayError as exc:
        return error_response(request.scope["path"], exc)
    except StoreError:
        return error_response(request.scope["path"], store_unavailable())
    except BodyTooLarge:
        return error_response(
            request.scope["path"],
            request_too_large(),
        )
