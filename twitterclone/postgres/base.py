"""Django's PostgreSQL backend with a health check that costs no round trip.

With persistent connections (``CONN_MAX_AGE``) Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1``
before the first query of every request: one more round trip per request, to catch the rare
connection that died while idle (a restarted server, ``pg_terminate_backend``, an idle timeout).
Without the check, that request fails instead.

An idle connection's socket has nothing to read: the server only speaks when asked, except when it
is closing the connection (it sends a FATAL error, then EOF). So the check here polls the socket
without waiting; only when something is there (or the connection is already known to be broken)
does it run Django's real check, which then fails and the connection is replaced before the
request's first query. A connection that vanished without a word (a network partition) is not seen
by this check; its first query fails with a 503 and Django replaces it for the next request, as it
does for any connection that had errors.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def idle_socket_is_quiet(connection) -> bool:
    """True when a psycopg connection looks alive and its socket has nothing waiting to be read."""
    if connection.closed or connection.broken:
        return False
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not idle_socket_is_quiet(self.connection) and not self.is_usable():
            self.close()
        self.health_check_done = True
