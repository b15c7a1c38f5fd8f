"""Delivery, acknowledgement and outcome through HTTP (docs/protocol.md, "Delivery").

The result reaches the poll-token holder again and again until it acknowledges it or
the redelivery window ends, and nobody else ever; the acknowledgement drops it; the
host's report ends the pairing once and is kept for the person's page.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.relay_app import Relay

pytestmark = pytest.mark.unit

SIGNED_IN = {"outcome": "signed_in", "account_id": "123456789012", "role": "dev"}


async def test_only_the_poll_token_holder_ever_gets_the_result(relay_app: Relay) -> None:
    created, key, url = await relay_app.create()
    other, _, _ = await relay_app.create()
    await relay_app.authorize(created, url)
    pid = created["pairing_id"]
    wrong_tokens = ["not-the-token", other["poll_token"], created["poll_token"] + "x"]
    for _ in range(2):  # before and between redeliveries alike
        for token in wrong_tokens:
            refused = await relay_app.client.get(
                f"/v1/pairings/{pid}/result", headers={"Authorization": f"Bearer {token}"}
            )
            assert refused.status_code == 401
            assert "sealed" not in refused.text
        anonymous = await relay_app.client.get(f"/v1/pairings/{pid}/result")
        assert anonymous.status_code == 401
        delivered = await relay_app.poll(created)
        assert json.loads(key.open(delivered.json()["sealed"], pid))["code"] == "the-code"
    # nor can anyone else acknowledge it or report for it
    for token in wrong_tokens:
        assert (await relay_app.ack(created, token)).status_code == 401
        assert (await relay_app.report(created, token)).status_code == 401
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "authorized"}
    # another pairing's poll gets its own answer, never this result
    assert (await relay_app.poll(other)).json() == {"status": "pending"}


async def test_acknowledgement_drops_the_result_and_is_idempotent(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    pending = await relay_app.ack(created)
    assert pending.status_code == 409
    assert pending.json()["error"] == "not_authorized"
    await relay_app.authorize(created, url)
    sealed = (await relay_app.poll(created)).json()["sealed"]
    assert (await relay_app.ack(created)).status_code == 204
    stored = await relay_app.store.get(pid)
    assert stored is not None
    assert stored.acknowledged
    assert sealed not in repr(stored)  # dropped at once, not at expiry
    assert (await relay_app.ack(created)).status_code == 204
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "finishing"}
    gone = await relay_app.poll(created)
    assert gone.status_code == 410
    assert gone.json()["error"] == "already_collected"
    metrics = (await relay_app.client.get("/metrics")).text
    assert "awslogin_relay_pairings_acknowledged_total 1.0" in metrics  # once, not twice


async def test_the_redelivery_window_ends_an_unacknowledged_result(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_REDELIVERY_TTL="30")
    async with relay_app.client:
        created, _, url = await relay_app.create()
        await relay_app.authorize(created, url)
        relay_app.clock.advance(20)  # waiting for its host does not start the window
        first = await relay_app.poll(created)
        assert first.json()["status"] == "complete"
        relay_app.clock.advance(29)
        assert (await relay_app.poll(created)).json() == first.json()
        relay_app.clock.advance(1)
        expired = await relay_app.poll(created)
        assert expired.status_code == 410
        assert expired.json()["error"] == "expired_token"
        assert (await relay_app.ack(created)).status_code == 410
        assert (await relay_app.report(created)).status_code == 410
        status = await relay_app.client.get(f"/p/{created['pairing_id']}/status")
        assert status.json() == {"status": "expired"}


async def test_a_finishing_pairing_waits_result_ttl_for_its_outcome(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.poll(created)
    relay_app.clock.advance(50)
    assert (await relay_app.ack(created)).status_code == 204
    relay_app.clock.advance(119)  # past the redelivery window: acknowledged, it lives on
    assert (await relay_app.report(created)).status_code == 204
    late, _, late_url = await relay_app.create()
    await relay_app.authorize(late, late_url)
    await relay_app.ack(late)
    relay_app.clock.advance(120)
    assert (await relay_app.report(late)).status_code == 410
    status = await relay_app.client.get(f"/p/{late['pairing_id']}/status")
    assert status.json() == {"status": "expired"}


async def test_the_outcome_is_reported_once(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    early = await relay_app.report(created)
    assert early.status_code == 409
    assert early.json()["error"] == "not_authorized"
    await relay_app.authorize(created, url)
    assert (await relay_app.report(created)).status_code == 204  # implies the acknowledgement
    again = await relay_app.report(created, outcome="failed", reason="changed my mind")
    assert again.status_code == 409
    assert again.json()["error"] == "already_reported"
    assert (await relay_app.ack(created)).status_code == 204  # an ack that arrives late
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "signed_in"}
    assert (await relay_app.poll(created)).status_code == 410
    cancelled = await relay_app.client.delete(
        f"/v1/pairings/{pid}", headers={"Authorization": f"Bearer {created['poll_token']}"}
    )
    assert cancelled.status_code == 410
    metrics = (await relay_app.client.get("/metrics")).text
    assert 'awslogin_relay_pairings_reported_total{outcome="signed_in"} 1.0' in metrics


async def test_a_failure_is_reported_with_its_reason(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.poll(created)
    await relay_app.ack(created)
    reason = "STS refused the identity token: check the role's trust policy"
    assert (await relay_app.report(created, outcome="failed", reason=reason)).status_code == 204
    tomb = await relay_app.store.gone(created["pairing_id"])
    assert tomb is not None
    assert tomb.outcome is not None
    assert (tomb.outcome.signed_in, tomb.outcome.reason) == (False, reason)
    status = await relay_app.client.get(f"/p/{created['pairing_id']}/status")
    assert status.json() == {"status": "failed"}  # the word only: no reason here


async def test_a_reason_is_kept_as_one_safe_line_of_300_characters(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    hostile = (
        "STS\x1b[2J refused\u202e\u2066 the\u200b token\r\nFake: Signed in as root\u2028"
        + "x" * 600
    )
    assert (await relay_app.report(created, outcome="failed", reason=hostile)).status_code == 204
    tomb = await relay_app.store.gone(created["pairing_id"])
    assert tomb is not None
    assert tomb.outcome is not None
    kept = tomb.outcome.reason
    assert kept is not None
    assert kept.startswith("STS[2J refused the token Fake: Signed in as root xxx")
    assert len(kept) == 300
    assert kept.endswith("\u2026")
    assert kept.isprintable()


async def test_fields_that_do_not_belong_to_the_outcome_are_dropped(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    body = {"outcome": "failed", "reason": "no", "account_id": "123456789012", "role": "dev"}
    assert (await relay_app.report(created, **body)).status_code == 204
    tomb = await relay_app.store.gone(created["pairing_id"])
    assert tomb is not None
    assert tomb.outcome is not None
    assert (tomb.outcome.account_id, tomb.outcome.role) == (None, None)


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "maybe"},
        {},
        {"outcome": "signed_in", "account_id": "12345678901"},
        {"outcome": "signed_in", "account_id": "12345678901a"},
        {"outcome": "signed_in", "role": "dev\nops"},
        {"outcome": "signed_in", "role": "r" * 65},
        {"outcome": "failed", "reason": "r" * 2049},
        {"outcome": "failed", "reason": 42},
    ],
)
async def test_malformed_reports_are_refused_and_change_nothing(
    relay_app: Relay, body: dict[str, object]
) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    response = await relay_app.client.post(
        f"/v1/pairings/{created['pairing_id']}/outcome",
        json=body,
        headers={"Authorization": f"Bearer {created['poll_token']}"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "dev\nops" not in response.text
    assert (await relay_app.poll(created)).json()["status"] == "complete"  # still delivered


async def test_a_report_that_is_not_json_is_400(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    response = await relay_app.client.post(
        f"/v1/pairings/{created['pairing_id']}/outcome",
        content=b'{"outcome": ',
        headers={"Authorization": f"Bearer {created['poll_token']}"},
    )
    assert response.status_code == 400


async def test_unknown_and_malformed_pairings_are_404(relay_app: Relay) -> None:
    auth = {"Authorization": "Bearer x"}
    for path in ("/v1/pairings/AAAAAAAAAAAA/ack", "/v1/pairings/..%2f/ack"):
        response = await relay_app.client.post(path, headers=auth)
        assert response.status_code == 404
    outcome = await relay_app.client.post(
        "/v1/pairings/AAAAAAAAAAAA/outcome", json=SIGNED_IN, headers=auth
    )
    assert outcome.status_code == 404
    wrong_method = await relay_app.client.get("/v1/pairings/AAAAAAAAAAAA/ack")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


async def test_a_denial_stays_denied_however_the_host_ends_it(relay_app: Relay) -> None:
    for ending in ("ack", "report", "cancel"):
        created, _, url = await relay_app.create()
        await relay_app.authorize(created, url, error="access_denied")
        assert (await relay_app.poll(created)).json()["status"] == "denied"
        if ending == "ack":
            assert (await relay_app.ack(created)).status_code == 204
        elif ending == "report":
            assert (await relay_app.report(created)).status_code == 204  # it cannot say signed in
        else:
            cancel = await relay_app.client.delete(
                f"/v1/pairings/{created['pairing_id']}",
                headers={"Authorization": f"Bearer {created['poll_token']}"},
            )
            assert cancel.status_code == 204
        status = await relay_app.client.get(f"/p/{created['pairing_id']}/status")
        assert status.json() == {"status": "denied"}, ending


async def test_cancelling_an_unacknowledged_result_ends_it(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.poll(created)
    cancel = await relay_app.client.delete(
        f"/v1/pairings/{created['pairing_id']}",
        headers={"Authorization": f"Bearer {created['poll_token']}"},
    )
    assert cancel.status_code == 204
    assert (await relay_app.poll(created)).json()["error"] == "cancelled"
    assert (await relay_app.ack(created)).status_code == 410


async def test_acks_and_reports_count_against_the_collect_limit(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_RATE_COLLECT="3")
    async with relay_app.client:
        created, _, url = await relay_app.create()
        await relay_app.authorize(created, url)
        statuses = [
            (await relay_app.poll(created)).status_code,
            (await relay_app.ack(created)).status_code,
            (await relay_app.ack(created)).status_code,
            (await relay_app.report(created)).status_code,
        ]
        assert statuses == [200, 204, 204, 429]
