"""The Redis cache backend with a circuit breaker.

A Redis that hangs (paused, partitioned) makes every cache call wait for its socket timeout. A request
touches the cache several times (the token-version check, the hydration cache, ...), and each caller
already falls back to PostgreSQL when the cache raises; what it must not do is wait for the timeout
again and again. After a connection or timeout error this backend raises at once for
``CACHE_FAILFAST_SECONDS``, then lets one call through to see whether Redis is back.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

_lock = threading.Lock()
_open_until = 0.0  # monotonic time until which the breaker is open (per process)


def breaker_is_open() -> bool:
    return time.monotonic() < _open_until


def _trip() -> None:
    global _open_until
    with _lock:
        _open_until = time.monotonic() + settings.CACHE_FAILFAST_SECONDS


def reset_breaker() -> None:
    global _open_until
    with _lock:
        _open_until = 0.0


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        if breaker_is_open():
            raise RedisConnectionError("cache unavailable (circuit open after a recent failure)")
        try:
            return method(self, *args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            _trip()
            raise

    return call


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` object on every cache call, and building one
    copies its table of about 170 response callbacks (a third of a cache read's CPU). A client is
    thread-safe (each command borrows a connection from the pool), so one per pool is kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with _lock:
                client = self._clients.get(index)
                if client is None:
                    client = self._clients[index] = self._client(connection_pool=self._pool_at(index))
        return client

    def _pool_at(self, index: int) -> Any:
        if index not in self._pools:
            self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return self._pools[index]


class FailFastRedisCache(RedisCache):
    """Django's RedisCache with one client per pool; every call raises at once while a recent
    failure keeps the breaker open."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FailFastRedisCache, _name, _guarded(getattr(RedisCache, _name)))
