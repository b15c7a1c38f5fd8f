"""HTTP bindings of the `sso-oidc` and `sso` operations, as botocore's models place them.

sso-oidc (rest-json): POST /client/register, /device_authorization, /token; JSON bodies.
sso (rest-json): GET /assignment/accounts, /assignment/roles, /federation/credentials and
POST /logout; input in the query string and the `x-amz-sso_bearer_token` header.
Errors carry `x-amzn-ErrorType` (what botocore's parser reads for the code) and the
modelled body fields.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.hold import HoldPoints
from tests.fakes.sso.model import FakeApiError, oidc_error
from tests.fakes.sso.state import SsoState

BEARER_HEADER = "x-amz-sso_bearer_token"

Handler = Callable[[Request], Awaitable[Response]]


def error_response(error: FakeApiError) -> JSONResponse:
    return JSONResponse(
        error.body(),
        status_code=error.status,
        headers={"x-amzn-ErrorType": error.exception_type},
    )


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    # rest-json: botocore always sends a JSON object; anything else is the model's
    # InvalidRequestException ("something is wrong with the input to the request").
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise oidc_error("InvalidRequestException", "Body is not JSON") from exc
    if not isinstance(body, dict):
        raise oidc_error("InvalidRequestException", "Body must be a JSON object")
    return body


def _guarded(operation: Callable[[Request], Awaitable[Response]]) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            return await operation(request)
        except FakeApiError as error:
            return error_response(error)

    return handler


def api_routes(
    state: SsoState, base_url: Callable[[], str], holds: HoldPoints | None = None
) -> list[Route]:
    """The operations' routes; `holds` may hold a CreateToken call of one grant (point
    "token/<grantType>") for a race test."""
    holds = holds or HoldPoints()

    async def register_client(request: Request) -> Response:
        return JSONResponse(state.register_client(await _json_body(request)))

    async def start_device_authorization(request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse(state.start_device_authorization(body, base_url()))

    async def create_token(request: Request) -> Response:
        body = await _json_body(request)
        await holds.reach(f"token/{body.get('grantType')}")
        return JSONResponse(state.create_token(body))

    async def list_accounts(request: Request) -> Response:
        q = request.query_params
        return JSONResponse(
            state.list_accounts(
                request.headers.get(BEARER_HEADER), q.get("max_result"), q.get("next_token")
            )
        )

    async def list_account_roles(request: Request) -> Response:
        q = request.query_params
        return JSONResponse(
            state.list_account_roles(
                request.headers.get(BEARER_HEADER),
                q.get("account_id"),
                q.get("max_result"),
                q.get("next_token"),
            )
        )

    async def get_role_credentials(request: Request) -> Response:
        q = request.query_params
        return JSONResponse(
            state.get_role_credentials(
                request.headers.get(BEARER_HEADER), q.get("account_id"), q.get("role_name")
            )
        )

    async def logout(request: Request) -> Response:
        state.logout(request.headers.get(BEARER_HEADER))
        return Response(status_code=200)

    return [
        Route("/client/register", _guarded(register_client), methods=["POST"]),
        Route("/device_authorization", _guarded(start_device_authorization), methods=["POST"]),
        Route("/token", _guarded(create_token), methods=["POST"]),
        Route("/assignment/accounts", _guarded(list_accounts), methods=["GET"]),
        Route("/assignment/roles", _guarded(list_account_roles), methods=["GET"]),
        Route("/federation/credentials", _guarded(get_role_credentials), methods=["GET"]),
        Route("/logout", _guarded(logout), methods=["POST"]),
    ]
