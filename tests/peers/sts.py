"""STS for tests: moto's server behind a proxy that checks web identity tokens.

moto accepts any string as a WebIdentityToken. The proxy in front of it verifies that
the token of every AssumeRoleWithWebIdentity call is a JWT signed by a key from the
IdP's JWKS with the expected `iss` and `aud` (and a valid `exp`); only then does it
forward the call to moto and record the verified claims in `received`. A test can so
prove that STS was given the provider's signed ID token for the person who signed in.
A refused token gets the error STS itself gives: 400 `InvalidIdentityToken`.

Every call that reaches the proxy is recorded in `calls`: its Action and the region its
SigV4 signature is scoped to, the region the client itself chose.

`credential_seconds`, when set, replaces the DurationSeconds of every accepted call
(awslogin never asks for less than STS's minimum of 900 s): a test can so make
credentials that expire within seconds, as if much time had passed.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode
from xml.sax.saxutils import escape

import httpx
import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.peers._process import LOOPBACK, PeerError, PeerProcess, free_port, http_ready

# Headers that describe one hop of HTTP, not the message: never forwarded.
_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}
)

# The region of a SigV4 Authorization header: Credential=KEY/DATE/REGION/SERVICE/aws4_request.
_SIGNING_REGION = re.compile(r"Credential=[^/,]+/\d{8}/([^/,]+)/")


@dataclass(frozen=True)
class StsCall:
    """One call that reached STS: its Action, and the region its signature is scoped to."""

    action: str | None
    region: str | None


def available() -> bool:
    """moto's server extra (flask) is importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("moto", "flask"))


class StsPeer:
    """moto STS on one loopback port, the validating proxy on another."""

    def __init__(self, *, issuer: str, audience: str, jwks_uri: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_uri = jwks_uri
        self.received: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.calls: list[StsCall] = []
        self.credential_seconds: int | None = None
        self._moto_port = free_port()
        self.moto_url = f"http://{LOOPBACK}:{self._moto_port}"
        self._moto = PeerProcess(
            "moto-sts",
            [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self._moto_port)],
            ready=http_ready(f"{self.moto_url}/moto-api/"),
        )
        self._proxy_port = free_port()
        self.endpoint_url = f"http://{LOOPBACK}:{self._proxy_port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def log_path(self) -> Path:
        return self._moto.log_path

    def start(self) -> None:
        if not available():
            raise PeerError("moto[server] is not installed: run `bash scripts/setup`")
        self._moto.start()
        config = uvicorn.Config(
            self._app(), host=LOOPBACK, port=self._proxy_port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="sts-proxy", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10.0
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise PeerError(f"the STS proxy did not start on port {self._proxy_port}")
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop_proxy()
        self._moto.stop()

    def _stop_proxy(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5.0)
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Forget recorded claims and moto's state (roles, issued credentials)."""
        self.received.clear()
        self.refused.clear()
        self.calls.clear()
        self.credential_seconds = None
        httpx.post(
            f"{self.moto_url}/moto-api/reset", timeout=5.0, trust_env=False
        ).raise_for_status()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop_proxy()
        self._moto.__exit__(exc_type, exc, traceback)

    def _app(self) -> Starlette:
        async def proxy(request: Request) -> Response:
            body = await request.body()
            action = _param(request, body, "Action")
            self.calls.append(StsCall(action, _signing_region(request)))
            if action == "AssumeRoleWithWebIdentity":
                refusal = await self._verify(_param(request, body, "WebIdentityToken"))
                if refusal is not None:
                    self.refused.append(refusal)
                    return _sts_error("InvalidIdentityToken", refusal)
                if self.credential_seconds is not None and request.method == "POST":
                    form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
                    form["DurationSeconds"] = [str(self.credential_seconds)]
                    body = urlencode(form, doseq=True).encode("utf-8")
            return await self._forward(request, body)

        methods = ["GET", "POST"]
        return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)])

    async def _verify(self, token: str | None) -> str | None:
        """None when the token is valid (and its claims are recorded), else the reason."""
        if not token:
            return "WebIdentityToken is missing"
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                response = await client.get(self.jwks_uri)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json())
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in keys.keys if k.key_id == kid), None)
            if key is None:
                return "the token's signing key is not in the provider's JWKS"
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except (jwt.PyJWTError, httpx.HTTPError, ValueError) as exc:
            return f"the token is not valid: {type(exc).__name__}: {exc}"
        self.received.append(claims)
        return None

    async def _forward(self, request: Request, body: bytes) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        url = f"{self.moto_url}{request.url.path}"
        if request.url.query:
            url = f"{url}?{request.url.query}"
        async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
            upstream = await client.request(request.method, url, headers=headers, content=body)
        answer_headers = {
            k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS
        }
        return Response(upstream.content, upstream.status_code, headers=answer_headers)


def _param(request: Request, body: bytes, name: str) -> str | None:
    """A query-protocol parameter, from the URL (GET) or the form body (POST)."""
    in_query = request.query_params.get(name)
    if in_query is not None:
        return in_query
    values = parse_qs(body.decode("utf-8", errors="replace")).get(name)
    return values[0] if values else None


def _signing_region(request: Request) -> str | None:
    """The region of the call's SigV4 signature; None for an unsigned call."""
    found = _SIGNING_REGION.search(request.headers.get("authorization", ""))
    return found.group(1) if found else None


def _sts_error(code: str, message: str) -> Response:
    xml = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Response(xml, 400, media_type="text/xml")
