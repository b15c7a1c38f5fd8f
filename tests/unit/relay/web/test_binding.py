"""Only the browser that pressed "this is my terminal" can complete a pairing.

The attack these tests replay is device-code phishing: someone runs `awslogin login
--remote` against the company relay, and sends the provider link (which they built) to
a victim. Without a binding, the provider would redirect the victim's browser to
/callback and the relay would seal the victim's code to the attacker's host key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from http.cookies import SimpleCookie

import httpx
import pytest

from tests.support.phone import (
    CONTINUE_BUTTON,
    choices_on,
    choose_async,
    confirm_async,
    type_code_async,
)
from tests.support.relay_app import Relay, authorize_url, state_of

pytestmark = pytest.mark.unit


def _cookie_name(pid: str) -> str:
    return f"__Host-awl_{pid}"  # the unit relay's public URL is https


async def _assert_still_pending(relay_app: Relay, created: dict[str, str]) -> None:
    stored = await relay_app.store.get(created["pairing_id"])
    assert stored is not None
    assert stored.result is None  # nothing sealed, nothing stored
    answer = (await relay_app.poll(created)).json()
    assert answer["status"] == "pending"
    assert "sealed" not in answer


def _assert_unconfirmed_page(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "This sign-in did not start here" in response.text
    assert "nothing was sent to the terminal" in response.text
    assert "someone sent you this link" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "set-cookie" not in response.headers


async def test_phishing_victims_callback_is_refused_and_the_confirmer_still_completes(
    relay_app: Relay,
) -> None:
    created, key, url = await relay_app.create()
    pid = created["pairing_id"]
    assert (await relay_app.confirm(created)).status_code == 303  # attacker's browser A
    async with relay_app.browser() as victim:  # browser B, which the link was sent to
        refused = await victim.get(
            "/callback", params={"code": "victims-code", "state": state_of(url)}
        )
        _assert_unconfirmed_page(refused)
        assert "victims-code" not in refused.text
        # a denial from B does not end the pairing either
        denial = await victim.get(
            "/callback", params={"error": "access_denied", "state": state_of(url)}
        )
        assert denial.status_code == 403
    await _assert_still_pending(relay_app, created)
    metrics = (await relay_app.client.get("/metrics")).text
    assert 'awslogin_relay_rejected_requests_total{reason="unconfirmed_browser"} 2.0' in metrics
    done = await relay_app.client.get(
        "/callback", params={"code": "a-code", "state": state_of(url)}
    )
    assert done.status_code == 303
    body = (await relay_app.poll(created)).json()
    assert json.loads(key.open(body["sealed"], pid))["code"] == "a-code"


async def test_a_pairing_nobody_confirmed_cannot_be_completed(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    async with relay_app.browser() as victim:
        refused = await victim.get("/callback", params={"code": "c", "state": state_of(url)})
    _assert_unconfirmed_page(refused)
    await _assert_still_pending(relay_app, created)
    stored = await relay_app.store.get(created["pairing_id"])
    assert stored is not None
    assert stored.confirmed_at is None
    assert stored.binding_hash is None


async def test_a_forged_or_foreign_binding_cookie_is_refused(relay_app: Relay) -> None:
    first, _, first_url = await relay_app.create()
    second, _, second_url = await relay_app.create()
    await relay_app.confirm(first)
    async with relay_app.browser() as other:
        await relay_app.confirm(second, other)
        # other's cookie for `second` says nothing about `first`, and vice versa
        other.cookies.set(_cookie_name(first["pairing_id"]), "guessed", domain="relay.test")
        forged = await other.get("/callback", params={"code": "c", "state": state_of(first_url)})
        _assert_unconfirmed_page(forged)
    foreign = await relay_app.client.get(
        "/callback", params={"code": "c", "state": state_of(second_url)}
    )
    _assert_unconfirmed_page(foreign)
    await _assert_still_pending(relay_app, first)
    await _assert_still_pending(relay_app, second)


async def test_two_sign_ins_in_one_browser_keep_their_own_cookies(relay_app: Relay) -> None:
    pairings = [await relay_app.create() for _ in range(2)]
    for created, _, _ in pairings:
        await relay_app.confirm(created)
    for created, _, url in pairings:
        answer = await relay_app.client.get(
            "/callback", params={"code": "c", "state": state_of(url)}
        )
        assert answer.status_code == 303
        assert (await relay_app.poll(created)).json()["status"] == "complete"


async def test_paste_without_the_binding_cookie_is_refused(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create(mode="paste")
    pid = created["pairing_id"]
    await relay_app.confirm(created)
    async with relay_app.browser() as other:
        assert (await other.get(f"/p/{pid}/paste")).headers["location"] == f"/p/{pid}"
        refused = await other.post(f"/p/{pid}/code", data={"code": "pasted-by-someone-else"})
        _assert_unconfirmed_page(refused)
    await _assert_still_pending(relay_app, created)
    assert (await relay_app.client.get(f"/p/{pid}/paste")).status_code == 200
    pasted = await relay_app.client.post(f"/p/{pid}/code", data={"code": "mine"})
    assert pasted.status_code == 303


async def test_a_second_browser_confirming_gets_a_page_and_no_binding(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    await relay_app.confirm(created)
    bound = await relay_app.store.get(pid)
    assert bound is not None
    async with relay_app.browser() as other:
        late = await relay_app.confirm(created, other)
        assert late.status_code == 409
        assert late.headers["content-type"].startswith("text/html")
        assert "This sign-in was already confirmed on another device" in late.text
        assert "set-cookie" not in late.headers
        assert not other.cookies
        after = await other.get("/callback", params={"code": "c", "state": state_of(url)})
        assert after.status_code == 403
    again = await relay_app.store.get(pid)
    assert again is not None
    assert again.binding_hash == bound.binding_hash
    assert again.confirmed_at == bound.confirmed_at
    ok = await relay_app.client.get("/callback", params={"code": "c", "state": state_of(url)})
    assert ok.status_code == 303


async def test_the_same_browser_confirming_twice_keeps_working(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    first = await relay_app.confirm(created)
    secret = relay_app.client.cookies[_cookie_name(pid)]
    relay_app.clock.advance(30)
    # the back button: this browser holds the binding, so its page has the one button
    second = await confirm_async(relay_app.client, f"/p/{pid}", None)
    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"] == url
    assert relay_app.client.cookies[_cookie_name(pid)] == secret
    ok = await relay_app.client.get("/callback", params={"code": "c", "state": state_of(url)})
    assert ok.status_code == 303
    # once the pairing has a result, confirming is over for everyone
    late = await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
    assert late.status_code == 410


async def test_cookie_attributes_on_an_https_relay(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    pid = created["pairing_id"]
    relay_app.clock.advance(100)
    response = await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
    header = response.headers["set-cookie"]
    cookie = SimpleCookie()
    cookie.load(header)
    morsel = cookie[_cookie_name(pid)]
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    assert morsel["domain"] == ""  # host-only, as __Host- requires
    assert morsel["max-age"] == "620"  # the pairing's remaining life, and time for the outcome
    assert len(morsel.value) >= 43  # 32 random bytes, base64url
    stored = await relay_app.store.get(pid)
    assert stored is not None
    assert stored.binding_hash == hashlib.sha256(morsel.value.encode()).hexdigest()
    assert morsel.value not in repr(stored)


async def test_cookie_on_an_http_relay_is_not_secure(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(RELAY_PUBLIC_URL="http://relay.test")
    async with relay_app.client:
        url = authorize_url(redirect_uri="http://relay.test/callback")
        created, _, _ = await relay_app.create(authorize_url=url)
        pid = created["pairing_id"]
        response = await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
        cookie = SimpleCookie()
        cookie.load(response.headers["set-cookie"])
        morsel = cookie[f"awl_{pid}"]
        assert not morsel["secure"]
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"
        assert morsel["max-age"] == "720"
        # and the callback reads the cookie by that name
        ok = await relay_app.client.get(
            "http://relay.test/callback", params={"code": "c", "state": state_of(url)}
        )
        assert ok.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.test"},
        {"sec-fetch-site": "cross-site", "origin": "https://relay.test"},
    ],
)
async def test_a_confirmation_posted_from_another_site_is_refused(
    relay_app: Relay, headers: dict[str, str]
) -> None:
    """Otherwise a page anywhere could auto-submit the button for its visitor, who would
    be bound and sent to the provider without ever seeing the terminal's code."""
    created, _, _ = await relay_app.create()
    pid = created["pairing_id"]
    refused = await choose_async(relay_app.client, f"/p/{pid}", created["match_number"], headers)
    assert refused.status_code == 403
    assert "Confirm on the relay" in refused.text
    assert "set-cookie" not in refused.headers
    stored = await relay_app.store.get(pid)
    assert stored is not None
    assert stored.confirmed_at is None
    assert stored.binding_hash is None
    metrics = (await relay_app.client.get("/metrics")).text
    assert 'awslogin_relay_rejected_requests_total{reason="cross_site_confirmation"} 1.0' in metrics


