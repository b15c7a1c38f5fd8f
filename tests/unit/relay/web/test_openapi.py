"""The relay publishes a valid OpenAPI document describing protocol v1."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.support.relay_app import Relay

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


async def test_docs_ui_with_third_party_scripts_is_off(relay_app: Relay) -> None:
    assert (await relay_app.client.get("/docs")).status_code == 404
