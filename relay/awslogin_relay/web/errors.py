"""Every refusal becomes a clear 4xx: JSON in OAuth style for the API, a sentence for people.

Validation errors name the field and the rule, never the submitted value (which may be
a code or a token).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from awslogin_protocol.messages import ErrorBody
from awslogin_relay.domain.errors import RelayError, store_unavailable
from awslogin_relay.domain.store import StoreError
from awslogin_relay.web.render import error_page


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body outgrows the limit; handlers turn it into 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


_HTTP_ERRORS = {
    404: ("not_found", "no such endpoint"),
    405: ("invalid_request", "method not allowed"),
    413: ("request_too_large", "the request body is too large"),
}


def _is_page(path: str) -> bool:
    if path.startswith("/p/"):
        return not path.endswith("/status")
    return path in ("/link", "/callback")


def error_response(path: str, error: RelayError) -> Response:
    """A page for browser routes, an OAuth-style JSON body for everything else."""
    if _is_page(path):
        return error_page(error)
    body = ErrorBody(error=error.error, error_description=error.description)
    return JSONResponse(body.model_dump(), status_code=error.status, headers=error_headers(error))


def _respond(request: Request, error: RelayError) -> Response:
    return error_response(request.url.path, error)


def error_headers(error: RelayError) -> dict[str, str]:
    """Retry-After for limits, WWW-Authenticate for a refused Bearer token."""
    headers = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(int(error.retry_after))
    if error.status == 401:
        headers["www-authenticate"] = f'Bearer error="{error.error}"'
    return headers


async def _relay_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RelayError)
    return _respond(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error, description = _HTTP_ERRORS.get(exc.status_code, ("invalid_request", "bad request"))
    response = _respond(request, RelayError(exc.status_code, error, description))
    if exc.status_code == 405 and exc.headers:
        response.headers.update(exc.headers)
    return response


def invalid_input(errors: Sequence[Any], prefix: tuple[str, ...] = ()) -> RelayError:
    """400 for a body that is not JSON, else 422 naming each field and rule (no values)."""
    problems = []
    for item in errors[:5]:
        if item.get("type") == "json_invalid":
            return RelayError(400, "invalid_request", "the body is not valid JSON")
        where = ".".join(str(part) for part in (*prefix, *item.get("loc", ())))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return RelayError(422, "invalid_request", "; ".join(problems) or "invalid request")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _respond(request, invalid_input(exc.errors()))


async def _store_error(request: Request, exc: Exception) -> Response:
    return _respond(request, store_unavailable())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RelayError, _relay_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreError, _store_error)
