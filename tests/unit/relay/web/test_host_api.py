"""HTTP-level tests of the host-facing JSON API (protocol v1)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from awslogin_protocol.sealing import HostKey
from tests.support.relay_app import CALLBACK, IDP, PUBLIC_URL, Relay, authorize_url, state_of

pytestmark = pytest.mark.unit


async def test_discovery_tells_the_host_its_redirect_uri(relay_app: Relay) -> None:
    response = await relay_app.client.get("/.well-known/awslogin-relay")
    assert response.status_code == 200
    assert response.json() == {
        "version": 1,
        "callback_uri": CALLBACK,
        "verification_uri": f"{PUBLIC_URL}/link",
        "allowed_authorize_origins": [IDP, "https://login.test:8443"],
        "max_wait": 25,
        "interval": 0.0,
        "revision": 2,
    }


async def test_create_answers_rfc8628_style_fields(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    assert set(created) == {
        "pairing_id",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "poll_token",
        "expires_in",
        "interval",
        "match_number",
    }
    assert 10 <= created["match_number"] <= 99
    assert len(created["pairing_id"]) == 12
    assert created["pairing_id"].isalnum()
    code = created["user_code"]
    assert len(code) == 9
    assert code[4] == "-"
    assert set(code.replace("-", "")) <= set("BCDFGHJKLMNPQRSTVWXZ")
    assert created["verification_uri_complete"] == f"{PUBLIC_URL}/p/{created['pairing_id']}"
    assert created["expires_in"] == 600
    assert len(created["poll_token"]) >= 43
    # the store keeps only the hash of the poll token
    stored = await relay_app.store.get(created["pairing_id"])
    assert stored is not None
    assert created["poll_token"] not in repr(stored)


async def test_full_redirect_lifecycle_delivers_the_sealed_result_until_acknowledged(
    relay_app: Relay,
) -> None:
    created, key, url = await relay_app.create()
    pending = await relay_app.poll(created)
    assert pending.json() == {"status": "pending"}
    assert (await relay_app.confirm(created)).status_code == 303
    callback = await relay_app.client.get(
        "/callback", params={"code": "the-auth-code", "state": state_of(url), "iss": IDP}
    )
    assert callback.status_code == 303
    assert callback.headers["location"] == f"/p/{created['pairing_id']}/done"
    # the store holds ciphertext only
    stored = await relay_app.store.get(created["pairing_id"])
    assert stored is not None
    assert "the-auth-code" not in repr(stored)
    collected = await relay_app.poll(created)
    assert collected.status_code == 200
    body = collected.json()
    assert body["status"] == "complete"
    opened = json.loads(key.open(body["sealed"], created["pairing_id"]))
    assert opened == {"code": "the-auth-code", "state": state_of(url), "iss": IDP}
    assert (await relay_app.poll(created)).json() == body  # again, until acknowledged
    assert (await relay_app.ack(created)).status_code == 204
    again = await relay_app.poll(created)
    assert again.status_code == 410
    assert again.json()["error"] == "already_collected"
    assert (await relay_app.report(created)).status_code == 204
    assert (await relay_app.poll(created)).status_code == 410


async def test_denied_callback_is_delivered_without_sealing_until_acknowledged(
    relay_app: Relay,
) -> None:
    created, _, url = await relay_app.create()
    await relay_app.confirm(created)
    response = await relay_app.client.get(
        "/callback",
        params={
            "error": "access_denied",
            "error_description": "user said no",
            "state": state_of(url),
        },
    )
    assert response.status_code == 303
    denial = {
        "status": "denied",
        "error": "access_denied",
        "error_description": "user said no",
    }
    assert (await relay_app.poll(created)).json() == denial
    assert (await relay_app.poll(created)).json() == denial
    assert (await relay_app.ack(created)).status_code == 204
    assert (await relay_app.poll(created)).status_code == 410
    assert (await relay_app.ack(created)).status_code == 204  # idempotent, after the end too


async def test_twenty_concurrent_polls_with_the_token_all_get_the_result(relay_app: Relay) -> None:
    created, key, url = await relay_app.create()
    collectors = [asyncio.create_task(relay_app.poll(created, wait=5)) for _ in range(20)]
    await relay_app.confirm(created)
    await asyncio.sleep(0.05)
    await relay_app.client.get("/callback", params={"code": "c0de", "state": state_of(url)})
    responses = await asyncio.gather(*collectors)
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["sealed"] for r in responses}) == 1
    sealed = responses[0].json()["sealed"]
    assert json.loads(key.open(sealed, created["pairing_id"]))["code"] == "c0de"


async def test_long_poll_wakes_within_milliseconds_of_the_callback(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.confirm(created)
    waiter = asyncio.create_task(relay_app.poll(created, wait=20))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
    response = await asyncio.wait_for(waiter, 5)
    elapsed = time.perf_counter() - started
    assert response.json()["status"] == "complete"
    assert elapsed < 0.1


async def test_long_poll_ends_pending_after_wait_and_respects_max_wait(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_MAX_WAIT="0")
    async with relay_app.client:
        created, _, _ = await relay_app.create()
        started = time.perf_counter()
        response = await relay_app.poll(created, wait=25)  # capped to RELAY_MAX_WAIT=0
        assert response.json() == {"status": "pending"}
        assert time.perf_counter() - started < 1


async def test_poll_faster_than_interval_gets_slow_down(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_POLL_INTERVAL="5")
    async with relay_app.client:
        created, _, _ = await relay_app.create()
        assert (await relay_app.poll(created)).status_code == 200
        fast = await relay_app.poll(created)
        assert fast.status_code == 429
        assert fast.json()["error"] == "slow_down"
        relay_app.clock.advance(5)
        assert (await relay_app.poll(created)).status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer "])
async def test_poll_needs_the_right_token(relay_app: Relay, header: str | None) -> None:
    created, _, _ = await relay_app.create()
    headers = {"Authorization": header} if header else {}
    response = await relay_app.client.get(
        f"/v1/pairings/{created['pairing_id']}/result", headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_pairing_is_404_and_expired_is_410(relay_app: Relay) -> None:
    unknown = await relay_app.client.get(
        "/v1/pairings/AAAAAAAAAAAA/result", headers={"Authorization": "Bearer x"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    malformed = await relay_app.client.get(
        "/v1/pairings/..%2f..%2fetc/result", headers={"Authorization": "Bearer x"}
    )
    assert malformed.status_code == 404
    created, _, url = await relay_app.create()
    relay_app.clock.advance(601)
    expired = await relay_app.poll(created)
    assert expired.status_code == 410
    assert expired.json()["error"] == "expired_token"
    late = await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
    assert late.status_code == 410


async def test_uncollected_result_expires_sooner(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.confirm(created)
    await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
    relay_app.clock.advance(121)
    assert await relay_app.app.state.service.sweep() == 1
    response = await relay_app.poll(created)
    assert response.status_code == 410
    assert response.json()["error"] == "expired_token"


async def test_sweep_expires_and_counts(relay_app: Relay) -> None:
    await relay_app.create()
    relay_app.clock.advance(601)
    assert await relay_app.app.state.service.sweep() == 1
    metrics = (await relay_app.client.get("/metrics")).text
    assert "awslogin_relay_pairings_expired_total 1.0" in metrics


async def test_cancel(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    path = f"/v1/pairings/{created['pairing_id']}"
    assert (await relay_app.client.delete(path)).status_code == 401
    wrong = await relay_app.client.delete(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    auth = {"Authorization": f"Bearer {created['poll_token']}"}
    assert (await relay_app.client.delete(path, headers=auth)).status_code == 204
    assert (await relay_app.client.delete(path, headers=auth)).status_code == 410
    gone = await relay_app.poll(created)
    assert gone.status_code == 410
    assert gone.json()["error"] == "cancelled"
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert page.status_code == 410
    assert "cancelled" in page.text
    late = await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
    assert late.status_code == 410
    assert (
        await relay_app.client.delete("/v1/pairings/AAAAAAAAAAAA", headers=auth)
    ).status_code == 404


async def test_cancel_wakes_a_waiting_poll_with_410(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    waiter = asyncio.create_task(relay_app.poll(created, wait=20))
    await asyncio.sleep(0.05)
    await relay_app.client.delete(
        f"/v1/pairings/{created['pairing_id']}",
        headers={"Authorization": f"Bearer {created['poll_token']}"},
    )
    response = await asyncio.wait_for(waiter, 2)
    assert response.status_code == 410


async def test_malformed_json_is_400_and_schema_errors_are_422(relay_app: Relay) -> None:
    bad = await relay_app.client.post(
        "/v1/pairings", content=b'{"authorize_url": ', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_request"
    missing = await relay_app.client.post("/v1/pairings", json={"mode": "redirect"})
    assert missing.status_code == 422
    assert "authorize_url" in missing.json()["error_description"]
    wrong_mode = await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": authorize_url(),
            "mode": "teleport",
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        },
    )
    assert wrong_mode.status_code == 422
    negative_wait = await relay_app.client.get(
        "/v1/pairings/AAAAAAAAAAAA/result?wait=-1", headers={"Authorization": "Bearer x"}
    )
    assert negative_wait.status_code == 422


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "text/json",
    ],
)
async def test_create_takes_only_a_body_declared_as_json(
    relay_app: Relay, content_type: str | None
) -> None:
    """A page on another site can make a browser POST text/plain (or a form) here
    without a CORS preflight; the relay refuses anything but application/json."""

    def body() -> str:
        return json.dumps(
            {
                "authorize_url": authorize_url(),
                "public_key": HostKey().public_key,
                "host": {"hostname": "h"},
            }
        )

    headers = {} if content_type is None else {"content-type": content_type}
    refused = await relay_app.client.post("/v1/pairings", content=body(), headers=headers)
    assert refused.status_code == 415
    assert refused.json()["error"] == "unsupported_media_type"
    assert await relay_app.store.count_pending() == 0
    for accepted in ("application/json", "Application/JSON ; charset=utf-8"):
        created = await relay_app.client.post(
            "/v1/pairings", content=body(), headers={"content-type": accepted}
        )
        assert created.status_code == 201, created.text


async def test_validation_errors_never_echo_the_input(relay_app: Relay) -> None:
    secret = "s3cr3t-token-value-" * 20
    response = await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": authorize_url(),
            "public_key": secret,
            "host": {"hostname": secret},
        },
    )
    assert response.status_code == 422
    assert "s3cr3t" not in response.text


@pytest.mark.parametrize(
    ("public_key", "status"),
    [
        ("not-base64!!", 422),  # not the model's 43 base64url characters
        ("AAAA", 422),
        ("A" * 43 + "=", 422),  # padded
        ("A" * 43, 400),  # fits the model, but the all-zero (low-order) point
    ],
)
async def test_bad_public_keys_are_refused(relay_app: Relay, public_key: str, status: int) -> None:
    response = await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": authorize_url(),
            "public_key": public_key,
            "host": {"hostname": "h"},
        },
    )
    assert response.status_code == status
    assert "public_key" in response.json()["error_description"]


async def test_oversized_body_is_413(relay_app: Relay) -> None:
    huge = await relay_app.client.post("/v1/pairings", content=b"{" + b" " * 40000 + b"}")
    assert huge.status_code == 413
    assert huge.json()["error"] == "request_too_large"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(50):
            yield b" " * 1024

    streamed = await relay_app.client.post(
        "/v1/pairings", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_create_is_rate_limited_per_address(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(RELAY_RATE_CREATE="2")
    async with relay_app.client:
        await relay_app.create()
        await relay_app.create()
        body = {
            "authorize_url": authorize_url(),
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        }
        limited = await relay_app.client.post("/v1/pairings", json=body)
        assert limited.status_code == 429
        assert limited.json()["error"] == "too_many_requests"
        assert int(limited.headers["retry-after"]) >= 1
        relay_app.clock.advance(60)
        assert (await relay_app.client.post("/v1/pairings", json=body)).status_code == 201


async def test_collection_is_rate_limited_per_address(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(RELAY_RATE_COLLECT="3")
    async with relay_app.client:
        created, _, _ = await relay_app.create()
        statuses = [(await relay_app.poll(created)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


async def test_pending_cap_refuses_with_503(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(RELAY_MAX_PENDING="2")
    async with relay_app.client:
        await relay_app.create()
        second, _, url = await relay_app.create()
        body = {
            "authorize_url": authorize_url(),
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        }
        capped = await relay_app.client.post("/v1/pairings", json=body)
        assert capped.status_code == 503
        assert capped.json()["error"] == "temporarily_unavailable"
        assert "retry-after" in capped.headers
        # a completed pairing no longer counts as pending
        await relay_app.confirm(second)
        await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
        assert (await relay_app.client.post("/v1/pairings", json=body)).status_code == 201


async def test_create_token_is_required_when_configured(
    make_relay_app: Callable[..., Relay],
) -> None:
    token = "create-token-0123456789"
    relay_app = make_relay_app(RELAY_CREATE_TOKEN=token)
    async with relay_app.client:
        body = {
            "authorize_url": authorize_url(),
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        }
        assert (await relay_app.client.post("/v1/pairings", json=body)).status_code == 401
        wrong = await relay_app.client.post(
            "/v1/pairings", json=body, headers={"Authorization": "Bearer create-token-wrong-xx"}
        )
        assert wrong.status_code == 401
        ok = await relay_app.client.post(
            "/v1/pairings", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert ok.status_code == 201


async def test_reusing_a_state_is_refused(relay_app: Relay) -> None:
    _, _, url = await relay_app.create()
    body = {"authorize_url": url, "public_key": HostKey().public_key, "host": {"hostname": "h"}}
    response = await relay_app.client.post("/v1/pairings", json=body)
    assert response.status_code == 400
    assert "state" in response.json()["error_description"]


async def test_ops_endpoints(relay_app: Relay) -> None:
    assert (await relay_app.client.get("/healthz")).json() == {"status": "ok"}
    assert (await relay_app.client.get("/readyz")).json() == {"status": "ready"}
    await relay_app.create()
    metrics = await relay_app.client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "awslogin_relay_pairings_created_total 1.0" in metrics.text
    assert "awslogin_relay_active_long_polls" in metrics.text
    assert 'awslogin_relay_request_duration_seconds_count{method="POST",route="/v1/pairings"}' in (
        metrics.text
    )


async def test_readyz_is_503_when_the_store_fails(relay_app: Relay) -> None:
    from awslogin_relay.domain.store import StoreError

    async def broken() -> None:
        raise StoreError("down")

    relay_app.store.ping = broken  # type: ignore[method-assign]
    response = await relay_app.client.get("/readyz")
    assert response.status_code == 503


async def test_store_failure_is_503_not_500(relay_app: Relay) -> None:
    from awslogin_relay.domain.store import StoreError

    async def broken(*_: object) -> None:
        raise StoreError("down")

    relay_app.store.hit_rate = broken  # type: ignore[assignment,method-assign]
    response = await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": authorize_url(),
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        },
    )
    assert response.status_code == 503


async def test_an_unexpected_bug_answers_json_500_without_traceback(relay_app: Relay) -> None:
    async def buggy(*_: object) -> None:
        raise RuntimeError("secret-detail")

    relay_app.store.hit_rate = buggy  # type: ignore[assignment,method-assign]
    response = await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": authorize_url(),
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        },
    )
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert "secret-detail" not in response.text
    assert "Traceback" not in response.text


async def test_unknown_route_and_method(relay_app: Relay) -> None:
    assert (await relay_app.client.get("/v2/nothing")).json()["error"] == "not_found"
    wrong = await relay_app.client.put("/v1/pairings")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "invalid_request"


async def test_hot_paths_refuse_other_methods_with_405(relay_app: Relay) -> None:
    api = await relay_app.client.post("/v1/pairings/AAAAAAAAAAAA/result")
    assert api.status_code == 405
    assert api.headers["allow"] == "GET"
    assert api.json()["error"] == "invalid_request"
    page = await relay_app.client.post("/callback")
    assert page.status_code == 405
    assert page.headers["content-type"].startswith("text/html")


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    make_relay_app: Callable[..., Relay],
) -> None:
    body = {
        "authorize_url": "",
        "public_key": HostKey().public_key,
        "host": {"hostname": "h"},
    }
    # the test client connects from 203.0.113.7
    trusted = make_relay_app(RELAY_TRUSTED_PROXIES="203.0.113.0/24", RELAY_RATE_CREATE="1")
    async with trusted.client:
        for address in ("198.51.100.1", "198.51.100.2"):
            response = await trusted.client.post(
                "/v1/pairings",
                json={**body, "authorize_url": authorize_url()},
                headers={"x-forwarded-for": address},
            )
            assert response.status_code == 201  # each forwarded client has its own limit
        page = await trusted.client.get(
            f"/p/{response.json()['pairing_id']}", headers={"x-forwarded-for": "198.51.100.2"}
        )
        assert "198.51.100.2" in page.text  # the address the confirmation page shows
    untrusted = make_relay_app(RELAY_RATE_CREATE="1")
    async with untrusted.client:
        statuses = []
        for address in ("198.51.100.1", "198.51.100.2"):
            response = await untrusted.client.post(
                "/v1/pairings",
                json={**body, "authorize_url": authorize_url()},
                headers={"x-forwarded-for": address},
            )
            statuses.append(response.status_code)
        assert statuses == [201, 429]  # the header is ignored: one client, one limit
