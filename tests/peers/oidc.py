"""A real OpenID provider (node-oidc-provider) on loopback, and a headless login.

The provider is tests/peers/oidc/index.mjs, installed by scripts/setup with npm. Its
client is a public native client: PKCE (S256) is required, and an http loopback
redirect URI matches on every port, so `http://127.0.0.1/callback` admits
`http://127.0.0.1:<any port>/callback` (RFC 8252 section 7.3; checked by
tests/integration/peers/test_oidc_peer.py). Relays on random ports therefore need no
per-test registration.

Denying: every devInteractions page (login and consent) has a "[ Cancel ]" link to
`/interaction/<uid>/abort`, which ends the interaction with
`error=access_denied` at the client's redirect URI. `complete_login(..., deny=True)`
follows that link; in a browser, click the "[ Cancel ]" link.

Device codes (RFC 8628) are on by default, as at most IdPs (`device_flow=False` gives a
provider without them): discovery names `device_authorization_endpoint` (`/device/auth`),
the person confirms the code at `/device` ("Continue", or "[ Abort ]" to deny) and then
signs in on the same login form. Device authorizations say `interval: 1`
(`device_interval`), so that tests poll every second rather than every five.

`refresh_tokens_of(account)` reads the provider's own state: the refresh tokens it
issued to an account, including those of a sign-in the client kept to itself (a refused
one), so that a test can check at /token whether they still work (`refresh`).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from tests.peers._process import (
    LOOPBACK,
    PeerProcess,
    ProcessPeer,
    free_port,
    http_ready,
)

PEER_DIR = Path(__file__).resolve().parent / "oidc"
DEFAULT_CLIENT_ID = "relay-cli"
# Paths only: the port of a loopback redirect URI does not take part in matching.
DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1/callback",
    "http://127.0.0.1/oauth/callback",
    "http://localhost/callback",
    "http://localhost/oauth/callback",
)
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')
_HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"/?>')
_MAX_STEPS = 12


def available() -> bool:
    """Node and the npm-installed oidc-provider are present (scripts/setup installs them)."""
    package = PEER_DIR / "node_modules" / "oidc-provider" / "package.json"
    return shutil.which("node") is not None and package.is_file()


class LoginError(RuntimeError):
    """The headless login did not reach a redirect back to the client."""


def pkce_pair() -> tuple[str, str]:
    """A fresh (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


class OidcProvider(ProcessPeer):
    """node-oidc-provider on 127.0.0.1 with one public native client.

    `host` is where it listens and the host name of its issuer URL: `localhost` gives
    the issuer `http://localhost:<port>`, which a network namespace can map to its link
    (tests/e2e's namespace test does) while the browser side still reaches loopback.
    """

    missing = "oidc-provider is not installed"
    installed = staticmethod(available)

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS,
        auto_consent: bool = True,
        id_token_claims: bool = True,
        host: str = LOOPBACK,
        application_type: str = "native",
        device_flow: bool = True,
        device_interval: int = 1,
    ) -> None:
        self.client_id = client_id
        self.redirect_uris = redirect_uris
        self.auto_consent = auto_consent
        self.port = free_port()
        self.issuer = f"http://{host}:{self.port}"
        self.jwks_uri = f"{self.issuer}/jwks"
        self.authorization_endpoint = f"{self.issuer}/auth"
        self.token_endpoint = f"{self.issuer}/token"
        self.device_authorization_endpoint = f"{self.issuer}/device/auth" if device_flow else None
        self._process = PeerProcess(
            "oidc-provider",
            ["node", str(PEER_DIR / "index.mjs")],
            env={
                "OIDC_HOST": host,
                "OIDC_PORT": str(self.port),
                "OIDC_CLIENT_ID": client_id,
                "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
                "OIDC_AUTO_CONSENT": "1" if auto_consent else "0",
                "OIDC_IDTOKEN_CLAIMS": "1" if id_token_claims else "0",
                "OIDC_APPLICATION_TYPE": application_type,
                "OIDC_DEVICE_FLOW": "1" if device_flow else "0",
                "OIDC_DEVICE_INTERVAL": str(device_interval),
            },
            cwd=PEER_DIR,
            ready=http_ready(f"{self.issuer}/.well-known/openid-configuration"),
        )

    def authorize_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str,
        nonce: str | None = None,
        scope: str = "openid email profile",
    ) -> str:
        """An authorization request URL for this provider's client (PKCE S256)."""
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if nonce is not None:
            params["nonce"] = nonce
        return f"{self.authorization_endpoint}?{urlencode(params)}"

    def complete_login(self, authorize_url: str, username: str, *, deny: bool = False) -> str:
        """Sign in as `username` without a browser; return the redirect back to the client.

        The result is the URL the provider sends the browser to (with `code`, `state`,
        `iss`, or with `error=access_denied` when `deny` is true); it is not fetched.
        """
        with httpx.Client(follow_redirects=False, timeout=10.0, trust_env=False) as client:
            response = client.get(authorize_url)
            for _ in range(_MAX_STEPS):
                if response.is_redirect:
                    target = urljoin(str(response.url), response.headers["location"])
                    if not target.startswith(self.issuer + "/"):
                        return target
                    response = client.get(target)
                    continue
                response = self._answer_interaction(client, response, username, deny=deny)
        raise LoginError(f"no redirect back to the client after {_MAX_STEPS} steps")

    def complete_device_login(
        self, verification_uri_complete: str, username: str, *, deny: bool = False
    ) -> str:
        """Confirm a device code and sign in as `username` without a browser (or press
        "[ Abort ]" when `deny` is true); the text of the page the person ends on."""
        with httpx.Client(follow_redirects=False, timeout=10.0, trust_env=False) as client:
            # The link's page submits the code by script; then comes "Confirm Device".
            page = client.get(verification_uri_complete)
            page = client.post(f"{self.issuer}/device", data=self._hidden_fields(page))
            confirm = self._hidden_fields(page)
            if confirm.get("confirm") != "yes":
                raise LoginError(f"no device confirmation page: {_visible_text(page.text)[:300]}")
            if deny:
                confirm["abort"] = "yes"
            response = client.post(f"{self.issuer}/device", data=confirm)
            for _ in range(_MAX_STEPS):
                if response.is_redirect:
                    response = client.get(urljoin(str(response.url), response.headers["location"]))
                elif urlsplit(str(response.url)).path.startswith("/interaction/"):
                    response = self._answer_interaction(client, response, username, deny=False)
                else:
                    return _visible_text(response.text)
        raise LoginError(f"the device sign-in did not end after {_MAX_STEPS} steps")

    @staticmethod
    def _hidden_fields(page: httpx.Response) -> dict[str, str]:
        fields = dict(_HIDDEN_FIELD.findall(page.text))
        if page.status_code != 200 or "xsrf" not in fields:
            raise LoginError(f"unexpected device page: HTTP {page.status_code}")
        return fields

    def _answer_interaction(
        self, client: httpx.Client, page: httpx.Response, username: str, *, deny: bool
    ) -> httpx.Response:
        path = urlsplit(str(page.url)).path
        match = _PROMPT.search(page.text) if page.status_code == 200 else None
        if match is None or not path.startswith("/interaction/"):
            raise LoginError(
                f"unexpected page from the provider: HTTP {page.status_code} at {path}: "
                f"{_visible_text(page.text)[:300]}"
            )
        if deny:
            return client.get(f"{self.issuer}{path}/abort")
        prompt = match.group(1)
        form = {"prompt": prompt}
        if prompt == "login":
            form |= {"login": username, "password": "any"}
        return client.post(f"{self.issuer}{path}", data=form)

    def refresh_tokens_of(self, account: str) -> list[str]:
        """The refresh tokens issued to `account` (its login name), oldest first."""
        response = httpx.get(f"{self.issuer}/test/refresh-tokens/{account}", timeout=10.0)
        response.raise_for_status()
        tokens: list[str] = response.json()
        return tokens

    def refresh(self, refresh_token: str) -> httpx.Response:
        """The token endpoint's answer to a refresh_token grant with `refresh_token`."""
        return httpx.post(
            self.token_endpoint,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
            },
            timeout=10.0,
            trust_env=False,
        )

    def login_tokens(
        self,
        username: str,
        *,
        redirect_uri: str = "http://127.0.0.1:8765/callback",
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """A whole authorization-code + PKCE login; the token endpoint's JSON answer.

        For tests that need a real ID token or refresh token from this provider. Nothing
        listens on `redirect_uri`: the redirect is read, not followed.
        """
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        url = self.authorize_url(
            redirect_uri=redirect_uri, state=state, code_challenge=challenge, nonce=nonce
        )
        query = parse_qs(urlsplit(self.complete_login(url, username)).query)
        if query.get("state") != [state] or "code" not in query:
            raise LoginError(f"the provider answered without a code: {sorted(query)}")
        response = httpx.post(
            self.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "code_verifier": verifier,
            },
            timeout=10.0,
            trust_env=False,
        )
        response.raise_for_status()
        tokens: dict[str, Any] = response.json()
        return tokens


def _visible_text(html: str) -> str:
    without_styles = re.sub(r"<style.*?</style>", " ", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", without_styles).split())
