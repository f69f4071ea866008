"""The Redis cache backend with a circuit breaker.

A Redis that hangs (paused, partitioned) makes every cache call wait for its socket timeout. A request
touches the cache several times (the token-version check, the hydration cache, ...), and each caller
already falls back to PostgreSQL when the cache raises; what it must not do is wait for the timeout
again and again. After a connection or timeout error this backend raises at once for
``CACHE_FAILFAST_SECONDS``, then lets one call through to see whether Redis is back.

``cache_wire()`` is the same Redis for the reads of every request (the token check, and the
rate limits with it): raw commands on ``twitterclone.redis_wire`` behind the same breaker, with
the keys the cache itself builds, at a fifth of a ``cache.get_many``'s CPU (Django's proxy
resolves ``caches["default"]`` through asgiref's Local on each use, then key building and
validation, then redis-py's client).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .redis_wire import Command, wire_for

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


# --- The wire to the cache's Redis -------------------------------------------------------------

_BACKEND = f"{FailFastRedisCache.__module__}.{FailFastRedisCache.__qualname__}"
_NOT_CONNECTION_OPTIONS = ("serializer", "pool_class", "parser_class")


class CacheWire:
    """The default cache's Redis for raw commands: ``key(name)`` is the key the cache stores
    ``name`` under (``KEY_PREFIX``, ``VERSION``), ``load(raw)`` reads a stored value as the cache
    does (integers are stored as digits, anything else pickled), and ``execute`` sends commands
    in one round trip behind the breaker: it raises at once while the breaker is open, and a
    connection error or timeout opens it, as for any cache call."""

    def __init__(self, location: str, key_prefix: str, version: int, options: dict[str, Any]) -> None:
        self.location = location
        self.prefix = f"{key_prefix}:{version}:"
        self._wire = wire_for(location, **options)
        self._serializer = RedisSerializer()

    def key(self, name: str) -> str:
        return self.prefix + name

    def load(self, raw: bytes | None) -> Any:
        return None if raw is None else self._serializer.loads(raw)

    def execute(self, *commands: Command) -> list[Any]:
        if breaker_is_open():
            raise RedisConnectionError("cache unavailable (circuit open after a recent failure)")
        try:
            return self._wire.execute(*commands)
        except (RedisConnectionError, RedisTimeoutError):
            _trip()
            raise


_cache_wire: CacheWire | None = None
_cache_wire_known = False


def cache_wire() -> CacheWire | None:
    """The ``CacheWire`` of the default cache, or None when that cache is not a single
    ``FailFastRedisCache`` with the default key function and serializer (then use ``cache``).
    Built once per process (and again when the CACHES setting changes)."""
    global _cache_wire, _cache_wire_known
    if not _cache_wire_known:
        config = settings.CACHES["default"]
        options = config.get("OPTIONS", {})
        location = config.get("LOCATION")
        plain = (
            config.get("BACKEND") == _BACKEND
            and isinstance(location, str)
            and "," not in location
            and config.get("KEY_FUNCTION") is None
            and not any(name in options for name in _NOT_CONNECTION_OPTIONS)
        )
        _cache_wire = (
            CacheWire(location, config.get("KEY_PREFIX", ""), config.get("VERSION", 1), options) if plain else None
        )
        _cache_wire_known = True
    return _cache_wire


@receiver(setting_changed)
def _forget_cache_wire(*, setting: str, **kwargs: Any) -> None:
    global _cache_wire, _cache_wire_known
    if setting == "CACHES":
        _cache_wire, _cache_wire_known = None, False
