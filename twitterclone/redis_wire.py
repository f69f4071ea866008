"""Redis commands at the cost of their round trip, for the reads every request makes.

redis-py's client runs each command through its connection pool (a lock, pid checks, events),
a retry object, observability hooks and response callbacks: an MGET of two keys costs ~40 µs of
CPU there, of which the round trip itself (pack, send, read, parse in hiredis) through the same
redis-py ``Connection`` is ~16 µs. A ``Wire`` keeps redis-py's connections,
and so everything the URL says (host, port or socket, db, AUTH, TLS, timeouts, the hiredis
parser), and drops the rest:

- idle connections wait in a list (``pop`` and ``append`` are atomic under the GIL, so threads
  never share one, and there are never more than the threads that used it at once);
- the commands of a call are packed into one write and their replies read in order (one round
  trip, like a pipeline without ``MULTI``);
- no retries and no health checks: a caller that gets an error has its own fallback (PostgreSQL,
  failing open) and its own breaker. The only exception is a connection that sat idle and is
  found closed (Redis restarted, or dropped an idle client): the call is sent once more on a new
  connection, as redis-py's client would, instead of tripping a breaker for nothing.

A connection that fails is closed and forgotten, never reused half-read. After a fork the
child forgets the parent's connections (it must not share their sockets).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import hiredis
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

Command = Sequence[str | bytes | int | float]


def pack(commands: Sequence[Command]) -> bytes:
    """``commands`` in the Redis protocol, in one buffer (packed in C by hiredis, which redis-py
    also uses: the same bytes as redis-py's own packing)."""
    return b"".join([hiredis.pack_command(tuple(command)) for command in commands])


class Wire:
    """Commands to one Redis (a URL and redis-py connection options), one round trip per call."""

    def __init__(self, url: str, **options: Any) -> None:
        # The pool only turns the URL and options into connection arguments; its own list of
        # connections is never used.
        pool = redis.ConnectionPool.from_url(url, **options)
        self.url = url
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        self._idle: list[Any] = []
        self._pid = os.getpid()

    def execute(self, *commands: Command) -> list[Any]:
        """Sends ``commands`` in one write and returns their replies, in order.

        Raises redis-py's ``ConnectionError`` or ``TimeoutError`` when Redis cannot be reached or
        does not answer in time, and the first error reply (``ResponseError``) once every reply
        is read."""
        packed = pack(commands)
        if self._pid != os.getpid():
            self._idle, self._pid = [], os.getpid()
        try:
            connection, reused = self._idle.pop(), True
        except IndexError:
            connection, reused = self._connection_class(**self._connection_kwargs), False
        try:
            replies = self._round_trip(connection, packed, len(commands))
        except RedisConnectionError:
            connection.disconnect()
            if not reused:
                raise
            connection = self._connection_class(**self._connection_kwargs)  # a stale idle one
            try:
                replies = self._round_trip(connection, packed, len(commands))
            except BaseException:
                connection.disconnect()
                raise
        except BaseException:
            connection.disconnect()
            raise
        self._idle.append(connection)
        errors = [reply for reply in replies if isinstance(reply, ResponseError)]
        if errors:
            raise errors[0]
        return replies

    @staticmethod
    def _round_trip(connection: Any, packed: bytes, count: int) -> list[Any]:
        connection.send_packed_command([packed], check_health=False)
        replies = []
        for _ in range(count):
            try:
                replies.append(connection.read_response())
            except ResponseError as error:  # an error reply: the connection is still in step
                replies.append(error)
        return replies

    def close(self) -> None:
        """Closes the idle connections (those in use are closed by their callers' errors or GC)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.disconnect()


_wires: dict[tuple, Wire] = {}
_lock = threading.Lock()


def wire_for(url: str, **options: Any) -> Wire:
    """The process's ``Wire`` for ``url`` with these connection options (one per distinct pair,
    so that callers with the same Redis and options share connections)."""
    key = (url, tuple(sorted(options.items())))
    wire = _wires.get(key)
    if wire is None:
        with _lock:
            wire = _wires.get(key)
            if wire is None:
                wire = _wires[key] = Wire(url, **options)
    return wire
