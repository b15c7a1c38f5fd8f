"""Every refusal becomes a clear 4xx: an `ErrorBody` for the API, a page for people.

Browser routes (`/`, `/p/...` pages, `/link`, `/callback`) answer with a page that says what
happened and what to do; every other path answers with the protocol's JSON error body.
Validation errors name the field and the rule, never the submitted value (which may be
a code or a token).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from awslogin_protocol.messages import ErrorBody
from awslogin_relay.domain.errors import RelayError, request_too_large, store_unavailable
from awslogin_relay.domain.store import StoreError
from awslogin_relay.web.render import error_page, json_answer


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body outgrows the limit; handlers turn it into 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


_HTTP_ERRORS = {
    404: ("not_found", "no such endpoint"),
    405: ("invalid_request", "method not allowed"),
    413: ("request_too_large", "the request body is too large"),
}


def is_page(path: str) -> bool:
    """Whether refusals on `path` are pages for people (else JSON for programs)."""
    if path.startswith("/p/"):  # its pages, but not what their scripts fetch
        return not path.endswith(("/status", "/console/key", "/console/url"))
    return path in ("/", "/link", "/callback")


def error_response(path: str, error: RelayError) -> Response:
    """A page for browser routes, an OAuth-style JSON body for everything else."""
    if is_page(path):
        return error_page(error)
    body = ErrorBody(error=error.error, error_description=error.description[:1024])
    return json_answer(body, error.status, headers=error_headers(error))


def error_headers(error: RelayError) -> dict[str, str]:
    """Retry-After for limits, WWW-Authenticate for a refused Bearer token."""
    headers = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(int(error.retry_after))
    if error.status == 401:
        headers["www-authenticate"] = f'Bearer error="{error.error}"'
    return headers


def method_not_allowed(path: str, allowed: Iterable[str]) -> Response:
    """405, listing in Allow every method the path answers."""
    error, description = _HTTP_ERRORS[405]
    response = error_response(path, RelayError(405, error, description))
    response.headers["allow"] = ", ".join(sorted(set(allowed)))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on this path (Starlette lists only the
    first route's, and the relay declares one route per method)."""
    methods: list[str] = []
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\x00"})
        if match is Match.PARTIAL:
            methods.extend(getattr(route, "methods", ()) or ())
    return methods


def invalid_input(errors: Sequence[Any], prefix: tuple[str, ...] = ()) -> RelayError:
    """400 for a body that is not JSON, else 422 naming each field and rule (no values)."""
    problems = []
    for item in errors[:5]:
        if item.get("type") == "json_invalid":
            return RelayError(400, "invalid_request", "the body is not valid JSON")
        where = ".".join(str(part) for part in (*prefix, *item.get("loc", ())))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return RelayError(422, "invalid_request", "; ".join(problems) or "invalid request")


async def _relay_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RelayError)
    return error_response(request.scope["path"], exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return method_not_allowed(request.scope["path"], _allowed_methods(request))
    if exc.status_code == 413:
        return error_response(request.scope["path"], request_too_large())
    error, description = _HTTP_ERRORS.get(exc.status_code, ("invalid_request", "bad request"))
    return error_response(request.scope["path"], RelayError(exc.status_code, error, description))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(request.scope["path"], invalid_input(exc.errors()))


async def _store_error(request: Request, exc: Exception) -> Response:
    return error_response(request.scope["path"], store_unavailable())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RelayError, _relay_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreError, _store_error)
