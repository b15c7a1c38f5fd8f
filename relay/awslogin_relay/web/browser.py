"""What the person with the phone sees: confirm, go to the provider, come back, paste, done.

The "this is my terminal" button (`POST /p/{id}/confirm`) binds the pairing to this
browser with a cookie (`web.binding`); the provider's redirect (`GET /callback`) and the
paste form complete the pairing only for a browser that carries it
(docs/security.md#browser-binding). Those two requests and the button are fast paths
(`web.fastpaths`); the pages are FastAPI routes. Every answer to a form is a 303, so
reloading never re-posts, and the code the provider sent to /callback is not in any URL
the browser keeps. Typing a code instead of scanning is `web.link`.

The done page tells the truth about the host: "finishing" until the host reports its
outcome, then exactly what it reported, to the browser that confirmed and only to it.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Form
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from awslogin_protocol.messages import MAX_CALLBACK_VALUE, MAX_PASTE, PairingMode
from awslogin_relay.domain.authorize_url import STATE_PATTERN
from awslogin_relay.domain.browser_operations import Progress, PublicState
from awslogin_relay.domain.codes import binding_secret_matches, format_user_code
from awslogin_relay.domain.errors import RelayError, choose_a_number
from awslogin_relay.web.binding import hand_over_binding
from awslogin_relay.web.fastpaths import FastPathTable
from awslogin_relay.web.openapi import FORM, HTML, Answer, redirect, refusals, responses
from awslogin_relay.web.render import (
    as_sentence,
    describe_age,
    describe_time_left,
    json_answer,
    page,
)
from awslogin_relay.web.request import (
    binding_secret,
    binding_secrets,
    body_of,
    client_of,
    posted_cross_site,
    query_pairs,
    service_of,
)
from awslogin_relay.web.routing import RouteTable

TAGS = ("browser",)
# What the confirmation page names as where the sign-in happens, for a console handover.
CONSOLE_PROVIDER = "the AWS console, opened on this device"
router = RouteTable(tags=list(TAGS))
fast_paths = FastPathTable(tags=TAGS)


class PairingPath(BaseModel):
    pairing_id: str = Field(description="the pairing id from the link or QR code")


class ConfirmForm(BaseModel):
    """The confirmation page's form: the number the person chose, when the page offers
    three (a host of revision 2 or later shows one; docs/protocol.md, "Number matching")."""

    number: int | None = Field(
        None,
        ge=0,
        le=99,
        description="the number chosen among the three the page offers; anything but the "
        "one the terminal shows ends the pairing",
    )


_NUMBER = re.compile(r"[0-9]{1,2}")


async def chosen_number(request: Request) -> int | None:
    """The `number` of the form (`ConfirmForm`), None when there is none; 400 when it is
    not one or two digits, or comes twice. Read by hand: confirming is a fast path."""
    fields = parse_qsl((await body_of(request)).decode("utf-8", "replace"), keep_blank_values=True)
    numbers = [value for name, value in fields if name == "number"]
    if not numbers:
        return None
    if len(numbers) > 1 or not _NUMBER.fullmatch(numbers[0]):
        raise choose_a_number()
    return int(numbers[0])


class CallbackQuery(BaseModel):
    """What the provider appends to the redirect (RFC 6749 section 4.1.2, RFC 9207).

    It documents the fast path; `BrowserOperations.callback` enforces the same rules
    (each value once and at most MAX_CALLBACK_VALUE characters, a state as the authorize
    URL policy requires it) and also wants a `code` or an `error`, which the parameters
    of a JSON Schema cannot say.
    """

    state: str = Field(
        pattern=f"^{STATE_PATTERN.pattern}$",
        description="the state of the authorize URL (routes it)",
    )
    code: str | None = Field(None, max_length=MAX_CALLBACK_VALUE, description="the code")
    iss: str | None = Field(None, max_length=MAX_CALLBACK_VALUE, description="the issuer")
    error: str | None = Field(
        None, max_length=MAX_CALLBACK_VALUE, description="the provider's refusal"
    )
    error_description: str | None = Field(
        None, max_length=MAX_CALLBACK_VALUE, description="the provider's explanation"
    )


class PublicStatus(BaseModel):
    """Where a pairing stands, for anyone with its link: a state word, no secret, no
    account, role or reason (those are on the done page, for the confirming browser)."""

    status: PublicState


def _pages(descriptions: dict[int, str]) -> dict[int, Answer]:
    return refusals(descriptions, media_type=HTML)


_PAGE = Answer("the page", media_type=HTML)
# What every page about one pairing may answer instead of itself.
_LOOKUP = {404: "no such pairing", 410: "pairing expired, completed or cancelled"}
_STORE = {503: "the store is unavailable"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get(
    "/p/{pairing_id}",
    response_class=HTMLResponse,
    responses=responses(
        {
            200: _PAGE,
            303: redirect("to the done page, once the pairing has a result"),
            **_pages({**_LOOKUP, **_STORE}),
        }
    ),
)
async def confirmation_page(pairing_id: str, request: Request) -> Response:
    """Who asked, for which role, where the sign-in will happen, and the user code to
    compare; the three numbers to choose from, or one button that continues to the
    provider (a host that shows no number, or a browser that holds the binding: it typed
    the code on /link, or confirmed before).

    Scanned again after the host signed in, it says that the terminal is signed in.
    """
    service = service_of(request)
    try:
        shown = await service.browser.show(pairing_id, binding_secret(request, pairing_id))
    except RelayError as exc:
        if exc.status != 410:
            raise
        progress = await service.browser.progress(pairing_id, binding_secret(request, pairing_id))
        if progress.state != "signed_in":
            raise
        return _done(pairing_id, progress, status=410, rescan=True)
    pairing = shown.pairing
    if not pairing.pending:
        return _see_other(f"/p/{pairing_id}/done")
    now = service.clock()
    return page(
        "confirm.html",
        pairing=pairing,
        bound=shown.bound,
        user_code=format_user_code(pairing.user_code),
        # allow-listed, no user info; a console handover signs in nowhere
        provider=urlsplit(pairing.authorize_url).netloc or CONSOLE_PROVIDER,
        age=describe_age(now - pairing.created_at),
        time_left=describe_time_left(pairing.expires_at - now),
    )


@fast_paths.route(
    "POST",
    "/p/{pairing_id}/confirm",
    path_parameters=PairingPath,
    request_body=ConfirmForm,
    request_media_type=FORM,
    answers={
        303: redirect(
            "to the provider (redirect mode), to /p/{pairing_id}/paste or to "
            "/p/{pairing_id}/console; sets the binding cookie the first time. After a wrong "
            "number, to /p/{pairing_id}/done, which says that the request ended",
            sets_cookie=True,
        ),
        **_pages(
            {
                400: "no number, or not a number, where the page offers three",
                403: "posted from another site",
                409: "another browser confirmed this pairing",
                413: "body too large",
                429: "too many requests from this address",
                **_LOOKUP,
                **_STORE,
            }
        ),
    },
)
async def confirm(request: Request) -> Response:
    """The "this is my terminal" button of the confirmation page, or the number the
    person chose among three (`number`) when the terminal shows one: a wrong number
    ends the pairing, and the terminal says so.

    The first browser to confirm gets an HttpOnly, SameSite=Lax cookie
    (__Host-awl_{pairing_id} on an https relay, awl_{pairing_id} on http) that binds the
    pairing to it: only requests carrying it may complete the pairing. Pressing it again
    in the same browser is harmless.
    """
    service = service_of(request)
    settings = service.settings
    pairing_id = request.path_params["pairing_id"]
    confirmation = await service.browser.confirm(
        pairing_id,
        client_of(request),
        binding_secret(request, pairing_id),
        cross_site=posted_cross_site(request),
        number=await chosen_number(request),
    )
    pairing = confirmation.pairing
    if confirmation.wrong_number:
        return _see_other(f"/p/{pairing_id}/done")
    if pairing.mode is PairingMode.REDIRECT:
        target = pairing.authorize_url  # allow-listed when the pairing was created
    elif pairing.mode is PairingMode.CONSOLE:
        target = f"/p/{pairing_id}/console"
    else:
        target = f"/p/{pairing_id}/paste"
    response = _see_other(target)
    if confirmation.new_secret is not None:
        hand_over_binding(
            response,
            pairing,
            confirmation.new_secret,
            now=service.clock(),
            result_ttl=settings.result_ttl,
            secure=settings.secure_cookies,
        )
    return response


@fast_paths.route(
    "GET",
    "/callback",
    query_parameters=CallbackQuery,
    answers={
        303: redirect("to /p/{pairing_id}/done"),
        **_pages(
            {
                400: "missing or malformed state, code or error",
                403: "this browser did not confirm the pairing; nothing is stored",
                404: "no pairing has this state",
                409: "the pairing expects a pasted code (paste mode)",
                410: "pairing expired or already completed",
                429: "too many requests from this address",
                **_STORE,
            }
        ),
    },
)
async def callback(request: Request) -> Response:
    """Where the provider sends the browser back (redirect mode).

    The result is sealed to the host's key, only the ciphertext is stored, and the
    browser goes on to a page without the code in its URL. Only the browser that
    confirmed the pairing (it carries the binding cookie set by
    POST /p/{pairing_id}/confirm) may complete it.
    """
    params: dict[str, list[str]] = {}
    for key, value in query_pairs(request):
        params.setdefault(key, []).append(value)
    service = service_of(request)
    pairing_id = await service.browser.callback(
        params, client_of(request), binding_secrets(request)
    )
    return _see_other(f"/p/{pairing_id}/done")


@router.get(
    "/p/{pairing_id}/paste",
    response_class=HTMLResponse,
    responses=responses(
        {
            200: _PAGE,
            303: redirect("to the done page, or back to confirm first"),
            **_pages({**_LOOKUP, **_STORE}),
        }
    ),
)
async def paste_page(pairing_id: str, request: Request) -> Response:
    """Paste mode: the link to the provider, and a form for what it shows."""
    pairing = await service_of(request).browser.page(pairing_id)
    if not pairing.pending:
        return _see_other(f"/p/{pairing_id}/done")
    if pairing.mode is not PairingMode.PASTE or not binding_secret_matches(
        binding_secret(request, pairing_id), pairing.binding_hash
    ):
        return _see_other(f"/p/{pairing_id}")
    return page("paste.html", pairing=pairing, user_code=format_user_code(pairing.user_code))


@router.post(
    "/p/{pairing_id}/code",
    status_code=303,
    response_class=RedirectResponse,
    responses=responses(
        {
            303: redirect("to the done page"),
            **_pages(
                {
                    400: "only spaces pasted (the form again, saying so)",
                    403: "this browser did not confirm the pairing",
                    409: "the pairing takes the provider's redirect, not a pasted code",
                    413: "body too large",
                    422: "the form does not match the schema",
                    429: "too many requests from this address",
                    **_LOOKUP,
                    **_STORE,
                }
            ),
        }
    ),
)
async def paste_code(
    pairing_id: str,
    request: Request,
    code: Annotated[str, Form(min_length=1, max_length=MAX_PASTE)],
) -> Response:
    """Paste mode: seal what the provider showed and hand it to the waiting host."""
    service = service_of(request)
    try:
        await service.browser.paste(
            pairing_id, code, client_of(request), binding_secret(request, pairing_id)
        )
    except RelayError as exc:
        if exc.status != 400:
            raise
        pairing = await service.browser.page(pairing_id)
        if pairing.mode is not PairingMode.PASTE:
            raise
        return page(
            "paste.html",
            400,
            pairing=pairing,
            user_code=format_user_code(pairing.user_code),
            message=as_sentence(exc.description),
        )
    return _see_other(f"/p/{pairing_id}/done")


@router.post(
    "/p/{pairing_id}/cancel",
    status_code=303,
    response_class=RedirectResponse,
    responses=responses(
        {
            303: redirect("to the done page, which says that the request was cancelled"),
            **_pages(
                {
                    403: "posted from another site, or this browser did not confirm the pairing",
                    413: "body too large",
                    429: "too many requests from this address",
                    **_LOOKUP,
                    **_STORE,
                }
            ),
        }
    ),
)
async def cancel(pairing_id: str, request: Request) -> Response:
    """The "not me" button of the paste page and of a confirmed browser's confirmation
    page: ends the pending pairing as the `denied_on_page` denial, which wakes the host.

    Only the browser that confirmed the pairing (its binding cookie), from the relay's own
    page (docs/security.md#cancelling-on-the-page). No form field: the button is the
    whole request, so it works without JavaScript.
    """
    service = service_of(request)
    await service.browser.cancel(
        pairing_id,
        client_of(request),
        binding_secret(request, pairing_id),
        cross_site=posted_cross_site(request),
    )
    return _see_other(f"/p/{pairing_id}/done")


@router.get(
    "/p/{pairing_id}/done",
    response_class=HTMLResponse,
    responses=responses(
        {
            200: _PAGE,
            303: redirect("back to the confirmation page while nothing is done"),
            **_pages({**_LOOKUP, **_STORE}),
        }
    ),
)
async def done_page(pairing_id: str, request: Request) -> Response:
    """Finishing on the host, then what the host reported (signed in, or why not).

    Only the browser that confirmed the pairing (its binding cookie) sees the account,
    role or reason; any other learns only that the request ended. A reload shows the
    latest; with JavaScript the page reloads itself when the state changes.
    """
    browser = service_of(request).browser
    progress = await browser.progress(pairing_id, binding_secret(request, pairing_id))
    if progress.state == "pending":
        return _see_other(f"/p/{pairing_id}")
    return _done(pairing_id, progress)


def _done(
    pairing_id: str, progress: Progress, *, status: int = 200, rescan: bool = False
) -> Response:
    return page(
        "done.html",
        status,
        pairing_id=pairing_id,
        progress=progress,
        rescan=rescan,
        live=progress.state in ("authorized", "finishing"),
    )


@router.get(
    "/p/{pairing_id}/status",
    response_model=None,
    responses=responses(
        {
            200: Answer("where the pairing stands", model=PublicStatus),
            **refusals({404: "no such pairing", **_STORE}),
        }
    ),
)
async def public_status(pairing_id: str, request: Request) -> Response:
    """Where the pairing stands (the done page's script polls it). Reveals no secret."""
    status = await service_of(request).browser.public_status(pairing_id)
    return json_answer(PublicStatus(status=status))
