"""The browser side: confirmation, paste, /link, done and error pages, and their headers."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable

import httpx
import pytest

from awslogin_protocol.messages import MAX_ROLE
from awslogin_protocol.sealing import HostKey
from tests.support.phone import (
    CONTINUE_BUTTON,
    NOT_ME_BUTTON,
    cancel_async,
    choices_on,
    choose_async,
)
from tests.support.relay_app import IDP, Relay, authorize_url, state_of

pytestmark = pytest.mark.unit

XSS = "<script>alert(1)</script>"


async def test_confirmation_page_shows_code_host_and_age(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    relay_app.clock.advance(12)
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert created["user_code"] in page.text
    assert "alice@gpu-box-3" in page.text
    assert "203.0.113.7" in page.text
    assert "12 seconds ago" in page.text
    assert f'action="/p/{created["pairing_id"]}/confirm"' in page.text
    # the basic path needs no JavaScript; one same-origin script only counts a tap once
    assert page.text.count("<script") == 1
    assert '<script src="/static/confirm.js" defer></script>' in page.text
    # number matching: three numbers to choose from, no "continue" button
    offered = choices_on(page.text)
    assert len(set(offered)) == 3
    assert created["match_number"] in offered
    assert CONTINUE_BUTTON not in page.text


async def test_the_page_of_a_host_that_shows_no_number_has_the_one_button(
    relay_app: Relay,
) -> None:
    created, _, _ = await relay_app.create(revision=1)
    assert "match_number" not in created
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert CONTINUE_BUTTON in page.text
    assert choices_on(page.text) == []
    assert "too old to show a number" in page.text  # what the missing number means
    assert (await relay_app.confirm(created)).status_code == 303


async def test_continue_redirects_to_the_allow_listed_provider(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    response = await choose_async(
        relay_app.client, f"/p/{created['pairing_id']}", created["match_number"]
    )
    assert response.status_code == 303
    assert response.headers["location"] == url
    stored = await relay_app.store.get(created["pairing_id"])
    assert stored is not None
    assert stored.confirmed_at is not None


async def test_done_page_script_is_same_origin_static(relay_app: Relay) -> None:
    script = await relay_app.client.get("/static/done.js")
    assert script.status_code == 200
    assert "/status" in script.text
    assert "innerHTML" not in script.text  # text only, never markup
    css = await relay_app.client.get("/static/style.css")
    assert css.status_code == 200
    assert "http" not in css.text  # no third-party assets


async def test_the_confirmation_page_counts_one_tap_once_with_a_same_origin_script(
    relay_app: Relay,
) -> None:
    created, _, _ = await relay_app.create()
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert '<script src="/static/confirm.js" defer></script>' in page.text
    script = await relay_app.client.get("/static/confirm.js")
    assert script.status_code == 200
    assert "preventDefault" in script.text  # a second submit goes nowhere
    assert "pageshow" in script.text  # a page come back to takes a tap again


async def test_paste_mode_flow(relay_app: Relay) -> None:
    created, key, url = await relay_app.create(mode="paste")
    pid = created["pairing_id"]
    # no pasting before the "this is my terminal" step
    early = await relay_app.client.post(f"/p/{pid}/code", data={"code": "abc"})
    assert early.status_code == 403
    assert "This sign-in did not start here" in early.text
    assert (await relay_app.client.get(f"/p/{pid}/paste")).headers["location"] == f"/p/{pid}"
    confirm = await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
    assert confirm.status_code == 303
    assert confirm.headers["location"] == f"/p/{pid}/paste"
    paste_page = await relay_app.client.get(f"/p/{pid}/paste")
    assert paste_page.status_code == 200
    assert 'rel="noopener noreferrer"' in paste_page.text
    assert url.replace("&", "&amp;") in paste_page.text
    assert f'action="/p/{pid}/code"' in paste_page.text
    empty = await relay_app.client.post(f"/p/{pid}/code", data={"code": "   "})
    assert empty.status_code == 400
    assert "Paste the code" in empty.text
    pasted = await relay_app.client.post(f"/p/{pid}/code", data={"code": "  dmVyaWZpY2F0aW9u  \n"})
    assert pasted.status_code == 303
    assert pasted.headers["location"] == f"/p/{pid}/done"
    twice = await relay_app.client.post(f"/p/{pid}/code", data={"code": "again"})
    assert twice.status_code == 410
    body = (await relay_app.poll(created)).json()
    assert json.loads(key.open(body["sealed"], pid)) == {"pasted": "dmVyaWZpY2F0aW9u"}


async def test_paste_mode_pairing_ignores_callbacks_and_vice_versa(relay_app: Relay) -> None:
    """A well-formed answer the pairing's mode does not take is a conflict (409), not bad
    input; the pairing still waits for the right one."""
    created, _, _ = await relay_app.create()
    await relay_app.confirm(created)
    wrong = await relay_app.client.post(f"/p/{created['pairing_id']}/code", data={"code": "x"})
    assert wrong.status_code == 409
    assert "This sign-in request does not take a pasted code." in wrong.text
    pasting, _, pasting_url = await relay_app.create(mode="paste")
    await relay_app.confirm(pasting)
    redirected = await relay_app.client.get(
        "/callback", params={"code": "x", "state": state_of(pasting_url)}
    )
    assert redirected.status_code == 409
    assert "This sign-in request expects a pasted code." in redirected.text
    for pending in (created, pasting):
        status = await relay_app.client.get(f"/p/{pending['pairing_id']}/status")
        assert status.json() == {"status": "pending"}


async def test_link_finds_a_pairing_by_user_code_in_any_spelling(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    form = await relay_app.client.get("/link")
    assert form.status_code == 200
    assert 'action="/link"' in form.text
    typed = " " + created["user_code"].lower().replace("-", " - ") + " "
    found = await relay_app.client.post("/link", data={"user_code": typed})
    assert found.status_code == 303
    assert found.headers["location"] == f"/p/{created['pairing_id']}"
    squashed = await relay_app.client.post(
        "/link", data={"user_code": created["user_code"].replace("-", "")}
    )
    assert squashed.status_code == 303


async def test_link_refuses_malformed_and_unknown_codes(relay_app: Relay) -> None:
    malformed = await relay_app.client.post("/link", data={"user_code": "AEIO-1234"})
    assert malformed.status_code == 400
    assert "8 letters" in malformed.text
    unknown = await relay_app.client.post("/link", data={"user_code": "BBBB-BBBB"})
    assert unknown.status_code == 404
    assert "No sign-in request has this code" in unknown.text
    xss = await relay_app.client.post("/link", data={"user_code": XSS})
    assert XSS[:8] not in xss.text


async def test_link_guessing_is_rate_limited(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(RELAY_RATE_BROWSER="3")
    async with relay_app.client:
        statuses = [
            (await relay_app.client.post("/link", data={"user_code": "BBBB-BBBB"})).status_code
            for _ in range(4)
        ]
        assert statuses == [404, 404, 404, 429]


@pytest.mark.parametrize("field", ["hostname", "user", "client"])
async def test_host_fields_never_become_markup(relay_app: Relay, field: str) -> None:
    host = {"hostname": "box", "user": "alice", "client": "awslogin/0.1", field: XSS}
    created, _, url = await relay_app.create(host=host)
    pid = created["pairing_id"]
    pages = [await relay_app.client.get(f"/p/{pid}")]
    await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
    await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
    pages.append(await relay_app.client.get(f"/p/{pid}/done"))
    await relay_app.poll(created)
    pages.append(await relay_app.client.get(f"/p/{pid}/done"))
    for page in pages:
        assert XSS not in page.text
        assert "<script>" not in page.text
    if field != "client":  # not a name: the page says so rather than showing it
        assert "(not shown)" in pages[0].text


async def test_user_agent_cannot_inject_markup(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    page = await relay_app.client.get(f"/p/{created['pairing_id']}", headers={"user-agent": XSS})
    assert XSS not in page.text


async def test_error_pages_are_human_sentences(relay_app: Relay) -> None:
    unknown = await relay_app.client.get("/p/AAAAAAAAAAAA")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in unknown.text
    assert "Traceback" not in unknown.text
    created, _, _url = await relay_app.create()
    relay_app.clock.advance(601)
    expired = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert expired.status_code == 410
    assert "has expired" in expired.text
    expired_confirm = await choose_async(
        relay_app.client, f"/p/{created['pairing_id']}", created["match_number"]
    )
    assert expired_confirm.status_code == 410
    used, _, used_url = await relay_app.create()
    await relay_app.confirm(used)
    await relay_app.client.get("/callback", params={"code": "x", "state": state_of(used_url)})
    replay = await relay_app.client.get(
        "/callback", params={"code": "y", "state": state_of(used_url)}
    )
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
async def test_callback_refuses_bad_state_with_a_page(
    relay_app: Relay, params: dict[str, str]
) -> None:
    response = await relay_app.client.get("/callback", params=params)
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("text/html")


async def test_callback_without_code_or_error_and_with_duplicates(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.confirm(created)
    state = state_of(url)
    neither = await relay_app.client.get("/callback", params={"state": state})
    assert neither.status_code == 400
    doubled = await relay_app.client.get(f"/callback?state={state}&code=a&code=b")
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
async def test_security_headers_on_every_response(relay_app: Relay, path: str) -> None:
    response = await relay_app.client.get(path)
    headers = response.headers
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"form-action 'self' " + re.escape(IDP), csp)


async def test_pages_load_nothing_from_third_parties(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    for reference in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert reference.startswith("/"), reference
    assert "style=" not in page.text  # CSP-compatible: no inline styles


async def test_no_page_runs_inline_script(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.confirm(created)
    await relay_app.client.get("/callback", params={"code": "x", "state": state_of(url)})
    done = await relay_app.client.get(f"/p/{created['pairing_id']}/done")
    assert re.findall(r"<script[^>]*>([^<]*)</script>", done.text) == [""]


async def test_oversized_form_is_413_page(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create(mode="paste")
    response = await relay_app.client.post(
        f"/p/{created['pairing_id']}/code", data={"code": "x" * 40000}
    )
    assert response.status_code == 413


def test_authorize_url_helper_uses_callback() -> None:
    assert "redirect_uri=https%3A%2F%2Frelay.test%2Fcallback" in authorize_url()


CONFIRM_ROLE = "arn:aws:iam::123456789012:role/dev"


HOST = {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/0.1"}


async def test_the_relays_address_is_a_page_with_the_code_form(relay_app: Relay) -> None:
    home = await relay_app.client.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert "<h1>awslogin relay</h1>" in home.text
    assert "terminal" in home.text
    assert '<form method="post" action="/link">' in home.text
    assert 'name="user_code"' in home.text
    assert "<script" not in home.text
    # what the form leads to is /link's answer, as from the /link page itself
    created, _, _ = await relay_app.create()
    found = await relay_app.client.post("/link", data={"user_code": created["user_code"]})
    assert found.headers["location"] == f"/p/{created['pairing_id']}"


async def test_refusals_at_the_relays_address_are_pages(relay_app: Relay) -> None:
    refused = await relay_app.client.post("/")
    assert refused.status_code == 405
    assert refused.headers["content-type"].startswith("text/html")


async def test_confirmation_page_names_role_provider_time_left_and_the_address(
    relay_app: Relay,
) -> None:
    created, _, _ = await relay_app.create(host={**HOST, "role": CONFIRM_ROLE})
    relay_app.clock.advance(75)
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    # <wbr>: where a long ARN may wrap on a phone
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text.replace("<wbr>", "")))
    assert f"AWS role {CONFIRM_ROLE}" in text
    assert "Sign in at idp.test " in text  # the authorize URL's host
    assert "Asked 75 seconds ago" in text
    assert "Time left 8 minutes" in text  # 525 s, rounded down
    assert "Address 203.0.113.7 where the request came from, as the relay saw it" in text
    assert "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>123456789012:<wbr>role/<wbr>dev" in page.text
    assert "aria-label" not in page.text
    assert f'<p class="code" id="user-code">{created["user_code"]}</p>' in page.text


async def test_confirmation_page_without_a_role_says_none(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert "AWS role" not in page.text
    relay_app.clock.advance(560)
    later = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert "<dd>40 seconds</dd>" in later.text


@pytest.mark.parametrize(
    "role", ["dev\u202egpj.exe", "dev\x1b[2J", "dev\nin account 1", "dev, approve this"]
)
async def test_a_role_that_could_disguise_itself_is_not_shown(relay_app: Relay, role: str) -> None:
    created, _, _ = await relay_app.create(host={**HOST, "role": role})
    page = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert "<dt>AWS role</dt><dd>(not shown)</dd>" in page.text
    assert "gpj" not in page.text
    assert "approve" not in page.text


@pytest.mark.parametrize("role", ["r" * (MAX_ROLE + 1), 42])
async def test_a_role_too_long_or_not_text_is_refused(relay_app: Relay, role: object) -> None:
    body = {"host": {**HOST, "role": role}, "public_key": "x", "authorize_url": "x"}
    response = await relay_app.client.post("/v1/pairings", json=body)
    assert response.status_code == 422
    assert "body.host.role" in response.json()["error_description"]


async def test_done_page_titles_say_what_happened(relay_app: Relay) -> None:
    denied, _, denied_url = await relay_app.create()
    await relay_app.confirm(denied)
    await relay_app.client.get(
        "/callback", params={"error": "access_denied", "state": state_of(denied_url)}
    )
    page = await relay_app.client.get(f"/p/{denied['pairing_id']}/done")
    assert "<title>Sign-in was not completed — awslogin</title>" in page.text
    signed, _, signed_url = await relay_app.create()
    await relay_app.confirm(signed)
    await relay_app.client.get("/callback", params={"code": "x", "state": state_of(signed_url)})
    await relay_app.poll(signed)
    page = await relay_app.client.get(f"/p/{signed['pairing_id']}/done")
    assert "<title>Finishing on gpu-box-3… — awslogin</title>" in page.text
    await relay_app.report(signed)
    page = await relay_app.client.get(f"/p/{signed['pairing_id']}/done")
    assert "<title>gpu-box-3 is signed in as dev in 123456789012 — awslogin</title>" in page.text


DONE_ROLE = "analytics-admin"


DETAILS = ("123456789012", DONE_ROLE, "trust policy", "access_denied", "the user said no")


def heading(page: httpx.Response) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page.text, re.DOTALL)
    assert found is not None, page.text
    return found.group(1).strip()


def title(page: httpx.Response) -> str:
    found = re.search(r"<title>(.*?)</title>", page.text, re.DOTALL)
    assert found is not None
    return found.group(1).strip()


async def test_finishing_until_the_outcome_then_exactly_what_was_reported(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    assert (await relay_app.client.get(f"/p/{pid}/done")).headers["location"] == f"/p/{pid}"
    await relay_app.authorize(created, url)
    for step in ("authorized", "delivered", "acknowledged"):
        if step == "delivered":
            await relay_app.poll(created)
        elif step == "acknowledged":
            await relay_app.ack(created)
        done = await relay_app.client.get(f"/p/{pid}/done")
        assert done.status_code == 200
        assert heading(done) == "Finishing on gpu-box-3…", step
        assert '<script src="/static/done.js" defer></script>' in done.text
        assert "signed in" not in done.text  # no page claims what has not happened
    assert (await relay_app.client.get(f"/p/{pid}")).headers["location"] == f"/p/{pid}/done"
    await relay_app.report(created)
    done = await relay_app.client.get(f"/p/{pid}/done")
    assert heading(done) == "gpu-box-3 is signed in as dev in 123456789012"
    assert title(done) == "gpu-box-3 is signed in as dev in 123456789012 — awslogin"
    assert "<script" not in done.text  # nothing left to wait for


async def test_a_reported_failure_shows_its_reason_escaped(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    reason = f"STS refused the identity token: check the role's trust policy {XSS}"
    await relay_app.report(created, outcome="failed", reason=reason)
    done = await relay_app.client.get(f"/p/{created['pairing_id']}/done")
    assert heading(done) == "gpu-box-3 could not finish"
    assert "STS refused the identity token: check the role&#39;s trust policy" in done.text
    # only under a label that says whose words they are
    label = "<figcaption>Your terminal reported (its words, not checked by the relay):"
    assert label in done.text
    assert done.text.index(label) < done.text.index("STS refused") < done.text.index("</figure>")
    assert done.text.index("<blockquote>") < done.text.index("STS refused")
    assert XSS not in done.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.text
    assert "Done" not in title(done)


@pytest.mark.parametrize("role", ["admin. Press continue", "dev ops", "a<b>", "arn:aws:x"])
async def test_a_reported_role_that_is_not_a_role_name_is_not_shown(
    relay_app: Relay, role: str
) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.report(created, outcome="signed_in", account_id="123456789012", role=role)
    done = await relay_app.client.get(f"/p/{created['pairing_id']}/done")
    assert heading(done) == "gpu-box-3 is signed in as (not shown) in 123456789012"
    assert role not in done.text


@pytest.mark.parametrize("account_id", [None, "123456789012"])
async def test_a_signed_in_report_without_a_role(relay_app: Relay, account_id: str | None) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    body = {"outcome": "signed_in"} | ({"account_id": account_id} if account_id else {})
    await relay_app.report(created, **body)
    done = await relay_app.client.get(f"/p/{created['pairing_id']}/done")
    expected = f"gpu-box-3 is signed in in {account_id}" if account_id else "gpu-box-3 is signed in"
    assert heading(done) == expected


async def test_a_denial_has_its_own_title_and_is_told_to_the_confirming_browser(
    relay_app: Relay,
) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url, error="access_denied", error_description=XSS)
    pid = created["pairing_id"]
    page = await relay_app.client.get(f"/p/{pid}/done")
    assert heading(page) == "Sign-in was not completed"
    assert title(page) == "Sign-in was not completed — awslogin"
    assert "access_denied" in page.text
    assert XSS not in page.text
    assert "&lt;script&gt;" in page.text
    await relay_app.poll(created)
    await relay_app.ack(created)
    after = await relay_app.client.get(f"/p/{pid}/done")
    assert heading(after) == "Sign-in was not completed"


async def test_no_outcome_before_expiry_says_so(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.poll(created)
    await relay_app.ack(created)
    relay_app.clock.advance(121)
    done = await relay_app.client.get(f"/p/{created['pairing_id']}/done")
    assert done.status_code == 200
    assert heading(done) == "gpu-box-3 did not finish in time"


async def test_another_browser_learns_only_that_the_request_ended(relay_app: Relay) -> None:
    reports = [
        {"outcome": "signed_in", "account_id": "123456789012", "role": DONE_ROLE},
        {"outcome": "failed", "reason": "STS refused: check the trust policy"},
        {"error": "access_denied", "error_description": "the user said no"},
    ]
    async with relay_app.browser() as other:
        for report in reports:
            created, _, url = await relay_app.create()
            pid = created["pairing_id"]
            if "error" in report:
                await relay_app.authorize(created, url, **report)
                live = await other.get(f"/p/{pid}/done")  # a denial not yet acknowledged
                assert heading(live) == "This sign-in request has ended"
                await relay_app.ack(created)
            else:
                await relay_app.authorize(created, url)
                finishing = await other.get(f"/p/{pid}/done")
                assert heading(finishing) == "Finishing on gpu-box-3…"
                await relay_app.report(created, **report)
            page = await other.get(f"/p/{pid}/done")
            assert page.status_code == 200
            assert heading(page) == "This sign-in request has ended"
            assert "Go back to your terminal on gpu-box-3." in page.text
            for detail in DETAILS:
                assert detail not in page.text, (report, detail)
            status = await other.get(f"/p/{pid}/status")
            assert set(status.json()) == {"status"}
            # the confirming browser, meanwhile, is told
            assert heading(await relay_app.client.get(f"/p/{pid}/done")) != heading(page)


async def test_rescanning_after_success_says_the_terminal_is_signed_in(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    await relay_app.authorize(created, url)
    await relay_app.report(created, outcome="signed_in", account_id="123456789012", role=DONE_ROLE)
    again = await relay_app.client.get(f"/p/{pid}")
    assert again.status_code == 410
    assert heading(again) == "This terminal is already signed in"
    assert f"gpu-box-3 is signed in as {DONE_ROLE} in 123456789012." in again.text
    assert "again" not in again.text  # no "run awslogin login again"
    assert "<form" not in again.text
    async with relay_app.browser() as other:
        scanned = await other.get(f"/p/{pid}")
        assert scanned.status_code == 410
        assert heading(scanned) == "This terminal is already signed in"
        assert "123456789012" not in scanned.text
        assert DONE_ROLE not in scanned.text


async def test_rescanning_after_a_failure_asks_for_a_new_login(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    await relay_app.authorize(created, url)
    await relay_app.report(created, outcome="failed", reason="no")
    again = await relay_app.client.get(f"/p/{created['pairing_id']}")
    assert again.status_code == 410
    assert "awslogin login" in again.text


async def test_public_status_follows_every_state(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]

    async def status() -> str:
        answer = await relay_app.client.get(f"/p/{pid}/status")
        assert answer.status_code == 200
        value: str = answer.json()["status"]
        return value

    assert await status() == "pending"
    await relay_app.authorize(created, url)
    assert await status() == "authorized"
    await relay_app.poll(created)
    assert await status() == "authorized"
    await relay_app.ack(created)
    assert await status() == "finishing"
    await relay_app.report(created)
    assert await status() == "signed_in"
    unknown = await relay_app.client.get("/p/AAAAAAAAAAAA/status")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"


async def test_the_number_is_in_no_page_and_a_reload_offers_the_same_three(
    relay_app: Relay,
) -> None:
    created, _, _ = await relay_app.create()
    pid = created["pairing_id"]
    first = await relay_app.client.get(f"/p/{pid}")
    reloaded = [await relay_app.client.get(f"/p/{pid}") for _ in range(5)]
    offered = choices_on(first.text)
    assert all(choices_on(page.text) == offered for page in reloaded)  # nothing to intersect
    status = await relay_app.client.get(f"/p/{pid}/status")
    # the right one is not told apart from the decoys anywhere a browser reads
    for number in offered:
        assert first.text.count(f'value="{number}"') == 1
    assert str(created["match_number"]) not in status.text
    assert "set-cookie" not in first.headers


async def test_a_wrong_number_ends_the_pairing_and_the_host_hears_why(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    page = await relay_app.client.get(f"/p/{pid}")
    wrong = next(n for n in choices_on(page.text) if n != created["match_number"])
    answer = await choose_async(relay_app.client, f"/p/{pid}", wrong)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/p/{pid}/done"
    assert "set-cookie" not in answer.headers  # nobody is bound
    polled = (await relay_app.poll(created)).json()
    assert polled["status"] == "denied"
    assert polled["error"] == "wrong_number"
    done = await relay_app.client.get(f"/p/{pid}/done")
    assert "Wrong number: this sign-in request has ended" in done.text
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "wrong_number"}
    # the right number now comes too late, and so does the provider's answer
    late = await choose_async(relay_app.client, f"/p/{pid}", created["match_number"])
    assert late.status_code in (409, 410)
    # the host acknowledges: the pairing's end still says why, to anyone with the link
    assert (await relay_app.ack(created)).status_code == 204
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "wrong_number"}
    gone = await relay_app.client.get(f"/p/{pid}/done")
    assert "Wrong number" in gone.text
    callback = await relay_app.client.get("/callback", params={"code": "c", "state": state_of(url)})
    assert callback.status_code == 410


@pytest.mark.parametrize("form", [{}, {"number": "abc"}, {"number": "123"}, {"number": "-1"}])
async def test_a_page_with_numbers_wants_one(relay_app: Relay, form: dict[str, str]) -> None:
    created, _, _ = await relay_app.create()
    pid = created["pairing_id"]
    answer = await relay_app.client.post(f"/p/{pid}/confirm", data=form)
    assert answer.status_code == 400
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "pending"}


async def test_the_confirming_browser_needs_no_number_again(relay_app: Relay) -> None:
    created, _, url = await relay_app.create()
    pid = created["pairing_id"]
    assert (await relay_app.confirm(created)).status_code == 303
    again = await choose_async(relay_app.client, f"/p/{pid}", None)  # the back button
    assert again.status_code == 303
    assert again.headers["location"] == url


async def test_a_relay_that_requires_the_number_refuses_an_older_host(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_REQUIRE_NUMBER="true")
    async with relay_app.client:
        refused = await relay_app.client.post(
            "/v1/pairings",
            json={
                "authorize_url": authorize_url(),
                "public_key": HostKey().public_key,
                "host": {"hostname": "old-box", "user": "alice"},
            },
        )
        assert refused.status_code == 400
        assert refused.json()["error"] == "upgrade_required"
        created, _, _ = await relay_app.create()  # revision 2: welcome
        assert 10 <= created["match_number"] <= 99


async def test_the_notice_tells_the_waiting_host_who_confirmed(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create()
    headers = {
        "Authorization": f"Bearer {created['poll_token']}",
    }
    path = f"/v1/pairings/{created['pairing_id']}/result"
    waiting = asyncio.create_task(
        relay_app.client.get(path, params={"wait": 20, "until": "confirmation"}, headers=headers)
    )
    await asyncio.sleep(0.05)
    assert not waiting.done()
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    )
    relay_app.client.headers["user-agent"] = iphone
    await relay_app.confirm(created)
    answer = (await asyncio.wait_for(waiting, 5)).json()
    assert answer == {
        "status": "pending",
        "confirmation": {
            "at": relay_app.clock.now,
            "address": "203.0.113.7",
            "browser": "Safari on iPhone",
        },
    }
    # a poll without `until` (a host of revision 1) is not cut short by a confirmation
    # (it ends when its wait does, however slowly the confirmation ran on a loaded machine)
    second = await relay_app.create()
    started = time.monotonic()
    plain = asyncio.create_task(
        relay_app.client.get(
            f"/v1/pairings/{second[0]['pairing_id']}/result",
            params={"wait": 1},
            headers={"Authorization": f"Bearer {second[0]['poll_token']}"},
        )
    )
    await asyncio.sleep(0.05)
    await relay_app.confirm(second[0])
    assert (await plain).json()["status"] == "pending"
    assert time.monotonic() - started >= 0.95


SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


@pytest.mark.parametrize("mode", ["paste", "redirect"])
async def test_not_me_ends_the_pairing_and_wakes_the_waiting_host(
    relay_app: Relay, mode: str
) -> None:
    """The browser that confirmed finds "not me" on the paste page (paste mode) and on its
    confirmation page (any mode: the back button); pressing it wakes the long-poll with
    the denied_on_page denial, and every page says the request was cancelled."""
    created, _, url = await relay_app.create(mode=mode)
    pid = created["pairing_id"]
    unbound = await relay_app.client.get(f"/p/{pid}")
    assert NOT_ME_BUTTON not in unbound.text  # numbers first: nobody is bound yet
    assert (await relay_app.confirm(created)).status_code == 303
    pages = [await relay_app.client.get(f"/p/{pid}")]
    if mode == "paste":
        pages.append(await relay_app.client.get(f"/p/{pid}/paste"))
    for shown in pages:
        assert shown.status_code == 200
        assert NOT_ME_BUTTON in shown.text
        assert f'<form method="post" action="/p/{pid}/cancel">' in shown.text
    waiting = asyncio.create_task(relay_app.poll(created, wait=20))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    answer = await cancel_async(relay_app.client, f"/p/{pid}", SAME_ORIGIN)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/p/{pid}/done"
    polled = (await asyncio.wait_for(waiting, 5)).json()
    assert polled["status"] == "denied"
    assert polled["error"] == "denied_on_page"
    assert "relay's page" in polled["error_description"]
    assert "sealed" not in polled
    done = await relay_app.client.get(f"/p/{pid}/done")
    assert heading(done) == "This sign-in request was cancelled on its page"
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "denied_on_page"}
    # nothing completes it afterwards, and pressing again changes nothing
    if mode == "paste":
        late = await relay_app.client.post(f"/p/{pid}/code", data={"code": "abc"})
    else:
        late = await relay_app.client.get("/callback", params={"code": "c", "state": state_of(url)})
    assert late.status_code == 410
    assert (await cancel_async(relay_app.client, f"/p/{pid}", SAME_ORIGIN)).status_code == 410
    # the host acknowledges: the tombstone keeps the reason
    assert (await relay_app.ack(created)).status_code == 204
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "denied_on_page"}
    assert heading(await relay_app.client.get(f"/p/{pid}/done")) == (
        "This sign-in request was cancelled on its page"
    )
    again = await cancel_async(relay_app.client, f"/p/{pid}", SAME_ORIGIN)
    assert again.status_code == 410
    assert "This sign-in request was cancelled" in again.text


async def test_only_the_confirming_browser_may_say_not_me(relay_app: Relay) -> None:
    """Holding the link is not enough: before anyone confirmed, and from another browser
    after, "not me" is refused and the pairing waits on."""
    created, _, _ = await relay_app.create(mode="paste")
    pid = created["pairing_id"]
    early = await cancel_async(relay_app.client, f"/p/{pid}", SAME_ORIGIN)
    assert early.status_code == 403
    assert "This sign-in did not start here" in early.text
    await relay_app.confirm(created)
    async with relay_app.browser() as other:
        refused = await cancel_async(other, f"/p/{pid}", SAME_ORIGIN)
        assert refused.status_code == 403
        # a forged cookie with the right name is no binding either
        forged = await other.post(
            f"/p/{pid}/cancel", headers={**SAME_ORIGIN, "cookie": f"awl_{pid}=forged"}
        )
        assert forged.status_code == 403
    assert (await relay_app.poll(created)).json()["status"] == "pending"
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "pending"}


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "none"},
        {"origin": "https://phish.example"},
        {"origin": "null"},
    ],
)
async def test_a_not_me_posted_from_another_site_is_refused(
    relay_app: Relay, headers: dict[str, str]
) -> None:
    created, _, _ = await relay_app.create(mode="paste")
    pid = created["pairing_id"]
    await relay_app.confirm(created)
    refused = await cancel_async(relay_app.client, f"/p/{pid}", headers)  # with the cookie
    assert refused.status_code == 403
    assert "<h1>Cancel on the relay&#39;s own page</h1>" in refused.text
    assert (await relay_app.client.get(f"/p/{pid}/status")).json() == {"status": "pending"}


async def test_not_me_answers_hostile_requests_with_4xx_pages(relay_app: Relay) -> None:
    created, _, _ = await relay_app.create(mode="paste")
    pid = created["pairing_id"]
    await relay_app.confirm(created)
    client = relay_app.client
    answers = {
        "unknown": await client.post("/p/AAAAAAAAAAAA/cancel", headers=SAME_ORIGIN),
        "odd id": await client.post("/p/%00%ff%3Cx%3E/cancel", headers=SAME_ORIGIN),
        "long id": await client.post(f"/p/{'x' * 5000}/cancel", headers=SAME_ORIGIN),
        "huge body": await client.post(
            f"/p/{pid}/cancel", content=b"x" * 100_000, headers=SAME_ORIGIN
        ),
        "get": await client.get(f"/p/{pid}/cancel"),
    }
    for what, answer in answers.items():
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text)
    assert answers["unknown"].status_code == 404
    assert answers["huge body"].status_code == 413
    assert answers["get"].status_code == 405
    assert (await client.get(f"/p/{pid}/status")).json() == {"status": "pending"}
    # a body that is not the form's is harmless: the button needs none, and reads none
    odd = await client.post(f"/p/{pid}/cancel", json={"a": [1] * 10}, headers=SAME_ORIGIN)
    assert odd.status_code == 303
