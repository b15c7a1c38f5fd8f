"""The browser side of IAM Identity Center: the sign-in page behind `/authorize` and the
device verification page behind `verificationUriComplete`.

Both are plain HTML forms so a test can drive them with Chromium or with a cookie-less
httpx client. The form carries only an opaque request id; the code challenge, state and
redirect URI stay on the server, and a redirect URI that is not registered is shown as
an error page rather than followed. The forms' own error pages (no choice made, a
sign-in already answered, a code unknown, spent or expired) are for the person at the
page: no client sees them, only what follows (a redirect, or the next poll's answer).
The rules of /authorize itself are SsoState.begin_authorize's.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.sso.model import FakeApiError
from tests.fakes.sso.state import SsoState

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; form-action 'self' http:; frame-ancestors 'none'"
    ),
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=302, headers=_HEADERS)


def page_routes(state: SsoState) -> list[Route]:
    async def authorize(request: Request) -> Response:
        try:
            request_id, error_redirect = state.begin_authorize(dict(request.query_params))
        except FakeApiError as error:
            return _page("Sign-in error", f"<p id=error>{escape(error.description)}</p>", 400)
        if error_redirect is not None:
            return _redirect(error_redirect)
        assert request_id is not None
        if state.settings.auto_sign_in:
            location = state.finish_authorize(request_id, approve=True, user="alice")
            assert location is not None
            return _redirect(location)
        form = (
            f"<form method=post action=/authorize/{escape(request_id)}>"
            "<label>Username <input name=username value=alice></label>"
            "<button type=submit name=action value=allow id=allow>Allow access</button>"
            "<button type=submit name=action value=deny id=deny>Deny</button>"
            "</form>"
        )
        return _page("Sign in to AWS IAM Identity Center (fake)", form)

    async def authorize_submit(request: Request) -> Response:
        form = await request.form()
        action = form.get("action")
        user = form.get("username")
        if action not in ("allow", "deny"):
            return _page("Sign-in error", "<p id=error>Choose allow or deny.</p>", 400)
        location = state.finish_authorize(
            request.path_params["request_id"],
            approve=action == "allow",
            user=user if isinstance(user, str) and user else "alice",
        )
        if location is None:
            return _page("Sign-in error", "<p id=error>This sign-in has expired.</p>", 400)
        return _redirect(location)

    async def device(request: Request) -> Response:
        user_code = request.query_params.get("user_code", "")
        form = (
            "<form method=post action=/device>"
            f"<label>Code <input name=user_code value='{escape(user_code)}'></label>"
            "<label>Username <input name=username value=alice></label>"
            "<button type=submit name=action value=approve id=approve>Allow</button>"
            "<button type=submit name=action value=deny id=deny>Deny</button>"
            "</form>"
        )
        return _page("Authorize request (fake IAM Identity Center)", form)

    async def device_submit(request: Request) -> Response:
        form = await request.form()
        user_code = form.get("user_code")
        action = form.get("action")
        user = form.get("username")
        if not isinstance(user_code, str) or action not in ("approve", "deny"):
            return _page("Authorization error", "<p id=error>Missing code or choice.</p>", 400)
        decided = state.decide_device(
            user_code,
            approve=action == "approve",
            user=user if isinstance(user, str) and user else "alice",
        )
        if not decided:
            return _page("Authorization error", "<p id=error>Unknown or expired code.</p>", 400)
        if action == "approve":
            return _page("Request approved", "<p id=result>You can close this window.</p>")
        return _page("Request denied", "<p id=result>The request was denied.</p>")

    return [
        Route("/authorize", authorize, methods=["GET"]),
        Route("/authorize/{request_id}", authorize_submit, methods=["POST"]),
        Route("/device", device, methods=["GET"]),
        Route("/device", device_submit, methods=["POST"]),
    ]
