"""The relay as operators run it: `awslogin-relay` under uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from awslogin_protocol import REVISION
from awslogin_protocol.sealing import HostKey
from tests.peers.relay import RelayFactory
from tests.support.phone import confirm_async
from tests.support.relay_app import authorize_url, state_of
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.integration

IDP = "https://idp.test"


async def _create(client: httpx.AsyncClient, callback: str, key: HostKey) -> tuple[Any, str]:
    url = authorize_url(f"{IDP}/authorize", redirect_uri=callback)
    response = await client.post(
        "/v1/pairings",
        json={
            "authorize_url": url,
            "mode": "redirect",
            "public_key": key.public_key,
            "host": {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/0.1"},
            "revision": REVISION,
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), url


async def test_lifecycle_over_real_sockets(relay_process: RelayFactory) -> None:
    server = relay_process(RELAY_ALLOWED_ORIGINS=IDP, RELAY_POLL_INTERVAL="0")
    key = HostKey()
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        discovery = (await client.get("/.well-known/awslogin-relay")).json()
        assert discovery["callback_uri"] == f"{server.url}/callback"
        created, url = await _create(client, discovery["callback_uri"], key)
        auth = {"Authorization": f"Bearer {created['poll_token']}"}
        result_path = f"/v1/pairings/{created['pairing_id']}/result"
        collectors = [
            asyncio.create_task(client.get(result_path, params={"wait": 10}, headers=auth))
            for _ in range(5)
        ]
        # the browser: the relay page, "this is my terminal" (a cookie), the provider, back
        confirmed = await confirm_async(
            client, f"/p/{created['pairing_id']}", created["match_number"]
        )
        assert confirmed.status_code == 303
        assert "httponly" in confirmed.headers["set-cookie"].lower()
        await async_wait_until(lambda: server.long_polls() == 5, "5 long-polls", 10)
        started = time.perf_counter()
        callback = await client.get(
            "/callback", params={"code": "REAL-SECRET-CODE", "state": state_of(url)}
        )
        assert callback.status_code == 303
        responses = await asyncio.gather(*collectors)
        woke_after = time.perf_counter() - started
        # every waiting poll of the token holder gets the same result
        assert [r.status_code for r in responses] == [200] * 5
        assert len({r.json()["sealed"] for r in responses}) == 1
        assert woke_after < 0.5
        opened = json.loads(key.open(responses[0].json()["sealed"], created["pairing_id"]))
        assert opened["code"] == "REAL-SECRET-CODE"
        page = await client.get(f"/p/{created['pairing_id']}/done")
        assert "Finishing on gpu-box-3…" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert "server" not in page.headers
        base = f"/v1/pairings/{created['pairing_id']}"
        assert (await client.post(f"{base}/ack", headers=auth)).status_code == 204
        signed_in = {"outcome": "signed_in", "account_id": "123456789012", "role": "dev"}
        reported = await client.post(f"{base}/outcome", json=signed_in, headers=auth)
        assert reported.status_code == 204
        page = await client.get(f"/p/{created['pairing_id']}/done")
        assert "gpu-box-3 is signed in as dev in 123456789012" in page.text
        metrics = (await client.get("/metrics")).text
        assert "awslogin_relay_pairings_collected_total 5.0" in metrics
        assert "awslogin_relay_pairings_acknowledged_total 1.0" in metrics
        assert 'awslogin_relay_pairings_reported_total{outcome="signed_in"} 1.0' in metrics
    server.stop()
    log = server.log_path.read_text()
    assert '"path":"/callback"' in log  # our access line is there...
    for secret in ("REAL-SECRET-CODE", state_of(url), created["poll_token"]):
        assert secret not in log  # ...without the query string or tokens
    assert '"action":"collected"' in log
    assert '"action":"acknowledged"' in log
    assert '"action":"reported"' in log
    assert "123456789012" not in log  # the audit line keeps the outcome word only


def test_bad_setting_stops_the_relay_with_one_line() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "awslogin_relay"],
        env={"RELAY_MAX_WAIT": "lots", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "awslogin-relay: error: RELAY_MAX_WAIT: expected a whole number from 0 to 120"
    ]
