"""The JSON API the host uses: discovery, create a pairing, long-poll its result,
acknowledge it, report the outcome, cancel.

Creation, the long-poll, the acknowledgement and the report are fast paths
(`web.fastpaths`); discovery and cancel are ordinary FastAPI routes. Every body is an
`awslogin_protocol.messages` model, the same the host parses the answers with
(docs/protocol.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from awslogin_protocol import REVISION, VERSION
from awslogin_protocol.messages import (
    Confirmation,
    Discovery,
    OutcomeReport,
    PairingCreated,
    PairingRequest,
    PollAnswer,
    PollUntil,
)
from awslogin_relay.domain.codes import format_user_code, matching_create_token
from awslogin_relay.domain.errors import (
    invalid_create_token,
    invalid_token,
    unsupported_media_type,
)
from awslogin_relay.domain.host_operations import NewPairing, PollOutcome
from awslogin_relay.domain.pairing import ResultKind
from awslogin_relay.web.errors import invalid_input
from awslogin_relay.web.fastpaths import FastPathTable
from awslogin_relay.web.openapi import Answer, refusals, responses
from awslogin_relay.web.render import json_answer
from awslogin_relay.web.request import (
    bearer_token,
    body_of,
    client_of,
    header,
    query_pairs,
    service_of,
)
from awslogin_relay.web.routing import RouteTable

TAGS = ("host",)
router = RouteTable(tags=list(TAGS))
fast_paths = FastPathTable(tags=TAGS)
MAX_WAIT_PARAMETER = 3600.0


class PairingPath(BaseModel):
    pairing_id: str = Field(description="the pairing id from the creation answer")


class PollQuery(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    wait: float = Field(
        default=0.0,
        ge=0,
        le=MAX_WAIT_PARAMETER,
        description="seconds to long-poll (capped at the relay's max_wait)",
    )
    until: PollUntil = Field(
        default="result",
        description="`confirmation`: the host has not seen a confirmation yet, so the "
        "long-poll also ends when a browser confirms, or at once if one has (revision 2)",
    )


@router.get(
    "/.well-known/awslogin-relay",
    response_model=None,
    responses=responses({200: Answer("what a host needs to know", model=Discovery)}),
)
async def discovery(request: Request) -> Response:
    """What a host needs to know before creating a pairing."""
    settings = service_of(request).settings
    body = Discovery(
        version=VERSION,
        callback_uri=settings.callback_uri,
        verification_uri=settings.verification_uri,
        allowed_authorize_origins=list(settings.allowed_origins),
        max_wait=settings.max_wait,
        interval=settings.poll_interval,
        revision=REVISION,
    )
    return json_answer(body)


@fast_paths.route(
    "POST",
    "/v1/pairings",
    request_body=PairingRequest,
    security=("createToken",),
    anonymous=True,
    answers={
        201: Answer("the new pairing", model=PairingCreated),
        **refusals(
            {
                400: "malformed JSON, or an authorize_url/public_key the relay refuses",
                401: "missing or wrong creation token (when RELAY_CREATE_TOKEN is set)",
                413: "body too large",
                415: "the body is not declared as application/json",
                422: "body does not match the schema",
                429: "too many pairings created from this client (address, or IPv6 /64 or /48), or "
                "too many of its pairings (or of its creation token's) are waiting",
                503: "too many pending pairings in all, or the store is unavailable",
            }
        ),
    },
)
async def create_pairing(request: Request) -> Response:
    """Start a pairing; the poll token in the answer is the only copy anywhere.

    The body must be declared `application/json`: a page on another site can make a
    browser POST `text/plain` here without a preflight, never `application/json`.
    """
    if not declares_json(request):
        raise unsupported_media_type()
    service = service_of(request)
    settings = service.settings
    token_id = None
    if settings.create_tokens:
        token_id = matching_create_token(bearer_token(request), settings.create_tokens)
        if token_id is None:
            raise invalid_create_token()
    try:
        body = PairingRequest.model_validate_json(await body_of(request))
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_input=False), ("body",)) from None
    pairing, poll_token = await service.host.create(
        NewPairing(
            authorize_url=body.authorize_url,
            mode=body.mode,
            public_key=body.public_key,
            hostname=body.host.hostname,
            user=body.host.user,
            client=body.host.client,
            create_token_id=token_id,
            role=body.host.role,
            revision=body.revision,
        ),
        client_of(request),
    )
    created = PairingCreated(
        pairing_id=pairing.pairing_id,
        user_code=format_user_code(pairing.user_code),
        verification_uri=settings.verification_uri,
        verification_uri_complete=f"{settings.public_url}/p/{pairing.pairing_id}",
        poll_token=poll_token,
        expires_in=settings.pairing_ttl,
        interval=settings.poll_interval,
        match_number=pairing.match_number,
    )
    return json_answer(created, 201)


def declares_json(request: Request) -> bool:
    """Whether Content-Type is application/json (any parameters, any letter case)."""
    declared = header(request, b"content-type") or ""
    return declared.partition(";")[0].strip().lower() == "application/json"


def poll_answer(outcome: PollOutcome) -> PollAnswer:
    result = outcome.result
    if result is None:
        confirmed = outcome.confirmed
        if confirmed is None:
            return PollAnswer(status="pending")
        notice = Confirmation(
            at=confirmed.at, address=confirmed.by.address, browser=confirmed.by.browser
        )
        return PollAnswer(status="pending", confirmation=notice)
    if result.kind is ResultKind.COMPLETE:
        return PollAnswer(status="complete", sealed=result.sealed)
    return PollAnswer(
        status="denied",
        error=result.error or "access_denied",
        error_description=result.error_description or "",
    )


@fast_paths.route(
    "GET",
    "/v1/pairings/{pairing_id}/result",
    path_parameters=PairingPath,
    query_parameters=PollQuery,
    security=("pollToken",),
    answers={
        200: Answer("pending, complete (sealed) or denied", model=PollAnswer),
        **refusals(
            {
                401: "missing or wrong poll token",
                404: "unknown pairing",
                410: "result acknowledged, or pairing ended (reported, expired, cancelled)",
                422: "bad `wait`",
                429: "rate limit (of the pairing with its token, else of the client's "
                "network), or polled faster than `interval` (slow_down)",
                503: "the store is unavailable",
            }
        ),
    },
)
async def poll_result(request: Request) -> Response:
    """Long-poll for the sealed result (Bearer poll token).

    Answers `pending` when `wait` ends; the result on every poll until the host
    acknowledges it or the redelivery window (RELAY_REDELIVERY_TTL from the first
    delivery) ends; afterwards 410.
    """
    wait, until_confirmed = _wait(request)
    outcome = await service_of(request).host.poll(
        request.path_params["pairing_id"],
        bearer_token(request),
        wait,
        client_of(request),
        until_confirmed=until_confirmed,
    )
    return json_answer(poll_answer(outcome))


def _wait(request: Request) -> tuple[float, bool]:
    """The `wait` and whether `until` is `confirmation`, checked by `PollQuery`. Nothing
    of the parsing outlives this call: a waiting long-poll keeps only what it needs."""
    if not request.scope["query_string"]:
        return 0.0, False
    try:
        query = PollQuery.model_validate(dict(query_pairs(request)))
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_input=False), ("query",)) from None
    return query.wait, query.until == "confirmation"


@fast_paths.route(
    "POST",
    "/v1/pairings/{pairing_id}/ack",
    path_parameters=PairingPath,
    security=("pollToken",),
    answers={
        204: Answer("acknowledged (again, or already reported: nothing changes)"),
        **refusals(
            {
                401: "missing or wrong poll token",
                404: "unknown pairing",
                409: "the pairing has no result yet (not_authorized)",
                410: "pairing expired or cancelled",
                429: "rate limit (of the pairing with its token, else of the client's network)",
                503: "the store is unavailable",
            }
        ),
    },
)
async def acknowledge_result(request: Request) -> Response:
    """The host opened the result (Bearer poll token, empty body).

    The relay drops the sealed result at once; the pairing waits for the outcome
    (at most RELAY_RESULT_TTL). A denial ends the pairing. Idempotent.
    """
    await service_of(request).host.acknowledge(
        request.path_params["pairing_id"], bearer_token(request), client_of(request)
    )
    return Response(status_code=204)


@fast_paths.route(
    "POST",
    "/v1/pairings/{pairing_id}/outcome",
    path_parameters=PairingPath,
    request_body=OutcomeReport,
    security=("pollToken",),
    answers={
        204: Answer("recorded: the person's page now shows it"),
        **refusals(
            {
                400: "malformed JSON",
                401: "missing or wrong poll token",
                404: "unknown pairing",
                409: "no result yet (not_authorized), or already reported (already_reported)",
                410: "pairing expired or cancelled",
                413: "body too large",
                422: "body does not match the schema",
                429: "rate limit (of the pairing with its token, else of the client's network)",
                503: "the store is unavailable",
            }
        ),
    },
)
async def report_outcome(request: Request) -> Response:
    """How the host's login ended (Bearer poll token), once; implies the acknowledgement.

    Signed in with the account id and role name, or failed with the one-line reason the
    terminal printed. Only the browser that confirmed the pairing is shown them.
    """
    try:
        report = OutcomeReport.model_validate_json(await body_of(request))
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_input=False), ("body",)) from None
    await service_of(request).host.report(
        request.path_params["pairing_id"], bearer_token(request), report, client_of(request)
    )
    return Response(status_code=204)


@router.delete(
    "/v1/pairings/{pairing_id}",
    status_code=204,
    response_model=None,
    responses=responses(
        {
            204: Answer("cancelled"),
            **refusals(
                {
                    401: "missing or wrong poll token",
                    404: "unknown pairing",
                    410: "pairing ended (reported, denied, expired or cancelled)",
                    422: "malformed request",
                    429: "rate limit (of the pairing with its token, else of the client's network)",
                    503: "the store is unavailable",
                }
            ),
        }
    ),
    openapi_extra={"security": [{"pollToken": []}]},
)
async def cancel_pairing(pairing_id: str, request: Request) -> Response:
    """Cancel a pairing (Bearer poll token); the browser side then sees it as cancelled."""
    token = bearer_token(request)
    if token is None:
        raise invalid_token()
    await service_of(request).host.cancel(pairing_id, token, client_of(request))
    return Response(status_code=204)
