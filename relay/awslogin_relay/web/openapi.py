"""OpenAPI from declarations: what each route answers, written once as typed records.

A route declares its answers as :class:`Answer` records (a status, a sentence, the model
of a JSON body or the media type of a page, the headers it sets). FastAPI routes pass
them as `responses=` (:func:`responses`); the fast paths, which FastAPI never sees,
carry a whole :class:`Operation`, which :func:`document_fast_paths` adds to the document
FastAPI generates. Bodies are pydantic models (`awslogin_protocol.messages` for the
protocol's JSON), so the schema published in `/openapi.json` is the schema the answers
are built from; a conformance test (schemathesis) holds the relay to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from awslogin_protocol.messages import ErrorBody
from awslogin_relay.web.errors import is_page

REF_TEMPLATE = "#/components/schemas/{model}"
HTML = "text/html"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_TEXT = {"schema": {"type": "string"}}


@dataclass(frozen=True, slots=True)
class Answer:
    """One documented answer: a JSON body of `model`, a body of `media_type`, or none."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str | None = None
    headers: Mapping[str, bool] = field(default_factory=dict)  # header name: always sent?

    def content(self) -> dict[str, Any] | None:
        if self.model is not None:
            return {JSON: {"schema": {"$ref": REF_TEMPLATE.format(model=self.model.__name__)}}}
        if self.media_type is not None:
            return {self.media_type: dict(_TEXT)}
        return None

    def as_object(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"description": self.description}
        if (content := self.content()) is not None:
            answer["content"] = content
        if self.headers:
            answer["headers"] = {
                name: {"required": required, "schema": {"type": "string"}}
                for name, required in self.headers.items()
            }
        return answer


def redirect(description: str, *, sets_cookie: bool = False) -> Answer:
    """A 303 to another page; the browser follows `Location`."""
    headers = {"Location": True}
    if sets_cookie:
        headers["Set-Cookie"] = False
    return Answer(description, headers=headers)


def refusals(
    descriptions: Mapping[int, str], *, media_type: str | None = None
) -> dict[int, Answer]:
    """Error answers: an `ErrorBody` in JSON, or a page when `media_type` is given.

    Limits (429, 503) say when to come back in Retry-After; a refused Bearer token (401)
    names the scheme in WWW-Authenticate.
    """
    answers = {}
    for status, description in descriptions.items():
        headers: dict[str, bool] = {}
        if status in (429, 503):
            headers["Retry-After"] = False
        if status == 401:
            headers["WWW-Authenticate"] = True
        if media_type is None:
            answers[status] = Answer(description, model=ErrorBody, headers=headers)
        else:
            answers[status] = Answer(description, media_type=media_type, headers=headers)
    return answers


def responses(answers: Mapping[int, Answer]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a FastAPI route: `model` lets FastAPI register the schema."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status, answer in answers.items():
        entry = answer.as_object()
        if answer.model is not None:
            entry.pop("content")
            entry["model"] = answer.model
        documented[status] = entry
    return documented


@dataclass(frozen=True, slots=True)
class Operation:
    """Everything the document says about one request that FastAPI does not route."""

    operation_id: str
    summary: str
    description: str
    tags: tuple[str, ...]
    answers: Mapping[int, Answer]
    path_parameters: type[BaseModel] | None = None
    query_parameters: type[BaseModel] | None = None
    request_body: type[BaseModel] | None = None
    # a JSON body is required; a form's fields are all optional, so the form may be absent
    request_media_type: str = JSON
    security: tuple[str, ...] = ()  # Bearer schemes, any one of which is accepted
    anonymous: bool = False  # the security schemes are optional

    def models(self) -> Iterable[type[BaseModel]]:
        if self.request_body is not None:
            yield self.request_body
        for answer in self.answers.values():
            if answer.model is not None:
                yield answer.model

    def as_object(self) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "tags": list(self.tags),
            "summary": self.summary,
            "description": self.description,
            "operationId": self.operation_id,
        }
        parameters = [
            *_parameters(self.path_parameters, "path"),
            *_parameters(self.query_parameters, "query"),
        ]
        if parameters:
            operation["parameters"] = parameters
        if self.security:
            schemes: list[dict[str, list[str]]] = [{name: []} for name in self.security]
            operation["security"] = [{}, *schemes] if self.anonymous else schemes
        if self.request_body is not None:
            ref = {"$ref": REF_TEMPLATE.format(model=self.request_body.__name__)}
            operation["requestBody"] = {
                "required": self.request_media_type == JSON,
                "content": {self.request_media_type: {"schema": ref}},
            }
        operation["responses"] = {
            str(status): answer.as_object() for status, answer in sorted(self.answers.items())
        }
        return operation


def _parameters(
    model: type[BaseModel] | None, location: Literal["path", "query"]
) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, property_schema in schema["properties"].items():
        described = dict(property_schema)
        description = described.pop("description", None)
        described.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": location,
            "required": location == "path" or name in required,
            "schema": described,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _relay_validation_errors(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Describe 422 as the relay answers it (`web.errors`), not as FastAPI would.

    FastAPI documents its own validation error body for every route with parameters;
    the relay's handler answers an `ErrorBody`, or a page on browser routes.
    """
    default = {"$ref": REF_TEMPLATE.format(model="HTTPValidationError")}
    for path, operations in paths.items():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422")
            if answer is None or answer.get("content", {}).get(JSON, {}).get("schema") != default:
                continue
            media_type = HTML if is_page(path) else None
            refusal = refusals(
                {422: "the request does not match the schema"}, media_type=media_type
            )
            operation["responses"]["422"] = refusal[422].as_object()
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


# What the relay's connection layer (`awslogin_relay.edge`) answers before a request
# reaches the app, on any path and always as an ErrorBody.
_EDGE_REFUSALS = refusals(
    {
        408: "the request head or body did not arrive in time (RELAY_HEADER_TIMEOUT, "
        "RELAY_BODY_TIMEOUT)",
        431: "the request line and headers are larger than RELAY_MAX_HEADER",
    }
)


def _edge_refusals(paths: dict[str, Any]) -> None:
    for operations in paths.values():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            for status, answer in _EDGE_REFUSALS.items():
                answers.setdefault(str(status), answer.as_object())


def document_fast_paths(app: FastAPI, operations: Iterable[tuple[str, str, Operation]]) -> None:
    """Make `app.openapi()` add each (method, path, operation) to FastAPI's document."""
    declared = tuple(operations)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            paths = schema.setdefault("paths", {})
            _relay_validation_errors(paths, schema.get("components", {}).get("schemas", {}))
            for method, path, operation in declared:
                paths.setdefault(path, {})[method.lower()] = operation.as_object()
            _edge_refusals(paths)
            models = {model for _, _, operation in declared for model in operation.models()}
            _, definitions = models_json_schema(
                [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
                ref_template=REF_TEMPLATE,
            )
            components = schema.setdefault("components", {})
            known = components.setdefault("schemas", {})
            for name, model_schema in definitions.get("$defs", {}).items():
                known.setdefault(name, model_schema)
            schemes = {name for _, _, operation in declared for name in operation.security}
            components.setdefault("securitySchemes", {}).update(
                {name: {"type": "http", "scheme": "bearer"} for name in sorted(schemes)}
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
