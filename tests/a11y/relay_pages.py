"""A tour of every page the relay shows a person, each reached for real in a browser.

Used by the accessibility test (axe-core on each page, light and dark) and by
scripts/screenshots (each page at phone and desktop sizes). Three `awslogin-relay`
processes serve the tour:

* `main`: the memory store, every ordinary page: `/`, `/link`, confirmation (with the
  three numbers, and without them after the code was typed on `/link`), paste, the
  done page in each state this relay can reach (finishing, signed in, scanned again,
  could not finish, denied, "not me"), and the refusals a browser meets;
* `short_lived`: pairings live 30 s (the least the relay accepts), so that one expires
  during the tour; and one browser request per rate window, for "too many attempts";
* `no_store`: a Redis store on a port where nothing listens, for "the relay is busy".

The host's side (create, poll, ack, outcome, cancel) is protocol v1 over HTTP with a
real sealing key; the identity provider is a stand-in on 127.0.0.1 that answers every
page with a line of text: the relay only sends the browser there, and the tour plays its
redirect back.
Each stop checks the status the relay answered, so the tour fails loudly when a page
cannot be reached.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import httpx
from playwright.sync_api import Browser, Page, Response, Route

from awslogin_protocol import REVISION
from awslogin_protocol.sealing import HostKey
from tests.peers._process import free_port
from tests.peers.relay import RelayFactory, RelayServer
from tests.support.phone import offered_numbers, press_continue, press_not_me

# A site other than the relay's, for the cross-site form post (Playwright answers it).
OTHER_SITE = "http://localhost:9"
SHORT_TTL = 30
ROLE = "arn:aws:iam::123456789012:role/dev"
HOST = {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/tour", "role": ROLE}
TIMEOUT_MS = 15_000

# Called at each stop with the stop's name and the page showing it.
Visit = Callable[[str, Page], None]


@dataclass(frozen=True)
class TourRelays:
    idp: str  # the stand-in identity provider's origin
    main: RelayServer
    short_lived: RelayServer
    no_store: RelayServer


class _IdpPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>IdP</title><p>The identity provider's page.</p>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _stand_in_idp() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IdpPage)
    thread = threading.Thread(target=server.serve_forever, name="tour-idp", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def tour_relays(start: RelayFactory) -> Iterator[TourRelays]:
    """The three relays of the tour and the IdP. `start(**settings)` returns a running
    relay (in tests the `relay_process` fixture, which also stops it)."""
    with _stand_in_idp() as idp:
        common = {"RELAY_ALLOWED_ORIGINS": idp, "RELAY_POLL_INTERVAL": "0"}
        yield TourRelays(
            idp,
            main=start(**common),
            short_lived=start(
                **common,
                RELAY_PAIRING_TTL=str(SHORT_TTL),
                RELAY_RESULT_TTL=str(SHORT_TTL),
                RELAY_RATE_BROWSER="1",
            ),
            no_store=start(**common, RELAY_STORE=f"redis://127.0.0.1:{free_port()}/0"),
        )


class HostSide:
    """One pairing as a host holds it: created over HTTP, polled, cancelled."""

    def __init__(
        self, relay: RelayServer, idp: str, *, mode: str = "redirect", revision: int = REVISION
    ) -> None:
        self.relay = relay
        self.state = secrets.token_urlsafe(24)
        challenge = hashlib.sha256(secrets.token_bytes(32)).digest()
        query = {
            "response_type": "code",
            "client_id": "awslogin",
            "redirect_uri": f"{relay.url}/callback" if mode == "redirect" else f"{idp}/code",
            "scope": "openid",
            "state": self.state,
            "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        body = {
            "authorize_url": f"{idp}/authorize?{urlencode(query)}",
            "mode": mode,
            "public_key": HostKey().public_key,
            "host": HOST,
            "revision": revision,
        }
        created = self._call("POST", "/v1/pairings", 201, json=body)
        self.pairing_id: str = created["pairing_id"]
        self.user_code: str = created["user_code"]
        self.number: int | None = created.get("match_number")
        self._token = {"Authorization": f"Bearer {created['poll_token']}"}

    def _call(self, method: str, path: str, expected: int, **options: Any) -> Any:
        answer = httpx.request(method, f"{self.relay.url}{path}", timeout=10, **options)
        assert answer.status_code == expected, f"{method} {path}: {answer.status_code}"
        return answer.json() if answer.content else None

    @property
    def page_url(self) -> str:
        return f"{self.relay.url}/p/{self.pairing_id}"

    def collect(self) -> None:
        """The host's poll that takes the result."""
        path = f"/v1/pairings/{self.pairing_id}/result?wait=0"
        self._call("GET", path, 200, headers=self._token)

    def report(self, **outcome: str) -> None:
        """The host opened the result (ack) and says how its login ended (outcome)."""
        self._call("POST", f"/v1/pairings/{self.pairing_id}/ack", 204, headers=self._token)
        path = f"/v1/pairings/{self.pairing_id}/outcome"
        self._call("POST", path, 204, headers=self._token, json=outcome)

    def cancel(self) -> None:
        self._call("DELETE", f"/v1/pairings/{self.pairing_id}", 204, headers=self._token)


