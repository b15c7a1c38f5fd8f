"""The one place that makes httpx clients: total deadlines, capped answers, --debug logging,
and what counts as a transient fault.

Every request has a total deadline, not a per-read one (docs/security.md, invariant 12,
"Networks fail"): httpx's timeouts restart at each read, so a peer that drips one byte every few
seconds could hold a request for ever. Here each socket operation of a request
(connect, TLS, every write and read, of the head and of the body) gets at most the time
left until the request's deadline, and none starts after it. The deadline is the
client's `timeout`, or the `total_timeout(seconds)` a request passes in `extensions`.
(Name resolution is the one step it cannot bound: the resolver has no timeout.)

Answers are read whole, up to the client's `max_bytes`, and refused beyond it
(`AnswerTooLarge`); compression is not asked for, so the cap holds for the decoded body.

--debug shows method, scheme://host/path and status only: query strings carry codes and
states, and bodies carry tokens, so neither is ever logged.

Imported by the modules that talk to the network only: `credential-process`'s cache hit,
`serve` and `exec` never load it (nor httpx).
"""

from __future__ import annotations

import contextvars
import email.utils
import json
import math
import ssl
import sys
import time
from typing import Any

import httpcore
import httpx

from awslogin import __version__
from awslogin.errors import ProviderError, Unavailable, failure_in_words

USER_AGENT = f"awslogin/{__version__}"
DEFAULT_TIMEOUT = 15.0
# Larger than any answer an identity provider, STS or IAM Identity Center sends (a page
# of accounts, a JWKS), small enough that a hostile one cannot fill the memory.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# Statuses that say "not now" rather than "no": a proxy or load balancer without a
# healthy upstream (502, 503, 504), or a rate limit (429).
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# The longest Retry-After honoured; a waiting loop also never sleeps past its deadline.
MAX_RETRY_AFTER = 60.0
_TOTAL_TIMEOUT = "awslogin.total_timeout"
# The deadline (on time.monotonic()'s clock) of the request being sent in this context.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "awslogin_http_deadline", default=None
)


class AnswerTooLarge(httpx.DecodingError):
    """The answer is longer than the client accepts (its `max_bytes`)."""


def redacted_url(url: httpx.URL) -> str:
    """The URL without query, fragment or user info."""
    return f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{url.path}"


def total_timeout(seconds: float) -> dict[str, Any]:
    """Request `extensions` that give one request its own total deadline."""
    return {_TOTAL_TIMEOUT: max(0.0, seconds)}


def is_transient(failure: httpx.HTTPError) -> bool:
    """Whether sending the request again may succeed: no connection, a reset or a cut
    answer, the deadline reached. Not a bad URL, a refused certificate, a too large answer."""
    return isinstance(
        failure,
        httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError,
    )


def unreachable(
    failure: httpx.HTTPError, service: str, *, party: str, advice: str = ""
) -> ProviderError:
    """The error for a request to `service` ("the relay at host") that got no whole
    answer, in words: `Unavailable` when sending it again may succeed, so that a wait
    with a deadline of its own tries again; what to check may follow (`advice`)."""
    message = f"cannot reach {service}: {failure_in_words(failure)}{advice}"
    if is_transient(failure):
        return Unavailable(message, party=party)
    return ProviderError(message)


def come_back_later(response: httpx.Response, service: str, *, party: str) -> Unavailable | None:
    """`Unavailable` when `service` answered that it cannot serve now (429, 502, 503,
    504), with its Retry-After; None for any other answer."""
    if response.status_code not in TRANSIENT_STATUSES:
        return None
    return Unavailable(
        f"{service} is unavailable (HTTP {response.status_code}); try again later",
        party=party,
        status=response.status_code,
        retry_after=retry_after(response),
    )


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """The answer's Retry-After in seconds (a delay or an HTTP date), clamped to 0..60;
    None when it has none that can be read."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _not_a_number(constant: str) -> Any:
    raise ValueError(f"the answer's JSON holds {constant}, which is no number")


def json_answer(response: httpx.Response) -> Any:
    """The answer's JSON; ValueError when it is not JSON, holds NaN or Infinity (which no
    time or count may be), or is nested too deep to parse (a hostile peer's megabyte of
    `[`)."""
    try:
        return json.loads(response.content, parse_constant=_not_a_number)
    except RecursionError:
        raise ValueError("the answer's JSON is nested too deep") from None


def _time_left(timeout: float | None, late: type[Exception]) -> float | None:
    """`timeout` cut to the time left before this context's deadline; `late` once past it."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own backend, each operation bounded by the request's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    too_large = f"the answer is larger than {max_bytes // 1024} KiB"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise AnswerTooLarge(too_large)
    chunks: list[bytes] = []
    size = 0
    assert isinstance(response.stream, httpx.SyncByteStream)
    for chunk in response.stream:
        size += len(chunk)
        if size > max_bytes:
            raise AnswerTooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


class _BoundedTransport(httpx.BaseTransport):
    """An httpx transport whose requests keep their total deadline, answers read whole."""

    def __init__(self, inner: httpx.BaseTransport, total: float, max_bytes: int) -> None:
        pool = getattr(inner, "_pool", None)
        if not isinstance(pool, httpcore.ConnectionPool):
            # httpx builds its transports on httpcore pools; should that change, a total
            # deadline could not be kept, and losing it silently is not an option.
            raise TypeError("this httpx version has no httpcore pool to bound (see pyproject)")
        pool._network_backend = _DeadlineBackend(pool._network_backend)
        self._inner = inner
        self._total = total
        self._max_bytes = max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        seconds = float(request.extensions.get(_TOTAL_TIMEOUT, self._total))
        token = _deadline.set(time.monotonic() + seconds)
        try:
            response = self._inner.handle_request(request)
            try:
                body = _read_capped(response, self._max_bytes)
            finally:
                response.close()
        finally:
            _deadline.reset(token)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class _BoundedClient(httpx.Client):
    """httpx.Client whose transports, the proxies' from the environment included, are
    bounded. Built through httpx's own transport factories, so proxies, certificates and
    limits stay exactly as httpx sets them up."""

    def __init__(self, *, total: float, max_bytes: int, **options: Any) -> None:
        self._bounds = (total, max_bytes)
        super().__init__(**options)

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return _BoundedTransport(super()._init_transport(*args, **kwargs), *self._bounds)

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return _BoundedTransport(super()._init_proxy_transport(*args, **kwargs), *self._bounds)


class HttpFactory:
    """Makes clients; `debug` turns on secret-free request logging to stderr."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug

    def client(
        self, timeout: float = DEFAULT_TIMEOUT, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> httpx.Client:
        """A client whose every request ends within `timeout` seconds (unless it asks for
        its own `total_timeout`) and whose answers are at most `max_bytes` long."""
        hooks: dict[str, list[object]] = {"request": [], "response": []}
        if self.debug:

            def log_response(response: httpx.Response) -> None:
                request = response.request
                print(
                    f"debug: {request.method} {redacted_url(request.url)}"
                    f" -> {response.status_code}",
                    file=sys.stderr,
                )

            hooks["response"].append(log_response)
        return _BoundedClient(
            total=timeout,
            max_bytes=max_bytes,
            # No per-read limit: the deadline bounds every operation (a dead peer's
            # connect is given up after 10 s all the same).
            timeout=httpx.Timeout(None, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            follow_redirects=False,
            event_hooks=hooks,
        )
