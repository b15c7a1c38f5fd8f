"""A TCP port forwarder: the "router" between a namespace link and the peers on loopback.

The namespace e2e test keeps every peer on 127.0.0.1 (where the browser reaches them)
and forwards the same port on the root side of the namespace's link to it, so the host
in the namespace reaches the relay, the IdP and STS by outbound connections only.
Connections are one-way in this sense: nothing here connects *into* the namespace.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Self

_CHUNK = 65536


class PortForwarder:
    """Listen on (listen_host, port) and relay each connection to (target_host, port)."""

    def __init__(self, listen_host: str, port: int, target_host: str = "127.0.0.1") -> None:
        self.listen_host = listen_host
        self.port = port
        self.target_host = target_host
        self._server: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> Self:
        self._server = socket.create_server((self.listen_host, self.port))
        accept = threading.Thread(target=self._accept, name=f"forward-{self.port}", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            pump = threading.Thread(target=self._pump, args=(client,), daemon=True)
            pump.start()
            with self._lock:
                self._threads.append(pump)

    def _pump(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.target_host, self.port), timeout=5.0)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        peer_of = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peer_of:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while not self._stopping.is_set():
                    for key, _ in selector.select(timeout=0.5):
                        source: socket.socket = key.fileobj  # type: ignore[assignment]
                        data = source.recv(_CHUNK)
                        if not data:
                            return
                        peer_of[source].sendall(data)
            except OSError:
                return
            finally:
                with self._lock:
                    self._open.difference_update((client, upstream))
                client.close()
                upstream.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        with self._lock:
            sockets, threads = list(self._open), list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=2.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
