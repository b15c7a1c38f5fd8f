"""Runs the federation fake on a real loopback socket, as clients meet AWS: real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.federation.service import FederationState, Refused


@dataclass
class FederationFake:
    base_url: str
    state: FederationState

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/federation"

    def endpoint_env(self) -> dict[str, str]:
        """The environment that points awslogin's console at this fake."""
        return {"AWS_ENDPOINT_URL_FEDERATION": self.base_url}


def create_app(state: FederationState) -> Starlette:
    async def federation(request: Request) -> Response:
        fault = state.next_fault()
        if fault is not None:
            return PlainTextResponse("Service Unavailable", status_code=fault)
        query = request.query_params
        try:
            if query.get("Action") == "getSigninToken":
                token = state.signin_token(query.get("Session"), query.get("SessionDuration"))
                return JSONResponse({"SigninToken": token})
            if query.get("Action") == "login":
                destination = state.login(query.get("SigninToken"), query.get("Destination"))
                return RedirectResponse(destination, status_code=302)
        except Refused as refusal:
            return PlainTextResponse(str(refusal), status_code=400)
        return PlainTextResponse("Unknown Action", status_code=400)

    return Starlette(routes=[Route("/federation", federation, methods=["GET"])])


@contextmanager
def run_federation_fake(state: FederationState | None = None) -> Iterator[FederationFake]:
    """Serves a fresh federation fake on 127.0.0.1 (a free port) for the block."""
    state = state or FederationState()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        create_app(state),
        log_level="warning",
        access_log=False,  # URLs carry credentials and tokens
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="federation-fake", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the federation fake did not start")
        time.sleep(0.01)
    try:
        yield FederationFake(base_url=base_url, state=state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
