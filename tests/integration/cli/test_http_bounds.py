"""Every request of the CLI has a total deadline and a capped answer, against real sockets:
a server (or a proxy from the environment) that drips its answer one byte at a time is
cut at the deadline, however it drips; an answer larger than the cap is refused before
it is read whole."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from awslogin.adapters.http import AnswerTooLarge, HttpFactory, total_timeout

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

Script = Callable[[socket.socket], None]


def drip(data: bytes, every: float) -> Script:
    def send(connection: socket.socket) -> None:
        for byte in data:
            connection.sendall(bytes([byte]))
            time.sleep(every)

    return send


def at_once(data: bytes) -> Script:
    return lambda connection: connection.sendall(data)


@pytest.fixture
def serve() -> Iterator[Callable[[Script], str]]:
    """A one-script HTTP server on 127.0.0.1: each connection reads the request head and
    runs the script. Returns its URL."""
    listeners: list[socket.socket] = []

    def start(script: Script) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def accept() -> None:
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=handle, args=(connection,), daemon=True).start()

        def handle(connection: socket.socket) -> None:
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                with contextlib.suppress(OSError):
                    script(connection)

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    for listener in listeners:
        listener.close()


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"


def head_then_drip(connection: socket.socket) -> None:
    connection.sendall(HEAD)
    drip(b"x" * 40, 0.3)(connection)


@pytest.mark.slow
@pytest.mark.parametrize(
    "script", [drip(HEAD + b"x" * 40, 0.3), head_then_drip], ids=["head", "body"]
)
def test_an_answer_dripped_one_byte_at_a_time_is_cut_at_the_deadline(
    serve: Callable[[Script], str], script: Script
) -> None:
    url = serve(script)
    with HttpFactory().client(2.0) as client:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            client.get(url)
        assert 1.9 < time.monotonic() - started < 2.5
        # A request may set its own total deadline.
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            client.get(url, extensions=total_timeout(1.0))
        assert 0.9 < time.monotonic() - started < 1.5


def test_a_proxy_from_the_environment_is_bounded_too(
    serve: Callable[[Script], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(drip(HEAD + b"x" * 40, 0.3))
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    with HttpFactory().client(1.5) as client:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            client.get("http://relay.invalid/.well-known/awslogin-relay")
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n" + b"[" * 70_000,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"4000\r\n" + b"[" * 0x4000 + b"\r\n" for _ in range(8)),
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"[" * 200_000,
    ],
    ids=["declared", "chunked", "until-close"],
)
def test_an_answer_over_the_cap_is_refused(serve: Callable[[Script], str], answer: bytes) -> None:
    url = serve(at_once(answer))
    with (
        HttpFactory().client(5.0, max_bytes=64 * 1024) as client,
        pytest.raises(AnswerTooLarge, match="larger than 64 KiB"),
    ):
        client.get(url)


def test_an_answer_within_the_cap_and_deadline_is_read_as_usual(
    serve: Callable[[Script], str],
) -> None:
    body = b'{"version": 1}'
    url = serve(at_once(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n" + body))
    with HttpFactory().client(5.0, max_bytes=64 * 1024) as client:
        response = client.get(url)
    assert (response.status_code, response.json()) == (200, {"version": 1})
