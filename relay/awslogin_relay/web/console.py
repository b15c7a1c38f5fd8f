"""The console handover's page and the two requests its script makes (docs/protocol.md,
"Console handover").

The relay cannot read the URL it hands over, so it cannot check where it leads; the
page's script does, before it goes there: only to /federation on an origin of
RELAY_CONSOLE_ORIGINS (the AWS partitions' sign-in by default). Otherwise whoever ran
the host could send a person who confirms anywhere (docs/security.md, invariant 5).

After the "this is my terminal" step of a console pairing the browser lands on
`/p/{id}/console`. Its script (a static file: the CSP allows no inline script) makes a
P-256 key pair in WebCrypto, posts the public half (`POST /p/{id}/console/key`, once,
from the confirming browser only), then asks for the console URL sealed to it
(`GET /p/{id}/console/url`) until the terminal has sent it, opens it and goes there.
Without JavaScript the page says there is no handover; the relay never holds the URL in
clear (docs/security.md, "The console").
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from awslogin_protocol.messages import BrowserKey, ConsoleHandover, PairingMode
from awslogin_relay.domain.codes import binding_secret_matches, format_user_code
from awslogin_relay.domain.errors import RelayError, unsupported_media_type
from awslogin_relay.web.errors import invalid_input
from awslogin_relay.web.fastpaths import FastPathTable
from awslogin_relay.web.openapi import HTML, Answer, redirect, refusals, responses
from awslogin_relay.web.render import json_answer, page
from awslogin_relay.web.request import (
    binding_secret,
    body_of,
    client_of,
    header,
    posted_cross_site,
    service_of,
)
from awslogin_relay.web.routing import RouteTable

TAGS = ("console",)
router = RouteTable(tags=list(TAGS))
fast_paths = FastPathTable(tags=TAGS)

_LOOKUP = {404: "no such pairing", 410: "pairing expired, completed or cancelled"}
_STORE = {503: "the store is unavailable"}


class PairingPath(BaseModel):
    pairing_id: str = Field(description="the pairing id from the link or QR code")


@router.get(
    "/p/{pairing_id}/console",
    response_class=HTMLResponse,
    responses=responses(
        {
            200: Answer("the page", media_type=HTML),
            303: redirect("to the confirmation page, unless this browser confirmed"),
            **refusals({**_LOOKUP, **_STORE}, media_type=HTML),
        }
    ),
)
async def console_page(pairing_id: str, request: Request) -> Response:
    """The console handover: its script receives the console URL, sealed to a key it
    made, and opens it; without JavaScript it says there is no handover."""
    pairing = await service_of(request).console.page(pairing_id)
    bound = binding_secret_matches(binding_secret(request, pairing_id), pairing.binding_hash)
    if pairing.mode is not PairingMode.CONSOLE or not bound:
        return RedirectResponse(f"/p/{pairing_id}", status_code=303)
    return page(
        "console.html",
        pairing=pairing,
        user_code=format_user_code(pairing.user_code),
        posted=not pairing.pending,
        # the only places the script goes: no open redirect for whoever runs the host
        sign_in_origins=" ".join(service_of(request).settings.console_origins),
    )


def _declares_json(request: Request) -> bool:
    declared = header(request, b"content-type") or ""
    return declared.partition(";")[0].strip().lower() == "application/json"


@fast_paths.route(
    "POST",
    "/p/{pairing_id}/console/key",
    path_parameters=PairingPath,
    request_body=BrowserKey,
    answers={
        204: Answer("taken: sealed to the host, which will seal the console URL to it"),
        **refusals(
            {
                400: "malformed JSON, or not a P-256 public key",
                403: "posted from another site, or this browser did not confirm the pairing",
                409: "the pairing is no console handover",
                413: "body too large",
                415: "the body is not declared as application/json",
                422: "body does not match the schema",
                429: "too many requests from this address",
                **_LOOKUP,
                **_STORE,
            }
        ),
    },
)
async def post_key(request: Request) -> Response:
    """The console page's public key, once, from the browser that confirmed the pairing
    (its binding cookie); a second post, or one from any other browser, is refused."""
    service = service_of(request)
    if not _declares_json(request):
        raise unsupported_media_type()
    if posted_cross_site(request):
        raise RelayError(403, "cross_site", "this request only works from the relay's own page")
    try:
        body = BrowserKey.model_validate_json(await body_of(request))
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_input=False), ("body",)) from None
    pairing_id = request.path_params["pairing_id"]
    await service.console.post_key(
        pairing_id, body.public_key, client_of(request), binding_secret(request, pairing_id)
    )
    return Response(status_code=204)


@router.get(
    "/p/{pairing_id}/console/url",
    response_model=None,
    responses=responses(
        {
            200: Answer("waiting, ready (with the sealed URL) or ended", model=ConsoleHandover),
            **refusals(
                {
                    403: "this browser did not confirm the pairing",
                    404: "no such pairing",
                    409: "the pairing is no console handover",
                    **_STORE,
                }
            ),
        }
    ),
)
async def sealed_url(pairing_id: str, request: Request) -> Response:
    """The console URL sealed to the page's key, for the browser that confirmed only."""
    handover = await service_of(request).console.handover(
        pairing_id, binding_secret(request, pairing_id)
    )
    return json_answer(ConsoleHandover(status=handover.status, sealed=handover.sealed))