def _cross_site_form(relay_url: str, pairing_id: str) -> Callable[[Route], None]:
    form = (
        f'<!doctype html><title>Another site</title><form method="post" '
        f'action="{relay_url}/p/{pairing_id}/confirm"><button>Go</button></form>'
    )
    return lambda route: route.fulfill(status=200, content_type="text/html", body=form)


class _Stops:
    """Checks the status of each stop, lets the page settle, and hands it to `visit`."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self.names: list[str] = []

    def __call__(self, name: str, page: Page, response: Response | None, status: int) -> None:
        assert response is not None, name
        assert response.status == status, f"{name}: HTTP {response.status}, not {status}"
        page.wait_for_load_state("load")
        self.visit(name, page)
        self.names.append(name)


def _continue(page: Page, host: HostSide, number: int | None = None) -> Response | None:
    """Choose the host's number (or `number`) on the confirmation page shown, or press
    "This is my terminal — continue" where the host shows none."""
    with page.expect_navigation(timeout=TIMEOUT_MS) as navigation:
        press_continue(page, host.number if number is None else number)
    return navigation.value


def _submit(page: Page, field: str, value: str, button: str) -> Response | None:
    page.fill(field, value)
    with page.expect_navigation(timeout=TIMEOUT_MS) as navigation:
        page.get_by_role("button", name=button).click()
    return navigation.value


class Tour:
    """Walks a browser through every relay page, calling `visit` at each.

    One Tour may run several times (one run per screen size): the pairing that has to
    expire is made when the Tour is, and the first run that reaches it waits for it.
    """

    def __init__(self, relays: TourRelays) -> None:
        self.relays = relays
        self.expiring = HostSide(relays.short_lived, relays.idp)
        self.expires_at = time.monotonic() + SHORT_TTL + 1.5

    def run(self, browser: Browser, context_options: dict[str, Any], visit: Visit) -> list[str]:
        """Every stop, in order; returns their names."""
        stops = _Stops(visit)
        phone = browser.new_context(**context_options)
        other = browser.new_context(**context_options)
        try:
            page = phone.new_page()
            self._ordinary_pages(page, stops)
            self._refusals(page, other.new_page(), stops)
        finally:
            phone.close()
            other.close()
        return stops.names

    def _ordinary_pages(self, page: Page, stop: _Stops) -> None:
        main = self.relays.main.url
        stop("home", page, page.goto(f"{main}/"), 200)
        stop("link", page, page.goto(f"{main}/link"), 200)
        unknown = _submit(page, "#user_code", "BDKM-TRWX", "Continue")
        stop("link-unknown-code", page, unknown, 404)
        typed = HostSide(self.relays.main, self.relays.idp)
        known = _submit(page, "#user_code", typed.user_code, "Continue")
        assert offered_numbers(page) == [], "a typed code needs no number"
        stop("confirm-typed-code", page, known, 200)

        signed_in = HostSide(self.relays.main, self.relays.idp)
        stop("confirm", page, page.goto(signed_in.page_url), 200)
        _continue(page, signed_in)
        callback = f"{main}/callback?code=tour-code&state={signed_in.state}"
        stop("done-finishing", page, page.goto(callback), 200)
        signed_in.collect()
        signed_in.report(outcome="signed_in", account_id="123456789012", role="dev")
        stop("done-signed-in", page, page.reload(), 200)
        stop("done-scanned-again", page, page.goto(signed_in.page_url), 410)

        failed = HostSide(self.relays.main, self.relays.idp)
        page.goto(failed.page_url)
        _continue(page, failed)
        page.goto(f"{main}/callback?code=tour-code&state={failed.state}")
        failed.collect()
        reason = (
            "STS refused the identity token (AccessDenied: Not authorized to perform "
            "sts:AssumeRoleWithWebIdentity): check the role's trust policy"
        )
        failed.report(outcome="failed", reason=reason)
        stop("done-could-not-finish", page, page.reload(), 200)

        denied = HostSide(self.relays.main, self.relays.idp)
        page.goto(denied.page_url)
        _continue(page, denied)
        refusal = f"error=access_denied&error_description=The+user+cancelled&state={denied.state}"
        stop("done-denied", page, page.goto(f"{main}/callback?{refusal}"), 200)

        pasted = HostSide(self.relays.main, self.relays.idp, mode="paste")
        page.goto(pasted.page_url)
        stop("paste", page, _continue(page, pasted), 200)
        stop("paste-nothing-pasted", page, _submit(page, "#code", "   ", "Send to"), 400)
        too_large = _submit(page, "#code", "x" * 40_000, "Send to")
        stop("error-request-too-large", page, too_large, 413)

        not_mine = HostSide(self.relays.main, self.relays.idp, mode="paste")
        page.goto(not_mine.page_url)
        _continue(page, not_mine)
        with page.expect_navigation(timeout=TIMEOUT_MS) as cancelled_here:
            press_not_me(page)
        stop("done-not-me", page, cancelled_here.value, 200)

    def _refusals(self, page: Page, stranger: Page, stop: _Stops) -> None:
        main = self.relays.main.url
        stop("error-not-found", page, page.goto(f"{main}/p/AAAAAAAAAAAA"), 404)
        stop("error-bad-request", page, page.goto(f"{main}/callback"), 400)

        used = HostSide(self.relays.main, self.relays.idp)
        page.goto(used.page_url)
        _continue(page, used)
        page.goto(f"{main}/callback?code=first&state={used.state}")
        replay = page.goto(f"{main}/callback?code=again&state={used.state}")
        stop("error-already-used", page, replay, 410)

        elsewhere = HostSide(self.relays.main, self.relays.idp)
        page.goto(elsewhere.page_url)
        _continue(page, elsewhere)
        stranger.goto(elsewhere.page_url)
        stop("error-confirmed-elsewhere", stranger, _continue(stranger, elsewhere), 409)

        # number matching: a wrong number ends the request, and the page says so
        wrong = HostSide(self.relays.main, self.relays.idp)
        page.goto(wrong.page_url)
        guess = next(n for n in offered_numbers(page) if n != wrong.number)
        stop("done-wrong-number", page, _continue(page, wrong, guess), 200)
        # a host too old to show a number (protocol revision 1): the one button
        old = HostSide(self.relays.main, self.relays.idp, revision=1)
        stop("confirm-without-number", page, page.goto(old.page_url), 200)
        forwarded = f"{main}/callback?code=x&state={elsewhere.state}"
        stop("error-unconfirmed-browser", stranger, stranger.goto(forwarded), 403)

        lured = HostSide(self.relays.main, self.relays.idp)
        page.route(f"{OTHER_SITE}/**", _cross_site_form(main, lured.pairing_id))
        page.goto(f"{OTHER_SITE}/win-a-prize")
        with page.expect_navigation(timeout=TIMEOUT_MS) as cross_site:
            page.get_by_role("button", name="Go").click()
        stop("error-cross-site-confirmation", page, cross_site.value, 403)

        cancelled = HostSide(self.relays.main, self.relays.idp)
        cancelled.cancel()
        stop("error-cancelled", page, page.goto(cancelled.page_url), 410)

        busy = page.goto(f"{self.relays.no_store.url}/p/AAAAAAAAAAAA")
        stop("error-relay-busy", page, busy, 503)

        page.goto(f"{self.relays.short_lived.url}/link")
        for _ in range(2):  # one lookup per minute on this relay (an earlier run's counts)
            refused = _submit(page, "#user_code", "BDKM-TRWX", "Continue")
            if refused is not None and refused.status == 429:
                break
        stop("error-too-many-attempts", page, refused, 429)

        left = self.expires_at - time.monotonic()
        if left > 0:
            time.sleep(left)  # the relay's clock decides when a pairing has expired
        stop("error-expired", page, page.goto(self.expiring.page_url), 410)
