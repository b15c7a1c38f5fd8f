"""The browser side: confirmation, paste, /link, done and error pages, and their headers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from tests.unit.relay.conftest import IDP, Relay, authorize_url, state_of

pytestmark = pytest.mark.unit

XSS = "<script>alert(1)</script>"


async def test_confirmation_page_shows_code_host_and_age(relay: Relay) -> None:
    created, _, _ = await relay.create()
    relay.clock.advance(12)
    page = await relay.client.get(f"/p/{created['pairing_id']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert created["user_code"] in page.text
    assert "alice@gpu-box-3" in page.text
    assert "203.0.113.7" in page.text
    assert "12 seconds ago" in page.text
    assert "This is my terminal — continue" in page.text
    assert f'action="/p/{created["pairing_id"]}/confirm"' in page.text
    assert "<script" not in page.text  # no JavaScript on the basic path


async def test_continue_redirects_to_the_allow_listed_provider(relay: Relay) -> None:
    created, _, url = await relay.create()
    response = await relay.client.post(f"/p/{created['pairing_id']}/confirm")
    assert response.status_code == 303
    assert response.headers["location"] == url
    stored = await relay.store.get(created["pairing_id"])
    assert stored is not None
    assert stored.confirmed_at is not None


async def test_done_page_script_is_same_origin_static(relay: Relay) -> None:
    script = await relay.client.get("/static/done.js")
    assert script.status_code == 200
    assert "/status" in script.text
    assert "innerHTML" not in script.text  # text only, never markup
    css = await relay.client.get("/static/style.css")
    assert css.status_code == 200
    assert "http" not in css.text  # no third-party assets


async def test_paste_mode_flow(relay: Relay) -> None:
    created, key, url = await relay.create(mode="paste")
    pid = created["pairing_id"]
    # no pasting before the "this is my terminal" step
    early = await relay.client.post(f"/p/{pid}/code", data={"code": "abc"})
    assert early.status_code == 403
    assert "This sign-in did not start here" in early.text
    assert (await relay.client.get(f"/p/{pid}/paste")).headers["location"] == f"/p/{pid}"
    confirm = await relay.client.post(f"/p/{pid}/confirm")
    assert confirm.status_code == 303
    assert confirm.headers["location"] == f"/p/{pid}/paste"
    paste_page = await relay.client.get(f"/p/{pid}/paste")
    assert paste_page.status_code == 200
    assert 'rel="noopener noreferrer"' in paste_page.text
    assert url.replace("&", "&amp;") in paste_page.text
    assert f'action="/p/{pid}/code"' in paste_page.text
    empty = await relay.client.post(f"/p/{pid}/code", data={"code": "   "})
    assert empty.status_code == 400
    assert "Paste the code" in empty.text
    pasted = await relay.client.post(f"/p/{pid}/code", data={"code": "  dmVyaWZpY2F0aW9u  \n"})
    assert pasted.status_code == 303
    assert pasted.headers["location"] == f"/p/{pid}/done"
    twice = await relay.client.post(f"/p/{pid}/code", data={"code": "again"})
    assert twice.status_code == 410
    body = (await relay.poll(created)).json()
    assert json.loads(key.open(body["sealed"], pid)) == {"pasted": "dmVyaWZpY2F0aW9u"}


async def test_paste_mode_pairing_ignores_callbacks_and_vice_versa(relay: Relay) -> None:
    created, _, _ = await relay.create()
    await relay.client.post(f"/p/{created['pairing_id']}/confirm")
    wrong = await relay.client.post(f"/p/{created['pairing_id']}/code", data={"code": "x"})
    assert wrong.status_code == 400


async def test_link_finds_a_pairing_by_user_code_in_any_spelling(relay: Relay) -> None:
    created, _, _ = await relay.create()
    form = await relay.client.get("/link")
    assert form.status_code == 200
    assert 'action="/link"' in form.text
    typed = " " + created["user_code"].lower().replace("-", " - ") + " "
    found = await relay.client.post("/link", data={"user_code": typed})
    assert found.status_code == 303
    assert found.headers["location"] == f"/p/{created['pairing_id']}"
    squashed = await relay.client.post(
        "/link", data={"user_code": created["user_code"].replace("-", "")}
    )
    assert squashed.status_code == 303


async def test_link_refuses_malformed_and_unknown_codes(relay: Relay) -> None:
    malformed = await relay.client.post("/link", data={"user_code": "AEIO-1234"})
    assert malformed.status_code == 400
    assert "8 letters" in malformed.text
    unknown = await relay.client.post("/link", data={"user_code": "BBBB-BBBB"})
    assert unknown.status_code == 404
    assert "No sign-in request has this code" in unknown.text
    xss = await relay.client.post("/link", data={"user_code": XSS})
    assert XSS[:8] not in xss.text


async def test_link_guessing_is_rate_limited(make_relay: Callable[..., Relay]) -> None:
    relay = make_relay(RELAY_RATE_BROWSER="3")
    async with relay.client:
        statuses = [
            (await relay.client.post("/link", data={"user_code": "BBBB-BBBB"})).status_code
            for _ in range(4)
        ]
        assert statuses == [404, 404, 404, 429]


@pytest.mark.parametrize("field", ["hostname", "user", "client"])
async def test_host_fields_never_become_markup(relay: Relay, field: str) -> None:
    host = {"hostname": "box", "user": "alice", "client": "awslogin/0.1", field: XSS}
    created, _, url = await relay.create(host=host)
    pid = created["pairing_id"]
    pages = [await relay.client.get(f"/p/{pid}")]
    await relay.client.post(f"/p/{pid}/confirm")
    await relay.client.get("/callback", params={"code": "x", "state": state_of(url)})
    pages.append(await relay.client.get(f"/p/{pid}/done"))
    await relay.poll(created)
    pages.append(await relay.client.get(f"/p/{pid}/done"))
    for page in pages:
        assert XSS not in page.text
        assert "<script>" not in page.text
    if field != "client":  # not a name: the page says so rather than showing it
        assert "(not shown)" in pages[0].text


async def test_user_agent_cannot_inject_markup(relay: Relay) -> None:
    created, _, _ = await relay.create()
    page = await relay.client.get(f"/p/{created['pairing_id']}", headers={"user-agent": XSS})
    assert XSS not in page.text


async def test_error_pages_are_human_sentences(relay: Relay) -> None:
    unknown = await relay.client.get("/p/AAAAAAAAAAAA")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in unknown.text
    assert "Traceback" not in unknown.text
    created, _, _url = await relay.create()
    relay.clock.advance(601)
    expired = await relay.client.get(f"/p/{created['pairing_id']}")
    assert expired.status_code == 410
    assert "has expired" in expired.text
    expired_confirm = await relay.client.post(f"/p/{created['pairing_id']}/confirm")
    assert expired_confirm.status_code == 410
    used, _, used_url = await relay.create()
    await relay.confirm(used)
    await relay.client.get("/callback", params={"code": "x", "state": state_of(used_url)})
    replay = await relay.client.get("/callback", params={"code": "y", "state": state_of(used_url)})
    assert replay.status_code == 410
    assert "already used" in replay.text


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"code": "x"},
        {"code": "x", "state": "short"},
        {"code": "x", "state": "A" * 600},
        {"state": "B" * 30},
    ],
)
async def test_callback_refuses_bad_state_with_a_page(relay: Relay, params: dict[str, str]) -> None:
    response = await relay.client.get("/callback", params=params)
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("text/html")


async def test_callback_without_code_or_error_and_with_duplicates(relay: Relay) -> None:
    created, _, url = await relay.create()
    await relay.confirm(created)
    state = state_of(url)
    neither = await relay.client.get("/callback", params={"state": state})
    assert neither.status_code == 400
    doubled = await relay.client.get(f"/callback?state={state}&code=a&code=b")
    assert doubled.status_code == 400
    assert "more than once" in doubled.text


@pytest.mark.parametrize(
    "path",
    [
        "/p/AAAAAAAAAAAA",
        "/link",
        "/healthz",
        "/v1/pairings/AAAAAAAAAAAA/result",
        "/static/done.js",
        "/callback",
        "/favicon.ico",
        "/nowhere",
    ],
)
async def test_security_headers_on_every_response(relay: Relay, path: str) -> None:
    response = await relay.client.get(path)
    headers = response.headers
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"form-action 'self' " + re.escape(IDP), csp)


async def test_pages_load_nothing_from_third_parties(relay: Relay) -> None:
    created, _, _ = await relay.create()
    page = await relay.client.get(f"/p/{created['pairing_id']}")
    for reference in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert reference.startswith("/"), reference
    assert "style=" not in page.text  # CSP-compatible: no inline styles


async def test_no_page_runs_inline_script(relay: Relay) -> None:
    created, _, url = await relay.create()
    await relay.confirm(created)
    await relay.client.get("/callback", params={"code": "x", "state": state_of(url)})
    done = await relay.client.get(f"/p/{created['pairing_id']}/done")
    assert re.findall(r"<script[^>]*>([^<]*)</script>", done.text) == [""]


async def test_oversized_form_is_413_page(relay: Relay) -> None:
    created, _, _ = await relay.create(mode="paste")
    response = await relay.client.post(
        f"/p/{created['pairing_id']}/code", data={"code": "x" * 40000}
    )
    assert response.status_code == 413


def test_authorize_url_helper_uses_callback() -> None:
    assert "redirect_uri=https%3A%2F%2Frelay.test%2Fcallback" in authorize_url()
