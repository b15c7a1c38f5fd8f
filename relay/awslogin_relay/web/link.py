"""`/link`: type the code the terminal shows, instead of scanning its QR code; and `/`,
the page a person finds at the relay's bare address: what this service is, and the same
form.

A match leads to the pairing's confirmation page (`web.browser`); a typo or an unknown
code shows the form again with one sentence that says why. A code typed before any page
showed it proves that the person sees the terminal: the browser is bound right here
(the binding cookie, `web.binding`) and its page asks for no number
(docs/security.md#typing-the-code).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form
from fastapi.responses import HTMLResponse
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from awslogin_relay.domain.codes import TYPED_USER_CODE_PATTERN
from awslogin_relay.domain.errors import RelayError
from awslogin_relay.web.binding import hand_over_binding
from awslogin_relay.web.openapi import HTML, Answer, redirect, refusals, responses
from awslogin_relay.web.render import as_sentence, page
from awslogin_relay.web.request import client_of, posted_cross_site, service_of
from awslogin_relay.web.routing import RouteTable

router = RouteTable(tags=["browser"])


@router.get(
    "/",
    response_class=HTMLResponse,
    responses=responses({200: Answer("what this service is, and the code form", media_type=HTML)}),
)
async def home() -> Response:
    """For a person who opens the relay's address: what it is, and where to type a code."""
    return page("home.html", typed="")


@router.get(
    "/link",
    response_class=HTMLResponse,
    responses=responses({200: Answer("the form", media_type=HTML)}),
)
async def link_form() -> Response:
    """Type the user code instead of scanning the QR code."""
    return page("link.html", typed="")


@router.post(
    "/link",
    status_code=303,
    response_class=RedirectResponse,
    responses=responses(
        {
            303: redirect(
                "to the confirmation page of the pairing with this code; sets the binding "
                "cookie when the code was typed before any page showed it (that page then "
                "asks this browser for no number)",
                sets_cookie=True,
            ),
            **refusals(
                {
                    400: "not a code (the form again, saying why)",
                    404: "no pairing has this code (the form again)",
                    413: "body too large",
                    422: "the form does not match the schema",
                    429: "too many requests from this network, or too many wrong codes "
                    "tried on the relay (all clients together)",
                    503: "the store is unavailable",
                },
                media_type=HTML,
            ),
        }
    ),
)
async def link_submit(
    request: Request,
    user_code: Annotated[
        str, Form(max_length=64, json_schema_extra={"pattern": TYPED_USER_CODE_PATTERN})
    ],
) -> Response:
    """Find the pairing a person typed the code of, and bind this browser to it if the
    code was seen nowhere before (`BrowserOperations.link`).

    The document publishes the pattern of a code, and the route checks it itself
    (`codes.normalize_user_code`), so that a typo gets the form again with a sentence
    rather than a bare 422.
    """
    service = service_of(request)
    try:
        typed = await service.browser.link(
            user_code,
            client_of(request),
            cross_site=posted_cross_site(request),
        )
    except RelayError as exc:
        # The form again, saying why: a typo, an unknown code, or a limit (whose sentence
        # says to scan the QR code instead, since the form is what is limited).
        if exc.status not in (400, 404, 429):
            raise
        shown = page(
            "link.html", exc.status, typed=user_code[:20], message=as_sentence(exc.description)
        )
        if exc.retry_after is not None:
            shown.headers["retry-after"] = str(int(exc.retry_after))
        return shown
    response = RedirectResponse(f"/p/{typed.pairing_id}", status_code=303)
    if typed.confirmation is not None and typed.confirmation.new_secret is not None:
        settings = service.settings
        hand_over_binding(
            response,
            typed.confirmation.pairing,
            typed.confirmation.new_secret,
            now=service.clock(),
            result_ttl=settings.result_ttl,
            secure=settings.secure_cookies,
        )
    return response
