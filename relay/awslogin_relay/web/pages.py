"""Pages for the person with the phone: confirm, paste, type a code, done, and /callback.

Every answer to a form is a 303, so reloading never re-posts, and the code the provider
sent to /callback is not in any URL the browser keeps. The "this is my terminal" button
(`POST /p/{id}/confirm`, on the hot path in `web.hotpaths`) binds the pairing to this
browser with a cookie (`web.binding`); pasting, like /callback, needs it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from awslogin_protocol.messages import MAX_PASTE, PairingMode
from awslogin_relay.domain.codes import binding_secret_matches, format_user_code
from awslogin_relay.domain.errors import RelayError
from awslogin_relay.domain.pairing import GoneReason, ResultKind
from awslogin_relay.web.binding import presented_bindings
from awslogin_relay.web.context import client_of, service_of
from awslogin_relay.web.render import as_sentence, describe_age, page
from awslogin_relay.web.routing import RouteTable
from awslogin_relay.web.schemas import ERRORS, PublicStatusOut

router = RouteTable(tags=["browser"])


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _presented(request: Request, pairing_id: str) -> str | None:
    """The binding secret this browser holds for the pairing, if any."""
    header = "; ".join(request.headers.getlist("cookie"))
    secure = service_of(request).settings.secure_cookies
    return presented_bindings(header, secure).get(pairing_id)


@router.get("/p/{pairing_id}", response_class=HTMLResponse)
async def confirmation_page(pairing_id: str, request: Request) -> Response:
    """Who asked, and the user code to compare; one button continues to the provider."""
    service = service_of(request)
    pairing = await service.browser.page(pairing_id)
    if not pairing.pending:
        return _see_other(f"/p/{pairing_id}/done")
    return page(
        "confirm.html",
        pairing=pairing,
        user_code=format_user_code(pairing.user_code),
        age=describe_age(service.clock() - pairing.created_at),
    )


@router.get("/p/{pairing_id}/paste", response_class=HTMLResponse)
async def paste_page(pairing_id: str, request: Request) -> Response:
    pairing = await service_of(request).browser.page(pairing_id)
    if not pairing.pending:
        return _see_other(f"/p/{pairing_id}/done")
    if pairing.mode is not PairingMode.PASTE or not binding_secret_matches(
        _presented(request, pairing_id), pairing.binding_hash
    ):
        return _see_other(f"/p/{pairing_id}")
    return page("paste.html", pairing=pairing, user_code=format_user_code(pairing.user_code))


@router.post(
    "/p/{pairing_id}/code",
    response_class=HTMLResponse,
    responses={403: {"description": "this browser did not confirm the pairing (a page)"}},
)
async def paste_code(
    pairing_id: str,
    request: Request,
    code: Annotated[str, Form(max_length=MAX_PASTE * 2)] = "",
) -> Response:
    """Paste mode: seal what the provider showed and hand it to the waiting host."""
    service = service_of(request)
    try:
        await service.browser.paste(
            pairing_id, code, client_of(request), _presented(request, pairing_id)
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


@router.get("/p/{pairing_id}/done", response_class=HTMLResponse)
async def done_page(pairing_id: str, request: Request) -> Response:
    service = service_of(request)
    tomb = await service.browser.gone(pairing_id)
    if tomb is not None and tomb.reason in (GoneReason.COLLECTED, GoneReason.DENIED):
        return page("done.html", outcome=tomb.reason.value, hostname=tomb.hostname)
    pairing = await service.browser.page(pairing_id)
    if pairing.result is None:
        return _see_other(f"/p/{pairing_id}")
    if pairing.result.kind is ResultKind.DENIED:
        return page(
            "done.html",
            outcome="denied",
            hostname=pairing.host.hostname,
            error=pairing.result.error,
            error_description=pairing.result.error_description,
        )
    return page(
        "done.html", outcome="authorized", hostname=pairing.host.hostname, pairing_id=pairing_id
    )


@router.get(
    "/p/{pairing_id}/status",
    response_model=None,
    responses={200: {"model": PublicStatusOut}, 404: ERRORS[404]},
)
async def public_status(pairing_id: str, request: Request) -> JSONResponse:
    """What the done page may learn: has the host collected? Reveals no secret."""
    return JSONResponse({"status": await service_of(request).browser.public_status(pairing_id)})


@router.get("/link", response_class=HTMLResponse)
async def link_form() -> Response:
    """Type the user code instead of scanning the QR code."""
    return page("link.html", typed="")


@router.post("/link", response_class=HTMLResponse)
async def link_submit(
    request: Request, user_code: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    try:
        pairing_id = await service_of(request).browser.find_user_code(user_code, client_of(request))
    except RelayError as exc:
        if exc.status not in (400, 404):
            raise
        return page(
            "link.html", exc.status, typed=user_code[:20], message=as_sentence(exc.description)
        )
    return _see_other(f"/p/{pairing_id}")
