"""The Redis peer: a real server that tests can stop and start again on the same URL."""

from __future__ import annotations

import pytest
import redis

from tests.peers.redis import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def test_redis_stops_and_restarts_empty_on_the_same_url(redis_server: RedisServer) -> None:
    url = redis_server.url
    client = redis.Redis.from_url(url, socket_timeout=2)
    client.set("pairing:1", "sealed")
    assert client.get("pairing:1") == b"sealed"

    redis_server.stop()
    assert not redis_server.running
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_timeout=2).ping()

    redis_server.start()
    assert redis_server.url == url
    fresh = redis.Redis.from_url(url, socket_timeout=2)
    assert fresh.ping() is True
    assert fresh.get("pairing:1") is None  # no persistence: a restart forgets everything
    assert not any(redis_server.directory.glob("*.rdb"))


def test_each_test_gets_a_running_empty_server(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=2)
    assert client.dbsize() == 0
    client.set("left-behind", "1")
    redis_server.stop()  # the fixture must start it again for the next test


def test_the_server_left_stopped_is_running_again(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=2)
    assert client.ping() is True
    assert client.dbsize() == 0
