"""No code, state, poll token, key or sealed blob in any log line (access, audit, errors)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from tests.support.phone import cancel_async, choose_async
from tests.support.relay_app import Relay, state_of

pytestmark = pytest.mark.unit


async def test_a_whole_lifecycle_logs_no_secret(
    relay_app: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created, key, url = await relay_app.create()
    state = state_of(url)
    pid = created["pairing_id"]
    await relay_app.client.get(f"/p/{pid}")
    await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
    binding = relay_app.client.cookies[f"__Host-awl_{pid}"]
    code = "AUTHCODE-very-secret-value"
    # a browser that did not confirm is refused, and the refusal is audited
    async with relay_app.browser() as other:
        other.cookies.set(f"__Host-awl_{pid}", "forged-binding-value", domain="relay.test")
        refused = await other.get("/callback", params={"code": code, "state": state})
        assert refused.status_code == 403
    waiter = asyncio.create_task(relay_app.poll(created, wait=5))
    await asyncio.sleep(0.02)
    await relay_app.client.get("/callback", params={"code": code, "state": state, "iss": "x"})
    body = (await waiter).json()
    await relay_app.client.get(
        f"/v1/pairings/{pid}/result", headers={"Authorization": "Bearer wrong-token-value"}
    )
    assert (await relay_app.poll(created)).json() == body  # delivered again
    assert (await relay_app.ack(created)).status_code == 204
    # the host's report: the audit line keeps its outcome word, never what it says
    reason = "STS refused role REPORTED-ROLE-NAME for account 210987654321"
    assert (await relay_app.report(created, outcome="failed", reason=reason)).status_code == 204
    paste, _, _ = await relay_app.create(mode="paste")
    await choose_async(relay_app.client, f"/p/{paste['pairing_id']}", paste["match_number"])
    await relay_app.client.post(f"/p/{paste['pairing_id']}/code", data={"code": "PASTED-secret"})
    await relay_app.client.delete(
        f"/v1/pairings/{paste['pairing_id']}",
        headers={"Authorization": f"Bearer {paste['poll_token']}"},
    )
    relay_app.clock.advance(4000)
    await relay_app.app.state.service.sweep()

    # everything but the test's own HTTP client (httpx logs the URLs it requests)
    relay_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert relay_records
    text = "\n".join(record.getMessage() for record in relay_records)
    secrets = [
        code,
        state,
        created["poll_token"],
        paste["poll_token"],
        key.public_key,
        body["sealed"],
        "PASTED-secret",
        "wrong-token-value",
        created["user_code"],
        binding,
        relay_app.client.cookies[f"__Host-awl_{paste['pairing_id']}"],
        "forged-binding-value",
        "REPORTED-ROLE-NAME",
        "210987654321",
    ]
    for secret in secrets:
        assert secret not in text
    # the access log has paths, never query strings
    access = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "awslogin_relay.access"
    ]
    assert any(line["path"] == "/callback" for line in access)
    assert all("?" not in line["path"] for line in access)
    # one audit line per pairing event, CloudTrail-shaped
    audit = [json.loads(r.getMessage()) for r in caplog.records if r.name == "awslogin_relay.audit"]
    actions = [(line["awslogin"]["action"], line["awslogin"]["pairingId"]) for line in audit]
    assert actions == [
        ("created", pid),
        ("confirmed", pid),
        ("refused", pid),
        ("authorized", pid),
        ("collected", pid),
        ("collected", pid),
        ("acknowledged", pid),
        ("reported", pid),
        ("created", paste["pairing_id"]),
        ("confirmed", paste["pairing_id"]),
        ("authorized", paste["pairing_id"]),
        ("cancelled", paste["pairing_id"]),
    ]
    first = audit[0]
    assert first["eventName"] == "StartOAuth2Pairing"
    assert audit[2]["outcome"] == "unconfirmed_browser"
    assert audit[2]["sourceIPAddress"] == "198.51.100.9"
    assert audit[3]["eventName"] == "AuthorizeOAuth2Access"
    assert audit[4]["eventName"] == "CreateOAuth2Token"
    assert audit[7]["eventName"] == "ReportOAuth2Outcome"
    assert audit[7]["outcome"] == "failed"
    assert first["sourceIPAddress"] == "203.0.113.7"
    assert first["awslogin"]["hostName"] == "gpu-box-3"
    assert {"eventTime", "userAgent", "outcome"} <= set(first)


async def test_expiry_and_denial_are_audited(
    relay_app: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="awslogin_relay.audit")
    denied, _, url = await relay_app.create()
    await relay_app.confirm(denied)
    await relay_app.client.get(
        "/callback", params={"error": "access_denied", "state": state_of(url)}
    )
    expiring, _, _ = await relay_app.create()
    relay_app.clock.advance(601)
    await relay_app.app.state.service.sweep()
    audit = [json.loads(r.getMessage()) for r in caplog.records if r.name == "awslogin_relay.audit"]
    by_action = {line["awslogin"]["action"]: line for line in audit}
    assert by_action["denied"]["outcome"] == "denied"
    assert by_action["denied"]["errorCode"] == "access_denied"
    assert by_action["expired"]["awslogin"]["pairingId"] == expiring["pairing_id"]
    assert by_action["expired"]["eventName"] == "ExpireOAuth2Pairing"


async def test_not_me_and_its_refusals_are_audited(
    relay_app: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="awslogin_relay.audit")
    created, _, _ = await relay_app.create(mode="paste")
    pid = created["pairing_id"]
    await relay_app.confirm(created)
    await cancel_async(relay_app.client, f"/p/{pid}", {"sec-fetch-site": "cross-site"})
    async with relay_app.browser() as other:
        await cancel_async(other, f"/p/{pid}", {"sec-fetch-site": "same-origin"})
    await cancel_async(relay_app.client, f"/p/{pid}", {"sec-fetch-site": "same-origin"})
    audit = [json.loads(r.getMessage()) for r in caplog.records if r.name == "awslogin_relay.audit"]
    refused = [line["outcome"] for line in audit if line["awslogin"]["action"] == "refused"]
    assert refused == ["cross_site_cancellation", "unconfirmed_browser"]
    (denied,) = [line for line in audit if line["awslogin"]["action"] == "denied"]
    assert denied["outcome"] == "denied"
    assert denied["errorCode"] == "denied_on_page"
    assert denied["sourceIPAddress"] == "203.0.113.7"
