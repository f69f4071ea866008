"""The cache's circuit breaker: a hung Redis costs one socket timeout, not one per cache call."""

import socket
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from twitterclone.cache import FailFastRedisCache, breaker_is_open, reset_breaker


@pytest.fixture
def hung_redis():
    """A port that accepts connections (the kernel's backlog) and never answers: a hung Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.fixture(autouse=True)
def _fresh_breaker():
    reset_breaker()
    yield
    reset_breaker()


def test_after_one_timeout_cache_calls_fail_at_once(hung_redis, settings):
    settings.CACHE_FAILFAST_SECONDS = 30
    cache = FailFastRedisCache(hung_redis, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}})
    started = time.monotonic()
    with pytest.raises((RedisConnectionError, RedisTimeoutError)):
        cache.get("a")
    assert time.monotonic() - started >= 0.4
    assert breaker_is_open()
    started = time.monotonic()
    for call in (lambda: cache.get("a"), lambda: cache.get_many(["a", "b"]), lambda: cache.set("a", 1)):
        with pytest.raises(RedisConnectionError):
            call()
    assert time.monotonic() - started < 0.1


def test_breaker_lets_a_call_through_after_the_fail_fast_period(hung_redis, settings):
    settings.CACHE_FAILFAST_SECONDS = 0.2
    cache = FailFastRedisCache(hung_redis, {"OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}})
    with pytest.raises((RedisConnectionError, RedisTimeoutError)):
        cache.get("a")
    time.sleep(0.3)
    assert not breaker_is_open()
    started = time.monotonic()
    with pytest.raises((RedisConnectionError, RedisTimeoutError)):
        cache.get("a")  # tried again for real: Redis is still hung
    assert time.monotonic() - started >= 0.25


@pytest.mark.redis
def test_the_cache_keeps_one_client_and_serves_many_threads(settings):
    """One redis.Redis per pool (Django builds one per call), shared safely by threads."""
    from concurrent.futures import ThreadPoolExecutor

    cache = FailFastRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-client-reuse"})
    assert cache._cache.get_client() is cache._cache.get_client(write=True)

    def round_trip(index: int) -> tuple[int, dict]:
        cache.set(f"k{index}", index, 30)
        return cache.get(f"k{index}"), cache.get_many([f"k{index}", "missing"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(round_trip, range(64)))
    assert results == [(index, {f"k{index}": index}) for index in range(64)]
    cache.delete_many([f"k{index}" for index in range(64)])
