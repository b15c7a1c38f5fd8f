"""Hostile and broken clients of `awslogin serve`: each is refused in one answer (or a
closed connection), audited, never with a traceback, and serve goes on serving."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.serve_clients import ServeProcess

pytestmark = pytest.mark.integration


def raw_exchange(url: str, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send bytes as they are; everything the server answers until it closes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def request_head(url: str, *headers: str, method: str = "GET", path: str | None = None) -> bytes:
    parts = urlsplit(url)
    lines = [f"{method} {path or parts.path} HTTP/1.1", f"Host: {parts.netloc}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_without_the_token_nothing_but_401(oidc_env: dict[str, str], tmp_path: Path) -> None:
    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log") as serve:
        tokens: list[dict[str, str]] = [
            {},
            {"Authorization": "wrong"},
            {"Authorization": serve.token[:-1]},
            {"Authorization": f"Bearer {serve.token}"},  # the SDKs send the value as it is
            {"Authorization": serve.token + "x"},
        ]
        for headers in tokens:
            for path in ("/credentials/dev", "/", "/credentials/other", "/../../etc/passwd"):
                target = serve.url.replace("/credentials/dev", path)
                answer = httpx.get(target, headers=headers, timeout=5)
                assert answer.status_code == 401
                assert answer.json() == {
                    "code": "Unauthorized",
                    "message": "missing or wrong authorization token",
                }
                assert answer.headers["connection"] == "close"
                assert set(answer.headers) == {
                    "content-type",
                    "content-length",
                    "cache-control",
                    "connection",
                }
        # Two Authorization headers, one of them right: refused too.
        both = raw_exchange(
            serve.url, request_head(serve.url, f"Authorization: {serve.token}", "Authorization: x")
        )
        assert both.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
        # One answer per connection without the token: the second guess is never read.
        guesses = request_head(serve.url, "Authorization: a") + request_head(
            serve.url, "Authorization: b"
        )
        assert raw_exchange(serve.url, guesses).count(b"HTTP/1.1 401 ") == 1
        assert httpx.get(serve.url, headers={"Authorization": serve.token}).status_code == 200
        assert serve.stop() == 0
    # The first refusal at once, the other 21 of the minute in one line when serve stopped.
    lines = [(line["outcome"], line["status"], line.get("count")) for line in serve.audit()]
    assert lines == [("unauthorized", 401, None), ("served", 200, None), ("unauthorized", 401, 21)]
    assert "Traceback" not in serve.stderr()


def test_garbage_is_refused_and_serve_keeps_serving(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log") as serve:
        token = f"Authorization: {serve.token}"
        good = {"Authorization": serve.token}

        assert raw_exchange(serve.url, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").startswith(
            b"HTTP/1.1 400 Bad Request\r\n"
        )
        assert raw_exchange(serve.url, b"GET\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        huge = request_head(serve.url, token, "X-Padding: " + "a" * 40_000)
        assert raw_exchange(serve.url, huge).startswith(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        )
        many = request_head(serve.url, token, *(f"X-{n}: {'b' * 100}" for n in range(300)))
        assert raw_exchange(serve.url, many).startswith(b"HTTP/1.1 431 ")
        for path in ("/", "/credentials", "/credentials/dev/x", "/credentials/prod", "/%00"):
            answer = httpx.get(serve.url.replace("/credentials/dev", path), headers=good)
            assert answer.status_code == 404
            assert b"AccessKeyId" not in answer.content
        posted = httpx.post(serve.url, headers=good, content=b"x" * 100_000)
        assert posted.status_code == 405
        assert posted.headers["allow"] == "GET"

        # Slowloris: heads that never end are cut off, and others are served meanwhile.
        slow = []
        for _ in range(50):
            parts = urlsplit(serve.url)
            sock = socket.create_connection((parts.hostname, parts.port))
            sock.sendall(b"GET /credentials/dev HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        started = time.monotonic()
        answer = httpx.get(serve.url, headers=good, timeout=5)
        assert answer.status_code == 200
        assert time.monotonic() - started < 2.0
        for sock in slow:
            sock.settimeout(10)
            assert sock.recv(100).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            sock.close()
        assert time.monotonic() - started < 8.0

        # A client that connects and says nothing is closed too, silently.
        parts = urlsplit(serve.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as idle:
            assert idle.recv(100) == b""

        assert httpx.get(serve.url, headers=good).json()["AccessKeyId"]
        assert serve.stop() == 0
    outcomes = serve.outcome_counts()
    assert outcomes["bad_request"] == 4 + 50
    assert outcomes["not_found"] == 5
    assert outcomes["method_not_allowed"] == 1
    assert outcomes["served"] == 2
    assert "Traceback" not in serve.stderr()
    assert all(line.startswith(("{", "awslogin: ")) for line in serve.stderr().splitlines())
    assert json.dumps(serve.audit()).count(serve.token) == 0


def test_bad_addresses_ports_and_profiles_are_one_line(
    oidc_env: dict[str, str], cli_env: dict[str, str], tmp_path: Path, free_port: int
) -> None:
    import subprocess

    from tests.support.host import awslogin_script

    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [awslogin_script(), "serve", *args],
            env=oidc_env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    for address in ("0.0.0.0", "192.168.1.10", "::", "169.254.169.254"):
        done = serve("--profile", "dev", "--address", address)
        assert done.returncode == 2
        assert done.stderr.startswith(f"awslogin: --address {address}: the AWS SDKs fetch")
        assert len(done.stderr.strip().splitlines()) == 1
    name = serve("--profile", "dev", "--address", "example.com")
    assert name.stderr.strip() == "awslogin: --address 'example.com' is not an IP address"

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port))
        taken.listen()
        busy = serve("--profile", "dev", "--port", str(free_port))
    assert busy.returncode == 1
    assert busy.stderr.strip() == (
        f"awslogin: cannot listen on http://127.0.0.1:{free_port}: Address already in use"
    )
    missing = serve("--profile", "dev", "--address", "169.254.170.2", "--port", str(free_port))
    assert missing.returncode == 1
    assert "(add the address to an interface, e.g. `ip addr add 169.254.170.2 dev lo`)" in (
        missing.stderr
    )
    Path(oidc_env["AWSLOGIN_CACHE_DIR"], "oidc--dev.json").unlink()
    out = serve("--profile", "dev")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "awslogin: not signed in with profile dev: run `awslogin login --profile dev`"
    )
    assert out.stdout == ""
