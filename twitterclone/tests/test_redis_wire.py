"""The wire to Redis (twitterclone.redis_wire) and the cache's wire (twitterclone.cache.cache_wire):
replies in order, connections that never get out of step, failures that fail fast."""

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from twitterclone.cache import breaker_is_open, cache_wire, reset_breaker
from twitterclone.redis_wire import Wire, pack


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


def test_commands_are_packed_as_redis_does():
    command = ("SET", "k", "é", 3, 1.5, b"\x00")
    assert pack([command, ("GET", "k")]) == b"".join(redis.Connection().pack_command(*command)) + b"".join(
        redis.Connection().pack_command("GET", "k")
    )


@pytest.mark.redis
def test_replies_come_back_in_order_in_one_call(settings):
    wire = Wire(settings.REDIS_URL)
    key = "test-wire:order"
    wire.execute(("DEL", key))
    replies = wire.execute(("RPUSH", key, "a", "b"), ("LRANGE", key, 0, -1), ("GET", "test-wire:none"))
    assert replies == [2, [b"a", b"b"], None]
    assert wire.execute(("LRANGE", key, 0, -1), ("DEL", key)) == [[b"a", b"b"], 1]
    assert Wire(settings.REDIS_URL, decode_responses=True).execute(("ECHO", "é")) == ["é"]


@pytest.mark.redis
def test_an_error_reply_is_raised_after_every_reply_is_read(settings):
    wire = Wire(settings.REDIS_URL)
    key = "test-wire:error"
    wire.execute(("SET", key, "text"))
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        wire.execute(("LPUSH", key, "x"), ("ECHO", "after"))
    # The connection is still in step: the next call gets its own replies, not the echo above.
    assert wire.execute(("GET", key), ("DEL", key)) == [b"text", 1]


@pytest.mark.redis
@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit, RedisTimeoutError])
def test_a_call_interrupted_between_its_replies_never_leaves_its_connection_half_read(settings, interruption):
    wire = Wire(settings.REDIS_URL)
    (client_id,) = wire.execute(("CLIENT", "ID"))
    connection = wire._idle[-1]
    read = connection.read_response
    calls = []

    def read_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first reply read, the second still on the socket
            raise interruption()
        return read(*args, **kwargs)

    connection.read_response = read_then_interrupt
    with pytest.raises(interruption):
        wire.execute(("ECHO", "first"), ("ECHO", "second"))
    # The next call has its own replies on a new connection, not the unread "second".
    assert wire.execute(("ECHO", "next")) == [b"next"]
    assert wire.execute(("CLIENT", "ID")) != [client_id]


@pytest.mark.redis
def test_an_idle_connection_closed_by_redis_is_replaced(settings):
    wire = Wire(settings.REDIS_URL)
    (client_id,) = wire.execute(("CLIENT", "ID"))
    redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_id=client_id)
    # Sent again on a new connection instead of failing (a Redis restart must not open breakers).
    (new_id,) = wire.execute(("CLIENT", "ID"))
    assert new_id != client_id


@pytest.mark.redis
def test_threads_never_share_a_connection(settings):
    wire = Wire(settings.REDIS_URL)

    def round_trip(index: int) -> list:
        return wire.execute(("ECHO", f"m{index}"), ("ECHO", f"n{index}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(round_trip, range(200)))
    assert results == [[f"m{index}".encode(), f"n{index}".encode()] for index in range(200)]
    assert len(wire._idle) <= 8


@pytest.mark.redis
def test_a_forked_child_opens_its_own_connection(settings):
    wire = Wire(settings.REDIS_URL)
    (parent_id,) = wire.execute(("CLIENT", "ID"))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the id of the connection it used, then leave at once
        try:
            os.write(write_end, str(wire.execute(("CLIENT", "ID"))[0]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    child_id = int(os.read(read_end, 64))
    os.waitpid(pid, 0)
    os.close(read_end)
    assert child_id != parent_id
    assert wire.execute(("CLIENT", "ID")) == [parent_id]  # the parent's connection is intact


def test_unreachable_and_hung_redis_raise(hung_redis):
    with pytest.raises(RedisConnectionError):
        Wire("redis://127.0.0.1:1/0", socket_connect_timeout=0.2).execute(("GET", "k"))
    started = time.monotonic()
    with pytest.raises(RedisTimeoutError):
        Wire(hung_redis, socket_timeout=0.3, socket_connect_timeout=0.3).execute(("GET", "k"))
    assert time.monotonic() - started < 1


# --- The cache's wire ------------------------------------------------------------------------------


@pytest.mark.redis
def test_the_cache_wire_reads_what_the_cache_writes():
    wire = cache_wire()
    assert wire is not None
    cache.set("test-wire:int", 7)
    cache.set("test-wire:object", {"a": [1]})
    raw_int, raw_object, missing = wire.execute(
        ("MGET", wire.key("test-wire:int"), wire.key("test-wire:object"), wire.key("test-wire:none"))
    )[0]
    assert raw_int == b"7"  # integers are stored as digits: other processes read them too
    assert (wire.load(raw_int), wire.load(raw_object), wire.load(missing)) == (7, {"a": [1]}, None)
    assert wire.key("k") == cache.make_key("k")


def test_no_cache_wire_unless_the_cache_is_the_fail_fast_redis(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert cache_wire() is None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert cache_wire() is None
    settings.CACHES = {
        "default": {"BACKEND": "twitterclone.cache.FailFastRedisCache", "LOCATION": "redis://x", "KEY_PREFIX": "p"}
    }
    assert cache_wire().key("k") == "p:1:k"


def test_the_cache_wire_opens_the_breaker_and_then_fails_at_once(hung_redis, settings):
    settings.CACHE_FAILFAST_SECONDS = 30
    settings.CACHES = {
        "default": {
            "BACKEND": "twitterclone.cache.FailFastRedisCache",
            "LOCATION": hung_redis,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    wire = cache_wire()
    with pytest.raises(RedisTimeoutError):
        wire.execute(("GET", wire.key("k")))
    assert breaker_is_open()
    started = time.monotonic()
    with pytest.raises(RedisConnectionError, match="circuit open"):
        wire.execute(("GET", wire.key("k")))
    assert time.monotonic() - started < 0.05
