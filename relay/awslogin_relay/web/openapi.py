"""OpenAPI entries for the requests that `web.hotpaths` serves outside FastAPI's router.

FastAPI documents the routes it serves; these four are written out here from the same
pydantic models, so the published document still covers the whole protocol.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from awslogin_relay.web.schemas import (
    CreatedPairingOut,
    CreatePairingIn,
    ErrorOut,
    HostIn,
    PollOut,
)

_REF = "#/components/schemas/{model}"


def _json(model_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model_name)}}},
    }


def _errors(descriptions: dict[int, str]) -> dict[str, Any]:
    return {str(status): _json("ErrorOut", text) for status, text in descriptions.items()}


def _create_operation() -> dict[str, Any]:
    return {
        "tags": ["host"],
        "summary": "Create Pairing",
        "description": "Start a pairing; the poll token in the answer is the only copy anywhere.",
        "operationId": "create_pairing",
        "security": [{}, {"createToken": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model="CreatePairingIn")}}
            },
        },
        "responses": {
            "201": _json("CreatedPairingOut", "the new pairing"),
            **_errors(
                {
                    400: "malformed JSON, or an authorize_url/public_key the relay refuses",
                    401: "missing or wrong creation token (when RELAY_CREATE_TOKEN is set)",
                    413: "body too large",
                    422: "body does not match the schema",
                    429: "too many pairings created from this address",
                    503: "too many pending pairings, or the store is unavailable",
                }
            ),
        },
    }


def _poll_operation() -> dict[str, Any]:
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
            {"name": "pairing_id", "in": "path", "required": True, "schema": {"type": "string"}},
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
            **_errors(
                {
                    401: "missing or wrong poll token",
                    404: "unknown pairing",
                    410: "pairing collected, expired or cancelled",
                    422: "bad `wait`",
                    429: "rate limit, or polled faster than `interval` (slow_down)",
                    503: "the store is unavailable",
                }
            ),
        },
    }


def _callback_operation() -> dict[str, Any]:
    def query(name: str, description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": {"type": "string"},
        }

    page = {"text/html": {"schema": {"type": "string"}}}
    return {
        "tags": ["browser"],
        "summary": "Callback",
        "description": (
            "Where the provider sends the browser back (redirect mode): the result is "
            "sealed to the host's key, only the ciphertext is stored, and the browser "
            "goes on to a page without the code in its URL. Only the browser that "
            "confirmed the pairing (it carries the binding cookie set by "
            "POST /p/{pairing_id}/confirm) may complete it."
        ),
        "operationId": "callback",
        "parameters": [
            query("state", "the state of the authorize URL (routes to the pairing)"),
            query("code", "the authorization code"),
            query("iss", "the issuer (RFC 9207)"),
            query("error", "the provider's refusal"),
            query("error_description", "the provider's explanation"),
            {
                "name": "__Host-awl_{pairing_id}",
                "in": "cookie",
                "required": False,
                "description": (
                    "the binding secret given at confirmation (named awl_{pairing_id} "
                    "when the relay's public URL is http)"
                ),
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "303": {"description": "to /p/{pairing_id}/done"},
            "400": {"description": "missing or malformed state, code or error", "content": page},
            "403": {
                "description": "this browser did not confirm the pairing; nothing is stored",
                "content": page,
            },
            "404": {"description": "no pairing has this state", "content": page},
            "410": {"description": "pairing expired or already completed", "content": page},
            "429": {"description": "too many requests from this address", "content": page},
        },
    }


def _confirm_operation() -> dict[str, Any]:
    page = {"text/html": {"schema": {"type": "string"}}}
    return {
        "tags": ["browser"],
        "summary": "Confirm",
        "description": (
            'The "this is my terminal" button of the confirmation page. The first browser '
            "to press it gets an HttpOnly, SameSite=Lax cookie (__Host-awl_{pairing_id} "
            "on an https relay, awl_{pairing_id} on http) that binds the pairing to it: "
            "only requests carrying it may complete the pairing. Pressing it again in the "
            "same browser is harmless."
        ),
        "operationId": "confirm",
        "parameters": [
            {
                "name": "pairing_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "responses": {
            "303": {
                "description": (
                    "to the provider (redirect mode) or to /p/{pairing_id}/paste; sets the "
                    "binding cookie the first time"
                )
            },
            "403": {"description": "posted from another site", "content": page},
            "404": {"description": "no such pairing", "content": page},
            "409": {"description": "another browser confirmed this pairing", "content": page},
            "410": {"description": "pairing expired or already completed", "content": page},
            "429": {"description": "too many requests from this address", "content": page},
        },
    }


def document_hot_paths(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            paths = schema["paths"]
            paths.setdefault("/v1/pairings", {})["post"] = _create_operation()
            paths.setdefault("/v1/pairings/{pairing_id}/result", {})["get"] = _poll_operation()
            paths.setdefault("/callback", {})["get"] = _callback_operation()
            paths.setdefault("/p/{pairing_id}/confirm", {})["post"] = _confirm_operation()
            components = schema.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for model in (CreatePairingIn, HostIn, CreatedPairingOut, PollOut, ErrorOut):
                model_schema = model.model_json_schema(ref_template=_REF)
                model_schema.pop("$defs", None)  # nested models are components themselves
                schemas[model.__name__] = model_schema
            components.setdefault("securitySchemes", {}).update(
                {
                    "pollToken": {"type": "http", "scheme": "bearer"},
                    "createToken": {"type": "http", "scheme": "bearer"},
                }
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