@pytest.mark.parametrize(
    "headers",
    [{"sec-fetch-site": "same-origin"}, {"origin": "https://relay.test"}, {}],
)
async def test_a_confirmation_from_the_relays_own_page_passes(
    relay_app: Relay, headers: dict[str, str]
) -> None:
    created, _, url = await relay_app.create()
    confirmed = await choose_async(
        relay_app.client, f"/p/{created['pairing_id']}", created["match_number"], headers
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == url


async def test_confirm_takes_only_post(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    response = await relay_app.client.get(f"/p/{created['pairing_id']}/confirm")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith("text/html")


async def test_the_binding_cookie_is_found_among_others_and_across_cookie_headers(
    relay_app: Relay,
) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    await relay_app.confirm(created)
    secret = relay_app.client.cookies[_cookie_name(pid)]
    async with relay_app.browser() as other:  # sends exactly these headers, no jar of its own
        answer = await other.get(
            "/callback",
            params={"code": "c", "state": state_of(url)},
            headers=[
                ("cookie", "theme=dark; awl_other=x"),
                ("cookie", f'session=1; {_cookie_name(pid)}="{secret}"'),
            ],
        )
    assert answer.status_code == 303


# -- typing the code on /link (docs/security.md#typing-the-code) ------------------------


def _code_on(page: httpx.Response) -> str:
    """The user code a confirmation page shows (all an onlooker needs to type it)."""
    found = re.search(r'id="user-code">([A-Z-]+)<', page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_a_code_typed_before_any_page_showed_it_binds_that_browser_without_a_number(
    relay_app: Relay,
) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    relay_app.client.headers["sec-fetch-site"] = "same-origin"  # the relay's own form
    typed = await type_code_async(relay_app.client, created["user_code"].lower())
    assert typed.status_code == 303
    assert typed.headers["location"] == f"/p/{pid}"
    assert _cookie_name(pid) in typed.headers["set-cookie"]
    assert "HttpOnly" in typed.headers["set-cookie"]
    # the host hears of it at once: typing the code is the confirmation
    notice = (await relay_app.poll(created)).json()
    assert notice["status"] == "pending"
    assert notice["confirmation"]["address"] == "203.0.113.7"
    page = await relay_app.client.get(f"/p/{pid}")
    assert page.status_code == 200
    assert choices_on(page.text) == []
    assert CONTINUE_BUTTON in page.text
    onward = await choose_async(relay_app.client, f"/p/{pid}", None)
    assert onward.status_code == 303
    assert onward.headers["location"] == url
    done = await relay_app.client.get("/callback", params={"code": "c", "state": state_of(url)})
    assert done.status_code == 303
    assert (await relay_app.poll(created)).json()["status"] == "complete"


async def test_after_a_typed_code_another_browser_gets_what_a_second_browser_gets(
    relay_app: Relay,
) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    await type_code_async(relay_app.client, created["user_code"])
    other = relay_app.browser()
    try:
        page = await other.get(f"/p/{pid}")
        assert len(choices_on(page.text)) == 3
        refused = await choose_async(other, f"/p/{pid}", created["match_number"])
        assert refused.status_code == 409
        assert "already confirmed on another device" in refused.text
        typed_too = await type_code_async(other, created["user_code"])
        assert typed_too.status_code == 303
        assert "set-cookie" not in typed_too.headers
        assert len(choices_on((await other.get(f"/p/{pid}")).text)) == 3
        forwarded = await other.get("/callback", params={"code": "x", "state": state_of(url)})
        assert forwarded.status_code == 403
    finally:
        await other.aclose()
    await _assert_still_pending(relay_app, created)


async def test_a_code_read_off_the_page_still_needs_the_number(relay_app: Relay) -> None:
    """The onlooker who holds only the link reads the code on the page and types it: that
    proves nothing, so the page keeps asking for the number; and so it does for the real
    person typing the code after that (one tap more, no other cost)."""
    created, _, _ = await relay_app.create()
    pid = created["pairing_id"]
    onlooker = relay_app.browser()
    try:
        code = _code_on(await onlooker.get(f"/p/{pid}"))
        typed = await type_code_async(onlooker, code)
        assert typed.status_code == 303
        assert "set-cookie" not in typed.headers
        assert len(choices_on((await onlooker.get(f"/p/{pid}")).text)) == 3
        refused = await choose_async(onlooker, f"/p/{pid}", None)  # the button, forged
        assert refused.status_code == 400
    finally:
        await onlooker.aclose()
    stored = await relay_app.store.get(pid)
    assert stored is not None
    assert stored.binding_hash is None
    real = await type_code_async(relay_app.client, created["user_code"])
    assert "set-cookie" not in real.headers
    assert len(choices_on((await relay_app.client.get(f"/p/{pid}")).text)) == 3
    assert (await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])).is_redirect


async def test_a_code_posted_from_another_site_binds_nothing(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    pid = created["pairing_id"]
    lured = await type_code_async(
        relay_app.client, created["user_code"], headers={"sec-fetch-site": "cross-site"}
    )
    assert lured.status_code == 303
    assert "set-cookie" not in lured.headers
    assert len(choices_on((await relay_app.client.get(f"/p/{pid}")).text)) == 3
    stored = await relay_app.store.get(pid)
    assert stored is not None
    assert stored.binding_hash is None


async def test_a_typed_code_of_a_host_without_a_number_binds_on_the_button_as_before(
    relay_app: Relay,
) -> None:
    created, _, _ = await relay_app.create(revision=1)
    typed = await type_code_async(relay_app.client, created["user_code"])
    assert typed.status_code == 303
    assert "set-cookie" not in typed.headers
    confirmed = await relay_app.confirm(created)
    assert _cookie_name(created["pairing_id"]) in confirmed.headers["set-cookie"]
