"""HTTP face of the fake: the sign-in pages and the rest-json CreateOAuth2Token and
RevokeOAuth2TokenWithIAM endpoints.

The rules are elsewhere: /v1/authorize's in authorize.py, the token endpoint's in
token_request.py, dpop.py and service.py, the revocation's in revoke_request.py and
sigv4.py. The pages' own error pages (a malformed form,
no choice made, an unknown user name, a confirmation link with no known code) are for the
person at the browser; no client sees them.
"""

from __future__ import annotations

import uuid
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.hold import HoldPoints
from tests.fakes.signin.authorize import AuthorizeError
from tests.fakes.signin.revoke_request import REVOKE_PATH, REVOKE_QUERY
from tests.fakes.signin.service import (
    CONFIRMATION_PATH,
    TOKEN_PATH,
    SigninService,
    verification_code,
)
from tests.fakes.signin.sigv4 import SignatureError, SignedRequest
from tests.fakes.signin.token_request import ServiceError

_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; form-action 'self' http://127.0.0.1:*; "
    "frame-ancestors 'none'",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _error_page(message: str) -> HTMLResponse:
    return _page("Sign-in error", f"<p id='error'>{escape(message)}</p>", status=400)


def _sign_in_form(request_id: str, default_user: str) -> HTMLResponse:
    body = (
        "<form method='post' action='/v1/authorize'>"
        f"<input type='hidden' name='request_id' value='{escape(request_id)}'>"
        "<label>User name <input id='username' name='username' "
        f"value='{escape(default_user)}' autocomplete='username'></label>"
        "<button id='allow' type='submit' name='action' value='allow'>Sign in</button>"
        "<button id='deny' type='submit' name='action' value='deny'>Deny</button>"
        "</form>"
    )
    return _page("Sign in to AWS", body)


def build_app(service: SigninService, holds: HoldPoints | None = None) -> Starlette:
    """The fake's routes; `holds` may hold a token call (point "token") for a race test,
    or a revocation (point "revoke") for an interrupt."""
    holds = holds or HoldPoints()

    async def authorize_page(request: Request) -> Response:
        try:
            pending = service.start_authorization(dict(request.query_params))
        except AuthorizeError as exc:
            return _error_page(str(exc))
        default_user = next(iter(service.settings.accounts), "")
        return _sign_in_form(pending.request_id, default_user)

    async def authorize_decision(request: Request) -> Response:
        form = await request.form()
        request_id = form.get("request_id")
        username = form.get("username", "")
        action = form.get("action")
        if not isinstance(request_id, str) or not isinstance(username, str):
            return _error_page("malformed sign-in form")
        if action not in ("allow", "deny"):
            return _error_page("choose Sign in or Deny")
        try:
            location = service.decide(request_id, username, allow=action == "allow")
        except AuthorizeError as exc:
            return _error_page(str(exc))
        return RedirectResponse(location, status_code=302, headers=_PAGE_HEADERS)

    async def confirmation(request: Request) -> Response:
        params = request.query_params
        if "error" in params:
            return _page(
                "Sign-in was not completed",
                f"<p id='error'>{escape(params['error'])}</p>",
            )
        code = params.get("code", "")
        state = params.get("state", "")
        if not state or not service.knows_code(code):
            return _error_page("this confirmation link is not valid")
        shown = verification_code(code, state)
        body = (
            "<p>Copy this verification code and paste it into your terminal:</p>"
            f"<pre id='verification-code'>{escape(shown)}</pre>"
        )
        return _page("Verification code", body)

    async def create_token(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        body = await request.body()
        await holds.reach("token")
        try:
            output = service.create_token(
                body,
                request.headers.get("dpop"),
                request.headers.get("content-type", "application/json"),
            )
        except ServiceError as exc:
            return JSONResponse(
                {"error": exc.error, "message": exc.message},
                status_code=exc.status,
                headers={"x-amzn-ErrorType": exc.shape, "x-amzn-RequestId": request_id},
            )
        return JSONResponse(output, headers={"x-amzn-RequestId": request_id})

    async def revoke_token(request: Request) -> Response:
        request_id = {"x-amzn-RequestId": str(uuid.uuid4())}
        await holds.reach("revoke")
        if dict(request.query_params) != REVOKE_QUERY:
            return JSONResponse(
                {"message": "no operation at this address"},
                status_code=404,
                headers={"x-amzn-ErrorType": "UnknownOperationException", **request_id},
            )
        raw_path = request.scope["raw_path"].decode("ascii")
        query = request.scope["query_string"].decode("ascii")
        signed = SignedRequest(
            method=request.method,
            url=f"http://{request.headers.get('host', '')}{raw_path}?{query}",
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.body(),
        )
        try:
            service.revoke_token(signed)
        except SignatureError as exc:
            return JSONResponse(
                {"message": exc.message},
                status_code=exc.status,
                headers={"x-amzn-ErrorType": exc.shape, **request_id},
            )
        except ServiceError as exc:
            return JSONResponse(
                {"error": exc.error, "message": exc.message},
                status_code=exc.status,
                headers={"x-amzn-ErrorType": exc.shape, **request_id},
            )
        return Response(b"", status_code=200, headers=request_id)

    return Starlette(
        routes=[
            Route("/v1/authorize", authorize_page, methods=["GET"]),
            Route("/v1/authorize", authorize_decision, methods=["POST"]),
            Route(CONFIRMATION_PATH, confirmation, methods=["GET"]),
            Route(TOKEN_PATH, create_token, methods=["POST"]),
            Route(REVOKE_PATH, revoke_token, methods=["POST"]),
        ]
    )
