"""OpenAPI entry for the long-poll, which `web.longpoll` serves outside FastAPI's router."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from awslogin_relay.web.longpoll import RESULT_ROUTE
from awslogin_relay.web.schemas import ErrorOut, PollOut

_REF = "#/components/schemas/{model}"


def _json(model_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model_name)}}},
    }


def _long_poll_operation() -> dict[str, Any]:
    error = "ErrorOut"
    return {
        "tags": ["host"],
        "summary": "Poll Result",
        "description": (
            "Long-poll for the sealed result (Bearer poll token). Answers `pending` when "
            "`wait` ends, and the result exactly once; afterwards 410."
        ),
        "operationId": "poll_result",
        "security": [{"pollToken": []}],
        "parameters": [
            {
                "name": "pairing_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            },
            {
                "name": "wait",
                "in": "query",
                "required": False,
                "description": "seconds to long-poll (capped at the relay's max_wait)",
                "schema": {"type": "number", "minimum": 0, "maximum": 3600, "default": 0},
            },
        ],
        "responses": {
            "200": _json("PollOut", "pending, complete (sealed) or denied"),
            "401": _json(error, "missing or wrong poll token"),
            "404": _json(error, "unknown pairing"),
            "410": _json(error, "pairing collected, expired or cancelled"),
            "422": _json(error, "bad `wait`"),
            "429": _json(error, "rate limit, or polled faster than `interval` (slow_down)"),
            "503": _json(error, "the store is unavailable"),
        },
    }


def document_long_poll(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            schema["paths"].setdefault(RESULT_ROUTE, {})["get"] = _long_poll_operation()
            components = schema.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for model in (PollOut, ErrorOut):
                schemas[model.__name__] = model.model_json_schema(ref_template=_REF)
            components.setdefault("securitySchemes", {})["pollToken"] = {
                "type": "http",
                "scheme": "bearer",
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
