"""The console handover over the relay app (docs/protocol.md, "Console handover"): the
confirming browser's key reaches the host sealed; the URL the host seals to it reaches
that browser only; replays, other browsers, other sites and expired pairings are refused;
the relay keeps and answers ciphertext only."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from awslogin_protocol.sealing import HostKey, seal_to_browser
from tests.support.fake_clock import FakeClock
from tests.support.phone import ConsolePageKey
from tests.support.relay_app import Relay, build_relay

pytestmark = pytest.mark.unit

URL = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=SECRET-TOKEN-BYTES"


async def console_pairing(relay_app: Relay) -> tuple[dict[str, Any], Any]:
    created, key, _ = await relay_app.create(mode="console", authorize_url="")
    return created, key


async def post_key(
    relay_app: Relay,
    created: dict[str, Any],
    page: ConsolePageKey,
    browser: httpx.AsyncClient | None = None,
    **headers: str,
) -> httpx.Response:
    return await (browser or relay_app.client).post(
        f"/p/{created['pairing_id']}/console/key",
        json={"public_key": page.public_key},
        headers={"sec-fetch-site": "same-origin", **headers},
    )


async def sealed_url(
    relay_app: Relay, created: dict[str, Any], browser: httpx.AsyncClient | None = None
) -> httpx.Response:
    return await (browser or relay_app.client).get(f"/p/{created['pairing_id']}/console/url")


async def test_the_url_goes_sealed_from_host_to_the_confirming_browser(relay_app: Relay) -> None:
    created, host_key = await console_pairing(relay_app)
    page_view = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert "the AWS console, opened on this device" in page_view.text
    confirmed = await relay_app.confirm(created)
    assert confirmed.headers["location"] == f"/p/{created['pairing_id']}/console"
    console_page = await relay_app.client.get(confirmed.headers["location"])
    assert console_page.status_code == 200
    assert '<script src="/static/console.js" defer></script>' in console_page.text
    assert "<noscript>" in console_page.text
    assert "without JavaScript there is\nno handover" in console_page.text
    assert (await sealed_url(relay_app, created)).json() == {"status": "waiting"}

    page = ConsolePageKey()
    assert (await post_key(relay_app, created, page)).status_code == 204
    polled = await relay_app.poll(created)
    opened = json.loads(host_key.open(polled.json()["sealed"], created["pairing_id"]))
    assert opened == {"browser_key": page.public_key}

    sealed = seal_to_browser(URL.encode(), opened["browser_key"], created["pairing_id"])
    assert (await relay_app.ack(created)).status_code == 204
    report = await relay_app.report(
        created, outcome="signed_in", account_id="123456789012", role="dev", sealed_console=sealed
    )
    assert report.status_code == 204
    answer = await sealed_url(relay_app, created)
    assert answer.json() == {"status": "ready", "sealed": sealed}
    assert page.open(answer.json()["sealed"], created["pairing_id"]) == URL
    tomb = await relay_app.store.gone(created["pairing_id"])
    assert tomb is not None
    assert "SECRET-TOKEN-BYTES" not in repr(tomb)


async def test_a_second_browser_is_refused_the_key_and_the_url(relay_app: Relay) -> None:
    created, _ = await console_pairing(relay_app)
    await relay_app.confirm(created)
    async with relay_app.browser() as other:
        refused = await post_key(relay_app, created, ConsolePageKey(), other)
        assert refused.status_code == 403
        assert refused.json()["error"] == "unconfirmed_browser"
        assert (await sealed_url(relay_app, created, other)).status_code == 403
        page = await other.get(f"/p/{created['pairing_id']}/console")
        assert page.status_code == 303  # back to the confirmation page
    assert (await post_key(relay_app, created, ConsolePageKey())).status_code == 204


async def test_a_replayed_key_post_is_refused(relay_app: Relay) -> None:
    created, _ = await console_pairing(relay_app)
    await relay_app.confirm(created)
    first = ConsolePageKey()
    assert (await post_key(relay_app, created, first)).status_code == 204
    again = await post_key(relay_app, created, ConsolePageKey())
    assert again.status_code == 410
    assert again.json()["error"] == "already_used"
    polled = await relay_app.poll(created)
    assert polled.status_code == 200  # the first key stays the one delivered
    reloaded = await relay_app.client.get(f"/p/{created['pairing_id']}/console")
    assert 'data-posted="yes"' in reloaded.text


async def test_an_expired_pairing_takes_no_key(relay_app: Relay) -> None:
    created, _ = await console_pairing(relay_app)
    await relay_app.confirm(created)
    relay_app.clock.advance(3600)
    expired = await post_key(relay_app, created, ConsolePageKey())
    assert expired.status_code == 410
    assert (await sealed_url(relay_app, created)).json() == {"status": "ended"}


async def test_a_key_from_another_site_or_not_json_is_refused(relay_app: Relay) -> None:
    created, _ = await console_pairing(relay_app)
    await relay_app.confirm(created)
    cross = await post_key(relay_app, created, ConsolePageKey(), **{"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    form = await relay_app.client.post(
        f"/p/{created['pairing_id']}/console/key",
        content=json.dumps({"public_key": ConsolePageKey().public_key}),
        headers={"content-type": "text/plain", "sec-fetch-site": "same-origin"},
    )
    assert form.status_code == 415


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"public_key": "A" * 87}, 400),  # the right shape, no point of the curve
        ({"public_key": "short"}, 422),
        ({}, 422),
    ],
)
async def test_what_is_no_p256_key_is_refused(
    relay_app: Relay, body: dict[str, str], status: int
) -> None:
    created, _ = await console_pairing(relay_app)
    await relay_app.confirm(created)
    answer = await relay_app.client.post(
        f"/p/{created['pairing_id']}/console/key",
        json=body,
        headers={"sec-fetch-site": "same-origin"},
    )
    assert answer.status_code == status
    assert "error" in answer.json()


async def test_a_login_pairing_is_no_handover(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    await relay_app.confirm(created)
    refused = await post_key(relay_app, created, ConsolePageKey())
    assert refused.status_code == 409
    assert (await sealed_url(relay_app, created)).status_code == 409
    page = await relay_app.client.get(f"/p/{created['pairing_id']}/console")
    assert page.status_code == 303


async def test_a_console_pairing_has_no_authorize_url(relay_app: Relay) -> None:
    answer = await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": "https://idp.test/authorize?state=x",
            "mode": "console",
            "public_key": "A" * 42 + "A",
            "host": {"hostname": "gpu-box-3"},
        },
    )
    assert answer.status_code == 400


async def test_a_failed_handover_ends_the_page_wait(relay_app: Relay) -> None:
    created, _ = await console_pairing(relay_app)
    await relay_app.confirm(created)
    await post_key(relay_app, created, ConsolePageKey())
    await relay_app.poll(created)
    await relay_app.report(created, outcome="failed", reason="federation refused")
    assert (await sealed_url(relay_app, created)).json() == {"status": "ended"}


async def test_a_sealed_url_in_a_login_report_is_not_kept(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.poll(created)
    await relay_app.report(created, outcome="signed_in", sealed_console="abc")
    tomb = await relay_app.store.gone(created["pairing_id"])
    assert tomb is not None
    assert tomb.outcome is not None
    assert tomb.outcome.sealed_console is None


async def test_the_page_names_where_it_may_go_and_a_relay_may_take_no_handovers() -> None:
    default = build_relay(FakeClock())
    created, _ = await console_pairing(default)
    await default.confirm(created)
    page = await default.client.get(f"/p/{created['pairing_id']}/console")
    assert (
        'data-origins="https://signin.aws.amazon.com https://signin.amazonaws.cn '
        'https://signin.amazonaws-us-gov.com"'
    ) in page.text
    closed = build_relay(FakeClock(), RELAY_CONSOLE_ORIGINS="none")
    refused = await closed.client.post(
        "/v1/pairings",
        json={
            "authorize_url": "",
            "mode": "console",
            "public_key": HostKey().public_key,
            "host": {"hostname": "gpu-box-3"},
        },
    )
    assert refused.status_code == 400
    assert "no console handovers" in refused.json()["error_description"]
