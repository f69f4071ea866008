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

import re
import select

from django.db.backends.postgresql import base
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.backends.postgresql.psycopg_any import errors


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


class NumberedCursor(base.CursorMixin, base.Database.RawCursor):
    """Server-side binding with PostgreSQL's own numbered placeholders (``$1``): psycopg sends
    the statement as it is, with no conversion (``twitterclone.db.Statement``)."""


_NUMBERED = re.compile(r"\$(\d+)")


class DatabaseOperations(PostgresOperations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, NumberedCursor):
            try:
                literals = [self.compose_sql("%s", [param]) for param in params or ()]
            except errors.DataError:
                return None
            return _NUMBERED.sub(lambda match: literals[int(match.group(1)) - 1], sql)
        # Statements of ``prepared_cursor`` are bound on the server: log them with their
        # parameters spelled out, as Django does for the ORM's client-side bound queries.
        if isinstance(cursor, base.ServerBindingCursor) and not self.connection.features.uses_server_side_binding:
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def close_if_health_check_failed(self) -> None:
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not idle_socket_is_quiet(self.connection) and not self.is_usable():
            self.close()
        self.health_check_done = True

    def prepared_cursor(self, *, numbered: bool = False):
        """A cursor with server-side binding (parameters sent apart from the statement), so that
        psycopg prepares a statement that this connection runs repeatedly (``prepare_threshold``
        in OPTIONS): PostgreSQL then parses and plans it once per connection instead of once
        per request. For the constant statements of the hot pages (``twitterclone.db``); the ORM
        keeps Django's client-side binding. Queries are logged and wrapped as on any cursor.
        ``numbered``: for statements with ``$1`` placeholders and a sequence of parameters."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = (NumberedCursor if numbered else base.ServerBindingCursor)(self.connection)
            tzloader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
            if self.timezone != tzloader.timezone:
                base.register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)
