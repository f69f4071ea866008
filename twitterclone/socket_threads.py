"""The threads that WebSocket consumers run their database work on.

Channels' ``database_sync_to_async`` runs every call on asgiref's one thread-sensitive thread,
shared by the whole process. Under daphne that is also where Django's standard ASGI handler runs
the synchronous views of HTTP requests (``./dev.sh`` serves both from one process), so one busy
socket could make every HTTP request wait, and the other way round. Socket database work runs
instead on this bounded pool of its own (``WEBSOCKET_DATABASE_THREADS`` threads, each with its
own database connection): neither waits on the other. (In production, HTTP is served by granian
processes of its own: docs/deployment.md.)

Use ``socket_database_sync_to_async(func)`` exactly like ``database_sync_to_async`` (it also
closes stale connections before and after each call).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections

T = TypeVar("T")


class _SocketDatabaseExecutor(Executor):
    """A ``ThreadPoolExecutor`` started on first use (settings are read then, not at import)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.threads_started = 0

    def _count_thread(self) -> None:
        with self._lock:
            self.threads_started += 1

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        max_workers=max(1, int(settings.WEBSOCKET_DATABASE_THREADS)),
                        thread_name_prefix="socket-db",
                        initializer=self._count_thread,
                    )
        return self._pool

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.pool().submit(fn, *args, **kwargs)

    def close_connections(self, timeout: float = 10.0) -> None:
        """Closes the database connection of every thread of the pool (tests call it before the
        test database is flushed or dropped), after the work already queued or running there.

        One closing call per possible thread (``max_workers`` of them), held at a barrier of as
        many parties: the barrier opens only once every thread of the pool holds one, so a
        thread still busy with earlier work (a socket's clean-up after its test ended) must
        finish it first. A barrier sized to the threads started so far was not enough: with a
        thread busy, the pool starts a new one for the extra call and the barrier opened while
        the busy thread was still writing (a flaky "database table is locked" at teardown)."""
        if self._pool is None:
            return
        parties = self._pool._max_workers
        barrier = threading.Barrier(parties)

        def close() -> None:
            connections.close_all()
            barrier.wait(timeout)

        futures = [self._pool.submit(close) for _ in range(parties)]
        for future in futures:
            future.result(timeout + 1)


socket_database_executor = _SocketDatabaseExecutor()


def socket_database_sync_to_async(func: Callable[..., T]) -> Callable[..., Any]:
    """``database_sync_to_async`` on the socket threads instead of the process's shared one."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=socket_database_executor)


def close_socket_database_connections() -> None:
    socket_database_executor.close_connections()
