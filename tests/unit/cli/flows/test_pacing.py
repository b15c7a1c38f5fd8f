"""The pace of remote waits: backoff after a transient fault, Retry-After, and the numbers
a server gives (interval, expires_in) made sane or refused."""

from __future__ import annotations

import math

import httpx
import pytest

from awslogin.adapters.http import is_transient, retry_after
from awslogin.errors import ProviderError
from awslogin.flows.pacing import Backoff, sane_seconds

pytestmark = pytest.mark.unit


def test_backoff_grows_to_its_bound_with_jitter_and_starts_again_after_a_success() -> None:
    low = Backoff(uniform=lambda: 0.0)
    high = Backoff(uniform=lambda: 1.0)
    assert [low.next() for _ in range(7)] == [0.25, 0.5, 1, 2, 4, 4, 4]
    assert [high.next() for _ in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    for _ in range(10_000):  # no overflow, however long the outage
        high.next()
    assert high.next() == 8
    high.reset()
    assert high.next() == 0.5


def test_backoff_waits_at_least_what_the_server_asked() -> None:
    backoff = Backoff(uniform=lambda: 1.0)
    assert backoff.next(retry_after=20.0) == 20.0
    assert backoff.next(retry_after=0.0) == 1.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("-5", 0.0),
        ("1e9", 60.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date_and_clamped(
    header: str, seconds: float | None
) -> None:
    response = httpx.Response(503, headers={"Retry-After": header})
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert retry_after(response, now=now) == seconds
    assert retry_after(httpx.Response(503), now=now) is None


@pytest.mark.parametrize(
    ("failure", "transient"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow"), True),
        (httpx.ReadTimeout("drip"), True),
        (httpx.ReadError("reset"), True),
        (httpx.WriteError("broken pipe"), True),
        (httpx.RemoteProtocolError("cut"), True),
        (httpx.ProxyError("proxy down"), True),
        (httpx.UnsupportedProtocol("ftp"), False),
        (httpx.LocalProtocolError("bad header"), False),
        (httpx.DecodingError("too large"), False),
    ],
)
def test_what_counts_as_a_transient_fault(failure: httpx.HTTPError, transient: bool) -> None:
    assert is_transient(failure) is transient


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1e9, 30.0), (-1.0, 0.0), (2.5, 2.5), (0, 0.0)],
)
def test_server_numbers_are_clamped(value: float, expected: float) -> None:
    assert sane_seconds(value, 0, 30, what="poll interval", party="the relay") == expected


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_server_numbers_that_are_not_finite_are_refused(value: float) -> None:
    with pytest.raises(ProviderError) as failure:
        sane_seconds(value, 0, 30, what="poll interval", party="the relay at r.test")
    assert failure.value.message == (
        "the relay at r.test sent an unusable poll interval (not a finite number of seconds)"
    )
