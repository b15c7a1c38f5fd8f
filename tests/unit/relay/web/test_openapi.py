"""The relay publishes a valid OpenAPI document describing protocol v1."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from awslogin_protocol.messages import MAX_CALLBACK_VALUE, MAX_PASTE
from awslogin_protocol.sealing import HostKey
from awslogin_relay.domain import codes
from tests.support.relay_app import Relay, state_of

pytestmark = pytest.mark.unit


async def test_openapi_schema_is_valid_and_describes_the_api(relay_app: Relay) -> None:
    response = await relay_app.client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    paths = schema["paths"]
    for path in (
        "/.well-known/awslogin-relay",
        "/v1/pairings",
        "/v1/pairings/{pairing_id}/result",
        "/v1/pairings/{pairing_id}/ack",
        "/v1/pairings/{pairing_id}/outcome",
        "/v1/pairings/{pairing_id}",
        "/p/{pairing_id}",
        "/p/{pairing_id}/confirm",
        "/p/{pairing_id}/code",
        "/callback",
        "/link",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in paths
    create = paths["/v1/pairings"]["post"]["responses"]
    assert {"201", "400", "401", "413", "415", "422", "429", "503"} <= set(create)
    request_body = paths["/v1/pairings"]["post"]["requestBody"]["content"]
    assert set(request_body) == {"application/json"}
    assert "410" in paths["/v1/pairings/{pairing_id}/result"]["get"]["responses"]
    assert {"303", "403", "409"} <= set(paths["/p/{pairing_id}/confirm"]["post"]["responses"])
    assert "403" in paths["/callback"]["get"]["responses"]
    assert "403" in paths["/p/{pairing_id}/code"]["post"]["responses"]
    ack = paths["/v1/pairings/{pairing_id}/ack"]["post"]
    assert {"204", "401", "404", "409", "410"} <= set(ack["responses"])
    assert ack["security"] == [{"pollToken": []}]
    outcome = paths["/v1/pairings/{pairing_id}/outcome"]["post"]
    assert outcome["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OutcomeReport"
    }
    assert {"204", "401", "409", "410", "422"} <= set(outcome["responses"])
    report = schema["components"]["schemas"]["OutcomeReport"]
    assert report["properties"]["outcome"]["enum"] == ["signed_in", "failed"]
    assert report["properties"]["account_id"]["anyOf"][0]["pattern"] == "^[0-9]{12}$"
    status = schema["components"]["schemas"]["PublicStatus"]["properties"]["status"]
    assert {"finishing", "signed_in", "failed"} <= set(status["enum"])


def _form(schema: dict[str, Any], path: str) -> dict[str, Any]:
    body = schema["paths"][path]["post"]["requestBody"]["content"]
    ref = body["application/x-www-form-urlencoded"]["schema"]["$ref"]
    form: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return form


async def test_the_document_states_the_rules_the_relay_checks(relay_app: Relay) -> None:
    """Each input rule the relay enforces is in the document, so that a client built from
    it sends nothing the relay refuses as malformed (the conformance test, with every
    schemathesis check, holds the two together against a real relay_app)."""
    schema = (await relay_app.client.get("/openapi.json")).json()
    parameters = {p["name"]: p for p in schema["paths"]["/callback"]["get"]["parameters"]}
    state = parameters["state"]
    assert state["required"] is True
    _, _, url = await relay_app.create()
    assert re.fullmatch(state["schema"]["pattern"], state_of(url))
    assert not re.search(state["schema"]["pattern"], "short")
    for name in ("code", "iss", "error", "error_description"):
        assert parameters[name]["schema"]["anyOf"][0]["maxLength"] == MAX_CALLBACK_VALUE

    key = schema["components"]["schemas"]["PairingRequest"]["properties"]["public_key"]
    assert re.fullmatch(key["pattern"], HostKey().public_key)

    link = _form(schema, "/link")
    assert link["required"] == ["user_code"]
    typed = link["properties"]["user_code"]["pattern"]
    for text in ("bdkm-trwx", " Bd-Km-Tr-Wx ", "BDKMTRWX", "BDKM-TRW0", "ßßßß", "", "BDKM"):
        assert (re.fullmatch(typed, text) is not None) == (
            codes.normalize_user_code(text) is not None
        )

    paste = _form(schema, "/p/{pairing_id}/code")
    assert paste["required"] == ["code"]
    assert paste["properties"]["code"]["maxLength"] == MAX_PASTE
    assert paste["properties"]["code"]["minLength"] == 1


async def test_a_schema_valid_callback_or_code_is_never_refused_as_malformed(
    relay_app: Relay,
) -> None:
    """What the document admits reaches the pairing lookup: 404 for an unknown state or
    code, not 400."""
    unknown_state = await relay_app.client.get("/callback", params={"state": "s" * 22, "code": "c"})
    assert unknown_state.status_code == 404
    unknown_code = await relay_app.client.post("/link", data={"user_code": "bdkm trwx"})
    assert unknown_code.status_code == 404
    created, _, _ = await relay_app.create()
    too_long = await relay_app.client.post(
        f"/p/{created['pairing_id']}/code", data={"code": "x" * (MAX_PASTE + 1)}
    )
    assert too_long.status_code == 422


async def test_docs_ui_with_third_party_scripts_is_off(relay_app: Relay) -> None:
    assert (await relay_app.client.get("/docs")).status_code == 404
