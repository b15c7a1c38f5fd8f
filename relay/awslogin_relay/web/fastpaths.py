"""The fast paths: the pairing lifecycle's six requests, dispatched ahead of FastAPI.

Creation (`POST /v1/pairings`), the host's long-poll
(`GET /v1/pairings/{pairing_id}/result`), its acknowledgement
(`POST /v1/pairings/{pairing_id}/ack`) and outcome report
(`POST /v1/pairings/{pairing_id}/outcome`), the browser's "this is my terminal" button
(`POST /p/{pairing_id}/confirm`) and the provider's redirect (`GET /callback`) are the
whole life of a pairing, and the long-poll is held open by every waiting host at once.
Through FastAPI's routing, dependency solving and per-request exit stacks, a waiting
long-poll kept about 19 KB alive and each of these requests cost 50-90 µs more than the
work itself.

So each resource module declares these requests on a :class:`FastPathTable`, next to
their handlers: the method, the path template, the handler (which takes a Starlette
`Request`, like every other route) and the OpenAPI operation (`web.openapi`).
:class:`FastPathDispatch`, a small ASGI layer inside the relay's middleware, serves them
from one table and hands every other request to FastAPI's router. Refusals become the
same answers FastAPI's exception handlers give (`web.errors`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from awslogin_relay.domain.errors import RelayError, request_too_large, store_unavailable
from awslogin_relay.domain.store import StoreError
from awslogin_relay.web.errors import BodyTooLarge, error_response, method_not_allowed
from awslogin_relay.web.openapi import JSON, Answer, Operation

Handler = Callable[[Request], Awaitable[Response]]
_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class FastPath:
    method: str
    path: str  # the route template, e.g. /v1/pairings/{pairing_id}/result
    handler: Handler
    operation: Operation
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        parts = _PARAMETER.split(self.path)  # literal, name, literal, name, ..., literal
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex))


class FastPathTable:
    """The fast paths of one resource module, declared with decorators next to handlers."""

    def __init__(self, *, tags: tuple[str, ...]) -> None:
        self.tags = tags
        self.paths: list[FastPath] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        answers: Mapping[int, Answer],
        path_parameters: type[BaseModel] | None = None,
        query_parameters: type[BaseModel] | None = None,
        request_body: type[BaseModel] | None = None,
        request_media_type: str = JSON,
        security: tuple[str, ...] = (),
        anonymous: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare `handler` as the fast path for `method path`, documented as it says.

        The keywords are those of :class:`~web.openapi.Operation`; the operation id is
        the handler's name, the summary that name in words (as FastAPI makes them) and
        the description the handler's docstring.
        """

        def register(handler: Handler) -> Handler:
            name = handler.__name__
            operation = Operation(
                operation_id=name,
                summary=name.replace("_", " ").title(),
                description=" ".join((handler.__doc__ or "").split()),
                tags=self.tags,
                answers=answers,
                path_parameters=path_parameters,
                query_parameters=query_parameters,
                request_body=request_body,
                request_media_type=request_media_type,
                security=security,
                anonymous=anonymous,
            )
            self.paths.append(FastPath(method, path, handler, operation))
            return handler

        return register


class FastPathDispatch:
    """Serve the fast paths; hand everything else to `app` (FastAPI's router).

    It sits inside the relay's middleware, so security headers, the body limit, the
    access log and the latency metrics apply alike. The matched route is recorded in
    the scope (`scope["route"]`, as Starlette's router does) for the latency metrics.
    """

    def __init__(self, app: ASGIApp, *, paths: Iterable[FastPath]) -> None:
        self.app = app
        self.paths = tuple(paths)

    def _match(self, path: str) -> tuple[FastPath, dict[str, str]] | None:
        for fast in self.paths:
            if match := fast.pattern.fullmatch(path):
                return fast, match.groupdict()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        fast, scope["path_params"] = found
        scope["route"] = fast
        # Every refusal becomes the answer FastAPI's handlers would give. (No helper
        # coroutine here: each frame is held by every waiting long-poll.)
        try:
            if scope["method"] == fast.method:
                response = await fast.handler(Request(scope, receive))
            else:
                allowed = [other.method for other in self.paths if other.path == fast.path]
                response = method_not_allowed(scope["path"], allowed)
        except RelayError as exc:
            response = error_response(scope["path"], exc)
        except StoreError:
            response = error_response(scope["path"], store_unavailable())
        except BodyTooLarge:
            response = error_response(scope["path"], request_too_large())
        await response(scope, receive, send)
